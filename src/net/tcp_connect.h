// TCP connect with its own timeout, recording a df-005 TcpConnectResult. The connected socket is
// handed to the caller (for TLS or HTTP) or dropped to close it.
//
// Thread-safety: each call is an independent coroutine owning its socket.
#pragma once

#include <chrono>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "net/observations.h"

namespace vigil::net {

struct TcpConnection {
  TcpConnectResult result;
  // The connected socket when result.success; nullopt otherwise.
  std::optional<boost::asio::ip::tcp::socket> socket;
};

// Connects to `endpoint`, giving up after `timeout` (failure generic_timeout_error). Socket errors
// become OONI strings: connection_refused, host_unreachable, network_unreachable, ...
boost::asio::awaitable<TcpConnection> DialTcp(boost::asio::ip::tcp::endpoint endpoint,
                                              std::chrono::milliseconds timeout,
                                              Timeline timeline);

}  // namespace vigil::net
