// The survey: finds each block's ever-responsive addresses E(b) and their availability A(b) by
// probing every host address (.1 to .254) of every block `passes` times, through the rate-capped
// ProbeSender. Within a pass, consecutive probes go to different blocks, so no block sees a burst.
// A(b) is the mean over passes of the fraction of E(b) that answered in that pass.
//
// Thread-safety: runs on one io thread; the ProbeSender must outlive the call.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "prober/block_list.h"
#include "prober/probe_sender.h"
#include "prober/state_file.h"

namespace vigil::prober {

struct SurveyOptions {
  int passes = 3;
  std::size_t workers = 256;  // probes in flight at most
  // Called after each probe with (done, total); may be empty.
  std::function<void(uint64_t, uint64_t)> progress;
};

// E(b) and A(b) from the answers: answered[pass] is the set of host octets that answered.
BlockSurvey SummarizeSurvey(uint32_t prefix, const std::vector<std::bitset<256>>& answered);

boost::asio::awaitable<std::vector<SurveyedBlock>> SurveyBlocks(
    const std::vector<BlockSpec>& blocks, ProbeSender& sender, SurveyOptions options);

}  // namespace vigil::prober
