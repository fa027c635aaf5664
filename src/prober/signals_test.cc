#include "prober/signals.h"

#include <gtest/gtest.h>

namespace vigil::prober {
namespace {

BlockSurvey Full(uint32_t prefix) {
  BlockSurvey s;
  s.prefix = prefix;
  s.ever_responsive = {1, 2, 3};
  s.availability = 1;
  return s;
}

TEST(UpBlocksPerEntity, CountsUpBlocksAndKeepsZeros) {
  TrinocularParams p;
  std::vector<BlockTracker> t;
  t.emplace_back(Full(0x0a000100), p, 1);
  t.emplace_back(Full(0x0a000200), p, 1);
  t.emplace_back(Full(0x0a000300), p, 1);
  for (std::size_t i = 0; i < t.size(); ++i) {
    t[i].BeginRound();
    while (auto a = t[i].NextProbe()) t[i].Record(i != 1);
    (void)t[i].EndRound();
  }
  std::vector<std::vector<Entity>> e{{{"asn", "AS1"}, {"country", "CM"}},
                                     {{"asn", "AS1"}},
                                     {{"asn", "AS2"}}};
  auto points = UpBlocksPerEntity(t, e, 1700000000, 660);
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].entity, (Entity{"asn", "AS1"}));
  EXPECT_EQ(points[0].value, 1);
  EXPECT_EQ(points[1].entity, (Entity{"asn", "AS2"}));
  EXPECT_EQ(points[1].value, 1);
  EXPECT_EQ(points[2].entity, (Entity{"country", "CM"}));
  EXPECT_EQ(points[2].value, 1);

  // Block 2 goes down: AS2 stays with a 0.
  t[2].BeginRound();
  while (auto a = t[2].NextProbe()) t[2].Record(false);
  (void)t[2].EndRound();
  points = UpBlocksPerEntity(t, e, 1700000660, 660);
  EXPECT_EQ(points[1].value, 0);
}

TEST(SignalsBody, HasTheServersShape) {
  std::vector<SignalPoint> points{{{"asn", "AS64500"}, 1700000000, 660, 12}};
  EXPECT_EQ(SignalsBody(points),
            R"({"points":[{"entity_type":"asn","entity_code":"AS64500",)"
            R"("datasource":"active-probing","time":1700000000,"step":660,"value":12}]})");
}

TEST(SignalsUrl, AppendsTheEndpoint) {
  EXPECT_EQ(*SignalsUrl("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/api/v1/signals");
  EXPECT_EQ(*SignalsUrl("https://vigil.example/base"), "https://vigil.example/base/api/v1/signals");
  EXPECT_FALSE(SignalsUrl("ftp://h"));
  EXPECT_FALSE(SignalsUrl("http://u:p@h"));
  EXPECT_FALSE(SignalsUrl("nonsense"));
}

}  // namespace
}  // namespace vigil::prober
