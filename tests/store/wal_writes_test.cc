// The WAL write coalescing VFS (src/store/sqlite/wal_writes.h): a committed transaction
// reaches the file in a few writes, its sync is deferred only when asked, other connections
// see every commit as soon as it returns, and what a rolled-back or large transaction wrote
// leaves the database intact. The counts are process-wide, so this is its own process.
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "store/sqlite/wal_writes.h"

namespace vigil::store {
namespace {

namespace fs = std::filesystem;
using sqlite_wal_writes::Mode;

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << sql << ": " << (err ? err : "");
}

int64_t Count(sqlite3* db, const char* sql = "SELECT count(*) FROM t") {
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  int64_t n = -1;
  if (s != nullptr && sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return n;
}

std::string IntegrityCheck(sqlite3* db) {
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr), SQLITE_OK);
  std::string out;
  if (s != nullptr && sqlite3_step(s) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  return out;
}

class WalWritesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vfs_ = sqlite_wal_writes::Install();
    ASSERT_NE(vfs_, nullptr);
    dir_ = fs::path(::testing::TempDir()) /
           fmt::format("vigil-walw-{}-{}", ::getpid(), ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    writer_ = Open();
    Exec(writer_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=0");
    Exec(writer_, "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, v BLOB NOT NULL)");
    reader_ = Open();
  }
  void TearDown() override {
    sqlite3_close(reader_);
    sqlite3_close(writer_);
    fs::remove_all(dir_);
  }
  sqlite3* Open() {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((dir_ / "t.db").c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs_),
              SQLITE_OK);
    return db;
  }
  // One transaction of `rows` rows of `size`-byte values, its WAL in `mode` until the end.
  void Insert(int rows, int size, Mode mode, bool commit = true) {
    Exec(writer_, "BEGIN IMMEDIATE");
    ASSERT_EQ(sqlite_wal_writes::SetWalMode(writer_, mode), SQLITE_OK);
    for (int i = 0; i < rows; ++i) {
      Exec(writer_, fmt::format("INSERT INTO t (k, v) VALUES (hex(randomblob(16)), randomblob({}))", size));
    }
    Exec(writer_, commit ? "COMMIT" : "ROLLBACK");
    ASSERT_EQ(sqlite_wal_writes::SetWalMode(writer_, Mode::kPassThrough), SQLITE_OK);
  }

  const char* vfs_ = nullptr;
  fs::path dir_;
  sqlite3* writer_ = nullptr;
  sqlite3* reader_ = nullptr;
};

TEST_F(WalWritesTest, ACommitsFramesGoOutTogetherAndItsSyncIsDeferredOnlyWhenAsked) {
  Insert(1, 10, Mode::kPassThrough);  // the WAL is open and has its header
  auto before = sqlite_wal_writes::GetCounts();
  Insert(300, 500, Mode::kDeferSync);
  auto after = sqlite_wal_writes::GetCounts();
  const uint64_t writes = after.writes - before.writes;
  EXPECT_GT(writes, 80u);  // two per frame, ~50 frames
  EXPECT_LE(after.file_writes - before.file_writes, 3u) << writes << " writes";
  EXPECT_EQ(after.deferred_syncs - before.deferred_syncs, 1u);
  EXPECT_EQ(Count(reader_), 301);

  before = after;
  Insert(300, 500, Mode::kCoalesce);  // coalesced, and SQLite's sync reaches the disk
  after = sqlite_wal_writes::GetCounts();
  EXPECT_LE(after.file_writes - before.file_writes, 3u);
  EXPECT_EQ(after.deferred_syncs, before.deferred_syncs);

  before = after;
  Insert(300, 500, Mode::kPassThrough);  // as without the VFS: every write reaches the file
  after = sqlite_wal_writes::GetCounts();
  EXPECT_EQ(after.file_writes - before.file_writes, after.writes - before.writes);
  EXPECT_EQ(Count(reader_), 901);
  EXPECT_EQ(IntegrityCheck(reader_), "ok");
}

