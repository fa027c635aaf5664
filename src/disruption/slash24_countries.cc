#include "disruption/slash24_countries.h"

#include <fmt/format.h>
#include <maxminddb.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "core/failure.h"

namespace vigil::disruption {

// Turns address-ordered ranges into /24 runs: whole /24s extend runs directly, split /24s
// are tallied until the input moves past them.
class Slash24Countries::Builder {
 public:
  explicit Builder(Slash24Countries& out) : out_(out) {}

  uint16_t CountryIndex(std::string_view code) {
    auto it = index_.find(std::string(code));
    if (it != index_.end()) return it->second;
    auto idx = static_cast<uint16_t>(out_.codes_.size());
    out_.codes_.emplace_back(code);
    index_.emplace(code, idx);
    return idx;
  }

  // [first, last] inclusive, at or after every earlier range.
  void Add(uint64_t first, uint64_t last, uint16_t country) {
    while (first <= last) {
      uint64_t slash24 = first >> 8;
      uint64_t block_end = (slash24 << 8) + 255;
      if ((first & 0xff) == 0 && last >= block_end) {
        // Whole /24s from here.
        uint64_t whole_end = (last + 1) >> 8;  // exclusive /24 index
        FinishPartial();
        AppendRun(static_cast<uint32_t>(slash24), static_cast<uint32_t>(whole_end), country);
        first = whole_end << 8;
        continue;
      }
      uint64_t stop = std::min(last, block_end);
      Tally(static_cast<uint32_t>(slash24), country, static_cast<uint32_t>(stop - first + 1));
      first = stop + 1;
    }
  }

  void Finish() { FinishPartial(); }

 private:
  void Tally(uint32_t slash24, uint16_t country, uint32_t addresses) {
    if (!tally_.empty() && partial_ != slash24) FinishPartial();
    partial_ = slash24;
    for (auto& [c, n] : tally_) {
      if (c == country) {
        n += addresses;
        return;
      }
    }
    tally_.emplace_back(country, addresses);
  }

  void FinishPartial() {
    if (tally_.empty()) return;
    auto best = tally_.begin();
    for (auto it = tally_.begin(); it != tally_.end(); ++it) {
      if (it->second > best->second) best = it;
    }
    AppendRun(partial_, partial_ + 1, best->first);
    tally_.clear();
  }

  void AppendRun(uint32_t first, uint32_t end, uint16_t country) {
    auto& runs = out_.runs_;
    if (!runs.empty() && runs.back().end == first && runs.back().country == country) {
      runs.back().end = end;
    } else {
      runs.push_back({first, end, country});
    }
  }

  Slash24Countries& out_;
  std::unordered_map<std::string, uint16_t> index_;
  uint32_t partial_ = 0;
  std::vector<std::pair<uint16_t, uint32_t>> tally_;
};

namespace {

struct MmdbCloser {
  void operator()(MMDB_s* mmdb) const {
    MMDB_close(mmdb);
    delete mmdb;
  }
};

// The two-letter code of a data record; "" when it has none.
Result<std::string> RecordCountry(MMDB_entry_s entry, const std::string& path) {
  MMDB_entry_data_s data{};
  int status = MMDB_get_value(&entry, &data, "country_code", nullptr);
  if (status != MMDB_SUCCESS || !data.has_data) {
    data = {};
    status = MMDB_get_value(&entry, &data, "country", "iso_code", nullptr);
  }
  if (status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ||
      status == MMDB_INVALID_LOOKUP_PATH_ERROR) {
    return std::string();
  }
  if (status != MMDB_SUCCESS) {
    return Fail(std::string(failure::kParseError),
                fmt::format("{}: unreadable record at offset {}: {}", path, entry.offset,
                            MMDB_strerror(status)));
  }
  if (!data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING || data.data_size != 2) {
    return std::string();
  }
  std::string code(data.utf8_string, 2);
  for (char& c : code) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return code;
}

}  // namespace

Result<Slash24Countries> Slash24Countries::LoadMmdb(const std::string& path) {
  auto mmdb = std::unique_ptr<MMDB_s, MmdbCloser>(new MMDB_s{});
  int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, mmdb.get());
  if (status != MMDB_SUCCESS) {
    int saved_errno = errno;
    delete mmdb.release();  // MMDB_open cleaned up after itself
    if (status == MMDB_FILE_OPEN_ERROR && saved_errno == ENOENT) {
      return Fail(std::string(failure::kNotFound),
                  fmt::format("country database {} not found (run scripts/setup)", path));
    }
    return Fail(std::string(status == MMDB_IO_ERROR || status == MMDB_FILE_OPEN_ERROR
                                ? failure::kIoError
                                : failure::kParseError),
                fmt::format("cannot open country database {}: {}", path, MMDB_strerror(status)));
  }
  const uint32_t node_count = mmdb->metadata.node_count;
  auto corrupt = [&](uint64_t node) {
    return Fail(std::string(failure::kParseError),
                fmt::format("{}: search tree node {} is unreadable", path, node));
  };

