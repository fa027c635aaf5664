// The OONI data model (base data format 0.2.0, df-000-base) as typed structs, with the
// Web Connectivity test keys (ts-017) in both the v0.4 and v0.5 shapes.
//
// Vigil reads and writes OONI's format unchanged: every struct keeps the fields it does
// not model in `extra` (key and compact JSON text), written back after the known
// fields, so a measurement round-trips without losing data (key order aside).
// Parsing and serialization live in measurement_json.h; nothing here knows about JSON
// libraries. Values are plain data: safe to move between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vigil::measure {

// Fields preserved verbatim: (key, compact JSON value).
using ExtraFields = std::vector<std::pair<std::string, std::string>>;
// (name, value bytes): a value given as an OONI binary value (binary_value.h) is held
// decoded, and written back as a string when UTF-8, else in the binary form.
using Headers = std::vector<std::pair<std::string, std::string>>;

// df-002-dnst: one answer.
struct DnsAnswer {
  std::string answer_type;  // "A", "AAAA", "CNAME", ...
  std::optional<std::string> ipv4, ipv6, hostname;
  std::optional<int64_t> asn;
  std::optional<std::string> as_org_name;
  std::optional<int64_t> ttl;
  ExtraFields extra;

  // The address for A/AAAA answers, else empty.
  const std::string& Address() const {
    static const std::string kEmpty;
    return ipv4 ? *ipv4 : ipv6 ? *ipv6 : kEmpty;
  }
};

// df-002-dnst: one query and all the answers it got.
struct DnsQuery {
  std::string engine;  // "system", "getaddrinfo", "udp", "tcp", "doh", ...
  std::string resolver_address;
  std::string hostname;
  std::string query_type;
  std::optional<std::vector<DnsAnswer>> answers;  // null in JSON when absent
  std::optional<std::string> failure;
  double t = 0;
  std::vector<std::string> tags;
  std::optional<int64_t> transaction_id;
  ExtraFields extra;
};

// df-005-tcpconnect.
struct TcpConnect {
  std::string ip;
  int64_t port = 0;
  std::optional<bool> success;
  std::optional<std::string> failure;
  double t = 0;
  std::vector<std::string> tags;
  std::optional<int64_t> transaction_id;
  ExtraFields status_extra;  // e.g. "blocked"
  ExtraFields extra;
};

// df-006-tlshandshake.
struct TlsHandshake {
  std::string network;
  std::string address;  // "ip:port" or "[ip6]:port"
  std::string server_name;
  std::string cipher_suite;
  std::string tls_version;
  std::string negotiated_protocol;
  bool no_tls_verify = false;
  std::vector<std::string> peer_certificates;  // DER, decoded from base64
  std::optional<std::string> failure;
  double t = 0;
  std::vector<std::string> tags;
  std::optional<int64_t> transaction_id;
  ExtraFields extra;
};

// An HTTP body as OONI stores it: a string, {"format":"base64","data":...}, or null.
struct HttpBody {
  std::optional<std::string> bytes;  // decoded; nullopt: JSON null
  bool base64 = false;               // written back in base64 form (also when not UTF-8)
};

struct HttpRequest {
  std::string method;
  std::string url;
  Headers headers_list;
  Headers headers;  // the legacy map form, in input order
  HttpBody body;
  bool body_is_truncated = false;
  ExtraFields extra;  // "tor", "x_transport", ...
};

struct HttpResponse {
  int64_t code = 0;
  Headers headers_list;
  Headers headers;
  HttpBody body;
  bool body_is_truncated = false;
  ExtraFields extra;

  // headers_list when present, else the map form.
  const Headers& HeaderPairs() const { return headers_list.empty() ? headers : headers_list; }
};

