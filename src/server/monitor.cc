#include "server/monitor.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/json_writer.h"
#include "core/time_format.h"
#include "server/signals.h"

namespace vigil::server {
namespace {

using std::chrono::seconds;

bool IsOutageKind(const std::string& k) { return k == "full" || k == "regional" || k == "mobile"; }

std::string DetailJson(const disruption::FusedEvent& f) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("datasources").BeginArray();
  for (const auto& d : f.datasources) w.String(d);
  w.EndArray().EndObject();
  return out;
}

bool Overlap(const store::DisruptionEvent& s, const disruption::FusedEvent& d) {
  const bool a = !d.end || s.start <= std::chrono::floor<seconds>(*d.end);
  const bool b = !s.end || std::chrono::floor<seconds>(d.start) <= *s.end;
  return a && b;
}

}  // namespace

std::string EventJson(const store::DisruptionEvent& e) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("id").Int(e.id);
  w.Key("entity_type").String(e.entity_type);
  w.Key("entity_code").String(e.entity_code);
  w.Key("kind").String(e.kind);
  w.Key("start").String(FormatIsoTime(e.start));
  w.Key("end");
  if (e.end) {
    w.String(FormatIsoTime(*e.end));
  } else {
    w.Null();
  }
  w.Key("ongoing").Bool(!e.end);
  w.Key("score").Double(e.score);
  w.Key("detail").Raw(e.detail_json.empty() ? "{}" : e.detail_json);
  w.Key("updated_at").String(FormatIsoTime(e.updated_at));
  w.EndObject();
  return out;
}

DisruptionMonitor::DisruptionMonitor(store::Store& store, const Clock& clock, MonitorOptions options,
                                     WebhookPoster poster)
    : store_(store), clock_(clock), options_(std::move(options)), poster_(std::move(poster)) {}

DisruptionMonitor::~DisruptionMonitor() { Stop(); }

Result<void> DisruptionMonitor::Queue(const store::DisruptionEvent& e, const char* transition, store::Seconds now) {
  for (const auto& url : options_.webhooks) {
    std::string payload;
    JsonWriter w(payload);
    w.BeginObject()
        .Key("type").String(fmt::format("vigil.event.{}", transition))
        .Key("event").Raw(EventJson(e))
        .EndObject();
    auto r = store_.EnqueueDelivery({0, e.id, transition, url, std::move(payload), 0, now, std::nullopt});
    if (!r) return tl::unexpected(r.error());
  }
  return {};
}

Result<void> DisruptionMonitor::DetectEntity(const std::string& type, const std::string& code, store::Seconds now,
                                             const std::vector<std::string>& outaged_asns, DetectStats& stats) {
  store::EventFilter open;
  open.entity_type = type;
  open.entity_code = code;
  open.open_only = true;
  auto ongoing = store_.ListEvents(open);
  if (!ongoing) return tl::unexpected(ongoing.error());
  store::Seconds from = now - options_.lookback;
  for (const auto& e : *ongoing) from = std::min(from, e.start - options_.lookback);
  from = std::chrono::floor<std::chrono::days>(from);  // stable bins from run to run
  auto signals = EntitySignals(store_, type, code, from, now, options_.step);
  if (!signals) return tl::unexpected(signals.error());
  ++stats.entities;
  if (signals->empty()) return {};
  const auto detected = disruption::Fuse(type, code, *signals, options_.fusion, outaged_asns);
  store::EventFilter known;
  known.entity_type = type;
  known.entity_code = code;
  known.since = from;
  known.limit = 10000;
  auto stored = store_.ListEvents(known);
  if (!stored) return tl::unexpected(stored.error());
  for (const auto& d : detected) {
    store::DisruptionEvent e;
    auto it = std::find_if(stored->begin(), stored->end(), [&](const store::DisruptionEvent& s) {
      return s.kind == d.kind && Overlap(s, d);
    });
    const bool is_new = it == stored->end();
    if (!is_new) e = *it;
    const bool was_open = !is_new && !e.end;
    store::DisruptionEvent next = e;
    next.entity_type = type;
    next.entity_code = code;
    next.kind = d.kind;
    next.start = is_new ? std::chrono::floor<seconds>(d.start) : std::min(e.start, std::chrono::floor<seconds>(d.start));
    next.end = d.end ? std::optional<store::Seconds>(std::chrono::floor<seconds>(*d.end)) : std::nullopt;
    next.score = d.score;
    next.detail_json = DetailJson(d);
    const bool changed = is_new || next.start != e.start || next.end != e.end || next.detail_json != e.detail_json ||
                         std::abs(next.score - e.score) > 1e-9;
    if (!changed) continue;
    next.updated_at = now;
    auto id = store_.SaveEvent(next);
    if (!id) return tl::unexpected(id.error());
    next.id = *id;
    if (is_new) {
      ++stats.started;
      spdlog::info("disruption: {} {} {} started {}", type, code, next.kind, FormatIsoTime(next.start));
      if (auto q = Queue(next, "start", now); !q) return q;
    } else {
      ++stats.updated;
    }
    if (next.end && (is_new || was_open)) {
      ++stats.ended;
      spdlog::info("disruption: {} {} {} ended {}", type, code, next.kind, FormatIsoTime(*next.end));
      if (auto q = Queue(next, "end", now); !q) return q;
    }
    if (is_new) stored->push_back(next);
  }
  return {};
}

