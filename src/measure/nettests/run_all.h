// RunAll: runs coroutines concurrently on the caller's executor and returns when all are done.
// Tasks must not throw (an escaping exception is dropped). Thread-safety: the caller's executor
// must be single-threaded or a strand, as every Vigil io loop is.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vigil::measure::nettests {

inline boost::asio::awaitable<void> RunAll(std::vector<boost::asio::awaitable<void>> tasks) {
  namespace asio = boost::asio;
  if (tasks.empty()) co_return;
  auto ex = co_await asio::this_coro::executor;
  auto remaining = std::make_shared<std::size_t>(tasks.size());
  auto done = std::make_shared<asio::steady_timer>(ex, asio::steady_timer::time_point::max());
  for (auto& t : tasks) {
    asio::co_spawn(ex, std::move(t), [remaining, done](std::exception_ptr) {
      if (--*remaining == 0) done->cancel();
    });
  }
  while (*remaining > 0) co_await done->async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace vigil::measure::nettests
