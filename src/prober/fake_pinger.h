// FakePinger: a scripted Pinger for tests. An address answers unless it is in `silent`; every
// probe advances a FakeClock by `cost` and is recorded.
//
// Thread-safety: one io thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "prober/pinger.h"

namespace vigil::prober {

class FakePinger final : public Pinger {
 public:
  explicit FakePinger(FakeClock* clock = nullptr) : clock_(clock) {}
  boost::asio::awaitable<bool> Probe(uint32_t address, std::chrono::milliseconds) override {
    probed.push_back(address);
    if (clock_) sent_at.push_back(clock_->MonoNow());
    if (clock_) clock_->Advance(cost);
    co_return silent.count(address) == 0 && silent_blocks.count(address & 0xffffff00u) == 0;
  }
  std::string method() const override { return "fake"; }

  std::set<uint32_t> silent;         // addresses that do not answer
  std::set<uint32_t> silent_blocks;  // /24 prefixes that do not answer at all
  std::vector<uint32_t> probed;
  std::vector<Clock::MonoTime> sent_at;  // when each probe was sent (with a clock)
  std::chrono::milliseconds cost{1};

 private:
  FakeClock* clock_;
};

}  // namespace vigil::prober
