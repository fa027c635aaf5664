#include "evidence/merkle.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::evidence {
namespace {

// RFC 9162's definitions, written directly over all the leaf hashes (no tiles), as the
// reference the tiled code must agree with.
Hash NaiveMth(const std::vector<Hash>& leaves, uint64_t lo, uint64_t hi) {
  if (hi == lo) return EmptyTreeHash();
  if (hi - lo == 1) return leaves[lo];
  uint64_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  return NodeHash(NaiveMth(leaves, lo, lo + k), NaiveMth(leaves, lo + k, hi));
}

void NaivePath(const std::vector<Hash>& leaves, uint64_t m, uint64_t lo, uint64_t hi, std::vector<Hash>& out) {
  if (hi - lo <= 1) return;
  uint64_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  if (m < k) {
    NaivePath(leaves, m, lo, lo + k, out);
    out.push_back(NaiveMth(leaves, lo + k, hi));
  } else {
    NaivePath(leaves, m - k, lo + k, hi, out);
    out.push_back(NaiveMth(leaves, lo, lo + k));
  }
}

void NaiveSubproof(const std::vector<Hash>& leaves, uint64_t m, uint64_t lo, uint64_t hi, bool b,
                   std::vector<Hash>& out) {
  if (m == hi - lo) {
    if (!b) out.push_back(NaiveMth(leaves, lo, hi));
    return;
  }
  uint64_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  if (m <= k) {
    NaiveSubproof(leaves, m, lo, lo + k, b, out);
    out.push_back(NaiveMth(leaves, lo + k, hi));
  } else {
    NaiveSubproof(leaves, m - k, lo + k, hi, false, out);
    out.push_back(NaiveMth(leaves, lo, lo + k));
  }
}

struct Trees {
  std::vector<Hash> leaves;
  MemoryTree tree;
  explicit Trees(uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) Add("leaf " + std::to_string(i));
  }
  void Add(const std::string& entry) {
    leaves.push_back(LeafHash(entry));
    tree.Append(leaves.back());
  }
};

