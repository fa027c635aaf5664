// Parsing OONI measurements from JSON (see measurement_json.h).
#include <fmt/format.h>

#include "core/failure.h"
#include "core/json_read.h"
#include "measure/measurement_dom.h"
#include "measure/measurement_json.h"
#include "measure/measurement_reader.h"

namespace vigil::measure {
namespace {

using json::Element;
using json::Object;
using internal::Reader;
using internal::Where;

DnsAnswer ParseAnswer(Reader& r, Object o, const Where& path) {
  DnsAnswer a;
  for (auto [k, v] : o) {
    if (k == "answer_type") a.answer_type = r.Str(v, path + ".answer_type");
    else if (k == "ipv4") a.ipv4 = r.OptStr(v, path + ".ipv4");
    else if (k == "ipv6") a.ipv6 = r.OptStr(v, path + ".ipv6");
    else if (k == "hostname") a.hostname = r.OptStr(v, path + ".hostname");
    else if (k == "asn") a.asn = r.OptInt(v, path + ".asn");
    else if (k == "as_org_name") a.as_org_name = r.OptStr(v, path + ".as_org_name");
    else if (k == "ttl") a.ttl = r.OptInt(v, path + ".ttl");
    else r.Keep(a.extra, k, v);
  }
  return a;
}

DnsQuery ParseQuery(Reader& r, Object o, size_t i) {
  DnsQuery q;
  const Where path("test_keys.queries", i);
  for (auto [k, v] : o) {
    if (k == "engine") q.engine = r.Str(v, path + ".engine");
    else if (k == "resolver_address") q.resolver_address = r.Str(v, path + ".resolver_address");
    else if (k == "hostname") q.hostname = r.Str(v, path + ".hostname");
    else if (k == "query_type") q.query_type = r.Str(v, path + ".query_type");
    else if (k == "failure") q.failure = r.OptStr(v, path + ".failure");
    else if (k == "t") q.t = r.Double(v, path + ".t");
    else if (k == "tags") q.tags = r.Strings(v, path + ".tags");
    else if (k == "transaction_id") q.transaction_id = r.OptInt(v, path + ".transaction_id");
    else if (k == "answers") {
      q.answers = r.List<DnsAnswer>(v, path + ".answers", [&](Object a, size_t) {
        return ParseAnswer(r, a, path + ".answers");
      });
    } else r.Keep(q.extra, k, v);
  }
  return q;
}

TcpConnect ParseTcp(Reader& r, Object o, size_t i) {
  TcpConnect c;
  const Where path("test_keys.tcp_connect", i);
  for (auto [k, v] : o) {
    if (k == "ip") c.ip = r.Str(v, path + ".ip");
    else if (k == "port") c.port = r.Int(v, path + ".port", 0);
    else if (k == "t") c.t = r.Double(v, path + ".t");
    else if (k == "tags") c.tags = r.Strings(v, path + ".tags");
    else if (k == "transaction_id") c.transaction_id = r.OptInt(v, path + ".transaction_id");
    else if (k == "status") {
      auto st = r.Obj(v, path + ".status");
      if (!st) break;
      for (auto [sk, sv] : *st) {
        if (sk == "success") c.success = r.OptBool(sv, path + ".status.success");
        else if (sk == "failure") c.failure = r.OptStr(sv, path + ".status.failure");
        else r.Keep(c.status_extra, sk, sv);
      }
    } else r.Keep(c.extra, k, v);
  }
  return c;
}

TlsHandshake ParseTls(Reader& r, Object o, size_t i) {
  TlsHandshake h;
  const Where path("test_keys.tls_handshakes", i);
  for (auto [k, v] : o) {
    if (k == "network") h.network = r.Str(v, path);
    else if (k == "address") h.address = r.Str(v, path + ".address");
    else if (k == "server_name") h.server_name = r.Str(v, path + ".server_name");
    else if (k == "cipher_suite") h.cipher_suite = r.Str(v, path + ".cipher_suite");
    else if (k == "tls_version") h.tls_version = r.Str(v, path + ".tls_version");
    else if (k == "negotiated_protocol") h.negotiated_protocol = r.Str(v, path);
    else if (k == "no_tls_verify") h.no_tls_verify = r.OptBool(v, path).value_or(false);
    else if (k == "failure") h.failure = r.OptStr(v, path + ".failure");
    else if (k == "t") h.t = r.Double(v, path + ".t");
    else if (k == "tags") h.tags = r.Strings(v, path + ".tags");
    else if (k == "transaction_id") h.transaction_id = r.OptInt(v, path);
    else if (k == "peer_certificates") {
      if (v.is_null() || !r.options().keep_certificates_and_events) continue;
      auto a = json::AsArray(v);
      if (!a) {
        r.Fail(path + ".peer_certificates", "expected an array");
        break;
      }
      for (Element e : *a) {
        auto cert = r.Body(e, path + ".peer_certificates");
        if (!r.ok()) break;
        if (cert.bytes) h.peer_certificates.push_back(std::move(*cert.bytes));
      }
    } else r.Keep(h.extra, k, v);
  }
  return h;
}

HttpRequest ParseRequest(Reader& r, Object o, const Where& path) {
  HttpRequest q;
  for (auto [k, v] : o) {
    if (k == "method") q.method = r.Str(v, path + ".method");
    else if (k == "url") q.url = r.Str(v, path + ".url");
    else if (k == "headers_list" || k == "headers" || k == "body") {
      if (!r.options().keep_request_headers_and_body) continue;
      if (k == "headers_list") q.headers_list = r.HeaderList(v, path + ".headers_list");
      else if (k == "headers") q.headers = r.HeaderMap(v, path + ".headers");
      else q.body = r.Body(v, path + ".body");
    } else if (k == "body_is_truncated") q.body_is_truncated = r.OptBool(v, path).value_or(false);
    else r.Keep(q.extra, k, v);
  }
  return q;
}

HttpResponse ParseResponse(Reader& r, Object o, const Where& path) {
  HttpResponse s;
  std::optional<Element> header_map;  // read after the loop when only the list matters
  for (auto [k, v] : o) {
    if (k == "code") s.code = r.Int(v, path + ".code", 0);
    else if (k == "headers_list") s.headers_list = r.HeaderList(v, path + ".headers_list");
    else if (k == "headers") {
      if (r.options().keep_header_map_beside_list) s.headers = r.HeaderMap(v, path + ".headers");
      else header_map = v;
    } else if (k == "body") s.body = r.Body(v, path + ".body");
    else if (k == "body_is_truncated") s.body_is_truncated = r.OptBool(v, path).value_or(false);
    else r.Keep(s.extra, k, v);
  }
  if (header_map) s.headers = r.HeaderMap(*header_map, path + ".headers", /*copy=*/s.headers_list.empty());
  return s;
}

HttpTransaction ParseHttp(Reader& r, Object o, size_t i) {
  HttpTransaction h;
  const Where path("test_keys.requests", i);
  for (auto [k, v] : o) {
    if (k == "network") h.network = r.Str(v, path + ".network");
    else if (k == "address") h.address = r.Str(v, path + ".address");
    else if (k == "failure") h.failure = r.OptStr(v, path + ".failure");
    else if (k == "t") h.t = r.Double(v, path + ".t");
    else if (k == "tags") h.tags = r.Strings(v, path + ".tags");
    else if (k == "transaction_id") h.transaction_id = r.OptInt(v, path);
    else if (k == "request") {
      if (auto ro = r.Obj(v, path + ".request")) h.request = ParseRequest(r, *ro, path + ".request");
    } else if (k == "response") {
      if (v.is_null()) continue;
      if (auto ro = r.Obj(v, path + ".response"))
        h.response = ParseResponse(r, *ro, path + ".response");
    } else r.Keep(h.extra, k, v);
  }
  return h;
}

NetworkEvent ParseEvent(Reader& r, Object o, size_t i) {
  NetworkEvent e;
  const Where path("test_keys.network_events", i);
  for (auto [k, v] : o) {
    if (k == "operation") e.operation = r.Str(v, path + ".operation");
    else if (k == "address") e.address = r.Str(v, path + ".address");
    else if (k == "failure") e.failure = r.OptStr(v, path + ".failure");
    else if (k == "num_bytes") e.num_bytes = r.OptInt(v, path + ".num_bytes");
    else if (k == "proto") e.proto = r.Str(v, path + ".proto");
    else if (k == "t") e.t = r.Double(v, path + ".t");
    else if (k == "t0") e.t0 = v.is_null() ? std::nullopt : std::optional(r.Double(v, path));
    else if (k == "tags") e.tags = r.Strings(v, path + ".tags");
    else if (k == "transaction_id") e.transaction_id = r.OptInt(v, path);
    else r.Keep(e.extra, k, v);
  }
  return e;
}

Control ParseControl(Reader& r, Object o) {
  Control c;
  const Where path("test_keys.control");
  for (auto [k, v] : o) {
    if (k == "tcp_connect" && !v.is_null()) {
      auto m = r.Obj(v, path + ".tcp_connect");
      if (!m) break;
      for (auto [ep, val] : *m) {
        auto eo = r.Obj(val, path + ".tcp_connect");
        if (!eo) break;
        ControlTcpConnect t;
        t.endpoint = std::string(ep);
        for (auto [ek, ev] : *eo) {
          if (ek == "status") t.status = r.OptBool(ev, path + ".tcp_connect.status").value_or(false);
          else if (ek == "failure") t.failure = r.OptStr(ev, path + ".tcp_connect.failure");
          else r.Keep(t.extra, ek, ev);
        }
        c.tcp_connect.push_back(std::move(t));
      }
    } else if (k == "tls_handshake" && !v.is_null()) {
      auto m = r.Obj(v, path + ".tls_handshake");
      if (!m) break;
      for (auto [ep, val] : *m) {
        auto eo = r.Obj(val, path + ".tls_handshake");
        if (!eo) break;
        ControlTlsHandshake t;
        t.endpoint = std::string(ep);
        for (auto [ek, ev] : *eo) {
          if (ek == "status") t.status = r.OptBool(ev, path + ".tls_handshake.status").value_or(false);
          else if (ek == "failure") t.failure = r.OptStr(ev, path + ".tls_handshake.failure");
          else if (ek == "server_name") t.server_name = r.Str(ev, path + ".tls_handshake.server_name");
          else r.Keep(t.extra, ek, ev);
        }
        c.tls_handshake.push_back(std::move(t));
      }
    } else if (k == "http_request" && !v.is_null()) {
      auto ho = r.Obj(v, path + ".http_request");
      if (!ho) break;
      ControlHttpRequest h;
      for (auto [hk, hv] : *ho) {
        if (hk == "body_length") h.body_length = r.Int(hv, path + ".http_request.body_length", -1);
        else if (hk == "failure") h.failure = r.OptStr(hv, path + ".http_request.failure");
        else if (hk == "title") h.title = r.Str(hv, path + ".http_request.title");
        else if (hk == "headers")
          h.headers = r.HeaderMap(hv, path + ".http_request.headers", /*copy=*/true, /*binary=*/false);
        else if (hk == "status_code") h.status_code = r.Int(hv, path + ".http_request.status_code", -1);
        else r.Keep(h.extra, hk, hv);
      }
      c.http_request = std::move(h);
    } else if (k == "dns" && !v.is_null()) {
      auto dobj = r.Obj(v, path + ".dns");
      if (!dobj) break;
      ControlDns d;
      for (auto [dk, dv] : *dobj) {
        if (dk == "failure") d.failure = r.OptStr(dv, path + ".dns.failure");
        else if (dk == "addrs") d.addrs = r.Strings(dv, path + ".dns.addrs");
        else r.Keep(d.extra, dk, dv);
      }
      c.dns = std::move(d);
    } else if (k == "ip_info" && !v.is_null()) {
      auto m = r.Obj(v, path + ".ip_info");
      if (!m) break;
      for (auto [ip, val] : *m) {
        auto io = r.Obj(val, path + ".ip_info");
        if (!io) break;
        ControlIpInfo info;
        info.ip = std::string(ip);
        for (auto [ik, iv] : *io) {
          if (ik == "asn") info.asn = r.Int(iv, path + ".ip_info.asn", 0);
          else if (ik == "flags") info.flags = r.Int(iv, path + ".ip_info.flags", 0);
          else r.Keep(info.extra, ik, iv);
        }
        c.ip_info.push_back(std::move(info));
      }
    } else {
      r.Keep(c.extra, k, v);
    }
    if (!r.ok()) break;
  }
  return c;
}

WebConnectivityKeys ParseWebConnectivity(Reader& r, Object o) {
  WebConnectivityKeys tk;
  for (auto [k, v] : o) {
    if (k == "queries") {
      tk.queries = r.List<DnsQuery>(v, "test_keys.queries", [&](Object q, size_t i) {
        return ParseQuery(r, q, i);
      });
    } else if (k == "tcp_connect") {
      tk.tcp_connect = r.List<TcpConnect>(v, "test_keys.tcp_connect", [&](Object q, size_t i) {
        return ParseTcp(r, q, i);
      });
    } else if (k == "tls_handshakes") {
      tk.tls_handshakes = r.List<TlsHandshake>(
          v, "test_keys.tls_handshakes", [&](Object q, size_t i) { return ParseTls(r, q, i); });
    } else if (k == "requests") {
      tk.requests = r.List<HttpTransaction>(v, "test_keys.requests", [&](Object q, size_t i) {
        return ParseHttp(r, q, i);
      });
    } else if (k == "network_events") {
      if (!r.options().keep_certificates_and_events) continue;
      tk.network_events = r.List<NetworkEvent>(
          v, "test_keys.network_events", [&](Object q, size_t i) { return ParseEvent(r, q, i); });
    } else if (k == "control") {
      if (v.is_null()) continue;
      auto co = json::AsObject(v);
      if (!co) {
        r.Fail("test_keys.control", "expected an object or null");
        break;
      }
      if (co->size() > 0) tk.control = ParseControl(r, *co);
      else r.Keep(tk.extra, k, v);
    } else if (k == "control_failure") tk.control_failure = r.OptStr(v, "test_keys.control_failure");
    else if (k == "dns_experiment_failure")
      tk.dns_experiment_failure = r.OptStr(v, "test_keys.dns_experiment_failure");
    else if (k == "http_experiment_failure")
      tk.http_experiment_failure = r.OptStr(v, "test_keys.http_experiment_failure");
    else if (k == "client_resolver") tk.client_resolver = r.OptStr(v, "test_keys.client_resolver");
    else if (k == "blocking") {
      if (v.is_null()) tk.blocking.kind = ProbeBlocking::Kind::kNull;
      else if (auto b = json::AsBool(v); b && !*b) tk.blocking.kind = ProbeBlocking::Kind::kFalse;
      else if (auto s = json::AsString(v)) {
        tk.blocking.kind = ProbeBlocking::Kind::kString;
        tk.blocking.value = std::string(*s);
      } else {
        r.Fail("test_keys.blocking", "expected false, a string or null");
      }
    } else r.Keep(tk.extra, k, v);
    if (!r.ok()) break;
  }
  return tk;
}

}  // namespace

json::Element UnwrapEnvelope(json::Element root) {
  auto o = json::AsObject(root);
  if (!o || o->size() != 2) return root;
  auto format = json::StringField(*o, "format");
  auto content = json::Field(*o, "content");
  if (format && *format == "json" && content && json::AsObject(*content)) return *content;
  return root;
}

Result<Measurement> MeasurementFromDom(json::Element root, const ParseOptions& options) {
  auto obj = json::AsObject(root);
  if (!obj) return Fail(std::string(failure::kParseError), "a measurement must be a JSON object");
  Reader r(options);
  Measurement m;
  std::optional<Element> test_keys;
  for (auto [k, v] : *obj) {
    if (k == "measurement_uid") m.measurement_uid = r.OptStr(v, k);
    else if (k == "data_format_version") m.data_format_version = r.Str(v, k);
    else if (k == "input") {
      if (v.is_null()) continue;
      if (auto s = json::AsString(v)) m.input = std::string(*s);
      else r.Keep(m.extra, k, v);  // some legacy tests had list inputs
    } else if (k == "report_id") m.report_id = r.Str(v, k);
    else if (k == "test_name") m.test_name = r.Str(v, k);
    else if (k == "test_version") m.test_version = r.Str(v, k);
    else if (k == "measurement_start_time") m.measurement_start_time = r.Str(v, k);
    else if (k == "test_start_time") m.test_start_time = r.Str(v, k);
    else if (k == "probe_cc") m.probe_cc = r.Str(v, k);
    else if (k == "probe_asn") m.probe_asn = r.Str(v, k);
    else if (k == "probe_network_name") m.probe_network_name = r.OptStr(v, k);
    else if (k == "probe_ip") m.probe_ip = r.OptStr(v, k);
    else if (k == "software_name") m.software_name = r.Str(v, k);
    else if (k == "software_version") m.software_version = r.Str(v, k);
    else if (k == "test_runtime") {
      if (!v.is_null()) m.test_runtime = r.Double(v, k);
    } else if (k == "resolver_ip") m.resolver_ip = r.OptStr(v, k);
    else if (k == "resolver_asn") m.resolver_asn = r.OptStr(v, k);
    else if (k == "resolver_network_name") m.resolver_network_name = r.OptStr(v, k);
    else if (k == "test_keys") test_keys = v;
    else r.Keep(m.extra, k, v);
    if (!r.ok()) break;
  }
  if (r.ok() && test_keys && !test_keys->is_null()) {
    if (m.test_name == "web_connectivity") {
      if (auto tko = r.Obj(*test_keys, "test_keys")) {
        m.web_connectivity = ParseWebConnectivity(r, *tko);
      }
    } else if (options.keep_other_test_keys) {
      m.test_keys_json = json::Minify(*test_keys);
    }
  }
  if (!r.ok()) return Fail(std::string(failure::kParseError), r.error());
  return m;
}

struct MeasurementParser::Impl {
  simdjson::dom::parser parser;
};

MeasurementParser::MeasurementParser() : impl_(std::make_unique<Impl>()) {}
MeasurementParser::~MeasurementParser() = default;

Result<Measurement> MeasurementParser::Parse(std::string_view json, const ParseOptions& options) {
  Element root;
  auto err = impl_->parser.parse(json.data(), json.size()).get(root);
  if (err != simdjson::SUCCESS) {
    return Fail(std::string(failure::kParseError),
                fmt::format("invalid JSON: {}", simdjson::error_message(err)));
  }
  return MeasurementFromDom(UnwrapEnvelope(root), options);
}

}  // namespace vigil::measure
