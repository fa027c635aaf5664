#include "prober/sleeper.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vigil::prober {

namespace asio = boost::asio;

asio::awaitable<void> TimerSleeper::Until(Clock::MonoTime at) {
  asio::steady_timer timer(co_await asio::this_coro::executor, at);
  waiting_.insert(&timer);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  waiting_.erase(&timer);
}

void TimerSleeper::WakeAll() {
  for (auto* timer : waiting_) timer->cancel();
}

}  // namespace vigil::prober
