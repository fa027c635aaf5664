// detect_eval: labelled synthetic series → IODA's rule and Vigil's detector, side by side.
//
// Every entity gets one series (5-minute bins) with a daily cycle, a weekend dip,
// Poisson-like and multiplicative noise, missing bins and blocks, and growth, and a
// few labelled outages of one category. The same series go to both methods. Matching:
// an event matches a labelled outage when their time spans overlap. Per category:
// recall = labelled outages matched by at least one event / labelled outages;
// precision = events that overlap a labelled outage / all events on the category's
// entities; an event that overlaps no labelled outage is a false event. Onset delay is
// the median, over matched outages, of (time the first matching event would have
// alarmed − labelled start). See docs/methodology-detectors.md.
//
// Usage: detect_eval [--seed N] [--entities-per-category N] [--csv-dir DIR] [--verbose 1]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/time_format.h"
#include "disruption/detect_event.h"
#include "disruption/detect_ioda.h"
#include "disruption/detect_vigil.h"
#include "disruption/series.h"

namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using vigil::WallTime;
using vigil::disruption::Event;
using vigil::disruption::Series;

constexpr seconds kStep = minutes(5);
constexpr size_t kBinsPerDay = 288;

enum class Category {
  kFullShort,        // ≥ 95% deep, 30 min – 6 h
  kFullLong,         // ≥ 90% deep, 1 – 100 days (one entity: exactly 93 days)
  kDeepPartial,      // 30 – 90% deep, 30 min – 3 days
  kPartialRegional,  // 5 – 30% deep, 1 h – 7 days, a step
  kPartialMobile,    // 5 – 30% deep on average, following the mobile share of the day
  kThrottling,       // 15 – 60% deep, ramped in and out, noisier while it lasts
  kNone,             // no outage: every event is false
};

constexpr Category kCategories[] = {Category::kFullShort,       Category::kFullLong,
                                    Category::kDeepPartial,     Category::kPartialRegional,
                                    Category::kPartialMobile,   Category::kThrottling,
                                    Category::kNone};

const char* Name(Category c) {
  switch (c) {
    case Category::kFullShort: return "full 30m-6h";
    case Category::kFullLong: return "full 1d-100d";
    case Category::kDeepPartial: return "deep 30-90%";
    case Category::kPartialRegional: return "regional 5-30%";
    case Category::kPartialMobile: return "mobile 5-30%";
    case Category::kThrottling: return "throttling";
    case Category::kNone: return "no outage";
  }
  return "?";
}

struct Label {
  size_t from, to;  // bins [from, to)
  double depth;     // mean fraction of the signal removed
};

