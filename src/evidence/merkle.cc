#include "evidence/merkle.h"

#include <bit>
#include <fmt/format.h>

namespace vigil::evidence {
namespace {

// The largest power of two smaller than n (n >= 2), RFC 9162's k.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// The hash of the complete subtree of 2^k leaves starting at leaf index * 2^k.
Result<Hash> SubtreeHash(TileReader& tiles, int k, uint64_t index) {
  const int level = k / kTileHeight;
  const int r = k % kTileHeight;
  const uint64_t width = uint64_t{1} << r;
  auto hashes = tiles.ReadLevel(level, index * width, (index + 1) * width);
  if (!hashes) return tl::unexpected(hashes.error());
  if (hashes->size() != width) {
    return Fail("db_error", fmt::format("tile level {} returned {} hashes for {} asked", level, hashes->size(), width));
  }
  return PerfectRoot(*hashes);
}

// MTH(D[begin:end]) where begin is a multiple of the largest power of two not above
// end - begin (true of every range RFC 9162's recursions visit): the greedy split of the range
// into aligned power-of-two blocks, largest first, folded from the right.
Result<Hash> RangeHash(TileReader& tiles, uint64_t begin, uint64_t end) {
  std::vector<Hash> blocks;
  for (uint64_t at = begin; at < end;) {
    int k = static_cast<int>(std::bit_width(end - at)) - 1;  // the largest 2^k <= what is left ...
    while (k > 0 && at % (uint64_t{1} << k) != 0) --k;  // ... that is aligned at `at`
    auto h = SubtreeHash(tiles, k, at >> k);
    if (!h) return tl::unexpected(h.error());
    blocks.push_back(*h);
    at += uint64_t{1} << k;
  }
  if (blocks.empty()) return EmptyTreeHash();
  Hash acc = blocks.back();
  for (size_t i = blocks.size() - 1; i-- > 0;) acc = NodeHash(blocks[i], acc);
  return acc;
}

// PATH(m, D[lo:hi]) of RFC 9162, 2.1.3.1, appended to `out` (deepest sibling first).
Result<void> Path(TileReader& tiles, uint64_t m, uint64_t lo, uint64_t hi, std::vector<Hash>& out) {
  const uint64_t n = hi - lo;
  if (n == 1) return {};
  const uint64_t k = SplitPoint(n);
  Result<Hash> sibling = m < k ? RangeHash(tiles, lo + k, hi) : RangeHash(tiles, lo, lo + k);
  if (!sibling) return tl::unexpected(sibling.error());
  auto below = m < k ? Path(tiles, m, lo, lo + k, out) : Path(tiles, m - k, lo + k, hi, out);
  if (!below) return below;
  out.push_back(*sibling);
  return {};
}

// SUBPROOF(m, D[lo:hi], b) of RFC 9162, 2.1.4.1.
Result<void> Subproof(TileReader& tiles, uint64_t m, uint64_t lo, uint64_t hi, bool b, std::vector<Hash>& out) {
  const uint64_t n = hi - lo;
  if (m == n) {
    if (b) return {};
    auto h = RangeHash(tiles, lo, hi);
    if (!h) return tl::unexpected(h.error());
    out.push_back(*h);
    return {};
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    if (auto r = Subproof(tiles, m, lo, lo + k, b, out); !r) return r;
    auto h = RangeHash(tiles, lo + k, hi);
    if (!h) return tl::unexpected(h.error());
    out.push_back(*h);
  } else {
    if (auto r = Subproof(tiles, m - k, lo + k, hi, false, out); !r) return r;
    auto h = RangeHash(tiles, lo, lo + k);
    if (!h) return tl::unexpected(h.error());
    out.push_back(*h);
  }
  return {};
}

bool Lsb(uint64_t x) { return (x & 1) != 0; }

}  // namespace

Hash PerfectRoot(std::span<const Hash> hashes) {
  if (hashes.empty()) return EmptyTreeHash();
  std::vector<Hash> level(hashes.begin(), hashes.end());
  while (level.size() > 1) {
    for (size_t i = 0; i + 1 < level.size(); i += 2) level[i / 2] = NodeHash(level[i], level[i + 1]);
    level.resize(level.size() / 2);
  }
  return level[0];
}

Result<Hash> TreeHash(TileReader& tiles, uint64_t size) { return RangeHash(tiles, 0, size); }

Result<std::vector<Hash>> InclusionProof(TileReader& tiles, uint64_t index, uint64_t size) {
  if (index >= size) return Fail("invalid_argument", fmt::format("leaf {} is not in a tree of {} leaves", index, size));
  std::vector<Hash> out;
  if (auto r = Path(tiles, index, 0, size, out); !r) return tl::unexpected(r.error());
  return out;
}

Result<std::vector<Hash>> ConsistencyProof(TileReader& tiles, uint64_t old_size, uint64_t new_size) {
  if (old_size == 0 || old_size > new_size) {
    return Fail("invalid_argument", fmt::format("no consistency proof from size {} to size {}", old_size, new_size));
  }
  std::vector<Hash> out;
  if (auto r = Subproof(tiles, old_size, 0, new_size, true, out); !r) return tl::unexpected(r.error());
  return out;
}

bool VerifyInclusion(const Hash& leaf, uint64_t index, uint64_t size, std::span<const Hash> proof,
                     const Hash& root) {
  if (index >= size) return false;
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if (Lsb(fn) || fn == sn) {
      r = NodeHash(p, r);
      if (!Lsb(fn)) {
        while (!Lsb(fn) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root, const Hash& new_root,
                       std::span<const Hash> proof) {
  if (old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (old_size == 0) return proof.empty();
  if (proof.empty()) return false;
  std::vector<Hash> path;
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = old_size - 1, sn = new_size - 1;
  while (Lsb(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return false;
    if (Lsb(fn) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if (!Lsb(fn)) {
        while (!Lsb(fn) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

Result<std::vector<TileEntry>> CompletedTileEntries(TileReader& tiles, uint64_t size, uint64_t added) {
  std::vector<TileEntry> out;
  const uint64_t total = size + added;
  // Entries of the level below that this call computed: [first_new, first_new + size()).
  std::vector<Hash> below_new;
  uint64_t below_first_new = 0;
  uint64_t span = 1;  // 256^(level - 1): leaves under one entry of the level below
  for (int level = 1; level < 8; ++level) {
    const uint64_t below_span = span;
    if (span > total / kTileWidth) break;  // 256^level > total: nothing complete at this level
    span *= kTileWidth;
    const uint64_t before = size / span, after = total / span;
    const uint64_t below_stored = size / below_span;  // entries of level - 1 kept before
    std::vector<Hash> made;
    for (uint64_t j = before; j < after; ++j) {
      const uint64_t from = j * kTileWidth, to = from + kTileWidth;
      std::vector<Hash> children;
      if (level == 1) {
        auto read = tiles.ReadLevel(0, from, to);  // the leaves are stored before this is called
        if (!read) return tl::unexpected(read.error());
        children = std::move(*read);
      } else {
        if (from < below_stored) {
          auto read = tiles.ReadLevel(level - 1, from, std::min(to, below_stored));
          if (!read) return tl::unexpected(read.error());
          children = std::move(*read);
        }
        for (uint64_t i = std::max(from, below_stored); i < to; ++i) {
          if (i < below_first_new || i - below_first_new >= below_new.size()) {
            return Fail("db_error", fmt::format("tile level {} lacks entry {}", level - 1, i));
          }
          children.push_back(below_new[i - below_first_new]);
        }
      }
      if (children.size() != kTileWidth) {
        return Fail("db_error", fmt::format("tile level {} has {} of the 256 hashes under entry {}", level - 1,
                                            children.size(), j));
      }
      made.push_back(PerfectRoot(children));
      out.push_back({level, j, made.back()});
    }
    below_new = std::move(made);
    below_first_new = before;
  }
  return out;
}

void MemoryTree::Append(const Hash& leaf) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf);
  for (size_t level = 1; levels_[level - 1].size() % kTileWidth == 0; ++level) {
    if (levels_.size() <= level) levels_.emplace_back();
    const auto& below = levels_[level - 1];
    levels_[level].push_back(PerfectRoot(std::span(below).subspan(below.size() - kTileWidth)));
  }
}

Result<std::vector<Hash>> MemoryTree::ReadLevel(int level, uint64_t begin, uint64_t end) {
  if (level < 0 || static_cast<size_t>(level) >= levels_.size() || end > levels_[static_cast<size_t>(level)].size() ||
      begin > end) {
    return Fail("not_found", fmt::format("tile level {} has no hashes [{}, {})", level, begin, end));
  }
  const auto& v = levels_[static_cast<size_t>(level)];
  return std::vector<Hash>(v.begin() + static_cast<std::ptrdiff_t>(begin), v.begin() + static_cast<std::ptrdiff_t>(end));
}

}  // namespace vigil::evidence
