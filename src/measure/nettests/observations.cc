#include "measure/nettests/observations.h"

#include "core/json_read.h"
#include "measure/measurement_json.h"

namespace vigil::measure::nettests {
namespace {

Headers ToHeaders(const net::HeadersList& h) { return Headers(h.begin(), h.end()); }

// The legacy map form: the first value of each name.
Headers FirstValues(const net::HeadersList& h) {
  Headers out;
  for (const auto& [k, v] : h) {
    bool seen = false;
    for (const auto& [k2, v2] : out) seen = seen || k2 == k;
    if (!seen) out.emplace_back(k, v);
  }
  return out;
}

}  // namespace

bool IsValidUtf8(const std::string& s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += len;
  }
  return true;
}

DnsQuery ToDnsQuery(const net::DnsQueryResult& q) {
  DnsQuery out;
  out.engine = q.engine;
  out.resolver_address = q.resolver_address;
  out.hostname = q.hostname;
  out.query_type = q.query_type;
  out.failure = q.failure;
  out.t = q.t;
  if (!q.failure || !q.answers.empty()) {
    out.answers.emplace();
    for (const auto& a : q.answers) {
      DnsAnswer d;
      d.answer_type = a.answer_type;
      if (!a.ipv4.empty()) d.ipv4 = a.ipv4;
      if (!a.ipv6.empty()) d.ipv6 = a.ipv6;
      if (!a.hostname.empty()) d.hostname = a.hostname;
      d.ttl = a.ttl;
      out.answers->push_back(std::move(d));
    }
  }
  return out;
}

TcpConnect ToTcpConnect(const net::TcpConnectResult& c) {
  TcpConnect out;
  out.ip = c.ip;
  out.port = c.port;
  out.success = c.success;
  out.failure = c.failure;
  out.t = c.t;
  return out;
}

TlsHandshake ToTlsHandshake(const net::TlsHandshakeResult& h) {
  TlsHandshake out;
  out.network = "tcp";
  out.address = h.address;
  out.server_name = h.server_name;
  out.cipher_suite = h.cipher_suite;
  out.tls_version = h.tls_version;
  out.negotiated_protocol = h.negotiated_protocol;
  out.no_tls_verify = h.no_tls_verify;
  for (const auto& der : h.peer_certificates) out.peer_certificates.emplace_back(der.begin(), der.end());
  out.failure = h.failure;
  out.t = h.t;
  return out;
}

HttpTransaction ToHttpTransaction(const net::HttpTransaction& h) {
  HttpTransaction out;
  out.network = "tcp";
  out.address = h.address;
  out.failure = h.failure;
  out.request.method = h.request.method;
  out.request.url = h.request.url;
  out.request.headers_list = ToHeaders(h.request.headers_list);
  out.request.headers = FirstValues(h.request.headers_list);
  out.request.body.bytes = std::string();
  if (h.response.code != 0) {
    HttpResponse r;
    r.code = h.response.code;
    r.headers_list = ToHeaders(h.response.headers_list);
    r.headers = FirstValues(h.response.headers_list);
    std::string body(h.response.body.begin(), h.response.body.end());
    r.body.base64 = !IsValidUtf8(body);
    r.body.bytes = std::move(body);
    r.body_is_truncated = h.response.body_is_truncated;
    out.response = std::move(r);
  }
  out.t = h.t;
  return out;
}

NetworkEvent ToNetworkEvent(const net::NetworkEvent& e) {
  NetworkEvent out;
  out.operation = e.operation;
  out.address = e.address;
  out.proto = e.proto;
  out.failure = e.failure;
  if (e.operation == "read" || e.operation == "write") out.num_bytes = e.num_bytes;
  out.t = e.t;
  return out;
}

void Observations::Add(const net::TlsProbe& p) {
  Add(p.tcp_connect);
  if (p.tls_handshake) tls_handshakes.push_back(ToTlsHandshake(*p.tls_handshake));
}

void Observations::Add(const net::HttpResult& r) {
  for (const auto& q : r.queries) Add(q);
  for (const auto& c : r.tcp_connect) Add(c);
  for (const auto& h : r.tls_handshakes) tls_handshakes.push_back(ToTlsHandshake(h));
  std::vector<HttpTransaction> fresh;
  for (const auto& t : r.requests) fresh.push_back(ToHttpTransaction(t));
  requests.insert(requests.begin(), fresh.begin(), fresh.end());
  for (const auto& e : r.network_events) network_events.push_back(ToNetworkEvent(e));
}

std::vector<std::pair<std::string, std::string>> ObservationsJson(const Observations& o) {
  // measure's serializer is the one writer of these structs: write them as Web Connectivity
  // keys and lift the lists out.
  Measurement m;
  m.web_connectivity.emplace();
  auto& tk = *m.web_connectivity;
  tk.queries = o.queries;
  tk.tcp_connect = o.tcp_connect;
  tk.tls_handshakes = o.tls_handshakes;
  tk.requests = o.requests;
  tk.network_events = o.network_events;
  const std::string text = WriteMeasurementJson(m);
  simdjson::dom::parser parser;
  json::Element root;
  std::vector<std::pair<std::string, std::string>> out;
  if (parser.parse(text).get(root) != simdjson::SUCCESS) return out;
  for (const char* key : {"queries", "tcp_connect", "tls_handshakes", "requests", "network_events"}) {
    json::Element e;
    if (root["test_keys"][key].get(e) != simdjson::SUCCESS) continue;
    out.emplace_back(key, json::Minify(e));
  }
  return out;
}

}  // namespace vigil::measure::nettests
