#include "prober/workers.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vigil::prober {

namespace asio = boost::asio;
namespace {

// A plain function, not a lambda: its parameters live in the coroutine frame.
asio::awaitable<void> Worker(const std::function<asio::awaitable<void>()>* work, std::size_t* left,
                             asio::steady_timer* all_done) {
  co_await (*work)();
  if (--*left == 0) all_done->cancel();
}

}  // namespace

asio::awaitable<void> RunWorkers(std::size_t count,
                                 const std::function<asio::awaitable<void>()>& work) {
  if (count == 0) co_return;
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer all_done(executor, asio::steady_timer::time_point::max());
  std::size_t left = count;
  for (std::size_t i = 0; i < count; ++i) {
    asio::co_spawn(executor, Worker(&work, &left, &all_done), asio::detached);
  }
  while (left > 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace vigil::prober
