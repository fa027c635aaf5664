#include "net/fake_network.h"

#include <gtest/gtest.h>

#include <chrono>

#include "net/test_servers.h"

namespace vigil::net {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using testing::RunTask;

const asio::ip::tcp::endpoint kWeb(asio::ip::make_address("192.0.2.1"), 443);

TEST(FakeNetworkTest, ReturnsScriptedResultsStampedWithTheTimeline) {
  asio::io_context io;
  FakeClock clock;
  Timeline timeline(clock);
  clock.Advance(1500ms);
  FakeNetwork network;
  DnsQueryResult lookup;
  lookup.answers.push_back(DnsAnswer{"A", "192.0.2.1", "", "", 60});
  network.ScriptSystemLookup("example.com", lookup);
  TlsProbe tls;
  tls.tls_handshake.emplace().failure = "ssl_invalid_hostname";
  network.ScriptTlsHandshake(kWeb, "example.com", tls);

  auto dns = RunTask(io, network.LookupSystem("example.com", timeline));
  EXPECT_EQ(dns.engine, "system");
  ASSERT_EQ(dns.answers.size(), 1u);
  EXPECT_DOUBLE_EQ(dns.t, 1.5);

  TlsOptions options;
  options.server_name = "example.com";
  auto probe = RunTask(io, network.TlsHandshake(kWeb, options, timeline));
  EXPECT_TRUE(probe.tcp_connect.success);
  ASSERT_TRUE(probe.tls_handshake.has_value());
  EXPECT_EQ(probe.tls_handshake->failure, "ssl_invalid_hostname");
  EXPECT_EQ(probe.tls_handshake->address, "192.0.2.1:443");

  std::vector<std::string> expected = {"LookupSystem example.com",
                                       "TlsHandshake 192.0.2.1:443 sni=example.com"};
  EXPECT_EQ(network.calls(), expected);
}

TEST(FakeNetworkTest, UnscriptedOperationsFailAsConfigured) {
  asio::io_context io;
  FakeClock clock;
  Timeline timeline(clock);
  FakeNetwork network;
  EXPECT_EQ(RunTask(io, network.TcpConnect(kWeb, timeline)).failure, "generic_timeout_error");
  network.set_unscripted_failure("connection_refused");
  auto tcp = RunTask(io, network.TcpConnect(kWeb, timeline));
  EXPECT_FALSE(tcp.success);
  EXPECT_EQ(tcp.failure, "connection_refused");
  auto http = RunTask(io, network.HttpGet("http://example.com/", {}, timeline));
  EXPECT_EQ(http.failure, "connection_refused");
  auto udp = RunTask(io, network.LookupUdp("example.com", DnsQueryType::kA,
                                           {asio::ip::make_address("192.0.2.53"), 53}, timeline));
  ASSERT_TRUE(udp.has_value());
  ASSERT_EQ(udp->size(), 1u);
  EXPECT_EQ((*udp)[0].resolver_address, "192.0.2.53:53");
}

TEST(FakeNetworkTest, UdpLookupReturnsEveryScriptedAnswer) {
  asio::io_context io;
  FakeClock clock;
  FakeNetwork network;
  DnsQueryResult forged;
  forged.answers.push_back(DnsAnswer{"A", "10.10.34.35", "", "", 0});
  DnsQueryResult real;
  real.answers.push_back(DnsAnswer{"A", "192.0.2.1", "", "", 0});
  network.ScriptUdpLookup("example.com", DnsQueryType::kA, {forged, real});
  auto udp = RunTask(io, network.LookupUdp("example.com", DnsQueryType::kA,
                                           {asio::ip::make_address("192.0.2.53"), 53},
                                           Timeline(clock)));
  ASSERT_TRUE(udp.has_value());
  ASSERT_EQ(udp->size(), 2u);
  EXPECT_EQ((*udp)[0].engine, "udp");
  EXPECT_EQ((*udp)[1].answers[0].ipv4, "192.0.2.1");
}

}  // namespace
}  // namespace vigil::net
