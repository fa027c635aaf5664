#include "geo/bogon.h"

#include <cstdint>
#include <optional>

namespace vigil::geo {
namespace {

struct Prefix {
  uint64_t bits;  // the prefix, left-aligned
  int length;
};

constexpr bool Matches(uint64_t value, Prefix p) {
  if (p.length == 0) return true;
  const uint64_t mask = ~uint64_t{0} << (64 - p.length);
  return (value & mask) == p.bits;
}

constexpr uint64_t V4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return uint64_t{(a << 24) | (b << 16) | (c << 8) | d} << 32;
}

constexpr Prefix kV4Bogons[] = {
    {V4(0, 0, 0, 0), 8},      {V4(10, 0, 0, 0), 8},     {V4(100, 64, 0, 0), 10},
    {V4(127, 0, 0, 0), 8},    {V4(169, 254, 0, 0), 16}, {V4(172, 16, 0, 0), 12},
    {V4(192, 0, 0, 0), 24},   {V4(192, 0, 2, 0), 24},   {V4(192, 168, 0, 0), 16},
    {V4(198, 18, 0, 0), 15},  {V4(198, 51, 100, 0), 24}, {V4(203, 0, 113, 0), 24},
    {V4(224, 0, 0, 0), 4},    {V4(240, 0, 0, 0), 4},
};

// IPv6 prefixes no longer than 64 bits, matched against the first 64 bits.
constexpr Prefix kV6Bogons[] = {
    {0x2001'0002'0000'0000, 48},  // benchmarking
    {0x2001'0010'0000'0000, 28},  // ORCHID
    {0x2001'0db8'0000'0000, 32},  // documentation
    {0x3fff'0000'0000'0000, 20},  // documentation
};

constexpr Prefix kGlobalUnicast{0x2000'0000'0000'0000, 3};
constexpr Prefix k6to4{0x2002'0000'0000'0000, 16};
constexpr uint64_t kNat64Hi = 0x0064'ff9b'0000'0000;

bool IsBogonV4(uint32_t v4) {
  const uint64_t value = uint64_t{v4} << 32;
  for (const Prefix& p : kV4Bogons) {
    if (Matches(value, p)) return true;
  }
  return false;
}

}  // namespace

bool IsBogon(const IpAddress& ip) {
  if (ip.IsV4()) return IsBogonV4(ip.V4());
  const uint64_t hi = ip.Hi();
  const uint64_t lo = ip.Lo();
  if (hi == kNat64Hi && (lo >> 32) == 0) return IsBogonV4(static_cast<uint32_t>(lo));
  if (!Matches(hi, kGlobalUnicast)) return true;
  if (Matches(hi, k6to4)) return IsBogonV4(static_cast<uint32_t>(hi >> 16));
  for (const Prefix& p : kV6Bogons) {
    if (Matches(hi, p)) return true;
  }
  return false;
}

bool IsBogon(std::string_view ip) {
  const std::optional<IpAddress> parsed = ParseIp(ip);
  return parsed.has_value() && IsBogon(*parsed);
}

}  // namespace vigil::geo
