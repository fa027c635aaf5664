// RateLimiter: a token bucket per client address, for anonymous submissions to an open
// collector (`vigil serve --open-collector`). Each address may burst `burst` requests and
// then `rate_per_second` on average. The table of addresses is bounded: when it is full,
// buckets that have refilled completely (idle clients) are dropped first.
//
// Thread-safety: Take() may be called from many threads at once (one mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"

namespace vigil::server {

struct RateLimit {
  double rate_per_second = 10;
  double burst = 50;
  std::size_t max_clients = 100000;
};

class RateLimiter {
 public:
  // `clock` must outlive the limiter.
  RateLimiter(const Clock& clock, RateLimit limit) : clock_(clock), limit_(limit) {}

  // Takes one token for `client`. When none is left, returns false and sets *retry_after
  // (if given) to the time until one is available.
  bool Take(std::string_view client, std::chrono::milliseconds* retry_after = nullptr);

 private:
  struct Bucket {
    double tokens;
    Clock::MonoTime last;
  };
  void Evict(Clock::MonoTime now);

  const Clock& clock_;
  RateLimit limit_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// The address part of "ip:port" / "[ipv6]:port".
std::string_view ClientAddress(std::string_view remote);

}  // namespace vigil::server
