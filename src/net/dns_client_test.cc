#include "net/dns_client.h"

#include <gtest/gtest.h>

#include <chrono>

#include "net/test_servers.h"

namespace vigil::net {
namespace {

using namespace std::chrono_literals;
using testing::DnsTestServer;
using testing::MakeDnsResponse;
using testing::RunTask;

class DnsClientTest : public ::testing::Test {
 protected:
  std::vector<DnsQueryResult> Lookup(DnsTestServer& server, std::string hostname,
                                     DnsQueryType type = DnsQueryType::kA,
                                     DnsUdpOptions options = FastOptions()) {
    auto result = RunTask(io_, LookupUdp(std::move(hostname), type, server.endpoint(), options,
                                         Timeline(clock_)));
    EXPECT_TRUE(result.has_value());
    return result.value_or(std::vector<DnsQueryResult>{});
  }
  static DnsUdpOptions FastOptions() {
    DnsUdpOptions options;
    options.timeout = 2s;
    options.collect_window = 300ms;
    return options;
  }

  boost::asio::io_context io_;
  RealClock clock_;
};

TEST_F(DnsClientTest, RecordsForgedAndRealAnswersAsTwoEntries) {
  DnsTestServer server(io_, [](const Bytes& query) {
    return std::vector<Bytes>{MakeDnsResponse(query, 0, {"example.com. 60 IN A 10.10.34.35"}),
                              MakeDnsResponse(query, 0, {"example.com. 60 IN A 192.0.2.80"})};
  });
  auto results = Lookup(server, "example.com");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].engine, "udp");
  EXPECT_EQ(results[0].resolver_address, "127.0.0.1:" + std::to_string(server.endpoint().port()));
  EXPECT_EQ(results[0].query_type, "A");
  EXPECT_EQ(results[0].hostname, "example.com");
  ASSERT_EQ(results[0].answers.size(), 1u);
  EXPECT_EQ(results[0].answers[0].ipv4, "10.10.34.35");
  ASSERT_EQ(results[1].answers.size(), 1u);
  EXPECT_EQ(results[1].answers[0].ipv4, "192.0.2.80");
  EXPECT_EQ(results[0].failure, std::nullopt);
  EXPECT_EQ(results[1].failure, std::nullopt);
  EXPECT_FALSE(results[0].raw_response.empty());
  EXPECT_LE(results[0].t0, results[0].t);
  EXPECT_LE(results[0].t, results[1].t);
}

TEST_F(DnsClientTest, IgnoresWrongIdGarbageAndOtherQuestions) {
  DnsTestServer server(io_, [](const Bytes& query) {
    const std::uint16_t wrong_id = static_cast<std::uint16_t>(((query[0] << 8) | query[1]) ^ 1);
    return std::vector<Bytes>{
        Bytes{0xde, 0xad, 0xbe, 0xef},
        MakeDnsResponse(query, 0, {"example.com. 60 IN A 10.0.0.1"}, false, wrong_id),
        MakeDnsResponse(query, 0, {"example.com. 60 IN A 192.0.2.1"})};
  });
  auto results = Lookup(server, "example.com");
  ASSERT_EQ(results.size(), 1u);
  ASSERT_EQ(results[0].answers.size(), 1u);
  EXPECT_EQ(results[0].answers[0].ipv4, "192.0.2.1");
}

TEST_F(DnsClientTest, NxdomainIsRecorded) {
  DnsTestServer server(io_, [](const Bytes& query) {
    return std::vector<Bytes>{MakeDnsResponse(query, 3, {})};
  });
  auto results = Lookup(server, "blocked.example");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].failure, "dns_nxdomain_error");
}

TEST_F(DnsClientTest, RefusedServfailAndNoAnswer) {
  int rcode = 5;
  DnsTestServer server(io_, [&rcode](const Bytes& query) {
    return std::vector<Bytes>{MakeDnsResponse(query, rcode, {})};
  });
  EXPECT_EQ(Lookup(server, "a.example").at(0).failure, "dns_refused_error");
  rcode = 2;
  EXPECT_EQ(Lookup(server, "a.example").at(0).failure, "dns_server_misbehaving");
  rcode = 0;
  EXPECT_EQ(Lookup(server, "a.example", DnsQueryType::kAAAA).at(0).failure, "dns_no_answer");
}

TEST_F(DnsClientTest, TruncatedAnswerIsRetriedOverTcp) {
  DnsTestServer server(
      io_,
      [](const Bytes& query) { return std::vector<Bytes>{MakeDnsResponse(query, 0, {}, true)}; },
      [](const Bytes& query) {
        return MakeDnsResponse(query, 0, {"example.com. 60 IN AAAA 2001:db8::5"});
      });
  auto results = Lookup(server, "example.com", DnsQueryType::kAAAA);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(server.tcp_queries(), 1);
  EXPECT_EQ(results[0].engine, "tcp");
  EXPECT_EQ(results[0].failure, std::nullopt);
  ASSERT_EQ(results[0].answers.size(), 1u);
  EXPECT_EQ(results[0].answers[0].ipv6, "2001:db8::5");
}

TEST_F(DnsClientTest, SilenceIsATimeout) {
  DnsTestServer server(io_, [](const Bytes&) { return std::vector<Bytes>{}; });
  DnsUdpOptions options = FastOptions();
  options.timeout = 200ms;
  const auto start = std::chrono::steady_clock::now();
  auto results = Lookup(server, "example.com", DnsQueryType::kA, options);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].failure, "generic_timeout_error");
  EXPECT_TRUE(results[0].answers.empty());
}

TEST_F(DnsClientTest, HundredsOfRecordsAndAFloodOfDatagramsAreBounded) {
  DnsTestServer server(
      io_,
      [](const Bytes& query) {
        std::vector<std::string> many;
        for (int i = 0; i < 300; ++i) many.push_back("example.com. 1 IN A 10.1.1." + std::to_string(i % 250));
        std::vector<Bytes> replies(40, MakeDnsResponse(query, 0, many));
        return replies;
      },
      nullptr, 1ms);
  DnsUdpOptions options = FastOptions();
  options.max_responses = 5;
  auto results = Lookup(server, "example.com", DnsQueryType::kA, options);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0].answers.size(), 256u);
}

TEST_F(DnsClientTest, InvalidHostnameIsAnError) {
  DnsTestServer server(io_, [](const Bytes&) { return std::vector<Bytes>{}; });
  auto result = RunTask(io_, LookupUdp("", DnsQueryType::kA, server.endpoint(), FastOptions(),
                                       Timeline(clock_)));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().failure, "invalid_argument");
}

}  // namespace
}  // namespace vigil::net
