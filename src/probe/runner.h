// Runner: runs many measurements concurrently with two bounds — at most `parallel` at a time
// overall and at most `per_host` at a time for one host (the host of a URL input; the test name
// for tests without input). Nettests connect to their target one connection at a time, so the
// per-host bound is also a bound on concurrent connections to a host. An item waiting for its
// host does not block items for other hosts: a free worker takes the first pending item whose
// host has room.
//
// HostLimiter keeps the counts and the highest per-host concurrency it has seen, so a test can
// prove the cap held.
//
// Thread-safety: a Runner and its HostLimiter live on one executor (single-threaded io_context
// or a strand); Run() must not be called concurrently with itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"

namespace vigil::probe {

struct RunItem {
  int64_t item_id = 0;
  std::string test_name;
  std::string input;
  std::string host_key;  // see HostKey()
};

// The host a measurement of (test_name, input) talks to, for the per-host cap.
std::string HostKey(const std::string& test_name, const std::string& input);

class HostLimiter {
 public:
  explicit HostLimiter(std::size_t per_host) : per_host_(per_host == 0 ? 1 : per_host) {}
  bool HasRoom(const std::string& host) const;
  void Acquire(const std::string& host);
  void Release(const std::string& host);
  // The most measurements ever running at once for a single host.
  std::size_t max_seen_per_host() const { return max_seen_; }

 private:
  std::size_t per_host_;
  std::map<std::string, std::size_t> in_flight_;
  std::size_t max_seen_ = 0;
};

struct RunnerOptions {
  std::size_t parallel = 16;
  std::size_t per_host = 2;
};

class Runner {
 public:
  // Measures one item and commits it; an Error stops the run (no new items start, running ones
  // finish) and is returned by Run().
  using MeasureFn = std::function<boost::asio::awaitable<Result<bool>>(const RunItem&)>;

  explicit Runner(RunnerOptions options) : options_(options), limiter_(options.per_host) {}

  // Runs every item; returns how many were run.
  boost::asio::awaitable<Result<std::size_t>> Run(std::vector<RunItem> items, MeasureFn fn);

  const HostLimiter& limiter() const { return limiter_; }

 private:
  RunnerOptions options_;
  HostLimiter limiter_;
};

}  // namespace vigil::probe
