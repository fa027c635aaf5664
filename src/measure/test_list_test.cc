#include "probe/test_list.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace vigil::probe {
namespace {

std::string Source() {
  const char* dir = std::getenv("VIGIL_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

TEST(TestList, LoadsTheShippedGlobalAndCameroonListsDeduplicated) {
  auto global = LoadTestList(Source() + "/data/test-lists/global.csv");
  ASSERT_TRUE(global.has_value()) << global.error().ToString();
  auto cm = LoadTestList(Source() + "/data/test-lists/cm.csv");
  ASSERT_TRUE(cm.has_value()) << cm.error().ToString();
  auto both = LoadCountryTestLists(Source() + "/data/test-lists", "CM");
  ASSERT_TRUE(both.has_value()) << both.error().ToString();
  EXPECT_LE(both->size(), global->size() + cm->size());
  EXPECT_GT(both->size(), global->size());
  std::set<std::string> urls;
  for (const auto& i : *both) EXPECT_TRUE(urls.insert(i.url).second) << i.url;
}

TEST(TestList, RejectsBadFilesWithTheLine) {
  const auto path = (std::filesystem::temp_directory_path() / "vigil-bad-list.csv").string();
  std::ofstream(path) << "url,category_code\nhttp://ok.example/,NEWS\nnot a url,NEWS\n";
  auto r = LoadTestList(path);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find(":3:"), std::string::npos) << r.error().message;
  std::filesystem::remove(path);
  EXPECT_FALSE(LoadTestList("/nonexistent.csv").has_value());
  EXPECT_FALSE(LoadCountryTestLists(Source() + "/data/test-lists", "CMR").has_value());
}

TEST(TestList, DeduplicateKeepsFirstOccurrence) {
  auto d = Deduplicate({{"http://a/", "X"}, {"http://b/", ""}, {"http://a/", "Y"}});
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].category_code, "X");
}

}  // namespace
}  // namespace vigil::probe