struct Entity {
  Category category;
  Series series;
  std::vector<Label> labels;
};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  Entity Make(Category category, int index, bool ninety_three_days) {
    Entity e;
    e.category = category;
    // Outages first, to size the series: 4 weeks of history, then outages separated by
    // at least a week, then 2 weeks.
    size_t cursor = 28 * kBinsPerDay + Uniform(0, kBinsPerDay);
    int count = category == Category::kNone ? 0
                : category == Category::kFullLong ? 1
                : static_cast<int>(Uniform(1, 4));
    for (int k = 0; k < count; ++k) {
      Label l = MakeLabel(category, cursor, ninety_three_days && k == 0);
      e.labels.push_back(l);
      cursor = l.to + 7 * kBinsPerDay + Uniform(0, 7 * kBinsPerDay);
    }
    size_t n = category == Category::kNone ? 90 * kBinsPerDay : cursor + 7 * kBinsPerDay;

    Series& s = e.series;
    s.entity = fmt::format("{}-{:02}", Short(category), index);
    s.start = *vigil::ParseTime("2023-01-02T00:00:00Z");
    s.step = kStep;
    const double base = std::exp(Real(std::log(100.0), std::log(20000.0)));
    // A third of the signals are nearly flat (like BGP-visible prefixes), the rest
    // follow the day (like active probing or traffic).
    const double daily_amp = Real(0, 1) < 1.0 / 3 ? Real(0, 0.05) : Real(0.1, 0.5);
    const double daily_phase = Real(0, 1);
    const double weekend = Real(0.8, 1.0);
    const double growth_per_day = Real(-0.1, 0.8) / 365.0;
    const double mult_noise = Real(0.005, 0.03);
    const double p_missing = Real(0, 0.02);
    std::normal_distribution<double> gauss(0, 1);

    std::vector<double> drop(n, 0.0), extra_noise(n, 0.0);
    for (const Label& l : e.labels) ApplyShape(category, l, drop, extra_noise);

    s.values.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const double day_pos = static_cast<double>(i % kBinsPerDay) / kBinsPerDay;
      const double cycle = 1 + daily_amp * std::sin(2 * std::numbers::pi * (day_pos + daily_phase));
      const double week = (i / kBinsPerDay) % 7 >= 5 ? weekend : 1.0;
      const double trend = 1 + growth_per_day * static_cast<double>(i) / kBinsPerDay;
      double mu = base * cycle * week * std::max(0.1, trend) * (1 - drop[i]);
      double v = mu + std::sqrt(mu) * gauss(rng_);
      v *= 1 + (mult_noise + extra_noise[i]) * gauss(rng_);
      s.values[i] = std::max(0.0, std::round(v));
    }
    // Missing bins (collector gaps) are not outages.
    std::bernoulli_distribution missing(p_missing);
    for (double& v : s.values) {
      if (missing(rng_)) v = std::numeric_limits<double>::quiet_NaN();
    }
    if (Real(0, 1) < 0.5) {
      size_t len = Uniform(12, 12 * 12);
      size_t at = Uniform(7 * kBinsPerDay, n - len);
      for (size_t i = at; i < at + len; ++i) s.values[i] = std::numeric_limits<double>::quiet_NaN();
    }
    return e;
  }

 private:
  static const char* Short(Category c) {
    switch (c) {
      case Category::kFullShort: return "fs";
      case Category::kFullLong: return "fl";
      case Category::kDeepPartial: return "dp";
      case Category::kPartialRegional: return "pr";
      case Category::kPartialMobile: return "pm";
      case Category::kThrottling: return "th";
      case Category::kNone: return "no";
    }
    return "?";
  }

  size_t Uniform(size_t lo, size_t hi) {  // [lo, hi)
    return std::uniform_int_distribution<size_t>(lo, hi - 1)(rng_);
  }
  double Real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }
  size_t LogDuration(seconds lo, seconds hi) {
    double d = std::exp(Real(std::log(static_cast<double>(lo.count())),
                             std::log(static_cast<double>(hi.count()))));
    return std::max<size_t>(1, static_cast<size_t>(std::llround(d / static_cast<double>(kStep.count()))));
  }

  Label MakeLabel(Category c, size_t at, bool ninety_three) {
    Label l{at, at, 0};
    switch (c) {
      case Category::kFullShort:
        l.depth = Real(0.95, 1.0);
        l.to = at + LogDuration(minutes(30), hours(6));
        break;
      case Category::kFullLong:
        l.depth = ninety_three ? 1.0 : Real(0.9, 1.0);
        l.to = at + (ninety_three ? 93 * kBinsPerDay : LogDuration(days(1), days(100)));
        break;
      case Category::kDeepPartial:
        l.depth = Real(0.3, 0.9);
        l.to = at + LogDuration(minutes(30), days(3));
        break;
      case Category::kPartialRegional:
      case Category::kPartialMobile:
        l.depth = Real(0.05, 0.30);
        l.to = at + LogDuration(hours(1), days(7));
        break;
      case Category::kThrottling:
        l.depth = Real(0.15, 0.6);
        l.to = at + LogDuration(hours(2), days(5));
        break;
      case Category::kNone:
        break;
    }
    return l;
  }

  void ApplyShape(Category c, const Label& l, std::vector<double>& drop,
                  std::vector<double>& extra_noise) {
    const size_t len = l.to - l.from;
    const size_t ramp = c == Category::kThrottling ? std::min(len / 3, Uniform(6, 25)) : 0;
    for (size_t i = l.from; i < l.to && i < drop.size(); ++i) {
      double d = l.depth;
      if (c == Category::kPartialMobile) {
        // Mobile's share of traffic peaks in the evening: the cut removes more then.
        double day_pos = static_cast<double>(i % kBinsPerDay) / kBinsPerDay;
        d *= 1 + 0.4 * std::sin(2 * std::numbers::pi * (day_pos - 0.5));
      }
      if (ramp > 0) {
        size_t into = i - l.from, left = l.to - i;
        double f = std::min({1.0, static_cast<double>(into + 1) / static_cast<double>(ramp),
                             static_cast<double>(left) / static_cast<double>(ramp)});
        d *= f;
        extra_noise[i] = 0.03;
      }
      drop[i] = std::min(1.0, d);
    }
  }

  std::mt19937_64 rng_;
};

struct Tally {
  size_t labels = 0, matched = 0, events = 0, true_events = 0;
  std::vector<double> delays_min;
  size_t fragments = 0;  // events overlapping matched labels
};

