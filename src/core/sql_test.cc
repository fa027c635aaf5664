#include "core/sql.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "core/sqlite_db.h"

namespace vigil {
namespace {

class SqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / ("vigil-sql-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    SqliteOpenOptions options;
    options.pragmas = "PRAGMA journal_mode=WAL;";
    auto db = SqliteDb::Open((dir_ / "t.sqlite").string(), options);
    ASSERT_TRUE(db) << db.error().ToString();
    db_ = std::move(*db);
    ASSERT_TRUE(db_->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER, b BLOB)"));
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  int64_t Count() { return *db_->QueryInt("SELECT COUNT(*) FROM t"); }
  std::filesystem::path dir_;
  std::unique_ptr<SqliteDb> db_;
};

TEST_F(SqlTest, ParametersRowsAndConstraints) {
  auto ins = db_->Run("INSERT INTO t (name, n, b) VALUES (?1, ?2, ?3)",
                      sql::Params().Text("a").Int(7).Bytes(std::string("\0x\0", 3)));
  ASSERT_TRUE(ins) << ins.error().ToString();
  EXPECT_EQ(*ins, 1);
  ASSERT_TRUE(db_->Run("INSERT INTO t (name, n, b) VALUES (?1, ?2, ?3)",
                       sql::Params().Text("b").OptInt(std::nullopt).NullValue()));
  auto rows = db_->Query<std::tuple<std::string, std::optional<int64_t>, std::string>>(
      "SELECT name, n, b FROM t ORDER BY name", {},
      [](const sql::Row& r) { return std::tuple(r.String(0), r.OptInt(1), std::string(r.Bytes(2))); });
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(std::get<1>((*rows)[0]), 7);
  EXPECT_EQ(std::get<2>((*rows)[0]), std::string("\0x\0", 3));
  EXPECT_FALSE(std::get<1>((*rows)[1]).has_value());
  auto returning = db_->QueryOne<int64_t>("INSERT INTO t (name) VALUES (?1) RETURNING id", sql::Params().Text("c"),
                                          [](const sql::Row& r) { return r.Int(0); });
  ASSERT_TRUE(returning && *returning);
  EXPECT_EQ(**returning, 3);
  auto dup = db_->Run("INSERT INTO t (name) VALUES (?1)", sql::Params().Text("a"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().failure, "already_exists");
  auto bad = db_->Run("SELECT nothing FROM nowhere");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().failure, "db_error");
  EXPECT_FALSE(db_->QueryInt("SELECT n FROM t WHERE name = 'zzz'"));
}

TEST_F(SqlTest, TransactionsCommitOrRollBack) {
  {
    auto tx = sql::Transaction::Begin(*db_);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db_->Run("INSERT INTO t (name) VALUES ('x')"));
  }  // not committed
  EXPECT_EQ(Count(), 0);
  auto failed = sql::InTransaction<int>(*db_, [](sql::Connection& c) -> Result<int> {
    if (auto r = c.Run("INSERT INTO t (name) VALUES ('y')"); !r) return tl::unexpected(r.error());
    return Fail("invalid_argument", "the second half failed");
  });
  EXPECT_FALSE(failed);
  EXPECT_EQ(Count(), 0) << "the first half was rolled back";
  auto ok = sql::InTransaction<int>(*db_, [](sql::Connection& c) -> Result<int> {
    if (auto r = c.Run("INSERT INTO t (name) VALUES ('z')"); !r) return tl::unexpected(r.error());
    return 1;
  });
  ASSERT_TRUE(ok);
  EXPECT_EQ(Count(), 1);
}

Result<void> CountIntoNote(sql::Connection& c) {
  auto r = c.Run("INSERT INTO notes (text) SELECT 'rows: ' || COUNT(*) FROM t");
  if (!r) return tl::unexpected(r.error());
  return {};
}

TEST_F(SqlTest, MigrationsApplyOnceInOrderAndRefuseANewerStore) {
  const sql::Migration v2[] = {{1, "notes", "CREATE TABLE notes (text TEXT NOT NULL);"},
                               {2, "a counted note", "", &CountIntoNote}};
  auto applied = sql::Migrate(*db_, std::span(v2, 1));
  ASSERT_TRUE(applied) << applied.error().ToString();
  EXPECT_EQ(*applied, 1);
  applied = sql::Migrate(*db_, v2);
  ASSERT_TRUE(applied);
  EXPECT_EQ(*applied, 2);
  applied = sql::Migrate(*db_, v2);  // again: nothing to do
  ASSERT_TRUE(applied);
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM notes"), 1);
  // A program that knows only version 1 refuses the store.
  sql::MigrateOptions named;
  named.what = "t.sqlite";
  auto older = sql::Migrate(*db_, std::span(v2, 1), named);
  ASSERT_FALSE(older);
  EXPECT_EQ(older.error().failure, "unsupported");
  EXPECT_NE(older.error().message.find("t.sqlite"), std::string::npos);
  // A failing migration leaves nothing behind.
  const sql::Migration v3[] = {v2[0], v2[1], {3, "broken", "CREATE TABLE half (x); SELECT nothing FROM nowhere;"}};
  auto broken = sql::Migrate(*db_, v3);
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("migration 3 (broken)"), std::string::npos) << broken.error().message;
  EXPECT_EQ(*db_->QueryInt("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'"), 0);
  EXPECT_EQ(*db_->QueryInt("SELECT MAX(version) FROM schema_migrations"), 2);
}

TEST_F(SqlTest, FilesArePrivateAndNumberedParametersBecomeDollars) {
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "t.sqlite").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(sql::NumberedToDollar("SELECT ?1, '?2', \"?3\", ?12 FROM t WHERE a = ?"), "SELECT $1, '?2', \"?3\", $12 FROM t WHERE a = ?");
  SqliteOpenOptions read_only;
  read_only.create = false;
  read_only.read_only = true;
  auto missing = SqliteDb::Open((dir_ / "none.sqlite").string(), read_only);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().failure, "io_error");
}

}  // namespace
}  // namespace vigil
