#include "server/rate_limiter.h"

#include <gtest/gtest.h>

namespace vigil::server {
namespace {

TEST(RateLimiterTest, BurstThenRefillPerAddress) {
  FakeClock clock;
  RateLimiter limiter(clock, RateLimit{2.0, 3.0, 100});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Take("10.0.0.1"));
  std::chrono::milliseconds retry{0};
  EXPECT_FALSE(limiter.Take("10.0.0.1", &retry));
  EXPECT_EQ(retry.count(), 500);
  EXPECT_TRUE(limiter.Take("10.0.0.2"));  // another address has its own bucket
  clock.Advance(std::chrono::milliseconds(500));
  EXPECT_TRUE(limiter.Take("10.0.0.1"));
  EXPECT_FALSE(limiter.Take("10.0.0.1"));
}

TEST(RateLimiterTest, TableStaysBounded) {
  FakeClock clock;
  RateLimiter limiter(clock, RateLimit{1.0, 1.0, 4});
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.Take("10.0.0." + std::to_string(i)));
}

TEST(RateLimiterTest, ClientAddressDropsThePort) {
  EXPECT_EQ(ClientAddress("127.0.0.1:5555"), "127.0.0.1");
  EXPECT_EQ(ClientAddress("[::1]:5555"), "::1");
  EXPECT_EQ(ClientAddress("host"), "host");
}

}  // namespace
}  // namespace vigil::server
