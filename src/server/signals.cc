#include "server/signals.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/time_format.h"

namespace vigil::server {
namespace {

using std::chrono::seconds;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// A probe whose latest record is older than this at a bin's end is not counted.
constexpr seconds kStale = std::chrono::hours(2);

tl::unexpected<Error> Bad(std::string_view param, std::string_view why) {
  return Fail("invalid_parameter", fmt::format("{}: {}", param, why));
}

disruption::Series EmptySeries(const SignalRequest& r, seconds step, store::Seconds start) {
  disruption::Series s;
  s.entity = r.entity_type + "/" + r.entity_code;
  s.start = start;
  s.step = step;
  const auto span = r.until - start;
  const auto n = span.count() <= 0 ? 0 : (span.count() + step.count() - 1) / step.count();
  s.values.assign(static_cast<size_t>(n), kNaN);
  return s;
}

bool ProbeMatches(const store::WatchProbe& p, const std::string& type, const std::string& code) {
  if (type == "country") return p.cc == code;
  if (type == "region") return !p.region.empty() && p.region == code;
  if (type == "asn") return fmt::format("AS{}", p.asn) == code;
  return false;
}

Result<SignalSeries> Stored(store::Store& store, const SignalRequest& r) {
  auto pts = store.GetSignals({r.entity_type, r.entity_code, r.datasource, r.from, r.until});
  if (!pts) return tl::unexpected(pts.error());
  seconds native = r.step;
  if (!pts->empty()) native = seconds(pts->front().step);
  const seconds step = std::max(r.step, native);
  SignalSeries out{r.datasource, r.subtype, native, EmptySeries(r, step, r.from)};
  std::vector<int> counts(out.series.size(), 0);
  for (const auto& p : *pts) {
    const auto i = static_cast<size_t>((p.time - r.from).count() / step.count());
    if (i >= out.series.size()) continue;
    double& v = out.series.values[i];
    v = counts[i] == 0 ? p.value : v + p.value;
    ++counts[i];
  }
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] > 1) out.series.values[i] /= counts[i];
  }
  return out;
}

// Time-ordered (time, state) records of each watching probe of the entity.
struct ProbeRecords {
  std::map<std::string, std::vector<std::pair<store::Seconds, std::string>>> by_probe;
  std::map<std::string, std::vector<store::Seconds>> checkins;
};

