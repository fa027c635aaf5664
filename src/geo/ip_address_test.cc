#include "geo/ip_address.h"

#include <gtest/gtest.h>

namespace vigil::geo {
namespace {

TEST(ParseIpTest, IPv4IsStoredMapped) {
  auto ip = ParseIp("8.8.4.1");
  ASSERT_TRUE(ip.has_value());
  EXPECT_TRUE(ip->IsV4());
  EXPECT_EQ(ip->V4(), 0x08080401u);
  EXPECT_EQ(ip->bytes, (std::array<uint8_t, 16>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 8, 8,
                                                4, 1}));
  EXPECT_EQ(ip->ToString(), "8.8.4.1");
  EXPECT_EQ(ParseIp("::ffff:8.8.4.1"), ip);
  EXPECT_EQ(ParseIp("::ffff:808:401"), ip);
  EXPECT_EQ(IpAddress::FromV4(0x08080401u), *ip);
}

TEST(ParseIpTest, IPv6) {
  auto ip = ParseIp("2001:DB8::1");
  ASSERT_TRUE(ip.has_value());
  EXPECT_FALSE(ip->IsV4());
  EXPECT_EQ(ip->Hi(), 0x20010db800000000u);
  EXPECT_EQ(ip->Lo(), 1u);
  EXPECT_EQ(ip->ToString(), "2001:db8::1");
  EXPECT_EQ(ParseIp("::")->Hi(), 0u);
  EXPECT_FALSE(ParseIp("::1")->IsV4());
  EXPECT_EQ(ParseIp("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")->Lo(), ~uint64_t{0});
}

TEST(ParseIpTest, RejectsNonAddresses) {
  using namespace std::string_view_literals;
  const std::string_view cases[] = {
      ""sv, " 1.2.3.4", "1.2.3.4 ", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.04", "01.2.3.4",
      "0x7f.0.0.1", "example.com", "[::1]", "::1%eth0", "1.2.3.4:80", "2001:db8:::1",
      "2001:db8::1::2", "12345::", "1.2.3.4\0"sv,
      "1111:2222:3333:4444:5555:6666:7777:8888:9999"};
  for (std::string_view bad : cases) {
    EXPECT_FALSE(ParseIp(bad).has_value()) << bad;
  }
}

TEST(ParseIpTest, OrdersNumerically) {
  EXPECT_LT(*ParseIp("9.255.255.255"), *ParseIp("10.0.0.0"));
  EXPECT_LT(*ParseIp("255.255.255.255"), *ParseIp("::1:0:0:0"));
  EXPECT_LT(*ParseIp("::1"), *ParseIp("0.0.0.0"));  // ::1 sorts below ::ffff:0:0
}

}  // namespace
}  // namespace vigil::geo
