#include "prober/icmp_packet.h"

#include <vector>

#include <gtest/gtest.h>

namespace vigil::prober {
namespace {

// An IPv4 packet from `source` carrying `icmp`.
std::vector<uint8_t> Ipv4(std::vector<uint8_t> icmp, uint32_t source = 0x0ae80105) {
  std::vector<uint8_t> p(20, 0);
  p[0] = 0x45;
  const auto total = static_cast<uint16_t>(20 + icmp.size());
  p[2] = static_cast<uint8_t>(total >> 8);
  p[3] = static_cast<uint8_t>(total & 0xff);
  p[8] = 64;
  p[9] = 1;
  for (int i = 0; i < 4; ++i) p[static_cast<std::size_t>(12 + i)] = static_cast<uint8_t>(source >> (24 - 8 * i));
  p.insert(p.end(), icmp.begin(), icmp.end());
  return p;
}

// The reply a host sends to `request`: type 0, checksum fixed up.
std::vector<uint8_t> ReplyTo(const std::array<uint8_t, kEchoRequestSize>& request) {
  std::vector<uint8_t> r(request.begin(), request.end());
  r[0] = 0;
  r[2] = r[3] = 0;
  const uint16_t sum = InternetChecksum(r);
  r[2] = static_cast<uint8_t>(sum >> 8);
  r[3] = static_cast<uint8_t>(sum & 0xff);
  return r;
}

TEST(InternetChecksum, MatchesRfc1071Example) {
  // RFC 1071 section 3: the sum of these words is 0xddf2; the checksum is its complement.
  std::vector<uint8_t> d{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(InternetChecksum(d), static_cast<uint16_t>(~0xddf2 & 0xffff));
}

TEST(EchoRequest, HasTypeIdSequenceAndAValidChecksum) {
  auto p = BuildEchoRequest(0x1234, 0xabcd);
  EXPECT_EQ(p[0], 8);
  EXPECT_EQ(p[4], 0x12);
  EXPECT_EQ(p[5], 0x34);
  EXPECT_EQ(p[6], 0xab);
  EXPECT_EQ(p[7], 0xcd);
  EXPECT_EQ(InternetChecksum(p), 0);
}

TEST(ParseEchoReply, ReadsSourceIdentifierAndSequence) {
  auto packet = Ipv4(ReplyTo(BuildEchoRequest(7, 9)));
  auto r = ParseEchoReply(packet);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->source, 0x0ae80105u);
  EXPECT_EQ(r->identifier, 7);
  EXPECT_EQ(r->sequence, 9);
}

TEST(ParseEchoReply, IgnoresOtherPackets) {
  auto request = BuildEchoRequest(7, 9);
  // Our own request (looped back), a corrupted reply, a truncated one, not ICMP, not IPv4.
  EXPECT_FALSE(ParseEchoReply(Ipv4({request.begin(), request.end()})));
  auto reply = ReplyTo(request);
  auto corrupt = reply;
  corrupt[9] ^= 1;
  EXPECT_FALSE(ParseEchoReply(Ipv4(corrupt)));
  auto packet = Ipv4(reply);
  EXPECT_FALSE(ParseEchoReply(std::span<const uint8_t>(packet.data(), packet.size() - 1)));
  auto udp = packet;
  udp[9] = 17;
  EXPECT_FALSE(ParseEchoReply(udp));
  auto v6 = packet;
  v6[0] = 0x65;
  EXPECT_FALSE(ParseEchoReply(v6));
  EXPECT_FALSE(ParseEchoReply({}));
  auto bad_ihl = packet;
  bad_ihl[0] = 0x4f;
  EXPECT_FALSE(ParseEchoReply(bad_ihl));
}

}  // namespace
}  // namespace vigil::prober
