// Test lists in the Citizen Lab format (github.com/citizenlab/test-lists): CSV files with the
// header url,category_code,category_description,date_added,source,notes — global.csv plus one
// file per country (cm.csv, ug.csv, ...). Loading keeps the file order and drops duplicate URLs.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace vigil::probe {

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

}  // namespace vigil::probe
