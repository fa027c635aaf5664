// ICMP echo (RFC 792) for IPv4: building echo requests and recognising echo replies as a raw
// socket delivers them (IPv4 header included).
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace vigil::prober {

// An echo request: 8-byte ICMP header and an 8-byte payload ("vigil-pr").
inline constexpr std::size_t kEchoRequestSize = 16;

// The Internet checksum (RFC 1071) of data.
uint16_t InternetChecksum(std::span<const uint8_t> data);

std::array<uint8_t, kEchoRequestSize> BuildEchoRequest(uint16_t identifier, uint16_t sequence);

struct EchoReply {
  uint32_t source = 0;  // host order
  uint16_t identifier = 0;
  uint16_t sequence = 0;
};

// The echo reply in an IPv4 packet, or nullopt for anything else (another ICMP type, a bad
// checksum, a truncated or malformed packet).
std::optional<EchoReply> ParseEchoReply(std::span<const uint8_t> ipv4_packet);

}  // namespace vigil::prober
