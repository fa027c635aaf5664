#include "disruption/series.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "core/line_reader.h"

namespace vigil::disruption {
namespace {

using std::chrono::seconds;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t begin = 0;
  for (;;) {
    size_t comma = line.find(',', begin);
    if (comma == std::string_view::npos) {
      fields.push_back(Trim(line.substr(begin)));
      return fields;
    }
    fields.push_back(Trim(line.substr(begin, comma - begin)));
    begin = comma + 1;
  }
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

struct Sample {
  WallTime time;
  double value;  // NaN: the row says the bin has no value
};

// Collects rows one line at a time, then bins them per entity.
class Builder {
 public:
  explicit Builder(const SeriesCsvOptions& options) : options_(options) {}

  // Returns an Error only for a bad header; row problems are recorded.
  Result<bool> AddLine(size_t line_number, std::string_view line) {
    if (Trim(line).empty()) return true;
    std::vector<std::string_view> fields = SplitFields(line);
    if (!have_header_) return ReadHeader(line_number, fields);
    if (fields.size() < min_fields_) {
      Problem(line_number, fmt::format("expected {} columns, found {}", min_fields_,
                                       fields.size()));
      return true;
    }
    std::optional<WallTime> t = ParseSeriesTime(fields[time_col_]);
    if (!t) {
      Problem(line_number, fmt::format("cannot parse time \"{}\"", fields[time_col_]));
      return true;
    }
    std::string_view v = fields[value_col_];
    double value = std::numeric_limits<double>::quiet_NaN();
    std::string lower = Lower(v);
    if (!(v.empty() || lower == "nan" || lower == "na" || lower == "null")) {
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
      if (ec != std::errc() || end != v.data() + v.size() || !std::isfinite(value)) {
        Problem(line_number, fmt::format("cannot parse value \"{}\"", v));
        return true;
      }
    }
    std::string entity = entity_col_ ? std::string(fields[*entity_col_]) : std::string();
    auto [it, inserted] = index_.try_emplace(entity, samples_.size());
    if (inserted) samples_.emplace_back(entity, std::vector<Sample>{});
    samples_[it->second].second.push_back({*t, value});
    return true;
  }

  Result<SeriesCsv> Finish() {
    if (!have_header_) return Fail("invalid_argument", "empty input: no header row");
    SeriesCsv out;
    for (auto& [entity, samples] : samples_) {
      std::stable_sort(samples.begin(), samples.end(),
                       [](const Sample& a, const Sample& b) { return a.time < b.time; });
    }
    seconds step = options_.step ? *options_.step : InferStep();
    if (step <= seconds(0)) {
      return Fail("invalid_argument",
                  "cannot infer the step: give --step, or more than one timestamp");
    }
    out.step = step;
    size_t total_bins = 0;  // over every entity: the memory the series take
    for (auto& [entity, samples] : samples_) {
      if (samples.empty()) continue;
      Series s;
      s.entity = entity;
      s.step = step;
      // Bins are aligned to multiples of the step since the epoch, so that entities
      // of one file share bin boundaries.
      auto first = std::chrono::floor<seconds>(samples.front().time.time_since_epoch());
      s.start = WallTime(first - Mod(first, step));
      auto span = std::chrono::floor<seconds>(samples.back().time - s.start);
      auto bins = static_cast<size_t>(span / step) + 1;
      if (bins > options_.max_bins - total_bins) {
        return Fail("invalid_argument",
                    fmt::format("entity \"{}\" spans {} bins of {} s, and the file's series "
                                "{} bins in all (limit {}): check the timestamps or the step",
                                entity, bins, step.count(), total_bins + bins, options_.max_bins));
      }
      total_bins += bins;
      std::vector<double> sum(bins, 0.0);
      std::vector<int> count(bins, 0);
      for (const Sample& sample : samples) {
        if (std::isnan(sample.value)) continue;
        auto i = static_cast<size_t>(
            std::chrono::floor<seconds>(sample.time - s.start) / step);
        sum[i] += sample.value;
        ++count[i];
      }
      s.values.assign(bins, std::numeric_limits<double>::quiet_NaN());
      for (size_t i = 0; i < bins; ++i) {
        if (count[i] > 0) s.values[i] = sum[i] / count[i];
      }
      out.series.push_back(std::move(s));
    }
    out.problems = std::move(problems_);
    if (out.series.empty()) return Fail("invalid_argument", "no usable data rows");
    return out;
  }

