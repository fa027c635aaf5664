#include "server/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace vigil::server {

bool RateLimiter::Take(std::string_view client, std::chrono::milliseconds* retry_after) {
  const auto now = clock_.MonoNow();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(std::string(client));
  if (it == buckets_.end()) {
    if (buckets_.size() >= limit_.max_clients) Evict(now);
    it = buckets_.emplace(std::string(client), Bucket{limit_.burst, now}).first;
  }
  Bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.last).count();
  b.tokens = std::min(limit_.burst, b.tokens + elapsed * limit_.rate_per_second);
  b.last = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  if (retry_after) {
    const double wait_s = limit_.rate_per_second > 0 ? (1.0 - b.tokens) / limit_.rate_per_second : 60.0;
    *retry_after = std::chrono::milliseconds(static_cast<int64_t>(std::ceil(wait_s * 1000.0)));
  }
  return false;
}

void RateLimiter::Evict(Clock::MonoTime now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double elapsed = std::chrono::duration<double>(now - it->second.last).count();
    if (it->second.tokens + elapsed * limit_.rate_per_second >= limit_.burst) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  // Still full: every client is active. Forgetting one at random only lets it burst again.
  if (buckets_.size() >= limit_.max_clients) buckets_.erase(buckets_.begin());
}

std::string_view ClientAddress(std::string_view remote) {
  if (!remote.empty() && remote.front() == '[') {
    auto close = remote.find(']');
    return close == std::string_view::npos ? remote : remote.substr(1, close - 1);
  }
  auto colon = remote.rfind(':');
  return colon == std::string_view::npos ? remote : remote.substr(0, colon);
}

}  // namespace vigil::server
