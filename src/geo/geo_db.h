// GeoDb: everything Vigil knows about where an IP address is: country, autonomous
// system and whether it is a bogon. It holds an AsnTable and a CountryDb loaded from
// the npm packages installed in third_party/geo (scripts/setup runs `npm install`):
//
//   <dir>/node_modules/@ip-location-db/asn/asn-ipv4.csv, asn-ipv6.csv   (CC BY 4.0)
//   <dir>/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/
//       geo-whois-asn-country.mmdb
//
// The ASN data is by DB-IP.com, RouteViews and the NRO under CC BY 4.0: any page or
// output that shows AS numbers or names must credit them (see data/ATTRIBUTION.md).
//
// Loading half a million ranges takes about a quarter of a second (Release build) and
// about 30 MB, so a process loads one GeoDb and shares it.
//
// Thread-safety: immutable after Load(); concurrent Lookup() calls are safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "geo/asn_table.h"
#include "geo/country_db.h"
#include "geo/ip_address.h"

namespace vigil::geo {

struct GeoInfo {
  std::string country_code;  // ISO 3166-1 alpha-2, "" when unknown
  uint32_t asn = 0;          // 0 when unknown (OONI writes "AS0")
  std::string_view as_name;  // "" when unknown; valid while the GeoDb lives
  bool bogon = false;        // see geo/bogon.h; bogons get no country or AS
};

class GeoDb {
 public:
  // Relative paths of the data files under the data directory.
  static constexpr std::string_view kAsnV4Csv = "node_modules/@ip-location-db/asn/asn-ipv4.csv";
  static constexpr std::string_view kAsnV6Csv = "node_modules/@ip-location-db/asn/asn-ipv6.csv";
  static constexpr std::string_view kCountryMmdb =
      "node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb";

  // Loads from `dir`, the folder holding node_modules (third_party/geo). Errors:
  // "not_found" (with a hint to run scripts/setup) when the data is not installed there,
  // "parse_error"/"io_error" when it cannot be read. Malformed ASN rows are skipped
  // and logged (spdlog, warn), and stay visible in asn_table().stats().
  static Result<std::unique_ptr<GeoDb>> Load(const std::string& dir);

  GeoDb(const GeoDb&) = delete;
  GeoDb& operator=(const GeoDb&) = delete;

  // "invalid_argument" when `ip` is not an IP address; "parse_error" when the country
  // database is corrupt at the address's record.
  Result<GeoInfo> Lookup(std::string_view ip) const;
  Result<GeoInfo> Lookup(const IpAddress& ip) const;

  const AsnTable& asn_table() const { return *asn_; }
  const CountryDb& country_db() const { return *country_; }
  const std::string& dir() const { return dir_; }

 private:
  GeoDb(std::string dir, std::unique_ptr<AsnTable> asn, std::unique_ptr<CountryDb> country);

  std::string dir_;
  std::unique_ptr<AsnTable> asn_;
  std::unique_ptr<CountryDb> country_;
};

// The places DefaultGeoDir() tries, in order: $VIGIL_GEO_DIR when set (then it is the
// only one), <directory of the running executable>/../../third_party/geo,
// <that directory>/../share/vigil/geo, and the source tree's third_party/geo as it was
// at compile time.
std::vector<std::string> GeoDirCandidates();

// The first candidate that holds installed geo data, or $VIGIL_GEO_DIR when it is set
// (an explicit choice is never second-guessed: Load() will then say what is missing).
// "not_found", naming the places tried, when there is none.
Result<std::string> DefaultGeoDir();

}  // namespace vigil::geo
