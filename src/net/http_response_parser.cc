#include "net/http_response_parser.h"

#include <algorithm>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "core/failure.h"
#include "net/failure_map.h"

namespace vigil::net::internal {

void ResponseParser::Append(string_view data) {
  body_bytes_seen += data.size();
  const std::size_t room = max_body_ - body.size();
  const std::size_t take = std::min(room, data.size());
  body.insert(body.end(), data.data(), data.data() + take);
  if (data.size() > room) truncated = true;
}

bool ResponseParser::Feed(std::string& pending) {
  namespace http = boost::beast::http;
  while (!pending.empty() && !is_done() && !truncated) {
    if (starved_ && chunked() && pending.size() < 5) return true;  // see the header
    boost::beast::error_code ec;
    const std::size_t used = put(boost::asio::buffer(pending.data(), pending.size()), ec);
    pending.erase(0, used);
    starved_ = ec == http::error::need_more;
    if (starved_) return true;
    if (ec) return false;
    if (used == 0) return true;
  }
  return true;
}

ParsedHttpResponse ParseHttpResponse(std::string_view wire, std::size_t max_body, std::size_t max_header,
                                     std::size_t chunk) {
  ParsedHttpResponse out;
  ResponseParser parser(max_body);
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(max_header, UINT32_MAX)));
  parser.body_limit(boost::none);
  parser.eager(true);
  std::string pending;
  chunk = std::max<std::size_t>(chunk, 1);
  for (std::size_t at = 0; at < wire.size() && !parser.is_done() && !parser.truncated && !out.failure;) {
    const std::size_t n = std::min(chunk, wire.size() - at);
    pending.append(wire.substr(at, n));
    at += n;
    if (!parser.Feed(pending)) out.failure = std::string(kHttpRequestFailed);
  }
  if (!out.failure && !parser.is_done() && !parser.truncated) {
    boost::beast::error_code eof_ec;
    if (parser.got_some()) parser.put_eof(eof_ec);  // put_eof asserts got_some()
    if (eof_ec || !parser.is_done()) out.failure = std::string(failure::kEof);
  }
  out.header_done = parser.is_header_done();
  if (out.header_done) {
    out.code = parser.code;
    out.headers = std::move(parser.headers);
  }
  out.body = std::move(parser.body);
  out.truncated = parser.truncated;
  return out;
}

}  // namespace vigil::net::internal
