#include "prober/rate_limit.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace vigil::prober {

ProbeRateLimit::ProbeRateLimit(double rate_per_second, int burst)
    : rate_(rate_per_second),
      burst_(burst),
      // Rounded up, so the spacing never falls below 1/rate.
      interval_(static_cast<int64_t>(std::ceil(1e9 / rate_per_second))) {
  assert(rate_per_second > 0 && burst >= 1);
}

Clock::MonoTime ProbeRateLimit::Reserve(Clock::MonoTime now) {
  if (!started_ || theoretical_arrival_ < now) {
    theoretical_arrival_ = now;
    started_ = true;
  }
  // A slot may be used up to (burst - 1) intervals before its theoretical time, never before now.
  const Clock::MonoTime at = std::max(now, theoretical_arrival_ - (burst_ - 1) * interval_);
  theoretical_arrival_ += interval_;
  ++reserved_;
  return at;
}

}  // namespace vigil::prober
