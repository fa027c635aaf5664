#include "disruption/detect_vigil.h"

#include <cmath>
#include <numbers>
#include <random>

#include <gtest/gtest.h>

namespace vigil::disruption {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

constexpr size_t kBinsPerDay = 288;  // 5-minute bins

// A signal with a daily cycle, a weekend dip and 2% multiplicative noise.
Series Synthetic(size_t n_days, uint32_t seed) {
  Series s;
  s.entity = "CM";
  s.start = *ParseTime("2024-01-01T00:00:00Z");  // a Monday
  s.step = minutes(5);
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.02);
  for (size_t i = 0; i < n_days * kBinsPerDay; ++i) {
    double day_phase = static_cast<double>(i % kBinsPerDay) / kBinsPerDay;
    double daily = 1.0 + 0.3 * std::sin(2 * std::numbers::pi * day_phase);
    double weekly = (i / kBinsPerDay) % 7 >= 5 ? 0.9 : 1.0;
    s.values.push_back(1000.0 * daily * weekly * (1.0 + noise(rng)));
  }
  return s;
}

void Scale(Series& s, size_t from, size_t to, double factor) {
  for (size_t i = from; i < to; ++i) s.values[i] *= factor;
}

std::string Dump(const std::vector<Event>& events) {
  std::string out;
  for (const Event& e : events) {
    AppendEventJson(out, e);
    out += "\n";
  }
  return out;
}

size_t BinOf(const Series& s, WallTime t) {
  return static_cast<size_t>((t - s.start) / s.step);
}

TEST(VigilDetectorTest, FindsACleanFullOutageWithinOneBin) {
  Series s = Synthetic(42, 1);
  const size_t from = 35 * kBinsPerDay + 120, to = from + 72;  // 6 hours
  Scale(s, from, to, 0.0);
  std::vector<Event> events = DetectVigil(s, {});
  ASSERT_EQ(events.size(), 1u) << Dump(events);
  EXPECT_LE(std::abs(static_cast<long>(BinOf(s, events[0].start)) - static_cast<long>(from)), 1);
  ASSERT_TRUE(events[0].end);
  EXPECT_LE(std::abs(static_cast<long>(BinOf(s, *events[0].end)) - static_cast<long>(to)), 1);
  EXPECT_EQ(events[0].kind, EventKind::kFull);
  EXPECT_NEAR(events[0].score, 6.0, 0.5);  // six baseline-hours lost
  EXPECT_LE(events[0].detected - events[0].start, minutes(15));
}

TEST(VigilDetectorTest, FindsATenPercentRegionalDrop) {
  Series s = Synthetic(42, 2);
  const size_t from = 36 * kBinsPerDay, to = from + 12 * 12;  // 12 hours
  Scale(s, from, to, 0.9);
  std::vector<Event> events = DetectVigil(s, {});
  ASSERT_EQ(events.size(), 1u) << Dump(events);
  EXPECT_EQ(events[0].kind, EventKind::kPartial);
  EXPECT_LE(BinOf(s, events[0].start), from + 6);
  EXPECT_GE(BinOf(s, events[0].start) + 6, from);
  ASSERT_TRUE(events[0].end);
  EXPECT_NEAR(static_cast<double>(BinOf(s, *events[0].end)), static_cast<double>(to), 12);
}

TEST(VigilDetectorTest, NoiseAloneGivesNoEvents) {
  for (uint32_t seed = 10; seed < 14; ++seed) {
    Series s = Synthetic(60, seed);
    EXPECT_TRUE(DetectVigil(s, {}).empty()) << "seed " << seed;
  }
}

TEST(VigilDetectorTest, NinetyThreeDayOutageIsOneEvent) {
  Series s = Synthetic(35 + 93 + 21, 3);
  const size_t from = 35 * kBinsPerDay + 100, to = from + 93 * kBinsPerDay;
  Scale(s, from, to, 0.02);
  std::vector<Event> events = DetectVigil(s, {});
  ASSERT_EQ(events.size(), 1u) << Dump(events);
  EXPECT_EQ(events[0].kind, EventKind::kFull);
  EXPECT_LE(std::abs(static_cast<long>(BinOf(s, events[0].start)) - static_cast<long>(from)), 1);
  ASSERT_TRUE(events[0].end);
  EXPECT_LE(std::abs(static_cast<long>(BinOf(s, *events[0].end)) - static_cast<long>(to)), 1);
}

TEST(VigilDetectorTest, BaselineDoesNotLearnTheOutage) {
  Series clean = Synthetic(35 + 20 + 7, 4);
  Series s = clean;
  const size_t from = 35 * kBinsPerDay, to = from + 20 * kBinsPerDay;
  Scale(s, from, to, 0.5);
  VigilResult result = RunVigil(s, {});
  ASSERT_EQ(result.events.size(), 1u) << Dump(result.events);
  // Late in the outage and right after it, the baseline still expects the normal level.
  for (size_t i : {to - 10, to + 3}) {
    double expected = clean.values[i];
    EXPECT_NEAR(result.trace.baseline[i] / expected, 1.0, 0.08) << "bin " << i;
  }
  EXPECT_TRUE(result.trace.in_event[to - 1]);
  EXPECT_FALSE(result.trace.in_event[to + 2]);
}

TEST(VigilDetectorTest, FollowsGrowth) {
  Series s = Synthetic(70, 5);
  for (size_t i = 0; i < s.size(); ++i) {
    s.values[i] *= 1.0 + 0.01 * static_cast<double>(i) / kBinsPerDay;  // +1%/day
  }
  EXPECT_TRUE(DetectVigil(s, {}).empty());
}

}  // namespace
}  // namespace vigil::disruption