// df-001-httpt: one request/response. OONI lists the chain latest first.
struct HttpTransaction {
  std::string network;
  std::string address;
  std::optional<std::string> failure;
  HttpRequest request;
  std::optional<HttpResponse> response;  // null when the request failed early
  double t = 0;
  std::vector<std::string> tags;
  std::optional<int64_t> transaction_id;
  ExtraFields extra;
};

// df-008-netevents.
struct NetworkEvent {
  std::string operation;
  std::string address;
  std::optional<std::string> failure;
  std::optional<int64_t> num_bytes;
  std::string proto;
  double t = 0;
  std::optional<double> t0;
  std::vector<std::string> tags;
  std::optional<int64_t> transaction_id;
  ExtraFields extra;
};

// The test helper's answer (ts-017 "control").
struct ControlTcpConnect {
  std::string endpoint;  // "ip:port"
  bool status = false;
  std::optional<std::string> failure;
  ExtraFields extra;
};
struct ControlTlsHandshake {
  std::string endpoint;
  std::string server_name;
  bool status = false;
  std::optional<std::string> failure;
  ExtraFields extra;
};
struct ControlHttpRequest {
  int64_t body_length = -1;
  std::optional<std::string> failure;
  std::string title;
  Headers headers;
  int64_t status_code = -1;
  ExtraFields extra;
};
struct ControlDns {
  std::optional<std::string> failure;
  std::vector<std::string> addrs;
  ExtraFields extra;
};
struct ControlIpInfo {
  std::string ip;
  int64_t asn = 0;
  int64_t flags = 0;
  ExtraFields extra;
};
struct Control {
  std::vector<ControlTcpConnect> tcp_connect;
  std::vector<ControlTlsHandshake> tls_handshake;
  std::optional<ControlHttpRequest> http_request;
  std::optional<ControlDns> dns;
  std::vector<ControlIpInfo> ip_info;
  ExtraFields extra;
};

// What a probe wrote in test_keys.blocking: false, a string, or null.
struct ProbeBlocking {
  enum class Kind { kNull, kFalse, kString } kind = Kind::kNull;
  std::string value;
};

// Web Connectivity test keys, v0.4 and v0.5. The probe's own verdict fields
// (blocking, accessible, dns_consistency, *_match, x_*_flags, ...) are kept in `extra`
// except `blocking`, which analysis reports beside its own verdict.
struct WebConnectivityKeys {
  std::optional<std::vector<DnsQuery>> queries;
  std::optional<std::vector<TcpConnect>> tcp_connect;
  std::optional<std::vector<TlsHandshake>> tls_handshakes;
  std::optional<std::vector<HttpTransaction>> requests;
  std::optional<std::vector<NetworkEvent>> network_events;
  std::optional<Control> control;  // nullopt: absent or null
  std::optional<std::string> control_failure;
  std::optional<std::string> dns_experiment_failure;
  std::optional<std::string> http_experiment_failure;
  std::optional<std::string> client_resolver;
  ProbeBlocking blocking;
  ExtraFields extra;
};

// df-000-base: one measurement.
struct Measurement {
  std::optional<std::string> measurement_uid;  // present in OONI API/bucket exports
  std::string data_format_version;
  std::optional<std::string> input;  // null for tests without input
  std::string report_id;
  std::string test_name;
  std::string test_version;
  std::string measurement_start_time;
  std::string test_start_time;
  std::string probe_cc;
  std::string probe_asn;
  std::optional<std::string> probe_network_name;
  std::optional<std::string> probe_ip;  // never written by Vigil's probe
  std::string software_name;
  std::string software_version;
  std::optional<double> test_runtime;
  std::optional<std::string> resolver_ip;
  std::optional<std::string> resolver_asn;
  std::optional<std::string> resolver_network_name;
  std::optional<WebConnectivityKeys> web_connectivity;  // when test_name is web_connectivity
  std::optional<std::string> test_keys_json;  // other tests: test_keys as compact JSON
  ExtraFields extra;                          // annotations, test_helpers, ...
};

}  // namespace vigil::measure