Result<ProbeRecords> LoadWatch(store::Store& store, const SignalRequest& r) {
  ProbeRecords out;
  auto probes = store.ListWatchProbes();
  if (!probes) return tl::unexpected(probes.error());
  std::set<std::string> keys;
  for (const auto& p : *probes) {
    if (ProbeMatches(p, r.entity_type, r.entity_code)) keys.insert(p.probe_key);
  }
  if (keys.empty()) return out;
  const store::Seconds from = r.from - kStale;
  auto entries = store.ListWatchEntries({std::nullopt, from, r.until, 1000000});
  if (!entries) return tl::unexpected(entries.error());
  for (const auto& e : *entries) {
    if (keys.count(e.probe_key)) out.by_probe[e.probe_key].emplace_back(e.time, e.state);
  }
  auto checkins = store.ListCheckins(from, r.until);
  if (!checkins) return tl::unexpected(checkins.error());
  for (const auto& c : *checkins) {
    if (!keys.count(c.probe_key)) continue;
    out.checkins[c.probe_key].push_back(c.time);
    // A check-in's state counts only where the journal says nothing newer.
    out.by_probe[c.probe_key].emplace_back(c.time, c.state);
  }
  for (auto& [key, recs] : out.by_probe) {
    std::stable_sort(recs.begin(), recs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  return out;
}

Result<SignalSeries> Watch(store::Store& store, const SignalRequest& r) {
  auto recs = LoadWatch(store, r);
  if (!recs) return tl::unexpected(recs.error());
  SignalSeries out{r.datasource, r.subtype, seconds(30), EmptySeries(r, r.step, r.from)};
  auto& values = out.series.values;
  if (r.datasource == "watch-checkins") {
    std::vector<std::set<std::string>> seen(values.size());
    for (const auto& [key, times] : recs->checkins) {
      for (auto t : times) {
        if (t < r.from) continue;
        const auto i = static_cast<size_t>((t - r.from).count() / r.step.count());
        if (i < seen.size()) seen[i].insert(key);
      }
    }
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(seen[i].size());
    return out;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const store::Seconds end = r.from + r.step * static_cast<seconds::rep>(i + 1);
    int known = 0, hit = 0;
    for (const auto& [key, list] : recs->by_probe) {
      auto it = std::lower_bound(list.begin(), list.end(), end,
                                 [](const auto& rec, store::Seconds t) { return rec.first < t; });
      if (it == list.begin()) continue;
      --it;
      if (it->first < end - kStale) continue;
      ++known;
      const std::string& state = it->second;
      if (r.datasource == "watch-online" ? state != "offline" : state == r.subtype) ++hit;
    }
    if (known > 0) values[i] = static_cast<double>(hit) / known;
  }
  return out;
}

Result<SignalSeries> Measurements(store::Store& store, const SignalRequest& r) {
  const seconds day = std::chrono::hours(24);
  const auto start = std::chrono::floor<std::chrono::days>(r.from);
  SignalSeries out{r.datasource, r.subtype, day, EmptySeries(r, day, store::Seconds(start))};
  store::AggregationRequest a;
  a.axis_x = store::Axis::kMeasurementStartDay;
  a.filter.since = store::Seconds(start);
  a.filter.until = r.until;
  if (r.entity_type == "country") {
    a.filter.probe_cc = r.entity_code;
  } else if (r.entity_type == "asn") {
    auto asn = store::ParseAsn(r.entity_code);
    if (!asn) return Bad("entity_code", "must be an AS number like AS30987");
    a.filter.probe_asn = *asn;
  } else {
    return out;  // measurements carry no region
  }
  if (!r.subtype.empty()) {
    if (r.subtype.find('.') != std::string::npos) {
      a.filter.domain = r.subtype;
    } else {
      a.filter.test_name = r.subtype;
    }
  }
  auto rows = store.Aggregate(a);
  if (!rows) return tl::unexpected(rows.error());
  for (const auto& row : *rows) {
    auto t = ParseTime(row.x);
    if (!t || row.counts.measurement_count == 0) continue;
    const auto i = static_cast<size_t>((std::chrono::floor<seconds>(*t) - out.series.start).count() / day.count());
    if (i >= out.series.size()) continue;
    out.series.values[i] = static_cast<double>(row.counts.anomaly_count + row.counts.confirmed_count) /
                           static_cast<double>(row.counts.measurement_count);
  }
  return out;
}

}  // namespace

const std::vector<std::string>& DerivedDatasources() {
  static const std::vector<std::string> names{"watch-checkins", "watch-online", "watch-state", "measurements"};
  return names;
}

const std::vector<std::string>& WatchStates() {
  static const std::vector<std::string> names{"platform-blocked", "dns-tampered", "throttled"};
  return names;
}

Result<SignalSeries> ComputeSignal(store::Store& store, const SignalRequest& r) {
  if (r.entity_type != "country" && r.entity_type != "region" && r.entity_type != "asn") {
    return Bad("entity_type", "must be country, region or asn");
  }
  if (r.step.count() <= 0) return Bad("step", "must be a positive number of seconds");
  if (r.until <= r.from) return Bad("until", "must be after from");
  if ((r.until - r.from) / r.step > 200000) return Bad("step", "too many bins; use a longer step or a shorter range");
  if (r.datasource == "watch-checkins" || r.datasource == "watch-online") return Watch(store, r);
  if (r.datasource == "watch-state") {
    if (std::find(WatchStates().begin(), WatchStates().end(), r.subtype) == WatchStates().end()) {
      return Bad("subtype", "watch-state needs platform-blocked, dns-tampered or throttled");
    }
    return Watch(store, r);
  }
  if (r.datasource == "measurements") return Measurements(store, r);
  if (r.datasource.empty() || r.datasource.size() > 64) return Bad("source", "unknown datasource");
  return Stored(store, r);
}

Result<std::vector<disruption::NamedSeries>> EntitySignals(store::Store& store, const std::string& entity_type,
                                                           const std::string& entity_code, store::Seconds from,
                                                           store::Seconds until, seconds step) {
  std::vector<disruption::NamedSeries> out;
  auto pts = store.GetSignals({entity_type, entity_code, std::nullopt, from, until});
  if (!pts) return tl::unexpected(pts.error());
  std::set<std::string> stored;
  for (const auto& p : *pts) stored.insert(p.datasource);
  auto add = [&](const SignalRequest& r, disruption::SignalRule rule) -> Result<void> {
    auto s = ComputeSignal(store, r);
    if (!s) return tl::unexpected(s.error());
    out.push_back({s->datasource, s->subtype, rule, std::move(s->series)});
    return {};
  };
  for (const auto& ds : stored) {
    if (auto r = add({entity_type, entity_code, ds, "", from, until, step}, disruption::SignalRule::kVolume); !r) {
      return tl::unexpected(r.error());
    }
  }
  auto probes = store.ListWatchProbes();
  if (!probes) return tl::unexpected(probes.error());
  const bool watched = std::any_of(probes->begin(), probes->end(), [&](const store::WatchProbe& p) {
    return ProbeMatches(p, entity_type, entity_code);
  });
  if (watched) {
    if (auto r = add({entity_type, entity_code, "watch-online", "", from, until, step},
                     disruption::SignalRule::kOnlineShare);
        !r) {
      return tl::unexpected(r.error());
    }
    for (const auto& st : WatchStates()) {
      if (auto r = add({entity_type, entity_code, "watch-state", st, from, until, step},
                       disruption::SignalRule::kStateShare);
          !r) {
        return tl::unexpected(r.error());
      }
    }
  }
  if (entity_type != "region") {
    for (const char* test : {"whatsapp", "telegram", "signal", "facebook_messenger"}) {
      auto s = ComputeSignal(store, {entity_type, entity_code, "measurements", test, from, until, step});
      if (!s) return tl::unexpected(s.error());
      const bool any = std::any_of(s->series.values.begin(), s->series.values.end(),
                                   [](double v) { return !std::isnan(v); });
      if (any) out.push_back({s->datasource, s->subtype, disruption::SignalRule::kAnomalyRate, std::move(s->series)});
    }
  }
  return out;
}

}  // namespace vigil::server
