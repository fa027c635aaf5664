#include "geo/bogon.h"

#include <gtest/gtest.h>

namespace vigil::geo {
namespace {

struct Boundary {
  const char* last_outside_below;  // "" when the range starts at the bottom
  const char* first_inside;
  const char* last_inside;
  const char* first_outside_above;  // "" when the range ends at the top
};

void ExpectBoundary(const Boundary& b) {
  if (*b.last_outside_below != '\0') {
    EXPECT_FALSE(IsBogon(b.last_outside_below)) << b.last_outside_below;
  }
  EXPECT_TRUE(IsBogon(b.first_inside)) << b.first_inside;
  EXPECT_TRUE(IsBogon(b.last_inside)) << b.last_inside;
  if (*b.first_outside_above != '\0') {
    EXPECT_FALSE(IsBogon(b.first_outside_above)) << b.first_outside_above;
  }
}

TEST(IsBogonTest, IPv4RangesBothSidesOfEachBoundary) {
  const Boundary cases[] = {
      {"", "0.0.0.0", "0.255.255.255", "1.0.0.0"},
      {"9.255.255.255", "10.0.0.0", "10.255.255.255", "11.0.0.0"},
      {"100.63.255.255", "100.64.0.0", "100.127.255.255", "100.128.0.0"},
      {"126.255.255.255", "127.0.0.0", "127.255.255.255", "128.0.0.0"},
      {"169.253.255.255", "169.254.0.0", "169.254.255.255", "169.255.0.0"},
      {"172.15.255.255", "172.16.0.0", "172.31.255.255", "172.32.0.0"},
      {"191.255.255.255", "192.0.0.0", "192.0.0.255", "192.0.1.0"},
      {"192.0.1.255", "192.0.2.0", "192.0.2.255", "192.0.3.0"},
      {"192.167.255.255", "192.168.0.0", "192.168.255.255", "192.169.0.0"},
      {"198.17.255.255", "198.18.0.0", "198.19.255.255", "198.20.0.0"},
      {"198.51.99.255", "198.51.100.0", "198.51.100.255", "198.51.101.0"},
      {"203.0.112.255", "203.0.113.0", "203.0.113.255", "203.0.114.0"},
      {"223.255.255.255", "224.0.0.0", "239.255.255.255", ""},
      {"", "240.0.0.0", "255.255.255.255", ""},
  };
  for (const Boundary& b : cases) ExpectBoundary(b);
}

TEST(IsBogonTest, PublicIPv4) {
  for (const char* ip : {"1.1.1.1", "8.8.8.8", "41.202.219.1", "102.176.0.1", "197.159.1.1",
                         "192.88.99.1", "223.255.255.255", "100.63.0.1", "172.217.0.1"}) {
    EXPECT_FALSE(IsBogon(ip)) << ip;
  }
}

TEST(IsBogonTest, IPv6SpecialPurpose) {
  for (const char* ip :
       {"::", "::1", "::2", "::1.2.3.4", "100::", "100::ffff:ffff:ffff:ffff", "fc00::",
        "fd12:3456::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::1",
        "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fec0::1", "ff00::", "ff02::1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::", "2001:db8:ffff::1",
        "2001:2::1", "2001:2:0:ffff::1", "2001:10::1", "2001:1f:ffff::1", "3fff::1",
        "3fff:fff:ffff::1", "64:ff9b:1::1", "5f00::1", "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "4000::"}) {
    EXPECT_TRUE(IsBogon(ip)) << ip;
  }
}

TEST(IsBogonTest, IPv6GlobalUnicast) {
  for (const char* ip :
       {"2000::", "2001:4860:4860::8888", "2606:4700:4700::1111", "2001:db7:ffff::1",
        "2001:db9::1", "2001:0::1", "2001:3::1", "2001:20::1", "2001:3:ffff::1",
        "2c0f:fff0::1", "3ffe::1", "3fff:1000::1", "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}) {
    EXPECT_FALSE(IsBogon(ip)) << ip;
  }
}

TEST(IsBogonTest, IPv6WithEmbeddedIPv4IsJudgedByIt) {
  EXPECT_TRUE(IsBogon("::ffff:10.1.2.3"));
  EXPECT_TRUE(IsBogon("::ffff:192.168.1.1"));
  EXPECT_FALSE(IsBogon("::ffff:8.8.8.8"));
  EXPECT_TRUE(IsBogon("64:ff9b::10.0.0.1"));
  EXPECT_TRUE(IsBogon("64:ff9b::127.0.0.1"));
  EXPECT_FALSE(IsBogon("64:ff9b::8.8.8.8"));
  EXPECT_TRUE(IsBogon("2002:c0a8:101::1"));  // 6to4 of 192.168.1.1
  EXPECT_TRUE(IsBogon("2002:a00::"));        // 6to4 of 10.0.0.0
  EXPECT_FALSE(IsBogon("2002:808:808::1"));  // 6to4 of 8.8.8.8
}

TEST(IsBogonTest, NonAddressesAreNotBogons) {
  EXPECT_FALSE(IsBogon(""));
  EXPECT_FALSE(IsBogon("localhost"));
  EXPECT_FALSE(IsBogon("10.0.0"));
}

TEST(IsBogonTest, ParsedAndTextFormsAgree) {
  EXPECT_TRUE(IsBogon(*ParseIp("172.20.1.1")));
  EXPECT_FALSE(IsBogon(*ParseIp("2001:4860::1")));
}

}  // namespace
}  // namespace vigil::geo
