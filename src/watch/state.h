// The watch's states and the rules that derive one from a round of checks. Everything here is
// a pure function of its inputs (no clock, no network), so the rules are tested directly.
//
// The rules, in order (the first that holds is the state; the details keep every finding):
//   offline          nothing beyond the local network answered: no site accepted a TCP
//                    connection, no platform endpoint did, and the public resolver did not
//                    answer. reason "local-link" when the gateway (or, without one, the local
//                    resolver) did not answer either; "upstream" when the local link was fine.
//   dns-tampered     for some name, the system resolver's answer differs from the public
//                    resolver's in a way that signals tampering: private/bogon addresses only
//                    locally, NXDOMAIN only locally, two different answers to one query (an
//                    injected answer racing the real one), or addresses in no common ASN.
//   platform-blocked at least one major site was fully reachable, and every endpoint checked
//                    for a platform failed (TCP, or TLS when it was checked).
//   throttled        the download's throughput is below throttle_ratio (0.3) times the
//                    probe's own rolling median of earlier unthrottled downloads.
//   online           otherwise.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::watch {

enum class State { kOnline, kOffline, kPlatformBlocked, kDnsTampered, kThrottled };

// "online", "offline", "platform-blocked", "dns-tampered", "throttled".
std::string_view StateName(State state);

// One name through one resolver.
struct DnsObservation {
  bool checked = false;    // a query was sent
  bool responded = false;  // some DNS response came back (even NXDOMAIN or SERVFAIL)
  std::string failure;     // "" when answered with addresses; else an OONI failure string
  // Addresses of every response (in order); a response whose set differs from the first's
  // makes `conflicting` true.
  std::vector<std::string> addresses;
  bool conflicting = false;
};

struct DnsComparison {
  std::string name;
  DnsObservation system;  // the system (local) resolver
  DnsObservation reference;  // the public resolver
};

// A TCP (and optionally TLS) check of one endpoint.
struct Reachability {
  std::string target;  // "host:port" or "ip:port"
  bool tcp_ok = false;
  std::optional<bool> tls_ok;  // nullopt when TLS was not checked
  std::string failure;         // the first failure, "" when none

  bool ok() const { return tcp_ok && tls_ok.value_or(true); }
};

struct RoundObservations {
  std::optional<bool> gateway_ok;  // nullopt when no gateway is configured
  std::vector<DnsComparison> dns;
  std::vector<Reachability> sites;
  std::map<std::string, std::vector<Reachability>> platforms;  // platform → endpoints checked
  std::optional<double> throughput_bps;  // bytes/s of the download, when one was made
};

using AsnOf = std::function<std::optional<uint32_t>(std::string_view ip)>;

struct StateContext {
  std::optional<double> baseline_bps;  // the rolling median; nullopt until known
  double throttle_ratio = 0.3;
  AsnOf asn_of;  // may be empty: the ASN rule is then skipped
};

struct Assessment {
  State state = State::kOnline;
  std::string offline_reason;                // "local-link" or "upstream" when offline
  std::vector<std::string> blocked_platforms;  // sorted
  // name → why ("bogon", "nxdomain", "injection", "asn"), for tampered names.
  std::map<std::string, std::string> tampered;
  std::optional<double> throughput_ratio;  // throughput / baseline, when both are known
  bool throttled = false;

  // What a change of state is measured on: the state and its reason or lists.
  std::string Key() const;
  // Plain words for the log, e.g. "offline: upstream cut (the local link answers, nothing
  // beyond it does)".
  std::string Describe() const;
  // The compact JSON object written in a journal entry's details.
  std::string DetailsJson() const;
};

Assessment Assess(const RoundObservations& round, const StateContext& context);

// The probe's own throughput baseline: the median of the last `window` unthrottled downloads,
// known once `min_samples` have been seen.
class ThroughputBaseline {
 public:
  explicit ThroughputBaseline(std::size_t window = 20, std::size_t min_samples = 3)
      : window_(window), min_samples_(min_samples) {}
  void Add(double bytes_per_second);
  std::optional<double> Median() const;
  std::size_t size() const { return samples_.size(); }

 private:
  std::size_t window_;
  std::size_t min_samples_;
  std::deque<double> samples_;
};

}  // namespace vigil::watch
