// The evidence log's Merkle tree (RFC 9162, section 2.1): tree hashes, inclusion and
// consistency proofs over a tree stored as tiles, and their verification.
//
// Storage is C2SP tlog-tiles' shape: "tile level" 0 holds the leaf hashes, and tile level L
// holds, for every complete run of 256^L leaves, the hash of that subtree. Any complete
// subtree of 2^k leaves (k = 8L + r) is then the root of 2^r consecutive hashes of tile level L,
// so a proof reads O(log n) short ranges (at most 256 hashes each) and hashes them.
//
// Thread-safety: the functions are pure over the TileReader they are given; a TileReader
// implementation states its own.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "evidence/hash.h"

namespace vigil::evidence {

inline constexpr int kTileHeight = 8;
inline constexpr uint64_t kTileWidth = 256;

// What a stored tree gives the functions below.
class TileReader {
 public:
  virtual ~TileReader() = default;
  // The hashes of tile level `level` with indices [begin, end): entry i is the hash of the
  // complete subtree of leaves [i * 256^level, (i + 1) * 256^level). Every requested entry
  // exists (the callers only ask for complete subtrees of a tree the reader holds); a
  // missing one is an error ("not_found"), a storage failure an "io_error"/"db_error".
  virtual Result<std::vector<Hash>> ReadLevel(int level, uint64_t begin, uint64_t end) = 0;
};

// The root of the tree of the first `size` leaves.
Result<Hash> TreeHash(TileReader& tiles, uint64_t size);

// The audit path of leaf `index` in the tree of `size` leaves (RFC 9162, 2.1.3.1).
// Errors: "invalid_argument" when index >= size.
Result<std::vector<Hash>> InclusionProof(TileReader& tiles, uint64_t index, uint64_t size);

// The consistency proof from the tree of `old_size` leaves to that of `new_size` (2.1.4.1).
// Errors: "invalid_argument" unless 0 < old_size <= new_size (an empty old tree needs none).
Result<std::vector<Hash>> ConsistencyProof(TileReader& tiles, uint64_t old_size, uint64_t new_size);

// RFC 9162, 2.1.3.2: whether `proof` shows the leaf with hash `leaf` at `index` in the tree
// of `size` leaves whose root is `root`.
bool VerifyInclusion(const Hash& leaf, uint64_t index, uint64_t size, std::span<const Hash> proof,
                     const Hash& root);

// RFC 9162, 2.1.4.2: whether `proof` shows the tree (old_size, old_root) is a prefix of
// (new_size, new_root). Sizes equal: the proof must be empty and the roots equal; old_size
// 0: the proof must be empty.
bool VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root, const Hash& new_root,
                       std::span<const Hash> proof);

// The root of a run of 2^r hashes (a perfect subtree), r <= 8.
Hash PerfectRoot(std::span<const Hash> hashes);

// What appending leaves to a tree of `size` leaves adds to the tile levels above 0: when a
// run of 256^L leaves completes, the level-L entry for it. `reader` must hold the tree of
// `size + added` leaves at level 0 and what this function returned before at the other
// levels (a writer stores the result before the next call).
struct TileEntry {
  int level;
  uint64_t index;
  Hash hash;
};
Result<std::vector<TileEntry>> CompletedTileEntries(TileReader& tiles, uint64_t size, uint64_t added);

// An in-memory tree: a TileReader over vectors, for tests, bundles and the verifier.
class MemoryTree : public TileReader {
 public:
  void Append(const Hash& leaf);
  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  Result<std::vector<Hash>> ReadLevel(int level, uint64_t begin, uint64_t end) override;

 private:
  std::vector<std::vector<Hash>> levels_;
};

}  // namespace vigil::evidence
