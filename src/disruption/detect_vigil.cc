#include "disruption/detect_vigil.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <optional>
#include <utility>

#include "disruption/sorted_window.h"

namespace vigil::disruption {
namespace {

using std::chrono::seconds;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMadToSigma = 1.4826;  // MAD of a normal distribution is 0.6745 σ

double MedianInPlace(std::vector<double>& v) {
  if (v.empty()) return kNaN;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

using Slot = std::vector<double>;


// A bin whose fate (clean or in an event) is not decided yet.
struct Held {
  size_t bin;
  double zc;   // clipped standardized residual
  double rel;  // value / baseline - 1
};

class Detector {
 public:
  Detector(const Series& series, const VigilOptions& options)
      : s_(series), o_(options), n_(series.size()) {
    const seconds::rep step = std::max<seconds::rep>(1, series.step.count());
    bins_per_hour_ = static_cast<size_t>(std::max<seconds::rep>(1, 3600 / step));
    window_bins_ = static_cast<size_t>(std::max<seconds::rep>(1, options.level_window.count() / step));
    week_slots_.resize(static_cast<size_t>((7 * 86400 + step - 1) / step));
    day_slots_.resize(static_cast<size_t>((86400 + step - 1) / step));
    result_.trace = {std::vector<double>(n_, kNaN), std::vector<double>(n_, kNaN),
                     std::vector<bool>(n_, false)};
  }

  VigilResult Run() {
    for (size_t i = 0; i < n_; ++i) {
      if (!s_.IsMissing(i)) Step(i);
    }
    if (in_event_) {
      for (const Held& h : end_run_) AddToEvent(h);
      CloseEvent(n_, /*ongoing=*/true);
    }
    return std::move(result_);
  }

 private:
  size_t WeekSlot(size_t i) const {
    auto t = s_.TimeAt(i).time_since_epoch();
    auto secs = std::chrono::floor<seconds>(t).count();
    const seconds::rep week = 7 * 86400;
    return static_cast<size_t>((((secs % week) + week) % week) / s_.step.count());
  }
  size_t DaySlot(size_t i) const {
    auto secs = std::chrono::floor<seconds>(s_.TimeAt(i).time_since_epoch()).count();
    return static_cast<size_t>((((secs % 86400) + 86400) % 86400) / s_.step.count());
  }

  // The detector has seen every hour of the week at least once.
  bool DetectionEnabled() const { return warm_; }

  double Baseline(size_t i) const {
    if (std::isnan(level_)) return kNaN;
    const Slot& weekly = week_slots_[WeekSlot(i)];
    std::vector<double> buf;
    if (!weekly.empty()) {
      buf.assign(weekly.begin(), weekly.end());
      return level_ * MedianInPlace(buf);
    }
    const Slot& daily = day_slots_[DaySlot(i)];
    if (!daily.empty()) {
      buf.assign(daily.begin(), daily.end());
      return level_ * MedianInPlace(buf);
    }
    return DetectionEnabled() ? level_ : kNaN;
  }

  // A clean bin teaches the level, the seasonal shape and the scale.
  void Commit(size_t i, std::optional<double> rel) {
    const WallTime t = s_.TimeAt(i);
    const double x = s_.values[i];
    if (!first_commit_) first_commit_ = t;
    // The windows hold the last `level_window` worth of *clean* bins, however old:
    // after a long event the level and scale resume from before it.
    levels_.Push(x, window_bins_);
    if (!warm_) {
      warmup_bins_.push_back(i);
      if (t - *first_commit_ >= o_.warmup) FinishWarmup();
      return;
    }
    if (rel) AddResidual(i, *rel);
    if (++commits_since_update_ >= bins_per_hour_) {
      commits_since_update_ = 0;
      UpdateLevelAndScale();
    }
    if (level_ > 0) AddShape(i, x / level_);
  }

  // The shapes of the warm-up are taken against the level of the whole warm-up, so
  // that the hours seen first are not measured against a partial day.
  void FinishWarmup() {
    UpdateLevelAndScale();
    if (!(level_ > 0)) return;
    for (size_t i : warmup_bins_) AddShape(i, s_.values[i] / level_);
    std::vector<double> buf;
    for (size_t i : warmup_bins_) {
      const Slot& daily = day_slots_[DaySlot(i)];
      buf.assign(daily.begin(), daily.end());
      const double b = level_ * MedianInPlace(buf);
      if (b > 0) AddResidual(i, s_.values[i] / b - 1);
    }
    warmup_bins_.clear();
    UpdateLevelAndScale();
    warm_ = !std::isnan(scale_);
  }

  void AddShape(size_t i, double shape) {
    Push(week_slots_[WeekSlot(i)], shape, static_cast<size_t>(o_.weeks));
    Push(day_slots_[DaySlot(i)], shape, static_cast<size_t>(o_.days));
  }

  void AddResidual(size_t i, double rel) {
    residuals_.Push(rel, window_bins_);
    const size_t hour = HourOfDay(i);
    hour_changed_[hour] = true;
    hour_residuals_[hour].Push(rel, 4 * (window_bins_ / 24 + 1));  // 4 weeks
  }

  // A slot keeps a few values (`weeks` or `days`), the oldest first.
  static void Push(Slot& d, double v, size_t cap) {
    d.push_back(v);
    if (d.size() > cap) d.erase(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(d.size() - cap));
  }

  void UpdateLevelAndScale() {
    level_ = levels_.Median();
    if (residuals_.size() < bins_per_hour_) return;
    scale_ = RobustScale(residuals_);
    // Noise is often larger at some hours (a count's relative noise grows at night).
    // (Only the hours whose residuals changed since the last update: an update comes about
    // once an hour of bins, so usually one hour of the day; the others would come out the same.)
    for (size_t h = 0; h < 24; ++h) {
      if (!hour_changed_[h]) continue;
      hour_changed_[h] = false;
      hour_scale_[h] = hour_residuals_[h].size() >= 24 ? RobustScale(hour_residuals_[h]) : kNaN;
    }
  }

  // The windows are kept sorted (SortedWindow): their medians are read, not selected.
  double RobustScale(const SortedWindow& w) const {
    return std::max(o_.min_scale, kMadToSigma * w.MedianAbsoluteDeviation(w.Median()));
  }

  double ScaleAt(size_t i) const {
    const double by_hour = hour_scale_[HourOfDay(i)];
    return std::isnan(by_hour) ? scale_ : by_hour;
  }

  size_t HourOfDay(size_t i) const {
    auto secs = std::chrono::floor<seconds>(s_.TimeAt(i).time_since_epoch()).count();
    return static_cast<size_t>((((secs % 86400) + 86400) % 86400) / 3600);
  }

  void Step(size_t i) {
    const double x = s_.values[i];
    const double b = Baseline(i);
    result_.trace.baseline[i] = b;
    const bool testable = DetectionEnabled() && b > 0;
    if (!testable) {
      if (!in_event_) Commit(i, b > 0 ? std::optional<double>(x / b - 1) : std::nullopt);
      return;
    }
    const double rel = x / b - 1;
    const double z = rel / ScaleAt(i);
    result_.trace.z[i] = z;
    const Held held{i, std::clamp(z, -o_.z_clip, o_.z_clip), rel};
    if (in_event_) {
      InEvent(held);
    } else {
      Normal(held);
    }
  }

  void Normal(const Held& held) {
    onset_ = std::max(0.0, onset_ - held.zc - o_.k);
    if (onset_ == 0) {
      for (const Held& h : pending_) Commit(h.bin, h.rel);
      pending_.clear();
      Commit(held.bin, held.rel);
      return;
    }
    pending_.push_back(held);
    if (onset_ > o_.h) {
      in_event_ = true;
      event_start_ = pending_.front().bin;
      detected_ = s_.TimeAt(held.bin + 1);
      z_sum_ = 0;
      event_bins_.clear();
      for (const Held& h : pending_) AddToEvent(h);
      pending_.clear();
      end_ = 0;
      end_run_.clear();
      return;
    }
    // A long, undecided run (a drift too small to alarm on) is let into the baseline.
    while (s_.TimeAt(held.bin) - s_.TimeAt(pending_.front().bin) > std::chrono::days(1)) {
      Commit(pending_.front().bin, pending_.front().rel);
      pending_.pop_front();
    }
  }

  void InEvent(const Held& held) {
    // The event's mean depth in z; at least 2k, so that the end test has some slope.
    const double m = std::min(z_sum_ / static_cast<double>(event_bins_.size()), -2 * o_.k);
    end_ = std::max(0.0, end_ + held.zc - m / 2);
    if (end_ == 0) {
      for (const Held& h : end_run_) AddToEvent(h);
      end_run_.clear();
      AddToEvent(held);
      return;
    }
    end_run_.push_back(held);
    if (end_ > o_.h) {
      const size_t end_bin = end_run_.front().bin;
      CloseEvent(end_bin, /*ongoing=*/false);
      for (const Held& h : end_run_) Commit(h.bin, h.rel);
      end_run_.clear();
      in_event_ = false;
      onset_ = 0;
    }
  }

  void AddToEvent(const Held& h) {
    z_sum_ += h.zc;
    event_bins_.push_back(h);
  }

  void CloseEvent(size_t end_bin, bool ongoing) {
    for (size_t j = event_start_; j < end_bin; ++j) result_.trace.in_event[j] = true;
    in_event_ = false;
    double lost = 0;
    std::vector<double> drops;
    for (const Held& h : event_bins_) {
      lost -= h.rel;
      drops.push_back(-h.rel);
    }
    const double depth = MedianInPlace(drops);
    const auto duration = s_.TimeAt(end_bin) - s_.TimeAt(event_start_);
    if (!(depth >= o_.min_depth) || duration < o_.min_duration) {
      // Noise after all: what it held back is ordinary history.
      for (const Held& h : event_bins_) Commit(h.bin, h.rel);
      return;
    }
    Event e;
    e.entity = s_.entity;
    e.start = s_.TimeAt(event_start_);
    if (!ongoing) e.end = s_.TimeAt(end_bin);
    e.kind = depth >= o_.full_depth ? EventKind::kFull : EventKind::kPartial;
    const double step_hours = static_cast<double>(s_.step.count()) / 3600.0;
    e.score = std::round(lost * step_hours * 100.0) / 100.0;
    e.detected = detected_;
    result_.events.push_back(std::move(e));
  }

  const Series& s_;
  const VigilOptions& o_;
  const size_t n_;
  size_t bins_per_hour_ = 1, window_bins_ = 1;

  // One slot per bin of the week and of the day: with a short step there are hundreds of
  // thousands, so an empty slot allocates nothing (a deque would allocate a block).
  std::vector<Slot> week_slots_, day_slots_;
  SortedWindow levels_, residuals_;
  std::optional<WallTime> first_commit_;
  double level_ = kNaN, scale_ = kNaN;
  SortedWindow hour_residuals_[24];
  bool hour_changed_[24] = {};
  double hour_scale_[24] = {kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN,
                            kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  bool warm_ = false;
  std::vector<size_t> warmup_bins_;
  size_t commits_since_update_ = 0;

  double onset_ = 0;
  std::deque<Held> pending_;

  bool in_event_ = false;
  size_t event_start_ = 0;
  WallTime detected_;
  double z_sum_ = 0;
  std::vector<Held> event_bins_;
  double end_ = 0;
  std::vector<Held> end_run_;

  VigilResult result_;
};

}  // namespace

VigilResult RunVigil(const Series& series, const VigilOptions& options) {
  return Detector(series, options).Run();
}

}  // namespace vigil::disruption
