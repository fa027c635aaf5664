// HTTP/1.1 GET client over TCP or TLS, recording what OONI records for df-001-httpt and
// df-008-netevents: one HttpTransaction per hop of a redirect chain (followed by hand, up to
// max_redirects), the TCP connects and TLS handshakes it made, and read/write events with byte
// counts. Every step has its own timeout and the whole exchange an overall deadline; header and
// body are capped, so a trickling server or an endless header or body ends in a recorded failure
// with bounded memory and time.
//
// Thread-safety: each HttpGet is an independent coroutine owning its connections.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "net/observations.h"
#include "net/tls_handshake.h"

namespace vigil::net {

// Resolves a hostname for a hop (e.g. Network::LookupSystem); the answers' addresses are tried in
// order.
using HttpResolver = std::function<boost::asio::awaitable<DnsQueryResult>(std::string hostname)>;

struct HttpOptions {
  HeadersList headers;  // request headers, in order; Host is added from the URL
  std::size_t max_body_bytes = std::size_t{1} << 20;
  std::size_t max_header_bytes = 64 * 1024;
  int max_redirects = 10;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds tls_timeout{10000};
  std::chrono::milliseconds io_timeout{10000};  // for each single read or write
  std::chrono::milliseconds overall_timeout{60000};
  // Where to connect for the first hop, bypassing resolution (later hops always resolve).
  std::optional<boost::asio::ip::tcp::endpoint> first_hop_address;
  std::size_t max_addresses_per_hop = 4;
  // Trust for https; a context trusting the system store is made when null.
  std::shared_ptr<TlsClientContext> tls_context;
  bool no_tls_verify = false;
};

struct HttpResult {
  // Newest first, as OONI lists them: requests.front() is the final hop.
  std::vector<HttpTransaction> requests;
  std::vector<DnsQueryResult> queries;  // lookups made for hops
  std::vector<TcpConnectResult> tcp_connect;
  std::vector<TlsHandshakeResult> tls_handshakes;
  std::vector<NetworkEvent> network_events;
  // The failure that ended the chain (the last hop's failure, or too many redirects).
  std::optional<std::string> failure;
};

// GETs `url` (http or https), following redirects. Never throws; a URL that cannot be fetched
// (bad syntax, unsupported scheme) is recorded as a failed transaction.
boost::asio::awaitable<HttpResult> HttpGet(std::string url, HttpOptions options,
                                           HttpResolver resolver, Timeline timeline);

}  // namespace vigil::net
