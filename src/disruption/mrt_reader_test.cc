#include "disruption/mrt_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "disruption/bgpdump_format.h"

namespace vigil::disruption {
namespace {

// Big-endian byte builder for handcrafted MRT records.
class Bytes {
 public:
  Bytes& U8(unsigned v) {
    s_ += static_cast<char>(v & 0xff);
    return *this;
  }
  Bytes& U16(unsigned v) { return U8(v >> 8).U8(v); }
  Bytes& U32(uint32_t v) { return U16(v >> 16).U16(v & 0xffff); }
  Bytes& Raw(const std::string& s) {
    s_ += s;
    return *this;
  }
  Bytes& Ip4(std::initializer_list<unsigned> octets) {
    for (unsigned o : octets) U8(o);
    return *this;
  }
  // IPv6 from eight 16-bit groups.
  Bytes& Ip6(std::initializer_list<unsigned> groups) {
    for (unsigned g : groups) U16(g);
    return *this;
  }
  const std::string& str() const { return s_; }
  size_t size() const { return s_.size(); }

 private:
  std::string s_;
};

std::string Mrt(uint32_t ts, uint16_t type, uint16_t subtype, const std::string& body) {
  return Bytes()
      .U32(ts)
      .U16(type)
      .U16(subtype)
      .U32(static_cast<uint32_t>(body.size()))
      .Raw(body)
      .str();
}

std::string MrtEt(uint32_t ts, uint32_t us, uint16_t subtype, const std::string& body) {
  return Bytes()
      .U32(ts)
      .U16(kMrtBgp4mpEt)
      .U16(subtype)
      .U32(static_cast<uint32_t>(body.size() + 4))
      .U32(us)
      .Raw(body)
      .str();
}

std::string Attr(unsigned flags, unsigned type, const std::string& value) {
  Bytes b;
  if (value.size() > 255) {
    b.U8(flags | 0x10).U8(type).U16(static_cast<unsigned>(value.size()));
  } else {
    b.U8(flags).U8(type).U8(static_cast<unsigned>(value.size()));
  }
  return b.Raw(value).str();
}

std::string AsPathSeg(unsigned type, std::initializer_list<uint32_t> asns, int asn_len) {
  Bytes b;
  b.U8(type).U8(static_cast<unsigned>(asns.size()));
  for (uint32_t a : asns) asn_len == 4 ? b.U32(a) : b.U16(a);
  return b.str();
}

std::string Update(const std::string& withdrawn, const std::string& attrs,
                   const std::string& nlri) {
  Bytes body;
  body.U8(kBgpUpdate).U16(static_cast<unsigned>(withdrawn.size())).Raw(withdrawn);
  body.U16(static_cast<unsigned>(attrs.size())).Raw(attrs).Raw(nlri);
  Bytes msg;
  msg.Raw(std::string(16, '\xff')).U16(static_cast<unsigned>(body.size() + 18)).Raw(body.str());
  return msg.str();
}

// BGP4MP MESSAGE* body with IPv4 (afi 1) or IPv6 (afi 2) peer addresses.
std::string Message(int asn_len, uint32_t peer_as, uint32_t local_as, bool v6,
                    const std::string& bgp) {
  Bytes b;
  asn_len == 4 ? b.U32(peer_as).U32(local_as) : b.U16(peer_as).U16(local_as);
  b.U16(0).U16(v6 ? 2 : 1);
  if (v6) {
    b.Ip6({0x2001, 0x7f8, 0x30, 0, 2, 1, 0, 0x8447}).Ip6({0x2001, 0x7f8, 0x30, 0, 0, 0, 0, 1});
  } else {
    b.Ip4({193, 203, 0, 1}).Ip4({193, 203, 0, 254});
  }
  return b.Raw(bgp).str();
}

struct Dumped {
  std::string lines;
  std::vector<std::string> problems;
  std::string error;
};

Dumped Dump(const std::string& bytes, MrtReader::Options options = {}) {
  Dumped d;
  auto reader = MrtReader::FromBytes(bytes, options);
  for (int guard = 0; guard < 1000000; ++guard) {
    auto next = reader->Next();
    if (!next) {
      d.error = next.error().ToString();
      break;
    }
    if (*next == nullptr) break;
    AppendBgpdumpLines(**next, d.lines);
    for (const auto& p : (*next)->problems) d.problems.push_back(p);
  }
  return d;
}

// Where Debian's bgpdump is installed, the same bytes must print the same lines there.
void ExpectSameAsBgpdump(const std::string& bytes, const std::string& lines) {
  if (access("/usr/bin/bgpdump", X_OK) != 0) return;
  auto dir = std::filesystem::temp_directory_path();
  std::string path = (dir / ("vigil_mrt_" + std::to_string(getpid()) + ".mrt")).string();
  {
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  std::string cmd = "/usr/bin/bgpdump -m " + path + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string got;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) got.append(buf, n);
  pclose(p);
  std::remove(path.c_str());
  EXPECT_EQ(got, lines) << "bgpdump disagrees";
}

const std::string kOriginIgp = Attr(0x40, kAttrOrigin, Bytes().U8(0).str());
const std::string kNextHop = Attr(0x40, kAttrNextHop, Bytes().Ip4({193, 203, 0, 1}).str());

TEST(MrtReaderTest, Bgp4mpUpdateWithEveryPrintedAttribute) {
  std::string attrs =
      kOriginIgp +
      Attr(0x40, kAttrAsPath,
           AsPathSeg(kAsSequence, {1853, 1239}, 2) + AsPathSeg(kAsSet, {80, 81}, 2)) +
      kNextHop + Attr(0x80, kAttrMed, Bytes().U32(10).str()) +
      Attr(0x40, kAttrLocalPref, Bytes().U32(200).str()) + Attr(0x40, kAttrAtomicAggregate, "") +
      Attr(0xc0, kAttrAggregator, Bytes().U16(9835).Ip4({164, 115, 26, 130}).str()) +
      Attr(0xc0, kAttrCommunities, Bytes().U32(0x0cbf0001).U32(0xFFFFFF01).str());
  std::string nlri = Bytes().U8(8).U8(3).U8(22).Ip4({6, 1, 4}).str();
  std::string withdrawn = Bytes().U8(24).Ip4({200, 31, 199}).str();
  std::string bytes = Mrt(1027377522, kMrtBgp4mp, 1,
                          Message(2, 20751, 12654, false, Update(withdrawn, attrs, nlri)));
  Dumped d = Dump(bytes);
  EXPECT_EQ(d.error, "");
  EXPECT_TRUE(d.problems.empty());
  const std::string tail =
      "|1853 1239 {80,81}|IGP|193.203.0.1|200|10|3263:1 no-export|AG|9835 164.115.26.130|\n";
  EXPECT_EQ(d.lines,
            "BGP4MP|1027377522|W|193.203.0.1|20751|200.31.199.0/24\n"
            "BGP4MP|1027377522|A|193.203.0.1|20751|3.0.0.0/8" +
                tail + "BGP4MP|1027377522|A|193.203.0.1|20751|6.1.4.0/22" + tail);
  ExpectSameAsBgpdump(bytes, d.lines);
}

TEST(MrtReaderTest, MissingAttributesPrintBgpdumpDefaults) {
  std::string nlri = Bytes().U8(16).U8(10).U8(1).str();
  std::string bytes = Mrt(1, kMrtBgp4mp, 1, Message(2, 1, 2, false, Update("", "", nlri)));
  Dumped d = Dump(bytes);
  EXPECT_EQ(d.lines,
            "BGP4MP|1|A|193.203.0.1|1|10.1.0.0/16||INCOMPLETE|255.255.255.255|0|0||NAG||\n");
  ExpectSameAsBgpdump(bytes, d.lines);
}

TEST(MrtReaderTest, As4PathIsMergedIntoTwoByteAsPath) {
  std::string attrs =
      kOriginIgp + Attr(0x40, kAttrAsPath, AsPathSeg(kAsSequence, {3333, 1273, 23456, 23456}, 2)) +
      kNextHop + Attr(0xc0, kAttrAggregator, Bytes().U16(23456).Ip4({10, 0, 0, 1}).str()) +
      Attr(0xc0, kAttrAs4Path, AsPathSeg(kAsSequence, {196615, 262144}, 4)) +
      Attr(0xc0, kAttrAs4Aggregator, Bytes().U32(262144).Ip4({10, 0, 0, 2}).str());
  std::string bytes =
      Mrt(5, kMrtBgp4mp, 1,
          Message(2, 3333, 12654, false, Update("", attrs, Bytes().U8(24).Ip4({192, 0, 2}).str())));
  Dumped d = Dump(bytes);
  EXPECT_TRUE(d.problems.empty());
  EXPECT_EQ(d.lines,
            "BGP4MP|5|A|193.203.0.1|3333|192.0.2.0/24|3333 1273 196615 262144|IGP|193.203.0.1|"
            "0|0||NAG|262144 10.0.0.2|\n");
  ExpectSameAsBgpdump(bytes, d.lines);
}

TEST(MrtReaderTest, As4MergeCopiesTheFirstSegmentLikeBgpdump) {
  // bgpdump rebuilds the leading part of the path from its first segment only.
  std::string attrs = kOriginIgp +
                      Attr(0x40, kAttrAsPath,
                           AsPathSeg(kAsSequence, {1, 2}, 2) + AsPathSeg(kAsSet, {3, 4}, 2) +
                               AsPathSeg(kAsSequence, {23456}, 2)) +
                      kNextHop + Attr(0xc0, kAttrAs4Path, AsPathSeg(kAsSequence, {70000}, 4));
  std::string bytes =
      Mrt(5, kMrtBgp4mp, 1,
          Message(2, 1, 2, false, Update("", attrs, Bytes().U8(24).Ip4({192, 0, 2}).str())));
  Dumped d = Dump(bytes);
  // Count 4 (a set counts one) minus 1 for AS4_PATH: 3 ASNs from copies of "1 2".
  EXPECT_EQ(d.lines,
            "BGP4MP|5|A|193.203.0.1|1|192.0.2.0/24|1 2 1 70000|IGP|193.203.0.1|0|0||NAG||\n");
  ExpectSameAsBgpdump(bytes, d.lines);
}

TEST(MrtReaderTest, NonTransAggregatorDisablesAs4PathMerge) {
  std::string attrs = kOriginIgp + Attr(0x40, kAttrAsPath, AsPathSeg(kAsSequence, {1, 23456}, 2)) +
                      kNextHop +
                      Attr(0xc0, kAttrAggregator, Bytes().U16(7).Ip4({10, 0, 0, 1}).str()) +
                      Attr(0xc0, kAttrAs4Path, AsPathSeg(kAsSequence, {70000}, 4)) +
                      Attr(0xc0, kAttrAs4Aggregator, Bytes().U32(70000).Ip4({10, 0, 0, 2}).str());
  std::string bytes =
      Mrt(5, kMrtBgp4mp, 1,
          Message(2, 1, 2, false, Update("", attrs, Bytes().U8(24).Ip4({192, 0, 2}).str())));
  Dumped d = Dump(bytes);
  EXPECT_EQ(d.lines,
            "BGP4MP|5|A|193.203.0.1|1|192.0.2.0/24|1 23456|IGP|193.203.0.1|0|0||NAG|7 10.0.0.1|\n");
  ExpectSameAsBgpdump(bytes, d.lines);
}

TEST(MrtReaderTest, ConfederationSegments) {
  std::string attrs =
      kOriginIgp +
      Attr(0x40, kAttrAsPath,
           AsPathSeg(kAsConfedSequence, {65001, 65002}, 4) +
               AsPathSeg(kAsConfedSet, {65003, 65004}, 4) + AsPathSeg(kAsSequence, {3356}, 4)) +
      kNextHop;
  std::string bytes =
      Mrt(5, kMrtBgp4mp, 4,
          Message(4, 1, 2, false, Update("", attrs, Bytes().U8(24).Ip4({192, 0, 2}).str())));
  Dumped d = Dump(bytes);
  EXPECT_EQ(d.lines,
            "BGP4MP|5|A|193.203.0.1|1|192.0.2.0/24|(65001 65002) [65003,65004] 3356|IGP|"
            "193.203.0.1|0|0||NAG||\n");
  ExpectSameAsBgpdump(bytes, d.lines);
}

TEST(MrtReaderTest, Ipv6MpReachAndUnreachWithExtendedTimestamp) {
  std::string reach = Bytes()
                          .U16(2)
                          .U8(1)
                          .U8(32)
                          .Ip6({0x2001, 0x7f8, 0x54, 0, 0, 0, 0, 0x10})
                          .Ip6({0xfe80, 0, 0, 0, 0, 0, 0, 1})
                          .U8(0)
                          .U8(40)
                          .Ip6({0x2804, 0x14d, 0, 0, 0, 0, 0, 0})
                          .str()
                          .substr(0, 3 + 1 + 32 + 1 + 1 + 5);
  std::string unreach = Bytes().U16(2).U8(1).U8(48).U16(0x2001).U16(0xdb8).U16(1).str();
  std::string attrs = kOriginIgp +
                      Attr(0x40, kAttrAsPath, AsPathSeg(kAsSequence, {59689, 6939}, 4)) +
                      Attr(0x80, kAttrMpReach, reach) + Attr(0x80, kAttrMpUnreach, unreach);
  std::string bytes =
      MrtEt(1445565678, 9481, 4, Message(4, 59689, 12654, true, Update("", attrs, "")));
  Dumped d = Dump(bytes);
  EXPECT_TRUE(d.problems.empty()) << d.problems.front();
  EXPECT_EQ(d.lines,
            "BGP4MP_ET|1445565678.009481|W|2001:7f8:30::2:1:0:8447|59689|2001:db8:1::/48\n"
            "BGP4MP_ET|1445565678.009481|A|2001:7f8:30::2:1:0:8447|59689|2804:14d::/40|59689 6939|"
            "IGP|2001:7f8:54::10|0|0||NAG||\n");
  ExpectSameAsBgpdump(bytes, d.lines);
}

TEST(MrtReaderTest, AddPathMessageCarriesPathIds) {
  std::string reach = Bytes()
                          .U16(2)
                          .U8(1)
                          .U8(16)
                          .Ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1})
                          .U8(0)
                          .U32(7)
                          .U8(32)
                          .U16(0x2001)
                          .U16(0xdb8)
                          .str();
  std::string attrs = kOriginIgp + Attr(0x40, kAttrAsPath, AsPathSeg(kAsSequence, {65001}, 4)) +
                      kNextHop + Attr(0x80, kAttrMpReach, reach);
  std::string withdrawn = Bytes().U32(3).U8(24).Ip4({10, 0, 1}).str();
  std::string nlri = Bytes().U32(4).U8(24).Ip4({10, 0, 2}).str();
  std::string bytes =
      Mrt(9, kMrtBgp4mp, 9, Message(4, 65001, 65000, false, Update(withdrawn, attrs, nlri)));
  Dumped d = Dump(bytes);
  EXPECT_TRUE(d.problems.empty());
  EXPECT_EQ(d.lines,
            "BGP4MP_AP|9|W|193.203.0.1|65001|10.0.1.0/24|3\n"
            "BGP4MP_AP|9|A|193.203.0.1|65001|10.0.2.0/24|4|65001|IGP|193.203.0.1|0|0||NAG||\n"
            "BGP4MP_AP|9|A|193.203.0.1|65001|2001:db8::/32|7|65001|IGP|2001:db8::1|0|0||NAG||\n");
  ExpectSameAsBgpdump(bytes, d.lines);
}

