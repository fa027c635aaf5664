#include "net/http_client.h"

#include <algorithm>
#include <array>
#include <exception>
#include <variant>

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "core/failure.h"
#include "net/address.h"
#include "net/failure_map.h"
#include "net/http_response_parser.h"
#include "net/io_util.h"
#include "net/tcp_connect.h"

namespace vigil::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using asio::experimental::awaitable_operators::operator||;
using internal::CloseAt;
using internal::ResponseParser;
using internal::kNoThrow;
using internal::SteadyNow;
using internal::SteadyTime;

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxNetworkEvents = 4096;


std::string StripCrLf(std::string text) {
  std::erase_if(text, [](char c) { return c == '\r' || c == '\n'; });
  return text;
}

bool IsRedirect(int code) {
  return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
}

std::optional<std::string> FindHeader(const HeadersList& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return value;
    }
  }
  return std::nullopt;
}

// Everything one hop needs to know about its URL.
struct Target {
  bool https = false;
  std::string host;  // without brackets
  std::uint16_t port = 0;
  std::string host_header;
  std::string request_target;  // path and query
};

std::optional<Target> ParseTarget(const boost::urls::url_view& url) {
  Target target;
  if (url.scheme_id() == boost::urls::scheme::https) {
    target.https = true;
  } else if (url.scheme_id() != boost::urls::scheme::http) {
    return std::nullopt;
  }
  if (!url.has_authority() || url.encoded_host().empty()) return std::nullopt;
  if (url.host_type() == boost::urls::host_type::ipv6) {
    target.host = url.host_ipv6_address().to_string();
  } else {
    target.host = url.host();
  }
  const std::uint16_t default_port = target.https ? 443 : 80;
  target.port = url.has_port() ? url.port_number() : default_port;
  if (url.has_port() && target.port == 0) return std::nullopt;
  target.host_header = std::string(url.encoded_host_and_port());
  target.request_target = std::string(url.encoded_target());
  if (target.request_target.empty() || target.request_target.front() != '/') {
    target.request_target = "/" + target.request_target;
  }
  return target;
}

// State shared by the hops of one HttpGet.
class Exchange {
 public:
  Exchange(HttpOptions options, HttpResolver resolver, const Timeline& timeline)
      : options_(std::move(options)),
        resolver_(std::move(resolver)),
        timeline_(timeline),
        overall_deadline_(SteadyNow() + options_.overall_timeout) {}

  asio::awaitable<HttpResult> Run(std::string url_text);

 private:
  asio::awaitable<std::vector<asio::ip::tcp::endpoint>> Addresses(const Target& target,
                                                                  bool first_hop);
  asio::awaitable<void> Hop(const Target& target, bool first_hop, HttpTransaction& transaction);
  template <typename Stream>
  asio::awaitable<void> Transact(Stream& stream, asio::ip::tcp::socket& socket,
                                 const std::string& address, HttpTransaction& transaction);

  SteadyTime StepDeadline(std::chrono::milliseconds step) const {
    return std::min(SteadyNow() + step, overall_deadline_);
  }
  std::chrono::milliseconds Budget(std::chrono::milliseconds step) const {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(overall_deadline_ - SteadyNow());
    return std::clamp(left, std::chrono::milliseconds(0), step);
  }
  void Event(std::string operation, const std::string& address, std::int64_t bytes,
             std::optional<std::string> failure, double t) {
    if (result_.network_events.size() >= kMaxNetworkEvents) return;
    result_.network_events.push_back(NetworkEvent{std::move(operation), address, "tcp", bytes,
                                                  std::move(failure), t});
  }

  HttpOptions options_;
  HttpResolver resolver_;
  const Timeline& timeline_;
  SteadyTime overall_deadline_;
  HttpResult result_;
  std::string request_target_;  // of the current hop
};

asio::awaitable<std::vector<asio::ip::tcp::endpoint>> Exchange::Addresses(const Target& target,
                                                                          bool first_hop) {
  std::vector<asio::ip::tcp::endpoint> out;
  if (first_hop && options_.first_hop_address) {
    out.push_back(*options_.first_hop_address);
    co_return out;
  }
  boost::system::error_code ec;
  const auto literal = asio::ip::make_address(target.host, ec);
  if (!ec) {
    out.emplace_back(literal, target.port);
    co_return out;
  }
  if (!resolver_) co_return out;
  DnsQueryResult lookup = co_await resolver_(target.host);
  for (const DnsAnswer& answer : lookup.answers) {
    const std::string& ip = answer.answer_type == "A" ? answer.ipv4 : answer.ipv6;
    if (ip.empty()) continue;
    const auto address = asio::ip::make_address(ip, ec);
    if (!ec) out.emplace_back(address, target.port);
    if (out.size() >= options_.max_addresses_per_hop) break;
  }
  result_.queries.push_back(std::move(lookup));
  co_return out;
}

