// LiteralSet: finds which of many literal byte patterns occur in a text, in one pass.
//
// Used to test every blockpage body pattern (OONI's table has ~1,400) against each
// response body. A filter over the first bytes of every pattern decides, at each
// position of the text, whether any pattern can start there: first the four bytes at
// the position are hashed into a 2^18-bit bitmap of the patterns' first four bytes
// (32 KiB, resident in L1); on a hit, the eight bytes at the position go through a
// 2^20-bit bitmap of the longer patterns' first eight bytes, and only then is the exact
// window looked up and the candidates compared. A pattern of 8+ bytes is found through
// an *anchor*: the 8-byte window inside it (not necessarily its start) shared by the
// fewest other patterns, so that common openings ("https://", "<a href=", "<title>")
// do not send every link of a page to dozens of comparisons. The scan costs a
// load, a multiply and a bit test per byte, whatever the number of patterns. Patterns shorter than four bytes are
// searched with plain scans (OONI's tables have none in bodies today).
//
// With Hyperscan (Debian's libhyperscan-dev, amd64; VIGIL_HAVE_HYPERSCAN), the same
// patterns are also compiled into one Hyperscan literal database, whose SIMD scan is
// several times faster per byte; it reports the same set of patterns (a test checks both
// engines agree). Compiling ~1,400 patterns takes tens of milliseconds, so it runs on its
// own thread from construction: scans use the portable filter until it is ready. Without
// Hyperscan, or if compiling fails, the portable filter is used throughout.
//
// Thread-safety: build once; FindAll() is const and safe from many threads (callers
// pass their own scratch vector; Hyperscan's scratch space is per thread).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <future>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vigil::analysis {

class LiteralSet {
 public:
  // Empty patterns are ignored. Pattern ids are indices into `patterns`.
  explicit LiteralSet(std::vector<std::string> patterns);
  ~LiteralSet();
  LiteralSet(const LiteralSet&) = delete;
  LiteralSet& operator=(const LiteralSet&) = delete;

  // Calls on_match(pattern_id) once for each distinct pattern found in text, in
  // ascending id order (so which pattern comes first never depends on the engine).
  // `seen` is scratch space the caller keeps between calls to avoid allocations.
  template <typename F>
  void FindAll(std::string_view text, std::vector<uint8_t>& seen, F on_match) const {
    thread_local std::vector<uint32_t> found;
    found.clear();
    void* db = hs_db_.load(std::memory_order_acquire);
    if (db == nullptr || !ScanHyperscan(db, text, seen, found)) {
      found.clear();
      FindAllPortable(text, seen, [&](uint32_t id) { found.push_back(id); });
    }
    std::sort(found.begin(), found.end());
    for (uint32_t id : found) on_match(id);
  }
  // The portable engine alone, in the order patterns are found (tests compare engines).
  template <typename F>
  void FindAllPortable(std::string_view text, std::vector<uint8_t>& seen, F on_match) const {
    seen.assign(patterns_.size(), 0);
    auto report = [&](uint32_t id) {
      if (!seen[id]) {
        seen[id] = 1;
        on_match(id);
      }
    };
    for (uint32_t id : short_patterns_) {
      if (text.find(patterns_[id]) != std::string_view::npos) report(id);
    }
    const char* p = text.data();
    const size_t n = text.size();
    for (size_t i = 0; i + 4 <= n; ++i) {
      // Stage 1: can any pattern start with these four bytes? (32 KiB bitmap, in L1.)
      uint32_t word4;
      std::memcpy(&word4, p + i, 4);
      uint32_t h1 = Hash4(word4);
      if ((first4_[h1 >> 6] >> (h1 & 63) & 1) == 0) continue;
      // Stage 2: the exact prefix: 4 bytes for short patterns, 8 for the others.
      if (!short_prefix_.empty()) {
        if (auto it = short_prefix_.find(word4); it != short_prefix_.end()) Verify(it->second, text, i, report);
      }
      if (i + 8 > n) continue;
      uint64_t word8;
      std::memcpy(&word8, p + i, 8);
      uint32_t h = Hash(word8);
      if ((bitmap8_[h >> 6] >> (h & 63) & 1) == 0) continue;
      if (auto it = long_prefix_.find(word8); it != long_prefix_.end()) Verify(it->second, text, i, report);
    }
  }

  size_t size() const { return patterns_.size(); }
  // Waits until the Hyperscan database is compiled (or failed), then says whether scans
  // use it.
  bool WaitForAccelerator() const {
    if (ready_.valid()) ready_.wait();
    return hs_db_.load(std::memory_order_acquire) != nullptr;
  }

 private:
  static constexpr int kBits = 20;   // second-stage bitmap: 128 KiB
  static constexpr int kBits4 = 18;  // first-stage bitmap: 32 KiB, fits L1
  static uint32_t Hash4(uint32_t word) { return (word * 0x9E3779B1u) >> (32 - kBits4); }
  static uint32_t Hash(uint64_t word) {
    return static_cast<uint32_t>((word * 0x9E3779B97F4A7C15ull) >> (64 - kBits));
  }
  // Checks the patterns whose anchor window was seen at text position i.
  template <typename R>
  void Verify(const std::vector<uint32_t>& ids, std::string_view text, size_t i, R& report) const {
    for (uint32_t id : ids) {
      const std::string& pat = patterns_[id];
      size_t k = anchor_[id];
      if (i < k) continue;
      size_t start = i - k;
      if (pat.size() <= text.size() - start && std::memcmp(text.data() + start, pat.data(), pat.size()) == 0)
        report(id);
    }
  }

  std::vector<std::string> patterns_;
  std::vector<uint32_t> anchor_;   // offset of each pattern's anchor window
  std::vector<uint64_t> first4_;   // hashed first four bytes of every pattern
  std::vector<uint64_t> bitmap8_;  // hashed first eight bytes of the patterns of 8+ bytes
  std::unordered_map<uint32_t, std::vector<uint32_t>> short_prefix_;  // 4-7 bytes
  std::unordered_map<uint64_t, std::vector<uint32_t>> long_prefix_;   // 8+ bytes
  std::vector<uint32_t> short_patterns_;                              // 1-3 bytes

  // Hyperscan: the compiled database (hs_database_t), or null. ScanHyperscan appends the
  // ids found to `found`; false when Hyperscan failed (the portable engine then scans).
  bool ScanHyperscan(void* db, std::string_view text, std::vector<uint8_t>& seen,
                     std::vector<uint32_t>& found) const;
  void CompileHyperscan();
  std::atomic<void*> hs_db_{nullptr};
  std::future<void> ready_;  // the compile thread (its destructor waits for it)
};

}  // namespace vigil::analysis
