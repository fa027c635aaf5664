// IpAddress: an IPv4 or IPv6 address in one 16-byte form, and ParseIp to get one.
//
// IPv4 addresses are stored IPv4-mapped (::ffff:a.b.c.d, RFC 4291 section 2.5.5.2), so
// "8.8.8.8" and "::ffff:8.8.8.8" parse to the same value and every lookup in this
// library treats them alike. Parsing goes through inet_pton: only the standard textual
// forms are accepted (dotted quad with four decimal parts, RFC 4291/5952 IPv6), with no
// surrounding spaces, brackets, ports or zone ids.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::geo {

struct IpAddress {
  // Network byte order.
  std::array<uint8_t, 16> bytes{};

  // True for IPv4 addresses (stored IPv4-mapped).
  bool IsV4() const;
  // The IPv4 address as a host-order integer. Precondition: IsV4().
  uint32_t V4() const;
  // The first (hi) and last (lo) 64 bits as host-order integers.
  uint64_t Hi() const;
  uint64_t Lo() const;
  // Canonical text: dotted quad for IPv4, RFC 5952 for IPv6.
  std::string ToString() const;

  static IpAddress FromV4(uint32_t v4);

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

// The address in `text`, or nullopt when it is not an IPv4 or IPv6 address.
std::optional<IpAddress> ParseIp(std::string_view text);

}  // namespace vigil::geo