template <typename Stream>
asio::awaitable<void> Exchange::Transact(Stream& stream, asio::ip::tcp::socket& socket,
                                         const std::string& address,
                                         HttpTransaction& transaction) {
  transaction.address = address;
  // The request line and headers, exactly as recorded in transaction.request.
  std::string request = "GET " + request_target_ + " HTTP/1.1\r\n";
  for (const auto& [name, value] : transaction.request.headers_list) {
    request += name + ": " + value + "\r\n";
  }
  request += "\r\n";
  Event("http_transaction_start", address, 0, std::nullopt, timeline_.Now());

  auto written = co_await (asio::async_write(stream, asio::buffer(request), kNoThrow) ||
                           CloseAt(StepDeadline(options_.io_timeout), socket));
  if (written.index() == 1) {
    transaction.failure = std::string(failure::kGenericTimeout);
    Event("write", address, 0, transaction.failure, timeline_.Now());
    co_return;
  }
  if (auto [ec, n] = std::get<0>(written); ec) {
    transaction.failure = FailureFromErrorCode(ec);
    Event("write", address, static_cast<std::int64_t>(n), transaction.failure, timeline_.Now());
    co_return;
  }
  Event("write", address, static_cast<std::int64_t>(request.size()), std::nullopt,
        timeline_.Now());

  ResponseParser parser(options_.max_body_bytes);
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(options_.max_header_bytes, UINT32_MAX)));
  parser.body_limit(boost::none);
  parser.eager(true);
  std::string pending;
  std::array<char, kReadChunk> chunk{};
  std::optional<SteadyTime> header_done;
  auto parse_pending = [&]() -> std::optional<std::string> {
    if (!parser.Feed(pending)) return std::string(kHttpRequestFailed);
    if (!header_done && parser.is_header_done()) header_done = SteadyNow();
    return std::nullopt;
  };

  while (!parser.is_done() && !parser.truncated) {
    auto read = co_await (stream.async_read_some(asio::buffer(chunk), kNoThrow) ||
                          CloseAt(StepDeadline(options_.io_timeout), socket));
    if (read.index() == 1) {
      transaction.failure = std::string(failure::kGenericTimeout);
      Event("read", address, 0, transaction.failure, timeline_.Now());
      break;
    }
    auto [ec, n] = std::get<0>(read);
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
      Event("read", address, 0, std::string(failure::kEof), timeline_.Now());
      beast::error_code eof_ec;
      if (parser.got_some()) parser.put_eof(eof_ec);  // put_eof asserts got_some()
      if (eof_ec || !parser.is_done()) transaction.failure = std::string(failure::kEof);
      break;
    }
    if (ec) {
      transaction.failure = FailureFromErrorCode(ec);
      Event("read", address, static_cast<std::int64_t>(n), transaction.failure, timeline_.Now());
      break;
    }
    Event("read", address, static_cast<std::int64_t>(n), std::nullopt, timeline_.Now());
    pending.append(chunk.data(), n);
    if (auto parse_failure = parse_pending()) {
      transaction.failure = std::move(parse_failure);
      break;
    }
  }

  if (parser.is_header_done()) {  // a partial header is not a response
    transaction.response.code = parser.code;
    transaction.response.headers_list = std::move(parser.headers);
  }
  transaction.response.body = std::move(parser.body);
  transaction.response.body_is_truncated = parser.truncated;
  if (header_done) {
    transaction.body_duration =
        std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyNow() - *header_done);
    const double seconds = std::chrono::duration<double>(transaction.body_duration).count();
    if (parser.body_bytes_seen > 0 && seconds > 0) {
      transaction.body_bytes_per_second = static_cast<double>(parser.body_bytes_seen) / seconds;
    }
  }
  Event("http_transaction_done", address, 0, transaction.failure, timeline_.Now());
}