TEST(MrtReaderTest, LocalMessagesAndStateChanges) {
  std::string nlri = Bytes().U8(24).Ip4({10, 0, 2}).str();
  std::string local = Mrt(9, kMrtBgp4mp, 7,
                          Message(4, 65000, 65001, false, Update("", kOriginIgp + kNextHop, nlri)));
  std::string state = Mrt(10, kMrtBgp4mp, 0,
                          Bytes()
                              .U16(15737)
                              .U16(12654)
                              .U16(0)
                              .U16(1)
                              .Ip4({193, 203, 0, 69})
                              .Ip4({193, 203, 0, 254})
                              .U16(3)
                              .U16(2)
                              .str());
  std::string state_et = MrtEt(11, 123456, 5,
                               Bytes()
                                   .U32(200000)
                                   .U32(12654)
                                   .U16(0)
                                   .U16(2)
                                   .Ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 2})
                                   .Ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1})
                                   .U16(6)
                                   .U16(1)
                                   .str());
  std::string bytes = local + state + state_et;
  Dumped d = Dump(bytes);
  EXPECT_TRUE(d.problems.empty());
  EXPECT_EQ(d.lines,
            "BGP4MP_LOCAL|9|A|193.203.0.1|65000|10.0.2.0/24||IGP|193.203.0.1|0|0||NAG||\n"
            "BGP4MP|10|STATE|193.203.0.69|15737|3|2\n"
            "BGP4MP_ET|11.123456|STATE|2001:db8::2|200000|6|1\n");
  ExpectSameAsBgpdump(bytes, d.lines);
}

