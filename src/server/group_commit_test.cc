#include "server/group_commit.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "store/prepare.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/support/forwarding_store.h"

namespace vigil::server {
namespace {

using store::StoredMeasurement;

std::string Raw(int i) { return fmt::format(R"({{"n":{}}})", i); }

StoredMeasurement Row(int i) {
  StoredMeasurement m;
  const std::string raw = Raw(i);
  m.idempotency_key = store::ContentKey(raw);
  const std::string digest = m.idempotency_key.substr(store::kContentKeyPrefix.size());
  m.measurement_start_time = store::Seconds(std::chrono::seconds(1700000000 + i));
  m.probe_cc = "CM";
  m.probe_asn = 30722;
  m.test_name = "web_connectivity";
  m.measurement_uid = store::MakeMeasurementUid(m.measurement_start_time, m.probe_cc, m.test_name, digest);
  m.report_id = "report";
  m.verdict.why = "test";
  m.raw_size = raw.size();
  m.raw_zstd = *store::ZstdCompress(raw, 1);
  return m;
}

// Records, in one sequence, every batch committed without a flush and every flush; the
// flush can be made slow or made to fail.
class RecordingStore : public test_support::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;

  Result<std::vector<store::InsertOutcome>> InsertBatchUnflushed(std::span<const StoredMeasurement> batch,
                                                                 std::span<const store::RawBlock> blocks = {}) override {
    std::this_thread::sleep_for(insert_delay);
    auto r = inner_.InsertBatchUnflushed(batch, blocks);
    std::lock_guard lock(mu);
    batch_sizes.push_back(batch.size());
    for (const auto& m : batch) committed_at[m.measurement_uid] = events++;
    return r;
  }
  Result<void> SyncCommitted() override {
    std::this_thread::sleep_for(flush_delay);
    std::lock_guard lock(mu);
    ++flushes;
    last_flush_done = events++;
    if (fail_flush) return Fail("io_error", "injected: the disk is gone");
    return inner_.SyncCommitted();
  }

  Result<bool> CheckpointIfDue() override {
    auto r = inner_.CheckpointIfDue();
    std::lock_guard lock(mu);
    ++checkpoint_calls;
    if (r && *r) checkpoints_after_flush.push_back(flushes);
    return r;
  }

  std::mutex mu;
  int events = 0;
  int flushes = 0;
  int checkpoint_calls = 0;
  std::vector<int> checkpoints_after_flush;  // the flushes done when each checkpoint ran
  int last_flush_done = -1;
  std::map<std::string, int> committed_at;
  std::vector<size_t> batch_sizes;
  std::chrono::milliseconds flush_delay{0};
  std::chrono::milliseconds insert_delay{0};  // a slow disk: callers queue up meanwhile
  bool fail_flush = false;
};

// Four threads hand rows 0..n-1 over at once (thread t every fourth one); `done(i, result)`
// is each row's callback (copied: it runs until the writer is destroyed).
template <typename Make, typename Done>
void InsertFromFourThreads(GroupCommit& writer, int n, Make make, Done done) {
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&writer, &make, done, n, t] {
      for (int i = t; i < n; i += 4) {
        writer.InsertAsync(make(i), [done, i](Result<store::InsertOutcome> r) { done(i, std::move(r)); });
      }
    });
  }
  for (auto& c : callers) c.join();
}

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           fmt::format("group_commit_{}", ::testing::UnitTest::GetInstance()->random_seed());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = store::SqliteStore::Open((dir_ / "vigil.db").string());
    ASSERT_TRUE(s) << s.error().ToString();
    sqlite_ = std::move(*s);
    recording_ = std::make_unique<RecordingStore>(*sqlite_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::unique_ptr<store::SqliteStore> sqlite_;
  std::unique_ptr<RecordingStore> recording_;
};

TEST_F(GroupCommitTest, EveryCallerHearsOnlyAfterAFlushThatFollowedItsCommit) {
  recording_->flush_delay = std::chrono::milliseconds(5);  // commits pile up during a flush
  constexpr int kRows = 200;
  std::mutex mu;
  std::vector<std::pair<std::string, int>> acked;  // uid, the flushes done when it was acked
  std::atomic<int> failed{0};
  {
    GroupCommit writer(*recording_, 16);
    InsertFromFourThreads(writer, kRows, [](int i) { return store::PendingMeasurement{Row(i), ""}; },
                          [&](int, Result<store::InsertOutcome> r) {
                            if (!r) {
                              ++failed;
                              return;
                            }
                            std::lock_guard l1(recording_->mu);
                            std::lock_guard l2(mu);
                            acked.emplace_back(r->measurement_uid, recording_->last_flush_done);
                          });
  }  // the destructor finishes what is queued
  EXPECT_EQ(failed.load(), 0);
  ASSERT_EQ(acked.size(), static_cast<size_t>(kRows));
  for (const auto& [uid, flush_done] : acked) {
    ASSERT_TRUE(recording_->committed_at.count(uid)) << uid;
    EXPECT_GT(flush_done, recording_->committed_at[uid]) << uid << " was acknowledged before a flush covered it";
  }
  // Flushes are shared: fewer than one per row.
  EXPECT_LT(recording_->flushes, kRows);
  auto count = sqlite_->CountMeasurements({});
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, kRows);
}

