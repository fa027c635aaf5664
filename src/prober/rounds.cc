#include "prober/rounds.h"

#include <algorithm>


#include "prober/workers.h"

namespace vigil::prober {

namespace asio = boost::asio;

void RoundRunner::Stop() {
  stop_ = true;
  sender_.sleeper().WakeAll();
}

asio::awaitable<RoundSummary> RoundRunner::RunRound(int round, const ChangeFn& on_change) {
  const Clock& clock = sender_.clock();
  RoundSummary summary;
  summary.round = round;
  summary.start = clock.WallNow();
  const auto mono_start = clock.MonoNow();
  const uint64_t sent_before = sender_.sent();
  std::size_t next = 0;
  std::function<asio::awaitable<void>()> work = [&]() -> asio::awaitable<void> {
    while (next < trackers_.size() && !stop_) {
      BlockTracker& tracker = trackers_[next++];
      tracker.BeginRound();
      while (auto address = tracker.NextProbe()) tracker.Record(co_await sender_.Probe(*address));
      const auto outcome = tracker.EndRound();
      summary.max_block_probes = std::max(summary.max_block_probes, outcome.probes);
      if (outcome.changed() && on_change) {
        on_change({round, tracker.prefix(), clock.WallNow(), outcome, tracker.availability()});
      }
    }
  };
  co_await RunWorkers(std::min(options_.workers, std::max<std::size_t>(trackers_.size(), 1)), work);
  for (const auto& t : trackers_) {
    switch (t.state()) {
      case BlockState::kUp: ++summary.up; break;
      case BlockState::kDown: ++summary.down; break;
      case BlockState::kUncertain: ++summary.uncertain; break;
      case BlockState::kUnmeasurable: ++summary.unmeasurable; break;
    }
  }
  summary.probes = sender_.sent() - sent_before;
  summary.duration = clock.MonoNow() - mono_start;
  summary.overran = summary.duration > options_.round_length;
  co_return summary;
}

asio::awaitable<void> RoundRunner::Run(ChangeFn on_change, RoundFn on_round) {
  auto next_start = sender_.clock().MonoNow();
  for (int round = 1; !stop_ && (options_.rounds == 0 || round <= options_.rounds); ++round) {
    const auto summary = co_await RunRound(round, on_change);
    if (on_round) co_await on_round(summary);
    if (stop_ || (options_.rounds != 0 && round == options_.rounds)) break;
    next_start += options_.round_length;
    const auto now = sender_.clock().MonoNow();
    if (next_start < now) next_start = now;  // overran: start at once, keep the grid from here
    while (!stop_ && sender_.clock().MonoNow() < next_start) {
      co_await sender_.sleeper().Until(next_start);
    }
  }
}

}  // namespace vigil::prober
