#include "prober/probe_sender.h"

namespace vigil::prober {

namespace asio = boost::asio;

asio::awaitable<bool> ProbeSender::Probe(uint32_t address) {
  // Each caller waits for its own slot; when it comes (or the sleep was cut short by WakeAll, or
  // the process was stalled and other late callers went first) the cap is checked again against
  // the probes actually sent: the cap holds whatever the scheduler does.
  Clock::MonoTime at = limit_.Reserve(clock_.MonoNow());
  for (;;) {
    const Clock::MonoTime now = clock_.MonoNow();
    if (at <= now) {
      at = limit_.MaySendAt(now);
      if (at <= now) {
        limit_.Sent(now);
        break;
      }
    }
    co_await sleeper_.Until(at);
  }
  ++sent_;
  const bool answered = co_await pinger_.Probe(address, timeout_);
  if (answered) ++answered_;
  co_return answered;
}

}  // namespace vigil::prober
