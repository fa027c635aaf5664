#include "net/dns_wire.h"

#include <gtest/gtest.h>

#include <string>

#include "net/test_servers.h"

namespace vigil::net {
namespace {

using testing::MakeDnsResponse;

TEST(DnsWireTest, ParsesAnswersOfAResponseToOurQuery) {
  auto query = BuildDnsQuery("example.com", DnsQueryType::kA, 0x1234);
  ASSERT_TRUE(query.has_value());
  Bytes wire = MakeDnsResponse(*query, 0,
                               {"example.com. 60 IN CNAME www.example.com.",
                                "www.example.com. 30 IN A 192.0.2.7"});
  auto parsed = ParseDnsResponse(wire);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(MatchesQuery(*parsed, 0x1234, "example.com", DnsQueryType::kA));
  EXPECT_TRUE(MatchesQuery(*parsed, 0x1234, "EXAMPLE.com.", DnsQueryType::kA));
  EXPECT_FALSE(MatchesQuery(*parsed, 0x1235, "example.com", DnsQueryType::kA));
  EXPECT_FALSE(MatchesQuery(*parsed, 0x1234, "example.org", DnsQueryType::kA));
  EXPECT_FALSE(MatchesQuery(*parsed, 0x1234, "example.com", DnsQueryType::kAAAA));
  ASSERT_EQ(parsed->answers.size(), 2u);
  EXPECT_EQ(parsed->answers[0].answer_type, "CNAME");
  EXPECT_EQ(parsed->answers[0].hostname, "www.example.com.");
  EXPECT_EQ(parsed->answers[1].answer_type, "A");
  EXPECT_EQ(parsed->answers[1].ipv4, "192.0.2.7");
  EXPECT_EQ(parsed->answers[1].ttl, 30u);
  EXPECT_EQ(DnsFailureFor(*parsed, DnsQueryType::kA), std::nullopt);
  EXPECT_EQ(DnsFailureFor(*parsed, DnsQueryType::kAAAA), "dns_no_answer");
}

TEST(DnsWireTest, ParsesAaaa) {
  auto query = BuildDnsQuery("example.com", DnsQueryType::kAAAA, 7);
  ASSERT_TRUE(query.has_value());
  auto parsed = ParseDnsResponse(MakeDnsResponse(*query, 0, {"example.com. 5 IN AAAA 2001:db8::1"}));
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->answers.size(), 1u);
  EXPECT_EQ(parsed->answers[0].ipv6, "2001:db8::1");
}

TEST(DnsWireTest, MapsRcodesToOoniFailures) {
  auto query = BuildDnsQuery("example.com", DnsQueryType::kA, 1);
  ASSERT_TRUE(query.has_value());
  auto failure_for = [&](int rcode) {
    auto parsed = ParseDnsResponse(MakeDnsResponse(*query, rcode, {}));
    EXPECT_TRUE(parsed.has_value());
    return DnsFailureFor(*parsed, DnsQueryType::kA);
  };
  EXPECT_EQ(failure_for(3), "dns_nxdomain_error");
  EXPECT_EQ(failure_for(5), "dns_refused_error");
  EXPECT_EQ(failure_for(2), "dns_server_misbehaving");
  EXPECT_EQ(failure_for(0), "dns_no_answer");
}

TEST(DnsWireTest, RejectsInvalidHostnames) {
  EXPECT_FALSE(BuildDnsQuery("", DnsQueryType::kA, 1).has_value());
  EXPECT_FALSE(BuildDnsQuery(std::string(300, 'a'), DnsQueryType::kA, 1).has_value());
  EXPECT_FALSE(BuildDnsQuery(std::string(70, 'a') + ".com", DnsQueryType::kA, 1).has_value());
}

TEST(DnsWireTest, GarbageNeverCrashes) {
  Bytes garbage;
  for (int i = 0; i < 2000; ++i) {
    garbage.push_back(static_cast<std::uint8_t>((i * 131 + 7) & 0xff));
    if (i % 7 == 0) (void)ParseDnsResponse(garbage);
  }
  EXPECT_FALSE(ParseDnsResponse(Bytes{1, 2, 3}).has_value());
  // Every truncation of a valid response parses or fails cleanly.
  auto query = BuildDnsQuery("example.com", DnsQueryType::kA, 9);
  ASSERT_TRUE(query.has_value());
  Bytes valid = MakeDnsResponse(*query, 0, {"example.com. 1 IN A 192.0.2.1"});
  for (std::size_t n = 0; n <= valid.size(); ++n) {
    (void)ParseDnsResponse(std::span<const std::uint8_t>(valid.data(), n));
  }
}

TEST(DnsWireTest, KeepsAtMostMaxAnswers) {
  auto query = BuildDnsQuery("example.com", DnsQueryType::kA, 3);
  ASSERT_TRUE(query.has_value());
  std::vector<std::string> many;
  for (int i = 0; i < 400; ++i) {
    many.push_back("example.com. 1 IN A 10.0." + std::to_string(i / 256) + "." +
                   std::to_string(i % 256));
  }
  auto parsed = ParseDnsResponse(MakeDnsResponse(*query, 0, many));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->answers.size(), kMaxDnsAnswers);
}

}  // namespace
}  // namespace vigil::net
