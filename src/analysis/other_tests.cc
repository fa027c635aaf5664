#include "analysis/other_tests.h"

#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "measure/binary_value.h"

namespace vigil::analysis {
namespace {

using json::Element;
using json::Object;

// The two numbers OONI's fastpath computes for every test.
struct Score {
  double blocking = 0.0;
  double accuracy = 1.0;
  std::string why;
};

Verdict ToVerdict(const Score& s) {
  Verdict v;
  v.anomaly = s.blocking > 0.5;
  v.failure = s.accuracy < 0.5;
  v.confirmed = false;
  v.blocking = Blocking::kNull;
  if (!*v.failure) v.accessible = !*v.anomaly;
  v.why = s.why;
  return v;
}

std::optional<Object> Keys(Object root) {
  auto tk = json::Field(root, "test_keys");
  return tk ? json::AsObject(*tk) : std::nullopt;
}

// Any "*_failure" key whose value starts with "unknown_failure" means a probe bug.
bool HasUnknownFailure(Object tk) {
  for (auto [k, v] : tk) {
    if (k.size() >= 8 && k.substr(k.size() - 8) == "_failure") {
      auto s = json::AsString(v);
      if (s && s->rfind("unknown_failure", 0) == 0) return true;
    }
  }
  return false;
}

std::pair<int, int> TcpConnectCounts(Object tk) {
  int ok = 0, failed = 0;
  auto list = json::Field(tk, "tcp_connect");
  auto arr = list ? json::AsArray(*list) : std::nullopt;
  if (!arr) return {0, 0};
  for (Element e : *arr) {
    auto o = json::AsObject(e);
    if (!o) continue;
    auto status = json::Field(*o, "status");
    auto so = status ? json::AsObject(*status) : std::nullopt;
    if (!so) continue;
    auto success = json::Field(*so, "success");
    auto b = success ? json::AsBool(*success) : std::nullopt;
    if (b && *b) ++ok;
    else if (b) ++failed;
  }
  return {ok, failed};
}

std::optional<Object> FieldObject(Object o, std::string_view key) {
  auto e = json::Field(o, key);
  return e ? json::AsObject(*e) : std::nullopt;
}

Score Telegram(Object tk) {
  Score s;
  auto web_status = json::StringField(tk, "telegram_web_status");
  bool web_blocked = web_status && *web_status == "blocked";
  auto [ok, failed] = TcpConnectCounts(tk);
  int http_ok = 0, http_failed = 0;
  auto rq = json::Field(tk, "requests");
  if (auto rq_array = rq ? json::AsArray(*rq) : std::nullopt) {
    for (Element e : *rq_array) {
      auto o = json::AsObject(e);
      if (!o) continue;
      auto req = FieldObject(*o, "request");
      auto url = req ? json::StringField(*req, "url") : std::nullopt;
      if (!url) {
        s.accuracy = 0;
        s.why = "No verdict: a Telegram request has no URL (probe bug).";
        return s;
      }
      if (*url == "https://web.telegram.org/" || *url == "http://web.telegram.org/") continue;
      auto f = json::Field(*o, "failure");
      if (f && !f->is_null()) ++http_failed;
      else ++http_ok;
    }
  }
  double tcp_part = ok + failed > 0 ? double(failed) / double(ok + failed) : 0.5;
  double http_part = http_ok + http_failed > 0 ? double(http_failed) / double(http_ok + http_failed) : 0.5;
  s.blocking = tcp_part + http_part + (web_blocked ? 1.0 : 0.0);
  s.why = fmt::format("Telegram: {}/{} data-centre connections failed, {}/{} HTTP requests failed, Telegram Web {} (OONI scores above 0.5 as an anomaly: {:.2f}).",
                      failed, ok + failed, http_failed, http_ok + http_failed,
                      web_status ? std::string(*web_status) : std::string("not tested"), s.blocking);
  return s;
}

Score FacebookMessenger(Object tk) {
  Score s;
  static const char* kConsistency[] = {
      "facebook_b_api_dns_consistent", "facebook_b_api_reachable",
      "facebook_b_graph_dns_consistent", "facebook_b_graph_reachable",
      "facebook_edge_dns_consistent", "facebook_edge_reachable",
      "facebook_external_cdn_dns_consistent", "facebook_external_cdn_reachable",
      "facebook_scontent_cdn_dns_consistent", "facebook_scontent_cdn_reachable",
      "facebook_star_dns_consistent", "facebook_star_reachable", "facebook_stun_dns_consistent"};
  static const char* kAnomaly[] = {"facebook_tcp_blocking", "facebook_dns_blocking"};
  static const char* kTrues[] = {
      "facebook_b_api_dns_consistent", "facebook_b_api_reachable", "facebook_b_graph_dns_consistent",
      "facebook_b_graph_reachable", "facebook_dns_blocking", "facebook_edge_dns_consistent",
      "facebook_edge_reachable", "facebook_star_dns_consistent", "facebook_star_reachable",
      "facebook_stun_dns_consistent"};
  auto value = [&](const char* key) -> std::optional<bool> {
    auto e = json::Field(tk, key);
    return e ? json::AsBool(*e) : std::nullopt;
  };
  // OONI's workaround for probes that set facebook_dns_blocking with everything reachable.
  bool all_true = true;
  for (const char* k : kTrues) all_true = all_true && value(k).value_or(false);
  auto tcp_blocking = value("facebook_tcp_blocking");
  if (all_true && tcp_blocking && !*tcp_blocking) {
    s.why = "Facebook Messenger: every endpoint resolved consistently and was reachable.";
    return s;
  }
  std::vector<std::string> bad;
  for (const char* k : kConsistency) {
    auto v = value(k);
    if (v && !*v) {
      s.blocking += 0.5;
      bad.push_back(k);
    }
  }
  for (const char* k : kAnomaly) {
    auto v = value(k);
    if (v && *v) {
      s.blocking += 0.5;
      bad.push_back(k);
    }
  }
  s.why = bad.empty() ? std::string("Facebook Messenger: no endpoint was inconsistent or unreachable.")
                      : fmt::format("Facebook Messenger: {} (score {:.1f}; OONI counts above 0.5 as an anomaly).",
                                    fmt::join(bad, ", "), s.blocking);
  return s;
}

// The values of header `name` (any case) in a response's header map, decoded (they may be
// binary values, df-001-httpt). `path` names the response in an error.
Result<std::vector<std::string>> HeaderValues(Object response, std::string_view name, const std::string& path) {
  std::vector<std::string> out;
  auto lower_eq = [&](std::string_view a) {
    if (a.size() != name.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(name[i]))) return false;
    }
    return true;
  };
  auto one = [&](std::string_view key, Element v) -> Result<bool> {
    if (v.is_null()) return true;
    auto bytes = measure::DecodeMaybeBinary(v);
    if (!bytes) return Fail(bytes.error().failure, fmt::format("{}.headers: header \"{}\": {}", path, key, bytes.error().message));
    out.push_back(std::move(*bytes));
    return true;
  };
  if (auto h = FieldObject(response, "headers")) {
    for (auto [k, v] : *h) {
      if (!lower_eq(k)) continue;
      if (auto a = json::AsArray(v)) {
        for (Element e : *a) {
          if (auto r = one(k, e); !r) return tl::unexpected(r.error());
        }
      } else if (auto r = one(k, v); !r) {
        return tl::unexpected(r.error());
      }
    }
  }
  return out;
}

