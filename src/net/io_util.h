// Internal helpers for the net library's coroutines: deadlines on socket operations.
//
// Thread-safety: the helpers run on the calling coroutine's executor; the closable object must
// only be used from that executor.
#pragma once

#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vigil::net::internal {

namespace asio = boost::asio;
using SteadyTime = std::chrono::steady_clock::time_point;
inline constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Waits until `deadline`, then closes `closable` so every pending operation on it completes.
// Returns without closing when cancelled first. Meant for racing one I/O operation:
//   auto r = co_await (sock.async_read_some(buf, kNoThrow) || CloseAt(deadline, sock));
//   if (r.index() == 1) { /* timed out; sock is closed */ }
// Only race single operations this way: a multi-step coroutine would throw when cancelled.
template <typename Closable>
asio::awaitable<void> CloseAt(SteadyTime deadline, Closable& closable) {
  asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
  auto [ec] = co_await timer.async_wait(kNoThrow);
  if (!ec) {
    boost::system::error_code ignored;
    closable.close(ignored);
  }
}

inline SteadyTime SteadyNow() { return std::chrono::steady_clock::now(); }

}  // namespace vigil::net::internal
