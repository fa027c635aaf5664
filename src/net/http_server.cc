// The only translation unit of the server that includes Boost.Beast.
#include "net/http_server.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "core/json_writer.h"
#include "net/address.h"

namespace vigil::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// What each connection reads into at once (see Serve).
constexpr std::size_t kReadBufferBytes = 16 * 1024;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(kNoThrow);
}

}  // namespace

std::optional<std::string_view> HttpServerRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::string_view HttpServerRequest::Path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

HttpServerResponse JsonError(int status, std::string_view message) {
  HttpServerResponse r;
  r.status = status;
  JsonWriter w(r.body);
  w.BeginObject().Key("error").String(message).EndObject();
  return r;
}

struct HttpServer::Session {
  beast::tcp_stream* stream = nullptr;
  bool busy = false;
};

HttpServer::HttpServer(asio::any_io_executor executor, HttpHandler handler,
                       HttpServerOptions options)
    : executor_(executor),
      acceptor_(executor),
      handler_(std::move(handler)),
      options_(options) {}

HttpServer::~HttpServer() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

Result<std::unique_ptr<HttpServer>> HttpServer::Create(asio::any_io_executor executor,
                                                       std::string_view listen,
                                                       HttpHandler handler,
                                                       HttpServerOptions options) {
  auto endpoint = ParseEndpoint(listen);
  if (!endpoint) return tl::unexpected(endpoint.error());
  std::unique_ptr<HttpServer> server(new HttpServer(executor, std::move(handler), options));
  boost::system::error_code ec;
  auto& a = server->acceptor_;
  a.open(endpoint->protocol(), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(*endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) server->endpoint_ = a.local_endpoint(ec);
  if (ec) return Fail("io_error", "cannot listen on " + std::string(listen) + ": " + ec.message());
  return server;
}

void HttpServer::Start() {
  accepting_ = true;
  asio::co_spawn(executor_, Accept(), asio::detached);
}

asio::awaitable<void> HttpServer::Accept() {
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
    if (stopping_ || ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
    if (ec) {
      // Out of descriptors or a connection reset before accept: back off briefly.
      spdlog::debug("http server: accept failed: {}", ec.message());
      co_await Sleep(std::chrono::milliseconds(20));
      continue;
    }
    asio::co_spawn(executor_, Serve(std::move(socket)), asio::detached);
  }
  accepting_ = false;
}

asio::awaitable<void> HttpServer::Serve(tcp::socket socket) {
  boost::system::error_code ec;
  auto remote_ep = socket.remote_endpoint(ec);
  const std::string remote = ec ? std::string() : FormatEndpoint(remote_ep);
  beast::tcp_stream stream(std::move(socket));
  Session session{&stream, false};
  const std::uint64_t id = next_session_id_++;
  sessions_.emplace(id, &session);
  const bool over_capacity = sessions_.size() > options_.max_connections;

  // Beast reads as much as the buffer has room for, but at least 512 bytes, and the parser
  // empties the buffer as it goes: an empty buffer never grew, and a 6 kB submission took
  // twelve 512-byte reads (strace). With room reserved, a request fits in one or two reads.
  beast::flat_buffer buffer;
  buffer.reserve(kReadBufferBytes);
  for (int served = 0; !stopping_; ++served) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options_.max_header_bytes, UINT32_MAX)));
    parser.body_limit(options_.max_body_bytes);
    stream.expires_after(options_.read_timeout);
    auto [read_ec, n1] = co_await http::async_read_header(stream, buffer, parser, kNoThrow);
    session.busy = !read_ec;
    if (!read_ec && !parser.is_done()) {
      auto expect = parser.get()[http::field::expect];
      if (EqualsIgnoreCase(expect, "100-continue")) {
        http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
        stream.expires_after(options_.write_timeout);
        auto [wec, wn] = co_await http::async_write(stream, cont, kNoThrow);
        read_ec = wec;
      } else if (buffer.size() > 0) {
        // A small body usually arrives with the header: parse what is buffered before
        // waiting for more (a collector submission then needs no second asynchronous read).
        beast::error_code put_ec;
        buffer.consume(parser.put(buffer.data(), put_ec));
        if (put_ec && put_ec != http::error::need_more) read_ec = put_ec;
      }
      if (!read_ec && !parser.is_done()) {
        stream.expires_after(options_.read_timeout);
        auto [ec2, n2] = co_await http::async_read(stream, buffer, parser, kNoThrow);
        read_ec = ec2;
      }
    }

    HttpServerResponse response;
    bool keep_alive = false;
    unsigned version = 11;
    if (read_ec == http::error::end_of_stream || read_ec == beast::error::timeout ||
        read_ec == asio::error::operation_aborted || read_ec == asio::error::connection_reset ||
        read_ec == asio::error::eof || (read_ec && stopping_)) {
      break;
    } else if (read_ec == http::error::body_limit) {
      response = JsonError(413, "request body too large");
    } else if (read_ec == http::error::header_limit) {
      response = JsonError(431, "request header too large");
    } else if (read_ec) {
      response = JsonError(400, "malformed request: " + read_ec.message());
    } else if (over_capacity || in_flight_ >= options_.max_in_flight) {
      response = JsonError(503, "server busy");
      response.headers.emplace_back("Retry-After", "1");
      version = parser.get().version();
    } else {
      auto& req = parser.get();
      version = req.version();
      keep_alive = req.keep_alive();
      HttpServerRequest request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      for (const auto& field : req) {
        request.headers.emplace_back(std::string(field.name_string()),
                                     std::string(field.value()));
      }
      request.body = std::move(req.body());
      request.remote = remote;
      ++in_flight_;
      try {
        response = co_await handler_(request);
      } catch (const std::exception& e) {
        spdlog::error("http server: handler for {} {} threw: {}", request.method, request.target,
                      e.what());
        response = JsonError(500, "internal error");
      }
      --in_flight_;
    }

    http::response<http::string_body> res{static_cast<http::status>(response.status), version};
    if (!response.content_type.empty()) res.set(http::field::content_type, response.content_type);
    for (const auto& [k, v] : response.headers) res.insert(k, v);
    res.body() = std::move(response.body);
    keep_alive = keep_alive && !stopping_ && !over_capacity;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    stream.expires_after(options_.write_timeout);
    auto [write_ec, written] = co_await http::async_write(stream, res, kNoThrow);
    ++requests_served_;
    session.busy = false;
    if (write_ec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.close();
  sessions_.erase(id);
}

asio::awaitable<void> HttpServer::Stop() {
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& [id, s] : sessions_) {
    if (!s->busy) s->stream->close();
  }
  const auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
  while ((accepting_ || !sessions_.empty()) && std::chrono::steady_clock::now() < deadline) {
    co_await Sleep(std::chrono::milliseconds(5));
  }
  // Whatever is still running after the drain timeout is cut off.
  for (auto& [id, s] : sessions_) s->stream->close();
  for (int i = 0; i < 1000 && (accepting_ || !sessions_.empty()); ++i) {
    co_await Sleep(std::chrono::milliseconds(5));
  }
}

}  // namespace vigil::net