// A score that gives no verdict because a value of the measurement cannot be read.
Score Unreadable(const Error& e) {
  Score s;
  s.accuracy = 0;
  s.why = fmt::format("No verdict: {}.", e.message);
  return s;
}

Score Whatsapp(Object tk) {
  Score s;
  if (HasUnknownFailure(tk)) s.accuracy = 0;
  auto wf = json::StringField(tk, "whatsapp_web_failure");
  if (wf && wf->find("unknown_failure 'ascii' co") != std::string_view::npos) {
    s.accuracy = 0;
    s.why = "No verdict: the probe hit a known encoding bug.";
    return s;
  }
  auto rq = json::Field(tk, "requests");
  auto arr = rq ? json::AsArray(*rq) : std::nullopt;
  if (!arr || arr->size() == 0) {
    s.accuracy = 0;
    s.why = "No verdict: the WhatsApp measurement has no HTTP requests.";
    return s;
  }
  std::optional<bool> web, registration;
  size_t index = 0;
  for (Element e : *arr) {
    const size_t i = index++;
    auto o = json::AsObject(e);
    if (!o) continue;
    auto req = FieldObject(*o, "request");
    auto url = req ? json::StringField(*req, "url") : std::nullopt;
    if (!url) continue;
    auto f = json::Field(*o, "failure");
    bool failed = f && !f->is_null() && !(json::AsString(*f) && json::AsString(*f)->empty()) &&
                  !(json::AsBool(*f) && !*json::AsBool(*f));
    if (*url == "https://web.whatsapp.com/") {
      web = !failed;
    } else if (*url == "http://web.whatsapp.com/") {
      web = !failed;
      if (!failed) {
        auto resp = FieldObject(*o, "response");
        auto code = resp ? json::Field(*resp, "code") : std::nullopt;
        auto c = code ? json::AsInt(*code) : std::nullopt;
        auto locations = resp ? HeaderValues(*resp, "location", fmt::format("test_keys.requests[{}].response", i))
                              : std::vector<std::string>{};
        if (!locations) return Unreadable(locations.error());
        if (c.value_or(0) != 302) web = false;
        else if (std::find(locations->begin(), locations->end(), "https://web.whatsapp.com/") == locations->end())
          web = false;
      }
    } else if (*url == "https://v.whatsapp.net/v2/register") {
      registration = !(f && !f->is_null());
    }
  }
  if (!web || !registration) {
    s.accuracy = 0;
    s.why = "No verdict: the measurement lacks the WhatsApp Web or registration-server request.";
    return s;
  }
  if (!*web || !*registration) {
    s.blocking = 1.0;
    s.why = fmt::format("WhatsApp blocked: {}{}{}.", !*web ? "WhatsApp Web was not reachable" : "",
                        !*web && !*registration ? " and " : "",
                        !*registration ? "the registration server was not reachable" : "");
    return s;
  }
  auto [ok, failed] = TcpConnectCounts(tk);
  if (ok == 0 && failed == 0) {
    s.accuracy = 0;
    s.why = "No verdict: no WhatsApp endpoint connection was recorded.";
  } else if (ok > 0) {
    s.why = fmt::format("WhatsApp accessible: the web app and registration server answered and {} of {} endpoints connected.",
                        ok, ok + failed);
  } else {
    s.blocking = 1.0;
    s.why = fmt::format("WhatsApp blocked: all {} endpoint connections failed.", failed);
  }
  return s;
}

