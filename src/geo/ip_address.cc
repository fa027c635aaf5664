#include "geo/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace vigil::geo {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

uint64_t ReadBe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

bool IpAddress::IsV4() const {
  return std::memcmp(bytes.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size()) == 0;
}

uint32_t IpAddress::V4() const {
  return (uint32_t{bytes[12]} << 24) | (uint32_t{bytes[13]} << 16) |
         (uint32_t{bytes[14]} << 8) | uint32_t{bytes[15]};
}

uint64_t IpAddress::Hi() const { return ReadBe64(bytes.data()); }
uint64_t IpAddress::Lo() const { return ReadBe64(bytes.data() + 8); }

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  const char* out = IsV4() ? inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf)
                           : inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return out == nullptr ? std::string() : std::string(out);
}

IpAddress IpAddress::FromV4(uint32_t v4) {
  IpAddress ip;
  std::memcpy(ip.bytes.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size());
  ip.bytes[12] = static_cast<uint8_t>(v4 >> 24);
  ip.bytes[13] = static_cast<uint8_t>(v4 >> 16);
  ip.bytes[14] = static_cast<uint8_t>(v4 >> 8);
  ip.bytes[15] = static_cast<uint8_t>(v4);
  return ip;
}

std::optional<IpAddress> ParseIp(std::string_view text) {
  // inet_pton needs a NUL-terminated string; anything longer than the longest valid
  // form (INET6_ADDRSTRLEN includes the NUL) cannot be an address.
  char buf[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress ip;
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, ip.bytes.data() + 12) != 1) return std::nullopt;
    std::memcpy(ip.bytes.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size());
    return ip;
  }
  if (inet_pton(AF_INET6, buf, ip.bytes.data()) != 1) return std::nullopt;
  return ip;
}

}  // namespace vigil::geo