TEST(MrtReaderTest, TableDumpV1Ipv4AndIpv6) {
  std::string attrs4 =
      kOriginIgp + Attr(0x40, kAttrAsPath, AsPathSeg(kAsSequence, {1853, 80}, 2)) + kNextHop;
  Bytes v4;
  v4.U16(0).U16(1).Ip4({3, 0, 0, 0}).U8(8).U8(1).U32(1000).Ip4({193, 203, 0, 1}).U16(1853);
  v4.U16(static_cast<unsigned>(attrs4.size())).Raw(attrs4);
  std::string reach = Bytes().U8(16).Ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 9}).str();
  std::string attrs6 = kOriginIgp + Attr(0x40, kAttrAsPath, AsPathSeg(kAsSequence, {1853}, 2)) +
                       Attr(0x80, kAttrMpReach, reach);
  Bytes v6;
  v6.U16(0).U16(2).Ip6({0x2001, 0x500, 0, 0, 0, 0, 0, 0}).U8(32).U8(1).U32(1000);
  v6.Ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 9}).U16(1853);
  v6.U16(static_cast<unsigned>(attrs6.size())).Raw(attrs6);
  std::string bytes =
      Mrt(1027381055, kMrtTableDump, 1, v4.str()) + Mrt(1027381055, kMrtTableDump, 2, v6.str());
  Dumped d = Dump(bytes);
  EXPECT_TRUE(d.problems.empty());
  EXPECT_EQ(
      d.lines,
      "TABLE_DUMP|1027381055|B|193.203.0.1|1853|3.0.0.0/8|1853 80|IGP|193.203.0.1|0|0||NAG||\n"
      "TABLE_DUMP|1027381055|B|2001:db8::9|1853|2001:500::/32|1853|IGP|2001:db8::9|0|0||NAG||\n");
  ExpectSameAsBgpdump(bytes, d.lines);
}

