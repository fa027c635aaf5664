#include "net/address.h"

#include <charconv>

#include "core/failure.h"

namespace vigil::net {

std::string FormatEndpoint(const boost::asio::ip::address& ip, std::uint16_t port) {
  if (ip.is_v6()) return "[" + ip.to_string() + "]:" + std::to_string(port);
  return ip.to_string() + ":" + std::to_string(port);
}

Result<boost::asio::ip::tcp::endpoint> ParseEndpoint(std::string_view text) {
  auto bad = [&] {
    return Fail(std::string(failure::kInvalidArgument), "not ip:port: " + std::string(text));
  };
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return bad();
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad();
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  std::uint16_t port_number = 0;
  const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (ec != std::errc() || ptr != port.data() + port.size() || port.empty()) return bad();
  boost::system::error_code parse_ec;
  const auto ip = boost::asio::ip::make_address(std::string(host), parse_ec);
  if (parse_ec) return bad();
  return boost::asio::ip::tcp::endpoint(ip, port_number);
}

}  // namespace vigil::net
