// SqliteDb: an SQLite connection as a sql::Connection (core/sql.h), with its prepared
// statements cached for the connection's life. The store's connections, the probe's outbox
// and the watch's journal all open their files through it, so that every SQLite file Vigil
// keeps is created 0600 (core/private_file.h) and opened the same way.
//
// Thread-safety: one thread at a time (the connection is opened without SQLite's mutex);
// share it behind a mutex or keep one per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"
#include "core/sql.h"

struct sqlite3;
struct sqlite3_stmt;

namespace vigil {

struct SqliteOpenOptions {
  bool create = true;          // create the file (0600) when missing
  bool read_only = false;
  const char* vfs = nullptr;   // a registered VFS name, or SQLite's default
  int busy_timeout_ms = 5000;  // how long to wait for another connection's lock
  std::string pragmas;         // run after opening, e.g. "PRAGMA journal_mode=WAL;"
};

class SqliteDb : public sql::Connection {
 public:
  // Errors: "io_error" (the file cannot be created or opened), "db_error" (a pragma failed).
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, const SqliteOpenOptions& options = {});
  ~SqliteDb() override;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }
  Result<void> Exec(std::string_view sql) override;
  Result<int64_t> Run(std::string_view sql, const sql::Params& params, const sql::RowFn& on_row) override;
  using sql::Connection::Run;

  sqlite3* handle() const { return db_; }
  int64_t LastInsertRowid() const;
  const std::string& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Result<sqlite3_stmt*> Prepare(std::string_view sql);

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace vigil
