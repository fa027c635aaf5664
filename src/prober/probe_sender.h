// ProbeSender: the one way the prober sends a probe. It waits for a slot of the global
// ProbeRateLimit, sends through the Pinger and counts what it sent and what answered, so the
// rate cap holds for survey and rounds alike and the probe count is exact.
//
// Thread-safety: used from the coroutines of one io thread; the Pinger, ProbeRateLimit, Clock and
// Sleeper must outlive it.
#pragma once

#include <chrono>
#include <cstdint>

#include <boost/asio/awaitable.hpp>

#include "core/clock.h"
#include "prober/pinger.h"
#include "prober/rate_limit.h"
#include "prober/sleeper.h"

namespace vigil::prober {

class ProbeSender {
 public:
  ProbeSender(Pinger& pinger, ProbeRateLimit& limit, const Clock& clock, Sleeper& sleeper,
              std::chrono::milliseconds timeout)
      : pinger_(pinger), limit_(limit), clock_(clock), sleeper_(sleeper), timeout_(timeout) {}

  // Waits for a slot, probes `address` (host order); true when it answered.
  boost::asio::awaitable<bool> Probe(uint32_t address);

  uint64_t sent() const { return sent_; }
  uint64_t answered() const { return answered_; }
  const Clock& clock() const { return clock_; }
  Sleeper& sleeper() const { return sleeper_; }
  const ProbeRateLimit& limit() const { return limit_; }

 private:
  Pinger& pinger_;
  ProbeRateLimit& limit_;
  const Clock& clock_;
  Sleeper& sleeper_;
  std::chrono::milliseconds timeout_;
  uint64_t sent_ = 0;
  uint64_t answered_ = 0;
};

}  // namespace vigil::prober
