// One round of the watch's checks against its anchors, through the injected Network: the
// gateway (TCP), every DNS name through the system and the public resolver (UDP,
// injection-aware), TCP (and, on TLS rounds, TLS) to every site and platform endpoint, and,
// on download rounds, one HTTPS download for throughput. All checks of a round run at once,
// each with the anchors' timeout, so a round lasts about one timeout at most.
//
// The round also estimates the bytes it put on the wire (for the data budget): packets of a
// TCP handshake and close, DNS messages, certificates, the downloaded body.
//
// Thread-safety: RunRound is a coroutine; run one round at a time per TlsMemory.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/clock.h"
#include "net/network.h"
#include "watch/anchors.h"
#include "watch/state.h"

namespace vigil::watch {

struct CheckPlan {
  bool tls = true;        // handshake with TLS targets this round
  bool download = false;  // make the throughput download this round
};

struct RoundResult {
  RoundObservations observations;
  uint64_t bytes = 0;  // estimated traffic of the round
  int checks = 0;      // operations made (lookups, connects, handshakes, downloads)
};

// The last TLS outcome per target, so that rounds without TLS keep reporting a target whose
// handshake is blocked (an SNI filter lets the TCP connect through). An entry older than
// max_age_rounds is forgotten.
class TlsMemory {
 public:
  explicit TlsMemory(uint64_t max_age_rounds = 60) : max_age_(max_age_rounds) {}
  void Record(const std::string& target, bool ok, uint64_t round);
  std::optional<bool> Last(const std::string& target, uint64_t round) const;

 private:
  uint64_t max_age_;
  std::map<std::string, std::pair<bool, uint64_t>> last_;
};

boost::asio::awaitable<RoundResult> RunRound(net::Network& network, const Anchors& anchors,
                                             CheckPlan plan, const Clock& clock,
                                             TlsMemory& tls_memory, uint64_t round);

}  // namespace vigil::watch
