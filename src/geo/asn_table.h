// AsnTable: maps an IP address to the autonomous system announcing it (number and
// organisation name), from range CSV files such as @ip-location-db/asn's
// asn-ipv4.csv and asn-ipv6.csv.
//
// Each CSV row is `first_ip,last_ip,asn,as_name` (an inclusive range; IPv4 and IPv6
// rows may be mixed; as_name quoted per RFC 4180 when it holds commas or quotes). The
// table keeps sorted, non-overlapping ranges and answers by binary search; AS names are
// stored once each. Where input ranges overlap, the range that starts later wins over
// its span (at equal starts the narrower one), and an enclosing range resumes after it:
// this is longest-prefix matching for ranges that nest, as routing prefixes do.
//
// Malformed rows are skipped and reported in stats() as "file:line: reason", so one bad
// row in a daily data drop does not stop a server from starting; a missing file, or
// input without a single valid row, is an Error.
//
// Thread-safety: immutable after loading; concurrent Lookup() calls are safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "geo/ip_address.h"

namespace vigil::geo {

namespace detail {
__extension__ typedef unsigned __int128 Uint128;
}  // namespace detail

struct AsnInfo {
  uint32_t asn = 0;
  // Valid while the AsnTable that returned it lives.
  std::string_view name;
};

class AsnTable {
 public:
  struct LoadStats {
    size_t rows = 0;          // valid rows read
    size_t skipped_rows = 0;  // malformed rows, skipped
    size_t overlaps = 0;      // rows that overlap an earlier row
    // "file:line: reason" for the first kMaxProblems skipped rows.
    std::vector<std::string> problems;
  };
  static constexpr size_t kMaxProblems = 100;

  // Reads the CSV files (plain or gzip, see core/line_reader.h) in order.
  static Result<std::unique_ptr<AsnTable>> Load(std::span<const std::string> csv_paths);
  // Reads CSV rows from memory; `source` names the text in problem reports.
  static Result<std::unique_ptr<AsnTable>> Parse(std::string_view csv_text,
                                                 std::string_view source);

  AsnTable(const AsnTable&) = delete;
  AsnTable& operator=(const AsnTable&) = delete;

  // The AS announcing `ip`, or nullopt when no range covers it or `ip` is not an address.
  std::optional<AsnInfo> Lookup(std::string_view ip) const;
  std::optional<AsnInfo> Lookup(const IpAddress& ip) const;

  const LoadStats& stats() const { return stats_; }
  // Number of distinct ranges after overlaps were resolved.
  size_t size() const { return v4_.size() + v6_.size(); }

 private:
  template <typename Key>
  struct Range {
    Key start;
    Key end;  // inclusive
    uint32_t asn;
    uint32_t name;  // index into names_
  };
  using Range4 = Range<uint32_t>;
  using Range6 = Range<detail::Uint128>;
  class Builder;

  AsnTable() = default;
  template <typename Key>
  std::optional<AsnInfo> Find(const std::vector<Range<Key>>& ranges, Key key) const;

  std::vector<Range4> v4_;
  std::vector<Range6> v6_;
  std::deque<std::string> names_;  // a deque: growing it never moves the strings
  LoadStats stats_;
};

}  // namespace vigil::geo
