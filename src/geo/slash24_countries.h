// Slash24Countries: the country of every IPv4 /24, as sorted runs of consecutive /24s.
//
// BGP visibility (disruption/bgp_visibility.h) counts visible /24s per country many times per
// input; a per-address lookup for each of millions of /24s would dominate the run. This
// table is built once by walking the IPv4 part of a MaxMind DB's search tree (the
// @ip-location-db country database geo/geo_db.h uses), so that counting is a merge of two
// sorted interval lists.
//
// A /24 whose addresses the data splits between countries gets the country holding most
// of its geolocated addresses (ties: the one met first, i.e. at the lower address).
// /24s the data does not geolocate are in no run.
//
// Thread-safety: immutable after construction.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace vigil::geo {

class Slash24Countries {
 public:
  // /24 indexes (address >> 8) [first, end) all in country `country` (index into codes()).
  struct Run {
    uint32_t first = 0;
    uint32_t end = 0;
    uint16_t country = 0;
  };
  // An inclusive IPv4 address range and its ISO 3166-1 alpha-2 code.
  struct Range {
    uint32_t first_ip = 0;
    uint32_t last_ip = 0;
    std::string country;
  };

  Slash24Countries() = default;

  // Reads a .mmdb whose records hold `country_code` (or `country`/`iso_code`). Errors:
  // "not_found"/"io_error" when it cannot be opened, "parse_error" when it is corrupt.
  static Result<Slash24Countries> LoadMmdb(const std::string& path);
  // Ranges sorted by address and not overlapping (tests, other sources).
  static Slash24Countries FromRanges(std::span<const Range> ranges);

  std::span<const Run> runs() const { return runs_; }
  const std::vector<std::string>& codes() const { return codes_; }
  // The country of the /24 holding `ip` (host order), "" when unknown. Binary search.
  std::string_view CountryOf(uint32_t ip) const;

 private:
  class Builder;
  std::vector<Run> runs_;
  std::vector<std::string> codes_;
};

}  // namespace vigil::geo
