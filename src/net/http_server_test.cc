#include "net/http_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/test_servers.h"

namespace vigil::net {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;
using testing::RunTask;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(kNoThrow);
}

// Sends raw bytes on a fresh connection and reads until the server closes it (at most 5 s).
// Sends `request` (then, after a pause, `rest` when given) and returns all it reads back.
asio::awaitable<std::string> Exchange(tcp::endpoint ep, std::string request, std::string rest = {}) {
  tcp::socket socket(co_await asio::this_coro::executor);
  auto [cec] = co_await socket.async_connect(ep, kNoThrow);
  if (cec) co_return "connect failed: " + cec.message();
  co_await asio::async_write(socket, asio::buffer(request), kNoThrow);
  if (!rest.empty()) {
    co_await Sleep(100ms);
    co_await asio::async_write(socket, asio::buffer(rest), kNoThrow);
  }
  std::string out;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    using namespace asio::experimental::awaitable_operators;
    auto r = co_await (socket.async_read_some(asio::buffer(buf), kNoThrow) || Sleep(5s));
    if (r.index() == 1) break;
    auto [ec, n] = std::get<0>(r);
    out.append(buf, n);
    if (ec) break;
  }
  co_return out;
}

HttpHandler EchoHandler() {
  return [](const HttpServerRequest& req) -> asio::awaitable<HttpServerResponse> {
    HttpServerResponse r;
    r.content_type = "text/plain";
    if (req.Path() == "/slow") co_await Sleep(300ms);
    r.body = req.method + " " + std::string(req.Path()) + " " + req.body;
    co_return r;
  };
}

struct Fixture {
  asio::io_context io;
  std::unique_ptr<HttpServer> server;
  explicit Fixture(HttpServerOptions options = {}, HttpHandler handler = EchoHandler()) {
    auto s = HttpServer::Create(io.get_executor(), "127.0.0.1:0", std::move(handler), options);
    EXPECT_TRUE(s.has_value());
    server = std::move(*s);
    server->Start();
  }
  ~Fixture() {
    RunTask(io, [this]() -> asio::awaitable<int> {
      co_await server->Stop();
      co_return 0;
    }());
  }
};

