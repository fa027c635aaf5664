#include "net/tls_handshake.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <chrono>

#include "net/tcp_connect.h"
#include "net/test_servers.h"

namespace vigil::net {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using testing::RunTask;
using testing::TestPki;
using testing::TlsTestServer;
using Mode = TlsTestServer::Mode;

class TlsHandshakeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new TestPki(TestPki::Make("site.test")); }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  TlsConnection Handshake(const TlsTestServer& server, TlsOptions options,
                          bool trust_test_ca = true) {
    auto context = TlsClientContext::Create(trust_test_ca ? pki_->ca_file : "");
    EXPECT_TRUE(context.has_value());
    Timeline timeline(clock_);
    return RunTask(io_, [&]() -> asio::awaitable<TlsConnection> {
      auto tcp = co_await DialTcp(server.endpoint(), 5s, timeline);
      EXPECT_TRUE(tcp.socket.has_value());
      co_return co_await HandshakeTls(std::move(*tcp.socket), *context, options, timeline);
    }());
  }

  static TlsOptions Options(std::string sni) {
    TlsOptions options;
    options.server_name = std::move(sni);
    options.timeout = 3s;
    return options;
  }

  static TestPki* pki_;
  asio::io_context io_;
  RealClock clock_;
};
TestPki* TlsHandshakeTest::pki_ = nullptr;

TEST_F(TlsHandshakeTest, SucceedsWithTheTestCaAndRecordsTheChain) {
  TlsTestServer server(io_, pki_->leaf_cert_pem, pki_->leaf_key_pem, Mode::kHandshake);
  TlsOptions options = Options("site.test");
  options.alpn = {"h2", "http/1.1"};
  auto connection = Handshake(server, options);
  EXPECT_EQ(connection.result.failure, std::nullopt);
  ASSERT_NE(connection.stream, nullptr);
  EXPECT_EQ(server.last_sni(), "site.test");
  EXPECT_EQ(connection.result.server_name, "site.test");
  EXPECT_EQ(connection.result.tls_version, "TLSv1.3");
  EXPECT_EQ(connection.result.cipher_suite.rfind("TLS_", 0), 0u);
  EXPECT_EQ(connection.result.negotiated_protocol, "");  // the server does no ALPN
  EXPECT_EQ(connection.result.address, "127.0.0.1:" + std::to_string(server.endpoint().port()));
  ASSERT_EQ(connection.result.peer_certificates.size(), 1u);
  const unsigned char* der = connection.result.peer_certificates[0].data();
  X509* cert = d2i_X509(nullptr, &der,
                        static_cast<long>(connection.result.peer_certificates[0].size()));
  ASSERT_NE(cert, nullptr);
  X509_free(cert);
}

TEST_F(TlsHandshakeTest, UnknownCaIsSslUnknownAuthorityButTheChainIsKept) {
  TlsTestServer server(io_, pki_->leaf_cert_pem, pki_->leaf_key_pem, Mode::kHandshake);
  auto connection = Handshake(server, Options("site.test"), /*trust_test_ca=*/false);
  EXPECT_EQ(connection.result.failure, "ssl_unknown_authority");
  EXPECT_EQ(connection.stream, nullptr);
  EXPECT_EQ(connection.result.peer_certificates.size(), 1u);
}

TEST_F(TlsHandshakeTest, SelfSignedIsSslUnknownAuthority) {
  TlsTestServer server(io_, pki_->self_signed_cert_pem, pki_->self_signed_key_pem,
                       Mode::kHandshake);
  EXPECT_EQ(Handshake(server, Options("site.test")).result.failure, "ssl_unknown_authority");
}

TEST_F(TlsHandshakeTest, OtherSniIsSslInvalidHostname) {
  TlsTestServer server(io_, pki_->leaf_cert_pem, pki_->leaf_key_pem, Mode::kHandshake);
  auto connection = Handshake(server, Options("blocked.example"));
  EXPECT_EQ(connection.result.failure, "ssl_invalid_hostname");
  EXPECT_EQ(server.last_sni(), "blocked.example");
}

TEST_F(TlsHandshakeTest, SniMayDifferFromTheVerifiedName) {
  TlsTestServer server(io_, pki_->leaf_cert_pem, pki_->leaf_key_pem, Mode::kHandshake);
  TlsOptions options = Options("");
  options.verify_hostname = "site.test";
  auto connection = Handshake(server, options);
  EXPECT_EQ(connection.result.failure, std::nullopt);
  EXPECT_EQ(server.last_sni(), "");
  EXPECT_EQ(connection.result.server_name, "");
}

TEST_F(TlsHandshakeTest, ExpiredIsSslInvalidCertificate) {
  TlsTestServer server(io_, pki_->expired_cert_pem, pki_->expired_key_pem, Mode::kHandshake);
  EXPECT_EQ(Handshake(server, Options("site.test")).result.failure, "ssl_invalid_certificate");
}

TEST_F(TlsHandshakeTest, NoTlsVerifyAcceptsAnyCertificate) {
  TlsTestServer server(io_, pki_->self_signed_cert_pem, pki_->self_signed_key_pem,
                       Mode::kHandshake);
  TlsOptions options = Options("other.example");
  options.no_tls_verify = true;
  auto connection = Handshake(server, options);
  EXPECT_EQ(connection.result.failure, std::nullopt);
  EXPECT_TRUE(connection.result.no_tls_verify);
  EXPECT_NE(connection.stream, nullptr);
}

TEST_F(TlsHandshakeTest, ResetDuringHandshakeIsConnectionReset) {
  TlsTestServer server(io_, pki_->leaf_cert_pem, pki_->leaf_key_pem, Mode::kReset);
  EXPECT_EQ(Handshake(server, Options("site.test")).result.failure, "connection_reset");
}

TEST_F(TlsHandshakeTest, CloseDuringHandshakeIsEof) {
  TlsTestServer server(io_, pki_->leaf_cert_pem, pki_->leaf_key_pem, Mode::kClose);
  EXPECT_EQ(Handshake(server, Options("site.test")).result.failure, "eof_error");
}

TEST_F(TlsHandshakeTest, GarbageIsSslFailedHandshake) {
  TlsTestServer server(io_, pki_->leaf_cert_pem, pki_->leaf_key_pem, Mode::kGarbage);
  EXPECT_EQ(Handshake(server, Options("site.test")).result.failure, "ssl_failed_handshake");
}

TEST_F(TlsHandshakeTest, SilentServerTimesOut) {
  TlsTestServer server(io_, pki_->leaf_cert_pem, pki_->leaf_key_pem, Mode::kSilent);
  TlsOptions options = Options("site.test");
  options.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Handshake(server, options).result.failure, "generic_timeout_error");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST_F(TlsHandshakeTest, MissingCaFileIsAnError) {
  auto context = TlsClientContext::Create("/nonexistent/vigil-ca.pem");
  ASSERT_FALSE(context.has_value());
  EXPECT_EQ(context.error().failure, "io_error");
}

}  // namespace
}  // namespace vigil::net
