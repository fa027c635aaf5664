// HttpPoster: HTTP(S) POST of a JSON body for the probe's own services (the test helper's
// control requests, OONI collector uploads), through libcurl. Each request runs on a private
// thread pool so that an io thread never blocks; the awaiting coroutine resumes on its own
// executor. Responses are capped; TLS trusts the system store plus an optional extra CA file
// (the testbed's own CA).
//
// Operational failures (nothing listening, timeout, bad certificate) are Errors whose failure
// is an OONI-style string ("connection_refused", "generic_timeout_error", ...): callers record
// them (control_failure) or retry (uploads).
//
// Thread-safety: Post may be called concurrently from any executor. The HttpPoster must outlive
// every Post it started; its destructor waits for running requests.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/result.h"

namespace vigil::measure::nettests {

struct PostOptions {
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{10000};
  std::size_t max_response_bytes = std::size_t{4} << 20;
  std::string content_type = "application/json";
  std::vector<std::string> headers;  // extra request header lines, "Name: value"
};

struct PostResponse {
  long status = 0;  // HTTP status code
  std::string body;
};

class HttpPoster {
 public:
  // extra_ca_file: PEM CA certificates trusted besides the system store; empty for none.
  // Fails with io_error when the file cannot be read.
  static Result<std::unique_ptr<HttpPoster>> Create(std::string extra_ca_file = {},
                                                    std::size_t threads = 4);
  ~HttpPoster();
  HttpPoster(const HttpPoster&) = delete;
  HttpPoster& operator=(const HttpPoster&) = delete;

  // POSTs `body` to `url` (http or https). Any HTTP status is a success here.
  boost::asio::awaitable<Result<PostResponse>> Post(std::string url, std::string body,
                                                    PostOptions options = {});
  // The same, blocking the calling thread.
  Result<PostResponse> PostBlocking(const std::string& url, const std::string& body,
                                    const PostOptions& options);

 private:
  HttpPoster(std::string extra_ca_file, std::size_t threads);
  boost::asio::awaitable<Result<PostResponse>> PostOnPool(std::string url, std::string body,
                                                          PostOptions options);
  std::string extra_ca_file_;
  boost::asio::thread_pool pool_;
};

}  // namespace vigil::measure::nettests
