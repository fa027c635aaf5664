#include "prober/survey.h"

#include <algorithm>

#include "prober/workers.h"

namespace vigil::prober {

namespace asio = boost::asio;
namespace {
constexpr uint64_t kHostsPerBlock = 254;  // .1 to .254: not the network and broadcast addresses
}  // namespace

BlockSurvey SummarizeSurvey(uint32_t prefix, const std::vector<std::bitset<256>>& answered) {
  BlockSurvey out;
  out.prefix = prefix;
  for (int octet = 0; octet < 256; ++octet) {
    const bool ever = std::any_of(answered.begin(), answered.end(),
                                  [&](const auto& pass) { return pass.test(static_cast<std::size_t>(octet)); });
    if (ever) out.ever_responsive.push_back(static_cast<uint8_t>(octet));
  }
  if (out.ever_responsive.empty() || answered.empty()) return out;
  double sum = 0;
  for (const auto& pass : answered) {
    const auto n = pass.count();
    sum += static_cast<double>(n) / static_cast<double>(out.ever_responsive.size());
  }
  out.availability = sum / static_cast<double>(answered.size());
  return out;
}

asio::awaitable<std::vector<SurveyedBlock>> SurveyBlocks(const std::vector<BlockSpec>& blocks,
                                                         ProbeSender& sender,
                                                         SurveyOptions options) {
  const uint64_t n_blocks = blocks.size();
  const uint64_t passes = static_cast<uint64_t>(std::max(options.passes, 1));
  const uint64_t per_pass = n_blocks * kHostsPerBlock;
  const uint64_t total = per_pass * passes;
  std::vector<std::vector<std::bitset<256>>> answered(
      n_blocks, std::vector<std::bitset<256>>(passes));
  uint64_t next = 0;
  uint64_t done = 0;
  std::function<asio::awaitable<void>()> work = [&]() -> asio::awaitable<void> {
    while (next < total) {
      const uint64_t i = next++;
      const uint64_t pass = i / per_pass;
      const uint64_t rem = i % per_pass;
      const uint64_t block = rem % n_blocks;
      const uint64_t host = rem / n_blocks + 1;
      const bool ok = co_await sender.Probe(blocks[block].prefix | static_cast<uint32_t>(host));
      answered[block][pass].set(host, ok);
      ++done;
      if (options.progress) options.progress(done, total);
    }
  };
  co_await RunWorkers(std::min<uint64_t>(options.workers, std::max<uint64_t>(total, 1)), work);
  std::vector<SurveyedBlock> out;
  out.reserve(n_blocks);
  for (uint64_t b = 0; b < n_blocks; ++b) {
    out.push_back({SummarizeSurvey(blocks[b].prefix, answered[b]), blocks[b].entities});
  }
  co_return out;
}

}  // namespace vigil::prober
