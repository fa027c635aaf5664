// RoundRunner: Trinocular's rounds. Every round_length, each measurable block is probed
// adaptively (BlockTracker) through the rate-capped ProbeSender, `workers` blocks at a time; a
// block's probes within a round are sequential, each waiting for its answer or timeout. Rounds
// start on a fixed grid (start + k * round_length); a round that takes longer than that is
// reported as overrun and the next one starts at once.
//
// Thread-safety: runs on one io thread; Stop() must be called from that thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/clock.h"
#include "prober/probe_sender.h"
#include "prober/trinocular.h"

namespace vigil::prober {

struct RoundSummary {
  int round = 0;  // 1-based
  Clock::WallTime start;
  std::chrono::nanoseconds duration{0};
  int up = 0, down = 0, uncertain = 0, unmeasurable = 0;
  uint64_t probes = 0;        // sent in this round
  int max_block_probes = 0;   // the most any block received in this round
  bool overran = false;       // took longer than the round length
};

struct StateChange {
  int round = 0;
  uint32_t prefix = 0;
  Clock::WallTime time;  // when the deciding probe's answer (or timeout) came
  BlockTracker::RoundOutcome outcome;
  double availability = 0;
};

struct RoundOptions {
  std::chrono::milliseconds round_length{660000};
  int rounds = 0;  // 0: until Stop()
  std::size_t workers = 256;
};

class RoundRunner {
 public:
  using ChangeFn = std::function<void(const StateChange&)>;
  // Awaited after each round (posting signals); the next round does not wait past its start.
  using RoundFn = std::function<boost::asio::awaitable<void>(const RoundSummary&)>;

  // trackers and sender must outlive the runner.
  RoundRunner(std::vector<BlockTracker>& trackers, ProbeSender& sender, RoundOptions options)
      : trackers_(trackers), sender_(sender), options_(options) {}

  boost::asio::awaitable<void> Run(ChangeFn on_change, RoundFn on_round);
  // Ends the run after the blocks being probed now; no further round starts.
  void Stop();

 private:
  boost::asio::awaitable<RoundSummary> RunRound(int round, const ChangeFn& on_change);

  std::vector<BlockTracker>& trackers_;
  ProbeSender& sender_;
  RoundOptions options_;
  bool stop_ = false;
};

}  // namespace vigil::prober