TEST(HttpServer, BindsAnEphemeralPortAndAnswers) {
  Fixture f;
  EXPECT_NE(f.server->port(), 0);
  auto out = RunTask(f.io, Exchange(f.server->local_endpoint(),
                                    "POST /x?q=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                                    "Connection: close\r\n\r\nabc"));
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK", 0), 0u) << out;
  EXPECT_NE(out.find("POST /x abc"), std::string::npos) << out;
}

TEST(HttpServer, KeepsConnectionsAlive) {
  Fixture f;
  auto out = RunTask(f.io, Exchange(f.server->local_endpoint(),
                                    "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
                                    "GET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
  EXPECT_NE(out.find("GET /a "), std::string::npos) << out;
  EXPECT_NE(out.find("GET /b "), std::string::npos) << out;
  EXPECT_EQ(f.server->requests_served(), 2u);
}

TEST(HttpServer, RejectsOversizedBodyWith413) {
  HttpServerOptions o;
  o.max_body_bytes = 10;
  Fixture f(o);
  auto out = RunTask(f.io, Exchange(f.server->local_endpoint(),
                                    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"
                                    "01234567890"));
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
}

// Bodies that arrive with their header, in pieces, or followed by the next request on the
// same connection (pipelined): each request gets exactly its own body.
TEST(HttpServer, ReadsBodiesWhateverTheyArriveWith) {
  Fixture f;
  auto pipelined = RunTask(f.io, Exchange(f.server->local_endpoint(),
                                          "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\none"
                                          "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\ntwo"));
  EXPECT_NE(pipelined.find("POST /a one"), std::string::npos) << pipelined;
  EXPECT_NE(pipelined.find("POST /b two"), std::string::npos) << pipelined;

  auto pieces = RunTask(f.io, Exchange(f.server->local_endpoint(),
                                       "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nConnection: close\r\n\r\n01234",
                                       "56789"));
  EXPECT_NE(pieces.find("POST /p 0123456789"), std::string::npos) << pieces;
}

TEST(HttpServer, RejectsOversizedHeaderWith431) {
  HttpServerOptions o;
  o.max_header_bytes = 256;
  Fixture f(o);
  auto out = RunTask(f.io, Exchange(f.server->local_endpoint(),
                                    "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " +
                                        std::string(1000, 'x') + "\r\n\r\n"));
  EXPECT_EQ(out.rfind("HTTP/1.1 431", 0), 0u) << out;
}

TEST(HttpServer, RejectsMalformedRequestWith400) {
  Fixture f;
  auto out = RunTask(f.io, Exchange(f.server->local_endpoint(), "NOT HTTP AT ALL\r\n\r\n"));
  EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out;
  EXPECT_NE(out.find("\"error\""), std::string::npos);
}

TEST(HttpServer, AnswersExpectContinue) {
  Fixture f;
  auto out = RunTask(f.io, Exchange(f.server->local_endpoint(),
                                    "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                                    "Content-Length: 2\r\nConnection: close\r\n\r\nhi"));
  EXPECT_EQ(out.rfind("HTTP/1.1 100 Continue", 0), 0u) << out;
  EXPECT_NE(out.find("POST / hi"), std::string::npos) << out;
}

TEST(HttpServer, AnswersBusyWith503OverMaxInFlight) {
  HttpServerOptions o;
  o.max_in_flight = 1;
  Fixture f(o);
  auto ep = f.server->local_endpoint();
  auto both = RunTask(f.io, [ep]() -> asio::awaitable<std::pair<std::string, std::string>> {
    using namespace asio::experimental::awaitable_operators;
    auto slow = Exchange(ep, "GET /slow HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    auto fast = [](tcp::endpoint to) -> asio::awaitable<std::string> {
      co_await Sleep(100ms);
      co_return co_await Exchange(to, "GET /f HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    }(ep);
    auto [a, b] = co_await (std::move(slow) && std::move(fast));
    co_return std::make_pair(a, b);
  }());
  EXPECT_EQ(both.first.rfind("HTTP/1.1 200", 0), 0u) << both.first;
  EXPECT_EQ(both.second.rfind("HTTP/1.1 503", 0), 0u) << both.second;
}

TEST(HttpServer, ClosesConnectionsThatSendNothing) {
  HttpServerOptions o;
  o.read_timeout = 200ms;
  Fixture f(o);
  auto start = std::chrono::steady_clock::now();
  auto out = RunTask(f.io, Exchange(f.server->local_endpoint(), ""));
  EXPECT_EQ(out, "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(HttpServer, StopDrainsInFlightRequests) {
  asio::io_context io;
  auto s = HttpServer::Create(io.get_executor(), "127.0.0.1:0", EchoHandler());
  ASSERT_TRUE(s.has_value());
  auto& server = **s;
  server.Start();
  auto ep = server.local_endpoint();
  auto out = RunTask(io, [&]() -> asio::awaitable<std::string> {
    using namespace asio::experimental::awaitable_operators;
    auto stop = [](HttpServer& target) -> asio::awaitable<void> {
      co_await Sleep(100ms);
      co_await target.Stop();
    }(server);
    co_return co_await (Exchange(ep, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n") &&
                        std::move(stop));
  }());
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
  EXPECT_NE(out.find("Connection: close"), std::string::npos) << out;
  EXPECT_EQ(server.open_connections(), 0u);
  auto after = RunTask(io, Exchange(ep, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_EQ(after.rfind("connect failed", 0), 0u) << after;
}

TEST(HttpServer, CreateRejectsBadAddress) {
  asio::io_context io;
  auto s = HttpServer::Create(io.get_executor(), "not-an-address", EchoHandler());
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().failure, "invalid_argument");
}

}  // namespace
}  // namespace vigil::net
