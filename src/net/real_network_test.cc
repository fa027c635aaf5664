#include "net/network.h"

#include <gtest/gtest.h>

#include <chrono>

#include "net/test_servers.h"

namespace vigil::net {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using testing::RunTask;

TEST(RealNetworkTest, SystemLookupOfLocalhostAndOfAnIpLiteral) {
  asio::io_context io;
  RealClock clock;
  auto network = RealNetwork::Create();
  ASSERT_TRUE(network.has_value());
  // A numeric host never leaves the machine.
  auto literal = RunTask(io, (*network)->LookupSystem("127.0.0.1", Timeline(clock)));
  EXPECT_EQ(literal.engine, "system");
  EXPECT_EQ(literal.query_type, "ANY");
  EXPECT_EQ(literal.failure, std::nullopt);
  ASSERT_EQ(literal.answers.size(), 1u);
  EXPECT_EQ(literal.answers[0].ipv4, "127.0.0.1");
}

TEST(RealNetworkTest, TcpConnectAndTlsProbeOnLoopback) {
  asio::io_context io;
  RealClock clock;
  auto pki = testing::TestPki::Make("site.test");
  NetworkOptions options;
  options.extra_ca_file = pki.ca_file;
  auto network = RealNetwork::Create(options);
  ASSERT_TRUE(network.has_value());
  testing::TlsTestServer server(io, pki.leaf_cert_pem, pki.leaf_key_pem,
                                testing::TlsTestServer::Mode::kHandshake);
  auto tcp = RunTask(io, (*network)->TcpConnect(server.endpoint(), Timeline(clock)));
  EXPECT_TRUE(tcp.success);
  TlsOptions tls;
  tls.server_name = "site.test";
  auto probe = RunTask(io, (*network)->TlsHandshake(server.endpoint(), tls, Timeline(clock)));
  EXPECT_TRUE(probe.tcp_connect.success);
  ASSERT_TRUE(probe.tls_handshake.has_value());
  EXPECT_EQ(probe.tls_handshake->failure, std::nullopt);
}

TEST(RealNetworkTest, MissingCaFileIsAnError) {
  NetworkOptions options;
  options.extra_ca_file = "/nonexistent/vigil-ca.pem";
  auto network = RealNetwork::Create(options);
  ASSERT_FALSE(network.has_value());
  EXPECT_EQ(network.error().failure, "io_error");
}

}  // namespace
}  // namespace vigil::net
