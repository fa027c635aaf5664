#include "server/disruption_api.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "core/json_writer.h"
#include "core/time_format.h"
#include "server/monitor.h"
#include "server/signals.h"
#include "watch/journal_verify.h"

namespace vigil::server {
namespace {

using net::HttpServerResponse;
using std::chrono::seconds;
namespace dom = simdjson::dom;

HttpServerResponse BadRequest(std::string_view message, std::string_view parameter = {}) {
  HttpServerResponse r;
  r.status = 400;
  JsonWriter w(r.body);
  w.BeginObject().Key("error").String(message);
  if (!parameter.empty()) w.Key("parameter").String(parameter);
  w.EndObject();
  return r;
}

HttpServerResponse StoreFailure(const Error& e) {
  if (e.failure == "invalid_argument") return BadRequest(e.message);
  if (e.failure == "conflict") return net::JsonError(409, e.message);
  spdlog::error("store: {}", e.ToString());
  return net::JsonError(503, "the store is unavailable; retry later");
}

HttpServerResponse FromError(const Error& e) {
  if (e.failure == "invalid_parameter") {
    auto colon = e.message.find(':');
    return BadRequest(e.message, colon == std::string::npos ? "" : std::string_view(e.message).substr(0, colon));
  }
  return StoreFailure(e);
}

store::Seconds Now(const Clock& clock) { return std::chrono::floor<seconds>(clock.WallNow()); }

// Unix seconds (number or digits) or an ISO 8601 / OONI time.
std::optional<store::Seconds> TimeFrom(std::string_view s) {
  if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) && s.size() < 12) {
    return store::Seconds(seconds(std::stoll(std::string(s))));
  }
  auto t = ParseTime(s);
  if (!t) return std::nullopt;
  return std::chrono::floor<seconds>(*t);
}

std::optional<store::Seconds> TimeFrom(dom::element e) {
  int64_t n;
  if (e.get_int64().get(n) == simdjson::SUCCESS) return store::Seconds(seconds(n));
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) return TimeFrom(s);
  return std::nullopt;
}

const std::string* Param(const QueryParams& q, std::string_view name) {
  auto it = q.find(name);
  return it == q.end() || it->second.empty() ? nullptr : &it->second;
}

bool ValidCode(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

bool IsDerived(std::string_view ds) {
  const auto& d = DerivedDatasources();
  return std::find(d.begin(), d.end(), ds) != d.end();
}

}  // namespace

HttpServerResponse DisruptionApi::PostSignals(std::string_view body) {
  dom::parser parser;
  dom::object top;
  if (parser.parse(body.data(), body.size()).get_object().get(top) != simdjson::SUCCESS) {
    return BadRequest("the body must be a JSON object {\"points\": [...]}");
  }
  dom::array arr;
  if (top["points"].get_array().get(arr) != simdjson::SUCCESS) return BadRequest("points: must be an array");
  if (arr.size() > kMaxPoints) return BadRequest(fmt::format("points: at most {} per request", kMaxPoints));
  std::vector<store::SignalPoint> points;
  size_t i = 0;
  for (dom::element el : arr) {
    auto bad = [&](std::string_view why) { return BadRequest(fmt::format("points[{}]: {}", i, why)); };
    dom::object o;
    if (el.get_object().get(o) != simdjson::SUCCESS) return bad("must be an object");
    store::SignalPoint p;
    std::string_view sv;
    if (o["entity_type"].get_string().get(sv) != simdjson::SUCCESS) return bad("entity_type is required");
    p.entity_type = std::string(sv);
    if (o["entity_code"].get_string().get(sv) != simdjson::SUCCESS || !ValidCode(sv)) {
      return bad("entity_code is required (letters, digits, - _ .)");
    }
    p.entity_code = std::string(sv);
    if (o["datasource"].get_string().get(sv) != simdjson::SUCCESS || !ValidCode(sv)) {
      return bad("datasource is required (letters, digits, - _ .)");
    }
    if (IsDerived(sv)) return bad(fmt::format("datasource {} is computed by the server", sv));
    p.datasource = std::string(sv);
    dom::element t;
    if (o["time"].get(t) != simdjson::SUCCESS) return bad("time is required");
    auto when = TimeFrom(t);
    if (!when) return bad("time must be unix seconds or an ISO 8601 UTC time");
    p.time = *when;
    int64_t step = 300;
    dom::element st;
    if (o["step"].get(st) == simdjson::SUCCESS && st.get_int64().get(step) != simdjson::SUCCESS) {
      return bad("step must be an integer number of seconds");
    }
    if (step <= 0 || step > 7 * 86400) return bad("step must be 1 s to 7 days");
    p.step = static_cast<int32_t>(step);
    // (A missing field leaves the element empty: reading it would be undefined.)
    double v;
    dom::element ve;
    if (o["value"].get(ve) != simdjson::SUCCESS) return bad("value is required");
    if (ve.get_double().get(v) != simdjson::SUCCESS) return bad("value must be a number");  // integers too
    p.value = v;
    if (auto ok = store::ValidateSignalPoint(p); !ok) return bad(ok.error().message);
    points.push_back(std::move(p));
    ++i;
  }
  if (auto r = store_.PutSignals(points); !r) return StoreFailure(r.error());
  HttpServerResponse r;
  JsonWriter(r.body).BeginObject().Key("stored").Uint(points.size()).EndObject();
  return r;
}

