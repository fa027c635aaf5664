// Vigil's outage detector for one series.
//
// Baseline: the series is modelled as level × seasonal shape. The level is the median
// of the last `level_window` worth of clean values (a week, so every hour and weekday
// weighs the same), which follows growth. The shape of a bin is the median, over the
// last `weeks` weeks, of value/level at the same time of week; while a slot has no
// such sample, the same time of day over the last `days` days stands in. Missing bins
// are skipped. Nothing is detected during the first `warmup` (a week): a detector that
// has not seen a weekend would call the first one an outage, and never learn it. Only *clean* bins teach the baseline: a bin is held back while the
// onset CUSUM is above zero and is dropped if an event starts, and nothing is learned
// during an event, so the baseline stays frozen however long the event lasts.
//
// Scale: 1.4826 × the median absolute deviation of the recent clean relative
// residuals (value/baseline − 1) of the same hour of the day (noise differs between
// day and night), floored at `min_scale`. The standardized residual z
// is clipped to ±`z_clip` so that one wild bin cannot decide alone.
//
// Onset: a lower CUSUM (Page 1954), S = max(0, S − z − k); an event starts when
// S > h, dated back to the bin where S last left zero. End: during the event, a second
// CUSUM tests "back to the baseline" against "at the event's mean depth m":
// E = max(0, E + z − m/2), and the event ends, at the bin where E last left zero, when
// E > h. There is no cap on an event's length.
//
// An event shallower than `min_depth` (median relative drop) or shorter than
// `min_duration` is dropped as noise. kind = full when the median drop ≥ `full_depth`.
// score = the expected signal lost, in baseline-hours: Σ (1 − value/baseline) × step.
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <vector>

#include "disruption/detect_event.h"
#include "disruption/series.h"

namespace vigil::disruption {

struct VigilOptions {
  int weeks = 4;
  int days = 7;
  std::chrono::seconds level_window = std::chrono::days(7);
  std::chrono::seconds warmup = std::chrono::days(7);
  double k = 0.5;
  double h = 12.0;
  double z_clip = 6.0;
  double min_scale = 0.005;
  double min_depth = 0.03;
  std::chrono::seconds min_duration = std::chrono::minutes(10);
  double full_depth = 0.9;
};

// Per-bin trace, for tests and plots. NaN where the detector had no baseline yet.
struct VigilTrace {
  std::vector<double> baseline;
  std::vector<double> z;
  std::vector<bool> in_event;  // before the noise filter
};

struct VigilResult {
  std::vector<Event> events;
  VigilTrace trace;
};

VigilResult RunVigil(const Series& series, const VigilOptions& options);
inline std::vector<Event> DetectVigil(const Series& series, const VigilOptions& options) {
  return RunVigil(series, options).events;
}

}  // namespace vigil::disruption
