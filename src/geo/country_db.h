// CountryDb: maps an IP address to an ISO 3166-1 alpha-2 country code using a MaxMind
// DB (.mmdb) file, read through libmaxminddb.
//
// The record for an address must be a map with a UTF-8 string under `country_code`
// (the @ip-location-db/*-country-mmdb layout) or under `country` → `iso_code` (the
// GeoLite2/GeoIP2 Country layout); both are tried. The file is memory-mapped for the
// object's lifetime.
//
// Thread-safety: immutable after Open(); concurrent Lookup() calls are safe
// (libmaxminddb lookups only read the mapped file).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "geo/ip_address.h"

struct MMDB_s;

namespace vigil::geo {

class CountryDb {
 public:
  // Errors: "not_found" when the file does not exist, "parse_error" when it is not a
  // valid MaxMind DB, "io_error" for other failures to read it.
  static Result<std::unique_ptr<CountryDb>> Open(const std::string& mmdb_path);
  ~CountryDb();
  CountryDb(const CountryDb&) = delete;
  CountryDb& operator=(const CountryDb&) = delete;

  // The country code (upper case, e.g. "US") for `ip`; nullopt when the database has no
  // country for it. An Error means the database is corrupt at that record
  // ("parse_error"); for an IPv6 address in an IPv4-only database the answer is nullopt.
  Result<std::optional<std::string>> Lookup(const IpAddress& ip) const;
  // As above; "invalid_argument" when `ip` is not an IP address.
  Result<std::optional<std::string>> Lookup(std::string_view ip) const;

  const std::string& path() const { return path_; }
  // The database_type from the file's metadata, e.g. "geo-whois-asn-country".
  std::string database_type() const;

 private:
  struct MmdbCloser {
    void operator()(MMDB_s* mmdb) const;
  };
  CountryDb(std::string path, std::unique_ptr<MMDB_s, MmdbCloser> mmdb);

  std::string path_;
  std::unique_ptr<MMDB_s, MmdbCloser> mmdb_;
};

}  // namespace vigil::geo
