#include "analysis/literal_set.h"

namespace vigil::analysis {

LiteralSet::LiteralSet(std::vector<std::string> patterns)
    : patterns_(std::move(patterns)),
      first4_((size_t{1} << kBits4) / 64, 0),
      bitmap8_((size_t{1} << kBits) / 64, 0) {
  for (uint32_t id = 0; id < patterns_.size(); ++id) {
    const std::string& p = patterns_[id];
    if (p.empty()) continue;
    if (p.size() < 4) {
      short_patterns_.push_back(id);
      continue;
    }
    uint32_t word4;
    std::memcpy(&word4, p.data(), 4);
    uint32_t h4 = Hash4(word4);
    first4_[h4 >> 6] |= uint64_t{1} << (h4 & 63);
    if (p.size() < 8) {
      short_prefix_[word4].push_back(id);
    } else {
      uint64_t word;
      std::memcpy(&word, p.data(), 8);
      uint32_t h = Hash(word);
      bitmap8_[h >> 6] |= uint64_t{1} << (h & 63);
      long_prefix_[word].push_back(id);
    }
  }
}

}  // namespace vigil::analysis
