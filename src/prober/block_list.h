// The prober's list of blocks: a text file with one IPv4 block per line, a /24 or a larger CIDR
// range (split into its /24s), optionally followed by the entities the block counts for, as
// (type, code) pairs:
//
//   # comment
//   10.1.2.0/24
//   10.1.8.0/22,asn,AS64500
//   192.0.2.0/24,country,CM,asn,64501
//
// AS numbers are written "AS64500" (a bare number is accepted); countries in upper case. A block
// listed twice is kept once, with the entities of both lines.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace vigil::prober {

struct Entity {
  std::string type;  // "asn", "country" or "region"
  std::string code;  // "AS64500", "CM", ...
  friend bool operator==(const Entity&, const Entity&) = default;
  friend auto operator<=>(const Entity&, const Entity&) = default;
};

struct BlockSpec {
  uint32_t prefix = 0;  // host order, last octet 0
  std::vector<Entity> entities;
};

// At most this many /24 blocks in one list (a /8).
inline constexpr std::size_t kMaxBlocks = std::size_t{1} << 16;

// The blocks of one line (empty for blank and comment lines). Errors: "parse_error".
Result<std::vector<BlockSpec>> ParseBlockLine(std::string_view line);

// All blocks of a file, in first-seen order. Errors name the line ("parse_error", "io_error",
// "invalid_argument" when there are more than kMaxBlocks).
Result<std::vector<BlockSpec>> LoadBlockList(const std::string& path);

}  // namespace vigil::prober
