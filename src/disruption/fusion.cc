#include "disruption/fusion.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace vigil::disruption {
namespace {

// One signal's finding before merging.
struct Finding {
  std::string kind;
  WallTime start;
  std::optional<WallTime> end;
  double depth = 0;
  std::string source;
  std::chrono::seconds step{0};  // of the series it came from: events closer than this touch
};

std::string SourceName(const NamedSeries& s) {
  return s.subtype.empty() ? s.datasource : s.datasource + "/" + s.subtype;
}

// Runs of bins where pred(value) holds for at least min_bins bins; missing bins neither
// start nor break a run. depth(value) is averaged over the run.
template <typename Pred, typename Depth>
std::vector<Finding> ThresholdRuns(const NamedSeries& s, int min_bins, Pred pred, Depth depth) {
  std::vector<Finding> out;
  const Series& ser = s.series;
  std::optional<size_t> run_start;
  size_t last_in = 0;
  int bins = 0;
  double depth_sum = 0;
  auto close = [&](std::optional<size_t> end_bin) {
    if (run_start && bins >= min_bins) {
      Finding f;
      f.start = ser.TimeAt(*run_start);
      if (end_bin) f.end = ser.TimeAt(*end_bin);
      f.depth = depth_sum / bins;
      f.source = SourceName(s);
      out.push_back(std::move(f));
    }
    run_start.reset();
    bins = 0;
    depth_sum = 0;
  };
  for (size_t i = 0; i < ser.size(); ++i) {
    if (ser.IsMissing(i)) continue;
    const double v = ser.values[i];
    if (pred(v)) {
      if (!run_start) run_start = i;
      last_in = i;
      ++bins;
      depth_sum += depth(v);
    } else if (run_start) {
      close(last_in + 1);
    }
  }
  // Still in the run at the last known bin: the event goes on.
  if (run_start) close(std::nullopt);
  return out;
}

bool IsPlatformTest(const std::string& name) {
  return name == "whatsapp" || name == "telegram" || name == "signal" || name == "facebook_messenger";
}

// The kind of an outage (a drop of volume or of probes online) of this entity.
std::string OutageKind(const std::string& entity_type, const std::string& entity_code, bool full,
                       const FusionOptions& o, const std::vector<std::string>& outaged_asns) {
  if (entity_type == "region") return "regional";
  if (entity_type == "asn" && o.mobile_asns.count(entity_code)) return "mobile";
  if (entity_type == "country" && !outaged_asns.empty() &&
      std::all_of(outaged_asns.begin(), outaged_asns.end(),
                  [&](const std::string& a) { return o.mobile_asns.count(a) > 0; })) {
    return "mobile";
  }
  return full ? "full" : "regional";
}

// The median of 1 - value/baseline over the event's bins (0 when unknown).
double MedianDrop(const Series& s, const VigilTrace& trace, const Event& e) {
  std::vector<double> drops;
  for (size_t i = 0; i < s.size() && i < trace.baseline.size(); ++i) {
    const WallTime t = s.TimeAt(i);
    if (t < e.start || (e.end && t >= *e.end)) continue;
    const double b = trace.baseline[i];
    if (s.IsMissing(i) || std::isnan(b) || b <= 0) continue;
    drops.push_back(std::clamp(1.0 - s.values[i] / b, 0.0, 1.0));
  }
  if (drops.empty()) return 0;
  auto mid = drops.begin() + static_cast<std::ptrdiff_t>(drops.size() / 2);
  std::nth_element(drops.begin(), mid, drops.end());
  return *mid;
}

int OutageRank(const std::string& kind) {
  if (kind == "full") return 3;
  if (kind == "mobile") return 2;
  if (kind == "regional") return 1;
  return 0;  // not an outage kind
}

bool Overlaps(const FusedEvent& e, const Finding& f) {
  const std::chrono::seconds slack = f.step;
  const bool e_before_f_ends = !f.end || e.start <= *f.end + slack;
  const bool f_before_e_ends = !e.end || f.start <= *e.end + slack;
  return e_before_f_ends && f_before_e_ends;
}

}  // namespace

std::vector<FusedEvent> Fuse(const std::string& entity_type, const std::string& entity_code,
                             const std::vector<NamedSeries>& signals, const FusionOptions& options,
                             const std::vector<std::string>& outaged_asns) {
  std::vector<Finding> findings;
  for (const auto& s : signals) {
    const size_t first = findings.size();
    switch (s.rule) {
      case SignalRule::kVolume: {
        const VigilResult r = RunVigil(s.series, options.vigil);
        for (const auto& e : r.events) {
          const bool full = e.kind == EventKind::kFull;
          findings.push_back({OutageKind(entity_type, entity_code, full, options, outaged_asns), e.start, e.end,
                              MedianDrop(s.series, r.trace, e), SourceName(s), {}});
        }
        break;
      }
      case SignalRule::kOnlineShare: {
        for (auto& f : ThresholdRuns(
                 s, options.min_bins, [&](double v) { return v < options.online_low; },
                 [](double v) { return 1.0 - v; })) {
          const bool full = f.depth >= 1.0 - options.full_online;
          f.kind = OutageKind(entity_type, entity_code, full, options, outaged_asns);
          findings.push_back(std::move(f));
        }
        break;
      }
      case SignalRule::kStateShare:
      case SignalRule::kAnomalyRate: {
        if (s.rule == SignalRule::kAnomalyRate && !IsPlatformTest(s.subtype)) break;
        std::string kind = s.rule == SignalRule::kAnomalyRate ? "platform"
                           : s.subtype == "platform-blocked" ? "platform"
                           : s.subtype == "dns-tampered"     ? "dns"
                           : s.subtype == "throttled"        ? "throttling"
                                                             : "";
        if (kind.empty()) break;
        const int min_bins = s.rule == SignalRule::kAnomalyRate ? 1 : options.min_bins;
        for (auto& f : ThresholdRuns(
                 s, min_bins, [&](double v) { return v >= options.state_high; }, [](double v) { return v; })) {
          f.kind = kind;
          findings.push_back(std::move(f));
        }
        break;
      }
    }
    for (size_t i = first; i < findings.size(); ++i) findings[i].step = s.series.step;
  }
  std::sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) { return a.start < b.start; });
  std::vector<FusedEvent> out;
  for (const auto& f : findings) {
    // Same kind, or two outage kinds (a full outage also shows as partial drops of
    // some signals): one event, of the more severe kind.
    FusedEvent* into = nullptr;
    for (auto& e : out) {
      const bool same = e.kind == f.kind || (OutageRank(e.kind) > 0 && OutageRank(f.kind) > 0);
      if (same && Overlaps(e, f)) {
        into = &e;
        break;
      }
    }
    if (!into) {
      out.push_back({f.kind, f.start, f.end, f.depth, {f.source}});
      continue;
    }
    if (OutageRank(f.kind) > OutageRank(into->kind)) into->kind = f.kind;
    into->start = std::min(into->start, f.start);
    if (!into->end || !f.end) {
      into->end.reset();
    } else {
      into->end = std::max(*into->end, *f.end);
    }
    into->score = std::max(into->score, f.depth);
    if (std::find(into->datasources.begin(), into->datasources.end(), f.source) == into->datasources.end()) {
      into->datasources.push_back(f.source);
    }
  }
  std::sort(out.begin(), out.end(), [](const FusedEvent& a, const FusedEvent& b) { return a.start < b.start; });
  return out;
}

}  // namespace vigil::disruption
