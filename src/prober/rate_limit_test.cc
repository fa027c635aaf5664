#include "prober/rate_limit.h"

#include <algorithm>
#include <deque>

#include <gtest/gtest.h>

namespace vigil::prober {
namespace {

using std::chrono::milliseconds;

TEST(ProbeRateLimit, SpacesProbesAtTheRate) {
  FakeClock clock;
  ProbeRateLimit limit(100);  // one per 10 ms
  const auto t0 = clock.MonoNow();
  EXPECT_EQ(limit.Reserve(t0), t0);
  EXPECT_EQ(limit.Reserve(t0), t0 + milliseconds(10));
  EXPECT_EQ(limit.Reserve(t0), t0 + milliseconds(20));
  EXPECT_EQ(limit.reserved(), 3u);
}

TEST(ProbeRateLimit, IdleTimeIsNotSavedUpBeyondTheBurst) {
  FakeClock clock;
  ProbeRateLimit limit(10, 3);  // 100 ms apart, bursts of 3
  (void)limit.Reserve(clock.MonoNow());
  clock.Advance(std::chrono::seconds(60));
  const auto now = clock.MonoNow();
  EXPECT_EQ(limit.Reserve(now), now);
  EXPECT_EQ(limit.Reserve(now), now);
  EXPECT_EQ(limit.Reserve(now), now);
  EXPECT_EQ(limit.Reserve(now), now + milliseconds(100));
}

TEST(ProbeRateLimit, NoWindowHoldsMoreThanBurstPlusRateTimesLength) {
  // Callers arrive in clumps at irregular times; every send time is checked against every
  // one-second window.
  FakeClock clock;
  const double rate = 50;
  const int burst = 4;
  ProbeRateLimit limit(rate, burst);
  std::deque<Clock::MonoTime> sends;
  uint32_t x = 12345;
  for (int i = 0; i < 2000; ++i) {
    x = x * 1103515245u + 12345u;
    if (x % 7 == 0) clock.Advance(milliseconds(x % 900));
    sends.push_back(limit.Reserve(clock.MonoNow()));
  }
  std::sort(sends.begin(), sends.end());
  std::size_t j = 0;
  for (std::size_t i = 0; i < sends.size(); ++i) {
    while (sends[i] - sends[j] >= std::chrono::seconds(1)) ++j;
    ASSERT_LE(i - j + 1, static_cast<std::size_t>(burst + rate));
  }
}

}  // namespace
}  // namespace vigil::prober
