#include "geo/geo_db.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/failure.h"
#include "geo/bogon.h"

#ifndef VIGIL_SOURCE_DIR
#error "VIGIL_SOURCE_DIR must be defined by the build (src/geo/CMakeLists.txt)"
#endif

namespace vigil::geo {
namespace fs = std::filesystem;
namespace {

bool HasGeoData(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / GeoDb::kAsnV4Csv, ec) &&
         fs::is_regular_file(dir / GeoDb::kCountryMmdb, ec);
}

// The directory of the running executable, or empty when /proc is unavailable.
fs::path ExecutableDir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

}  // namespace

GeoDb::GeoDb(std::string dir, std::unique_ptr<AsnTable> asn, std::unique_ptr<CountryDb> country)
    : dir_(std::move(dir)), asn_(std::move(asn)), country_(std::move(country)) {}

Result<std::unique_ptr<GeoDb>> GeoDb::Load(const std::string& dir) {
  const fs::path root(dir);
  const std::string paths[] = {(root / kAsnV4Csv).string(), (root / kAsnV6Csv).string()};
  const std::string mmdb = (root / kCountryMmdb).string();
  for (const std::string& path : {paths[0], paths[1], mmdb}) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      return Fail(std::string(failure::kNotFound),
                  fmt::format("geolocation data not installed: {} is missing (run scripts/setup, "
                              "or `npm install` in third_party/geo, or set VIGIL_GEO_DIR)",
                              path));
    }
  }
  auto asn = AsnTable::Load(paths);
  if (!asn) return tl::unexpected(asn.error());
  const AsnTable::LoadStats& stats = (*asn)->stats();
  for (const std::string& problem : stats.problems) spdlog::warn("skipped ASN row: {}", problem);
  if (stats.skipped_rows > stats.problems.size()) {
    spdlog::warn("skipped {} more malformed ASN rows", stats.skipped_rows - stats.problems.size());
  }
  auto country = CountryDb::Open(mmdb);
  if (!country) return tl::unexpected(country.error());
  return std::unique_ptr<GeoDb>(new GeoDb(dir, std::move(*asn), std::move(*country)));
}

Result<GeoInfo> GeoDb::Lookup(const IpAddress& ip) const {
  GeoInfo info;
  if (IsBogon(ip)) {
    info.bogon = true;
    return info;
  }
  auto cc = country_->Lookup(ip);
  if (!cc) return tl::unexpected(cc.error());
  if (*cc) info.country_code = std::move(**cc);
  if (const std::optional<AsnInfo> as = asn_->Lookup(ip)) {
    info.asn = as->asn;
    info.as_name = as->name;
  }
  return info;
}

Result<GeoInfo> GeoDb::Lookup(std::string_view ip) const {
  const std::optional<IpAddress> parsed = ParseIp(ip);
  if (!parsed) {
    return Fail(std::string(failure::kInvalidArgument),
                fmt::format("'{}' is not an IP address", ip));
  }
  return Lookup(*parsed);
}

std::vector<std::string> GeoDirCandidates() {
  if (const char* env = std::getenv("VIGIL_GEO_DIR"); env != nullptr && *env != '\0') {
    return {env};
  }
  std::vector<std::string> candidates;
  if (const fs::path exe_dir = ExecutableDir(); !exe_dir.empty()) {
    candidates.push_back((exe_dir / "../../third_party/geo").lexically_normal().string());
    candidates.push_back((exe_dir / "../share/vigil/geo").lexically_normal().string());
  }
  candidates.push_back((fs::path(VIGIL_SOURCE_DIR) / "third_party/geo").string());
  return candidates;
}

Result<std::string> DefaultGeoDir() {
  const std::vector<std::string> candidates = GeoDirCandidates();
  if (const char* env = std::getenv("VIGIL_GEO_DIR"); env != nullptr && *env != '\0') {
    return candidates.front();
  }
  for (const std::string& dir : candidates) {
    if (HasGeoData(dir)) return dir;
  }
  return Fail(std::string(failure::kNotFound),
              fmt::format("geolocation data not found in {} (run scripts/setup, or set "
                          "VIGIL_GEO_DIR to the folder holding its node_modules)",
                          fmt::join(candidates, ", ")));
}

}  // namespace vigil::geo
