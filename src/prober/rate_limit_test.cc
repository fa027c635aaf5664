#include "prober/rate_limit.h"

#include <algorithm>
#include <deque>
#include <set>

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
}

TEST(ProbeRateLimit, CountsAndSpacesTheProbesSent) {
  FakeClock clock;
  ProbeRateLimit limit(100);
  const auto t0 = clock.MonoNow();
  EXPECT_EQ(limit.MaySendAt(t0), t0);
  limit.Sent(t0);
  EXPECT_EQ(limit.MaySendAt(t0), t0 + milliseconds(10));
  EXPECT_EQ(limit.MaySendAt(t0 + milliseconds(15)), t0 + milliseconds(15));
  limit.Sent(t0 + milliseconds(15));
  EXPECT_EQ(limit.MaySendAt(t0 + milliseconds(15)), t0 + milliseconds(25));
  EXPECT_EQ(limit.sent(), 2u);
}

TEST(ProbeRateLimit, CallersWokenLateAfterAStallDoNotGoOutTogether) {
  // Ten callers hold slots 10 ms apart; the process stalls for 200 ms, so all ten wake at once.
  // Only the first may send; each of the others is told to wait 10 ms more than the one before.
  FakeClock clock;
  ProbeRateLimit limit(100);
  const auto t0 = clock.MonoNow();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(limit.Reserve(t0), t0 + i * milliseconds(10));
  const auto late = t0 + milliseconds(200);
  EXPECT_EQ(limit.MaySendAt(late), late);
  limit.Sent(late);
  for (int i = 1; i < 10; ++i) {
    const auto now = late + (i - 1) * milliseconds(10);
    EXPECT_GT(limit.MaySendAt(now), now) << i;
    EXPECT_EQ(limit.MaySendAt(now + milliseconds(10)), now + milliseconds(10)) << i;
    limit.Sent(now + milliseconds(10));
  }
  EXPECT_EQ(limit.sent(), 10u);
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

TEST(ProbeRateLimit, NoWindowHoldsMoreThanBurstPlusRateTimesLengthEvenWithStalls) {
  // Callers arrive in clumps at irregular times; now and then the process stalls (the clock
  // jumps while they wait) and every caller whose time has passed wakes at the same moment, as
  // coroutines do on a busy machine. Each follows ProbeSender's loop. Every send time is checked
  // against every one-second window.
  FakeClock clock;
  const double rate = 50;
  const int burst = 4;
  ProbeRateLimit limit(rate, burst);
  std::deque<Clock::MonoTime> sends;
  std::multiset<Clock::MonoTime> waiting;  // when each waiting caller will look at the clock
  uint32_t x = 12345;
  auto next_random = [&x] { return x = x * 1103515245u + 12345u; };
  auto run_due = [&] {  // the callers due by now, all woken at this same moment
    for (int guard = 0; guard < 100000 && !waiting.empty(); ++guard) {
      auto first = waiting.begin();
      const auto now = clock.MonoNow();
      if (*first > now) break;
      waiting.erase(first);
      const auto may = limit.MaySendAt(now);
      if (may <= now) {
        limit.Sent(now);
        sends.push_back(now);
      } else {
        waiting.insert(may);
      }
    }
  };
  for (int i = 0; i < 3000; ++i) {
    if (next_random() % 50 == 0) clock.Advance(milliseconds(x % 900));  // idle
    for (uint32_t n = next_random() % 8; n > 0; --n) waiting.insert(limit.Reserve(clock.MonoNow()));
    run_due();
    if (next_random() % 10 == 0) {
      clock.Advance(milliseconds(x % 700));  // a stall
      run_due();
    } else if (next_random() % 2 == 0 && !waiting.empty() && *waiting.begin() > clock.MonoNow()) {
      clock.Advance(*waiting.begin() - clock.MonoNow());  // on time
      run_due();
    }
  }
  EXPECT_GT(sends.size(), 1000u);
  std::sort(sends.begin(), sends.end());
  std::size_t j = 0;
  for (std::size_t i = 0; i < sends.size(); ++i) {
    while (sends[i] - sends[j] >= std::chrono::seconds(1)) ++j;
    ASSERT_LE(i - j + 1, static_cast<std::size_t>(burst + rate));
  }
}

}  // namespace
}  // namespace vigil::prober
