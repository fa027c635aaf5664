// The HTTP/1.1 response parser of the HTTP client (Boost.Beast's basic_parser): headers kept in
// wire order with duplicates, as OONI records them, and at most max_body bytes of body (noting
// that more arrived). Internal to src/net (http_client.cc feeds it from the socket); exposed
// so that a fuzz target can feed it any bytes.
//
// Thread-safety: one parser per response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>

#include "net/observations.h"

namespace vigil::net::internal {

class ResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  explicit ResponseParser(std::size_t max_body) : max_body_(max_body) {}

  // Feeds the bytes read and not consumed yet, erasing what the parser used; false on bytes
  // that are not HTTP. After "need more" a chunked body is fed again only once at least 5
  // bytes wait (the shortest complete last chunk, "0\r\n\r\n"): Boost 1.81's parser
  // asserts that much when it resumes a last chunk (boostorg/beast#2861, fixed upstream in
  // 2024), which a server sending one byte at a time would otherwise trip in debug builds.
  bool Feed(std::string& pending);

  int code = 0;
  HeadersList headers;
  Bytes body;
  std::size_t body_bytes_seen = 0;
  bool truncated = false;

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;
  void on_request_impl(boost::beast::http::verb, string_view, string_view, int, error_code&) override {}
  void on_response_impl(int status, string_view, int, error_code&) override { code = status; }
  void on_field_impl(boost::beast::http::field, string_view name, string_view value, error_code&) override {
    headers.emplace_back(std::string(name), std::string(value));
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view data, error_code&) override {
    Append(data);
    return data.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view data, error_code&) override {
    Append(data);
    return data.size();
  }
  void on_finish_impl(error_code&) override {}
  void Append(string_view data);

  std::size_t max_body_;
  bool starved_ = false;  // the last put() wanted more bytes
};

// A whole response read from `wire` in chunks of `chunk` bytes, then end of stream, the way
// the client reads a socket: the status, headers and (capped) body of a complete header, and
// the failure the client would record ("http_request_failed" for bytes that are not HTTP,
// "eof_error" for a response cut short), if any.
struct ParsedHttpResponse {
  bool header_done = false;
  int code = 0;
  HeadersList headers;
  Bytes body;
  bool truncated = false;
  std::optional<std::string> failure;
};
ParsedHttpResponse ParseHttpResponse(std::string_view wire, std::size_t max_body, std::size_t max_header,
                                     std::size_t chunk = 16 * 1024);

}  // namespace vigil::net::internal
