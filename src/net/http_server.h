// HttpServer: a small, bounded HTTP/1.1 server for Vigil's own services (the test helper,
// `vigil serve`, and loopback test doubles). One coroutine per connection reads a request,
// awaits the handler and writes its response; keep-alive is honoured.
//
// Bounds, each answered the way HTTP says: a request body over max_body_bytes gets 413, a
// header over max_header_bytes gets 431, a malformed request 400, more than max_connections
// open connections or max_in_flight requests being handled gets 503. A connection that does not
// deliver a complete request within read_timeout is closed. Stop() stops accepting, closes idle
// connections and lets in-flight requests finish (up to drain_timeout).
//
// The handler is a coroutine; it must not throw (an escaping exception becomes a 500 and is
// logged). It runs on the server's executor and may hop elsewhere for blocking work.
//
// Thread-safety: all state is touched only from the executor given to Create(). When the
// io_context runs on several threads, pass a strand. Stop() must complete before the server is
// destroyed; handlers must not outlive the objects they capture.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "core/result.h"
#include "net/observations.h"

namespace vigil::net {

struct HttpServerRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // request-target as sent: "/report/abc?x=1"
  HeadersList headers;
  std::string body;
  std::string remote;  // "ip:port" of the client

  // The first header with this name (case-insensitive), if any.
  std::optional<std::string_view> Header(std::string_view name) const;
  // target without the query string.
  std::string_view Path() const;
};

struct HttpServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  HeadersList headers;  // extra headers; Content-Length and Connection are set by the server
  std::string body;
};

using HttpHandler =
    std::function<boost::asio::awaitable<HttpServerResponse>(const HttpServerRequest&)>;

struct HttpServerOptions {
  std::size_t max_body_bytes = std::size_t{1} << 20;
  std::size_t max_header_bytes = 16 * 1024;
  // Time allowed to receive one whole request (and, on keep-alive, to wait for the next).
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds write_timeout{30000};
  std::size_t max_connections = 512;
  std::size_t max_in_flight = 128;
  std::chrono::milliseconds drain_timeout{10000};
};

// A JSON error body, {"error": message}, with the given status.
HttpServerResponse JsonError(int status, std::string_view message);

class HttpServer {
 public:
  // Binds and listens on `listen` ("127.0.0.1:0", "[::1]:8080"); port 0 picks an ephemeral
  // port (see port()). Fails with invalid_argument for a bad address, io_error when binding
  // fails. Accepting starts with Start().
  static Result<std::unique_ptr<HttpServer>> Create(boost::asio::any_io_executor executor,
                                                    std::string_view listen, HttpHandler handler,
                                                    HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Starts the accept loop on the executor.
  void Start();
  // Stops accepting, closes idle connections, waits for in-flight requests (at most
  // drain_timeout, then closes what is left) and returns when every connection is gone.
  boost::asio::awaitable<void> Stop();

  boost::asio::ip::tcp::endpoint local_endpoint() const { return endpoint_; }
  std::uint16_t port() const { return endpoint_.port(); }
  std::size_t open_connections() const { return sessions_.size(); }
  // Requests answered so far (any status).
  std::uint64_t requests_served() const { return requests_served_; }

 private:
  struct Session;
  HttpServer(boost::asio::any_io_executor executor, HttpHandler handler,
             HttpServerOptions options);
  boost::asio::awaitable<void> Accept();
  boost::asio::awaitable<void> Serve(boost::asio::ip::tcp::socket socket);

  boost::asio::any_io_executor executor_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::endpoint endpoint_;
  HttpHandler handler_;
  HttpServerOptions options_;
  bool stopping_ = false;
  bool accepting_ = false;
  std::uint64_t next_session_id_ = 0;
  std::map<std::uint64_t, Session*> sessions_;  // not owned: each lives in its coroutine
  std::size_t in_flight_ = 0;
  std::uint64_t requests_served_ = 0;
};

}  // namespace vigil::net
