#include "geo/asn_table.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

namespace vigil::geo {
namespace {

std::unique_ptr<AsnTable> MustParse(std::string_view csv) {
  auto table = AsnTable::Parse(csv, "test.csv");
  EXPECT_TRUE(table.has_value()) << table.error().ToString();
  return table ? std::move(*table) : nullptr;
}

// The AS number at `ip`, or -1 when none.
int64_t AsnAt(const AsnTable& table, std::string_view ip) {
  auto info = table.Lookup(ip);
  return info ? int64_t{info->asn} : -1;
}

constexpr std::string_view kSample =
    "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n"
    "1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd\n"
    "2.26.200.0,2.26.215.255,201907,\"LLC \"\"SPUTNIK\"\"\"\n"
    "8.8.4.0,8.8.4.255,15169,Google LLC\n"
    "8.8.8.0,8.8.8.255,15169,Google LLC\n"
    "223.255.254.0,223.255.254.255,55415,Marina Bay Sands Pte Ltd\n"
    "2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n"
    "2606:4700::,2606:4700:ffff:ffff:ffff:ffff:ffff:ffff,13335,\"Cloudflare, Inc.\"\n";

TEST(AsnTableTest, FindsRangesAtTheirBoundaries) {
  auto table = MustParse(kSample);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(AsnAt(*table, "0.255.255.255"), -1);
  EXPECT_EQ(AsnAt(*table, "1.0.0.0"), 13335);
  EXPECT_EQ(AsnAt(*table, "1.0.0.128"), 13335);
  EXPECT_EQ(AsnAt(*table, "1.0.0.255"), 13335);
  EXPECT_EQ(AsnAt(*table, "1.0.1.0"), -1);
  EXPECT_EQ(AsnAt(*table, "1.0.3.255"), -1);
  EXPECT_EQ(AsnAt(*table, "1.0.4.0"), 38803);
  EXPECT_EQ(AsnAt(*table, "1.0.7.255"), 38803);
  EXPECT_EQ(AsnAt(*table, "1.0.8.0"), -1);
  EXPECT_EQ(AsnAt(*table, "8.8.8.8"), 15169);
  EXPECT_EQ(AsnAt(*table, "8.8.5.0"), -1);
  EXPECT_EQ(AsnAt(*table, "223.255.254.255"), 55415);
  EXPECT_EQ(AsnAt(*table, "223.255.255.0"), -1);
  EXPECT_EQ(AsnAt(*table, "255.255.255.255"), -1);
  EXPECT_EQ(table->stats().rows, 8u);
  EXPECT_EQ(table->stats().skipped_rows, 0u);
}

TEST(AsnTableTest, NamesAreUnquotedAndShared) {
  auto table = MustParse(kSample);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->Lookup("1.0.0.1")->name, "Cloudflare, Inc.");
  EXPECT_EQ(table->Lookup("2.26.201.1")->name, "LLC \"SPUTNIK\"");
  auto a = table->Lookup("8.8.4.4");
  auto b = table->Lookup("2001:4860:4860::8888");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->name, "Google LLC");
  EXPECT_EQ(a->name.data(), b->name.data());  // stored once
}

TEST(AsnTableTest, IPv6) {
  auto table = MustParse(kSample);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(AsnAt(*table, "2001:485f:ffff:ffff:ffff:ffff:ffff:ffff"), -1);
  EXPECT_EQ(AsnAt(*table, "2001:4860::"), 15169);
  EXPECT_EQ(AsnAt(*table, "2001:4860:4860::8888"), 15169);
  EXPECT_EQ(AsnAt(*table, "2001:4860:ffff:ffff:ffff:ffff:ffff:ffff"), 15169);
  EXPECT_EQ(AsnAt(*table, "2001:4861::"), -1);
  EXPECT_EQ(AsnAt(*table, "2606:4700:4700::1111"), 13335);
  EXPECT_EQ(AsnAt(*table, "::"), -1);
  EXPECT_EQ(AsnAt(*table, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), -1);
}

TEST(AsnTableTest, MappedIPv6FindsIPv4Ranges) {
  auto table = MustParse(kSample);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(AsnAt(*table, "::ffff:8.8.8.8"), 15169);
}

TEST(AsnTableTest, NonAddressesFindNothing) {
  auto table = MustParse(kSample);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(AsnAt(*table, ""), -1);
  EXPECT_EQ(AsnAt(*table, "google.com"), -1);
}