  // In an IPv6 tree, IPv4 lives under ::/96: follow 96 left branches.
  MMDB_search_node_s node{};
  uint64_t start = 0;
  int start_type = MMDB_RECORD_TYPE_SEARCH_NODE;
  MMDB_entry_s start_entry{};
  if (mmdb->metadata.ip_version == 6) {
    for (int depth = 0; depth < 96; ++depth) {
      if (MMDB_read_node(mmdb.get(), static_cast<uint32_t>(start), &node) != MMDB_SUCCESS) {
        return corrupt(start);
      }
      start = node.left_record;
      start_type = node.left_record_type;
      start_entry = node.left_record_entry;
      if (start_type != MMDB_RECORD_TYPE_SEARCH_NODE) break;
    }
  }

  Slash24Countries out;
  Builder builder(out);
  std::unordered_map<uint32_t, int> country_of_offset;  // data offset -> index, -1 none
  uint32_t last_offset = 0;
  int last_idx = -2;
  std::optional<Error> error;
  auto emit = [&](uint64_t first, int prefix_len, const MMDB_entry_s& entry) {
    if (entry.offset != last_offset || last_idx == -2) {
      auto it = country_of_offset.find(entry.offset);
      if (it != country_of_offset.end()) {
        last_idx = it->second;
      } else {
        auto code = RecordCountry(entry, path);
        if (!code) {
          error = code.error();
          return false;
        }
        last_idx = code->empty() ? -1 : builder.CountryIndex(*code);
        country_of_offset.emplace(entry.offset, last_idx);
      }
      last_offset = entry.offset;
    }
    if (last_idx >= 0) {
      builder.Add(first, first + (uint64_t{1} << (32 - prefix_len)) - 1,
                  static_cast<uint16_t>(last_idx));
    }
    return true;
  };

  // Depth-first over the records below the IPv4 root, left before right, so that
  // networks come out in address order.
  struct Pending {
    uint8_t type;
    uint64_t record;
    MMDB_entry_s entry;
    uint64_t addr;
    int length;
  };
  std::vector<Pending> stack{{static_cast<uint8_t>(start_type), start, start_entry, 0, 0}};
  while (!stack.empty()) {
    const Pending item = stack.back();
    stack.pop_back();
    if (item.type == MMDB_RECORD_TYPE_DATA) {
      if (!emit(item.addr, item.length, item.entry)) return tl::unexpected(*error);
      continue;
    }
    if (item.type == MMDB_RECORD_TYPE_INVALID) return corrupt(item.record);
    if (item.type != MMDB_RECORD_TYPE_SEARCH_NODE) continue;  // empty
    if (item.length >= 32 || item.record >= node_count ||
        MMDB_read_node(mmdb.get(), static_cast<uint32_t>(item.record), &node) != MMDB_SUCCESS) {
      return corrupt(item.record);
    }
    const int length = item.length + 1;
    stack.push_back({node.right_record_type, node.right_record, node.right_record_entry,
                     item.addr | (uint64_t{1} << (32 - length)), length});
    stack.push_back({node.left_record_type, node.left_record, node.left_record_entry, item.addr,
                     length});
  }
  builder.Finish();
  return out;
}

Slash24Countries Slash24Countries::FromRanges(std::span<const Range> ranges) {
  Slash24Countries out;
  Builder builder(out);
  for (const Range& r : ranges) {
    builder.Add(r.first_ip, r.last_ip, builder.CountryIndex(r.country));
  }
  builder.Finish();
  return out;
}

std::string_view Slash24Countries::CountryOf(uint32_t ip) const {
  uint32_t slash24 = ip >> 8;
  auto it = std::upper_bound(runs_.begin(), runs_.end(), slash24,
                             [](uint32_t v, const Run& r) { return v < r.first; });
  if (it == runs_.begin()) return {};
  --it;
  return slash24 < it->end ? std::string_view(codes_[it->country]) : std::string_view();
}

}  // namespace vigil::disruption
