#include "prober/trinocular.h"

#include <set>

#include <gtest/gtest.h>

namespace vigil::prober {
namespace {

BlockSurvey Survey(int addresses, double availability) {
  BlockSurvey s;
  s.prefix = 0x0a010200;  // 10.1.2.0
  for (int i = 1; i <= addresses; ++i) s.ever_responsive.push_back(static_cast<uint8_t>(i));
  s.availability = availability;
  return s;
}

// Runs one round answering with `answer(address)`; returns the outcome.
template <typename F>
BlockTracker::RoundOutcome Round(BlockTracker& t, F answer) {
  t.BeginRound();
  while (auto a = t.NextProbe()) t.Record(answer(*a));
  return t.EndRound();
}

// Runs one round answering from a script (false once the script runs out).
BlockTracker::RoundOutcome Scripted(BlockTracker& t, std::vector<bool> script) {
  std::size_t i = 0;
  return Round(t, [&](uint32_t) { return i < script.size() ? bool(script[i++]) : false; });
}

TEST(UpdateBelief, FollowsBayesRule) {
  TrinocularParams p;
  // B=0.5, A=0.5: positive -> 0.25 / (0.25 + 0.005).
  EXPECT_NEAR(UpdateBelief(0.5, true, 0.5, p), 0.25 / 0.255, 1e-12);
  // Negative -> 0.25 / (0.25 + 0.495).
  EXPECT_NEAR(UpdateBelief(0.5, false, 0.5, p), 0.25 / 0.745, 1e-12);
}

TEST(UpdateBelief, StaysWithinFloorAndCeiling) {
  TrinocularParams p;
  EXPECT_DOUBLE_EQ(UpdateBelief(0.99, true, 0.8, p), 0.99);
  EXPECT_DOUBLE_EQ(UpdateBelief(0.02, false, 0.8, p), 0.01);
}

TEST(UpdateBelief, CapsTheAvailabilityItUses) {
  TrinocularParams p;
  // With A = 1 a single loss would prove the block down; the cap makes it evidence only.
  EXPECT_GT(UpdateBelief(0.99, false, 1.0, p), 0.9);
  EXPECT_DOUBLE_EQ(UpdateBelief(0.7, false, 1.0, p), UpdateBelief(0.7, false, 0.7, p));
}

TEST(Classify, UsesThePapersThresholds) {
  TrinocularParams p;
  EXPECT_EQ(Classify(0.9, p), BlockState::kUp);
  EXPECT_EQ(Classify(0.89, p), BlockState::kUncertain);
  EXPECT_EQ(Classify(0.11, p), BlockState::kUncertain);
  EXPECT_EQ(Classify(0.1, p), BlockState::kDown);
}

TEST(BlockTracker, FirstRoundDecidesFromUncertain) {
  TrinocularParams p;
  BlockTracker t(Survey(20, 1.0), p, 1);
  EXPECT_EQ(t.state(), BlockState::kUncertain);
  auto r = Scripted(t, {true});
  EXPECT_EQ(r.previous, BlockState::kUncertain);
  EXPECT_EQ(r.state, BlockState::kUp);
  EXPECT_EQ(r.probes, 1);
}

TEST(BlockTracker, StableUpBlockCostsOneProbeARound) {
  TrinocularParams p;
  BlockTracker t(Survey(20, 1.0), p, 1);
  for (int round = 0; round < 50; ++round) {
    auto r = Round(t, [](uint32_t) { return true; });
    EXPECT_EQ(r.probes, 1);
    EXPECT_EQ(r.state, BlockState::kUp);
  }
}

TEST(BlockTracker, BlockGoingDownIsFoundInOneRound) {
  TrinocularParams p;
  BlockTracker t(Survey(20, 1.0), p, 1);
  for (int i = 0; i < 5; ++i) Scripted(t, {true});
  ASSERT_EQ(t.state(), BlockState::kUp);
  auto r = Round(t, [](uint32_t) { return false; });
  EXPECT_EQ(r.previous, BlockState::kUp);
  EXPECT_EQ(r.state, BlockState::kDown);
  EXPECT_TRUE(r.changed());
  // From 0.99 each loss multiplies the odds by 0.3 / 0.99: six losses reach 0.1.
  EXPECT_EQ(r.probes, 6);
  EXPECT_LE(t.belief(), p.down_threshold);
  // A down block stays down at one probe a round.
  auto again = Round(t, [](uint32_t) { return false; });
  EXPECT_EQ(again.state, BlockState::kDown);
  EXPECT_EQ(again.probes, 1);
  EXPECT_FALSE(again.changed());
}

TEST(BlockTracker, RecoveryIsFoundInOneRound) {
  TrinocularParams p;
  BlockTracker t(Survey(20, 1.0), p, 1);
  Scripted(t, {false, false});
  for (int i = 0; i < 10; ++i) Round(t, [](uint32_t) { return false; });
  ASSERT_EQ(t.state(), BlockState::kDown);
  auto r = Round(t, [](uint32_t) { return true; });
  EXPECT_EQ(r.state, BlockState::kUp);
  EXPECT_EQ(r.probes, 2);
}

TEST(BlockTracker, LossesFollowedByAReplyKeepTheBlockUp) {
  TrinocularParams p;
  BlockTracker t(Survey(40, 1.0), p, 1);
  for (int i = 0; i < 3; ++i) Scripted(t, {true});
  auto r = Scripted(t, {false, false, false, true});
  EXPECT_EQ(r.state, BlockState::kUp);
  EXPECT_EQ(r.probes, 4);
  EXPECT_FALSE(r.changed());
}

TEST(BlockTracker, PartialOutageOfAQuarterIsRarelyDown) {
  // A quarter of E(b) gone: a round ends down only after six losses in a row, which happens in
  // about 0.25^6 = 1 round in 4000.
  TrinocularParams p;
  BlockTracker t(Survey(48, 1.0), p, 7);
  Scripted(t, {true});
  int not_up = 0;
  int max_probes = 0;
  for (int round = 0; round < 2000; ++round) {
    auto r = Round(t, [](uint32_t a) { return (a & 0xff) % 4 != 0; });
    if (r.state != BlockState::kUp) ++not_up;
    max_probes = std::max(max_probes, r.probes);
  }
  EXPECT_LE(not_up, 2);
  EXPECT_LE(max_probes, 7);
  // A(b) follows the answers down towards 0.75.
  EXPECT_LT(t.availability(), 0.85);
}

TEST(BlockTracker, NeverMoreThanFifteenProbesARound) {
  TrinocularParams p;
  // A sparse block needs many losses to be sure; the round stops at 15 and says uncertain.
  BlockTracker t(Survey(30, 0.15), p, 1);
  Scripted(t, {true});
  ASSERT_EQ(t.state(), BlockState::kUp);
  auto r = Round(t, [](uint32_t) { return false; });
  EXPECT_EQ(r.probes, 15);
  EXPECT_EQ(r.state, BlockState::kUncertain);
}

TEST(BlockTracker, CyclesThroughEverResponsiveAddresses) {
  TrinocularParams p;
  BlockTracker t(Survey(10, 1.0), p, 3);
  std::set<uint32_t> seen;
  for (int round = 0; round < 10; ++round) {
    Round(t, [&](uint32_t a) {
      seen.insert(a);
      return true;
    });
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(*seen.begin(), 0x0a010201u);
  EXPECT_EQ(*seen.rbegin(), 0x0a01020au);
}

TEST(BlockTracker, SparseBlocksAreUnmeasurable) {
  TrinocularParams p;
  BlockTracker empty(Survey(0, 0), p, 1);
  EXPECT_EQ(empty.state(), BlockState::kUnmeasurable);
  EXPECT_FALSE(empty.NextProbe());
  BlockTracker sparse(Survey(20, 0.05), p, 1);
  EXPECT_EQ(sparse.state(), BlockState::kUnmeasurable);
  EXPECT_FALSE(IsMeasurable(Survey(20, 0.05), p));
  EXPECT_TRUE(IsMeasurable(Survey(20, 0.1), p));
}

TEST(BlockTracker, AvailabilityFallingBelowTheMinimumMakesTheBlockUnmeasurable) {
  TrinocularParams p;
  p.availability_memory = 20;
  BlockTracker t(Survey(50, 0.3), p, 1);
  BlockState last = Scripted(t, {true}).state;
  ASSERT_EQ(last, BlockState::kUp);
  // One reply in 15 keeps the block from being judged down but drags A below 0.1.
  for (int round = 0; round < 40 && last != BlockState::kUnmeasurable; ++round) {
    last = Scripted(t, {false, false, false, false, false, false, false, false, false, false,
                        false, false, false, false, true}).state;
  }
  EXPECT_EQ(last, BlockState::kUnmeasurable);
  EXPECT_FALSE(t.NextProbe());
}

TEST(BlockName, FormatsTheSlash24) { EXPECT_EQ(BlockName(0x0a010200), "10.1.2.0/24"); }

}  // namespace
}  // namespace vigil::prober
