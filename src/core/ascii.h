// ASCII case folding for protocol text (header names, hostnames, keywords). Unlike
// std::tolower it needs no locale and no call per character, and it never touches bytes
// above 0x7F, so UTF-8 passes through unchanged.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace vigil {

constexpr char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

}  // namespace vigil
