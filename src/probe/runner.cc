#include "probe/runner.h"

#include <algorithm>
#include <list>
#include <memory>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/url.h"
#include "measure/nettests/run_all.h"

namespace vigil::probe {

namespace asio = boost::asio;

std::string HostKey(const std::string& test_name, const std::string& input) {
  if (input.empty()) return test_name;
  auto u = ParseUrl(input);
  return u ? u->host : input;
}

bool HostLimiter::HasRoom(const std::string& host) const {
  auto it = in_flight_.find(host);
  return it == in_flight_.end() || it->second < per_host_;
}

void HostLimiter::Acquire(const std::string& host) {
  const std::size_t n = ++in_flight_[host];
  max_seen_ = std::max(max_seen_, n);
}

void HostLimiter::Release(const std::string& host) {
  auto it = in_flight_.find(host);
  if (it == in_flight_.end()) return;
  if (--it->second == 0) in_flight_.erase(it);
}

asio::awaitable<Result<std::size_t>> Runner::Run(std::vector<RunItem> items, MeasureFn fn) {
  struct State {
    std::list<RunItem> pending;
    std::optional<Error> error;
    std::size_t ran = 0;
    asio::steady_timer wake;
    explicit State(asio::any_io_executor ex) : wake(ex, asio::steady_timer::time_point::max()) {}
  };
  auto ex = co_await asio::this_coro::executor;
  State state(ex);
  state.pending.assign(std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
  const std::size_t workers = std::min(std::max<std::size_t>(options_.parallel, 1), items.size());

  std::vector<asio::awaitable<void>> tasks;
  for (std::size_t w = 0; w < workers; ++w) {
    tasks.push_back([](State& s, HostLimiter& limiter, const MeasureFn& measure) -> asio::awaitable<void> {
      // Each pass either takes an item or waits for a release; items only leave `pending`.
      while (!s.error && !s.pending.empty()) {
        auto it = std::find_if(s.pending.begin(), s.pending.end(),
                               [&](const RunItem& i) { return limiter.HasRoom(i.host_key); });
        if (it == s.pending.end()) {
          co_await s.wake.async_wait(asio::as_tuple(asio::use_awaitable));
          continue;
        }
        RunItem item = std::move(*it);
        s.pending.erase(it);
        limiter.Acquire(item.host_key);
        auto r = co_await measure(item);
        limiter.Release(item.host_key);
        ++s.ran;
        if (!r && !s.error) s.error = r.error();
        s.wake.cancel();  // wakes every waiting worker to look again
      }
    }(state, limiter_, fn));
  }
  co_await measure::nettests::RunAll(std::move(tasks));
  if (state.error) co_return tl::unexpected(*state.error);
  co_return state.ran;
}

}  // namespace vigil::probe
