#include "analysis/aho_corasick.h"

#include <random>
#include <set>

#include <gtest/gtest.h>

namespace vigil::analysis {
namespace {

std::set<uint32_t> Find(const AhoCorasick& ac, std::string_view text) {
  std::set<uint32_t> found;
  std::vector<uint8_t> seen;
  ac.FindAll(text, seen, [&](uint32_t id) { EXPECT_TRUE(found.insert(id).second); });
  return found;
}

TEST(AhoCorasick, FindsOverlappingAndNestedPatterns) {
  AhoCorasick ac({"he", "she", "his", "hers", ""});
  EXPECT_EQ(Find(ac, "ushers"), (std::set<uint32_t>{0, 1, 3}));
  EXPECT_EQ(Find(ac, "ahishers"), (std::set<uint32_t>{0, 1, 2, 3}));
  EXPECT_TRUE(Find(ac, "nothing here?").count(0));
  EXPECT_TRUE(Find(ac, "").empty());
}

TEST(AhoCorasick, HandlesBinaryAndUtf8) {
  AhoCorasick ac({std::string("\x00\xff", 2), "禁止访问"});
  EXPECT_EQ(Find(ac, std::string("ab\x00\xff", 4)), (std::set<uint32_t>{0}));
  EXPECT_EQ(Find(ac, "<p>禁止访问</p>"), (std::set<uint32_t>{1}));
}

// Property: agrees with std::string::find on random texts and patterns.
TEST(AhoCorasick, AgreesWithNaiveSearch) {
  std::mt19937 rng(42);
  auto random_string = [&](size_t max_len) {
    std::string s(rng() % max_len + 1, 'a');
    for (char& c : s) c = static_cast<char>('a' + rng() % 3);
    return s;
  };
  for (int round = 0; round < 50; ++round) {
    std::vector<std::string> patterns;
    for (int i = 0; i < 20; ++i) patterns.push_back(random_string(5));
    AhoCorasick ac(patterns);
    std::string text = random_string(200);
    std::set<uint32_t> expected;
    for (uint32_t i = 0; i < patterns.size(); ++i) {
      if (text.find(patterns[i]) != std::string::npos) expected.insert(i);
    }
    EXPECT_EQ(Find(ac, text), expected) << "round " << round;
  }
}

}  // namespace
}  // namespace vigil::analysis