asio::awaitable<void> Exchange::Hop(const Target& target, bool first_hop,
                                    HttpTransaction& transaction) {
  request_target_ = target.request_target;
  const auto addresses = co_await Addresses(target, first_hop);
  if (addresses.empty()) {
    transaction.failure = result_.queries.empty() || !result_.queries.back().failure
                              ? std::string(failure::kDnsNoAnswer)
                              : *result_.queries.back().failure;
    co_return;
  }
  std::optional<asio::ip::tcp::socket> socket;
  std::string address;
  for (const auto& endpoint : addresses) {
    TcpConnection connection =
        co_await DialTcp(endpoint, Budget(options_.connect_timeout), timeline_);
    address = FormatEndpoint(endpoint);
    Event("connect", address, 0, connection.result.failure, connection.result.t);
    transaction.failure = connection.result.failure;
    result_.tcp_connect.push_back(std::move(connection.result));
    if (connection.socket) {
      socket = std::move(connection.socket);
      break;
    }
  }
  if (!socket) co_return;
  transaction.failure.reset();
  if (!target.https) {
    co_await Transact(*socket, *socket, address, transaction);
    co_return;
  }
  if (!options_.tls_context) {
    auto context = TlsClientContext::Create();
    if (!context) {
      transaction.failure = std::string(failure::kSslFailedHandshake);
      co_return;
    }
    options_.tls_context = *context;
  }
  TlsOptions tls;
  tls.server_name = target.host;
  tls.alpn = {"http/1.1"};
  tls.no_tls_verify = options_.no_tls_verify;
  tls.timeout = Budget(options_.tls_timeout);
  Event("tls_handshake_start", address, 0, std::nullopt, timeline_.Now());
  TlsConnection tls_connection =
      co_await HandshakeTls(std::move(*socket), options_.tls_context, tls, timeline_);
  Event("tls_handshake_done", address, 0, tls_connection.result.failure,
        tls_connection.result.t);
  transaction.failure = tls_connection.result.failure;
  result_.tls_handshakes.push_back(std::move(tls_connection.result));
  if (!tls_connection.stream) co_return;
  co_await Transact(*tls_connection.stream, tls_connection.stream->next_layer(), address,
                    transaction);
}

asio::awaitable<HttpResult> Exchange::Run(std::string url_text) {
  std::vector<HttpTransaction> chain;
  boost::urls::url url;
  {
    auto parsed = boost::urls::parse_uri(url_text);
    if (parsed) url = *parsed;
  }
  for (int hop = 0;; ++hop) {
    HttpTransaction transaction;
    transaction.request.method = "GET";
    transaction.request.url = url.empty() ? url_text : std::string(url.buffer());
    transaction.t0 = timeline_.Now();
    const auto target = url.empty() ? std::nullopt : ParseTarget(url);
    if (!target) {
      transaction.failure = UnknownFailure("unsupported URL: " + url_text);
    } else {
      transaction.request.headers_list.emplace_back("Host", target->host_header);
      for (const auto& [name, value] : options_.headers) {
        transaction.request.headers_list.emplace_back(StripCrLf(name), StripCrLf(value));
      }
      co_await Hop(*target, hop == 0, transaction);
    }
    transaction.t = timeline_.Now();
    const int code = transaction.response.code;
    const auto location = FindHeader(transaction.response.headers_list, "Location");
    const bool failed = transaction.failure.has_value();
    result_.failure = transaction.failure;
    chain.push_back(std::move(transaction));
    if (failed || !IsRedirect(code) || !location) break;
    if (hop >= options_.max_redirects) {
      result_.failure = UnknownFailure("stopped after " +
                                       std::to_string(options_.max_redirects) + " redirects");
      break;
    }
    auto reference = boost::urls::parse_uri_reference(*location);
    boost::urls::url next;
    if (!reference || !boost::urls::resolve(url, *reference, next)) {
      result_.failure = std::string(kHttpRequestFailed);
      break;
    }
    next.remove_fragment();
    url = std::move(next);
    url_text = std::string(url.buffer());
  }
  std::reverse(chain.begin(), chain.end());
  result_.requests = std::move(chain);
  co_return std::move(result_);
}

}  // namespace

asio::awaitable<HttpResult> HttpGet(std::string url, HttpOptions options, HttpResolver resolver,
                                    Timeline timeline) {
  Exchange exchange(std::move(options), std::move(resolver), timeline);
  co_return co_await exchange.Run(std::move(url));
}

}  // namespace vigil::net
