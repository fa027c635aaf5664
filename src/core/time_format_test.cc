#include "core/time_format.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(TimeFormat, FormatsOoniShapes) {
  WallTime t = WallTime(std::chrono::seconds(1692887729));  // 2023-08-24 14:35:29 UTC
  EXPECT_EQ(FormatOoniTime(t), "2023-08-24 14:35:29");
  EXPECT_EQ(FormatCompactTime(t), "20230824T143529Z");
  EXPECT_EQ(FormatIsoTime(t), "2023-08-24T14:35:29Z");
}

TEST(TimeFormat, ParsesWhatItFormats) {
  WallTime t = WallTime(std::chrono::seconds(1692887729));
  EXPECT_EQ(ParseTime("2023-08-24 14:35:29"), t);
  EXPECT_EQ(ParseTime("2023-08-24T14:35:29Z"), t);
  EXPECT_EQ(ParseTime("2023-08-24T14:35:29.123456Z"), t);
  EXPECT_EQ(ParseTime("2023-08-24"), t - std::chrono::seconds(14 * 3600 + 35 * 60 + 29));
}

TEST(TimeFormat, RejectsMalformedTimes) {
  for (const char* bad : {"", "2023", "2023-13-01", "2023-02-30", "2023-08-24 25:00:00",
                          "2023-08-24X14:35:29", "2023-08-24 14:35:29+02:00", "abcd-ef-gh"}) {
    EXPECT_FALSE(ParseTime(bad)) << bad;
  }
}

}  // namespace
}  // namespace vigil
