#include "disruption/detect_ioda.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <optional>

namespace vigil::disruption {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Point {
  double value;
  WallTime time;
};

// The moving median of MovingStat: a time-ordered queue and the same values sorted.
class MovingMedian {
 public:
  bool initialized() const { return initialized_; }
  bool empty() const { return queue_.empty(); }
  const Point& oldest() const { return queue_.front(); }
  std::deque<Point>& queue() { return queue_; }

  void Initialize() {
    sorted_.clear();
    for (const Point& p : queue_) sorted_.push_back(p.value);
    std::sort(sorted_.begin(), sorted_.end());
    initialized_ = true;
  }
  void Reset() {
    sorted_.clear();
    initialized_ = false;
  }
  void Append(Point p) {
    queue_.push_back(p);
    if (initialized_) sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), p.value), p.value);
  }
  void PopOldest() {
    double v = queue_.front().value;
    queue_.pop_front();
    if (initialized_) sorted_.erase(std::lower_bound(sorted_.begin(), sorted_.end(), v));
  }
  // Nearest-rank median: the ceil(N/2)-th smallest value.
  std::optional<double> Prediction() const {
    if (sorted_.empty()) return std::nullopt;
    return sorted_[(sorted_.size() + 1) / 2 - 1];
  }

 private:
  std::deque<Point> queue_;
  std::vector<double> sorted_;
  bool initialized_ = false;
};

}  // namespace

IodaTrace RunIodaRule(const Series& series, const IodaOptions& options) {
  const size_t n = series.size();
  IodaTrace trace{std::vector<double>(n, kNaN), std::vector<double>(n, kNaN),
                  std::vector<bool>(n, false)};
  MovingMedian data;
  std::optional<std::deque<Point>> raw;  // raw values held back while inpainting

  for (size_t i = 0; i < n; ++i) {
    if (series.IsMissing(i)) continue;
    const double value = series.values[i];
    const WallTime t = series.TimeAt(i);

    if (data.empty() || data.oldest().time > t - options.warmup) {
      data.Append({value, t});
      continue;
    }
    const WallTime window_start = t - options.history;
    if (!data.initialized()) data.Initialize();
    while (!data.empty() && data.oldest().time < window_start) data.PopOldest();

    std::optional<double> predicted = data.Prediction();
    std::optional<double> ratio;
    if (predicted && *predicted != 0) ratio = value / *predicted;

    double new_value = value;
    const bool extreme = ratio && *ratio < options.threshold;
    if (extreme) {
      if (!raw) {
        raw.emplace();
        raw->push_back({value, t});
        new_value = *predicted;
      } else if (raw->front().time > t - options.max_inpaint) {
        raw->push_back({value, t});
        new_value = *predicted;
      } else {
        // The low level has lasted max_inpaint: it is the new normal.
        data.queue() = std::move(*raw);
        raw.reset();
        if (data.oldest().time > t - options.warmup) {
          data.Reset();
          data.Append({value, t});
          continue;
        }
        data.Initialize();
        predicted = data.Prediction();
        ratio.reset();
        if (predicted && *predicted != 0) ratio = value / *predicted;
      }
    } else if (raw) {
      raw.reset();
    }

    const bool window_full = !(data.oldest().time > window_start);
    data.Append({new_value, t});
    if (window_full) data.PopOldest();

    if (predicted) trace.prediction[i] = *predicted;
    if (ratio) {
      trace.ratio[i] = *ratio;
      trace.alert[i] = *ratio < options.threshold;
    }
  }
  return trace;
}

std::vector<Event> DetectIoda(const Series& series, const IodaOptions& options) {
  IodaTrace trace = RunIodaRule(series, options);
  std::vector<Event> events;
  const double step_minutes = static_cast<double>(series.step.count()) / 60.0;
  bool open = false;
  double drop_sum = 0;
  int drop_count = 0;
  auto close = [&](std::optional<WallTime> end) {
    Event& e = events.back();
    e.end = end;
    // The kind follows the mean drop over the alerting bins.
    e.kind = drop_sum / drop_count >= 0.9 ? EventKind::kFull : EventKind::kPartial;
    e.score = std::round(e.score * 100.0) / 100.0;
    open = false;
  };
  for (size_t i = 0; i < series.size(); ++i) {
    if (series.IsMissing(i)) continue;
    if (trace.alert[i]) {
      if (!open) {
        open = true;
        Event& e = events.emplace_back();
        e.entity = series.entity;
        e.start = series.TimeAt(i);
        e.detected = series.TimeAt(i + 1);
        drop_sum = 0;
        drop_count = 0;
      }
      const double drop = 1.0 - trace.ratio[i];
      events.back().score += drop * 100.0 * step_minutes;
      drop_sum += drop;
      ++drop_count;
    } else if (open) {
      close(series.TimeAt(i));
    }
  }
  if (open) close(std::nullopt);
  return events;
}

}  // namespace vigil::disruption
