#include "measure/test_list.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace vigil::measure {
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

TEST(CategoryIndex, CountryListFirstThenGlobalByUrlThenHost) {
  CategoryIndex index;
  index.Add("", {{"https://www.facebook.com/", "GRP"}, {"http://www.camer.be/", "NEWS"}});
  index.Add("cm", {{"http://www.camer.be/", "POLR"}});
  EXPECT_EQ(index.Lookup("http://www.camer.be/", "CM"), "POLR");   // the country's list wins
  EXPECT_EQ(index.Lookup("http://www.camer.be/", "UG"), "NEWS");   // else the global one
  EXPECT_EQ(index.Lookup("https://camer.be/news/1", "UG"), "NEWS");  // same host, other URL
  EXPECT_EQ(index.Lookup("https://www.facebook.com/", ""), "GRP");
  EXPECT_EQ(index.Lookup("https://example.org/", "CM"), std::nullopt);
  EXPECT_EQ(index.Lookup("", "CM"), std::nullopt);
}

TEST(CategoryIndex, LoadsTheShippedLists) {
  const char* src = std::getenv("VIGIL_SOURCE_DIR");
  if (src == nullptr) GTEST_SKIP() << "VIGIL_SOURCE_DIR is not set (run through ctest)";
  auto index = CategoryIndex::LoadDir(std::string(src) + "/data/test-lists");
  ASSERT_TRUE(index) << index.error().ToString();
  EXPECT_GT(index->size(), 100u);
  EXPECT_EQ(index->Lookup("http://www.camer.be/", "CM"), "NEWS");
  auto missing = CategoryIndex::LoadDir("/nonexistent-vigil-lists");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().failure, "io_error");
}

}  // namespace
}  // namespace vigil::measure