std::string PeerTable() {
  Bytes b;
  b.Ip4({193, 0, 4, 28}).U16(4).Raw("rrc0").U16(2);
  b.U8(0).Ip4({1, 1, 1, 1}).Ip4({193, 0, 0, 56}).U16(3333);  // IPv4, 2-byte AS
  b.U8(3).Ip4({2, 2, 2, 2}).Ip6({0x2001, 0x1890, 0x111d, 1, 0, 0, 0, 0x63}).U32(200334);
  return Mrt(1537344000, kMrtTableDumpV2, 1, b.str());
}

TEST(MrtReaderTest, TableDumpV2RibsIncludingAddPath) {
  std::string attrs4 = kOriginIgp +
                       Attr(0x40, kAttrAsPath, AsPathSeg(kAsSequence, {3333, 2914}, 4)) + kNextHop +
                       Attr(0x40, kAttrLocalPref, Bytes().U32(100).str());
  Bytes rib4;
  rib4.U32(7).U8(23).Ip4({10, 0, 10}).U16(1).U16(0).U32(1537000000);
  rib4.U16(static_cast<unsigned>(attrs4.size())).Raw(attrs4);
  std::string reach = Bytes()
                          .U8(32)
                          .Ip6({0x2001, 0x1890, 0x111d, 1, 0, 0, 0, 0x63})
                          .Ip6({0xfe80, 0, 0, 0, 0, 0, 0, 1})
                          .str();
  std::string attrs6 = kOriginIgp +
                       Attr(0x40, kAttrAsPath, AsPathSeg(kAsSequence, {200334, 6939}, 4)) +
                       Attr(0x80, kAttrMpReach, reach);
  Bytes rib6;
  rib6.U32(8).U8(46).Ip6({0x2001, 0x579, 0x1040, 0, 0, 0, 0, 0}).str();
  std::string rib6s = rib6.str().substr(0, 4 + 1 + 6);
  Bytes rib6b;
  rib6b.Raw(rib6s).U16(2);
  rib6b.U16(1).U32(1537000000).U16(static_cast<unsigned>(attrs6.size())).Raw(attrs6);
  rib6b.U16(0).U32(1537000000).U16(static_cast<unsigned>(attrs6.size())).Raw(attrs6);
  Bytes ap;
  ap.U32(9).U8(24).Ip4({10, 0, 11}).U16(2);
  ap.U16(0).U32(1).U32(36).U16(static_cast<unsigned>(attrs4.size())).Raw(attrs4);
  ap.U16(0).U32(1).U32(38).U16(static_cast<unsigned>(attrs4.size())).Raw(attrs4);
  std::string bytes = PeerTable() + Mrt(1537344000, kMrtTableDumpV2, 2, rib4.str()) +
                      Mrt(1537344000, kMrtTableDumpV2, 4, rib6b.str()) +
                      Mrt(1537344000, kMrtTableDumpV2, 8, ap.str());
  Dumped d = Dump(bytes);
  EXPECT_TRUE(d.problems.empty());
  EXPECT_EQ(d.lines,
            "TABLE_DUMP2|1537344000|B|193.0.0.56|3333|10.0.10.0/23|3333 2914|IGP|"
            "193.203.0.1|100|0||NAG||\n"
            "TABLE_DUMP2|1537344000|B|2001:1890:111d:1::63|200334|2001:579:1040::/46|200334 6939|"
            "IGP|2001:1890:111d:1::63|0|0||NAG||\n"
            "TABLE_DUMP2|1537344000|B|193.0.0.56|3333|2001:579:1040::/46|200334 6939|"
            "IGP|2001:1890:111d:1::63|0|0||NAG||\n"
            "TABLE_DUMP2_AP|1537344000|B|193.0.0.56|3333|10.0.11.0/24|36|3333 2914|IGP|"
            "193.203.0.1|100|0||NAG||\n"
            "TABLE_DUMP2_AP|1537344000|B|193.0.0.56|3333|10.0.11.0/24|38|3333 2914|IGP|"
            "193.203.0.1|100|0||NAG||\n");
  ExpectSameAsBgpdump(bytes, d.lines);
}

