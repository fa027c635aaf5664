#include "probe/outbox.h"

#include <fmt/format.h>

#include "core/failure.h"
#include "core/sqlite_db.h"

namespace vigil::probe {
namespace {

constexpr std::string_view kSchemaV1 = R"sql(
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

// Append only: a released migration never changes. Version 1 is the schema outboxes had before
// they recorded versions (CREATE ... IF NOT EXISTS, so such an outbox takes it unchanged).
constexpr sql::Migration kMigrations[] = {{1, "runs, planned items, measurements", kSchemaV1}};

// The outbox's errors are the probe's io_error, naming what failed.
tl::unexpected<Error> OutboxError(std::string_view what, const Error& e) {
  return Fail(std::string(failure::kIoError), fmt::format("outbox: {}: {}", what, e.message));
}

template <typename T>
Result<T> Named(std::string_view what, Result<T> r) {
  if (!r) return OutboxError(what, r.error());
  return r;
}

}  // namespace

Outbox::Outbox(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
Outbox::~Outbox() = default;

Result<std::unique_ptr<Outbox>> Outbox::Open(const std::string& path) {
  // The outbox is the volunteer's: 0600, and so are the WAL and shared memory SQLite makes.
  // WAL with synchronous=FULL: a committed transaction survives a crash or power loss.
  SqliteOpenOptions options;
  options.pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;";
  auto db = SqliteDb::Open(path, options);
  if (!db) return Fail(std::string(failure::kIoError), fmt::format("cannot open outbox {}: {}", path, db.error().message));
  sql::MigrateOptions migrate;
  migrate.what = path;
  if (auto r = sql::Migrate(**db, kMigrations, migrate); !r) {
    return Fail(r.error().failure == "unsupported" ? r.error().failure : std::string(failure::kIoError),
                r.error().message);
  }
  return std::unique_ptr<Outbox>(new Outbox(std::move(*db)));
}

Result<int64_t> Outbox::CreateRun(const std::vector<PlannedItem>& items, const std::string& settings) {
  std::lock_guard lock(mu_);
  return Named("plan run", sql::InTransaction<int64_t>(*db_, [&](sql::Connection& c) -> Result<int64_t> {
    if (auto r = c.Run("INSERT INTO runs(settings) VALUES(?1)", sql::Params().Text(settings)); !r) {
      return tl::unexpected(r.error());
    }
    const int64_t run_id = db_->LastInsertRowid();
    int64_t seq = 0;
    for (const auto& i : items) {
      auto r = c.Run("INSERT INTO run_items(run_id, seq, test_name, input) VALUES(?1, ?2, ?3, ?4)",
                     sql::Params().Int(run_id).Int(seq++).Text(i.test_name).Text(i.input));
      if (!r) return tl::unexpected(r.error());
    }
    return run_id;
  }));
}

Result<std::optional<std::pair<int64_t, std::string>>> Outbox::LatestUnfinishedRun() {
  std::lock_guard lock(mu_);
  return Named("find run", db_->QueryOne<std::pair<int64_t, std::string>>(
                               "SELECT id, settings FROM runs WHERE finished = 0 ORDER BY id DESC LIMIT 1", {},
                               [](const sql::Row& r) { return std::make_pair(r.Int(0), r.String(1)); }));
}

Result<std::vector<PlannedItem>> Outbox::PendingItems(int64_t run_id) {
  std::lock_guard lock(mu_);
  return Named("pending items", db_->Query<PlannedItem>(
                                    "SELECT id, test_name, input FROM run_items WHERE run_id = ?1 AND done = 0 ORDER BY seq",
                                    sql::Params().Int(run_id),
                                    [](const sql::Row& r) { return PlannedItem{r.Int(0), r.String(1), r.String(2)}; }));
}

Result<RunCounts> Outbox::Counts(int64_t run_id) {
  std::lock_guard lock(mu_);
  auto counts = db_->QueryOne<RunCounts>(
      "SELECT (SELECT count(*) FROM run_items WHERE run_id = ?1),"
      "       (SELECT count(*) FROM run_items WHERE run_id = ?1 AND done = 1),"
      "       (SELECT count(*) FROM measurements WHERE run_id = ?1 AND blocked = 1)",
      sql::Params().Int(run_id), [](const sql::Row& r) {
        return RunCounts{static_cast<std::size_t>(r.Int(0)), static_cast<std::size_t>(r.Int(1)),
                         static_cast<std::size_t>(r.Int(2))};
      });
  if (!counts) return OutboxError("count", counts.error());
  return counts->value_or(RunCounts{});
}

Result<int64_t> Outbox::Commit(int64_t run_id, int64_t item_id, const MeasurementMeta& meta,
                               const std::string& json) {
  std::lock_guard lock(mu_);
  return sql::InTransaction<int64_t>(*db_, [&](sql::Connection& c) -> Result<int64_t> {
    auto marked = c.Run("UPDATE run_items SET done = 1 WHERE id = ?1 AND run_id = ?2 AND done = 0",
                        sql::Params().Int(item_id).Int(run_id));
    if (!marked) return OutboxError("store measurement", marked.error());
    if (*marked != 1) {
      return Fail(std::string(failure::kIoError),
                  fmt::format("outbox: item {} of run {} is unknown or already done", item_id, run_id));
    }
    auto inserted = c.Run(
        "INSERT INTO measurements(run_id, item_id, test_name, test_version, input, probe_cc,"
        " probe_asn, test_start_time, blocked, json)"
        " SELECT ?1, ?2, ?3, ?4, input, ?5, ?6, ?7, ?8, ?9 FROM run_items WHERE id = ?2",
        sql::Params()
            .Int(run_id)
            .Int(item_id)
            .Text(meta.test_name)
            .Text(meta.test_version)
            .Text(meta.probe_cc)
            .Text(meta.probe_asn)
            .Text(meta.test_start_time)
            .Bool(meta.blocked)
            .Text(json));
    if (!inserted) return OutboxError("store measurement", inserted.error());
    return db_->LastInsertRowid();
  });
}

Result<bool> Outbox::FinishRun(int64_t run_id) {
  std::lock_guard lock(mu_);
  auto r = db_->Run("UPDATE runs SET finished = 1 WHERE id = ?1", sql::Params().Int(run_id));
  if (!r) return OutboxError("finish run", r.error());
  return true;
}

Result<std::vector<std::string>> Outbox::RunMeasurements(int64_t run_id) {
  std::lock_guard lock(mu_);
  return Named("read run", db_->Query<std::string>("SELECT m.json FROM measurements m JOIN run_items i ON i.id = m.item_id"
                                                   " WHERE m.run_id = ?1 ORDER BY i.seq",
                                                   sql::Params().Int(run_id),
                                                   [](const sql::Row& r) { return r.String(0); }));
}

Result<std::vector<StoredMeasurement>> Outbox::PendingUploads(std::size_t limit) {
  std::lock_guard lock(mu_);
  return Named("pending uploads",
               db_->Query<StoredMeasurement>(
                   "SELECT id, test_name, test_version, probe_cc, probe_asn, test_start_time, json"
                   " FROM measurements WHERE uploaded = 0 ORDER BY id LIMIT ?1",
                   sql::Params().Int(static_cast<int64_t>(limit)), [](const sql::Row& r) {
                     return StoredMeasurement{r.Int(0),    r.String(1), r.String(2), r.String(3),
                                              r.String(4), r.String(5), r.String(6)};
                   }));
}

Result<bool> Outbox::MarkUploaded(int64_t id, const std::string& report_id, const std::string& measurement_uid) {
  std::lock_guard lock(mu_);
  auto r = db_->Run("UPDATE measurements SET uploaded = 1, report_id = ?1, measurement_uid = ?2 WHERE id = ?3",
                    sql::Params().Text(report_id).Text(measurement_uid).Int(id));
  if (!r) return OutboxError("mark uploaded", r.error());
  return true;
}

Result<std::size_t> Outbox::CountPendingUploads() {
  std::lock_guard lock(mu_);
  auto n = db_->QueryInt("SELECT count(*) FROM measurements WHERE uploaded = 0");
  if (!n) return OutboxError("count uploads", n.error());
  return static_cast<std::size_t>(*n);
}

Result<std::vector<std::pair<std::string, bool>>> Outbox::AllMeasurements() {
  std::lock_guard lock(mu_);
  return Named("list", db_->Query<std::pair<std::string, bool>>(
                           "SELECT input, uploaded FROM measurements ORDER BY id", {},
                           [](const sql::Row& r) { return std::make_pair(r.String(0), r.Bool(1)); }));
}

}  // namespace vigil::probe
