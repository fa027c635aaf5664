// IODA's outage rule, as IODA's alerting pipeline (CAIDA watchtower-sentry's MovingStat
// filter followed by a threshold) applies it to one series:
//
//  - the prediction for a bin is the median (nearest-rank, lower middle) of the values
//    of the bins in the previous `history` (7 days), not counting the bin itself;
//  - nothing is predicted until `warmup` of data has been seen;
//  - the bin alerts when value / prediction < `threshold` (0.8);
//  - while a bin alerts, the prediction, not the value, enters the history
//    ("inpainting"), so an outage does not pull the baseline down; once inpainting has
//    lasted `max_inpaint`, the buffered raw values replace the inpainted ones and the
//    low level becomes the new normal — which is why IODA forgets a long outage;
//  - missing bins are skipped.
// An event is a run of alerting bins (missing bins do not break a run). Its score is
// IODA's "alert area": the relative drop in percent times the minutes, summed.
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <vector>

#include "disruption/detect_event.h"
#include "disruption/series.h"

namespace vigil::disruption {

struct IodaOptions {
  std::chrono::seconds history = std::chrono::days(7);
  std::chrono::seconds warmup = std::chrono::days(1);
  double threshold = 0.8;
  std::chrono::seconds max_inpaint = std::chrono::days(7);
};

// Per-bin trace of the rule, NaN where no prediction was made.
struct IodaTrace {
  std::vector<double> prediction;
  std::vector<double> ratio;
  std::vector<bool> alert;
};

IodaTrace RunIodaRule(const Series& series, const IodaOptions& options);
std::vector<Event> DetectIoda(const Series& series, const IodaOptions& options);

}  // namespace vigil::disruption
