// The Web Connectivity test-helper protocol (OONI ts-017 "control", probe-cli model/th.go):
// the request a probe POSTs to a helper, the helper's answer (measure::Control) as JSON in both
// directions, and ControlClient, the probe side of the exchange.
//
// Thread-safety: the functions are pure; an HttpControlClient may be used concurrently (its
// HttpPoster must outlive it).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "measure/measurement.h"
#include "measure/nettests/http_post.h"

namespace vigil::measure::nettests {

// THIPInfo flags (probe-cli model/th.go).
inline constexpr int64_t kIpResolvedByProbe = 1 << 0;
inline constexpr int64_t kIpResolvedByHelper = 1 << 1;
inline constexpr int64_t kIpIsBogon = 1 << 2;
inline constexpr int64_t kIpValidForDomain = 1 << 3;

struct ControlRequest {
  std::string http_request;  // the URL to fetch
  // Header name → values, in order.
  std::vector<std::pair<std::string, std::vector<std::string>>> http_request_headers;
  std::vector<std::string> tcp_connect;  // "ip:port" endpoints the probe resolved
};

std::string WriteControlRequestJson(const ControlRequest& request);
// parse_error naming the offending field when `json` is not a valid request.
Result<ControlRequest> ParseControlRequest(std::string_view json);

// The helper's answer as OONI JSON (written by measure's serializer).
std::string WriteControlJson(const Control& control);
Result<Control> ParseControlJson(std::string_view json);

class ControlClient {
 public:
  virtual ~ControlClient() = default;
  // The helper's view, or an Error whose failure goes into test_keys.control_failure.
  virtual boost::asio::awaitable<Result<Control>> Query(ControlRequest request) = 0;
};

// Talks to a helper at `url` (e.g. "https://th.example.org/" or "http://127.0.0.1:8080/").
class HttpControlClient final : public ControlClient {
 public:
  HttpControlClient(HttpPoster& poster, std::string url,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60))
      : poster_(poster), url_(std::move(url)), timeout_(timeout) {}
  boost::asio::awaitable<Result<Control>> Query(ControlRequest request) override;

 private:
  HttpPoster& poster_;
  std::string url_;
  std::chrono::milliseconds timeout_;
};

}  // namespace vigil::measure::nettests