double Median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct MethodResult {
  std::map<Category, Tally> per_category;
  Tally partial_pooled, full_hour;
  size_t false_events = 0;
  double entity_months = 0;
  int ninety_three_events = -1;
};

bool Overlaps(const Event& e, WallTime from, WallTime to, WallTime series_end) {
  WallTime end = e.end.value_or(series_end);
  return e.start < to && from < end;
}

bool g_verbose = false;

void Score(const Entity& entity, const std::vector<Event>& events, MethodResult& r,
           bool is_ninety_three) {
  const Series& s = entity.series;
  Tally& t = r.per_category[entity.category];
  r.entity_months += static_cast<double>(s.size()) / (30.0 * kBinsPerDay);
  for (const Event& e : events) {
    bool hit = false;
    for (const Label& l : entity.labels) hit |= Overlaps(e, s.TimeAt(l.from), s.TimeAt(l.to), s.End());
    ++t.events;
    if (hit) {
      ++t.true_events;
    } else {
      ++r.false_events;
      if (g_verbose) {
        std::string line;
        vigil::disruption::AppendEventJson(line, e);
        std::printf("false: %s\n", line.c_str());
      }
    }
  }
  const bool partial = entity.category == Category::kPartialRegional ||
                       entity.category == Category::kPartialMobile;
  if (partial) {
    r.partial_pooled.events += events.size();
    for (const Event& e : events) {
      for (const Label& l : entity.labels) {
        if (Overlaps(e, s.TimeAt(l.from), s.TimeAt(l.to), s.End())) {
          ++r.partial_pooled.true_events;
          break;
        }
      }
    }
  }
  for (const Label& l : entity.labels) {
    const WallTime from = s.TimeAt(l.from), to = s.TimeAt(l.to);
    std::optional<WallTime> first_alarm;
    size_t overlapping = 0;
    for (const Event& e : events) {
      if (!Overlaps(e, from, to, s.End())) continue;
      ++overlapping;
      if (!first_alarm || e.detected < *first_alarm) first_alarm = e.detected;
    }
    const bool full_hour = (entity.category == Category::kFullShort ||
                            entity.category == Category::kFullLong) &&
                           l.depth >= 0.9 && to - from >= hours(1);
    std::vector<Tally*> tallies{&t};
    if (partial) tallies.push_back(&r.partial_pooled);
    if (full_hour) tallies.push_back(&r.full_hour);
    for (Tally* x : tallies) {
      ++x->labels;
      if (first_alarm) {
        ++x->matched;
        x->fragments += overlapping;
        x->delays_min.push_back(
            static_cast<double>(std::chrono::duration_cast<seconds>(*first_alarm - from).count()) /
            60.0);
      }
    }
    if (is_ninety_three) r.ninety_three_events = static_cast<int>(overlapping);
  }
}

struct Prf {
  double p, r, f1;
};

Prf Compute(const Tally& t) {
  double p = t.events ? static_cast<double>(t.true_events) / static_cast<double>(t.events) : 1.0;
  double r = t.labels ? static_cast<double>(t.matched) / static_cast<double>(t.labels) : std::nan("");
  double f1 = (p + r) > 0 ? 2 * p * r / (p + r) : 0;
  return {p, r, f1};
}

std::string Cell(const Tally& t) {
  Prf m = Compute(t);
  double delay = Median(t.delays_min);
  std::string delay_s = std::isnan(delay) ? "-" : fmt::format("{:.0f}", delay);
  std::string frag = t.matched ? fmt::format("{:.2f}", static_cast<double>(t.fragments) / static_cast<double>(t.matched)) : "-";
  if (t.labels == 0) return fmt::format("{:>5} {:>5} {:>5} {:>6} {:>5} {:>4}", fmt::format("{:.2f}", m.p), "-", "-", "-", "-", t.events);
  if (t.events == 0) {  // a pooled row that counts outages only: recall, no precision
    return fmt::format("{:>5} {:>5.2f} {:>5} {:>6} {:>5} {:>4}", "-", m.r, "-", delay_s, frag, "-");
  }
  return fmt::format("{:>5.2f} {:>5.2f} {:>5.2f} {:>6} {:>5} {:>4}", m.p, m.r, m.f1, delay_s, frag, t.events);
}

