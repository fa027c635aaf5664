#include "geo/geo_db.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <gtest/gtest.h>

namespace vigil::geo {
namespace {

// Sets an environment variable for one test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(GeoDirTest, EnvironmentVariableWinsEvenWhenEmptyOfData) {
  ScopedEnv env("VIGIL_GEO_DIR", "/nonexistent/geo");
  EXPECT_EQ(GeoDirCandidates(), std::vector<std::string>{"/nonexistent/geo"});
  auto dir = DefaultGeoDir();
  ASSERT_TRUE(dir.has_value());
  EXPECT_EQ(*dir, "/nonexistent/geo");
  auto db = GeoDb::Load(*dir);
  ASSERT_FALSE(db.has_value());
  EXPECT_EQ(db.error().failure, "not_found");
  EXPECT_NE(db.error().message.find("/nonexistent/geo/node_modules/@ip-location-db/asn"),
            std::string::npos)
      << db.error().message;
  EXPECT_NE(db.error().message.find("scripts/setup"), std::string::npos);
}

TEST(GeoDirTest, CandidatesWithoutTheVariable) {
  ScopedEnv env("VIGIL_GEO_DIR", "");
  const std::vector<std::string> candidates = GeoDirCandidates();
  ASSERT_EQ(candidates.size(), 3u);
  const auto exe_dir = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  EXPECT_EQ(candidates[0], (exe_dir / "../../third_party/geo").lexically_normal().string());
  EXPECT_EQ(candidates[1], (exe_dir / "../share/vigil/geo").lexically_normal().string());
  EXPECT_TRUE(candidates[2].ends_with("/third_party/geo")) << candidates[2];
  EXPECT_TRUE(std::filesystem::exists(
      std::filesystem::path(candidates[2]).parent_path().parent_path() / "src/geo/geo_db.h"))
      << "the compiled-in source tree path should point at this checkout: " << candidates[2];
}

// Tests over the real data that scripts/setup installs with npm in third_party/geo.
class GeoDbRealDataTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dir = DefaultGeoDir();
    if (!dir) {
      skip_reason_ = new std::string(dir.error().ToString());
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    auto db = GeoDb::Load(*dir);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if (!db) {
      skip_reason_ = new std::string(db.error().ToString());
      return;
    }
    db_ = db->release();
    // Informative only: timing is measured by benchmarks, never asserted in tests.
    std::printf("[ geo data ] loaded %zu ASN ranges from %s in %lld ms\n",
                db_->asn_table().size(), dir->c_str(),
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
  }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
    delete skip_reason_;
    skip_reason_ = nullptr;
  }
  void SetUp() override {
    if (db_ == nullptr) {
      GTEST_SKIP() << "geolocation data not installed (run scripts/setup): " << *skip_reason_;
    }
  }
  static GeoInfo Look(std::string_view ip) {
    auto info = db_->Lookup(ip);
    EXPECT_TRUE(info.has_value()) << ip << ": " << info.error().ToString();
    return info ? *info : GeoInfo{};
  }

  static GeoDb* db_;
  static std::string* skip_reason_;
};
GeoDb* GeoDbRealDataTest::db_ = nullptr;
std::string* GeoDbRealDataTest::skip_reason_ = nullptr;

TEST_F(GeoDbRealDataTest, GooglePublicDns) {
  for (std::string_view ip : {"8.8.8.8", "2001:4860:4860::8888"}) {
    const GeoInfo info = Look(ip);
    EXPECT_EQ(info.asn, 15169u) << ip;
    EXPECT_EQ(info.as_name, "Google LLC") << ip;
    EXPECT_EQ(info.country_code, "US") << ip;
    EXPECT_FALSE(info.bogon);
  }
}

TEST_F(GeoDbRealDataTest, CloudflareDns) {
  for (std::string_view ip : {"1.1.1.1", "2606:4700:4700::1111"}) {
    const GeoInfo info = Look(ip);
    EXPECT_EQ(info.asn, 13335u) << ip;
    EXPECT_EQ(info.as_name, "Cloudflare, Inc.") << ip;
    EXPECT_EQ(info.country_code.size(), 2u) << ip;
  }
}

TEST_F(GeoDbRealDataTest, QuotedNamesAreUnescaped) {
  EXPECT_EQ(Look("2.26.200.1").as_name, "LLC \"SPUTNIK\"");
}

TEST_F(GeoDbRealDataTest, BogonsGetNoNetworkOrCountry) {
  for (std::string_view ip : {"10.0.0.1", "127.0.0.1", "192.168.1.1", "::1", "fe80::1"}) {
    const GeoInfo info = Look(ip);
    EXPECT_TRUE(info.bogon) << ip;
    EXPECT_EQ(info.asn, 0u) << ip;
    EXPECT_EQ(info.country_code, "") << ip;
  }
}

TEST_F(GeoDbRealDataTest, InvalidAddressIsAnError) {
  auto info = db_->Lookup("not an ip");
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().failure, "invalid_argument");
}

TEST_F(GeoDbRealDataTest, EveryRowOfThePinnedDataParses) {
  const AsnTable::LoadStats& stats = db_->asn_table().stats();
  EXPECT_EQ(stats.skipped_rows, 0u) << (stats.problems.empty() ? "" : stats.problems[0]);
  EXPECT_GT(stats.rows, 400000u);
}

}  // namespace
}  // namespace vigil::geo
