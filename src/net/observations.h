// Observations: what the net library records about each network operation, as plain typed
// structs mirroring OONI's data formats (df-002-dnst, df-005-tcpconnect, df-006-tlshandshake,
// df-001-httpt, df-008-netevents). JSON serialization lives in src/measure, not here.
//
// Every `t` is seconds since the measurement's start (a Timeline's zero), as OONI writes it;
// `failure` is empty on success and otherwise holds an OONI failure string (core/failure.h).
//
// Thread-safety: plain values, safe to copy and move between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace vigil::net {

// The zero of a measurement's time axis: observations carry `t` relative to it.
class Timeline {
 public:
  explicit Timeline(const Clock& clock) : clock_(&clock), zero_(clock.MonoNow()) {}
  Timeline(const Clock& clock, Clock::MonoTime zero) : clock_(&clock), zero_(zero) {}

  // Seconds elapsed since zero, now.
  double Now() const { return SecondsAt(clock_->MonoNow()); }
  double SecondsAt(Clock::MonoTime when) const {
    return std::chrono::duration<double>(when - zero_).count();
  }
  const Clock& clock() const { return *clock_; }
  Clock::MonoTime zero() const { return zero_; }

 private:
  const Clock* clock_;  // not owned; must outlive the Timeline
  Clock::MonoTime zero_;
};

using Bytes = std::vector<std::uint8_t>;
// Ordered (name, value) pairs as they appeared on the wire, duplicates kept (OONI's headers_list).
using HeadersList = std::vector<std::pair<std::string, std::string>>;

enum class DnsQueryType { kA, kAAAA };

// "A" or "AAAA".
const char* DnsQueryTypeName(DnsQueryType type);

struct DnsAnswer {
  std::string answer_type;  // "A", "AAAA" or "CNAME"
  std::string ipv4;         // set for "A"
  std::string ipv6;         // set for "AAAA"
  std::string hostname;     // set for "CNAME": the target name
  std::uint32_t ttl = 0;
};

// One DNS response (or the lack of one). An injection-aware UDP lookup yields one of these per
// response received, so a forged answer racing the real one shows up as two entries.
struct DnsQueryResult {
  std::string engine;            // "system", "udp" or "tcp"
  std::string resolver_address;  // "ip:port"; empty for the system resolver
  std::string hostname;
  std::string query_type;  // "A", "AAAA", or "ANY" for getaddrinfo
  std::vector<DnsAnswer> answers;
  std::optional<std::string> failure;
  Bytes raw_response;  // the DNS message as received (empty for the system resolver)
  double t0 = 0;       // when the query was sent
  double t = 0;        // when this response (or the failure) was observed
};

struct TcpConnectResult {
  std::string ip;
  std::uint16_t port = 0;
  bool success = false;
  std::optional<std::string> failure;
  double t0 = 0;
  double t = 0;
};

struct TlsHandshakeResult {
  std::string address;      // "ip:port" ("[ip6]:port" for IPv6)
  std::string server_name;  // the SNI sent; empty when none was sent
  std::string cipher_suite;         // IANA name, e.g. "TLS_AES_128_GCM_SHA256"
  std::string tls_version;          // e.g. "TLSv1.3"
  std::string negotiated_protocol;  // ALPN result, empty when none
  std::vector<Bytes> peer_certificates;  // DER, leaf first, captured even when verification fails
  bool no_tls_verify = false;
  std::optional<std::string> failure;
  double t0 = 0;
  double t = 0;
};

struct HttpRequestRecord {
  std::string method;
  std::string url;
  HeadersList headers_list;
};

struct HttpResponseRecord {
  int code = 0;  // 0 when no response header arrived
  HeadersList headers_list;
  Bytes body;
  bool body_is_truncated = false;
};

// One request/response exchange: one hop of a redirect chain.
struct HttpTransaction {
  HttpRequestRecord request;
  HttpResponseRecord response;
  std::optional<std::string> failure;
  std::string address;  // "ip:port" the request went to; empty if no connection was made
  double t0 = 0;
  double t = 0;
  // Body bytes over the time from the end of the header to the end of the body (Vigil's
  // addition, for throttling); nullopt when no body byte arrived.
  std::optional<double> body_bytes_per_second;
  std::chrono::nanoseconds body_duration{0};
};

struct NetworkEvent {
  // "connect", "read", "write", "tls_handshake_start", "tls_handshake_done",
  // "http_transaction_start", "http_transaction_done"
  std::string operation;
  std::string address;  // "ip:port"
  std::string proto;    // "tcp" or "udp"
  std::int64_t num_bytes = 0;
  std::optional<std::string> failure;
  double t = 0;
};

}  // namespace vigil::net
