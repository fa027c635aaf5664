#include "analysis/literal_set.h"

#include <algorithm>
#include <random>
#include <set>

#include <gtest/gtest.h>

namespace vigil::analysis {
namespace {

std::set<uint32_t> Find(const LiteralSet& set, std::string_view text) {
  std::set<uint32_t> found;
  std::vector<uint8_t> seen;
  set.FindAll(text, seen, [&](uint32_t id) { EXPECT_TRUE(found.insert(id).second); });
  return found;
}

TEST(LiteralSet, FindsOverlappingNestedAndShortPatterns) {
  LiteralSet set({"he", "she", "his", "hers", "", "ushers", "sher"});
  EXPECT_EQ(Find(set, "ushers"), (std::set<uint32_t>{0, 1, 3, 5, 6}));
  EXPECT_EQ(Find(set, "ahishers"), (std::set<uint32_t>{0, 1, 2, 3, 6}));
  EXPECT_TRUE(Find(set, "").empty());
  EXPECT_TRUE(Find(set, "xyz").empty());
}

TEST(LiteralSet, PatternAtTheVeryEndAndRepeated) {
  LiteralSet set({"BUSY", "blocked page"});
  EXPECT_EQ(Find(set, "server BUSY"), (std::set<uint32_t>{0}));
  EXPECT_EQ(Find(set, "BUSY BUSY blocked page"), (std::set<uint32_t>{0, 1}));
  EXPECT_TRUE(Find(set, "blocked pag").empty());
}

TEST(LiteralSet, HandlesBinaryAndUtf8) {
  LiteralSet set({std::string("\x00\xff\x00\x01", 4), "禁止访问"});
  EXPECT_EQ(Find(set, std::string("ab\x00\xff\x00\x01", 6)), (std::set<uint32_t>{0}));
  EXPECT_EQ(Find(set, "<p>禁止访问</p>"), (std::set<uint32_t>{1}));
}

// Property: agrees with std::string::find on random texts and patterns over a small
// alphabet (many partial matches and shared prefixes).
TEST(LiteralSet, AgreesWithNaiveSearch) {
  std::mt19937 rng(42);
  auto random_string = [&](size_t max_len) {
    std::string s(rng() % max_len + 1, 'a');
    for (char& c : s) c = static_cast<char>('a' + rng() % 3);
    return s;
  };
  for (int round = 0; round < 100; ++round) {
    std::vector<std::string> patterns;
    for (int i = 0; i < 30; ++i) patterns.push_back(random_string(8));
    LiteralSet set(patterns);
    std::string text = random_string(300);
    std::set<uint32_t> expected;
    for (uint32_t i = 0; i < patterns.size(); ++i) {
      if (text.find(patterns[i]) != std::string::npos) expected.insert(i);
    }
    EXPECT_EQ(Find(set, text), expected) << "round " << round;
  }
}

}  // namespace
}  // namespace vigil::analysis

namespace vigil::analysis {
namespace {

// Long patterns sharing common openings are anchored inside themselves; they must still
// be found exactly where a naive search finds them, including at the text's edges.
TEST(LiteralSet, AnchoredLongPatternsAgreeWithNaiveSearch) {
  std::mt19937 rng(7);
  const std::string prefixes[] = {"https://", "<a href=", "<title>", ""};
  auto random_string = [&](size_t min_len, size_t max_len) {
    std::string s(min_len + rng() % (max_len - min_len + 1), 'a');
    for (char& c : s) c = static_cast<char>('a' + rng() % 3);
    return s;
  };
  for (int round = 0; round < 100; ++round) {
    std::vector<std::string> patterns;
    for (int i = 0; i < 40; ++i) patterns.push_back(prefixes[rng() % 4] + random_string(2, 14));
    LiteralSet set(patterns);
    std::string text;
    for (int i = 0; i < 30; ++i) {
      text += rng() % 3 == 0 ? patterns[rng() % patterns.size()] : prefixes[rng() % 4] + random_string(1, 10);
    }
    std::set<uint32_t> expected;
    for (uint32_t i = 0; i < patterns.size(); ++i) {
      if (text.find(patterns[i]) != std::string::npos) expected.insert(i);
    }
    EXPECT_EQ(Find(set, text), expected) << "round " << round;
  }
}

// Both engines (Hyperscan where built with it, and the portable one) find the same set,
// and FindAll reports it in ascending id order whatever the engine.
TEST(LiteralSet, EnginesAgreeAndReportInIdOrder) {
  std::mt19937 rng(7);
  auto random_string = [&](size_t min_len, size_t max_len) {
    std::string s(min_len + rng() % (max_len - min_len + 1), 'a');
    for (char& c : s) c = static_cast<char>('a' + rng() % 4);
    return s;
  };
  for (int round = 0; round < 50; ++round) {
    std::vector<std::string> patterns;
    for (int i = 0; i < 200; ++i) patterns.push_back(random_string(3, 24));
    LiteralSet set(patterns);
    set.WaitForAccelerator();
    const std::string text = random_string(1000, 5000);
    std::vector<uint8_t> seen;
    std::vector<uint32_t> fast, portable;
    set.FindAll(text, seen, [&](uint32_t id) { fast.push_back(id); });
    set.FindAllPortable(text, seen, [&](uint32_t id) { portable.push_back(id); });
    EXPECT_TRUE(std::is_sorted(fast.begin(), fast.end()));
    std::sort(portable.begin(), portable.end());
    EXPECT_EQ(fast, portable) << "round " << round;
  }
#ifdef VIGIL_HAVE_HYPERSCAN
  EXPECT_TRUE(LiteralSet({"blocked"}).WaitForAccelerator());
#endif
}

}  // namespace
}  // namespace vigil::analysis