TEST(MrtReaderTest, BgpdumpQuirksForMpIpv4AndLocalIpv6Withdrawals) {
  // IPv4 NLRI in MP_REACH prints LOCAL_PREF/MED as signed; IPv6 withdrawals sent to an
  // IPv4 peer (a LOCAL message) print that peer through the IPv6 formatter.
  std::string reach =
      Bytes().U16(1).U8(1).U8(4).Ip4({10, 9, 9, 9}).U8(0).U8(24).Ip4({10, 0, 3}).str();
  std::string unreach = Bytes().U16(2).U8(1).U8(32).U16(0x2001).U16(0xdb8).str();
  std::string attrs = kOriginIgp + Attr(0x40, kAttrLocalPref, Bytes().U32(3000000000u).str()) +
                      Attr(0x80, kAttrMpReach, reach) + Attr(0x80, kAttrMpUnreach, unreach);
  std::string bytes = Mrt(3, kMrtBgp4mp, 7, Message(4, 65000, 65001, false, Update("", attrs, "")));
  Dumped d = Dump(bytes);
  EXPECT_TRUE(d.problems.empty());
  EXPECT_EQ(d.lines,
            "BGP4MP_LOCAL|3|W|c1cb:1::|65000|2001:db8::/32\n"
            "BGP4MP_LOCAL|3|A|193.203.0.1|65000|10.0.3.0/24||IGP|10.9.9.9|-1294967296|0||NAG||\n");
  ExpectSameAsBgpdump(bytes, d.lines);
}