Score Signal(Object tk) {
  Score s;
  auto fo = json::Field(tk, "failed_operation");
  auto fa = json::Field(tk, "failure");
  if (!fo || !fo->is_null() || !fa || !fa->is_null()) s.accuracy = 0;
  auto st = json::StringField(tk, "signal_backend_status");
  if (st && *st == "ok") {
    s.why = "Signal accessible: the backend answered.";
  } else if (st && *st == "blocked") {
    s.blocking = 1.0;
    auto sbf = json::StringField(tk, "signal_backend_failure");
    s.why = fmt::format("Signal blocked: the backend could not be reached ({}).", sbf ? *sbf : "no detail");
  } else {
    s.accuracy = 0;
    s.why = "No verdict: the Signal measurement has no backend status.";
  }
  if (s.accuracy < 0.5 && st && *st == "ok") s.why += " The probe also reported a failure, so OONI marks it failed.";
  return s;
}

Score Tor(Object tk) {
  Score s;
  auto targets = json::Field(tk, "targets");
  auto to = targets ? json::AsObject(*targets) : std::nullopt;
  if (!to || to->size() == 0) {
    s.accuracy = 0;
    s.why = "No verdict: the Tor measurement has no targets.";
    return s;
  }
  int blocked = 0, ok = 0;
  for (auto [name, val] : *to) {
    auto o = json::AsObject(val);
    if (!o || !json::Field(*o, "failure") || !json::Field(*o, "network_events")) {
      s.accuracy = 0;
      s.why = "No verdict: a Tor target lacks its failure or network events.";
      return s;
    }
    Element f = *json::Field(*o, "failure");
    if (f.is_null()) ++ok;
    else if (auto b = json::AsBool(f); b && !*b) continue;  // did not run
    else ++blocked;
  }
  if (blocked + ok == 0) {
    s.accuracy = 0;
    s.why = "No verdict: no Tor target was tested.";
    return s;
  }
  s.blocking = double(blocked) / double(blocked + ok);
  s.why = fmt::format("Tor: {} of {} directory authorities and bridges failed.", blocked, blocked + ok);
  return s;
}

