// TestHelper: the Web Connectivity control server ("test helper"), speaking OONI's protocol
// (ts-017 "control"; probe-cli internal/oonith, model/th.go) so OONI's probes could use it too.
//
// A probe POSTs {http_request, http_request_headers, tcp_connect[]} to "/"; the helper resolves
// the URL's host itself, connects to every endpoint (the probe's and its own), handshakes TLS
// with the host as SNI for https, fetches the URL (following redirects) and answers
//   {tcp_connect{ep:{status,failure}}, tls_handshake{ep:{server_name,status,failure}},
//    http_request{body_length,failure,title,headers,status_code,discovered_h3_endpoint},
//    dns{failure,addrs}, ip_info{ip:{asn,flags}}}
// A malformed request gets 400 with {"error": "..."}; other methods or paths 405/404.
// Bounds: at most max_endpoints endpoints per request, per-step timeouts, a capped page body;
// the request body cap and the number of concurrent requests are the HttpServer's.
//
// Thread-safety: Handle() may run concurrently on one executor (a strand); the Network, Clock
// and AsnLookup given to the constructor must outlive the TestHelper and be safe for that use.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>

#include "core/clock.h"
#include "measure/measurement.h"
#include "measure/nettests/control.h"
#include "net/http_server.h"
#include "net/network.h"

namespace vigil::helper {

struct HelperOptions {
  // A UDP resolver to use instead of the system resolver.
  std::optional<boost::asio::ip::udp::endpoint> resolver;
  std::chrono::milliseconds step_timeout{10000};
  std::chrono::milliseconds http_timeout{30000};
  std::size_t max_body_bytes = std::size_t{1} << 20;
  std::size_t max_endpoints = 32;
};

// IP → AS number (nullopt or 0 when unknown).
using AsnLookup = std::function<std::optional<uint32_t>(std::string_view ip)>;

class TestHelper {
 public:
  TestHelper(net::Network& network, const Clock& clock, AsnLookup asn_lookup,
             HelperOptions options = {});

  // The HttpServer handler.
  boost::asio::awaitable<net::HttpServerResponse> Handle(const net::HttpServerRequest& request);

  // Measures one request. Fails with invalid_argument when the URL is not http(s).
  boost::asio::awaitable<Result<measure::Control>> Measure(
      measure::nettests::ControlRequest request);

 private:
  net::Network& network_;
  const Clock& clock_;
  AsnLookup asn_lookup_;
  HelperOptions options_;
};

// The page title as OONI's helper extracts it: the first <title>...</title> (any case) holding
// 1 to 128 characters none of which is '<'; "" when there is none.
std::string ExtractTitle(std::string_view body);

}  // namespace vigil::helper