Result<DetectStats> DisruptionMonitor::DetectOnce() {
  const store::Seconds now = std::chrono::floor<seconds>(clock_.WallNow());
  DetectStats stats;
  std::set<std::pair<std::string, std::string>> entities;
  auto sig = store_.ListSignalEntities();
  if (!sig) return tl::unexpected(sig.error());
  entities.insert(sig->begin(), sig->end());
  auto probes = store_.ListWatchProbes();
  if (!probes) return tl::unexpected(probes.error());
  std::map<std::string, std::set<std::string>> asns_of_country;
  for (const auto& p : *probes) {
    if (p.cc != "ZZ") entities.emplace("country", p.cc);
    if (p.asn != 0) {
      entities.emplace("asn", fmt::format("AS{}", p.asn));
      if (p.cc != "ZZ") asns_of_country[p.cc].insert(fmt::format("AS{}", p.asn));
    }
    if (!p.region.empty()) entities.emplace("region", p.region);
  }
  for (auto axis : {store::Axis::kProbeCc, store::Axis::kProbeAsn}) {
    store::AggregationRequest a;
    a.axis_x = axis;
    a.filter.since = now - options_.lookback;
    auto rows = store_.Aggregate(a);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) {
      if (row.x.empty() || row.x == "ZZ" || row.x == "AS0") continue;
      entities.emplace(axis == store::Axis::kProbeCc ? "country" : "asn", row.x);
    }
  }
  // ASNs and regions first, so that a country knows which of its ASNs are down.
  auto rank = [](const std::string& t) { return t == "country" ? 1 : 0; };
  std::vector<std::pair<std::string, std::string>> ordered(entities.begin(), entities.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [&](const auto& a, const auto& b) { return rank(a.first) < rank(b.first); });
  for (const auto& [type, code] : ordered) {
    std::vector<std::string> outaged;
    if (type == "country") {
      for (const auto& asn : asns_of_country[code]) {
        store::EventFilter f;
        f.entity_type = "asn";
        f.entity_code = asn;
        f.open_only = true;
        auto open = store_.ListEvents(f);
        if (!open) return tl::unexpected(open.error());
        if (std::any_of(open->begin(), open->end(), [](const auto& e) { return IsOutageKind(e.kind); })) {
          outaged.push_back(asn);
        }
      }
    }
    if (auto r = DetectEntity(type, code, now, outaged, stats); !r) {
      spdlog::warn("disruption: {} {}: {}", type, code, r.error().ToString());
    }
  }
  return stats;
}

Result<int> DisruptionMonitor::DeliverDue() {
  const store::Seconds now = std::chrono::floor<seconds>(clock_.WallNow());
  auto due = store_.PendingDeliveries(now, 50);
  if (!due) return tl::unexpected(due.error());
  int delivered = 0;
  for (const auto& d : *due) {
    auto claimed = store_.ClaimDelivery(d.id, now, now + seconds(120));
    if (!claimed) return tl::unexpected(claimed.error());
    if (!*claimed) continue;
    auto status = poster_ ? poster_(d.url, d.payload, {fmt::format("X-Vigil-Delivery: {}", d.id),
                                                       fmt::format("X-Vigil-Event: {}", d.transition)})
                          : Result<int>(Fail("unavailable", "no webhook sender"));
    const bool ok = status && *status >= 200 && *status < 300;
    std::optional<store::Seconds> next;
    if (!ok) {
      const int attempt = d.attempts + 1;
      if (attempt < options_.max_attempts) {
        next = now + std::min<seconds>(seconds(30) * (1 << std::min(attempt - 1, 10)), std::chrono::hours(1));
      }
      spdlog::warn("webhook {} to {}: {}{}", d.id, d.url,
                   status ? fmt::format("HTTP {}", *status) : status.error().ToString(),
                   next ? "; will retry" : "; giving up");
    }
    if (auto r = store_.RecordDeliveryAttempt(d.id, ok, now, next); !r) return tl::unexpected(r.error());
    if (ok) ++delivered;
  }
  return delivered;
}

void DisruptionMonitor::Start() {
  if (thread_.joinable() || options_.every.count() <= 0) return;
  thread_ = std::thread([this] {
    auto next_detect = std::chrono::steady_clock::now();
    std::unique_lock lock(mu_);
    while (!stop_) {
      if (std::chrono::steady_clock::now() >= next_detect) {
        lock.unlock();
        if (auto r = DetectOnce(); !r) spdlog::warn("disruption detection: {}", r.error().ToString());
        lock.lock();
        next_detect = std::chrono::steady_clock::now() + options_.every;
      }
      if (!options_.webhooks.empty()) {
        lock.unlock();
        if (auto r = DeliverDue(); !r) spdlog::warn("webhooks: {}", r.error().ToString());
        lock.lock();
      }
      cv_.wait_for(lock, std::chrono::seconds(2), [this] { return stop_; });
    }
  });
}

void DisruptionMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace vigil::server
