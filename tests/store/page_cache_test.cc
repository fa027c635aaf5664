// The page cache wrapper (src/store/sqlite/page_cache.h) under the B-tree splits that
// renumber pages, rollbacks, and commits that shrink the database: its own process, so
// that it is installed before SQLite initializes. Every check compares with a model of what was
// committed and runs SQLite's integrity check, and the counts show both paths taken:
// commits spared the scan, and the truncations of rollbacks and shrinking commits passed
// on to SQLite's cache.
#include <sqlite3.h>

#include <filesystem>
#include <random>
#include <set>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "store/sqlite/page_cache.h"

namespace vigil::store {
namespace {

namespace fs = std::filesystem;

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << sql << ": " << (err ? err : "");
}

std::string Scalar(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sql;
  std::string out;
  if (s != nullptr && sqlite3_step(s) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(s, 0);
    out = text ? reinterpret_cast<const char*>(text) : "";
  }
  sqlite3_finalize(s);
  return out;
}

TEST(SqlitePageCacheTest, CommitsAndRollbacksKeepTheDatabaseIntact) {
  ASSERT_TRUE(sqlite_page_cache::Install()) << "installed before SQLite initialized";
  const fs::path dir = fs::path(::testing::TempDir()) / fmt::format("vigil-pcache-{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "t.db").c_str(), &db), SQLITE_OK);
  // auto_vacuum: a commit that deletes rows shrinks the file, and the pages past its new
  // end must leave the cache (they would come back as stale content when it grows again).
  Exec(db, "PRAGMA auto_vacuum=FULL; PRAGMA journal_mode=WAL; PRAGMA cache_size=-65536");
  // Random keys in an index split pages all over the tree (and the splits renumber them).
  Exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v BLOB NOT NULL)");
  Exec(db, "CREATE UNIQUE INDEX t_k ON t(k)");
  std::mt19937_64 rng(42);
  std::set<std::string> committed;
  const auto before = sqlite_page_cache::GetCounts();
  int rolled_back = 0;
  int shrinks = 0;
  for (int txn = 0; txn < 400; ++txn) {
    if (txn % 7 == 6) {  // delete about a third of the rows: the file shrinks
      Exec(db, "BEGIN");
      std::set<std::string> removed;
      for (const auto& k : committed) {
        if (rng() % 3 == 0) removed.insert(k);
      }
      for (const auto& k : removed) Exec(db, fmt::format("DELETE FROM t WHERE k = '{}'", k));
      Exec(db, "COMMIT");
      for (const auto& k : removed) committed.erase(k);
      ++shrinks;
      continue;
    }
    Exec(db, "BEGIN");
    std::set<std::string> added;
    const int rows = 5 + static_cast<int>(rng() % 40);
    for (int i = 0; i < rows; ++i) {
      const std::string k = fmt::format("{:016x}", rng());
      // Rows of 1-3 kB: the file grows by pages within the transaction.
      Exec(db, fmt::format("INSERT INTO t (k, v) VALUES ('{}', zeroblob({}))", k, 1000 + rng() % 2000));
      added.insert(k);
    }
    // One transaction in five rolls back: the database shrinks back, and the pages it had
    // grown by must leave the cache.
    if (txn % 5 == 3) {
      Exec(db, "ROLLBACK");
      ++rolled_back;
    } else {
      Exec(db, "COMMIT");
      committed.insert(added.begin(), added.end());
    }
    if (txn % 50 == 49) {
      ASSERT_EQ(Scalar(db, "PRAGMA integrity_check"), "ok") << "after transaction " << txn;
      ASSERT_EQ(Scalar(db, "SELECT COUNT(*) FROM t"), std::to_string(committed.size()));
    }
  }
  // Every committed key is there, in order, and nothing else.
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT k FROM t ORDER BY k", -1, &s, nullptr), SQLITE_OK);
  auto it = committed.begin();
  size_t n = 0;
  while (sqlite3_step(s) == SQLITE_ROW) {
    ASSERT_NE(it, committed.end());
    EXPECT_EQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), *it);
    ++it;
    ++n;
  }
  sqlite3_finalize(s);
  EXPECT_EQ(n, committed.size());
  EXPECT_EQ(Scalar(db, "PRAGMA integrity_check"), "ok");
  const auto after = sqlite_page_cache::GetCounts();
  EXPECT_GT(after.skipped, before.skipped) << "commits were spared the scan";
  EXPECT_GT(after.passed, before.passed) << "the rollbacks' truncations reached SQLite's cache";
  EXPECT_GT(rolled_back, 50);
  EXPECT_GT(shrinks, 50);
  sqlite3_close(db);
  // Opened again (a cold cache), the file holds the same.
  ASSERT_EQ(sqlite3_open((dir / "t.db").c_str(), &db), SQLITE_OK);
  EXPECT_EQ(Scalar(db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(Scalar(db, "SELECT COUNT(*) FROM t"), std::to_string(committed.size()));
  sqlite3_close(db);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vigil::store
