// Golden test: for every MRT file in the shared data set, Vigil's `bgpdump -m` rendering
// must equal bgpdump's own output (bgp/bgpdump-expected/<file>.bgp.gz) line for line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/line_reader.h"
#include "disruption/bgpdump_format.h"
#include "disruption/mrt_reader.h"
#include "tests/support/shared_data.h"

namespace vigil::disruption {
namespace {

namespace fs = std::filesystem;

fs::path SharedData() { return vigil::test_support::SharedDataDir(); }

std::vector<std::string> ExpectedLines(const fs::path& path) {
  std::vector<std::string> lines;
  auto reader = LineReader::Open(path.string());
  EXPECT_TRUE(reader.has_value()) << path;
  if (!reader) return lines;
  for (;;) {
    auto line = (*reader)->Next();
    EXPECT_TRUE(line.has_value()) << path;
    if (!line || !*line) break;
    lines.emplace_back(**line);
  }
  return lines;
}

TEST(BgpdumpGoldenTest, EveryMrtFileMatchesBgpdump) {
  fs::path data = SharedData();
  fs::path mrt_dir = data / "bgp" / "mrt";
  std::error_code ec;
  if (data.empty() || !fs::is_directory(mrt_dir, ec)) {
    GTEST_SKIP() << "shared data not found (set VIGIL_SHARED_DATA or keep ../shared/data "
                    "beside the source tree); looked in "
                 << mrt_dir;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(mrt_dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    fs::path expected_path =
        data / "bgp" / "bgpdump-expected" / (file.filename().string() + ".bgp.gz");
    ASSERT_TRUE(fs::exists(expected_path)) << expected_path;
    std::vector<std::string> expected = ExpectedLines(expected_path);

    auto reader = MrtReader::Open(file.string());
    ASSERT_TRUE(reader.has_value()) << reader.error().ToString();
    std::string out;
    size_t line_no = 0, mismatches = 0;
    auto compare = [&](bool flush_all) {
      size_t start = 0;
      for (;;) {
        size_t nl = out.find('\n', start);
        if (nl == std::string::npos) break;
        std::string_view got(out.data() + start, nl - start);
        if (line_no >= expected.size()) {
          if (++mismatches <= 5) {
            ADD_FAILURE() << "extra line " << line_no + 1 << ": " << got;
          }
        } else if (got != expected[line_no]) {
          if (++mismatches <= 5) {
            ADD_FAILURE() << "line " << line_no + 1 << "\n  want: " << expected[line_no]
                          << "\n  got:  " << got;
          }
        }
        ++line_no;
        start = nl + 1;
      }
      out.erase(0, start);
      if (flush_all) {
        EXPECT_TRUE(out.empty());
      }
    };
    for (;;) {
      auto record = (*reader)->Next();
      ASSERT_TRUE(record.has_value()) << record.error().ToString();
      if (*record == nullptr) break;
      // Malformed records (updates.nlri_mask_trailing_bits ends in half a prefix) must
      // still print what bgpdump prints; their problems are checked in mrt_reader_test.
      AppendBgpdumpLines(**record, out);
      if (out.size() > (1u << 16)) compare(false);
    }
    compare(true);
    EXPECT_EQ(line_no, expected.size()) << "line count";
    EXPECT_EQ(mismatches, 0u);
  }
}

}  // namespace
}  // namespace vigil::disruption
