#include "prober/state_file.h"

#include <gtest/gtest.h>

namespace vigil::prober {
namespace {

ProberState Sample() {
  ProberState s;
  s.method = "icmp";
  s.created = "2026-01-01T00:00:00Z";
  s.passes = 3;
  s.probes = 1524;
  s.seconds = 15.25;
  s.max_rate = 100;
  s.blocks.push_back({{0x0ae80100, {1, 2, 200}, 0.75}, {{"asn", "AS64500"}}});
  s.blocks.push_back({{0x0ae80200, {}, 0.0}, {}});
  return s;
}

TEST(StateFile, RoundTrips) {
  auto text = SerializeState(Sample());
  auto back = ParseState(text);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->method, "icmp");
  EXPECT_EQ(back->passes, 3);
  EXPECT_EQ(back->probes, 1524u);
  EXPECT_DOUBLE_EQ(back->seconds, 15.25);
  EXPECT_DOUBLE_EQ(back->max_rate, 100);
  ASSERT_EQ(back->blocks.size(), 2u);
  EXPECT_EQ(back->blocks[0].survey.prefix, 0x0ae80100u);
  EXPECT_EQ(back->blocks[0].survey.ever_responsive, (std::vector<uint8_t>{1, 2, 200}));
  EXPECT_DOUBLE_EQ(back->blocks[0].survey.availability, 0.75);
  EXPECT_EQ(back->blocks[0].entities, (std::vector<Entity>{{"asn", "AS64500"}}));
  EXPECT_TRUE(back->blocks[1].survey.ever_responsive.empty());
}

TEST(StateFile, WritesAndReadsAFile) {
  const std::string path = ::testing::TempDir() + "/prober_state.json";
  ASSERT_TRUE(WriteStateFile(path, Sample()));
  auto back = ReadStateFile(path);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->blocks.size(), 2u);
  EXPECT_FALSE(ReadStateFile(path + ".missing"));
}

TEST(StateFile, RejectsBrokenFiles) {
  for (const char* bad : {
           "", "[]", "{\"format\":\"other\",\"version\":1,\"blocks\":[]}",
           "{\"format\":\"vigil-prober-state\",\"version\":2,\"blocks\":[]}",
           "{\"format\":\"vigil-prober-state\",\"version\":1}",
           "{\"format\":\"vigil-prober-state\",\"version\":1,\"blocks\":[{\"block\":\"10.0.0.0/23\","
           "\"availability\":1,\"ever_responsive\":[]}]}",
           "{\"format\":\"vigil-prober-state\",\"version\":1,\"blocks\":[{\"block\":\"10.0.0.0/24\","
           "\"availability\":1.5,\"ever_responsive\":[]}]}",
           "{\"format\":\"vigil-prober-state\",\"version\":1,\"blocks\":[{\"block\":\"10.0.0.0/24\","
           "\"availability\":1,\"ever_responsive\":[3,2]}]}",
           "{\"format\":\"vigil-prober-state\",\"version\":1,\"blocks\":[{\"block\":\"10.0.0.0/24\","
           "\"availability\":1,\"ever_responsive\":[256]}]}"}) {
    EXPECT_FALSE(ParseState(bad)) << bad;
  }
}

}  // namespace
}  // namespace vigil::prober
