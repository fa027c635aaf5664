#include "analysis/aho_corasick.h"

#include <deque>

namespace vigil::analysis {

AhoCorasick::AhoCorasick(const std::vector<std::string>& patterns)
    : num_patterns_(patterns.size()) {
  // Byte classes: each byte used by some pattern gets its own class; the rest share 0.
  bool used[256] = {};
  for (const auto& p : patterns)
    for (char ch : p) used[static_cast<unsigned char>(ch)] = true;
  size_t classes = 1;
  for (size_t b = 0; b < 256; ++b) {
    if (used[b]) byte_class_[b] = static_cast<uint16_t>(classes++);
  }
  num_classes_ = classes;

  // Trie, with kNone for missing edges.
  std::vector<uint32_t> trie(num_classes_, kNone);
  std::vector<std::vector<uint32_t>> ends(1);
  auto new_state = [&] {
    trie.resize(trie.size() + num_classes_, kNone);
    ends.emplace_back();
    return static_cast<uint32_t>(ends.size() - 1);
  };
  for (size_t id = 0; id < patterns.size(); ++id) {
    if (patterns[id].empty()) continue;
    uint32_t s = 0;
    for (char ch : patterns[id]) {
      size_t slot = size_t{s} * num_classes_ + byte_class_[static_cast<unsigned char>(ch)];
      if (trie[slot] == kNone) {
        uint32_t t = new_state();
        trie[slot] = t;
      }
      s = trie[slot];
    }
    ends[s].push_back(static_cast<uint32_t>(id));
  }

  // Breadth-first: failure links turn the trie into a full transition table, and each
  // state's outputs are its own plus those of its failure state.
  size_t n = ends.size();
  std::vector<uint32_t> fail(n, 0);
  output_head_.assign(n, kNone);
  next_ = trie;
  auto add_outputs = [&](uint32_t state, uint32_t from_list) {
    // Appends the list starting at from_list to state's list (lists are immutable
    // once built, so sharing the tail is safe).
    if (from_list == kNone) return;
    if (output_head_[state] == kNone) {
      output_head_[state] = from_list;
      return;
    }
    uint32_t o = output_head_[state];
    while (output_next_[o] != kNone) o = output_next_[o];
    output_next_[o] = from_list;
  };
  std::deque<uint32_t> queue;
  for (size_t c = 0; c < num_classes_; ++c) {
    uint32_t t = next_[c];
    if (t == kNone) {
      next_[c] = 0;
    } else {
      fail[t] = 0;
      queue.push_back(t);
    }
  }
  while (!queue.empty()) {
    uint32_t s = queue.front();
    queue.pop_front();
    // Own outputs first, then the failure state's (already complete: it is shallower).
    uint32_t own = kNone;
    for (auto it = ends[s].rbegin(); it != ends[s].rend(); ++it) {
      output_pattern_.push_back(*it);
      output_next_.push_back(own);
      own = static_cast<uint32_t>(output_pattern_.size() - 1);
    }
    output_head_[s] = own;
    add_outputs(s, output_head_[fail[s]]);
    for (size_t c = 0; c < num_classes_; ++c) {
      size_t slot = size_t{s} * num_classes_ + c;
      uint32_t t = next_[slot];
      uint32_t via_fail = next_[size_t{fail[s]} * num_classes_ + c];
      if (t == kNone) {
        next_[slot] = via_fail;
      } else {
        fail[t] = via_fail;
        queue.push_back(t);
      }
    }
  }
}

}  // namespace vigil::analysis
