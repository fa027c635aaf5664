#include "evidence/checkpoint.h"

#include <fmt/format.h>

#include "evidence/keys.h"
#include "evidence/note.h"

namespace vigil::evidence {
namespace {

std::optional<uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

}  // namespace

std::string Checkpoint::Body() const {
  std::string out = fmt::format("{}\n{}\n{}\n", origin, size, Base64Of(root));
  for (const auto& e : extensions) out += e + "\n";
  return out;
}

Result<Checkpoint> ParseCheckpointBody(std::string_view text) {
  if (!IsValidNoteText(text)) return Fail("parse_error", "a checkpoint is UTF-8 text lines ending in a newline");
  std::vector<std::string_view> lines;
  for (size_t at = 0; at < text.size();) {
    const size_t nl = text.find('\n', at);
    lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  if (lines.size() < 3) return Fail("parse_error", "a checkpoint has an origin, a size and a root hash line");
  Checkpoint c;
  c.origin = std::string(lines[0]);
  if (c.origin.empty()) return Fail("parse_error", "the checkpoint's origin line is empty");
  auto size = ParseDecimal(lines[1]);
  if (!size) return Fail("parse_error", "the checkpoint's size is not a decimal number without leading zeros");
  c.size = *size;
  auto root = HashFromBase64(lines[2]);
  if (!root) return Fail("parse_error", "the checkpoint's root hash is not the base64 of 32 bytes");
  c.root = *root;
  if (c.size == 0 && c.root != EmptyTreeHash()) return Fail("parse_error", "an empty tree's root is the hash of nothing");
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return Fail("parse_error", "a checkpoint's extension lines are not empty");
    c.extensions.emplace_back(lines[i]);
  }
  return c;
}

std::string TilePath::Format() const {
  std::string n = fmt::format("{:03d}", index % 1000);
  for (uint64_t rest = index / 1000; rest > 0; rest /= 1000) n = fmt::format("x{:03d}/", rest % 1000) + n;
  std::string out = entries ? "tile/entries/" + n : fmt::format("tile/{}/{}", level, n);
  if (width < 256) out += fmt::format(".p/{}", width);
  return out;
}

Result<TilePath> ParseTilePath(std::string_view path) {
  auto bad = [&](std::string_view why) {
    return Fail("invalid_argument", fmt::format("not a tile path ({}): {}", why, path.substr(0, 200)));
  };
  if (path.size() > 200 || !path.starts_with("tile/")) return bad("tile/<L>/<N>[.p/<W>]");
  std::string_view rest = path.substr(5);
  TilePath t;
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return bad("no index");
  const std::string_view first = rest.substr(0, slash);
  if (first == "entries") {
    t.entries = true;
  } else {
    auto level = ParseDecimal(first);
    if (!level || *level > 63) return bad("the level is 0 to 63");
    t.level = static_cast<int>(*level);
  }
  rest = rest.substr(slash + 1);
  if (const size_t p = rest.find(".p/"); p != std::string_view::npos) {
    auto w = ParseDecimal(rest.substr(p + 3));
    if (!w || *w < 1 || *w > 255) return bad("a partial width is 1 to 255");
    t.width = static_cast<uint32_t>(*w);
    rest = rest.substr(0, p);
  }
  // x001/x234/067: every element three digits, all but the last prefixed with 'x'.
  uint64_t index = 0;
  size_t elements = 0;
  for (size_t at = 0;;) {
    const size_t next = rest.find('/', at);
    std::string_view el = rest.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at);
    const bool last = next == std::string_view::npos;
    if (!last) {
      if (!el.starts_with('x')) return bad("the index's leading elements start with x");
      el.remove_prefix(1);
    }
    if (el.size() != 3 || el.find_first_not_of("0123456789") != std::string_view::npos) {
      return bad("the index is in three-digit elements");
    }
    if (++elements > 7) return bad("the index is too large");
    index = index * 1000 + static_cast<uint64_t>(std::stoul(std::string(el)));
    if (last) break;
    at = next + 1;
  }
  if (elements > 1 && rest.substr(1, 3) == "000") return bad("the index has a leading zero element");
  t.index = index;
  return t;
}

std::string EncodeEntryBundle(std::span<const std::string> entries) {
  std::string out;
  for (const auto& e : entries) {
    out += static_cast<char>((e.size() >> 8) & 0xff);
    out += static_cast<char>(e.size() & 0xff);
    out += e;
  }
  return out;
}

Result<std::vector<std::string>> DecodeEntryBundle(std::string_view bytes) {
  std::vector<std::string> out;
  for (size_t at = 0; at < bytes.size();) {
    if (at + 2 > bytes.size()) return Fail("parse_error", "an entry bundle ends inside a length");
    const size_t n = size_t{static_cast<uint8_t>(bytes[at])} << 8 | static_cast<uint8_t>(bytes[at + 1]);
    at += 2;
    if (at + n > bytes.size()) return Fail("parse_error", "an entry bundle ends inside an entry");
    out.emplace_back(bytes.substr(at, n));
    at += n;
    if (out.size() > 256) return Fail("parse_error", "an entry bundle holds at most 256 entries");
  }
  return out;
}

}  // namespace vigil::evidence
