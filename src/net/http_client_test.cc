#include "net/http_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/test_servers.h"

namespace vigil::net {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using testing::RunTask;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Reads one request head (at most 64 KiB) and returns its path; "" on error.
template <typename Stream>
asio::awaitable<std::string> ReadRequest(Stream& stream, std::string* head) {
  asio::streambuf buffer(64 * 1024);
  auto [ec, n] = co_await asio::async_read_until(stream, buffer, "\r\n\r\n", kNoThrow);
  if (ec) co_return "";
  std::string text(asio::buffers_begin(buffer.data()),
                   asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(n));
  if (head != nullptr) *head = text;
  const auto start = text.find(' ') + 1;
  co_return text.substr(start, text.find(' ', start) - start);
}

template <typename Stream>
asio::awaitable<void> Write(Stream& stream, const std::string& text) {
  co_await asio::async_write(stream, asio::buffer(text), kNoThrow);
}

asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(kNoThrow);
}

// Serves the behaviours the tests need, chosen by request path.
template <typename Stream>
asio::awaitable<void> Respond(Stream& stream, asio::ip::tcp::socket& socket, std::string* head) {
  const std::string path = co_await ReadRequest(stream, head);
  if (path == "/") {
    co_await Write(stream, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nX-A: 2\r\n\r\nhello");
  } else if (path.rfind("/redirect/", 0) == 0) {
    const int n = std::stoi(path.substr(10));
    const std::string next = n <= 1 ? "/" : "/redirect/" + std::to_string(n - 1);
    co_await Write(stream, "HTTP/1.1 302 Found\r\nLocation: " + next +
                               "\r\nContent-Length: 0\r\n\r\n");
  } else if (path == "/loop") {
    co_await Write(stream, "HTTP/1.1 301 Moved\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
  } else if (path == "/chunked") {
    co_await Write(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  } else if (path == "/trickle") {
    co_await Write(stream, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    for (int i = 0; i < 100 && socket.is_open(); ++i) {
      co_await Sleep(200ms);
      co_await Write(stream, "x");
    }
  } else if (path == "/endless-header") {
    co_await Write(stream, "HTTP/1.1 200 OK\r\n");
    const std::string line = "X-Filler: " + std::string(1000, 'a') + "\r\n";
    for (int i = 0; i < 4000; ++i) {
      auto [ec, n] = co_await asio::async_write(stream, asio::buffer(line), kNoThrow);
      if (ec) break;
    }
  } else if (path == "/endless-body") {
    co_await Write(stream, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    const std::string block(16 * 1024, 'b');
    for (int i = 0; i < 512; ++i) {
      auto [ec, n] = co_await asio::async_write(stream, asio::buffer(block), kNoThrow);
      if (ec) break;
    }
  } else if (path == "/reset") {
    boost::system::error_code ec;
    socket.set_option(asio::socket_base::linger(true, 0), ec);
    socket.close(ec);
  }
  // Anything else (including "/close"): close without answering.
}

class HttpTestServer {
 public:
  explicit HttpTestServer(asio::io_context& io)
      : acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}) {
    asio::co_spawn(io, Serve(), asio::detached);
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + path;
  }
  asio::ip::tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
  const std::string& last_head() const { return last_head_; }

 private:
  asio::awaitable<void> Serve() {
    for (int i = 0; i < 64; ++i) {
      auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (ec) co_return;
      asio::co_spawn(acceptor_.get_executor(), Handle(std::move(socket)), asio::detached);
    }
  }
  asio::awaitable<void> Handle(asio::ip::tcp::socket socket) {
    co_await Respond(socket, socket, &last_head_);
  }

  asio::ip::tcp::acceptor acceptor_;
  std::string last_head_;
};

class HttpClientTest : public ::testing::Test {
 protected:
  HttpResult Get(const std::string& url, HttpOptions options = {}, HttpResolver resolver = {}) {
    return RunTask(io_, HttpGet(url, std::move(options), std::move(resolver), Timeline(clock_)));
  }
  static std::string Text(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

  asio::io_context io_;
  RealClock clock_;
  HttpTestServer server_{io_};
};

TEST_F(HttpClientTest, GetRecordsRequestResponseAndEvents) {
  HttpOptions options;
  options.headers = {{"User-Agent", "vigil-test"}, {"Accept", "*/*"}};
  auto result = Get(server_.Url("/"), options);
  EXPECT_EQ(result.failure, std::nullopt);
  ASSERT_EQ(result.requests.size(), 1u);
  const HttpTransaction& t = result.requests[0];
  EXPECT_EQ(t.request.method, "GET");
  EXPECT_EQ(t.request.url, server_.Url("/"));
  ASSERT_EQ(t.request.headers_list.size(), 3u);
  EXPECT_EQ(t.request.headers_list[0].first, "Host");
  EXPECT_EQ(t.request.headers_list[1], (std::pair<std::string, std::string>{"User-Agent", "vigil-test"}));
  EXPECT_NE(server_.last_head().find("User-Agent: vigil-test\r\n"), std::string::npos);
  EXPECT_EQ(t.response.code, 200);
  EXPECT_EQ(Text(t.response.body), "hello");
  EXPECT_FALSE(t.response.body_is_truncated);
  HeadersList expected_headers = {{"Content-Length", "5"}, {"X-A", "1"}, {"X-A", "2"}};
  EXPECT_EQ(t.response.headers_list, expected_headers);
  ASSERT_EQ(result.tcp_connect.size(), 1u);
  EXPECT_TRUE(result.tcp_connect[0].success);
  std::int64_t read_bytes = 0;
  std::int64_t written_bytes = 0;
  bool saw_connect = false;
  for (const NetworkEvent& event : result.network_events) {
    if (event.operation == "read") read_bytes += event.num_bytes;
    if (event.operation == "write") written_bytes += event.num_bytes;
    saw_connect |= event.operation == "connect";
  }
  EXPECT_TRUE(saw_connect);
  EXPECT_GT(read_bytes, 5);
  EXPECT_GT(written_bytes, 20);
  EXPECT_TRUE(t.body_bytes_per_second.has_value() || t.body_duration.count() == 0);
}

TEST_F(HttpClientTest, FollowsRedirectsRecordingEveryHopNewestFirst) {
  auto result = Get(server_.Url("/redirect/3"));
  EXPECT_EQ(result.failure, std::nullopt);
  ASSERT_EQ(result.requests.size(), 4u);
  EXPECT_EQ(result.requests[0].request.url, server_.Url("/"));
  EXPECT_EQ(result.requests[0].response.code, 200);
  EXPECT_EQ(result.requests[3].request.url, server_.Url("/redirect/3"));
  EXPECT_EQ(result.requests[3].response.code, 302);
  EXPECT_EQ(result.tcp_connect.size(), 4u);
}

TEST_F(HttpClientTest, StopsAfterTenRedirects) {
  auto result = Get(server_.Url("/loop"));
  EXPECT_EQ(result.requests.size(), 11u);
  ASSERT_TRUE(result.failure.has_value());
  EXPECT_NE(result.failure->find("redirects"), std::string::npos);
}

TEST_F(HttpClientTest, ChunkedBody) {
  auto result = Get(server_.Url("/chunked"));
  EXPECT_EQ(result.failure, std::nullopt);
  ASSERT_EQ(result.requests.size(), 1u);
  EXPECT_EQ(Text(result.requests[0].response.body), "abcde");
}

TEST_F(HttpClientTest, EndlessBodyIsTruncatedAtTheCap) {
  HttpOptions options;
  options.max_body_bytes = 100 * 1024;
  auto result = Get(server_.Url("/endless-body"), options);
  EXPECT_EQ(result.failure, std::nullopt);
  ASSERT_EQ(result.requests.size(), 1u);
  EXPECT_TRUE(result.requests[0].response.body_is_truncated);
  EXPECT_EQ(result.requests[0].response.body.size(), 100u * 1024);
  EXPECT_TRUE(result.requests[0].body_bytes_per_second.has_value());
}

TEST_F(HttpClientTest, EndlessHeaderFailsWithinTheHeaderCap) {
  auto result = Get(server_.Url("/endless-header"));
  ASSERT_EQ(result.requests.size(), 1u);
  EXPECT_EQ(result.failure, "http_request_failed");
  EXPECT_EQ(result.requests[0].response.code, 0);
}

TEST_F(HttpClientTest, TricklingServerHitsTheOverallDeadline) {
  HttpOptions options;
  options.overall_timeout = 1s;
  const auto start = std::chrono::steady_clock::now();
  auto result = Get(server_.Url("/trickle"), options);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_EQ(result.failure, "generic_timeout_error");
  ASSERT_EQ(result.requests.size(), 1u);
  EXPECT_EQ(result.requests[0].response.code, 200);
  EXPECT_LT(result.requests[0].response.body.size(), 1000u);
}

TEST_F(HttpClientTest, ResetAndCloseAreRecorded) {
  EXPECT_EQ(Get(server_.Url("/reset")).failure, "connection_reset");
  EXPECT_EQ(Get(server_.Url("/close")).failure, "eof_error");
}

TEST_F(HttpClientTest, RefusedConnectionIsRecorded) {
  asio::ip::tcp::endpoint closed;
  {
    asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    closed = acceptor.local_endpoint();
  }
  auto result = Get("http://127.0.0.1:" + std::to_string(closed.port()) + "/");
  EXPECT_EQ(result.failure, "connection_refused");
  ASSERT_EQ(result.tcp_connect.size(), 1u);
  EXPECT_FALSE(result.tcp_connect[0].success);
}

TEST_F(HttpClientTest, ResolvesHostnamesThroughTheResolver) {
  const auto port = std::to_string(server_.endpoint().port());
  HttpResolver resolver = [](std::string hostname) -> asio::awaitable<DnsQueryResult> {
    DnsQueryResult result;
    result.engine = "system";
    result.hostname = hostname;
    result.answers.push_back(DnsAnswer{"A", "127.0.0.1", "", "", 0});
    co_return result;
  };
  auto result = Get("http://site.test:" + port + "/", {}, resolver);
  EXPECT_EQ(result.failure, std::nullopt);
  ASSERT_EQ(result.queries.size(), 1u);
  EXPECT_EQ(result.queries[0].hostname, "site.test");
  EXPECT_NE(server_.last_head().find("Host: site.test:" + port), std::string::npos);
}

TEST_F(HttpClientTest, BadUrlIsARecordedFailure) {
  auto result = Get("ftp://example.com/");
  ASSERT_EQ(result.requests.size(), 1u);
  EXPECT_TRUE(result.failure.has_value());
}

TEST_F(HttpClientTest, HttpsWithTheTestCa) {
  auto pki = testing::TestPki::Make("site.test");
  testing::TlsTestServer tls_server(
      io_, pki.leaf_cert_pem, pki.leaf_key_pem, testing::TlsTestServer::Mode::kHandshake,
      [](asio::ssl::stream<asio::ip::tcp::socket>& stream) -> asio::awaitable<void> {
        co_await Respond(stream, stream.next_layer(), nullptr);
      });
  HttpOptions options;
  auto context = TlsClientContext::Create(pki.ca_file);
  ASSERT_TRUE(context.has_value());
  options.tls_context = *context;
  options.first_hop_address = tls_server.endpoint();
  auto result =
      Get("https://site.test:" + std::to_string(tls_server.endpoint().port()) + "/", options);
  EXPECT_EQ(result.failure, std::nullopt);
  ASSERT_EQ(result.requests.size(), 1u);
  EXPECT_EQ(Text(result.requests[0].response.body), "hello");
  ASSERT_EQ(result.tls_handshakes.size(), 1u);
  EXPECT_EQ(result.tls_handshakes[0].server_name, "site.test");
  EXPECT_EQ(tls_server.last_sni(), "site.test");

  options.tls_context = nullptr;  // system store only: the test CA is unknown
  result = Get("https://site.test:" + std::to_string(tls_server.endpoint().port()) + "/", options);
  EXPECT_EQ(result.failure, "ssl_unknown_authority");
}

}  // namespace
}  // namespace vigil::net
