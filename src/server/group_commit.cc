#include "server/group_commit.h"

#include <future>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace vigil::server {

GroupCommit::GroupCommit(store::Store& store, std::size_t max_batch, Observer observer)
    : store_(store),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      observer_(std::move(observer)),
      checkpointer_([this] { RunCheckpointer(); }),
      syncer_([this] { RunSyncer(); }),
      writer_([this] { Run(); }) {}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  writer_.join();  // it has handed every row over to the syncer
  {
    std::lock_guard lock(sync_mu_);
    writer_done_ = true;
  }
  sync_cv_.notify_all();
  syncer_.join();
  {
    std::lock_guard lock(checkpoint_mu_);
    syncer_done_ = true;
  }
  checkpoint_cv_.notify_all();
  checkpointer_.join();
}

void GroupCommit::RunCheckpointer() {
  uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock lock(checkpoint_mu_);
      checkpoint_cv_.wait(lock, [&] { return syncer_done_ || flushes_ != seen; });
      if (flushes_ == seen) return;  // stopping, and nothing flushed since the last look
      seen = flushes_;
    }
    const auto start = std::chrono::steady_clock::now();
    auto done = store_.CheckpointIfDue();
    if (!done) {
      spdlog::warn("store: checkpoint failed ({}); the next commits will do it", done.error().ToString());
    } else if (*done && observer_.checkpointed) {
      observer_.checkpointed(std::chrono::steady_clock::now() - start);
    }
  }
}

void GroupCommit::RunSyncer() {
  std::vector<Committed> flushing;
  while (true) {
    {
      std::unique_lock lock(sync_mu_);
      sync_cv_.wait(lock, [this] { return writer_done_ || !committed_.empty(); });
      if (committed_.empty()) return;  // the writer has stopped, nothing left
      flushing.swap(committed_);
    }
    // One flush for every row committed before it started.
    const auto start = std::chrono::steady_clock::now();
    auto synced = store_.SyncCommitted();
    if (observer_.flushed) observer_.flushed(std::chrono::steady_clock::now() - start);
    for (Committed& c : flushing) {
      if (synced || !c.outcome) {
        c.done(std::move(c.outcome));
      } else {
        c.done(tl::unexpected(synced.error()));
      }
    }
    flushing.clear();
    {
      std::lock_guard lock(checkpoint_mu_);
      ++flushes_;
    }
    checkpoint_cv_.notify_one();
  }
}

Result<store::InsertOutcome> GroupCommit::Insert(store::PendingMeasurement m) {
  std::promise<Result<store::InsertOutcome>> promise;
  auto future = promise.get_future();
  InsertAsync(std::move(m), [&promise](Result<store::InsertOutcome> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void GroupCommit::InsertAsync(store::PendingMeasurement m, Done done) {
  {
    std::lock_guard lock(mu_);
    if (!stop_) {
      queue_.push_back(Pending{std::move(m), std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(Fail("unavailable", "the server is stopping"));
}

Result<store::InsertOutcome> GroupCommit::InsertAlone(store::StoredMeasurement row, std::string_view raw) {
  if (!raw.empty()) {
    auto z = store::ZstdCompress(raw, 1);
    if (!z) return tl::unexpected(z.error());
    row.raw_zstd = std::move(*z);
    row.raw_block.reset();
    row.raw_offset = 0;
    row.raw_size = raw.size();
  }
  return store_.Insert(row);
}

void GroupCommit::Run() {
  std::vector<Pending> batch;
  std::vector<store::StoredMeasurement> rows;
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    rows.clear();
    for (Pending& p : batch) rows.push_back(std::move(p.m.row));
    // The raw bytes not compressed yet go into blocks, together.
    std::vector<store::StoredMeasurement*> to_pack;
    std::vector<std::string_view> raws;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].m.raw.empty()) continue;
      to_pack.push_back(&rows[i]);
      raws.push_back(batch[i].m.raw);
    }
    std::vector<store::RawBlock> blocks;
    Result<std::vector<store::InsertOutcome>> outcomes = std::vector<store::InsertOutcome>{};
    if (auto packed = store::PackBlocks(to_pack, raws); packed) {
      blocks = std::move(*packed);
      outcomes = store_.InsertBatchUnflushed(rows, blocks);
    } else {
      outcomes = tl::unexpected(packed.error());
    }
    if (outcomes && outcomes->size() == batch.size()) {
      if (observer_.committed) observer_.committed(batch.size());
      {
        std::lock_guard lock(sync_mu_);
        for (size_t i = 0; i < batch.size(); ++i) {
          committed_.push_back(Committed{std::move(batch[i].done), std::move((*outcomes)[i])});
        }
      }
      sync_cv_.notify_one();
    } else if (batch.size() == 1) {
      batch[0].done(outcomes ? Result<store::InsertOutcome>(Fail("db_error", "no outcome"))
                             : Result<store::InsertOutcome>(tl::unexpected(outcomes.error())));
    } else {
      // Nothing of the batch was stored: each row on its own, in its own frame.
      for (size_t i = 0; i < batch.size(); ++i) batch[i].done(InsertAlone(std::move(rows[i]), batch[i].m.raw));
    }
    batch.clear();
  }
}

}  // namespace vigil::server