Score VanillaTor(Object root, Object tk) {
  Score s;
  auto log = json::StringField(tk, "tor_log");
  if (!log) {
    auto sw = json::StringField(root, "software_name");
    s.why = sw && *sw == "ooniprobe" ? "No verdict: the probe recorded no Tor log (probe bug)."
                                     : "No verdict: the measurement has no Tor log.";
    return s;
  }
  if (log->find("Bootstrapped 100%: Done") != std::string_view::npos ||
      log->find("Bootstrapped 100% (done): Done") != std::string_view::npos) {
    s.why = "Tor accessible: the client bootstrapped to 100%.";
    return s;
  }
  double progress = 0;
  if (auto p = json::Field(tk, "tor_progress")) progress = json::AsDouble(*p).value_or(0);
  progress = std::min(100.0, std::max(0.0, progress));
  s.blocking = 1.0 - progress * 0.004;
  s.why = fmt::format("Tor: the client bootstrapped only to {:.0f}% (score {:.2f}).", progress, s.blocking);
  return s;
}

Score HeaderFieldManipulation(Object tk) {
  Score s;
  auto rq = json::Field(tk, "requests");
  auto arr = rq ? json::AsArray(*rq) : std::nullopt;
  if (!arr || arr->size() == 0) {
    s.accuracy = 0;
    s.why = "No verdict: no request was recorded.";
    return s;
  }
  auto first = json::AsObject(arr->at(0).value_unsafe());
  auto resp_e = first ? json::Field(*first, "response") : std::nullopt;
  if (!resp_e || resp_e->is_null()) {
    s.accuracy = 0;
    s.why = "No verdict: the request got no response.";
    return s;
  }
  auto resp = json::AsObject(*resp_e);
  auto body_e = resp ? json::Field(*resp, "body") : std::nullopt;
  if (!body_e || body_e->is_null()) {
    s.blocking = 1.0;
    s.why = "Middlebox: the response to the header test had no body (total tampering).";
    return s;
  }
  // A string or a binary value (df-001-httpt).
  auto body = measure::DecodeMaybeBinary(*body_e);
  if (!body) {
    return Unreadable(Error{body.error().failure, "test_keys.requests[0].response.body: " + body.error().message});
  }
  simdjson::dom::parser parser;
  Element doc;
  Object headers_dict;
  if (parser.parse(body->data(), body->size()).get(doc) != simdjson::SUCCESS ||
      doc.at_key("headers_dict").get_object().get(headers_dict) != simdjson::SUCCESS) {
    s.blocking = 1.0;
    s.why = "Middlebox: the echo server's reply was altered (malformed header echo).";
    return s;
  }
  std::set<std::pair<std::string, std::string>> received, sent;
  for (auto [k, v] : headers_dict) {
    auto a = json::AsArray(v);
    if (a && a->size() > 0) {
      if (auto str = json::AsString(a->at(0).value_unsafe())) received.emplace(std::string(k), std::string(*str));
    }
  }
  auto req = FieldObject(*first, "request");
  if (auto h = req ? FieldObject(*req, "headers") : std::nullopt) {
    for (auto [k, v] : *h) {
      if (v.is_null()) continue;
      auto value = measure::DecodeMaybeBinary(v);
      if (!value) {
        return Unreadable(Error{value.error().failure, fmt::format("test_keys.requests[0].request.headers: header \"{}\": {}",
                                                                   k, value.error().message)});
      }
      sent.emplace(std::string(k), std::move(*value));
    }
  }
  received.erase({"Connection", "close"});
  sent.erase({"Connection", "close"});
  if (received == sent) {
    s.why = "No middlebox seen: the headers arrived exactly as sent.";
    return s;
  }
  size_t changed = 0;
  for (const auto& h : sent) changed += received.count(h) ? 0u : 1u;
  for (const auto& h : received) changed += sent.count(h) ? 0u : 1u;
  s.blocking = 1.1;
  s.why = fmt::format("Middlebox: {} header change(s) between what the probe sent and what the server received.", changed);
  return s;
}

