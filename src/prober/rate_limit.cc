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

// A slot may be used up to (burst - 1) intervals before its theoretical time, never before now.
Clock::MonoTime ProbeRateLimit::Earliest(const Gcra& g, Clock::MonoTime now) const {
  if (!g.started || g.theoretical_arrival < now) return now;
  return std::max(now, g.theoretical_arrival - (burst_ - 1) * interval_);
}

void ProbeRateLimit::Advance(Gcra& g, Clock::MonoTime now, std::chrono::nanoseconds interval) {
  if (!g.started || g.theoretical_arrival < now) {
    g.theoretical_arrival = now;
    g.started = true;
  }
  g.theoretical_arrival += interval;
}

Clock::MonoTime ProbeRateLimit::Reserve(Clock::MonoTime now) {
  const Clock::MonoTime at = Earliest(reserved_, now);
  Advance(reserved_, now, interval_);
  return at;
}

Clock::MonoTime ProbeRateLimit::MaySendAt(Clock::MonoTime now) const {
  return Earliest(sent_schedule_, now);
}

void ProbeRateLimit::Sent(Clock::MonoTime now) {
  assert(MaySendAt(now) == now);
  Advance(sent_schedule_, now, interval_);
  ++sent_;
}

}  // namespace vigil::prober