TEST_F(GroupCommitTest, AFailedFlushIsAnErrorForItsCallersNotASuccess) {
  recording_->fail_flush = true;
  GroupCommit writer(*recording_, 16);
  auto r = writer.Insert({Row(1), ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, "io_error");
  // The row was committed: the caller's retry finds it (stored once).
  recording_->fail_flush = false;
  auto again = writer.Insert({Row(1), ""});
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_FALSE(again->inserted);
}

// As the collector hands them over: raw bytes not compressed yet.
store::PendingMeasurement Pending(int i) {
  StoredMeasurement m = Row(i);
  m.raw_zstd.clear();
  m.raw_block = 0;
  return {std::move(m), Raw(i)};
}

TEST_F(GroupCommitTest, RawBytesOfABatchAreCompressedTogetherAndReadBackExactly) {
  recording_->flush_delay = std::chrono::milliseconds(5);  // several rows per batch
  constexpr int kRows = 60;
  std::atomic<int> failed{0};
  {
    GroupCommit writer(*recording_, 16);
    InsertFromFourThreads(writer, kRows, Pending, [&](int, Result<store::InsertOutcome> r) {
      if (!r || !r->inserted) ++failed;
    });
  }
  EXPECT_EQ(failed.load(), 0);
  for (int i = 0; i < kRows; ++i) {
    auto m = sqlite_->GetMeasurement(Row(i).measurement_uid);
    ASSERT_TRUE(m && *m) << i;
    EXPECT_TRUE((*m)->raw_zstd.empty()) << i << ": stored in its own frame, not in a block";
    EXPECT_EQ(*(*m)->RawJson(), Raw(i));
  }
  auto check = sqlite_->CheckConsistency();
  ASSERT_TRUE(check);
  EXPECT_EQ(*check, "");
}

TEST_F(GroupCommitTest, AFailedBatchStoresItsGoodRowsOneByOneWithTheirBytes) {
  // Row 2's uid is taken by another measurement: the batch fails, the others must not.
  ASSERT_TRUE(sqlite_->Insert(Row(2)));
  store::PendingMeasurement clash = Pending(3);
  clash.row.measurement_uid = Row(2).measurement_uid;
  recording_->insert_delay = std::chrono::milliseconds(100);  // the three queue up together
  std::vector<Result<store::InsertOutcome>> results(3, Fail("unset", ""));
  {
    GroupCommit writer(*recording_, 16);
    std::mutex mu;
    writer.InsertAsync(Pending(9), [&](Result<store::InsertOutcome>) {});  // occupies the flush
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    store::PendingMeasurement rows[] = {Pending(4), std::move(clash), Pending(5)};
    for (int k = 0; k < 3; ++k) {
      writer.InsertAsync(std::move(rows[k]), [&, k](Result<store::InsertOutcome> r) {
        std::lock_guard lock(mu);
        results[static_cast<size_t>(k)] = std::move(r);
      });
    }
  }
  // They were one batch, which failed as a whole (batches of 1 then 3)...
  ASSERT_EQ(recording_->batch_sizes.size(), 2u);
  EXPECT_EQ(recording_->batch_sizes[1], 3u);
  // ...and each good row was then stored on its own.
  ASSERT_TRUE(results[0]) << results[0].error().ToString();
  EXPECT_TRUE(results[0]->inserted);
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error().failure, "already_exists");
  ASSERT_TRUE(results[2]) << results[2].error().ToString();
  for (int i : {4, 5, 9}) {
    auto m = sqlite_->GetMeasurement(Row(i).measurement_uid);
    ASSERT_TRUE(m && *m) << i;
    EXPECT_EQ(*(*m)->RawJson(), Raw(i));
  }
  auto check = sqlite_->CheckConsistency();
  ASSERT_TRUE(check);
  EXPECT_EQ(*check, "");
}

// The WAL is checkpointed on the group commit's own thread, after flushes, and only when
// enough was committed (the store decides): the writer's commits no longer do it.
TEST_F(GroupCommitTest, CheckpointsRunOnTheirOwnThreadAfterFlushes) {
  // Rows large enough that ~1000 WAL frames fill up quickly: 6 kB of digits that do not
  // compress, in a string (each row with its own zstd frame).
  auto big = [](int i) {
    StoredMeasurement m = Row(i);
    std::string digits;
    for (int k = 0; digits.size() < 6000; ++k) digits += store::Sha256Hex(fmt::format("{}.{}", i, k));
    const std::string raw = fmt::format(R"({{"n":{},"pad":"{}"}})", i, digits);
    m.raw_size = raw.size();
    m.raw_zstd = *store::ZstdCompress(raw, 1);
    return m;
  };
  std::atomic<int> observed{0};
  constexpr int kRows = 1500;
  std::atomic<int> ok{0};
  {
    GroupCommit::Observer observer;
    observer.checkpointed = [&observed](std::chrono::nanoseconds) { ++observed; };
    GroupCommit writer(*recording_, 4, observer);
    for (int i = 0; i < kRows; ++i) {
      auto r = writer.Insert(store::PendingMeasurement{big(i), ""});
      if (r && r->inserted) ++ok;
    }
  }
  EXPECT_EQ(ok.load(), kRows);
  std::lock_guard lock(recording_->mu);
  EXPECT_GE(recording_->checkpoint_calls, 1);
  ASSERT_FALSE(recording_->checkpoints_after_flush.empty()) << recording_->checkpoint_calls << " calls";
  EXPECT_EQ(observed.load(), static_cast<int>(recording_->checkpoints_after_flush.size()));
  for (int f : recording_->checkpoints_after_flush) EXPECT_GE(f, 1);
  auto check = sqlite_->CheckConsistency();
  ASSERT_TRUE(check);
  EXPECT_EQ(*check, "");
}

}  // namespace
}  // namespace vigil::server