Score InvalidRequestLine(Object tk) {
  Score s;
  auto sent = json::Field(tk, "sent");
  auto received = json::Field(tk, "received");
  auto sa = sent ? json::AsArray(*sent) : std::nullopt;
  auto ra = received ? json::AsArray(*received) : std::nullopt;
  size_t ns = sa ? sa->size() : 0, nr = ra ? ra->size() : 0;
  if (ns == 0 && nr == 0) {
    s.accuracy = 0;
    s.why = "No verdict: nothing was sent or received.";
    return s;
  }
  size_t n = std::min(ns, nr);
  size_t differ = 0;
  // A line is a string, or a binary value when the bytes were not UTF-8 (ts-007): compared
  // as bytes. Other shapes are compared as JSON.
  auto bytes = [](json::Element v, const char* key, size_t i) -> Result<std::optional<std::string>> {
    if (!v.is_string() && !measure::LooksBinary(v)) return std::optional<std::string>();
    auto b = measure::DecodeMaybeBinary(v);
    if (!b) return Fail(b.error().failure, fmt::format("test_keys.{}[{}]: {}", key, i, b.error().message));
    return std::optional<std::string>(std::move(*b));
  };
  for (size_t i = 0; i < n; ++i) {
    json::Element sv = sa->at(i).value_unsafe(), rv = ra->at(i).value_unsafe();
    auto sb = bytes(sv, "sent", i);
    if (!sb) return Unreadable(sb.error());
    auto rb = bytes(rv, "received", i);
    if (!rb) return Unreadable(rb.error());
    if (*sb && *rb) differ += **sb != **rb ? 1u : 0u;
    else differ += json::Minify(sv) != json::Minify(rv) ? 1u : 0u;
  }
  if (differ > 0) {
    s.blocking = 1.0;
    s.why = fmt::format("Middlebox: {} of {} invalid request lines came back altered.", differ, n);
  } else {
    s.why = fmt::format("No middlebox seen: all {} invalid request lines came back unchanged.", n);
  }
  return s;
}

}  // namespace

bool IsScoredTest(std::string_view t) {
  return t == "whatsapp" || t == "telegram" || t == "facebook_messenger" || t == "signal" ||
         t == "tor" || t == "vanilla_tor" || t == "http_header_field_manipulation" ||
         t == "http_invalid_request_line";
}

Verdict ScoreOtherTest(std::string_view test_name, Object root) {
  if (!IsScoredTest(test_name)) {
    Verdict v;
    v.why = fmt::format("No verdict: Vigil has no scoring rule for the '{}' test.", test_name);
    return v;
  }
  auto tk = Keys(root);
  if (!tk) {
    Verdict v;
    v.failure = true;
    v.anomaly = false;
    v.confirmed = false;
    v.why = "No verdict: the measurement has no test keys.";
    return v;
  }
  Score s;
  if (test_name == "telegram") s = Telegram(*tk);
  else if (test_name == "facebook_messenger") s = FacebookMessenger(*tk);
  else if (test_name == "whatsapp") s = Whatsapp(*tk);
  else if (test_name == "signal") s = Signal(*tk);
  else if (test_name == "tor") s = Tor(*tk);
  else if (test_name == "vanilla_tor") s = VanillaTor(root, *tk);
  else if (test_name == "http_header_field_manipulation") s = HeaderFieldManipulation(*tk);
  else s = InvalidRequestLine(*tk);
  return ToVerdict(s);
}

}  // namespace vigil::analysis
