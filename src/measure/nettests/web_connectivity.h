// The Web Connectivity nettest (OONI ts-017, the v0.4 algorithm) as one straight-line
// coroutine: resolve the URL's host with the system resolver (and, when configured, a UDP
// resolver whose every answer is recorded, so a forged answer racing the real one shows), ask
// the test helper for its view, connect to every address (TLS handshake with the host as SNI for
// https), then GET the URL following redirects. The result is an OONI-format measurement whose
// test keys carry the observations; the verdict (blocking/accessible) is added by the probe,
// which runs analysis over it (measure does not depend on analysis).
//
// Vigil's additions to the test keys:
//   x_download_speed_bps  body bits per second of the final response (from the end of its
//                         header to the end of its body); null when no body byte arrived.
//   x_throttled           true when the final body has at least throttle_min_bytes and arrived
//                         slower than throttle_threshold_bps; false when it was at least that
//                         large and fast enough; null when the body was too small to judge
//                         (short transfers are dominated by latency, not bandwidth).
//
// Connections to the target host are made one at a time within a measurement, so a runner that
// caps concurrent measurements per host caps connections per host too.
//
// Thread-safety: each call is independent; see NettestEnv.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>

#include "measure/measurement.h"
#include "measure/nettests/control.h"
#include "measure/nettests/nettest.h"
#include "net/tls_handshake.h"

namespace vigil::measure::nettests {

inline constexpr char kWebConnectivityVersion[] = "0.4.3";

struct WebConnectivityConfig {
  bool use_system_resolver = true;
  // A UDP resolver queried for A and AAAA besides (or, without the system resolver, instead of)
  // getaddrinfo. Its addresses are connected to only when the system resolver is not used.
  std::optional<boost::asio::ip::udp::endpoint> udp_resolver;
  std::size_t max_body_bytes = std::size_t{1} << 20;
  std::chrono::milliseconds step_timeout{10000};
  std::chrono::milliseconds http_overall_timeout{60000};
  double throttle_threshold_bps = 1e6;
  std::size_t throttle_min_bytes = 64 * 1024;
};

// `control` may be null (no helper): control_failure then says so.
boost::asio::awaitable<Measurement> RunWebConnectivity(const NettestEnv& env,
                                                       ControlClient* control, std::string url,
                                                       WebConnectivityConfig config);

// The request headers OONI Probe sends (and asks the helper to send).
const net::HeadersList& BrowserHeaders();

}  // namespace vigil::measure::nettests
