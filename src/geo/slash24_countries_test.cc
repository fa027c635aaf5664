#include "geo/slash24_countries.h"

#include <gtest/gtest.h>

#include <string>

#include "geo/country_db.h"
#include "geo/geo_db.h"

namespace vigil::geo {
namespace {

// The /24 table built by walking the mmdb search tree agrees with per-address lookups
// (geo::CountryDb), except on /24s the data splits between countries.
TEST(Slash24CountriesTest, AgreesWithPerAddressLookups) {
  auto dir = geo::DefaultGeoDir();
  if (!dir) GTEST_SKIP() << "no geolocation data (run scripts/setup): " << dir.error().ToString();
  const std::string mmdb = *dir + "/" + std::string(geo::GeoDb::kCountryMmdb);
  auto table = Slash24Countries::LoadMmdb(mmdb);
  ASSERT_TRUE(table.has_value()) << table.error().ToString();
  auto db = geo::CountryDb::Open(mmdb);
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  EXPECT_GT(table->runs().size(), 10000u);
  EXPECT_GT(table->codes().size(), 200u);

  size_t checked = 0, differ = 0;
  uint64_t x = 12345;
  for (int i = 0; i < 20000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const auto ip = static_cast<uint32_t>(x >> 32) & 0xffffff00u;
    const std::string text = std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) +
                             "." + std::to_string((ip >> 8) & 255) + ".0";
    auto looked_up = (*db)->Lookup(text);
    ASSERT_TRUE(looked_up.has_value()) << text;
    const std::string expected = looked_up->value_or("");
    ++checked;
    if (std::string(table->CountryOf(ip)) != expected) ++differ;
  }
  EXPECT_LT(differ * 200, checked) << differ << " of " << checked << " /24s differ";
}

}  // namespace
}  // namespace vigil::geo
