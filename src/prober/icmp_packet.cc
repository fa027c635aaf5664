#include "prober/icmp_packet.h"

namespace vigil::prober {
namespace {

constexpr uint8_t kEchoReply = 0;
constexpr uint8_t kEchoRequest = 8;
constexpr uint8_t kProtocolIcmp = 1;

uint16_t Be16(std::span<const uint8_t> d, std::size_t at) {
  return static_cast<uint16_t>((d[at] << 8) | d[at + 1]);
}

}  // namespace

uint16_t InternetChecksum(std::span<const uint8_t> data) {
  uint32_t sum = 0;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += Be16(data, i);
  if (i < data.size()) sum += static_cast<uint32_t>(data[i] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

std::array<uint8_t, kEchoRequestSize> BuildEchoRequest(uint16_t identifier, uint16_t sequence) {
  std::array<uint8_t, kEchoRequestSize> p{kEchoRequest, 0, 0, 0,
                                          static_cast<uint8_t>(identifier >> 8),
                                          static_cast<uint8_t>(identifier & 0xff),
                                          static_cast<uint8_t>(sequence >> 8),
                                          static_cast<uint8_t>(sequence & 0xff),
                                          'v', 'i', 'g', 'i', 'l', '-', 'p', 'r'};
  const uint16_t sum = InternetChecksum(p);
  p[2] = static_cast<uint8_t>(sum >> 8);
  p[3] = static_cast<uint8_t>(sum & 0xff);
  return p;
}

std::optional<EchoReply> ParseEchoReply(std::span<const uint8_t> packet) {
  if (packet.size() < 20 || (packet[0] >> 4) != 4) return std::nullopt;
  const std::size_t header = std::size_t{packet[0] & 0x0fu} * 4;
  const std::size_t total = Be16(packet, 2);
  if (header < 20 || total < header + 8 || total > packet.size()) return std::nullopt;
  if (packet[9] != kProtocolIcmp) return std::nullopt;
  // A fragment other than the first carries no ICMP header.
  if ((Be16(packet, 6) & 0x1fff) != 0) return std::nullopt;
  auto icmp = packet.subspan(header, total - header);
  if (icmp[0] != kEchoReply || icmp[1] != 0) return std::nullopt;
  if (InternetChecksum(icmp) != 0) return std::nullopt;
  EchoReply r;
  r.source = (uint32_t{packet[12]} << 24) | (uint32_t{packet[13]} << 16) |
             (uint32_t{packet[14]} << 8) | packet[15];
  r.identifier = Be16(icmp, 4);
  r.sequence = Be16(icmp, 6);
  return r;
}

}  // namespace vigil::prober
