// Endpoint text as OONI writes it ("1.2.3.4:443", "[2001:db8::1]:443") and back.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "core/result.h"

namespace vigil::net {

std::string FormatEndpoint(const boost::asio::ip::address& ip, std::uint16_t port);

template <typename Endpoint>
std::string FormatEndpoint(const Endpoint& endpoint) {
  return FormatEndpoint(endpoint.address(), endpoint.port());
}

// Parses "ip:port" or "[ip6]:port"; fails with invalid_argument otherwise.
Result<boost::asio::ip::tcp::endpoint> ParseEndpoint(std::string_view text);

}  // namespace vigil::net
