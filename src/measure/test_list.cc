#include "measure/test_list.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <unordered_set>

#include <fmt/format.h>

#include "core/csv.h"
#include "core/failure.h"
#include "core/url.h"

namespace vigil::measure {

Result<std::vector<TestInput>> LoadTestList(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(std::string(failure::kIoError), "cannot read test list " + path);
  std::vector<TestInput> out;
  CsvSplitter splitter;
  std::string line;
  std::size_t line_no = 0;
  std::size_t url_col = 0, category_col = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    auto fields = splitter.Split(line);
    if (!fields) {
      return Fail(std::string(failure::kParseError),
                  fmt::format("{}:{}: {}", path, line_no, fields.error().message));
    }
    if (line_no == 1) {
      auto it = std::find(fields->begin(), fields->end(), "url");
      if (it == fields->end()) {
        return Fail(std::string(failure::kParseError),
                    path + ":1: expected a Citizen Lab header starting with 'url'");
      }
      url_col = static_cast<std::size_t>(it - fields->begin());
      auto cat = std::find(fields->begin(), fields->end(), "category_code");
      category_col = cat == fields->end() ? SIZE_MAX : static_cast<std::size_t>(cat - fields->begin());
      continue;
    }
    if (fields->size() <= url_col) {
      return Fail(std::string(failure::kParseError), fmt::format("{}:{}: no url field", path, line_no));
    }
    TestInput input;
    input.url = std::string((*fields)[url_col]);
    if (category_col < fields->size()) input.category_code = std::string((*fields)[category_col]);
    auto u = ParseUrl(input.url);
    if (!u || (u->scheme != "http" && u->scheme != "https") || u->host.empty()) {
      return Fail(std::string(failure::kParseError),
                  fmt::format("{}:{}: '{}' is not an http(s) URL", path, line_no, input.url));
    }
    out.push_back(std::move(input));
  }
  return out;
}

Result<std::vector<TestInput>> LoadCountryTestLists(const std::string& dir, std::string_view cc) {
  std::string lower(cc);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.size() != 2 || !std::isalpha(static_cast<unsigned char>(lower[0])) ||
      !std::isalpha(static_cast<unsigned char>(lower[1]))) {
    return Fail(std::string(failure::kInvalidArgument),
                "--country expects a two-letter country code, got '" + std::string(cc) + "'");
  }
  auto global = LoadTestList(dir + "/global.csv");
  if (!global) return global;
  auto country = LoadTestList(dir + "/" + lower + ".csv");
  if (!country) return country;
  global->insert(global->end(), country->begin(), country->end());
  return Deduplicate(std::move(*global));
}

std::vector<TestInput> Deduplicate(std::vector<TestInput> inputs) {
  std::unordered_set<std::string> seen;
  std::vector<TestInput> out;
  out.reserve(inputs.size());
  for (auto& i : inputs) {
    if (seen.insert(i.url).second) out.push_back(std::move(i));
  }
  return out;
}

namespace {

std::string HostKey(std::string_view url) {
  auto u = ParseUrl(url);
  if (!u || u->host.empty()) return {};
  std::string host = u->host;
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (host.starts_with("www.")) host.erase(0, 4);
  return host;
}

std::string Upper(std::string_view cc) {
  std::string out(cc);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out.empty() ? "ZZ" : out;
}

}  // namespace

Result<CategoryIndex> CategoryIndex::LoadDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".csv") files.push_back(it->path());
  }
  if (ec) return Fail(std::string(failure::kIoError), fmt::format("cannot read test lists in {}: {}", dir, ec.message()));
  std::sort(files.begin(), files.end());
  CategoryIndex index;
  for (const auto& f : files) {
    const std::string stem = f.stem().string();
    if (stem != "global" && stem.size() != 2) continue;  // other CSV files are not test lists
    auto list = LoadTestList(f.string());
    if (!list) return tl::unexpected(list.error());
    index.Add(stem == "global" ? "" : Upper(stem), *list);
  }
  return index;
}

void CategoryIndex::Add(std::string_view cc, const std::vector<TestInput>& inputs) {
  const std::string key_cc = Upper(cc);
  for (const auto& in : inputs) {
    if (in.category_code.empty()) continue;
    by_url_.emplace(key_cc + " " + in.url, in.category_code);
    if (auto host = HostKey(in.url); !host.empty()) by_host_.emplace(key_cc + " " + host, in.category_code);
  }
}

std::optional<std::string> CategoryIndex::Lookup(std::string_view url, std::string_view cc) const {
  if (url.empty()) return std::nullopt;
  const std::string host = HostKey(url);
  for (const std::string& c : {Upper(cc), std::string("ZZ")}) {
    if (auto it = by_url_.find(c + " " + std::string(url)); it != by_url_.end()) return it->second;
    if (host.empty()) continue;
    if (auto it = by_host_.find(c + " " + host); it != by_host_.end()) return it->second;
  }
  return std::nullopt;
}

}  // namespace vigil::measure
