#include "disruption/fusion.h"

#include <cmath>

#include <gtest/gtest.h>

namespace vigil::disruption {
namespace {

using std::chrono::days;
using std::chrono::hours;

const WallTime kT0 = std::chrono::sys_days(std::chrono::year(2026) / 1 / 5);  // a Monday

// `n` hourly bins with a daily cycle around `level`; bins in [from, to) scaled by `keep`.
Series Volume(size_t n, double level, size_t from, size_t to, double keep) {
  Series s;
  s.start = kT0;
  s.step = hours(1);
  for (size_t i = 0; i < n; ++i) {
    double v = level * (1.0 + 0.2 * std::sin(2 * M_PI * static_cast<double>(i % 24) / 24.0)) +
               static_cast<double>((i * 7919) % 5) * 0.002 * level;
    if (i >= from && i < to) v *= keep;
    s.values.push_back(v);
  }
  return s;
}

// A share series: `base` everywhere, `during` in [from, to).
Series Share(size_t n, double base, size_t from, size_t to, double during) {
  Series s;
  s.start = kT0;
  s.step = hours(1);
  for (size_t i = 0; i < n; ++i) s.values.push_back(i >= from && i < to ? during : base);
  return s;
}

constexpr size_t kWeeks5 = 5 * 7 * 24;

TEST(Fusion, FullOutageSeenByBgpAndProbesIsOneFullEvent) {
  const size_t n = kWeeks5 + 96;
  std::vector<NamedSeries> sig{
      {"bgp", "", SignalRule::kVolume, Volume(n, 1000, kWeeks5, kWeeks5 + 48, 0.02)},
      {"watch-online", "", SignalRule::kOnlineShare, Share(n, 1.0, kWeeks5 + 1, kWeeks5 + 47, 0.0)},
  };
  auto events = Fuse("country", "CM", sig, {});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "full");
  EXPECT_EQ(events[0].datasources.size(), 2u);
  ASSERT_TRUE(events[0].end.has_value());
  const auto onset = kT0 + hours(kWeeks5);
  EXPECT_LE(std::chrono::abs(events[0].start - onset), hours(2));
  EXPECT_LE(std::chrono::abs(*events[0].end - (onset + hours(48))), hours(2));
  EXPECT_GT(events[0].score, 0.9);
}

TEST(Fusion, PartialDropOfACountryIsRegionalAndARegionsOutageIsRegional) {
  const size_t n = kWeeks5 + 96;
  std::vector<NamedSeries> country{
      {"active-probing", "", SignalRule::kVolume, Volume(n, 1000, kWeeks5, kWeeks5 + 72, 0.8)}};
  auto events = Fuse("country", "CM", country, {});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "regional");
  EXPECT_NEAR(events[0].score, 0.2, 0.05);

  std::vector<NamedSeries> region{
      {"watch-online", "", SignalRule::kOnlineShare, Share(n, 1.0, kWeeks5, kWeeks5 + 10, 0.0)}};
  events = Fuse("region", "CM-NW", region, {});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "regional");
}

TEST(Fusion, MobileNetworksAreNamedAsSuch) {
  const size_t n = kWeeks5 + 96;
  FusionOptions o;
  o.mobile_asns = {"AS30987"};
  std::vector<NamedSeries> sig{{"bgp", "", SignalRule::kVolume, Volume(n, 500, kWeeks5, kWeeks5 + 24, 0.0)}};
  auto events = Fuse("asn", "AS30987", sig, o);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "mobile");
  events = Fuse("country", "CM", sig, o, {"AS30987"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "mobile");
  events = Fuse("country", "CM", sig, o, {"AS30987", "AS15964"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "full");
}

TEST(Fusion, WatchStatesAndPlatformTestsGivePlatformDnsAndThrottling) {
  const size_t n = 200;
  std::vector<NamedSeries> sig{
      {"watch-state", "platform-blocked", SignalRule::kStateShare, Share(n, 0.0, 50, 80, 1.0)},
      {"watch-state", "dns-tampered", SignalRule::kStateShare, Share(n, 0.0, 100, 101, 1.0)},  // one bin: noise
      {"watch-state", "throttled", SignalRule::kStateShare, Share(n, 0.1, 120, n, 0.75)},
      {"measurements", "telegram", SignalRule::kAnomalyRate, Share(n, 0.0, 60, 62, 0.9)},
      {"measurements", "web_connectivity", SignalRule::kAnomalyRate, Share(n, 0.9, 0, n, 0.9)},
  };
  auto events = Fuse("asn", "AS1", sig, {});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, "platform");
  EXPECT_EQ(events[0].datasources.size(), 2u);  // watch-state/platform-blocked + measurements/telegram
  EXPECT_EQ(events[0].start, kT0 + hours(50));
  EXPECT_EQ(events[0].end, kT0 + hours(80));
  EXPECT_EQ(events[1].kind, "throttling");
  EXPECT_FALSE(events[1].end.has_value());  // still going on
}

TEST(Fusion, A93DayShutdownStaysOneEvent) {
  const size_t n = kWeeks5 + 100 * 24;
  std::vector<NamedSeries> sig{
      {"bgp", "", SignalRule::kVolume, Volume(n, 1000, kWeeks5, kWeeks5 + 93 * 24, 0.05)},
      {"watch-online", "", SignalRule::kOnlineShare, Share(n, 1.0, kWeeks5, kWeeks5 + 93 * 24, 0.0)},
  };
  auto events = Fuse("region", "CM-NW", sig, {});
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(events[0].end.has_value());
  const double length_days = std::chrono::duration<double, days::period>(*events[0].end - events[0].start).count();
  EXPECT_NEAR(length_days, 93.0, 0.2);
}

TEST(Fusion, MissingBinsDoNotMakeOrBreakEvents) {
  Series s = Share(100, 1.0, 40, 60, 0.0);
  for (size_t i = 0; i < 100; i += 3) s.values[i] = std::nan("");
  std::vector<NamedSeries> sig{{"watch-online", "", SignalRule::kOnlineShare, s}};
  auto events = Fuse("asn", "AS2", sig, {});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "full");
}

}  // namespace
}  // namespace vigil::disruption
