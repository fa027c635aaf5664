#include "core/sqlite_db.h"

#include <sqlite3.h>

#include <fmt/format.h>

#include "core/private_file.h"

namespace vigil {
namespace {

tl::unexpected<Error> DbError(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  const std::string message = fmt::format("{}: {}", what, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if (primary == SQLITE_CONSTRAINT) return Fail("already_exists", message);
  return Fail("db_error", message);
}

class StatementRow : public sql::Row {
 public:
  explicit StatementRow(sqlite3_stmt* s) : s_(s) {}
  int Columns() const override { return sqlite3_column_count(s_); }
  bool IsNull(int c) const override { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  int64_t Int(int c) const override { return sqlite3_column_int64(s_, c); }
  double Real(int c) const override { return sqlite3_column_double(s_, c); }
  std::string_view Text(int c) const override {
    const auto* p = sqlite3_column_text(s_, c);
    return p == nullptr ? std::string_view()
                        : std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, c)));
  }
  std::string_view Bytes(int c) const override {
    const void* p = sqlite3_column_blob(s_, c);
    return p == nullptr ? std::string_view()
                        : std::string_view(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, c)));
  }

 private:
  sqlite3_stmt* s_;
};

// Resets and clears a statement however the run ends.
struct ResetOnExit {
  sqlite3_stmt* s;
  ~ResetOnExit() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

}  // namespace

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, const SqliteOpenOptions& options) {
  if (options.create && !options.read_only) {
    if (auto r = PrepareSqliteFile(path); !r) return tl::unexpected(r.error());
  }
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (options.create && !options.read_only) flags |= SQLITE_OPEN_CREATE;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, options.vfs);
  if (rc != SQLITE_OK) {
    Error e{"io_error", fmt::format("cannot open {}: {}", path, db != nullptr ? sqlite3_errmsg(db) : "out of memory")};
    sqlite3_close_v2(db);
    return tl::unexpected(e);
  }
  std::unique_ptr<SqliteDb> out(new SqliteDb(db, path));
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  if (!options.pragmas.empty()) {
    if (auto r = out->Exec(options.pragmas); !r) return Fail(r.error().failure, path + ": " + r.error().message);
  }
  return out;
}

SqliteDb::~SqliteDb() {
  for (auto& [text, s] : statements_) sqlite3_finalize(s);
  sqlite3_close_v2(db_);
}

Result<void> SqliteDb::Exec(std::string_view sql) {
  char* msg = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg);
  if (rc != SQLITE_OK) {
    const std::string m = msg != nullptr ? msg : sqlite3_errstr(rc);
    sqlite3_free(msg);
    return (rc & 0xff) == SQLITE_CONSTRAINT ? Fail("already_exists", m) : Fail("db_error", m);
  }
  return {};
}

Result<sqlite3_stmt*> SqliteDb::Prepare(std::string_view sql) {
  auto it = statements_.find(std::string(sql));
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* s = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return DbError(db_, rc, fmt::format("prepare {}", sql.substr(0, 120)));
  statements_.emplace(std::string(sql), s);
  return s;
}

Result<int64_t> SqliteDb::Run(std::string_view sql, const sql::Params& params, const sql::RowFn& on_row) {
  auto prepared = Prepare(sql);
  if (!prepared) return tl::unexpected(prepared.error());
  sqlite3_stmt* s = *prepared;
  ResetOnExit reset{s};
  int i = 1;
  for (const auto& v : params.values()) {
    int rc = SQLITE_OK;
    if (std::holds_alternative<sql::Params::Null>(v)) {
      rc = sqlite3_bind_null(s, i);
    } else if (const auto* n = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(s, i, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(s, i, *d);
    } else if (const auto* t = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text64(s, i, t->data(), t->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else {
      const auto& b = std::get<sql::Params::Blob>(v).bytes;
      rc = sqlite3_bind_blob64(s, i, b.data(), b.size(), SQLITE_STATIC);
    }
    if (rc != SQLITE_OK) return DbError(db_, rc, fmt::format("bind parameter {}", i));
    ++i;
  }
  StatementRow row(s);
  for (;;) {
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return DbError(db_, rc, "step");
    if (on_row) {
      if (auto r = on_row(row); !r) return tl::unexpected(r.error());
    }
  }
  return static_cast<int64_t>(sqlite3_changes64(db_));
}

int64_t SqliteDb::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

}  // namespace vigil
