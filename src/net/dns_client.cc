#include "net/dns_client.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "core/failure.h"
#include "net/address.h"
#include "net/dns_wire.h"
#include "net/failure_map.h"
#include "net/io_util.h"

namespace vigil::net {
namespace {

namespace asio = boost::asio;
using asio::experimental::awaitable_operators::operator||;
using internal::CloseAt;
using internal::kNoThrow;
using internal::SteadyNow;
using internal::SteadyTime;

constexpr std::size_t kMaxUdpDatagram = 65536;

std::uint16_t RandomId() {
  std::array<unsigned char, 2> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // Fall back to the address of a stack object: predictable ids only weaken matching.
    const auto seed = reinterpret_cast<std::uintptr_t>(&bytes);
    return static_cast<std::uint16_t>(seed >> 4);
  }
  return static_cast<std::uint16_t>((bytes[0] << 8) | bytes[1]);
}

DnsQueryResult BaseResult(const std::string& engine, const std::string& resolver,
                          const std::string& hostname, DnsQueryType type, double t0) {
  DnsQueryResult result;
  result.engine = engine;
  result.resolver_address = resolver;
  result.hostname = hostname;
  result.query_type = DnsQueryTypeName(type);
  result.t0 = t0;
  return result;
}

// One query over TCP (RFC 1035 §4.2.2 framing), bounded by `budget` as a whole.
asio::awaitable<DnsQueryResult> ExchangeTcp(asio::ip::tcp::endpoint resolver, const Bytes& query,
                                            const std::string& hostname, DnsQueryType type,
                                            std::uint16_t id, std::chrono::milliseconds budget,
                                            const Timeline& timeline) {
  DnsQueryResult result = BaseResult("tcp", FormatEndpoint(resolver), hostname, type,
                                     timeline.Now());
  const SteadyTime deadline = SteadyNow() + budget;
  asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
  auto finish = [&](std::string failure) {
    result.failure = std::move(failure);
    result.t = timeline.Now();
    return result;
  };

  auto connected = co_await (socket.async_connect(resolver, kNoThrow) || CloseAt(deadline, socket));
  if (connected.index() == 1) co_return finish(std::string(failure::kGenericTimeout));
  if (auto [ec] = std::get<0>(connected); ec) co_return finish(FailureFromErrorCode(ec));

  Bytes framed;
  framed.reserve(query.size() + 2);
  framed.push_back(static_cast<std::uint8_t>(query.size() >> 8));
  framed.push_back(static_cast<std::uint8_t>(query.size() & 0xff));
  framed.insert(framed.end(), query.begin(), query.end());
  auto written = co_await (asio::async_write(socket, asio::buffer(framed), kNoThrow) ||
                           CloseAt(deadline, socket));
  if (written.index() == 1) co_return finish(std::string(failure::kGenericTimeout));
  if (auto [ec, n] = std::get<0>(written); ec) co_return finish(FailureFromErrorCode(ec));

  std::array<std::uint8_t, 2> length_bytes{};
  auto header = co_await (asio::async_read(socket, asio::buffer(length_bytes), kNoThrow) ||
                          CloseAt(deadline, socket));
  if (header.index() == 1) co_return finish(std::string(failure::kGenericTimeout));
  if (auto [ec, n] = std::get<0>(header); ec) co_return finish(FailureFromErrorCode(ec));
  const std::size_t length = (std::size_t{length_bytes[0]} << 8) | length_bytes[1];
  if (length < 12) co_return finish(std::string(failure::kDnsServerMisbehaving));

  Bytes response(length);
  auto body = co_await (asio::async_read(socket, asio::buffer(response), kNoThrow) ||
                        CloseAt(deadline, socket));
  if (body.index() == 1) co_return finish(std::string(failure::kGenericTimeout));
  if (auto [ec, n] = std::get<0>(body); ec) co_return finish(FailureFromErrorCode(ec));

  auto parsed = ParseDnsResponse(response);
  if (!parsed || !MatchesQuery(*parsed, id, hostname, type)) {
    co_return finish(std::string(failure::kDnsServerMisbehaving));
  }
  result.failure = DnsFailureFor(*parsed, type);
  result.answers = std::move(parsed->answers);
  result.raw_response = std::move(response);
  result.t = timeline.Now();
  co_return result;
}

}  // namespace

