// Clock: the source of time for everything in Vigil.
//
// Wall time (system_clock) is for timestamps that people read and that go into
// measurements; monotonic time (steady_clock) is for durations and timeouts. Code takes
// a Clock& so tests can substitute FakeClock and advance time by hand.
//
// Thread-safety: RealClock is stateless; FakeClock is safe for concurrent use.
#pragma once

#include <atomic>
#include <chrono>

namespace vigil {

class Clock {
 public:
  using WallTime = std::chrono::system_clock::time_point;
  using MonoTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual WallTime WallNow() const = 0;
  virtual MonoTime MonoNow() const = 0;
};

class RealClock final : public Clock {
 public:
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
  MonoTime MonoNow() const override { return std::chrono::steady_clock::now(); }
  // A process-wide instance for wiring in main().
  static RealClock& Instance();
};

class FakeClock final : public Clock {
 public:
  // Starts at the given wall time (default: 2020-01-01T00:00:00Z) and a zero monotonic time.
  explicit FakeClock(WallTime start = WallTime(std::chrono::seconds(1577836800)))
      : wall_ns_(start.time_since_epoch().count()) {}

  WallTime WallNow() const override {
    return WallTime(WallTime::duration(wall_ns_.load()));
  }
  MonoTime MonoNow() const override {
    return MonoTime(std::chrono::nanoseconds(mono_ns_.load()));
  }
  // Moves both clocks forward by d.
  void Advance(std::chrono::nanoseconds d) {
    wall_ns_ += std::chrono::duration_cast<WallTime::duration>(d).count();
    mono_ns_ += d.count();
  }

 private:
  std::atomic<WallTime::duration::rep> wall_ns_;
  std::atomic<std::chrono::nanoseconds::rep> mono_ns_{0};
};

}  // namespace vigil
