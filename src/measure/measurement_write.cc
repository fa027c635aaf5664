// Serializing measurements to OONI JSON (see measurement_json.h).
#include "core/base64.h"
#include "core/json_writer.h"
#include "measure/measurement_json.h"

namespace vigil::measure {
namespace {

void Extra(JsonWriter& w, const ExtraFields& extra) {
  for (const auto& [k, v] : extra) w.Key(k).Raw(v);
}

void Tags(JsonWriter& w, const std::vector<std::string>& tags) {
  w.Key("tags").BeginArray();
  for (const auto& t : tags) w.String(t);
  w.EndArray();
}

void BinaryData(JsonWriter& w, std::string_view bytes) {
  w.BeginObject().Key("format").String("base64").Key("data").String(Base64Encode(bytes)).EndObject();
}

// df-001's MaybeBinaryData, as OONI Probe writes it: a string when the bytes are UTF-8,
// else the binary form (a string would have its invalid bytes replaced).
void MaybeBinary(JsonWriter& w, std::string_view bytes) {
  if (IsValidUtf8(bytes)) w.String(bytes);
  else BinaryData(w, bytes);
}

void HeaderList(JsonWriter& w, const Headers& h) {
  w.BeginArray();
  for (const auto& [k, v] : h) {
    w.BeginArray().String(k);
    MaybeBinary(w, v);
    w.EndArray();
  }
  w.EndArray();
}

void HeaderMap(JsonWriter& w, const Headers& h) {
  w.BeginObject();
  for (const auto& [k, v] : h) {
    w.Key(k);
    MaybeBinary(w, v);
  }
  w.EndObject();
}

// A body read in the binary form goes back in it; any other body as MaybeBinary.
void Body(JsonWriter& w, const HttpBody& b) {
  if (!b.bytes) w.Null();
  else if (b.base64) BinaryData(w, *b.bytes);
  else MaybeBinary(w, *b.bytes);
}

void Query(JsonWriter& w, const DnsQuery& q) {
  w.BeginObject();
  w.Key("answers");
  if (!q.answers) {
    w.Null();
  } else {
    w.BeginArray();
    for (const auto& a : *q.answers) {
      w.BeginObject().Key("answer_type").String(a.answer_type);
      if (a.ipv4) w.Key("ipv4").String(*a.ipv4);
      if (a.ipv6) w.Key("ipv6").String(*a.ipv6);
      if (a.hostname) w.Key("hostname").String(*a.hostname);
      if (a.asn) w.Key("asn").Int(*a.asn);
      if (a.as_org_name) w.Key("as_org_name").String(*a.as_org_name);
      w.Key("ttl").OptInt(a.ttl);
      Extra(w, a.extra);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("engine").String(q.engine).Key("failure").OptString(q.failure);
  w.Key("hostname").String(q.hostname).Key("query_type").String(q.query_type);
  w.Key("resolver_address").String(q.resolver_address).Key("t").Double(q.t);
  Tags(w, q.tags);
  if (q.transaction_id) w.Key("transaction_id").Int(*q.transaction_id);
  Extra(w, q.extra);
  w.EndObject();
}

void Tcp(JsonWriter& w, const TcpConnect& c) {
  w.BeginObject().Key("ip").String(c.ip).Key("port").Int(c.port);
  w.Key("status").BeginObject().Key("failure").OptString(c.failure);
  w.Key("success").OptBool(c.success);
  Extra(w, c.status_extra);
  w.EndObject().Key("t").Double(c.t);
  Tags(w, c.tags);
  if (c.transaction_id) w.Key("transaction_id").Int(*c.transaction_id);
  Extra(w, c.extra);
  w.EndObject();
}

void Tls(JsonWriter& w, const TlsHandshake& h) {
  w.BeginObject().Key("network").String(h.network).Key("address").String(h.address);
  w.Key("cipher_suite").String(h.cipher_suite).Key("failure").OptString(h.failure);
  w.Key("negotiated_protocol").String(h.negotiated_protocol);
  w.Key("no_tls_verify").Bool(h.no_tls_verify);
  w.Key("peer_certificates");
  if (h.peer_certificates.empty()) {
    w.Null();
  } else {
    w.BeginArray();
    for (const auto& der : h.peer_certificates) BinaryData(w, der);
    w.EndArray();
  }
  w.Key("server_name").String(h.server_name).Key("t").Double(h.t);
  Tags(w, h.tags);
  w.Key("tls_version").String(h.tls_version);
  if (h.transaction_id) w.Key("transaction_id").Int(*h.transaction_id);
  Extra(w, h.extra);
  w.EndObject();
}

void Http(JsonWriter& w, const HttpTransaction& h) {
  w.BeginObject().Key("network").String(h.network).Key("address").String(h.address);
  w.Key("failure").OptString(h.failure);
  const auto& q = h.request;
  w.Key("request").BeginObject().Key("body");
  Body(w, q.body);
  w.Key("body_is_truncated").Bool(q.body_is_truncated).Key("headers_list");
  HeaderList(w, q.headers_list);
  w.Key("headers");
  HeaderMap(w, q.headers);
  w.Key("method").String(q.method).Key("url").String(q.url);
  Extra(w, q.extra);
  w.EndObject();
  w.Key("response");
  if (!h.response) {
    w.Null();
  } else {
    const auto& s = *h.response;
    w.BeginObject().Key("body");
    Body(w, s.body);
    w.Key("body_is_truncated").Bool(s.body_is_truncated).Key("code").Int(s.code);
    w.Key("headers_list");
    HeaderList(w, s.headers_list);
    w.Key("headers");
    HeaderMap(w, s.headers);
    Extra(w, s.extra);
    w.EndObject();
  }
  w.Key("t").Double(h.t);
  Tags(w, h.tags);
  if (h.transaction_id) w.Key("transaction_id").Int(*h.transaction_id);
  Extra(w, h.extra);
  w.EndObject();
}

void Event(JsonWriter& w, const NetworkEvent& e) {
  w.BeginObject().Key("address").String(e.address).Key("failure").OptString(e.failure);
  if (e.num_bytes) w.Key("num_bytes").Int(*e.num_bytes);
  w.Key("operation").String(e.operation).Key("proto").String(e.proto);
  if (e.t0) w.Key("t0").Double(*e.t0);
  w.Key("t").Double(e.t);
  Tags(w, e.tags);
  if (e.transaction_id) w.Key("transaction_id").Int(*e.transaction_id);
  Extra(w, e.extra);
  w.EndObject();
}

void ControlJson(JsonWriter& w, const Control& c) {
  w.BeginObject().Key("tcp_connect").BeginObject();
  for (const auto& t : c.tcp_connect) {
    w.Key(t.endpoint).BeginObject().Key("status").Bool(t.status).Key("failure").OptString(t.failure);
    Extra(w, t.extra);
    w.EndObject();
  }
  w.EndObject().Key("tls_handshake").BeginObject();
  for (const auto& t : c.tls_handshake) {
    w.Key(t.endpoint).BeginObject().Key("server_name").String(t.server_name);
    w.Key("status").Bool(t.status).Key("failure").OptString(t.failure);
    Extra(w, t.extra);
    w.EndObject();
  }
  w.EndObject();
  if (c.http_request) {
    const auto& h = *c.http_request;
    w.Key("http_request").BeginObject().Key("body_length").Int(h.body_length);
    w.Key("failure").OptString(h.failure).Key("title").String(h.title).Key("headers");
    HeaderMap(w, h.headers);
    w.Key("status_code").Int(h.status_code);
    Extra(w, h.extra);
    w.EndObject();
  }
  if (c.dns) {
    w.Key("dns").BeginObject().Key("failure").OptString(c.dns->failure).Key("addrs").BeginArray();
    for (const auto& a : c.dns->addrs) w.String(a);
    w.EndArray();
    Extra(w, c.dns->extra);
    w.EndObject();
  }
  if (!c.ip_info.empty()) {
    w.Key("ip_info").BeginObject();
    for (const auto& i : c.ip_info) {
      w.Key(i.ip).BeginObject().Key("asn").Int(i.asn).Key("flags").Int(i.flags);
      Extra(w, i.extra);
      w.EndObject();
    }
    w.EndObject();
  }
  Extra(w, c.extra);
  w.EndObject();
}

template <typename T, typename F>
void List(JsonWriter& w, std::string_view key, const std::optional<std::vector<T>>& v, F one) {
  w.Key(key);
  if (!v) {
    w.Null();
    return;
  }
  w.BeginArray();
  for (const auto& item : *v) one(w, item);
  w.EndArray();
}

void WebConnectivity(JsonWriter& w, const WebConnectivityKeys& tk) {
  w.BeginObject();
  if (tk.client_resolver) w.Key("client_resolver").String(*tk.client_resolver);
  List(w, "queries", tk.queries, Query);
  List(w, "tcp_connect", tk.tcp_connect, Tcp);
  List(w, "tls_handshakes", tk.tls_handshakes, Tls);
  List(w, "requests", tk.requests, Http);
  List(w, "network_events", tk.network_events, Event);
  w.Key("control");
  if (tk.control) ControlJson(w, *tk.control);
  else w.Null();
  w.Key("control_failure").OptString(tk.control_failure);
  w.Key("dns_experiment_failure").OptString(tk.dns_experiment_failure);
  w.Key("http_experiment_failure").OptString(tk.http_experiment_failure);
  w.Key("blocking");
  switch (tk.blocking.kind) {
    case ProbeBlocking::Kind::kNull: w.Null(); break;
    case ProbeBlocking::Kind::kFalse: w.Bool(false); break;
    case ProbeBlocking::Kind::kString: w.String(tk.blocking.value); break;
  }
  Extra(w, tk.extra);
  w.EndObject();
}

}  // namespace

std::string WriteMeasurementJson(const Measurement& m) {
  std::string out;
  out.reserve(4096);
  JsonWriter w(out);
  w.BeginObject();
  if (m.measurement_uid) w.Key("measurement_uid").String(*m.measurement_uid);
  w.Key("data_format_version").String(m.data_format_version);
  w.Key("input").OptString(m.input);
  w.Key("measurement_start_time").String(m.measurement_start_time);
  w.Key("probe_asn").String(m.probe_asn).Key("probe_cc").String(m.probe_cc);
  if (m.probe_ip) w.Key("probe_ip").String(*m.probe_ip);
  if (m.probe_network_name) w.Key("probe_network_name").String(*m.probe_network_name);
  w.Key("report_id").String(m.report_id);
  if (m.resolver_asn) w.Key("resolver_asn").String(*m.resolver_asn);
  if (m.resolver_ip) w.Key("resolver_ip").String(*m.resolver_ip);
  if (m.resolver_network_name) w.Key("resolver_network_name").String(*m.resolver_network_name);
  w.Key("software_name").String(m.software_name);
  w.Key("software_version").String(m.software_version);
  w.Key("test_name").String(m.test_name);
  if (m.test_runtime) w.Key("test_runtime").Double(*m.test_runtime);
  w.Key("test_start_time").String(m.test_start_time);
  w.Key("test_version").String(m.test_version);
  Extra(w, m.extra);
  w.Key("test_keys");
  if (m.web_connectivity) WebConnectivity(w, *m.web_connectivity);
  else if (m.test_keys_json) w.Raw(*m.test_keys_json);
  else w.Null();
  w.EndObject();
  return out;
}

}  // namespace vigil::measure