TEST(MrtReaderTest, VeryLongAsPathIsCutLikeBgpdump) {
  Bytes path;
  for (int seg = 0; seg < 4; ++seg) {
    path.U8(kAsSequence).U8(255);
    for (int i = 0; i < 255; ++i) path.U32(4200000000u + static_cast<uint32_t>(i));
  }
  std::string attrs = kOriginIgp + Attr(0x40, kAttrAsPath, path.str()) + kNextHop;
  std::string bytes =
      Mrt(3, kMrtBgp4mp, 4, Message(4, 1, 2, false, Update("", attrs, Bytes().U8(8).U8(10).str())));
  Dumped d = Dump(bytes);
  EXPECT_TRUE(d.problems.empty());
  EXPECT_NE(d.lines.find("...|IGP|"), std::string::npos);
  EXPECT_LT(d.lines.size(), 8100u);
  ExpectSameAsBgpdump(bytes, d.lines);
}

TEST(MrtReaderTest, NlriHostBitsAreCleared) {
  // bgpdump >= 1.6.3 prints 11.8.0.0/13 for 11.13.0.0/13 (Debian's 1.6.2 does not).
  std::string bytes =
      Mrt(1, kMrtBgp4mp, 1,
          Message(2, 7018, 1, false,
                  Update("", kOriginIgp + kNextHop, Bytes().U8(13).U8(11).U8(13).str())));
  Dumped d = Dump(bytes);
  EXPECT_EQ(d.lines, "BGP4MP|1|A|193.203.0.1|7018|11.8.0.0/13||IGP|193.203.0.1|0|0||NAG||\n");
}

