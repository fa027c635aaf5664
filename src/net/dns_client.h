// The injection-aware DNS client: one A or AAAA query over our own UDP socket to a chosen
// resolver, then it keeps reading for a short window after the first response and records every
// response that matches the query (id and question). A censor's forged answer racing the real
// one therefore shows up as two results. A truncated (TC) response is retried over TCP.
//
// Thread-safety: each lookup is an independent coroutine owning its sockets; run lookups
// concurrently on any executor.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>

#include "core/result.h"
#include "net/observations.h"

namespace vigil::net {

struct DnsUdpOptions {
  // How long to wait for the first matching response.
  std::chrono::milliseconds timeout{5000};
  // How long to keep reading after the first matching response.
  std::chrono::milliseconds collect_window{500};
  // Budget for the whole TCP retry after a truncated response.
  std::chrono::milliseconds tcp_timeout{5000};
  // At most this many responses are recorded, and at most max_datagrams datagrams read.
  std::size_t max_responses = 16;
  std::size_t max_datagrams = 256;
};

// Queries `resolver` for `hostname`. Returns one DnsQueryResult per matching response, in
// arrival order (engine "udp", or "tcp" for a retry after truncation); when none arrives, a
// single result whose failure says why (generic_timeout_error, connection_refused, ...).
// Fails with invalid_argument only when hostname is not a domain name.
boost::asio::awaitable<Result<std::vector<DnsQueryResult>>> LookupUdp(
    std::string hostname, DnsQueryType type, boost::asio::ip::udp::endpoint resolver,
    DnsUdpOptions options, Timeline timeline);

}  // namespace vigil::net
