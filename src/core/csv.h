// CsvSplitter: splits one CSV record into its fields, following RFC 4180.
//
// A field is either bare (`abc`) or quoted (`"a, ""b"""` is `a, "b"`); quoted fields
// may hold commas, doubled quotes and line breaks. The splitter works on one record at
// a time: a caller that reads line by line and hits a line break inside quotes gets
// an "unterminated quoted field" error (the files Vigil reads keep records on one line).
// Spaces are part of a field, as RFC 4180 says. A quote inside a bare field is kept
// literally (real-world files do this); text after a closing quote other than a comma
// is an error. The empty string is one empty field.
//
// Unquoted fields are views into the caller's text, so no copy is made for them; a
// quoted field with doubled quotes is unescaped into the splitter's own buffer.
//
// Thread-safety: one splitter per thread.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace vigil {

class CsvSplitter {
 public:
  // The fields of `record`. They stay valid until the next Split() call and while
  // the caller's `record` text lives. Errors use failure "parse_error".
  Result<std::span<const std::string_view>> Split(std::string_view record);

 private:
  std::vector<std::string_view> fields_;
  std::string unescaped_;
};

// Convenience for tests and one-off uses: the fields as owned strings.
Result<std::vector<std::string>> SplitCsvRecord(std::string_view record);

}  // namespace vigil