HttpServerResponse DisruptionApi::GetSignals(std::string_view entity_type, std::string_view entity_code,
                                             const QueryParams& q) {
  if (entity_type != "country" && entity_type != "region" && entity_type != "asn") {
    return BadRequest("entity_type: must be country, region or asn", "entity_type");
  }
  if (!ValidCode(entity_code)) return BadRequest("entity_code: invalid", "entity_code");
  // By default up to now, this second included: a point stamped with the start of the bin
  // in progress (a prober's round that began this second) is part of the answer.
  const store::Seconds now = Now(clock_) + seconds(1);
  store::Seconds until = now, from = now - std::chrono::days(7);
  if (const auto* s = Param(q, "until")) {
    auto t = TimeFrom(*s);
    if (!t) return BadRequest("until: must be unix seconds or an ISO 8601 UTC time", "until");
    until = *t;
  }
  if (const auto* s = Param(q, "from")) {
    auto t = TimeFrom(*s);
    if (!t) return BadRequest("from: must be unix seconds or an ISO 8601 UTC time", "from");
    from = *t;
  } else {
    from = until - std::chrono::days(7);
  }
  seconds step{300};
  if (const auto* s = Param(q, "step")) {
    if (s->size() > 9 || !std::all_of(s->begin(), s->end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return BadRequest("step: must be a positive number of seconds", "step");
    }
    step = seconds(std::stoll(*s));
  }
  const std::string type(entity_type), code(entity_code);
  std::vector<std::pair<std::string, std::string>> wanted;  // datasource, subtype
  const std::string* subtype = Param(q, "subtype");
  if (const auto* src = Param(q, "source")) {
    wanted.emplace_back(*src, subtype ? *subtype : "");
  } else {
    auto pts = store_.GetSignals({type, code, std::nullopt, from, until});
    if (!pts) return StoreFailure(pts.error());
    std::set<std::string> stored;
    for (const auto& p : *pts) stored.insert(p.datasource);
    for (const auto& ds : stored) wanted.emplace_back(ds, "");
    wanted.emplace_back("watch-checkins", "");
    wanted.emplace_back("watch-online", "");
    if (type != "region") wanted.emplace_back("measurements", subtype ? *subtype : "");
  }
  HttpServerResponse r;
  JsonWriter w(r.body);
  w.BeginObject().Key("type").String("signals").Key("error").Null();
  w.Key("requestParameters").BeginObject()
      .Key("entityType").String(type)
      .Key("entityCode").String(code)
      .Key("from").Int(from.time_since_epoch().count())
      .Key("until").Int(until.time_since_epoch().count())
      .Key("step").Int(step.count())
      .EndObject();
  w.Key("data").BeginArray().BeginArray();
  for (const auto& [ds, sub] : wanted) {
    auto s = ComputeSignal(store_, {type, code, ds, sub, from, until, step});
    if (!s) return FromError(s.error());
    w.BeginObject();
    w.Key("entityType").String(type);
    w.Key("entityCode").String(code);
    w.Key("datasource").String(s->datasource);
    w.Key("subtype").String(s->subtype);
    w.Key("from").Int(std::chrono::floor<seconds>(s->series.start).time_since_epoch().count());
    w.Key("until").Int(std::chrono::floor<seconds>(s->series.End()).time_since_epoch().count());
    w.Key("step").Int(s->series.step.count());
    w.Key("nativeStep").Int(s->native_step.count());
    w.Key("values").BeginArray();
    for (double v : s->series.values) {
      if (std::isnan(v)) {
        w.Null();
      } else {
        w.Double(v);
      }
    }
    w.EndArray().EndObject();
  }
  w.EndArray().EndArray().EndObject();
  return r;
}

HttpServerResponse DisruptionApi::GetEvents(const QueryParams& q) {
  store::EventFilter f;
  if (const auto* s = Param(q, "entity_type")) {
    if (*s != "country" && *s != "region" && *s != "asn") {
      return BadRequest("entity_type: must be country, region or asn", "entity_type");
    }
    f.entity_type = *s;
  }
  if (const auto* s = Param(q, "entity_code")) {
    if (!ValidCode(*s)) return BadRequest("entity_code: invalid", "entity_code");
    f.entity_code = *s;
  }
  if (const auto* s = Param(q, "kind")) {
    static const std::set<std::string, std::less<>> kinds{"full", "regional", "mobile", "platform", "throttling",
                                                          "dns"};
    if (!kinds.count(*s)) return BadRequest("kind: must be full, regional, mobile, platform, throttling or dns", "kind");
    f.kind = *s;
  }
  for (const char* name : {"since", "until"}) {
    if (const auto* s = Param(q, name)) {
      auto t = TimeFrom(*s);
      if (!t) return BadRequest(fmt::format("{}: must be unix seconds or an ISO 8601 UTC time", name), name);
      (std::string_view(name) == "since" ? f.since : f.until) = *t;
    }
  }
  if (const auto* s = Param(q, "ongoing")) {
    if (*s != "true" && *s != "false") return BadRequest("ongoing: must be true or false", "ongoing");
    f.open_only = *s == "true";
  }
  if (const auto* s = Param(q, "limit")) {
    if (s->size() > 5 || !std::all_of(s->begin(), s->end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(*s) < 1 || std::stoi(*s) > 10000) {
      return BadRequest("limit: must be 1 to 10000", "limit");
    }
    f.limit = static_cast<uint32_t>(std::stoi(*s));
  }
  auto events = store_.ListEvents(f);
  if (!events) return StoreFailure(events.error());
  HttpServerResponse r;
  JsonWriter w(r.body);
  w.BeginObject().Key("metadata").BeginObject().Key("count").Uint(events->size()).EndObject();
  w.Key("results").BeginArray();
  for (const auto& e : *events) w.Raw(EventJson(e));
  w.EndArray().EndObject();
  return r;
}

HttpServerResponse DisruptionApi::Checkin(std::string_view body) {
  dom::parser parser;
  dom::object o;
  if (parser.parse(body.data(), body.size()).get_object().get(o) != simdjson::SUCCESS) {
    return BadRequest("the body must be a JSON object");
  }
  std::string_view key, state, cc = "ZZ", asn = "AS0", region;
  if (o["probe_key"].get_string().get(key) != simdjson::SUCCESS) return BadRequest("probe_key: required");
  unsigned char raw[32];
  if (key.size() != 64 || !watch::FromHex(key, raw, sizeof raw)) {
    return BadRequest("probe_key: must be 64 hex digits (an ed25519 public key)");
  }
  if (o["state"].get_string().get(state) != simdjson::SUCCESS || !ValidCode(state)) {
    return BadRequest("state: required");
  }
  // Optional fields: absent ones keep their defaults.
  for (auto [name, out] : {std::pair{"cc", &cc}, std::pair{"asn", &asn}, std::pair{"region", &region}}) {
    std::string_view v;
    if (o[name].get_string().get(v) == simdjson::SUCCESS) *out = v;
  }
  auto asn_n = store::ParseAsn(asn);
  if (!asn_n) return BadRequest("asn: must look like AS30987");
  if (!region.empty() && !ValidCode(region)) return BadRequest("region: letters, digits, - _ . only");
  // The server's clock dates the check-in: it is the moment the probe was reachable.
  store::WatchCheckin c{std::string(key), std::string(cc), *asn_n, std::string(region), Now(clock_),
                        std::string(state)};
  if (auto v = store::ValidateCheckin(c); !v) return BadRequest(v.error().message);
  auto last = store_.RecordCheckin(c);
  if (!last) return StoreFailure(last.error());
  HttpServerResponse r;
  JsonWriter(r.body).BeginObject().Key("last_seq").Int(*last).EndObject();
  return r;
}

HttpServerResponse DisruptionApi::Journal(std::string_view body) {
  dom::parser parser;
  dom::object o;
  if (parser.parse(body.data(), body.size()).get_object().get(o) != simdjson::SUCCESS) {
    return BadRequest("the body must be a JSON object {\"probe_key\", \"entries\"}");
  }
  std::string_view key;
  if (o["probe_key"].get_string().get(key) != simdjson::SUCCESS || key.size() != 64) {
    return BadRequest("probe_key: must be 64 hex digits");
  }
  dom::array arr;
  if (o["entries"].get_array().get(arr) != simdjson::SUCCESS) return BadRequest("entries: must be an array");
  if (arr.size() > kMaxEntries) return BadRequest(fmt::format("entries: at most {} per request", kMaxEntries));
  auto last = store_.LastWatchEntry(key);
  if (!last) return StoreFailure(last.error());
  watch::ChainTip tip;
  if (*last) {
    tip.seq = (*last)->seq;
    tip.hash = (*last)->hash;
  }
  std::vector<store::WatchEntry> entries;
  size_t i = 0;
  for (dom::element el : arr) {
    watch::JournalRecord rec;
    std::string_view entry, hash, sig;
    if (el["entry"].get_string().get(entry) != simdjson::SUCCESS ||
        el["hash"].get_string().get(hash) != simdjson::SUCCESS ||
        el["signature"].get_string().get(sig) != simdjson::SUCCESS) {
      return BadRequest(fmt::format("entries[{}]: entry, hash and signature are required strings", i));
    }
    rec.entry = std::string(entry);
    rec.hash = std::string(hash);
    rec.signature = std::string(sig);
    auto fields = watch::VerifyRecord(rec);
    if (!fields) {
      return BadRequest(fmt::format("entries[{}]: {} ({})", i, fields.error().message, fields.error().failure));
    }
    if (fields->probe_key != key) return BadRequest(fmt::format("entries[{}]: signed by another probe key", i));
    if (fields->seq > tip.seq) {
      auto next = watch::VerifyNext(rec, key, tip);
      if (!next) {
        return BadRequest(fmt::format("entries[{}] (seq {}): {} ({})", i, fields->seq, next.error().message,
                                      next.error().failure));
      }
      tip.seq = fields->seq;
      tip.hash = rec.hash;
    }
    auto t = ParseTime(fields->time);
    if (!t) return BadRequest(fmt::format("entries[{}]: bad time", i));
    entries.push_back({std::string(key), fields->seq, std::chrono::floor<seconds>(*t), fields->kind, fields->state,
                       std::move(rec.entry), std::move(rec.hash), std::move(rec.signature)});
    ++i;
  }
  auto put = store_.PutWatchEntries(entries);
  if (!put) return StoreFailure(put.error());
  HttpServerResponse r;
  JsonWriter(r.body).BeginObject()
      .Key("accepted").Int(put->accepted)
      .Key("duplicates").Int(put->duplicates)
      .Key("last_seq").Int(tip.seq)
      .EndObject();
  return r;
}

}  // namespace vigil::server
