#include "disruption/series.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace vigil::disruption {
namespace {

using std::chrono::seconds;

WallTime At(const char* s) { return *ParseTime(s); }

TEST(SeriesCsvTest, ReadsTimeFormatsAndEntities) {
  auto csv = ParseSeriesCsv(
      "time,value,entity\n"
      "2024-01-01T00:00:00Z,10,CM\n"
      "2024-01-01 00:05:00,11,CM\n"
      "1704067800,12,CM\n"           // 2024-01-01T00:10:00Z as unix seconds
      "2024-01-01T00:00:00Z,100,UG\r\n"
      "2024-01-01T00:05:00Z,101,UG\n",
      {});
  ASSERT_TRUE(csv) << csv.error().ToString();
  EXPECT_EQ(csv->step, seconds(300));
  EXPECT_TRUE(csv->problems.empty());
  ASSERT_EQ(csv->series.size(), 2u);
  const Series& cm = csv->series[0];
  EXPECT_EQ(cm.entity, "CM");
  EXPECT_EQ(cm.start, At("2024-01-01T00:00:00Z"));
  EXPECT_EQ(cm.values, (std::vector<double>{10, 11, 12}));
  EXPECT_EQ(csv->series[1].entity, "UG");
  EXPECT_EQ(csv->series[1].values, (std::vector<double>{100, 101}));
}

TEST(SeriesCsvTest, ColumnsInAnyOrderAndNoEntity) {
  auto csv = ParseSeriesCsv("value, time\n5, 2024-01-01T01:00:00Z\n6, 2024-01-01T02:00:00Z\n", {});
  ASSERT_TRUE(csv) << csv.error().ToString();
  ASSERT_EQ(csv->series.size(), 1u);
  EXPECT_EQ(csv->series[0].entity, "");
  EXPECT_EQ(csv->step, seconds(3600));
  EXPECT_EQ(csv->series[0].values, (std::vector<double>{5, 6}));
}

TEST(SeriesCsvTest, MalformedRowsAreReportedWithLineNumbers) {
  SeriesCsvOptions options;
  options.step = seconds(300);
  auto csv = ParseSeriesCsv(
      "time,value\n"
      "2024-01-01T00:00:00Z,1\n"
      "yesterday,2\n"
      "2024-01-01T00:05:00Z,abc\n"
      "2024-01-01T00:10:00Z\n"
      "\n"
      "2024-01-01T00:15:00Z,4\n",
      options);
  ASSERT_TRUE(csv) << csv.error().ToString();
  ASSERT_EQ(csv->problems.size(), 3u);
  EXPECT_EQ(csv->problems[0].line, 3u);
  EXPECT_EQ(csv->problems[1].line, 4u);
  EXPECT_EQ(csv->problems[2].line, 5u);
  ASSERT_EQ(csv->series.size(), 1u);
  const Series& s = csv->series[0];
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s.values[0], 1);
  EXPECT_TRUE(s.IsMissing(1));
  EXPECT_TRUE(s.IsMissing(2));
  EXPECT_EQ(s.values[3], 4);
}

TEST(SeriesCsvTest, MissingAndIrregularTimestampsMapToBins) {
  SeriesCsvOptions options;
  options.step = seconds(600);
  auto csv = ParseSeriesCsv(
      "time,value\n"
      "2024-01-01T00:01:00Z,2\n"   // bin 00:00
      "2024-01-01T00:09:59Z,4\n"   // same bin: averaged
      "2024-01-01T00:20:00Z,\n"    // explicit empty value
      "2024-01-01T00:41:00Z,7\n",  // bin 00:40; 00:10 and 00:30 have no row
      options);
  ASSERT_TRUE(csv) << csv.error().ToString();
  const Series& s = csv->series[0];
  EXPECT_EQ(s.start, At("2024-01-01T00:00:00Z"));
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s.values[0], 3);
  EXPECT_TRUE(s.IsMissing(1));
  EXPECT_TRUE(s.IsMissing(2));
  EXPECT_TRUE(s.IsMissing(3));
  EXPECT_EQ(s.values[4], 7);
}

TEST(SeriesCsvTest, HeaderIsRequired) {
  auto csv = ParseSeriesCsv("2024-01-01T00:00:00Z,1\n2024-01-01T00:05:00Z,2\n", {});
  ASSERT_FALSE(csv);
  EXPECT_EQ(csv.error().failure, "invalid_argument");
  EXPECT_FALSE(ParseSeriesCsv("", {}));
  EXPECT_FALSE(ParseSeriesCsv("time,value\nbad,1\n", {}));  // no usable row
}

TEST(SeriesCsvTest, StrayFarTimestampIsAnErrorNotAHugeSeries) {
  SeriesCsvOptions options;
  options.max_bins = 1000;
  auto csv = ParseSeriesCsv(
      "time,value\n2024-01-01T00:00:00Z,1\n2024-01-01T00:05:00Z,1\n2099-01-01T00:00:00Z,1\n",
      options);
  EXPECT_FALSE(csv);
}

TEST(SeriesCsvTest, TheBinLimitCountsEveryEntity) {
  // Each entity alone fits (600 bins of 5 minutes); together they do not.
  SeriesCsvOptions options;
  options.max_bins = 1000;
  const std::string two_days = "2024-01-01T00:00:00Z,1,{}\n2024-01-01T00:05:00Z,1,{}\n"
                               "2024-01-03T01:55:00Z,1,{}\n";
  std::string text = "time,value,entity\n";
  for (const char* e : {"a", "b"}) text += fmt::format(fmt::runtime(two_days), e, e, e);
  auto csv = ParseSeriesCsv(text, options);
  ASSERT_FALSE(csv);
  EXPECT_NE(csv.error().message.find("limit 1000"), std::string::npos) << csv.error().message;
  options.max_bins = 1200;
  ASSERT_TRUE(ParseSeriesCsv(text, options));
}

TEST(SeriesCsvTest, ReadsAFile) {
  auto path = std::filesystem::path(::testing::TempDir()) / "series_test.csv";
  std::ofstream(path) << "time,value\n2024-01-01T00:00:00Z,1\n2024-01-01T00:05:00Z,2\n";
  auto csv = ReadSeriesCsv(path.string(), {});
  ASSERT_TRUE(csv) << csv.error().ToString();
  EXPECT_EQ(csv->series[0].values, (std::vector<double>{1, 2}));
  EXPECT_FALSE(ReadSeriesCsv((path.parent_path() / "does-not-exist.csv").string(), {}));
}

TEST(ParseSeriesTimeTest, Formats) {
  EXPECT_EQ(ParseSeriesTime("1704067200"), At("2024-01-01T00:00:00Z"));
  EXPECT_EQ(ParseSeriesTime("2024-01-01 00:00:00"), At("2024-01-01T00:00:00Z"));
  EXPECT_FALSE(ParseSeriesTime("12:00"));
  EXPECT_FALSE(ParseSeriesTime("-5"));
  EXPECT_FALSE(ParseSeriesTime("1e30"));
}

}  // namespace
}  // namespace vigil::disruption
