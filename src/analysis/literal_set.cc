#include "analysis/literal_set.h"

namespace vigil::analysis {

LiteralSet::LiteralSet(std::vector<std::string> patterns)
    : patterns_(std::move(patterns)),
      first_pair_((size_t{1} << 16) / 64, 0),
      bitmap4_((size_t{1} << kBits) / 64, 0),
      bitmap8_((size_t{1} << kBits) / 64, 0) {
  for (uint32_t id = 0; id < patterns_.size(); ++id) {
    const std::string& p = patterns_[id];
    if (p.empty()) continue;
    if (p.size() < 4) {
      short_patterns_.push_back(id);
      continue;
    }
    uint16_t pair;
    std::memcpy(&pair, p.data(), 2);
    first_pair_[pair >> 6] |= uint64_t{1} << (pair & 63);
    if (p.size() < 8) {
      uint32_t word;
      std::memcpy(&word, p.data(), 4);
      uint32_t h = Hash(word);
      bitmap4_[h >> 6] |= uint64_t{1} << (h & 63);
      short_prefix_[word].push_back(id);
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
