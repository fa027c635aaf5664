// GroupCommit: the collector's writer. Each caller hands over one prepared measurement and
// blocks until it is committed (Insert), or is called back once it is (InsertAsync, so an
// HTTP worker need not wait); one writer thread stores whatever has queued up meanwhile
// in a single transaction (Store::InsertBatchUnflushed), the raw bytes of the batch
// compressed together into blocks (store::PackBlocks: faster, and ~2.8x fewer bytes to
// write and flush than a frame per measurement), and a second thread makes the
// commits durable (Store::SyncCommitted: with SQLite, one fsync of the WAL) before it calls
// their callers back. Concurrent submissions share a commit and an fsync, and the writer
// inserts the next batch while the disk flushes the last one; every caller still returns
// only after its row is durable. A third thread copies the WAL into the database file
// (Store::CheckpointIfDue) after the flushes, so that the writer's commits no longer do it
// (it was a fifth of the writer's time, and the slowest commits).
//
// A failed batch is retried row by row (Store::Insert), so one bad row cannot fail the
// others' submissions.
//
// Thread-safety: Insert() may be called from many threads at once. The Store must outlive
// the GroupCommit; the destructor finishes what is queued, then joins the writer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/result.h"
#include "store/prepare.h"
#include "store/store.h"

namespace vigil::server {

class GroupCommit {
 public:
  // What the writer and the flush thread report, for /metrics (may be empty; called on
  // those threads, so they must be thread-safe).
  struct Observer {
    std::function<void(std::size_t rows)> committed;  // one transaction of `rows`
    std::function<void(std::chrono::nanoseconds took)> flushed;  // one flush
    std::function<void(std::chrono::nanoseconds took)> checkpointed;  // one checkpoint
  };

  GroupCommit(store::Store& store, std::size_t max_batch, Observer observer = {});
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  using Done = std::function<void(Result<store::InsertOutcome>)>;

  // Stores `m` (idempotently, see store.h) and returns once it is committed.
  Result<store::InsertOutcome> Insert(store::PendingMeasurement m);
  // The same without waiting: `done` runs on the writer thread once `m` is committed (or
  // failed); it must be quick (post the rest elsewhere). When stopping, it runs at once
  // with an "unavailable" error.
  void InsertAsync(store::PendingMeasurement m, Done done);

 private:
  struct Pending {
    store::PendingMeasurement m;
    Done done;
  };
  // A committed row waiting for the flush, and its outcome.
  struct Committed {
    Done done;
    Result<store::InsertOutcome> outcome;
  };
  void Run();
  void RunSyncer();
  void RunCheckpointer();
  // The fallback when a batch fails: one row, in its own zstd frame (Store::Insert).
  Result<store::InsertOutcome> InsertAlone(store::StoredMeasurement row, std::string_view raw);

  store::Store& store_;
  const std::size_t max_batch_;
  const Observer observer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stop_ = false;
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::vector<Committed> committed_;
  bool writer_done_ = false;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  uint64_t flushes_ = 0;  // under checkpoint_mu_
  bool syncer_done_ = false;  // under checkpoint_mu_
  std::thread checkpointer_;
  std::thread syncer_;
  std::thread writer_;
};

}  // namespace vigil::server
