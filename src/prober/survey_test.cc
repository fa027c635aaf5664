#include "prober/survey.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "prober/fake_pinger.h"

namespace vigil::prober {
namespace {

namespace asio = boost::asio;

TEST(SummarizeSurvey, EverResponsiveIsTheUnionAndAvailabilityTheMeanFraction) {
  std::vector<std::bitset<256>> passes(2);
  passes[0].set(1).set(2);
  passes[1].set(2).set(3).set(4);
  auto s = SummarizeSurvey(0x0a000100, passes);
  EXPECT_EQ(s.ever_responsive, (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_DOUBLE_EQ(s.availability, (2.0 / 4 + 3.0 / 4) / 2);
  auto none = SummarizeSurvey(0x0a000100, {std::bitset<256>{}});
  EXPECT_TRUE(none.ever_responsive.empty());
  EXPECT_EQ(none.availability, 0);
}

TEST(SurveyBlocks, ProbesEveryHostOfEveryBlockEachPassWithinTheCap) {
  FakeClock clock;
  FakePinger pinger(&clock);
  pinger.cost = std::chrono::milliseconds(0);
  ProbeRateLimit limit(1000);
  FakeSleeper sleeper(clock);
  ProbeSender sender(pinger, limit, clock, sleeper, std::chrono::milliseconds(100));
  // Block 1: only .1 to .20 exist. Block 2: nothing.
  for (uint32_t h = 21; h < 256; ++h) pinger.silent.insert(0x0ae80100u | h);
  pinger.silent_blocks.insert(0x0ae80200u);
  std::vector<BlockSpec> blocks{{0x0ae80100, {{"asn", "AS1"}}}, {0x0ae80200, {}}};
  std::vector<SurveyedBlock> result;
  uint64_t last_done = 0;
  SurveyOptions options;
  options.passes = 2;
  options.workers = 16;
  options.progress = [&](uint64_t done, uint64_t) { last_done = done; };
  const auto start = clock.MonoNow();
  asio::io_context io;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    result = co_await SurveyBlocks(blocks, sender, options);
  }, asio::detached);
  io.run();
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0].survey.ever_responsive.size(), 20u);
  EXPECT_DOUBLE_EQ(result[0].survey.availability, 1.0);
  EXPECT_EQ(result[0].entities, (std::vector<Entity>{{"asn", "AS1"}}));
  EXPECT_TRUE(result[1].survey.ever_responsive.empty());
  EXPECT_EQ(pinger.probed.size(), 2u * 2u * 254u);
  EXPECT_EQ(sender.sent(), pinger.probed.size());
  EXPECT_EQ(last_done, pinger.probed.size());
  // 1016 probes at 1000/s take at least 1.015 s.
  EXPECT_GE(clock.MonoNow() - start, std::chrono::milliseconds(1015));
  // Consecutive probes go to different blocks.
  EXPECT_NE(pinger.probed[0] & 0xffffff00u, pinger.probed[1] & 0xffffff00u);
}

}  // namespace
}  // namespace vigil::prober