 private:
  static seconds Mod(seconds a, seconds b) {
    seconds m = a % b;
    return m < seconds(0) ? m + b : m;
  }

  Result<bool> ReadHeader(size_t line_number, const std::vector<std::string_view>& fields) {
    std::optional<size_t> time_col, value_col;
    for (size_t i = 0; i < fields.size(); ++i) {
      std::string name = Lower(fields[i]);
      if (name == "time" || name == "timestamp") time_col = i;
      if (name == "value") value_col = i;
      if (name == "entity") entity_col_ = i;
    }
    if (!time_col || !value_col) {
      return Fail("invalid_argument",
                  fmt::format("line {}: the header row must name the columns time and value "
                              "(and optionally entity)",
                              line_number));
    }
    time_col_ = *time_col;
    value_col_ = *value_col;
    min_fields_ = std::max({time_col_, value_col_, entity_col_.value_or(0)}) + 1;
    have_header_ = true;
    return true;
  }

  // The most common positive gap between consecutive distinct timestamps.
  seconds InferStep() const {
    std::map<seconds::rep, size_t> gaps;
    for (const auto& [entity, samples] : samples_) {
      for (size_t i = 1; i < samples.size(); ++i) {
        auto gap = std::chrono::floor<seconds>(samples[i].time - samples[i - 1].time);
        if (gap > seconds(0)) ++gaps[gap.count()];
      }
    }
    seconds::rep best = 0;
    size_t best_count = 0;
    for (auto [gap, n] : gaps) {
      if (n > best_count) {
        best = gap;
        best_count = n;
      }
    }
    return seconds(best);
  }

  void Problem(size_t line, std::string message) {
    problems_.push_back({line, std::move(message)});
  }

  SeriesCsvOptions options_;
  bool have_header_ = false;
  size_t time_col_ = 0, value_col_ = 0, min_fields_ = 0;
  std::optional<size_t> entity_col_;
  std::map<std::string, size_t> index_;
  std::vector<std::pair<std::string, std::vector<Sample>>> samples_;
  std::vector<CsvProblem> problems_;
};

}  // namespace

std::optional<WallTime> ParseSeriesTime(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  if (std::optional<WallTime> t = ParseTime(s)) return t;
  // Unix seconds, possibly with a fraction.
  double secs = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(secs)) {
    return std::nullopt;
  }
  if (secs < 0 || secs > 1e11) return std::nullopt;  // before 1970 or after year 5000
  auto whole = static_cast<int64_t>(secs);
  auto millis = static_cast<int64_t>((secs - static_cast<double>(whole)) * 1000.0);
  return WallTime(std::chrono::seconds(whole) + std::chrono::milliseconds(millis));
}

Result<SeriesCsv> ParseSeriesCsv(std::string_view text, const SeriesCsvOptions& options) {
  Builder builder(options);
  size_t line_number = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    auto added = builder.AddLine(++line_number, line);
    if (!added) return tl::unexpected(added.error());
  }
  return builder.Finish();
}

Result<SeriesCsv> ReadSeriesCsv(const std::string& path, const SeriesCsvOptions& options) {
  auto reader = LineReader::Open(path);
  if (!reader) return tl::unexpected(reader.error());
  Builder builder(options);
  for (;;) {
    auto line = (*reader)->Next();
    if (!line) return tl::unexpected(line.error());
    if (!*line) break;
    auto added = builder.AddLine((*reader)->line_number(), **line);
    if (!added) return tl::unexpected(added.error());
  }
  return builder.Finish();
}

}  // namespace vigil::disruption