TEST(MrtReaderTest, TruncatedHeaderIsAnErrorWithOffset) {
  std::string state = Mrt(
      10, kMrtBgp4mp, 0,
      Bytes().U16(1).U16(2).U16(0).U16(1).Ip4({1, 2, 3, 4}).Ip4({5, 6, 7, 8}).U16(1).U16(2).str());
  Dumped d = Dump(state + state.substr(0, 7));
  EXPECT_EQ(d.lines, "BGP4MP|10|STATE|1.2.3.4|1|1|2\n");
  EXPECT_NE(d.error.find("offset 32: truncated MRT header"), std::string::npos) << d.error;
}

TEST(MrtReaderTest, TruncatedBodyIsAnError) {
  std::string state = Mrt(10, kMrtBgp4mp, 0, std::string(20, '\0'));
  Dumped d = Dump(state.substr(0, state.size() - 1));
  EXPECT_NE(d.error.find("offset 0: truncated MRT record (31 of 32 bytes)"), std::string::npos)
      << d.error;
}

TEST(MrtReaderTest, OversizedRecordIsRefusedWithoutAllocating) {
  std::string header = Bytes().U32(1).U16(kMrtTableDumpV2).U16(2).U32(0xfffffff0).str();
  MrtReader::Options options;
  options.max_record_bytes = 1 << 16;
  Dumped d = Dump(header + "xyz", options);
  EXPECT_NE(d.error.find("exceeds"), std::string::npos) << d.error;
}