TEST(AsnTableTest, ExtremeAddresses) {
  auto table = MustParse(
      "0.0.0.0,0.0.0.0,1,zero\n"
      "255.255.255.255,255.255.255.255,2,top\n"
      "::,::,3,v6zero\n"
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,4,v6top\n");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(AsnAt(*table, "0.0.0.0"), 1);
  EXPECT_EQ(AsnAt(*table, "0.0.0.1"), -1);
  EXPECT_EQ(AsnAt(*table, "255.255.255.254"), -1);
  EXPECT_EQ(AsnAt(*table, "255.255.255.255"), 2);
  EXPECT_EQ(AsnAt(*table, "::"), 3);
  EXPECT_EQ(AsnAt(*table, "::1"), -1);
  EXPECT_EQ(AsnAt(*table, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd"), -1);
  EXPECT_EQ(AsnAt(*table, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 4);
}

TEST(AsnTableTest, UnsortedInputIsSorted) {
  auto table = MustParse(
      "9.0.0.0,9.255.255.255,3,c\n"
      "1.0.0.0,1.255.255.255,1,a\n"
      "5.0.0.0,5.255.255.255,2,b\n");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(AsnAt(*table, "1.2.3.4"), 1);
  EXPECT_EQ(AsnAt(*table, "5.2.3.4"), 2);
  EXPECT_EQ(AsnAt(*table, "9.2.3.4"), 3);
  EXPECT_EQ(AsnAt(*table, "6.0.0.0"), -1);
}

TEST(AsnTableTest, NestedRangeWinsAndEnclosingRangeResumes) {
  auto table = MustParse(
      "10.0.0.0,10.0.255.255,100,outer\n"
      "10.0.16.0,10.0.16.255,200,inner\n"
      "10.0.16.128,10.0.16.128,300,innermost\n");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(AsnAt(*table, "10.0.15.255"), 100);
  EXPECT_EQ(AsnAt(*table, "10.0.16.0"), 200);
  EXPECT_EQ(AsnAt(*table, "10.0.16.127"), 200);
  EXPECT_EQ(AsnAt(*table, "10.0.16.128"), 300);
  EXPECT_EQ(AsnAt(*table, "10.0.16.129"), 200);
  EXPECT_EQ(AsnAt(*table, "10.0.16.255"), 200);
  EXPECT_EQ(AsnAt(*table, "10.0.17.0"), 100);
  EXPECT_EQ(AsnAt(*table, "10.0.255.255"), 100);
  EXPECT_EQ(AsnAt(*table, "10.1.0.0"), -1);
  EXPECT_EQ(table->stats().overlaps, 2u);
}

TEST(AsnTableTest, PartialOverlapLaterStartWins) {
  // As in the real asn-ipv4.csv (two DoD rows overlap).
  auto table = MustParse(
      "214.0.0.0,214.255.0.255,749,DoD\n"
      "214.254.0.0,215.0.0.255,721,DoD NIC\n");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(AsnAt(*table, "214.253.255.255"), 749);
  EXPECT_EQ(AsnAt(*table, "214.254.0.0"), 721);
  EXPECT_EQ(AsnAt(*table, "214.255.0.255"), 721);
  EXPECT_EQ(AsnAt(*table, "215.0.0.255"), 721);
  EXPECT_EQ(AsnAt(*table, "215.0.1.0"), -1);
  EXPECT_EQ(table->stats().overlaps, 1u);
}

TEST(AsnTableTest, SameStartNarrowerWins) {
  auto table = MustParse(
      "20.0.0.0,20.0.0.255,2,narrow\n"
      "20.0.0.0,20.0.255.255,1,wide\n");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(AsnAt(*table, "20.0.0.0"), 2);
  EXPECT_EQ(AsnAt(*table, "20.0.0.255"), 2);
  EXPECT_EQ(AsnAt(*table, "20.0.1.0"), 1);
  EXPECT_EQ(table->size(), 2u);
}

TEST(AsnTableTest, AdjacentRangesOfOneAsAreMerged) {
  auto table = MustParse(
      "30.0.0.0,30.0.0.255,7,seven\n"
      "30.0.1.0,30.0.1.255,7,seven\n"
      "30.0.2.0,30.0.2.255,8,eight\n");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->size(), 2u);
  EXPECT_EQ(AsnAt(*table, "30.0.1.255"), 7);
  EXPECT_EQ(AsnAt(*table, "30.0.2.0"), 8);
}

TEST(AsnTableTest, MalformedRowsAreSkippedAndReportedWithLine) {
  auto table = MustParse(
      "1.0.0.0,1.0.0.255,13335,ok\n"
      "not-an-ip,1.0.1.255,1,bad start\n"
      "1.0.2.0,1.0.2.999,2,bad end\n"
      "1.0.3.0,1.0.3.255,AS64496x,bad asn\n"
      "1.0.4.0,1.0.4.255,4294967296,asn too big\n"
      "1.0.5.255,1.0.5.0,5,reversed\n"
      "1.0.6.0,2001:db8::,6,mixed families\n"
      "1.0.7.0,1.0.7.255,7\n"
      "1.0.8.0,1.0.8.255,8,Unquoted, comma\n"
      "1.0.9.0,1.0.9.255,9,\"unterminated\n"
      "\n"
      "1.0.10.0,1.0.10.255,AS10,ok with AS prefix\r\n"
      "1.0.11.0,1.0.11.255,4294967295,ok max asn\n");
  ASSERT_NE(table, nullptr);
  const AsnTable::LoadStats& stats = table->stats();
  EXPECT_EQ(stats.rows, 3u);
  EXPECT_EQ(stats.skipped_rows, 9u);
  ASSERT_EQ(stats.problems.size(), 9u);
  EXPECT_EQ(stats.problems[0], "test.csv:2: bad first address 'not-an-ip'");
  EXPECT_EQ(stats.problems[1], "test.csv:3: bad last address '1.0.2.999'");
  EXPECT_EQ(stats.problems[2], "test.csv:4: bad AS number 'AS64496x'");
  EXPECT_EQ(stats.problems[3], "test.csv:5: bad AS number '4294967296'");
  EXPECT_EQ(stats.problems[4], "test.csv:6: last address is before first");
  EXPECT_EQ(stats.problems[5], "test.csv:7: first and last address are of different families");
  EXPECT_EQ(stats.problems[6], "test.csv:8: expected 4 fields, found 3");
  EXPECT_EQ(stats.problems[7], "test.csv:9: expected 4 fields, found 5");
  EXPECT_TRUE(stats.problems[8].starts_with("test.csv:10: unterminated quoted field"))
      << stats.problems[8];
  EXPECT_EQ(AsnAt(*table, "1.0.0.1"), 13335);
  EXPECT_EQ(AsnAt(*table, "1.0.1.1"), -1);
  EXPECT_EQ(AsnAt(*table, "1.0.10.1"), 10);
  EXPECT_EQ(table->Lookup("1.0.10.1")->name, "ok with AS prefix");
  EXPECT_EQ(AsnAt(*table, "1.0.11.1"), 4294967295);
}

TEST(AsnTableTest, ProblemListIsCapped) {
  std::string csv = "1.0.0.0,1.0.0.255,1,ok\n";
  for (int i = 0; i < 250; ++i) csv += "garbage\n";
  auto table = MustParse(csv);
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->stats().skipped_rows, 250u);
  EXPECT_EQ(table->stats().problems.size(), AsnTable::kMaxProblems);
}

TEST(AsnTableTest, HeaderRowAndByteOrderMarkAreSkippedSilently) {
  auto table = MustParse(
      "\xEF\xBB\xBFip_range_start,ip_range_end,autonomous_system_number,"
      "autonomous_system_organization\n"
      "1.0.0.0,1.0.0.255,13335,x\n");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->stats().skipped_rows, 0u);
  EXPECT_EQ(AsnAt(*table, "1.0.0.0"), 13335);
}

TEST(AsnTableTest, InputWithoutValidRowsIsAnError) {
  for (std::string_view csv : {"", "\n\n", "garbage\nmore garbage\n"}) {
    auto table = AsnTable::Parse(csv, "empty.csv");
    ASSERT_FALSE(table.has_value()) << csv;
    EXPECT_EQ(table.error().failure, "parse_error");
    EXPECT_NE(table.error().message.find("empty.csv"), std::string::npos);
  }
}

class AsnTableFileTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) {
    return (std::filesystem::path(::testing::TempDir()) /
            ("vigil-" + std::to_string(::getpid()) + "-" + name)).string();
  }
};

