#include "core/base64.h"

#include <array>
#include <cstdint>

namespace vigil {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kDecode = MakeDecodeTable();

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 |
                 uint8_t(bytes[i + 2]);
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  std::string out;
  out.resize(text.size() / 4 * 3 + 3);
  char* w = out.data();
  uint32_t acc = 0;
  int bits = 0;
  size_t padding = 0, symbols = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  // Fast path: whole groups of four alphabet characters.
  while (end - p >= 4) {
    int8_t a = kDecode[static_cast<unsigned char>(p[0])], b = kDecode[static_cast<unsigned char>(p[1])],
           c = kDecode[static_cast<unsigned char>(p[2])], d = kDecode[static_cast<unsigned char>(p[3])];
    if ((a | b | c | d) < 0) break;
    uint32_t v = uint32_t(a) << 18 | uint32_t(b) << 12 | uint32_t(c) << 6 | uint32_t(d);
    w[0] = static_cast<char>(v >> 16);
    w[1] = static_cast<char>((v >> 8) & 0xFF);
    w[2] = static_cast<char>(v & 0xFF);
    w += 3;
    p += 4;
    symbols += 4;
  }
  // The rest, one character at a time: padding, whitespace, invalid characters.
  for (; p < end; ++p) {
    char ch = *p;
    if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t') continue;
    if (ch == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return std::nullopt;  // data after padding
    int8_t v = kDecode[static_cast<unsigned char>(ch)];
    if (v < 0) return std::nullopt;
    ++symbols;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *w++ = static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (padding > 2 || symbols % 4 == 1) return std::nullopt;
  if (padding > 0 && (symbols + padding) % 4 != 0) return std::nullopt;
  out.resize(static_cast<size_t>(w - out.data()));
  return out;
}

}  // namespace vigil
