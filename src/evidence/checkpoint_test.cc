#include "evidence/checkpoint.h"

#include <gtest/gtest.h>

namespace vigil::evidence {
namespace {

TEST(CheckpointTest, BodiesRoundTripAndMalformedOnesAreRefused) {
  Checkpoint c{"vigil.example/log", 20852163, Sha256("x"), {}};
  auto parsed = ParseCheckpointBody(c.Body());
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed->origin, c.origin);
  EXPECT_EQ(parsed->size, c.size);
  EXPECT_EQ(parsed->root, c.root);
  // The specification's example.
  auto spec = ParseCheckpointBody("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->size, 20852163u);
  const std::string root = Base64Of(c.root);
  EXPECT_FALSE(ParseCheckpointBody("o\n012\n" + root + "\n"));  // leading zero
  EXPECT_FALSE(ParseCheckpointBody("o\n-1\n" + root + "\n"));
  EXPECT_FALSE(ParseCheckpointBody("o\n18446744073709551616\n" + root + "\n"));
  EXPECT_FALSE(ParseCheckpointBody("o\n5\nAAAA\n"));
  EXPECT_FALSE(ParseCheckpointBody("\n5\n" + root + "\n"));
  EXPECT_FALSE(ParseCheckpointBody("o\n5\n" + root));
  EXPECT_FALSE(ParseCheckpointBody("o\n0\n" + root + "\n")) << "an empty tree's root is fixed";
  EXPECT_TRUE(ParseCheckpointBody("o\n0\n" + Base64Of(EmptyTreeHash()) + "\n"));
  auto ext = ParseCheckpointBody("o\n5\n" + root + "\nextension\n");
  ASSERT_TRUE(ext);
  EXPECT_EQ(ext->extensions, std::vector<std::string>{"extension"});
}

TEST(CheckpointTest, TilePathsFollowTlogTiles) {
  EXPECT_EQ((TilePath{false, 0, 1234067, 256}).Format(), "tile/0/x001/x234/067");
  EXPECT_EQ((TilePath{false, 2, 5, 17}).Format(), "tile/2/005.p/17");
  EXPECT_EQ((TilePath{true, 0, 1000, 256}).Format(), "tile/entries/x001/000");
  for (const char* p : {"tile/0/x001/x234/067", "tile/2/005.p/17", "tile/entries/x001/000", "tile/63/000"}) {
    auto t = ParseTilePath(p);
    ASSERT_TRUE(t) << p << ": " << t.error().ToString();
    EXPECT_EQ(t->Format(), p);
  }
  for (const char* p : {"tile/64/000", "tile/0/1234", "tile/0/001/002", "tile/0/x000/001", "tile/0/005.p/0",
                        "tile/0/005.p/256", "tile/00/001", "tile/0/", "tile/0/0a1", "tiles/0/001", "tile/x/001"}) {
    EXPECT_FALSE(ParseTilePath(p)) << p;
  }
}

TEST(CheckpointTest, EntryBundlesRoundTripAndTruncationsAreRefused) {
  const std::vector<std::string> entries = {"a", std::string(300, 'b'), ""};
  const std::string bundle = EncodeEntryBundle(entries);
  auto back = DecodeEntryBundle(bundle);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, entries);
  EXPECT_FALSE(DecodeEntryBundle(bundle.substr(0, bundle.size() - 1)));
  EXPECT_FALSE(DecodeEntryBundle(std::string("\x01", 1)));
}

}  // namespace
}  // namespace vigil::evidence
