#include "core/csv.h"

#include <fmt/format.h>

#include "core/failure.h"

namespace vigil {

Result<std::span<const std::string_view>> CsvSplitter::Split(std::string_view record) {
  fields_.clear();
  unescaped_.clear();
  // Unescaped text is never longer than the record, so reserving once keeps the views
  // already handed out for earlier fields valid while later fields are appended.
  unescaped_.reserve(record.size());

  size_t i = 0;
  const size_t n = record.size();
  for (;;) {
    if (i < n && record[i] == '"') {
      const size_t field_start = ++i;
      const size_t out_start = unescaped_.size();
      bool has_escapes = false;
      size_t field_end = 0;
      for (;;) {
        if (i >= n) {
          return Fail(std::string(failure::kParseError),
                      fmt::format("unterminated quoted field starting at column {}", field_start));
        }
        if (record[i] != '"') {
          ++i;
          continue;
        }
        if (i + 1 < n && record[i + 1] == '"') {
          if (!has_escapes) {
            unescaped_.append(record.substr(field_start, i - field_start));
            has_escapes = true;
          } else {
            unescaped_.append(record.substr(field_end, i - field_end));
          }
          unescaped_.push_back('"');
          i += 2;
          field_end = i;
          continue;
        }
        break;  // the closing quote
      }
      if (has_escapes) {
        unescaped_.append(record.substr(field_end, i - field_end));
        fields_.emplace_back(unescaped_.data() + out_start, unescaped_.size() - out_start);
      } else {
        fields_.push_back(record.substr(field_start, i - field_start));
      }
      ++i;  // past the closing quote
      if (i < n && record[i] != ',') {
        return Fail(std::string(failure::kParseError),
                    fmt::format("unexpected character after closing quote at column {}", i + 1));
      }
    } else {
      const size_t comma = record.find(',', i);
      const size_t end = comma == std::string_view::npos ? n : comma;
      fields_.push_back(record.substr(i, end - i));
      i = end;
    }
    if (i >= n) break;
    ++i;  // past the comma; a trailing comma yields one more empty field
    if (i == n) {
      fields_.emplace_back();
      break;
    }
  }
  return std::span<const std::string_view>(fields_);
}

Result<std::vector<std::string>> SplitCsvRecord(std::string_view record) {
  CsvSplitter splitter;
  auto fields = splitter.Split(record);
  if (!fields) return tl::unexpected(fields.error());
  return std::vector<std::string>(fields->begin(), fields->end());
}

}  // namespace vigil
