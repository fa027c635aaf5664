#include "probe/outbox.h"

#include <sqlite3.h>

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "core/failure.h"
#include "core/private_file.h"

namespace vigil::probe {
namespace {

// A prepared statement that finalizes itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

tl::unexpected<Error> DbError(sqlite3* db, std::string_view what) {
  return Fail(std::string(failure::kIoError), fmt::format("outbox: {}: {}", what, sqlite3_errmsg(db)));
}

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY,
  created TEXT NOT NULL DEFAULT (datetime('now')),
  finished INTEGER NOT NULL DEFAULT 0,
  settings TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS run_items(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  seq INTEGER NOT NULL,
  test_name TEXT NOT NULL,
  input TEXT NOT NULL,
  done INTEGER NOT NULL DEFAULT 0,
  UNIQUE(run_id, seq));
CREATE TABLE IF NOT EXISTS measurements(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  item_id INTEGER NOT NULL UNIQUE REFERENCES run_items(id),
  test_name TEXT NOT NULL,
  test_version TEXT NOT NULL,
  input TEXT NOT NULL,
  probe_cc TEXT NOT NULL,
  probe_asn TEXT NOT NULL,
  test_start_time TEXT NOT NULL,
  blocked INTEGER NOT NULL DEFAULT 0,
  json TEXT NOT NULL,
  report_id TEXT,
  measurement_uid TEXT,
  uploaded INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS measurements_pending ON measurements(uploaded, id);
)sql";

}  // namespace

Outbox::~Outbox() { sqlite3_close_v2(db_); }

Result<bool> Outbox::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    return Fail(std::string(failure::kIoError), "outbox: " + message);
  }
  return true;
}

Result<std::unique_ptr<Outbox>> Outbox::Open(const std::string& path) {
  // The outbox is the volunteer's: 0600, and so are the WAL and shared memory SQLite makes.
  if (auto prepared = PrepareSqliteFile(path); !prepared) {
    return Fail(std::string(failure::kIoError), "cannot create outbox: " + prepared.error().message);
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                                 nullptr);
  std::unique_ptr<Outbox> outbox(new Outbox(db));
  if (rc != SQLITE_OK) {
    return Fail(std::string(failure::kIoError),
                fmt::format("cannot open outbox {}: {}", path, sqlite3_errmsg(db)));
  }
  sqlite3_busy_timeout(db, 5000);
  // WAL with synchronous=FULL: a committed transaction survives a crash or power loss.
  for (const char* sql : {"PRAGMA journal_mode=WAL;", "PRAGMA synchronous=FULL;",
                          "PRAGMA foreign_keys=ON;", kSchema}) {
    auto r = outbox->Exec(sql);
    if (!r) return Fail(r.error().failure, path + ": " + r.error().message);
  }
  return outbox;
}

Result<int64_t> Outbox::CreateRun(const std::vector<PlannedItem>& items,
                                  const std::string& settings) {
  std::lock_guard lock(mu_);
  if (auto r = Exec("BEGIN IMMEDIATE;"); !r) return tl::unexpected(r.error());
  Stmt run(db_, "INSERT INTO runs(settings) VALUES(?)");
  if (!run.ok() || run.Bind(1, settings).Step() != SQLITE_DONE) {
    auto e = DbError(db_, "create run");
    (void)Exec("ROLLBACK;");
    return e;
  }
  const int64_t run_id = sqlite3_last_insert_rowid(db_);
  int64_t seq = 0;
  for (const auto& i : items) {
    Stmt one(db_, "INSERT INTO run_items(run_id, seq, test_name, input) VALUES(?,?,?,?)");
    if (!one.ok() || one.Bind(1, run_id).Bind(2, seq++).Bind(3, i.test_name).Bind(4, i.input).Step() !=
                         SQLITE_DONE) {
      auto e = DbError(db_, "plan run");
      (void)Exec("ROLLBACK;");
      return e;
    }
  }
  if (auto r = Exec("COMMIT;"); !r) return tl::unexpected(r.error());
  return run_id;
}

Result<std::optional<std::pair<int64_t, std::string>>> Outbox::LatestUnfinishedRun() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT id, settings FROM runs WHERE finished = 0 ORDER BY id DESC LIMIT 1");
  if (!s.ok()) return DbError(db_, "find run");
  const int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<std::pair<int64_t, std::string>>();
  if (rc != SQLITE_ROW) return DbError(db_, "find run");
  return std::optional<std::pair<int64_t, std::string>>(std::make_pair(s.Int(0), s.Text(1)));
}

Result<std::vector<PlannedItem>> Outbox::PendingItems(int64_t run_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT id, test_name, input FROM run_items WHERE run_id = ? AND done = 0 ORDER BY seq");
  if (!s.ok()) return DbError(db_, "pending items");
  s.Bind(1, run_id);
  std::vector<PlannedItem> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back({s.Int(0), s.Text(1), s.Text(2)});
  if (rc != SQLITE_DONE) return DbError(db_, "pending items");
  return out;
}

