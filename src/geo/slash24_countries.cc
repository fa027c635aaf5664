#include "geo/slash24_countries.h"

#include <fmt/format.h>
#include <maxminddb.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "core/failure.h"

namespace vigil::geo {

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
  // The search tree is read straight from the mapped file (MaxMind DB spec, "Search Tree
  // Section"): a call per node through MMDB_read_node cost more than the rest of the load.
  const uint32_t node_count = mmdb->metadata.node_count;
  const unsigned record_size = mmdb->metadata.record_size;
  const size_t node_bytes = record_size / 4;
  if ((record_size != 24 && record_size != 28 && record_size != 32) ||
      mmdb->file_size < 0 ||
      uint64_t{node_count} * node_bytes > static_cast<uint64_t>(mmdb->file_size)) {
    return Fail(std::string(failure::kParseError),
                fmt::format("{}: unsupported record size {} or truncated search tree", path,
                            record_size));
  }
  const uint8_t* tree = mmdb->file_content;
  auto read = [&](uint32_t n, int side) -> uint32_t {
    const uint8_t* b = tree + size_t{n} * node_bytes;
    switch (record_size) {
      case 24:
        b += side * 3;
        return (uint32_t{b[0]} << 16) | (uint32_t{b[1]} << 8) | b[2];
      case 28:
        return side == 0 ? ((uint32_t{b[3]} & 0xf0) << 20) | (uint32_t{b[0]} << 16) |
                               (uint32_t{b[1]} << 8) | b[2]
                         : ((uint32_t{b[3]} & 0x0f) << 24) | (uint32_t{b[4]} << 16) |
                               (uint32_t{b[5]} << 8) | b[6];
      default:
        b += side * 4;
        return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
    }
  };
  auto corrupt = [&](uint64_t n) {
    return Fail(std::string(failure::kParseError),
                fmt::format("{}: search tree node {} is unreadable", path, n));
  };

  // In an IPv6 tree, IPv4 lives under ::/96: follow 96 left branches.
  uint32_t root = 0;
  if (mmdb->metadata.ip_version == 6) {
    for (int depth = 0; depth < 96 && root < node_count; ++depth) root = read(root, 0);
  }

  Slash24Countries out;
  Builder builder(out);
  // Data record -> country index (-1: none): open addressing, as a country database holds
  // a few hundred distinct records looked up hundreds of thousands of times.
  std::vector<std::pair<uint32_t, int>> known(1024, {0, 0});  // record 0 never is data
  size_t known_count = 0;
  auto find_known = [&known](uint32_t record) -> std::pair<uint32_t, int>& {
    const size_t mask = known.size() - 1;
    size_t i = (record * 0x9E3779B1u) & mask;
    while (known[i].first != 0 && known[i].first != record) i = (i + 1) & mask;
    return known[i];
  };
  uint32_t last_record = 0;
  int last_idx = -2;
  std::optional<Error> error;
  // A data record: its network [first, first + 2^(32 - length)) has one country.
  auto emit = [&](uint32_t record, uint64_t first, int length) {
    if (record != last_record || last_idx == -2) {
      auto& slot = find_known(record);
      if (slot.first == record) {
        last_idx = slot.second;
      } else {
        // Data records point past the tree and a 16-byte separator.
        MMDB_entry_s entry{mmdb.get(), record - node_count - 16};
        auto code = RecordCountry(entry, path);
        if (!code) {
          error = code.error();
          return false;
        }
        last_idx = code->empty() ? -1 : builder.CountryIndex(*code);
        slot = {record, last_idx};
        if (++known_count * 2 > known.size()) {
          std::vector<std::pair<uint32_t, int>> old(known.size() * 2, {0, 0});
          old.swap(known);
          for (const auto& kept : old) {
            if (kept.first != 0) find_known(kept.first) = kept;
          }
        }
      }
      last_record = record;
    }
    if (last_idx >= 0) {
      builder.Add(first, first + (uint64_t{1} << (32 - length)) - 1,
                  static_cast<uint16_t>(last_idx));
    }
    return true;
  };

  // Depth-first, left before right, so that networks come out in address order. At most
  // one pending right sibling per level: a fixed stack.
  struct Pending {
    uint32_t record;
    int length;
    uint64_t addr;
  };
  std::array<Pending, 40> stack{};
  size_t top = 0;
  stack[top++] = {root, 0, 0};
  while (top > 0) {
    const Pending item = stack[--top];
    if (item.record == node_count) continue;  // empty
    if (item.record > node_count) {
      if (uint64_t{item.record} - node_count - 16 >= mmdb->data_section_size) return corrupt(item.record);
      if (!emit(item.record, item.addr, item.length)) return tl::unexpected(*error);
      continue;
    }
    if (item.length >= 32) return corrupt(item.record);
    const int length = item.length + 1;
    stack[top++] = {read(item.record, 1), length, item.addr | (uint64_t{1} << (32 - length))};
    stack[top++] = {read(item.record, 0), length, item.addr};
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

}  // namespace vigil::geo
