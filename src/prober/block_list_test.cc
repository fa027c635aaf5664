#include "prober/block_list.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace vigil::prober {
namespace {

TEST(ParseBlockLine, OneSlash24) {
  auto b = ParseBlockLine("10.1.2.0/24");
  ASSERT_TRUE(b) << b.error().ToString();
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].prefix, 0x0a010200u);
  EXPECT_TRUE((*b)[0].entities.empty());
}

TEST(ParseBlockLine, BareAddressMeansItsSlash24) {
  auto b = ParseBlockLine("10.1.2.77");
  ASSERT_TRUE(b);
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].prefix, 0x0a010200u);
}

TEST(ParseBlockLine, LargerRangeIsSplitWithItsEntities) {
  auto b = ParseBlockLine("10.1.8.0/22,asn,64500,country,cm  # four blocks");
  ASSERT_TRUE(b) << b.error().ToString();
  ASSERT_EQ(b->size(), 4u);
  EXPECT_EQ((*b)[3].prefix, 0x0a010b00u);
  std::vector<Entity> want{{"asn", "AS64500"}, {"country", "CM"}};
  EXPECT_EQ((*b)[3].entities, want);
}

TEST(ParseBlockLine, CommentsAndBlankLinesAreEmpty) {
  EXPECT_TRUE(ParseBlockLine("")->empty());
  EXPECT_TRUE(ParseBlockLine("   # nothing")->empty());
}

TEST(ParseBlockLine, RejectsWhatIsNotABlock) {
  for (const char* bad : {"10.1.2.0/25", "10.0.0.0/7", "2001:db8::/48", "10.1.2.0/x", "example.com",
                          "10.1.2.0/24,asn", "10.1.2.0/24,asn,ASx", "10.1.2.0/24,country,CMR",
                          "10.1.2.0/24,city,Paris"}) {
    EXPECT_FALSE(ParseBlockLine(bad)) << bad;
  }
}

TEST(LoadBlockList, MergesRepeatedBlocksAndNamesBadLines) {
  const std::string path = ::testing::TempDir() + "/prober_blocks.txt";
  {
    std::ofstream f(path);
    f << "# test\n10.1.2.0/24,asn,AS1\n10.1.2.0/23\n10.1.2.0/24,country,FR\n";
  }
  auto blocks = LoadBlockList(path);
  ASSERT_TRUE(blocks) << blocks.error().ToString();
  ASSERT_EQ(blocks->size(), 2u);
  EXPECT_EQ((*blocks)[0].prefix, 0x0a010200u);
  EXPECT_EQ((*blocks)[0].entities.size(), 2u);
  EXPECT_EQ((*blocks)[1].prefix, 0x0a010300u);
  {
    std::ofstream f(path);
    f << "10.1.2.0/24\nnot a block\n";
  }
  auto bad = LoadBlockList(path);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find(":2:"), std::string::npos) << bad.error().message;
  std::remove(path.c_str());
}

}  // namespace
}  // namespace vigil::prober
