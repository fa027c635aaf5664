// AhoCorasick: finds which of many literal byte patterns occur in a text, in one pass.
//
// Used to test every blockpage body pattern against a response body in time linear in
// the body's length, whatever the number of patterns (OONI's table has ~1,400). The
// automaton uses a dense transition table over byte equivalence classes (bytes that
// occur in no pattern share one class), so each input byte costs one table lookup.
//
// Thread-safety: build once, then FindAll() is const and safe from many threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::analysis {

class AhoCorasick {
 public:
  // Patterns are literal bytes; empty patterns are ignored. Pattern ids are indices.
  explicit AhoCorasick(const std::vector<std::string>& patterns);

  // Calls on_match(pattern_id) once for each distinct pattern found in text.
  // `seen` is scratch space the caller keeps between calls to avoid allocations.
  template <typename F>
  void FindAll(std::string_view text, std::vector<uint8_t>& seen, F on_match) const {
    seen.assign(num_patterns_, 0);
    uint32_t state = 0;
    for (char ch : text) {
      state = next_[size_t{state} * num_classes_ + byte_class_[static_cast<unsigned char>(ch)]];
      if (output_head_[state] != kNone) {
        for (uint32_t o = output_head_[state]; o != kNone; o = output_next_[o]) {
          uint32_t id = output_pattern_[o];
          if (!seen[id]) {
            seen[id] = 1;
            on_match(id);
          }
        }
      }
    }
  }

  size_t num_patterns() const { return num_patterns_; }
  size_t num_states() const { return output_head_.size(); }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;

  size_t num_patterns_ = 0;
  size_t num_classes_ = 1;
  uint16_t byte_class_[256] = {};
  std::vector<uint32_t> next_;  // state * num_classes_ + class -> state
  // Per state, a linked list (through output_next_) of pattern ids ending there,
  // including those inherited through failure links.
  std::vector<uint32_t> output_head_;
  std::vector<uint32_t> output_next_;
  std::vector<uint32_t> output_pattern_;
};

}  // namespace vigil::analysis
