// `vigil import mrt --data DIR` stores what `--out` prints: the signal points read back
// with Store::GetSignals equal the JSON lines, and importing again changes nothing.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "store/open.h"
#include "store/store.h"
#include "tests/support/shared_data.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

fs::path SharedData() { return vigil::test_support::SharedDataDir(); }

// The value of "key":... in one of our JSON lines (flat, no escapes).
std::string Field(const std::string& line, const std::string& key) {
  const std::string tag = "\"" + key + "\":";
  size_t at = line.find(tag);
  if (at == std::string::npos) return {};
  at += tag.size();
  if (line[at] == '"') {
    return line.substr(at + 1, line.find('"', at + 1) - at - 1);
  }
  return line.substr(at, line.find_first_of(",}", at) - at);
}

using Entity = std::pair<std::string, std::string>;            // type, code
using Series = std::vector<std::pair<int64_t, double>>;        // time, value

TEST(ImportMrtStoreTest, StoredPointsEqualThePrintedOnes) {
  const fs::path mrt = SharedData() / "bgp" / "mrt";
  std::error_code ec;
  if (!fs::is_directory(mrt, ec)) {
    GTEST_SKIP() << "shared data not found (set VIGIL_SHARED_DATA or keep ../shared/data "
                    "beside the source tree); looked in "
                 << mrt;
  }
  std::string tmpl = (fs::path(testing::TempDir()) / "import_mrt_XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const fs::path dir = tmpl;
  const std::string files = (mrt / "updates.20020722.2238.gz").string() + " " +
                            (mrt / "bview.20020722.2337.gz").string();
  const std::string vigil = std::string(VIGIL_BINARY) + " import mrt " + files;
  const std::string quiet = " 2>" + (dir / "stderr.txt").string();
  ASSERT_EQ(std::system((vigil + " --out " + (dir / "points.jsonl").string() + quiet).c_str()), 0);
  const std::string store_run = vigil + " --data " + (dir / "data").string() + quiet;
  ASSERT_EQ(std::system(store_run.c_str()), 0);
  ASSERT_EQ(std::system(store_run.c_str()), 0) << "a second import only replaces the points";

  std::map<Entity, Series> printed;
  std::ifstream in(dir / "points.jsonl");
  size_t lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    ASSERT_EQ(Field(line, "datasource"), "bgp");
    ASSERT_EQ(Field(line, "step"), "300");
    printed[{Field(line, "entity_type"), Field(line, "entity_code")}].emplace_back(
        std::stoll(Field(line, "time")), std::stod(Field(line, "value")));
  }
  ASSERT_GT(lines, 10000u);
  ASSERT_TRUE(printed.count({"asn", "AS568"}));

  store::OpenOptions options;
  options.data_dir = (dir / "data").string();
  auto st = store::OpenStore(options);
  ASSERT_TRUE(st.has_value()) << st.error().ToString();
  size_t checked = 0, i = 0;
  for (const auto& [entity, series] : printed) {
    // Every country, a sample of the ASes, and the largest AS.
    if (entity.first == "asn" && i++ % 97 != 0 && entity.second != "AS568") continue;
    store::SignalQuery q;
    q.entity_type = entity.first;
    q.entity_code = entity.second;
    q.datasource = "bgp";
    q.from = store::Seconds(std::chrono::seconds(0));
    q.until = store::Seconds(std::chrono::seconds(int64_t{1} << 40));
    auto got = (*st)->GetSignals(q);
    ASSERT_TRUE(got.has_value()) << got.error().ToString();
    Series stored;
    for (const store::SignalPoint& p : *got) {
      EXPECT_EQ(p.step, 300);
      stored.emplace_back(p.time.time_since_epoch().count(), p.value);
    }
    EXPECT_EQ(stored, series) << entity.first << " " << entity.second;
    ++checked;
  }
  EXPECT_GT(checked, 200u);
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace vigil