void WriteCsv(const std::filesystem::path& dir, const Entity& e) {
  std::ofstream out(dir / (e.series.entity + ".csv"));
  out << "time,value,entity\n";
  for (size_t i = 0; i < e.series.size(); ++i) {
    if (e.series.IsMissing(i)) continue;
    out << vigil::FormatIsoTime(e.series.TimeAt(i)) << ',' << e.series.values[i] << ','
        << e.series.entity << '\n';
  }
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 20240601;
  int per_category = 30;
  std::optional<std::filesystem::path> csv_dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--entities-per-category") per_category = std::atoi(argv[i + 1]);
    else if (flag == "--csv-dir") csv_dir = argv[i + 1];
    else if (flag == "--verbose") g_verbose = std::string(argv[i + 1]) == "1";
    else {
      std::fprintf(stderr, "usage: detect_eval [--seed N] [--entities-per-category N] [--csv-dir DIR]\n");
      return 2;
    }
  }
  if (csv_dir) std::filesystem::create_directories(*csv_dir);

  Generator gen(seed);
  MethodResult ioda, vigil_r;
  size_t entities = 0, labels = 0;
  for (Category c : kCategories) {
    for (int k = 0; k < per_category; ++k) {
      const bool ninety_three = c == Category::kFullLong && k == 0;
      Entity e = gen.Make(c, k, ninety_three);
      ++entities;
      labels += e.labels.size();
      if (csv_dir) WriteCsv(*csv_dir, e);
      const bool verbose = g_verbose;
      g_verbose = false;
      Score(e, vigil::disruption::DetectIoda(e.series, {}), ioda, ninety_three);
      g_verbose = verbose;
      Score(e, vigil::disruption::DetectVigil(e.series, {}), vigil_r, ninety_three);
    }
  }

  std::printf("detect_eval: seed %llu, %zu entities, %zu labelled outages, 5-minute bins, "
              "%.0f entity-months\n",
              static_cast<unsigned long long>(seed), entities, labels, vigil_r.entity_months);
  std::printf("match: an event matches a labelled outage when their spans overlap; an event "
              "overlapping no labelled outage is false.\n");
  std::printf("P = precision, R = recall, delay = median minutes from outage start to alarm, "
              "frag = events per matched outage, ev = events\n\n");
  const std::string head = fmt::format("{:>5} {:>5} {:>5} {:>6} {:>5} {:>4}", "P", "R", "F1", "delay", "frag", "ev");
  std::printf("%-16s | %-36s | %-36s\n", "category", "ioda", "vigil");
  std::printf("%-16s | %s | %s\n", "", head.c_str(), head.c_str());
  for (Category c : kCategories) {
    std::printf("%-16s | %s | %s\n", Name(c), Cell(ioda.per_category[c]).c_str(),
                Cell(vigil_r.per_category[c]).c_str());
  }
  std::printf("%-16s | %s | %s\n", "partial <=30%", Cell(ioda.partial_pooled).c_str(),
              Cell(vigil_r.partial_pooled).c_str());
  std::printf("%-16s | %s | %s\n", "full >=1h", Cell(ioda.full_hour).c_str(),
              Cell(vigil_r.full_hour).c_str());
  const double ioda_fpm = static_cast<double>(ioda.false_events) / ioda.entity_months;
  const double vigil_fpm = static_cast<double>(vigil_r.false_events) / vigil_r.entity_months;
  std::printf("%-16s | %36s | %36s\n", "false ev/ent-mo", fmt::format("{:.3f} ({} false)", ioda_fpm, ioda.false_events).c_str(),
              fmt::format("{:.3f} ({} false)", vigil_fpm, vigil_r.false_events).c_str());
  std::printf("%-16s | %36d | %36d\n", "93-day: events", ioda.ninety_three_events,
              vigil_r.ninety_three_events);

  const double f1_ioda = Compute(ioda.partial_pooled).f1, f1_vigil = Compute(vigil_r.partial_pooled).f1;
  const double full_recall = Compute(vigil_r.full_hour).r;
  const bool t1 = f1_vigil >= f1_ioda + 0.2;
  const bool t2 = full_recall >= 0.95 && vigil_fpm <= 1.0;
  const bool t3 = vigil_r.ninety_three_events == 1;
  std::printf("\ntargets (vigil):\n");
  std::printf("  [%s] partial <=30%%: F1 %.3f >= IODA's %.3f + 0.2\n", t1 ? "met" : "NOT met", f1_vigil, f1_ioda);
  std::printf("  [%s] full >=1h: recall %.3f >= 0.95, false events per entity-month %.3f <= 1\n",
              t2 ? "met" : "NOT met", full_recall, vigil_fpm);
  std::printf("  [%s] the 93-day outage is one event (%d)\n", t3 ? "met" : "NOT met",
              vigil_r.ninety_three_events);
  return t1 && t2 && t3 ? 0 : 1;
}
