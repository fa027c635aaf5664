#include "prober/rounds.h"

#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "prober/fake_pinger.h"

namespace vigil::prober {
namespace {

namespace asio = boost::asio;

BlockSurvey Full(uint32_t prefix, int hosts) {
  BlockSurvey s;
  s.prefix = prefix;
  for (int i = 1; i <= hosts; ++i) s.ever_responsive.push_back(static_cast<uint8_t>(i));
  s.availability = 1.0;
  return s;
}

class RoundsTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kA = 0x0ae80100, kB = 0x0ae80200, kC = 0x0ae80300;

  explicit RoundsTest(double rate = 100, int blocks = 3)
      : pinger_(&clock_),
        limit_(rate),
        sleeper_(clock_),
        sender_(pinger_, limit_, clock_, sleeper_, std::chrono::milliseconds(100)) {
    for (int i = 0; i < blocks; ++i) {
      trackers_.emplace_back(Full(kA + (static_cast<uint32_t>(i) << 8), 40), params_, 1);
    }
  }

  // Runs `rounds` rounds; before round r (1-based) starts, script(r) may change the network.
  void Run(int rounds, std::function<void(int)> script) {
    RoundOptions options;
    options.round_length = std::chrono::seconds(2);
    options.rounds = rounds;
    RoundRunner runner(trackers_, sender_, options);
    script(1);
    auto on_change = [&](const StateChange& c) { changes_.push_back(c); };
    auto on_round = [&](const RoundSummary& s) -> asio::awaitable<void> {
      summaries_.push_back(s);
      script(s.round + 1);
      co_return;
    };
    asio::io_context io;
    asio::co_spawn(io, runner.Run(on_change, on_round), asio::detached);
    io.run();
  }

  std::vector<StateChange> ChangesOf(uint32_t prefix) const {
    std::vector<StateChange> out;
    for (const auto& c : changes_) if (c.prefix == prefix) out.push_back(c);
    return out;
  }

  FakeClock clock_;
  TrinocularParams params_;
  FakePinger pinger_;
  ProbeRateLimit limit_;
  FakeSleeper sleeper_;
  ProbeSender sender_;
  std::vector<BlockTracker> trackers_;
  std::vector<StateChange> changes_;
  std::vector<RoundSummary> summaries_;
};

TEST_F(RoundsTest, BlockGoingDownAndBackIsFoundInTheNextRound) {
  Run(8, [&](int round) {
    if (round == 3) pinger_.silent_blocks.insert(kB);
    if (round == 6) pinger_.silent_blocks.erase(kB);
  });
  ASSERT_EQ(summaries_.size(), 8u);
  auto b = ChangesOf(kB);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].round, 1);
  EXPECT_EQ(b[0].outcome.state, BlockState::kUp);
  EXPECT_EQ(b[1].round, 3);
  EXPECT_EQ(b[1].outcome.state, BlockState::kDown);
  EXPECT_EQ(b[1].outcome.previous, BlockState::kUp);
  EXPECT_EQ(b[2].round, 6);
  EXPECT_EQ(b[2].outcome.state, BlockState::kUp);
  EXPECT_EQ(ChangesOf(kA).size(), 1u);
  EXPECT_EQ(summaries_[3].down, 1);
  EXPECT_EQ(summaries_[3].up, 2);
  EXPECT_EQ(summaries_[7].up, 3);
}

TEST_F(RoundsTest, ProbeCountsAddUpAndStayWithinTheCaps) {
  Run(6, [&](int round) {
    if (round == 2) pinger_.silent_blocks.insert(kC);
  });
  uint64_t total = 0;
  for (const auto& s : summaries_) {
    total += s.probes;
    EXPECT_LE(s.max_block_probes, params_.max_probes_per_round);
    EXPECT_LE(s.probes, 3u * 15u);
  }
  EXPECT_EQ(total, sender_.sent());
  EXPECT_EQ(total, limit_.sent());
  EXPECT_EQ(total, pinger_.probed.size());
  // Stable rounds cost one probe per block.
  EXPECT_EQ(summaries_.back().probes, 3u);
}

TEST_F(RoundsTest, RoundsStartOnTheGrid) {
  Run(4, [](int) {});
  for (std::size_t i = 1; i < summaries_.size(); ++i) {
    EXPECT_EQ(summaries_[i].start - summaries_[i - 1].start, std::chrono::seconds(2));
    EXPECT_FALSE(summaries_[i].overran);
  }
}

TEST_F(RoundsTest, NoSecondHoldsMoreProbesThanTheCap) {
  Run(6, [&](int round) {
    if (round == 2) pinger_.silent_blocks.insert(kB);
    if (round == 4) pinger_.silent_blocks.erase(kB);
  });
  const auto& t = pinger_.sent_at;
  std::size_t j = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    while (t[i] - t[j] >= std::chrono::seconds(1)) ++j;
    ASSERT_LE(i - j + 1, 101u);  // burst 1 + 100/s
  }
  for (std::size_t i = 1; i < t.size(); ++i) {
    ASSERT_GE(t[i] - t[i - 1], std::chrono::milliseconds(10));
  }
}

class SlowRoundsTest : public RoundsTest {
 protected:
  SlowRoundsTest() : RoundsTest(/*rate=*/10, /*blocks=*/50) {}
};

TEST_F(SlowRoundsTest, ARoundLongerThanItsLengthIsReportedAndTheNextStartsAtOnce) {
  // 50 blocks at 10 probes/s need 5 s; rounds are 2 s long.
  Run(3, [](int) {});
  ASSERT_EQ(summaries_.size(), 3u);
  for (const auto& s : summaries_) {
    EXPECT_TRUE(s.overran);
    EXPECT_EQ(s.probes, 50u);
    EXPECT_GE(s.duration, std::chrono::milliseconds(4900));
  }
  EXPECT_EQ(summaries_[1].start, summaries_[0].start + summaries_[0].duration);
}

}  // namespace
}  // namespace vigil::prober
