#include "analysis/literal_set.h"

#include <algorithm>
#include <cstdint>

#ifdef VIGIL_HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

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
#ifdef VIGIL_HAVE_HYPERSCAN
  ready_ = std::async(std::launch::async, [this] { CompileHyperscan(); });
#endif
}

void LiteralSet::CompileHyperscan() {
#ifdef VIGIL_HAVE_HYPERSCAN
  // Every non-empty pattern, as a literal reported once per scan. patterns_ is not
  // changed after construction, so reading it here races with nothing.
  std::vector<const char*> exprs;
  std::vector<size_t> lens;
  std::vector<unsigned> flags, ids;
  for (uint32_t id = 0; id < patterns_.size(); ++id) {
    if (patterns_[id].empty()) continue;
    exprs.push_back(patterns_[id].data());
    lens.push_back(patterns_[id].size());
    flags.push_back(HS_FLAG_SINGLEMATCH);
    ids.push_back(id);
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (!exprs.empty() &&
      hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(), static_cast<unsigned>(exprs.size()),
                           HS_MODE_BLOCK, nullptr, &db, &err) == HS_SUCCESS) {
    hs_db_.store(db, std::memory_order_release);
  } else if (err != nullptr) {
    hs_free_compile_error(err);  // the portable engine keeps going
  }
#endif
}

LiteralSet::~LiteralSet() {
  if (ready_.valid()) ready_.wait();
#ifdef VIGIL_HAVE_HYPERSCAN
  if (void* db = hs_db_.load(std::memory_order_acquire)) hs_free_database(static_cast<hs_database_t*>(db));
#endif
}

bool LiteralSet::ScanHyperscan(void* hs_db, std::string_view text, std::vector<uint8_t>& seen,
                               std::vector<uint32_t>& found) const {
#ifdef VIGIL_HAVE_HYPERSCAN
  // One scratch per thread, grown to fit every database this thread has scanned with.
  struct Scratch {
    hs_scratch_t* s = nullptr;
    std::vector<const void*> fitted;
    ~Scratch() {
      if (s != nullptr) hs_free_scratch(s);
    }
  };
  thread_local Scratch scratch;
  auto* db = static_cast<hs_database_t*>(hs_db);
  if (std::find(scratch.fitted.begin(), scratch.fitted.end(), hs_db) == scratch.fitted.end()) {
    if (hs_alloc_scratch(db, &scratch.s) != HS_SUCCESS) return false;
    scratch.fitted.push_back(hs_db);
  }
  seen.assign(patterns_.size(), 0);
  struct Context {
    std::vector<uint8_t>* seen;
    std::vector<uint32_t>* found;
  } ctx{&seen, &found};
  auto on_match = [](unsigned id, unsigned long long, unsigned long long, unsigned, void* c) -> int {
    auto* cx = static_cast<Context*>(c);
    if (!(*cx->seen)[id]) {
      (*cx->seen)[id] = 1;
      cx->found->push_back(id);
    }
    return 0;
  };
  // Bodies are capped far below 4 GiB; hs_scan takes an unsigned length.
  const auto len = static_cast<unsigned>(std::min<size_t>(text.size(), 0xffffffffu));
  return hs_scan(db, text.data(), len, 0, scratch.s, on_match, &ctx) == HS_SUCCESS;
#else
  (void)hs_db;
  (void)text;
  (void)seen;
  (void)found;
  return false;
#endif
}

}  // namespace vigil::analysis
