#include "geo/asn_table.h"

#include <algorithm>
#include <charconv>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "core/csv.h"
#include "core/failure.h"
#include "core/line_reader.h"

namespace vigil::geo {
namespace {

using detail::Uint128;

Uint128 Key6(const IpAddress& ip) { return (Uint128{ip.Hi()} << 64) | Uint128{ip.Lo()}; }

std::optional<uint32_t> ParseAsn(std::string_view text) {
  // Some sources write "AS15169"; accept both spellings.
  if (text.size() > 2 && (text[0] == 'A' || text[0] == 'a') && (text[1] == 'S' || text[1] == 's')) {
    text.remove_prefix(2);
  }
  uint32_t asn = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, asn);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return asn;
}

}  // namespace

// Collects rows, then turns them into the sorted, non-overlapping table.
class AsnTable::Builder {
 public:
  Builder() : table_(new AsnTable()) {}

  void AddLine(std::string_view source, size_t line_number, std::string_view line) {
    if (line_number == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    if (line.empty()) return;
    auto fields = splitter_.Split(line);
    if (!fields) return Skip(source, line_number, fields.error().message);
    if (fields->size() != 4) {
      return Skip(source, line_number, fmt::format("expected 4 fields, found {}", fields->size()));
    }
    const std::string_view first = (*fields)[0], last = (*fields)[1];
    const std::optional<IpAddress> start = ParseIp(first);
    const std::optional<uint32_t> asn = ParseAsn((*fields)[2]);
    if (!start && !asn && line_number == 1) return;  // a header row
    if (!start) return Skip(source, line_number, fmt::format("bad first address '{}'", first));
    const std::optional<IpAddress> end = ParseIp(last);
    if (!end) return Skip(source, line_number, fmt::format("bad last address '{}'", last));
    if (start->IsV4() != end->IsV4()) {
      return Skip(source, line_number, "first and last address are of different families");
    }
    if (*end < *start) return Skip(source, line_number, "last address is before first");
    if (!asn) return Skip(source, line_number, fmt::format("bad AS number '{}'", (*fields)[2]));

    const uint32_t name = InternName((*fields)[3]);
    if (start->IsV4()) {
      v4_.push_back({start->V4(), end->V4(), *asn, name});
    } else {
      v6_.push_back({Key6(*start), Key6(*end), *asn, name});
    }
    ++table_->stats_.rows;
  }

  Result<std::unique_ptr<AsnTable>> Finish(std::string_view what) && {
    if (table_->stats_.rows == 0) {
      std::string message = fmt::format("no valid ASN rows in {}", what);
      if (!table_->stats_.problems.empty()) message += " (" + table_->stats_.problems[0] + ")";
      return Fail(std::string(failure::kParseError), std::move(message));
    }
    table_->v4_ = Flatten(std::move(v4_));
    table_->v6_ = Flatten(std::move(v6_));
    return std::move(table_);
  }

 private:
  void Skip(std::string_view source, size_t line_number, std::string_view reason) {
    LoadStats& stats = table_->stats_;
    ++stats.skipped_rows;
    if (stats.problems.size() < kMaxProblems) {
      stats.problems.push_back(fmt::format("{}:{}: {}", source, line_number, reason));
    }
  }

  uint32_t InternName(std::string_view name) {
    auto it = name_index_.find(name);
    if (it != name_index_.end()) return it->second;
    const auto index = static_cast<uint32_t>(table_->names_.size());
    table_->names_.emplace_back(name);
    name_index_.emplace(table_->names_.back(), index);
    return index;
  }

  // Sorts the ranges and resolves overlaps as the header describes. A stack holds the
  // ranges that enclose the current position, innermost on top.
  template <typename Key>
  std::vector<Range<Key>> Flatten(std::vector<Range<Key>> in) {
    std::stable_sort(in.begin(), in.end(), [](const Range<Key>& a, const Range<Key>& b) {
      return a.start != b.start ? a.start < b.start : a.end > b.end;
    });
    std::vector<Range<Key>> out;
    out.reserve(in.size());
    std::vector<const Range<Key>*> stack;
    Key pos = 0;        // first address not yet written out
    bool done = false;  // everything up to the largest address has been written
    auto emit_until = [&](const Range<Key>& owner, Key end) {
      if (done || end < pos) return;
      if (!out.empty() && out.back().end + 1 == pos && out.back().asn == owner.asn &&
          out.back().name == owner.name) {
        out.back().end = end;
      } else {
        out.push_back({pos, end, owner.asn, owner.name});
      }
      if (end == static_cast<Key>(~Key{0})) {  // numeric_limits lacks __int128 in strict mode
        done = true;
      } else {
        pos = end + 1;
      }
    };
    Key max_end = 0;
    bool any = false;
    for (const Range<Key>& r : in) {
      if (any && r.start <= max_end) ++table_->stats_.overlaps;
      max_end = any ? std::max(max_end, r.end) : r.end;
      any = true;
      while (!stack.empty() && stack.back()->end < r.start) {
        emit_until(*stack.back(), stack.back()->end);
        stack.pop_back();
      }
      if (!stack.empty() && r.start > 0) emit_until(*stack.back(), r.start - 1);
      pos = r.start;
      done = false;
      stack.push_back(&r);
    }
    while (!stack.empty()) {
      emit_until(*stack.back(), stack.back()->end);
      stack.pop_back();
    }
    out.shrink_to_fit();
    return out;
  }

  std::unique_ptr<AsnTable> table_;
  CsvSplitter splitter_;
  std::unordered_map<std::string_view, uint32_t> name_index_;  // views into table_->names_
  std::vector<Range4> v4_;
  std::vector<Range6> v6_;
};

Result<std::unique_ptr<AsnTable>> AsnTable::Load(std::span<const std::string> csv_paths) {
  if (csv_paths.empty()) {
    return Fail(std::string(failure::kInvalidArgument), "no ASN CSV files given");
  }
  Builder builder;
  for (const std::string& path : csv_paths) {
    auto reader = LineReader::Open(path);
    if (!reader) return tl::unexpected(reader.error());
    for (;;) {
      auto line = (*reader)->Next();
      if (!line) {
        return Fail(line.error().failure,
                    fmt::format("{}:{}: {}", path, (*reader)->line_number() + 1,
                                line.error().message));
      }
      if (!*line) break;
      builder.AddLine(path, (*reader)->line_number(), **line);
    }
  }
  return std::move(builder).Finish(fmt::format("{}", fmt::join(csv_paths, ", ")));
}

Result<std::unique_ptr<AsnTable>> AsnTable::Parse(std::string_view csv_text,
                                                  std::string_view source) {
  Builder builder;
  size_t line_number = 0;
  while (!csv_text.empty()) {
    const size_t newline = csv_text.find('\n');
    std::string_view line = csv_text.substr(0, newline);
    csv_text.remove_prefix(newline == std::string_view::npos ? csv_text.size() : newline + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    builder.AddLine(source, ++line_number, line);
  }
  return std::move(builder).Finish(source);
}

template <typename Key>
std::optional<AsnInfo> AsnTable::Find(const std::vector<Range<Key>>& ranges, Key key) const {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), key,
                             [](Key k, const Range<Key>& r) { return k < r.start; });
  if (it == ranges.begin()) return std::nullopt;
  --it;
  if (key > it->end) return std::nullopt;
  return AsnInfo{it->asn, names_[it->name]};
}

std::optional<AsnInfo> AsnTable::Lookup(const IpAddress& ip) const {
  return ip.IsV4() ? Find(v4_, ip.V4()) : Find(v6_, Key6(ip));
}

std::optional<AsnInfo> AsnTable::Lookup(std::string_view ip) const {
  const std::optional<IpAddress> parsed = ParseIp(ip);
  if (!parsed) return std::nullopt;
  return Lookup(*parsed);
}

}  // namespace vigil::geo
