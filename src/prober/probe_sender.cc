#include "prober/probe_sender.h"

namespace vigil::prober {

namespace asio = boost::asio;

asio::awaitable<bool> ProbeSender::Probe(uint32_t address) {
  const auto at = limit_.Reserve(clock_.MonoNow());
  // Woken early (WakeAll), it waits again: the cap holds whatever happens around it.
  while (at > clock_.MonoNow()) co_await sleeper_.Until(at);
  ++sent_;
  const bool answered = co_await pinger_.Probe(address, timeout_);
  if (answered) ++answered_;
  co_return answered;
}

}  // namespace vigil::prober