TEST(MrtReaderTest, MalformedBodiesAreReportedAndDecodedAsFarAsPossible) {
  // Attribute claiming more bytes than the UPDATE holds.
  std::string attrs =
      kOriginIgp + Bytes().U8(0x40).U8(kAttrAsPath).U8(200).U8(2).U8(1).U16(5).str();
  std::string bad_attr = Mrt(1, kMrtBgp4mp, 1, Message(2, 1, 2, false, Update("", attrs, "")));
  // Bad BGP marker.
  std::string bad_marker =
      Mrt(1, kMrtBgp4mp, 1, Message(2, 1, 2, false, std::string(16, '\0') + "\x00\x13\x04"));
  // RIB before any peer table, then a peer index out of range.
  Bytes rib;
  rib.U32(1).U8(8).U8(10).U16(1).U16(5).U32(0).U16(0);
  std::string rib_rec = Mrt(1, kMrtTableDumpV2, 2, rib.str());
  // AS_PATH segment running past its attribute.
  std::string bad_path =
      kOriginIgp + Attr(0x40, kAttrAsPath, Bytes().U8(2).U8(3).U16(1).str()) + kNextHop;
  std::string bad_path_rec = Mrt(
      1, kMrtBgp4mp, 1, Message(2, 1, 2, false, Update("", bad_path, Bytes().U8(8).U8(10).str())));
  Dumped d = Dump(bad_attr + bad_marker + rib_rec + PeerTable() + rib_rec + bad_path_rec);
  EXPECT_EQ(d.error, "");
  ASSERT_EQ(d.problems.size(), 5u);
  EXPECT_NE(d.problems[0].find("attribute 2 truncated"), std::string::npos) << d.problems[0];
  EXPECT_NE(d.problems[1].find("marker"), std::string::npos) << d.problems[1];
  EXPECT_NE(d.problems[2].find("before any PEER_INDEX_TABLE"), std::string::npos);
  EXPECT_NE(d.problems[3].find("peer index 5"), std::string::npos);
  EXPECT_NE(d.problems[4].find("AS_PATH"), std::string::npos);
  EXPECT_EQ(d.lines, "BGP4MP|1|A|193.203.0.1|1|10.0.0.0/8|! Error !|IGP|193.203.0.1|0|0||NAG||\n");
}

TEST(MrtReaderTest, GarbageNeverCrashesOrLoops) {
  std::mt19937 rng(42);
  std::string valid =
      PeerTable() +
      Mrt(1, kMrtBgp4mp, 9,
          Message(4, 65001, 65000, false,
                  Update(Bytes().U32(3).U8(24).Ip4({10, 0, 1}).str(), kOriginIgp + kNextHop, "")));
  for (int round = 0; round < 3000; ++round) {
    std::string bytes = valid;
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < flips; ++i) {
      bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xff);
    }
    if (round % 3 == 0) bytes.resize(rng() % bytes.size());
    MrtReader::Options options;
    options.max_record_bytes = 1 << 16;
    Dumped d = Dump(bytes, options);
    (void)d;
  }
  std::string noise(1 << 16, '\0');
  for (char& c : noise) c = static_cast<char>(rng() & 0xff);
  Dumped d = Dump(noise);
  SUCCEED();
}

TEST(MrtReaderTest, OpenReportsMissingFile) {
  auto reader = MrtReader::Open("/nonexistent/vigil.mrt");
  ASSERT_FALSE(reader.has_value());
  EXPECT_EQ(reader.error().failure, "io_error");
}

}  // namespace
}  // namespace vigil::disruption
