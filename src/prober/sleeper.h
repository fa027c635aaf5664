// Sleeper: how the prober waits for a monotonic time (the next send slot, the next round), so
// tests can run rounds on a FakeClock without waiting. TimerSleeper waits on Asio timers
// (RealClock); FakeSleeper advances a FakeClock to the time and returns at once.
//
// Thread-safety: one io thread.
#pragma once

#include <set>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/clock.h"

namespace vigil::prober {

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Returns at `at`, or earlier when WakeAll() is called: callers that must not be early check
  // the clock again.
  virtual boost::asio::awaitable<void> Until(Clock::MonoTime at) = 0;
  virtual void WakeAll() = 0;
};

// For RealClock (steady_clock): Asio timers.
class TimerSleeper final : public Sleeper {
 public:
  boost::asio::awaitable<void> Until(Clock::MonoTime at) override;
  void WakeAll() override;

 private:
  std::set<boost::asio::steady_timer*> waiting_;
};

class FakeSleeper final : public Sleeper {
 public:
  explicit FakeSleeper(FakeClock& clock) : clock_(clock) {}
  boost::asio::awaitable<void> Until(Clock::MonoTime at) override {
    if (at > clock_.MonoNow()) clock_.Advance(at - clock_.MonoNow());
    co_return;
  }
  void WakeAll() override {}

 private:
  FakeClock& clock_;
};

}  // namespace vigil::prober
