#include "analysis/literal_set.h"

#include <algorithm>
#include <cstdint>

namespace vigil::analysis {

LiteralSet::LiteralSet(std::vector<std::string> patterns)
    : patterns_(std::move(patterns)),
      anchor_(patterns_.size(), 0),
      first4_((size_t{1} << kBits4) / 64, 0),
      bitmap8_((size_t{1} << kBits) / 64, 0) {
  auto window = [](const std::string& p, size_t k) {
    uint64_t w;
    std::memcpy(&w, p.data() + k, 8);
    return w;
  };
  auto add_first4 = [&](const char* bytes) {
    uint32_t word4;
    std::memcpy(&word4, bytes, 4);
    uint32_t h4 = Hash4(word4);
    first4_[h4 >> 6] |= uint64_t{1} << (h4 & 63);
    return word4;
  };
  // Long patterns, shortest first, each anchored at the window (among its first 32
  // offsets) that the fewest already-placed patterns use.
  std::vector<uint32_t> long_ids;
  for (uint32_t id = 0; id < patterns_.size(); ++id) {
    const std::string& p = patterns_[id];
    if (p.empty()) continue;
    if (p.size() < 4) {
      short_patterns_.push_back(id);
    } else if (p.size() < 8) {
      short_prefix_[add_first4(p.data())].push_back(id);
    } else {
      long_ids.push_back(id);
    }
  }
  std::stable_sort(long_ids.begin(), long_ids.end(),
                   [&](uint32_t a, uint32_t b) { return patterns_[a].size() < patterns_[b].size(); });
  for (uint32_t id : long_ids) {
    const std::string& p = patterns_[id];
    size_t best_k = 0, best_count = SIZE_MAX;
    for (size_t k = 0; k + 8 <= p.size() && k <= 32; ++k) {
      auto it = long_prefix_.find(window(p, k));
      size_t count = it == long_prefix_.end() ? 0 : it->second.size();
      if (count < best_count) {
        best_count = count;
        best_k = k;
        if (count == 0) break;
      }
    }
    anchor_[id] = static_cast<uint32_t>(best_k);
    add_first4(p.data() + best_k);
    uint64_t w = window(p, best_k);
    uint32_t h = Hash(w);
    bitmap8_[h >> 6] |= uint64_t{1} << (h & 63);
    long_prefix_[w].push_back(id);
  }
}

}  // namespace vigil::analysis