asio::awaitable<Result<std::vector<DnsQueryResult>>> LookupUdp(std::string hostname,
                                                               DnsQueryType type,
                                                               asio::ip::udp::endpoint resolver,
                                                               DnsUdpOptions options,
                                                               Timeline timeline) {
  const std::uint16_t id = RandomId();
  auto query = BuildDnsQuery(hostname, type, id);
  if (!query) co_return tl::unexpected(query.error());

  const std::string resolver_text = FormatEndpoint(resolver);
  std::vector<DnsQueryResult> results;
  const double t0 = timeline.Now();
  auto fail_all = [&](std::string failure) {
    DnsQueryResult result = BaseResult("udp", resolver_text, hostname, type, t0);
    result.failure = std::move(failure);
    result.t = timeline.Now();
    results.push_back(std::move(result));
  };

  asio::ip::udp::socket socket(co_await asio::this_coro::executor);
  boost::system::error_code ec;
  socket.open(resolver.protocol(), ec);
  if (ec) {
    fail_all(FailureFromErrorCode(ec));
    co_return results;
  }
  SteadyTime deadline = SteadyNow() + options.timeout;
  auto sent = co_await (socket.async_send_to(asio::buffer(*query), resolver, kNoThrow) ||
                        CloseAt(deadline, socket));
  if (sent.index() == 1) {
    fail_all(std::string(failure::kGenericTimeout));
    co_return results;
  }
  if (auto [send_ec, n] = std::get<0>(sent); send_ec) {
    fail_all(FailureFromErrorCode(send_ec));
    co_return results;
  }

  auto buffer = std::make_unique<std::array<std::uint8_t, kMaxUdpDatagram>>();
  std::optional<std::string> receive_failure;
  bool window_started = false;
  for (std::size_t datagrams = 0;
       datagrams < options.max_datagrams && results.size() < options.max_responses;
       ++datagrams) {
    asio::ip::udp::endpoint from;
    auto received = co_await (socket.async_receive_from(asio::buffer(*buffer), from, kNoThrow) ||
                              CloseAt(deadline, socket));
    if (received.index() == 1) break;
    auto [receive_ec, n] = std::get<0>(received);
    if (receive_ec) {
      // ICMP errors surface here (e.g. connection_refused); later datagrams may still come.
      if (!receive_failure) receive_failure = FailureFromErrorCode(receive_ec);
      if (receive_ec == asio::error::operation_aborted || !socket.is_open()) break;
      continue;
    }
    if (from != resolver) continue;
    std::span<const std::uint8_t> wire(buffer->data(), n);
    auto parsed = ParseDnsResponse(wire);
    if (!parsed || !MatchesQuery(*parsed, id, hostname, type)) continue;
    if (!window_started) {
      window_started = true;
      deadline = SteadyNow() + options.collect_window;
    }
    if (parsed->truncated) {
      results.push_back(co_await ExchangeTcp(
          asio::ip::tcp::endpoint(resolver.address(), resolver.port()), *query, hostname, type,
          id, options.tcp_timeout, timeline));
      continue;
    }
    DnsQueryResult result = BaseResult("udp", resolver_text, hostname, type, t0);
    result.failure = DnsFailureFor(*parsed, type);
    result.answers = std::move(parsed->answers);
    result.raw_response.assign(wire.begin(), wire.end());
    result.t = timeline.Now();
    results.push_back(std::move(result));
  }
  if (results.empty()) fail_all(receive_failure.value_or(std::string(failure::kGenericTimeout)));
  co_return results;
}

}  // namespace vigil::net