TEST_F(AsnTableFileTest, LoadsSeveralFilesPlainAndGzip) {
  const std::string v4 = Path("asn-v4.csv"), v6 = Path("asn-v6.csv.gz");
  std::ofstream(v4, std::ios::binary) << "8.8.8.0,8.8.8.255,15169,Google LLC\n"
                                         "bogus row\n";
  const std::string v6_text = "2606:4700::,2606:4700:ffff:ffff:ffff:ffff:ffff:ffff,13335,CF\n";
  gzFile gz = gzopen(v6.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  gzwrite(gz, v6_text.data(), static_cast<unsigned>(v6_text.size()));
  gzclose(gz);

  const std::string paths[] = {v4, v6};
  auto table = AsnTable::Load(paths);
  ASSERT_TRUE(table.has_value()) << table.error().ToString();
  EXPECT_EQ(AsnAt(**table, "8.8.8.8"), 15169);
  EXPECT_EQ(AsnAt(**table, "2606:4700:4700::1111"), 13335);
  ASSERT_EQ((*table)->stats().problems.size(), 1u);
  EXPECT_EQ((*table)->stats().problems[0], v4 + ":2: expected 4 fields, found 1");
}

TEST_F(AsnTableFileTest, MissingFileIsAnError) {
  const std::string paths[] = {Path("does-not-exist.csv")};
  auto table = AsnTable::Load(paths);
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().failure, "io_error");
  EXPECT_NE(table.error().message.find("does-not-exist.csv"), std::string::npos);
}

}  // namespace
}  // namespace vigil::geo
