// ProbeRateLimit: the prober's hard global cap on probes per second, a token bucket in its
// virtual-scheduling form (GCRA). It keeps two schedules:
//  - Reserve() hands each caller its own future slot, spaced 1/rate apart, so that hundreds of
//    waiting coroutines wake one at a time instead of all at once;
//  - the cap itself is enforced on the probes actually sent (MaySendAt/Sent): when the process
//    was stalled and several reserved slots have passed, the late callers do not go out together
//    but wait again, each at least 1/rate after the previous send.
// So over any interval of length W at most burst + W * rate probes are sent, whatever the
// scheduler does; at most `burst` go out at the same instant after an idle time.
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

  // Reserves a slot; returns the monotonic time at which the caller should try to send (now or
  // later). A slot is a place in line, not a permission: check MaySendAt() when it comes.
  Clock::MonoTime Reserve(Clock::MonoTime now);

  // The earliest time at which the next probe may be sent under the cap (now or later).
  Clock::MonoTime MaySendAt(Clock::MonoTime now) const;

  // Records a probe sent at `now`. Precondition: MaySendAt(now) == now.
  void Sent(Clock::MonoTime now);

  uint64_t sent() const { return sent_; }
  double rate() const { return rate_; }
  int burst() const { return burst_; }

 private:
  struct Gcra {
    Clock::MonoTime theoretical_arrival{};
    bool started = false;
  };
  Clock::MonoTime Earliest(const Gcra& g, Clock::MonoTime now) const;
  static void Advance(Gcra& g, Clock::MonoTime now, std::chrono::nanoseconds interval);

  double rate_;
  int burst_;
  std::chrono::nanoseconds interval_;
  Gcra reserved_;
  Gcra sent_schedule_;
  uint64_t sent_ = 0;
};

}  // namespace vigil::prober