TEST_F(WalWritesTest, AnotherConnectionSeesEveryCommitWhenItReturns) {
  Insert(1, 10, Mode::kPassThrough);  // the WAL is open
  // The mode stays on across commits: nothing but SQLite's own calls writes the frames.
  for (Mode mode : {Mode::kDeferSync, Mode::kCoalesce}) {
    ASSERT_EQ(sqlite_wal_writes::SetWalMode(writer_, mode), SQLITE_OK);
    const int64_t start = Count(reader_);
    for (int txn = 1; txn <= 25; ++txn) {
      Exec(writer_, "BEGIN IMMEDIATE");
      for (int i = 0; i < 7; ++i) Exec(writer_, "INSERT INTO t (k, v) VALUES (hex(randomblob(16)), randomblob(300))");
      Exec(writer_, "COMMIT");
      ASSERT_EQ(Count(reader_), start + 7 * txn) << "after commit " << txn;
      ASSERT_EQ(Count(reader_, "SELECT count(*) FROM t WHERE length(v) = 300"), start - 1 + 7 * txn);
    }
  }
  ASSERT_EQ(sqlite_wal_writes::SetWalMode(writer_, Mode::kPassThrough), SQLITE_OK);
  EXPECT_EQ(IntegrityCheck(reader_), "ok");
}

TEST_F(WalWritesTest, TransactionsLargerThanTheCollectionLimitAndAPieceOfTheFile) {
  // ~12 MiB of frames: flushed at 4 MiB while the transaction runs, in 124 KiB pieces (the
  // unix VFS refuses larger ones), then the rest at the commit.
  auto before = sqlite_wal_writes::GetCounts();
  Insert(3000, 4000, Mode::kDeferSync);
  auto after = sqlite_wal_writes::GetCounts();
  EXPECT_GT(after.file_writes - before.file_writes, 90u);
  EXPECT_LT(after.file_writes - before.file_writes, (after.writes - before.writes) / 20);
  EXPECT_EQ(Count(reader_), 3000);
  EXPECT_EQ(Count(reader_, "SELECT sum(length(v)) FROM t"), 3000 * 4000);
  EXPECT_EQ(IntegrityCheck(reader_), "ok");
}

TEST_F(WalWritesTest, FramesOfARolledBackTransactionLeaveNoTrace) {
  // A small cache makes SQLite spill frames into the WAL before the transaction ends.
  Exec(writer_, "PRAGMA cache_size=20");
  Insert(100, 2000, Mode::kDeferSync);
  Insert(500, 2000, Mode::kDeferSync, /*commit=*/false);
  EXPECT_EQ(Count(reader_), 100);
  Insert(50, 2000, Mode::kDeferSync);
  EXPECT_EQ(Count(reader_), 150);
  EXPECT_EQ(IntegrityCheck(reader_), "ok");
}

TEST_F(WalWritesTest, ACheckpointAndAReopenFindEveryCommit) {
  for (int txn = 0; txn < 20; ++txn) Insert(40, 800, Mode::kDeferSync);
  int log = -1, copied = -1;
  ASSERT_EQ(sqlite3_wal_checkpoint_v2(writer_, "main", SQLITE_CHECKPOINT_TRUNCATE, &log, &copied), SQLITE_OK);
  EXPECT_EQ(log, 0);  // TRUNCATE empties the WAL once everything is copied
  Insert(40, 800, Mode::kDeferSync);  // the WAL starts over from its header
  sqlite3_close(reader_);
  sqlite3_close(writer_);
  writer_ = Open();
  reader_ = Open();
  EXPECT_EQ(Count(reader_), 21 * 40);
  EXPECT_EQ(IntegrityCheck(reader_), "ok");
}

TEST_F(WalWritesTest, ConnectionsWithoutAWalOrOutsideTheVfsAreLeftAlone) {
  sqlite3* plain = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_ / "t.db").c_str(), &plain, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite_wal_writes::SetWalMode(plain, Mode::kDeferSync), SQLITE_OK);  // not ours: nothing changes
  Exec(plain, "INSERT INTO t (k, v) VALUES ('plain', x'00')");
  EXPECT_EQ(Count(reader_), 1);
  sqlite3_close(plain);
  sqlite3* memory = nullptr;
  ASSERT_EQ(sqlite3_open_v2(":memory:", &memory, SQLITE_OPEN_READWRITE, vfs_), SQLITE_OK);
  EXPECT_EQ(sqlite_wal_writes::SetWalMode(memory, Mode::kDeferSync), SQLITE_OK);
  sqlite3_close(memory);
}

}  // namespace
}  // namespace vigil::store
