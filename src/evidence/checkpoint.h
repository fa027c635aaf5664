// C2SP tlog-checkpoint bodies: origin, tree size, root hash (base64), optional extension
// lines; and the tlog-tiles paths under which a log serves its tree (tile/<L>/<N>[.p/<W>],
// tile/entries/<N>[.p/<W>], with N in x001/x234/067 form) and its entry bundles (big-endian
// uint16 length-prefixed entries).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "evidence/hash.h"

namespace vigil::evidence {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;

  std::string Body() const;  // the note text, ending in '\n'
};

// Errors: "parse_error" naming the bad line (no leading zeros in the size, canonical base64,
// non-empty lines, an empty tree's root is the empty hash).
Result<Checkpoint> ParseCheckpointBody(std::string_view text);

struct TilePath {
  bool entries = false;  // tile/entries/...: an entry bundle
  int level = 0;         // tile level, 0..63 (not for entries)
  uint64_t index = 0;
  uint32_t width = 256;  // 1..255 for a partial tile (".p/<W>"), 256 for a full one

  std::string Format() const;  // "tile/0/x001/234.p/5"
};
// `path` without the leading slash or prefix: "tile/...". Errors: "invalid_argument".
Result<TilePath> ParseTilePath(std::string_view path);

std::string EncodeEntryBundle(std::span<const std::string> entries);
// Errors: "parse_error" (a truncated length or entry).
Result<std::vector<std::string>> DecodeEntryBundle(std::string_view bytes);

}  // namespace vigil::evidence
