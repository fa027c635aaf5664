// Series: a regular time series of one entity (a country, region, ASN, ...), and a
// reader for series kept as CSV.
//
// A Series has a start time, a fixed step and one value per bin; a bin with no data
// holds NaN (IsMissing). Bin i covers [start + i*step, start + (i+1)*step).
//
// The CSV reader takes `time,value[,entity]` with a header row naming the columns (in
// any order). Times are ISO 8601 ("2024-01-31T12:00:00Z"), OONI's "YYYY-MM-DD HH:MM:SS"
// or unix seconds. Rows are grouped per entity (an absent entity column means one
// entity, ""); each timestamp falls into the bin that contains it, several values in
// one bin are averaged, and bins no row reaches stay missing. A malformed row is
// skipped and reported with its line number; only an unreadable file, a missing header
// or a file without any usable row is an Error.
//
// Thread-safety: plain values and pure functions; safe to use from several threads.
#pragma once

#include <chrono>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time_format.h"

namespace vigil::disruption {

struct Series {
  std::string entity;
  WallTime start;
  std::chrono::seconds step{300};
  std::vector<double> values;  // NaN marks a missing bin

  size_t size() const { return values.size(); }
  bool IsMissing(size_t i) const { return std::isnan(values[i]); }
  // Start of bin i.
  WallTime TimeAt(size_t i) const {
    return start + step * static_cast<std::chrono::seconds::rep>(i);
  }
  // Start of the bin just past the last one.
  WallTime End() const { return TimeAt(values.size()); }
};

// A skipped CSV row: its 1-based line number and why it was skipped.
struct CsvProblem {
  size_t line = 0;
  std::string message;
};

struct SeriesCsv {
  std::vector<Series> series;  // one per entity, in order of first appearance
  std::chrono::seconds step{0};
  std::vector<CsvProblem> problems;
};

struct SeriesCsvOptions {
  // Bin width; when absent it is inferred as the most common gap between consecutive
  // distinct timestamps of an entity.
  std::optional<std::chrono::seconds> step;
  // The series of one file may not span more bins than this in all (guards against a
  // stray timestamp far in the future, or many entities, making huge series).
  size_t max_bins = size_t{20} << 20;
};

// Parses CSV text (lines separated by "\n" or "\r\n").
Result<SeriesCsv> ParseSeriesCsv(std::string_view text, const SeriesCsvOptions& options);
// Reads a CSV file (plain or gzip; "-" is standard input) through LineReader.
Result<SeriesCsv> ReadSeriesCsv(const std::string& path, const SeriesCsvOptions& options);

// Parses a time as ISO 8601 / "YYYY-MM-DD HH:MM:SS" / unix seconds (integer or decimal).
std::optional<WallTime> ParseSeriesTime(std::string_view s);

}  // namespace vigil::disruption