TEST(MerkleTest, HashingIsRfc6962s) {
  // The first test vector of RFC 6962's reference implementation: the tree of the 8 inputs
  // below has this root (certificate-transparency, merkle_tree_test).
  const std::vector<std::string> inputs = {
      std::string(), std::string("\x00", 1), "\x10", "\x20\x21", "\x30\x31", "\x40\x41\x42\x43",
      "\x50\x51\x52\x53\x54\x55\x56\x57", "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};
  MemoryTree tree;
  for (const auto& in : inputs) tree.Append(LeafHash(in));
  auto root = TreeHash(tree, 8);
  ASSERT_TRUE(root);
  EXPECT_EQ(HexOf(*root), "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
  auto one = TreeHash(tree, 1);
  ASSERT_TRUE(one);
  EXPECT_EQ(HexOf(*one), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(HexOf(EmptyTreeHash()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(MerkleTest, TreeHashesAgreeWithTheDefinitionAcrossTileBoundaries) {
  Trees t(70000);  // three tile levels: 273 full level-0 tiles, one full level-1 tile
  for (uint64_t n : {1u, 2u, 3u, 7u, 8u, 255u, 256u, 257u, 511u, 512u, 65535u, 65536u, 65537u, 69999u, 70000u}) {
    auto root = TreeHash(t.tree, n);
    ASSERT_TRUE(root) << n;
    EXPECT_EQ(*root, NaiveMth(t.leaves, 0, n)) << "size " << n;
  }
  auto empty = TreeHash(t.tree, 0);
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, EmptyTreeHash());
}

TEST(MerkleTest, InclusionProofsAreTheDefinitionsAndVerify) {
  Trees t(600);
  for (uint64_t n = 1; n <= 40; ++n) {
    const Hash root = NaiveMth(t.leaves, 0, n);
    for (uint64_t i = 0; i < n; ++i) {
      auto proof = InclusionProof(t.tree, i, n);
      ASSERT_TRUE(proof);
      std::vector<Hash> expected;
      NaivePath(t.leaves, i, 0, n, expected);
      ASSERT_EQ(*proof, expected) << i << " in " << n;
      EXPECT_TRUE(VerifyInclusion(t.leaves[i], i, n, *proof, root)) << i << " in " << n;
      // Another leaf, another index, another size, or another root: refused.
      if (n > 1) {
        EXPECT_FALSE(VerifyInclusion(t.leaves[(i + 1) % n], i, n, *proof, root));
        EXPECT_FALSE(VerifyInclusion(t.leaves[i], (i + 1) % n, n, *proof, root));
      }
      EXPECT_FALSE(VerifyInclusion(t.leaves[i], i, n, *proof, t.leaves[0] == root ? t.leaves[1] : t.leaves[0]));
      if (!proof->empty()) {
        auto flipped = *proof;
        flipped[0][5] ^= 1;
        EXPECT_FALSE(VerifyInclusion(t.leaves[i], i, n, flipped, root));
        auto shorter = *proof;
        shorter.pop_back();
        EXPECT_FALSE(VerifyInclusion(t.leaves[i], i, n, shorter, root));
      }
      auto longer = *proof;
      longer.push_back(root);
      EXPECT_FALSE(VerifyInclusion(t.leaves[i], i, n, longer, root));
    }
  }
  for (uint64_t n : {257u, 512u, 599u, 600u}) {
    for (uint64_t i : {0ul, 1ul, 255ul, 256ul, n - 1}) {
      auto proof = InclusionProof(t.tree, i, n);
      ASSERT_TRUE(proof);
      EXPECT_TRUE(VerifyInclusion(t.leaves[i], i, n, *proof, NaiveMth(t.leaves, 0, n)));
    }
  }
  EXPECT_FALSE(InclusionProof(t.tree, 5, 5));
}

TEST(MerkleTest, ConsistencyProofsAreTheDefinitionsAndVerify) {
  Trees t(700);
  auto check = [&](uint64_t m, uint64_t n) {
    auto proof = ConsistencyProof(t.tree, m, n);
    ASSERT_TRUE(proof) << m << " -> " << n;
    std::vector<Hash> expected;
    NaiveSubproof(t.leaves, m, 0, n, true, expected);
    ASSERT_EQ(*proof, expected) << m << " -> " << n;
    const Hash old_root = NaiveMth(t.leaves, 0, m), new_root = NaiveMth(t.leaves, 0, n);
    EXPECT_TRUE(VerifyConsistency(m, n, old_root, new_root, *proof)) << m << " -> " << n;
    if (m < n) {
      // A forked log: the same old tree, a new tree with one leaf changed.
      std::vector<Hash> forked = t.leaves;
      forked[n - 1][0] ^= 1;
      EXPECT_FALSE(VerifyConsistency(m, n, old_root, NaiveMth(forked, 0, n), *proof)) << m << " -> " << n;
      EXPECT_FALSE(VerifyConsistency(m, n, new_root, new_root, *proof));
      auto flipped = *proof;
      flipped.back()[0] ^= 1;
      EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, flipped));
      EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, {}));
    }
  };
  for (uint64_t n = 1; n <= 36; ++n) {
    for (uint64_t m = 1; m <= n; ++m) check(m, n);
  }
  for (auto [m, n] : std::vector<std::pair<uint64_t, uint64_t>>{{255, 256}, {256, 257}, {256, 700}, {300, 699}, {1, 700}}) {
    check(m, n);
  }
  EXPECT_TRUE(VerifyConsistency(0, 5, EmptyTreeHash(), NaiveMth(t.leaves, 0, 5), {}));
  EXPECT_FALSE(ConsistencyProof(t.tree, 0, 5));
  EXPECT_FALSE(ConsistencyProof(t.tree, 6, 5));
}

// A store that keeps level 0 and what CompletedTileEntries returns, as the store's writer does.
class StoredTiles : public TileReader {
 public:
  void Append(const std::vector<Hash>& leaves) {
    const uint64_t size = levels_[0].size();
    levels_[0].insert(levels_[0].end(), leaves.begin(), leaves.end());
    auto entries = CompletedTileEntries(*this, size, leaves.size());
    ASSERT_TRUE(entries) << entries.error().ToString();
    for (const auto& e : *entries) {
      auto& level = levels_[static_cast<size_t>(e.level)];
      ASSERT_EQ(level.size(), e.index) << "entries come in order, without gaps";
      level.push_back(e.hash);
    }
  }
  Result<std::vector<Hash>> ReadLevel(int level, uint64_t begin, uint64_t end) override {
    const auto& v = levels_[static_cast<size_t>(level)];
    if (end > v.size() || begin > end) return Fail("not_found", "missing");
    return std::vector<Hash>(v.begin() + static_cast<long>(begin), v.begin() + static_cast<long>(end));
  }
  std::vector<std::vector<Hash>> levels_ = std::vector<std::vector<Hash>>(8);
};

TEST(MerkleTest, AWriterThatStoresCompletedEntriesHoldsTheSameTilesInAnyBatching) {
  Trees t(0);
  StoredTiles stored;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> batch(1, 700);
  uint64_t n = 0;
  while (n < 140000) {
    std::vector<Hash> leaves;
    for (int i = batch(rng); i > 0; --i, ++n) {
      t.Add("entry " + std::to_string(n));
      leaves.push_back(t.leaves.back());
    }
    stored.Append(leaves);
  }
  for (int level = 0; level < 3; ++level) {
    const uint64_t count = level == 0 ? n : n >> (8 * level);
    auto a = stored.ReadLevel(level, 0, count);
    auto b = t.tree.ReadLevel(level, 0, count);
    ASSERT_TRUE(a && b) << level;
    EXPECT_EQ(*a, *b) << "level " << level;
  }
  auto root = TreeHash(stored, n);
  ASSERT_TRUE(root);
  EXPECT_EQ(*root, NaiveMth(t.leaves, 0, n));
}

}  // namespace
}  // namespace vigil::evidence
