#include "prober/block_list.h"

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "core/csv.h"
#include "core/failure.h"
#include "core/line_reader.h"
#include "geo/ip_address.h"

namespace vigil::prober {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Result<Entity> ParseEntity(std::string_view type, std::string_view code) {
  type = Trim(type);
  code = Trim(code);
  if (type.empty() || code.empty()) {
    return Fail(std::string(failure::kParseError), "an entity needs a type and a code");
  }
  if (type != "asn" && type != "country" && type != "region") {
    return Fail(std::string(failure::kParseError),
                "entity types are asn, country and region, got '" + std::string(type) + "'");
  }
  Entity e{std::string(type), std::string(code)};
  if (e.type == "asn") {
    std::string_view digits = code;
    if (digits.size() > 2 && (digits.substr(0, 2) == "AS" || digits.substr(0, 2) == "as")) {
      digits.remove_prefix(2);
    }
    uint32_t asn = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), asn);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      return Fail(std::string(failure::kParseError), "bad AS number '" + std::string(code) + "'");
    }
    e.code = "AS" + std::to_string(asn);
  } else if (e.type == "country") {
    if (code.size() != 2) {
      return Fail(std::string(failure::kParseError), "bad country code '" + std::string(code) + "'");
    }
    for (char& c : e.code) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  }
  return e;
}

}  // namespace

Result<std::vector<BlockSpec>> ParseBlockLine(std::string_view line) {
  if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  line = Trim(line);
  if (line.empty()) return std::vector<BlockSpec>{};
  auto fields = SplitCsvRecord(line);
  if (!fields) return tl::unexpected(fields.error());
  std::string_view range = Trim((*fields)[0]);
  int length = 24;
  std::string_view address = range;
  if (auto slash = range.find('/'); slash != std::string_view::npos) {
    address = range.substr(0, slash);
    auto len_text = range.substr(slash + 1);
    auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), length);
    if (ec != std::errc() || end != len_text.data() + len_text.size()) {
      return Fail(std::string(failure::kParseError), "bad prefix length in '" + std::string(range) + "'");
    }
  }
  auto ip = geo::ParseIp(address);
  if (!ip || !ip->IsV4() || address.find(':') != std::string_view::npos) {
    return Fail(std::string(failure::kParseError), "not an IPv4 block: '" + std::string(range) + "'");
  }
  if (length < 8 || length > 24) {
    return Fail(std::string(failure::kParseError),
                "blocks are /24 to /8 ranges, got '" + std::string(range) + "'");
  }
  if (fields->size() % 2 == 0) {
    return Fail(std::string(failure::kParseError), "entities come in pairs: type,code");
  }
  std::vector<Entity> entities;
  for (std::size_t i = 1; i + 1 < fields->size(); i += 2) {
    auto e = ParseEntity((*fields)[i], (*fields)[i + 1]);
    if (!e) return tl::unexpected(e.error());
    entities.push_back(std::move(*e));
  }
  const uint32_t mask = ~uint32_t{0} << (32 - length);
  const uint32_t first = ip->V4() & mask;
  const uint32_t count = uint32_t{1} << (24 - length);
  std::vector<BlockSpec> out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) out.push_back({first + (i << 8), entities});
  return out;
}

Result<std::vector<BlockSpec>> LoadBlockList(const std::string& path) {
  auto reader = LineReader::Open(path);
  if (!reader) return tl::unexpected(reader.error());
  std::vector<BlockSpec> blocks;
  std::unordered_map<uint32_t, std::size_t> index;
  while (true) {
    auto line = (*reader)->Next();
    if (!line) return tl::unexpected(line.error());
    if (!*line) break;
    auto parsed = ParseBlockLine(**line);
    if (!parsed) {
      return Fail(parsed.error().failure, path + ":" + std::to_string((*reader)->line_number()) +
                                              ": " + parsed.error().message);
    }
    for (auto& block : *parsed) {
      auto [it, inserted] = index.try_emplace(block.prefix, blocks.size());
      if (inserted) {
        if (blocks.size() == kMaxBlocks) {
          return Fail(std::string(failure::kInvalidArgument),
                      path + ": more than " + std::to_string(kMaxBlocks) + " /24 blocks");
        }
        blocks.push_back(std::move(block));
        continue;
      }
      auto& entities = blocks[it->second].entities;
      for (auto& e : block.entities) {
        if (std::find(entities.begin(), entities.end(), e) == entities.end()) entities.push_back(e);
      }
    }
  }
  return blocks;
}

}  // namespace vigil::prober
