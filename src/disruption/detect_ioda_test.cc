#include "disruption/detect_ioda.h"

#include <gtest/gtest.h>

namespace vigil::disruption {
namespace {

using std::chrono::hours;

Series Hourly(std::vector<double> values) {
  Series s;
  s.entity = "XX";
  s.start = *ParseTime("2024-01-01T00:00:00Z");
  s.step = hours(1);
  s.values = std::move(values);
  return s;
}

IodaOptions SmallWindows() {
  IodaOptions o;
  o.history = hours(4);
  o.warmup = hours(2);
  o.threshold = 0.8;
  o.max_inpaint = hours(3);
  return o;
}

std::vector<size_t> AlertBins(const IodaTrace& trace) {
  std::vector<size_t> bins;
  for (size_t i = 0; i < trace.alert.size(); ++i) {
    if (trace.alert[i]) bins.push_back(i);
  }
  return bins;
}

TEST(IodaRuleTest, AlertsExactlyTheLowBins) {
  Series s = Hourly({10, 10, 10, 10, 10, 10, 5, 5, 10, 10, 7.9, 8.1});
  IodaTrace trace = RunIodaRule(s, SmallWindows());
  // Bins 0 and 1 are the warm-up: no prediction.
  EXPECT_TRUE(std::isnan(trace.prediction[0]));
  EXPECT_TRUE(std::isnan(trace.prediction[1]));
  EXPECT_EQ(trace.prediction[2], 10);
  // The inpainted history keeps predicting 10 during and after the drop.
  EXPECT_EQ(trace.prediction[7], 10);
  EXPECT_EQ(trace.prediction[8], 10);
  EXPECT_EQ(AlertBins(trace), (std::vector<size_t>{6, 7, 10}));

  std::vector<Event> events = DetectIoda(s, SmallWindows());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].start, s.TimeAt(6));
  EXPECT_EQ(events[0].end, s.TimeAt(8));
  EXPECT_EQ(events[0].kind, EventKind::kPartial);
  EXPECT_DOUBLE_EQ(events[0].score, 2 * 50.0 * 60);  // IODA alert area: % drop × minutes
  EXPECT_EQ(events[1].start, s.TimeAt(10));
  EXPECT_EQ(events[1].end, s.TimeAt(11));
}

TEST(IodaRuleTest, ALongDropBecomesTheNewNormalAfterMaxInpaint) {
  Series s = Hourly({10, 10, 10, 10, 10, 10, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5});
  IodaTrace trace = RunIodaRule(s, SmallWindows());
  EXPECT_EQ(AlertBins(trace), (std::vector<size_t>{6, 7, 8}));
  EXPECT_EQ(trace.prediction[9], 0.5);
  std::vector<Event> events = DetectIoda(s, SmallWindows());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::kFull);
  EXPECT_EQ(events[0].end, s.TimeAt(9));
}

TEST(IodaRuleTest, MissingBinsAreSkippedAndDoNotSplitAnEvent) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Series s = Hourly({10, 10, 10, 10, 10, 10, 5, nan, 5, 10});
  IodaTrace trace = RunIodaRule(s, SmallWindows());
  EXPECT_EQ(AlertBins(trace), (std::vector<size_t>{6, 8}));
  std::vector<Event> events = DetectIoda(s, SmallWindows());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].end, s.TimeAt(9));
}

TEST(IodaRuleTest, OngoingEventHasNoEnd) {
  Series s = Hourly({10, 10, 10, 10, 5});
  std::vector<Event> events = DetectIoda(s, SmallWindows());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].end);
}

TEST(EventJsonTest, WritesOneObject) {
  Event e;
  e.entity = "CM";
  e.start = *ParseTime("2024-01-01T00:00:00Z");
  e.kind = EventKind::kFull;
  e.score = 1.5;
  std::string out;
  AppendEventJson(out, e);
  EXPECT_EQ(out,
            R"({"entity":"CM","start":"2024-01-01T00:00:00Z","end":null,"kind":"full","score":1.5})");
}

}  // namespace
}  // namespace vigil::disruption
