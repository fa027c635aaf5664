#include "core/clock.h"

#include <gtest/gtest.h>

#include "core/time_format.h"

namespace vigil {
namespace {

TEST(FakeClock, AdvancesWallAndMonotonicTogether) {
  FakeClock clock;
  auto wall0 = clock.WallNow();
  auto mono0 = clock.MonoNow();
  clock.Advance(std::chrono::minutes(90));
  EXPECT_EQ(clock.WallNow() - wall0, std::chrono::minutes(90));
  EXPECT_EQ(clock.MonoNow() - mono0, std::chrono::minutes(90));
  EXPECT_EQ(FormatOoniTime(clock.WallNow()), "2020-01-01 01:30:00");
}

TEST(RealClock, MonotonicNeverGoesBack) {
  auto& clock = RealClock::Instance();
  auto a = clock.MonoNow();
  auto b = clock.MonoNow();
  EXPECT_LE(a, b);
}

}  // namespace
}  // namespace vigil
