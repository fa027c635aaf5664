// ProbeRateLimit: the prober's hard global cap on probes per second, a token bucket in its
// virtual-scheduling form (GCRA): each Reserve() takes the next free send slot. Slots are spaced
// 1/rate apart, and at most `burst` of them may fall at the same instant after an idle time, so
// over any interval of length W at most burst + W * rate probes are sent. Every reservation is
// counted: the count is the number of probes the caller sent.
//
// Thread-safety: not thread-safe; the prober uses it from one io thread.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/clock.h"

namespace vigil::prober {

class ProbeRateLimit {
 public:
  // Precondition: rate_per_second > 0, burst >= 1.
  explicit ProbeRateLimit(double rate_per_second, int burst = 1);

  // Reserves one probe; returns the monotonic time at which it may be sent (now or later).
  Clock::MonoTime Reserve(Clock::MonoTime now);

  uint64_t reserved() const { return reserved_; }
  double rate() const { return rate_; }
  int burst() const { return burst_; }

 private:
  double rate_;
  int burst_;
  std::chrono::nanoseconds interval_;
  Clock::MonoTime theoretical_arrival_{};
  bool started_ = false;
  uint64_t reserved_ = 0;
};

}  // namespace vigil::prober
