#include "watch/watch.h"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/json_writer.h"

namespace vigil::watch {
namespace {

namespace asio = boost::asio;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

int64_t UtcDay(Clock::WallTime t) {
  return std::chrono::floor<std::chrono::days>(t).time_since_epoch().count();
}

// Sleeps until `until` in short slices, returning early when stop is set.
asio::awaitable<void> SleepUntil(const Clock& clock, Clock::MonoTime until,
                                 const std::atomic<bool>& stop) {
  auto executor = co_await asio::this_coro::executor;
  while (!stop.load() && clock.MonoNow() < until) {
    const auto left = duration_cast<milliseconds>(until - clock.MonoNow());
    asio::steady_timer timer(executor, std::clamp(left, milliseconds(1), milliseconds(100)));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace

Watcher::Watcher(WatchOptions options, net::Network& network, Journal& journal,
                 const Clock& clock, JournalUploader* uploader, AsnOf asn_of,
                 WatchCallbacks callbacks)
    : options_(std::move(options)),
      network_(network),
      journal_(journal),
      clock_(clock),
      uploader_(uploader),
      asn_of_(std::move(asn_of)),
      callbacks_(std::move(callbacks)) {
  options_.tls_every = std::max(options_.tls_every, 1);
  options_.download_every = std::max(options_.download_every, 1);
}

Result<int64_t> Watcher::Append(std::string_view kind, const std::string& details) {
  auto seq = journal_.Append(clock_.WallNow(), kind, StateName(current_.state), details);
  if (seq && callbacks_.committed) callbacks_.committed(*seq, std::string(kind));
  return seq;
}

std::string Watcher::SummaryDetails(Clock::MonoTime now, bool final_summary) const {
  std::string out;
  JsonWriter w(out);
  const auto& p = period_;
  w.BeginObject()
      .Key("period_ms").Int(duration_cast<milliseconds>(now - p.start).count())
      .Key("rounds").Int(p.rounds)
      .Key("checks").Int(p.checks)
      .Key("bytes").Uint(p.bytes)
      .Key("bytes_today").Uint(bytes_today_)
      .Key("budget_bytes").Uint(options_.budget_bytes)
      .Key("skipped_downloads").Int(p.skipped_downloads)
      .Key("skipped_tls_rounds").Int(p.skipped_tls_rounds)
      .Key("reduced_rounds").Int(p.reduced_rounds)
      .Key("checkins").Int(p.checkins)
      .Key("uploaded").Int(p.uploaded)
      .Key("upload_failures").Int(p.upload_failures);
  w.Key("state_ms").BeginObject();
  for (const auto& [state, ms] : p.state_ms) w.Key(state).Int(ms);
  w.EndObject();
  if (final_summary) w.Key("stopping").Bool(true);
  w.EndObject();
  return out;
}

asio::awaitable<void> Watcher::SyncInBackground(std::string state) {
  auto stats = co_await uploader_->Sync(std::move(state));
  // Uploads are the watch's own traffic too.
  bytes_today_ += stats.bytes;
  period_.bytes += stats.bytes;
  period_.checkins += 1;
  period_.uploaded += stats.accepted;
  const auto now = clock_.MonoNow();
  if (stats.failure.empty()) {
    server_seq_ = stats.server_last_seq;
    sync_retry_ = milliseconds(0);
    next_sync_ = now + options_.checkin_every;
    if (stats.accepted > 0) {
      spdlog::info("watch: uploaded {} journal entries; the server holds up to seq {}",
                   stats.accepted, stats.server_last_seq);
    }
  } else {
    period_.upload_failures += 1;
    if (stats.server_last_seq >= -1) server_seq_ = stats.server_last_seq;
    // Exponential backoff between syncs, from one interval up to the check-in period.
    sync_retry_ = std::clamp(sync_retry_ * 2, options_.interval, options_.checkin_every);
    next_sync_ = now + sync_retry_;
    spdlog::warn("watch: server sync failed ({}); next try in {} s", stats.failure,
                 duration_cast<std::chrono::seconds>(sync_retry_).count());
  }
  sync_running_ = false;
}

asio::awaitable<Result<void>> Watcher::Run(const std::atomic<bool>& stop) {
  auto executor = co_await asio::this_coro::executor;
  period_.start = clock_.MonoNow();
  auto last_round_end = period_.start;
  auto next_summary = period_.start + options_.summary_every;
  uint64_t round = 0;
  while (!stop.load() && (options_.rounds <= 0 || static_cast<int64_t>(round) < options_.rounds)) {
    const auto round_start = clock_.MonoNow();
    const int64_t today = UtcDay(clock_.WallNow());
    if (today != day_) {
      day_ = today;
      bytes_today_ = 0;
    }
    const uint64_t budget = std::max<uint64_t>(options_.budget_bytes, 1);
    const bool over_budget = bytes_today_ >= budget;
    CheckPlan plan;
    plan.tls = round % static_cast<uint64_t>(options_.tls_every) == 0;
    plan.download = !options_.anchors.download_url.empty() &&
                    round % static_cast<uint64_t>(options_.download_every) == 0;
    if (plan.download && bytes_today_ * 2 >= budget) {
      plan.download = false;
      ++period_.skipped_downloads;
    }
    if (plan.tls && bytes_today_ * 10 >= budget * 8) {
      plan.tls = false;
      ++period_.skipped_tls_rounds;
    }
    auto result = co_await RunRound(network_, options_.anchors, plan, clock_, tls_memory_, round);
    bytes_today_ += result.bytes;
    period_.bytes += result.bytes;
    period_.checks += result.checks;
    period_.rounds += 1;
    if (over_budget) ++period_.reduced_rounds;

    StateContext context;
    context.baseline_bps = baseline_.Median();
    context.asn_of = asn_of_;
    Assessment assessment = Assess(result.observations, context);
    if (result.observations.throughput_bps && !assessment.throttled &&
        assessment.state != State::kOffline) {
      baseline_.Add(*result.observations.throughput_bps);
    }
    const auto now = clock_.MonoNow();
    if (round > 0) {
      period_.state_ms[std::string(StateName(current_.state))] +=
          duration_cast<milliseconds>(now - last_round_end).count();
    }
    last_round_end = now;
    const std::string key = assessment.Key();
    const bool changed = key != current_key_;
    current_ = std::move(assessment);
    current_key_ = key;
    if (round == 0 || changed) {
      if (callbacks_.state_changed) callbacks_.state_changed(current_.Describe());
      auto seq = Append(round == 0 ? "start" : "state", current_.DetailsJson());
      if (!seq) co_return tl::unexpected(seq.error());
    }
    if (now >= next_summary) {
      auto seq = Append("summary", SummaryDetails(now, false));
      if (!seq) co_return tl::unexpected(seq.error());
      period_ = Period{};
      period_.start = now;
      next_summary = now + options_.summary_every;
    }
    if (uploader_ && !sync_running_ && current_.state != State::kOffline) {
      const bool due = !next_sync_ || now >= *next_sync_;
      const bool behind = server_seq_ >= -1 && server_seq_ < journal_.last_seq() &&
                          sync_retry_.count() == 0;
      if (due || behind) {
        sync_running_ = true;
        asio::co_spawn(executor, SyncInBackground(std::string(StateName(current_.state))),
                       asio::detached);
      }
    }
    ++round;
    if (options_.rounds > 0 && static_cast<int64_t>(round) >= options_.rounds) break;
    const auto pause = over_budget ? options_.interval * 10 : options_.interval;
    co_await SleepUntil(clock_, round_start + pause, stop);
  }
  // A sync in flight finishes (its requests are bounded by their timeouts) before we return.
  while (sync_running_) {
    asio::steady_timer timer(executor, milliseconds(20));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  const auto now = clock_.MonoNow();
  if (round > 0) {
    period_.state_ms[std::string(StateName(current_.state))] +=
        duration_cast<milliseconds>(now - last_round_end).count();
    auto seq = Append("summary", SummaryDetails(now, true));
    if (!seq) co_return tl::unexpected(seq.error());
  }
  co_return Result<void>{};
}

}  // namespace vigil::watch
