// LazyAsnLookup: IP -> AS number from the geolocation data, loaded on first use.
//
// Most measurements carry their own ASNs, so a command that may need the IP-to-ASN table
// (loading it takes ~0.25 s) should only pay for it when a lookup actually happens. When
// no data is installed, lookups answer nullopt and one log line says why.
//
// Thread-safety: Lookup() is safe from many threads (the load happens once).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "geo/geo_db.h"

namespace vigil::geo {

class LazyAsnLookup {
 public:
  // dir: the geolocation folder; empty means DefaultGeoDir().
  explicit LazyAsnLookup(std::string dir) : dir_(std::move(dir)) {}

  // The AS number of ip, or nullopt when unknown (or no data).
  std::optional<uint32_t> Lookup(std::string_view ip);

 private:
  std::string dir_;
  std::once_flag once_;
  std::unique_ptr<GeoDb> db_;
};

}  // namespace vigil::geo
