// A small URL splitter for measurement inputs ("https://example.com:8443/path?q").
// It does not normalise or validate beyond what analysis and probing need: scheme and
// host are lower-cased; IPv6 literals lose their brackets. Pure, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil {

struct Url {
  std::string scheme;  // "http", "https", ...
  std::string host;    // "example.com", "8.8.4.4", "2001:db8::1"
  uint16_t port = 0;   // explicit port, else the scheme's default (80/443), else 0
  std::string path;    // from the first '/', '?' or '#'; "/" when empty

  bool HostIsIpLiteral() const;
};

std::optional<Url> ParseUrl(std::string_view text);

}  // namespace vigil
