// Watcher: the `vigil probe watch` loop. Every interval it runs one round of checks
// (checks.h), derives the state (state.h), and journals (journal.h): a "start" entry after the
// first round, a "state" entry on every change of state (or of its reason, platforms or
// names), and a "summary" entry every summary_every and when it stops. While not offline, it
// checks in with the server and uploads the entries the server lacks (upload.h), in the
// background so that a slow server never delays the checks.
//
// The data budget (per UTC day) bounds the watch's own traffic: past half of it the
// throughput download is skipped, past 80% the TLS handshakes too, and once it is spent
// rounds run at a tenth of the rate (DNS and TCP only) until the day ends. Skips are counted in
// the summary.
//
// Thread-safety: Run is a coroutine for a single-threaded io_context; `stop` may be set from a
// signal handler or another thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "net/network.h"
#include "watch/anchors.h"
#include "watch/checks.h"
#include "watch/journal.h"
#include "watch/state.h"
#include "watch/upload.h"

namespace vigil::watch {

struct WatchOptions {
  Anchors anchors;
  std::chrono::milliseconds interval{30000};
  std::chrono::milliseconds summary_every{600000};
  std::chrono::milliseconds checkin_every{300000};
  uint64_t budget_bytes = 5'000'000;  // per UTC day
  int tls_every = 10;                 // rounds between TLS rounds (1: every round)
  int download_every = 240;           // rounds between throughput downloads
  int64_t rounds = 0;                 // stop after this many rounds; 0: until stopped
};

struct WatchCallbacks {
  // After each entry is committed (fsynced): its seq and kind.
  std::function<void(int64_t seq, const std::string& kind)> committed;
  // A change of state, in plain words.
  std::function<void(const std::string& description)> state_changed;
};

class Watcher {
 public:
  // `uploader` may be null (no server configured). Everything passed must outlive Run.
  Watcher(WatchOptions options, net::Network& network, Journal& journal, const Clock& clock,
          JournalUploader* uploader, AsnOf asn_of, WatchCallbacks callbacks = {});

  // Runs until `stop` is set or options.rounds rounds are done; writes a final summary.
  // Fails only when the journal cannot be written.
  boost::asio::awaitable<Result<void>> Run(const std::atomic<bool>& stop);

  // The state of the last round.
  const Assessment& current() const { return current_; }

 private:
  struct Period {
    Clock::MonoTime start;
    int64_t rounds = 0;
    int64_t checks = 0;
    uint64_t bytes = 0;
    int64_t skipped_downloads = 0;
    int64_t skipped_tls_rounds = 0;
    int64_t reduced_rounds = 0;
    int64_t checkins = 0;
    int64_t uploaded = 0;
    int64_t upload_failures = 0;
    std::map<std::string, int64_t> state_ms;
  };

  Result<int64_t> Append(std::string_view kind, const std::string& details);
  std::string SummaryDetails(Clock::MonoTime now, bool final_summary) const;
  boost::asio::awaitable<void> SyncInBackground(std::string state);

  WatchOptions options_;
  net::Network& network_;
  Journal& journal_;
  const Clock& clock_;
  JournalUploader* uploader_;
  AsnOf asn_of_;
  WatchCallbacks callbacks_;

  Assessment current_;
  std::string current_key_;
  ThroughputBaseline baseline_;
  TlsMemory tls_memory_;
  Period period_;
  int64_t day_ = -1;
  uint64_t bytes_today_ = 0;
  bool sync_running_ = false;
  std::optional<Clock::MonoTime> next_sync_;
  std::chrono::milliseconds sync_retry_{0};
  int64_t server_seq_ = -2;  // unknown until the first check-in
};

}  // namespace vigil::watch
