// Test lists in the Citizen Lab format (github.com/citizenlab/test-lists): CSV files with the
// header url,category_code,category_description,date_added,source,notes — global.csv plus one
// file per country (cm.csv, ug.csv, ...). Loading keeps the file order and drops duplicate URLs.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace vigil::measure {

struct TestInput {
  std::string url;
  std::string category_code;  // "" for inputs given on the command line
};

// One Citizen Lab CSV file. parse_error (with the line number) for a malformed file or a
// row whose url is not http(s); io_error when it cannot be read.
Result<std::vector<TestInput>> LoadTestList(const std::string& path);

// <dir>/global.csv followed by <dir>/<cc>.csv (lower-case), deduplicated. A missing country
// file is an error naming it.
Result<std::vector<TestInput>> LoadCountryTestLists(const std::string& dir, std::string_view cc);

// Keeps the first occurrence of each URL.
std::vector<TestInput> Deduplicate(std::vector<TestInput> inputs);

// The Citizen Lab category of a measured URL, as OONI's pipeline gives measurements their
// category_code: the entry for the URL in the list of the measurement's country, else in
// the global list. URLs match exactly, then by host (lower case, without a leading
// "www."), so http:// and https:// forms of one site share its category.
//
// Thread-safety: immutable after loading; Lookup may be called from many threads.
class CategoryIndex {
 public:
  CategoryIndex() = default;
  // Every <dir>/*.csv: global.csv is the fallback, <cc>.csv the list of that country.
  // io_error when the folder cannot be read, parse_error (naming file and line) for a
  // malformed list.
  static Result<CategoryIndex> LoadDir(const std::string& dir);
  // Adds a list; `cc` is the upper-case country, or "" for the global list.
  void Add(std::string_view cc, const std::vector<TestInput>& inputs);

  std::optional<std::string> Lookup(std::string_view url, std::string_view cc) const;
  std::size_t size() const { return by_url_.size(); }

 private:
  std::unordered_map<std::string, std::string> by_url_;   // "CC url" ("ZZ" for global) -> category
  std::unordered_map<std::string, std::string> by_host_;  // "CC host" -> category
};

}  // namespace vigil::measure