Result<RunCounts> Outbox::Counts(int64_t run_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT (SELECT count(*) FROM run_items WHERE run_id = ?1),"
         "       (SELECT count(*) FROM run_items WHERE run_id = ?1 AND done = 1),"
         "       (SELECT count(*) FROM measurements WHERE run_id = ?1 AND blocked = 1)");
  if (!s.ok() || s.Bind(1, run_id).Step() != SQLITE_ROW) return DbError(db_, "count");
  return RunCounts{static_cast<std::size_t>(s.Int(0)), static_cast<std::size_t>(s.Int(1)),
                   static_cast<std::size_t>(s.Int(2))};
}

Result<int64_t> Outbox::Commit(int64_t run_id, int64_t item_id, const MeasurementMeta& meta,
                               const std::string& json) {
  std::lock_guard lock(mu_);
  if (auto r = Exec("BEGIN IMMEDIATE;"); !r) return tl::unexpected(r.error());
  Stmt mark(db_, "UPDATE run_items SET done = 1 WHERE id = ? AND run_id = ? AND done = 0");
  if (!mark.ok() || mark.Bind(1, item_id).Bind(2, run_id).Step() != SQLITE_DONE ||
      sqlite3_changes(db_) != 1) {
    auto e = Fail(std::string(failure::kIoError),
                  fmt::format("outbox: item {} of run {} is unknown or already done", item_id, run_id));
    (void)Exec("ROLLBACK;");
    return e;
  }
  Stmt insert(db_,
              "INSERT INTO measurements(run_id, item_id, test_name, test_version, input, probe_cc,"
              " probe_asn, test_start_time, blocked, json)"
              " SELECT ?, ?, ?, ?, input, ?, ?, ?, ?, ? FROM run_items WHERE id = ?");
  if (!insert.ok() ||
      insert.Bind(1, run_id).Bind(2, item_id).Bind(3, meta.test_name).Bind(4, meta.test_version)
              .Bind(5, meta.probe_cc).Bind(6, meta.probe_asn).Bind(7, meta.test_start_time)
              .Bind(8, meta.blocked ? 1 : 0).Bind(9, json).Bind(10, item_id).Step() != SQLITE_DONE) {
    auto e = DbError(db_, "store measurement");
    (void)Exec("ROLLBACK;");
    return e;
  }
  const int64_t id = sqlite3_last_insert_rowid(db_);
  if (auto r = Exec("COMMIT;"); !r) return tl::unexpected(r.error());
  return id;
}

Result<bool> Outbox::FinishRun(int64_t run_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "UPDATE runs SET finished = 1 WHERE id = ?");
  if (!s.ok() || s.Bind(1, run_id).Step() != SQLITE_DONE) return DbError(db_, "finish run");
  return true;
}

Result<std::vector<std::string>> Outbox::RunMeasurements(int64_t run_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT m.json FROM measurements m JOIN run_items i ON i.id = m.item_id"
         " WHERE m.run_id = ? ORDER BY i.seq");
  if (!s.ok()) return DbError(db_, "read run");
  s.Bind(1, run_id);
  std::vector<std::string> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(s.Text(0));
  if (rc != SQLITE_DONE) return DbError(db_, "read run");
  return out;
}

Result<std::vector<StoredMeasurement>> Outbox::PendingUploads(std::size_t limit) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT id, test_name, test_version, probe_cc, probe_asn, test_start_time, json"
         " FROM measurements WHERE uploaded = 0 ORDER BY id LIMIT ?");
  if (!s.ok()) return DbError(db_, "pending uploads");
  s.Bind(1, static_cast<int64_t>(limit));
  std::vector<StoredMeasurement> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    out.push_back({s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6)});
  }
  if (rc != SQLITE_DONE) return DbError(db_, "pending uploads");
  return out;
}

Result<bool> Outbox::MarkUploaded(int64_t id, const std::string& report_id,
                                  const std::string& measurement_uid) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "UPDATE measurements SET uploaded = 1, report_id = ?, measurement_uid = ? WHERE id = ?");
  if (!s.ok() || s.Bind(1, report_id).Bind(2, measurement_uid).Bind(3, id).Step() != SQLITE_DONE) {
    return DbError(db_, "mark uploaded");
  }
  return true;
}

Result<std::size_t> Outbox::CountPendingUploads() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT count(*) FROM measurements WHERE uploaded = 0");
  if (!s.ok() || s.Step() != SQLITE_ROW) return DbError(db_, "count uploads");
  return static_cast<std::size_t>(s.Int(0));
}

Result<std::vector<std::pair<std::string, bool>>> Outbox::AllMeasurements() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT input, uploaded FROM measurements ORDER BY id");
  if (!s.ok()) return DbError(db_, "list");
  std::vector<std::pair<std::string, bool>> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.emplace_back(s.Text(0), s.Int(1) != 0);
  if (rc != SQLITE_DONE) return DbError(db_, "list");
  return out;
}

}  // namespace vigil::probe
