#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <tuple>
#include <mutex>
#include <unordered_set>

#include <fmt/format.h>

#include "core/log.h"
#include "core/private_file.h"
#include "store/connection_pool.h"
#include "store/prepare.h"
#include "store/sqlite/page_cache.h"
#include "store/sqlite/wal_writes.h"
#include "store/sql_query.h"

namespace vigil::store {
namespace {

class Connection;
Result<void> RekeyContentKeys(Connection& c);

struct Migration {
  int version;
  const char* description;
  const char* sql;
  Result<void> (*code)(Connection&) = nullptr;  // run after `sql`, in its transaction
};

// Append only: a released migration never changes.
constexpr Migration kMigrations[] = {
    {1, "measurements, bodies, users, api tokens",
     R"sql(
CREATE TABLE measurements (
  id INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  measurement_uid TEXT NOT NULL UNIQUE,
  report_id TEXT NOT NULL,
  input TEXT,
  domain TEXT NOT NULL,
  test_name TEXT NOT NULL,
  probe_cc TEXT NOT NULL CHECK (length(probe_cc) = 2),
  probe_asn INTEGER NOT NULL CHECK (probe_asn >= 0),
  measurement_start_time INTEGER NOT NULL,
  anomaly INTEGER,
  confirmed INTEGER,
  failure INTEGER,
  blocking TEXT,
  accessible INTEGER,
  fingerprint TEXT,
  why TEXT NOT NULL,
  category_code TEXT,
  raw_size INTEGER NOT NULL
);
CREATE TABLE measurement_bodies (
  id INTEGER PRIMARY KEY REFERENCES measurements(id),
  raw_zstd BLOB NOT NULL
);
CREATE INDEX measurements_time ON measurements(measurement_start_time);
CREATE INDEX measurements_cc_time ON measurements(probe_cc, measurement_start_time);
CREATE INDEX measurements_asn_time ON measurements(probe_asn, measurement_start_time);
CREATE INDEX measurements_test_time ON measurements(test_name, measurement_start_time);
CREATE INDEX measurements_domain_time ON measurements(domain, measurement_start_time);
CREATE INDEX measurements_input ON measurements(input);
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  label TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
)sql"},
    {2, "disruption signals, watch probes, check-ins and journals, events, webhook deliveries",
     R"sql(
CREATE TABLE signal_points (
  entity_type TEXT NOT NULL,
  entity_code TEXT NOT NULL,
  datasource TEXT NOT NULL,
  time INTEGER NOT NULL,
  step INTEGER NOT NULL CHECK (step > 0),
  value REAL NOT NULL,
  PRIMARY KEY (entity_type, entity_code, datasource, time)
) WITHOUT ROWID;
CREATE TABLE watch_probes (
  probe_key TEXT PRIMARY KEY,
  cc TEXT NOT NULL,
  asn INTEGER NOT NULL,
  region TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  last_state TEXT NOT NULL
);
CREATE TABLE watch_checkins (
  probe_key TEXT NOT NULL,
  time INTEGER NOT NULL,
  state TEXT NOT NULL,
  cc TEXT NOT NULL,
  asn INTEGER NOT NULL,
  region TEXT NOT NULL,
  PRIMARY KEY (probe_key, time)
);
CREATE INDEX watch_checkins_time ON watch_checkins(time);
CREATE TABLE watch_entries (
  probe_key TEXT NOT NULL,
  seq INTEGER NOT NULL CHECK (seq >= 0),
  time INTEGER NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  entry TEXT NOT NULL,
  hash TEXT NOT NULL,
  signature TEXT NOT NULL,
  PRIMARY KEY (probe_key, seq)
);
CREATE INDEX watch_entries_time ON watch_entries(time);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  entity_type TEXT NOT NULL,
  entity_code TEXT NOT NULL,
  kind TEXT NOT NULL,
  start_time INTEGER NOT NULL,
  end_time INTEGER,
  score REAL NOT NULL,
  detail TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX events_entity ON events(entity_type, entity_code, start_time);
CREATE INDEX events_start ON events(start_time);
CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY,
  event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  transition TEXT NOT NULL,
  url TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER,
  delivered_at INTEGER,
  UNIQUE (event_id, transition, url)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt) WHERE delivered_at IS NULL;
)sql"},
    {3, "daily rollup of measurement counts (fast aggregation and counts)",
     R"sql(
CREATE TABLE measurement_daily (
  measurement_start_time INTEGER NOT NULL,
  probe_cc TEXT NOT NULL,
  probe_asn INTEGER NOT NULL,
  test_name TEXT NOT NULL,
  domain TEXT NOT NULL,
  category_code TEXT NOT NULL,
  anomaly INTEGER NOT NULL,
  confirmed INTEGER NOT NULL,
  failure INTEGER NOT NULL,
  n INTEGER NOT NULL CHECK (n > 0),
  PRIMARY KEY (measurement_start_time, probe_cc, probe_asn, test_name, domain, category_code, anomaly, confirmed,
               failure)
) WITHOUT ROWID;
INSERT INTO measurement_daily
  SELECT measurement_start_time - measurement_start_time % 86400, probe_cc, probe_asn, test_name, domain,
         COALESCE(category_code, ''), COALESCE(anomaly, 0), COALESCE(confirmed, 0), COALESCE(failure, 0), COUNT(*)
  FROM measurements GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
)sql"},
    {4, "raw measurements compressed together in blocks",
     R"sql(
CREATE TABLE raw_blocks (
  id INTEGER PRIMARY KEY,
  uncompressed_size INTEGER NOT NULL CHECK (uncompressed_size > 0),
  zstd BLOB NOT NULL
);
ALTER TABLE measurements ADD COLUMN raw_block INTEGER;
ALTER TABLE measurements ADD COLUMN raw_offset INTEGER;
)sql"},
    {5, "measurements without a uid keyed by the SHA-256 of their bytes (was SHA-512)", "", RekeyContentKeys},
};

// The measurements' query indexes as the migrations leave them (migration 1 made them).
// A bulk load into an empty store drops them and builds them once at its end; opening a
// store builds any that a load stopped before its end left missing.
constexpr std::string_view kQueryIndexes[] = {
    "measurements_time ON measurements(measurement_start_time)",
    "measurements_cc_time ON measurements(probe_cc, measurement_start_time)",
    "measurements_asn_time ON measurements(probe_asn, measurement_start_time)",
    "measurements_test_time ON measurements(test_name, measurement_start_time)",
    "measurements_domain_time ON measurements(domain, measurement_start_time)",
    "measurements_input ON measurements(input)",
};
std::string_view QueryIndexName(std::string_view index) { return index.substr(0, index.find(' ')); }

Error DbError(sqlite3* db, std::string_view what) {
  return Error{"db_error", fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : "out of memory")};
}

// One prepared statement, reset when the Stmt goes out of scope.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  void Bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void Bind(int i, double v) { sqlite3_bind_double(s_, i, v); }
  void Bind(int i, Seconds v) { Bind(i, int64_t{v.time_since_epoch().count()}); }
  void Bind(int i, std::string_view v) {
    sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  void Bind(int i, const std::optional<std::string>& v) {
    if (v) {
      Bind(i, std::string_view(*v));
    } else {
      sqlite3_bind_null(s_, i);
    }
  }
  void Bind(int i, const std::optional<bool>& v) {
    if (v) {
      Bind(i, int64_t{*v ? 1 : 0});
    } else {
      sqlite3_bind_null(s_, i);
    }
  }
  void Bind(int i, const std::optional<Seconds>& v) {
    if (v) {
      Bind(i, int64_t{v->time_since_epoch().count()});
    } else {
      sqlite3_bind_null(s_, i);
    }
  }
  void BindBlob(int i, std::string_view v) { sqlite3_bind_blob64(s_, i, v.data(), v.size(), SQLITE_STATIC); }
  void BindParams(const std::vector<sql::Param>& ps) {
    for (size_t i = 0; i < ps.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      if (const auto* n = std::get_if<int64_t>(&ps[i])) {
        Bind(idx, *n);
      } else {
        Bind(idx, std::string_view(std::get<std::string>(ps[i])));
      }
    }
  }

  // true: a row is available; false: done.
  Result<bool> Step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if (rc == SQLITE_CONSTRAINT) return tl::unexpected(Error{"already_exists", sqlite3_errmsg(db_)});
    return tl::unexpected(DbError(db_, "step"));
  }

  bool IsNull(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  int64_t Int(int c) const { return sqlite3_column_int64(s_, c); }
  double Real(int c) const { return sqlite3_column_double(s_, c); }
  Seconds Time(int c) const { return Seconds(std::chrono::seconds(Int(c))); }
  std::string Text(int c) const {
    const auto* p = sqlite3_column_text(s_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, c)))
             : std::string();
  }
  std::string Blob(int c) const {
    const void* p = sqlite3_column_blob(s_, c);
    return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, c)))
             : std::string();
  }
  std::optional<std::string> OptText(int c) const {
    if (IsNull(c)) return std::nullopt;
    return Text(c);
  }
  std::optional<bool> OptBool(int c) const {
    if (IsNull(c)) return std::nullopt;
    return Int(c) != 0;
  }
  std::optional<Seconds> OptTime(int c) const {
    if (IsNull(c)) return std::nullopt;
    return Seconds(std::chrono::seconds(Int(c)));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
};

class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection() {
    for (auto& [text, s] : cache_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }

  Result<void> Exec(const std::string& sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string m = msg ? msg : "unknown error";
      sqlite3_free(msg);
      return Fail("db_error", m);
    }
    return {};
  }

  // Cached per connection; the statement is reset when the Stmt dies.
  Result<std::unique_ptr<Stmt>> Prepare(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      sqlite3_stmt* s = nullptr;
      if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s,
                             nullptr) != SQLITE_OK) {
        return tl::unexpected(DbError(db_, "prepare"));
      }
      it = cache_.emplace(sql, s).first;
    }
    return std::make_unique<Stmt>(db_, it->second);
  }

 private:
  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*> cache_;
};

// Migration 5: the rows keyed by the SHA-512 of their bytes get ContentKey() (SHA-256)
// instead, computed from their stored bytes, in id order (the order their blocks were
// written in). A row whose new key is already taken (only a uid spelled like one could
// take it) keeps its old key.
Result<void> RekeyContentKeys(Connection& c) {
  const std::string from(kLegacyContentKeyPrefix), to(kLegacyContentKeyEnd);
  auto count = c.Prepare("SELECT COUNT(*) FROM measurements WHERE idempotency_key >= ?1 AND idempotency_key < ?2");
  if (!count) return tl::unexpected(count.error());
  (*count)->Bind(1, std::string_view(from));
  (*count)->Bind(2, std::string_view(to));
  if (auto row = (*count)->Step(); !row) return tl::unexpected(row.error());
  const int64_t total = (*count)->Int(0);
  count->reset();
  if (total == 0) return {};
  spdlog::info("re-keying {} measurements stored without a uid from SHA-512 to SHA-256 of their bytes (once)", total);
  StoredBytesReader reader([&](int64_t id) -> Result<std::string> {
    auto s = c.Prepare("SELECT zstd FROM raw_blocks WHERE id = ?1");
    if (!s) return tl::unexpected(s.error());
    (*s)->Bind(1, id);
    auto row = (*s)->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return Fail("db_error", fmt::format("raw block {} is missing", id));
    return (*s)->Blob(0);
  });
  struct Rekeyed {
    int64_t id;
    std::string key;
  };
  constexpr int kBatch = 4096;
  int64_t last_id = 0, done = 0, kept = 0, batches = 0;
  for (;;) {
    std::vector<Rekeyed> batch;
    {
      // "+": by the rowid, not through the key's index (which would give the rows in hash order).
      auto s = c.Prepare(
          "SELECT m.id, m.raw_size, m.raw_block, m.raw_offset, b.raw_zstd FROM measurements m LEFT JOIN "
          "measurement_bodies b ON b.id = m.id WHERE m.id > ?1 AND +m.idempotency_key >= ?2 AND "
          "+m.idempotency_key < ?3 ORDER BY m.id LIMIT " + std::to_string(kBatch));
      if (!s) return tl::unexpected(s.error());
      (*s)->Bind(1, last_id);
      (*s)->Bind(2, std::string_view(from));
      (*s)->Bind(3, std::string_view(to));
      for (;;) {
        auto row = (*s)->Step();
        if (!row) return tl::unexpected(row.error());
        if (!*row) break;
        const int64_t id = (*s)->Int(0);
        std::optional<int64_t> block;
        if (!(*s)->IsNull(2)) block = (*s)->Int(2);
        auto raw = reader.Read(block, static_cast<uint64_t>((*s)->Int(3)), static_cast<uint64_t>((*s)->Int(1)),
                               block ? std::string() : (*s)->Blob(4));
        if (!raw) return Fail(raw.error().failure, fmt::format("measurement {}: {}", id, raw.error().message));
        batch.push_back({id, ContentKey(*raw)});
      }
    }
    if (batch.empty()) break;
    for (const auto& r : batch) {
      auto u = c.Prepare("UPDATE OR IGNORE measurements SET idempotency_key = ?1 WHERE id = ?2");
      if (!u) return tl::unexpected(u.error());
      (*u)->Bind(1, std::string_view(r.key));
      (*u)->Bind(2, r.id);
      if (auto step = (*u)->Step(); !step) return tl::unexpected(step.error());
      if (sqlite3_changes(c.db()) == 0) ++kept;
    }
    last_id = batch.back().id;
    done += static_cast<int64_t>(batch.size());
    if (++batches % 32 == 0) spdlog::info("re-keyed {} of {}", done, total);
  }
  if (kept > 0) spdlog::warn("{} measurements keep their SHA-512 key: their new key was already taken", kept);
  return {};
}

const std::string kInsertSql =
    "INSERT INTO measurements (idempotency_key, measurement_uid, report_id, input, domain, test_name, probe_cc, "
    "probe_asn, measurement_start_time, anomaly, confirmed, failure, blocking, accessible, fingerprint, why, "
    "category_code, raw_size, raw_block, raw_offset) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
    "?14, ?15, ?16, ?17, ?18, ?19, ?20) ON CONFLICT (idempotency_key) DO NOTHING";
const std::string kInsertBlockSql = "INSERT INTO raw_blocks (id, uncompressed_size, zstd) VALUES (?1, ?2, ?3)";
const std::string kInsertBodySql = "INSERT INTO measurement_bodies (id, raw_zstd) VALUES (?1, ?2)";
const std::string kUidByKeySql = "SELECT measurement_uid FROM measurements WHERE idempotency_key = ?1";

StoredMeasurement ReadMeasurement(const Stmt& s) { return sql::ReadMeasurementRow(s); }

using sql::AddToRollup;
using sql::RollupDelta;

const std::string kRollupSql =
    "INSERT INTO measurement_daily (measurement_start_time, probe_cc, probe_asn, test_name, domain, category_code, "
    "anomaly, confirmed, failure, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO UPDATE SET n = n "
    "+ excluded.n";

const char* kUserColumns = "id, username, password_hash, role, disabled, created_at";
// `at`: the column where the user's columns start.
User ReadUser(const Stmt& s, int at = 0) {
  return User{s.Int(at),         s.Text(at + 1),
              s.Text(at + 2),    s.Text(at + 3),
              s.Int(at + 4) != 0, Seconds(std::chrono::seconds(s.Int(at + 5)))};
}
const char* kTokenColumns = "id, user_id, token_hash, role, label, created_at, expires_at, revoked_at";
constexpr int kTokenColumnCount = 8;
// A token and its account in one row (authentication).
const std::string kTokenWithUserSql =
    fmt::format("SELECT {}, {} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?1",
                sql::Qualified(kTokenColumns, "t"), sql::Qualified(kUserColumns, "u"));
ApiToken ReadToken(const Stmt& s) {
  return ApiToken{s.Int(0),  s.Int(1),   s.Text(2),  s.Text(3), s.Text(4), Seconds(std::chrono::seconds(s.Int(5))),
                  s.OptTime(6), s.OptTime(7)};
}

}  // namespace

struct SqliteStore::Impl {
  // What SyncCommitted and Sync flush, under sync_mu: descriptors of the WAL and of its
  // folder, kept for the store's life. Never one of the database file (or its -shm): on
  // Linux, closing any descriptor of a file drops every POSIX lock the process holds on it,
  // SQLite's included, and another process (`vigil user`, a backup, the sqlite3 shell)
  // would then believe itself alone, checkpoint and delete the WAL that this store goes on
  // writing (sqlite.org/howtocorrupt.html, 2.2). SQLite locks the database file and the
  // -shm file only, so replacing a WAL descriptor whose file SQLite has replaced is safe;
  // the database file needs no flush from here: SQLite flushes it after every checkpoint
  // (synchronous is FULL or NORMAL, never OFF). Declared first, so closed after every
  // connection below.
  struct Descriptor {
    int fd = -1;
    Descriptor() = default;
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    ~Descriptor() { Reset(-1); }
    void Reset(int next) {
      if (fd >= 0) ::close(fd);
      fd = next;
    }
  };
  std::mutex sync_mu;
  Descriptor wal;
  ino_t wal_inode = 0;
  Descriptor folder;

  std::string path;
  SqliteOptions options;
  ConnectionPool<Connection> pool;
  std::mutex write_mu;
  std::unique_ptr<Connection> writer;  // under write_mu

  // Checkpoints. The writer's WAL hook (OnCommit) replaces SQLite's automatic checkpoint
  // (the same PASSIVE checkpoint every kCheckpointFrames frames) until CheckpointIfDue is
  // first called: from then on the commits leave it to that caller's thread (on its own
  // connection), and checkpoint themselves only past kCheckpointFrames * 8.
  static constexpr int kCheckpointFrames = 1000;  // SQLite's default: ~4 MB of WAL
  std::atomic<int> wal_frames{0};                 // frames in the WAL after the last commit
  std::atomic<bool> background_checkpoints{false};
  std::mutex checkpoint_mu;
  std::unique_ptr<Connection> checkpointer;  // under checkpoint_mu
  int checkpointed_frames = 0;               // wal_frames when it last ran, under checkpoint_mu

  static int OnCommit(void* arg, sqlite3* db, const char* schema, int frames) {
    auto* self = static_cast<Impl*>(arg);
    self->wal_frames.store(frames, std::memory_order_relaxed);
    const int limit = self->background_checkpoints.load(std::memory_order_relaxed) ? kCheckpointFrames * 8
                                                                                   : kCheckpointFrames;
    if (frames >= limit) {
      // A checkpoint flushes the WAL before it overwrites database pages: that flush must
      // reach the disk (wal_writes.h), whatever the commit that triggered it deferred.
      (void)sqlite_wal_writes::SetWalMode(db, sqlite_wal_writes::Mode::kPassThrough);
      sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    }
    return SQLITE_OK;
  }

  Result<std::unique_ptr<Connection>> NewConnection() {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             sqlite_wal_writes::Install());
    if (rc != SQLITE_OK) {
      Error e{"io_error", fmt::format("cannot open {}: {}", path, db ? sqlite3_errmsg(db) : "out of memory")};
      sqlite3_close_v2(db);
      return tl::unexpected(e);
    }
    auto c = std::make_unique<Connection>(db);
    sqlite3_busy_timeout(db, options.busy_timeout_ms);
    sqlite3_extended_result_codes(db, 0);
    std::string pragmas = fmt::format(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous={}; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; "
        "PRAGMA temp_store=MEMORY;",
        options.durability == Durability::kFull ? "FULL" : "NORMAL");
    if (auto r = c->Exec(pragmas); !r) return tl::unexpected(r.error());
    return c;
  }

  using Lease = ConnectionPool<Connection>::Lease;
  Result<Lease> Borrow() {
    return pool.Borrow(options.max_connections, [this] { return NewConnection(); });
  }

  // Runs fn(connection) inside BEGIN IMMEDIATE ... COMMIT; rolls back on error.
  // `unflushed`: commit without fsyncing the WAL even under Durability::kFull (the caller
  // calls SyncCommitted before it acknowledges anything).
  template <typename T, typename Fn>
  Result<T> Write(Fn&& fn, bool unflushed) {
    std::lock_guard wlock(write_mu);
    // Every write goes through one connection: its page cache stays valid from one write
    // to the next (SQLite drops a connection's whole cache when another one has written),
    // so the writer does not read back the index pages it has just written.
    if (!writer) {
      auto opened = NewConnection();
      if (!opened) return tl::unexpected(opened.error());
      // synchronous=FULL whatever the durability: SQLite then syncs the WAL at the end of
      // each commit, which is where the WAL's collected frames are written (wal_writes.h);
      // whether that sync reaches the disk is the WAL mode's choice below.
      if (auto r = (*opened)->Exec("PRAGMA synchronous=FULL"); !r) return tl::unexpected(r.error());
      writer = std::move(*opened);
      sqlite3_wal_hook(writer->db(), &Impl::OnCommit, this);
    }
    Connection& c = *writer;
    if (auto r = c.Exec("BEGIN IMMEDIATE"); !r) return tl::unexpected(r.error());
    // The transaction's frames go to the WAL together at its commit. The commit's own
    // fsync is skipped when the caller flushes the WAL itself (SyncCommitted) and under
    // Durability::kNormal (synchronous=NORMAL's behaviour: the WAL is flushed before each
    // checkpoint, which OnCommit makes sure of).
    const bool defer_sync = unflushed || options.durability == Durability::kNormal;
    struct PassThrough {  // whatever happens, the WAL is back to plain writes afterwards
      sqlite3* db;
      ~PassThrough() { (void)sqlite_wal_writes::SetWalMode(db, sqlite_wal_writes::Mode::kPassThrough); }
    } pass_through{c.db()};
    (void)sqlite_wal_writes::SetWalMode(  // entering a collecting mode writes nothing, so cannot fail
        c.db(), defer_sync ? sqlite_wal_writes::Mode::kDeferSync : sqlite_wal_writes::Mode::kCoalesce);
    Result<T> result = fn(c);
    if (!result) {
      (void)c.Exec("ROLLBACK");
      return result;
    }
    if (auto r = c.Exec("COMMIT"); !r) {
      (void)c.Exec("ROLLBACK");
      return tl::unexpected(r.error());
    }
    return result;
  }
  template <typename T, typename Fn>
  Result<T> Write(Fn&& fn) {
    return Write<T>(std::forward<Fn>(fn), false);
  }

  // In the caller's transaction, so the rollup always agrees with the measurements.
  Result<void> ApplyRollup(Connection& c, const RollupDelta& delta) {
    for (const auto& [k, n] : delta) {
      auto s = c.Prepare(kRollupSql);
      if (!s) return tl::unexpected(s.error());
      Stmt& st = **s;
      st.Bind(1, std::get<0>(k));
      st.Bind(2, std::get<1>(k));
      st.Bind(3, std::get<2>(k));
      st.Bind(4, std::get<3>(k));
      st.Bind(5, std::get<4>(k));
      st.Bind(6, std::get<5>(k));
      st.Bind(7, int64_t{std::get<6>(k) ? 1 : 0});
      st.Bind(8, int64_t{std::get<7>(k) ? 1 : 0});
      st.Bind(9, int64_t{std::get<8>(k) ? 1 : 0});
      st.Bind(10, n);
      if (auto r = st.Step(); !r) return tl::unexpected(r.error());
    }
    return {};
  }

  Result<std::vector<InsertOutcome>> InsertBatch(std::span<const StoredMeasurement> batch,
                                                 std::span<const RawBlock> blocks, bool unflushed);

  // `block_base`: the id of the batch's block 0 (see InsertBatch).
  Result<InsertOutcome> InsertOne(Connection& c, const StoredMeasurement& m, RollupDelta& delta,
                                  int64_t block_base = 0) {
    auto s = c.Prepare(kInsertSql);
    if (!s) return tl::unexpected(s.error());
    Stmt& st = **s;
    st.Bind(1, std::string_view(m.idempotency_key));
    st.Bind(2, std::string_view(m.measurement_uid));
    st.Bind(3, std::string_view(m.report_id));
    st.Bind(4, m.input);
    st.Bind(5, std::string_view(m.domain));
    st.Bind(6, std::string_view(m.test_name));
    st.Bind(7, std::string_view(m.probe_cc));
    st.Bind(8, int64_t{m.probe_asn});
    st.Bind(9, int64_t{m.measurement_start_time.time_since_epoch().count()});
    st.Bind(10, m.verdict.anomaly);
    st.Bind(11, m.verdict.confirmed);
    st.Bind(12, m.verdict.failure);
    st.Bind(13, BlockingToText(m.verdict.blocking));
    st.Bind(14, m.verdict.accessible);
    st.Bind(15, m.verdict.fingerprint);
    st.Bind(16, std::string_view(m.verdict.why));
    st.Bind(17, m.category_code);
    st.Bind(18, static_cast<int64_t>(m.raw_size));
    if (m.raw_block) {
      st.Bind(19, block_base + *m.raw_block);
      st.Bind(20, static_cast<int64_t>(m.raw_offset));
    }  // else NULL (bindings are cleared after each use)
    auto step = st.Step();
    if (!step) {
      if (step.error().failure == "already_exists") {
        return Fail("already_exists", fmt::format("measurement_uid {} is taken by another measurement", m.measurement_uid));
      }
      return tl::unexpected(step.error());
    }
    if (sqlite3_changes(c.db()) == 1) {
      AddToRollup(m, delta);
      if (m.raw_block) return InsertOutcome{m.measurement_uid, true};
      int64_t id = sqlite3_last_insert_rowid(c.db());
      auto b = c.Prepare(kInsertBodySql);
      if (!b) return tl::unexpected(b.error());
      (*b)->Bind(1, id);
      (*b)->BindBlob(2, m.raw_zstd);
      if (auto r = (*b)->Step(); !r) return tl::unexpected(r.error());
      return InsertOutcome{m.measurement_uid, true};
    }
    auto q = c.Prepare(kUidByKeySql);
    if (!q) return tl::unexpected(q.error());
    (*q)->Bind(1, std::string_view(m.idempotency_key));
    auto row = (*q)->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return Fail("db_error", "conflicting insert left no row for " + m.idempotency_key);
    return InsertOutcome{(*q)->Text(0), false};
  }

  // Runs a read query and collects fn(stmt) for each row.
  template <typename T, typename Fn>
  Result<std::vector<T>> Query(const std::string& text, const std::vector<sql::Param>& params, Fn&& fn) {
    auto lease = Borrow();
    if (!lease) return tl::unexpected(lease.error());
    auto s = (*lease)->Prepare(text);
    if (!s) return tl::unexpected(s.error());
    (*s)->BindParams(params);
    std::vector<T> out;
    for (;;) {
      auto row = (*s)->Step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      out.push_back(fn(**s));
    }
    return out;
  }

  Result<int64_t> ScalarInt(const std::string& text, const std::vector<sql::Param>& params = {}) {
    auto rows = Query<int64_t>(text, params, [](const Stmt& s) { return s.Int(0); });
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return Fail("db_error", "no row from: " + text);
    return rows->front();
  }

  // Builds the query indexes that are missing (see kQueryIndexes); true if it built any.
  Result<bool> BuildQueryIndexes() {
    return Write<bool>([&](Connection& c) -> Result<bool> {
      std::string names;
      for (std::string_view index : kQueryIndexes) {
        names += fmt::format("{}'{}'", names.empty() ? "" : ", ", QueryIndexName(index));
      }
      auto s = c.Prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN (" + names + ")");
      if (!s) return tl::unexpected(s.error());
      auto row = (*s)->Step();
      if (!row) return tl::unexpected(row.error());
      if ((*s)->Int(0) == static_cast<int64_t>(std::size(kQueryIndexes))) return false;
      s->reset();
      for (std::string_view index : kQueryIndexes) {
        if (auto r = c.Exec(fmt::format("CREATE INDEX IF NOT EXISTS {}", index)); !r) return tl::unexpected(r.error());
      }
      return true;
    });
  }

  Result<void> Migrate() {
    return Write<void>([&](Connection& c) -> Result<void> {
      if (auto r = c.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                          "description TEXT NOT NULL, applied_at INTEGER NOT NULL)");
          !r) {
        return r;
      }
      auto s = c.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      if (!s) return tl::unexpected(s.error());
      auto row = (*s)->Step();
      if (!row) return tl::unexpected(row.error());
      int64_t current = (*s)->Int(0);
      s->reset();
      if (current > LatestSchemaVersion()) {
        return Fail("unsupported", fmt::format("{} has schema version {}, newer than this vigil ({}); upgrade vigil",
                                               path, current, LatestSchemaVersion()));
      }
      for (const auto& m : kMigrations) {
        if (m.version <= current) continue;
        auto applied = c.Exec(m.sql);
        if (applied && m.code) applied = m.code(c);
        if (!applied) {
          return Fail("db_error",
                      fmt::format("migration {} ({}): {}", m.version, m.description, applied.error().message));
        }
        auto ins = c.Prepare("INSERT INTO schema_migrations (version, description, applied_at) VALUES (?1, ?2, "
                             "CAST(strftime('%s','now') AS INTEGER))");
        if (!ins) return tl::unexpected(ins.error());
        (*ins)->Bind(1, int64_t{m.version});
        (*ins)->Bind(2, std::string_view(m.description));
        if (auto r = (*ins)->Step(); !r) return tl::unexpected(r.error());
      }
      return {};
    });
  }
};

int SqliteStore::LatestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, SqliteOptions options) {
  sqlite_page_cache::Install();  // before SQLite initializes (page_cache.h)
  // Created 0600 before SQLite opens it: its WAL and shared-memory files take its mode.
  if (auto r = PrepareSqliteFile(path); !r) return tl::unexpected(r.error());
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  if (impl->options.max_connections < 1) impl->options.max_connections = 1;
  if (auto r = impl->Migrate(); !r) return tl::unexpected(r.error());
  // A bulk load that stopped before its end (BeginBulkLoad) left query indexes missing.
  auto built = impl->BuildQueryIndexes();
  if (!built) return tl::unexpected(built.error());
  if (*built) spdlog::warn("{}: rebuilt the query indexes an interrupted bulk import had left out", path);
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

Result<InsertOutcome> SqliteStore::Insert(const StoredMeasurement& m) {
  if (auto v = ValidateBatch(std::span<const StoredMeasurement>(&m, 1), {}); !v) return tl::unexpected(v.error());
  return impl_->Write<InsertOutcome>([&](Connection& c) -> Result<InsertOutcome> {
    RollupDelta delta;
    auto r = impl_->InsertOne(c, m, delta);
    if (!r) return r;
    if (auto a = impl_->ApplyRollup(c, delta); !a) return tl::unexpected(a.error());
    return r;
  });
}

Result<std::vector<InsertOutcome>> SqliteStore::InsertBatch(std::span<const StoredMeasurement> batch,
                                                            std::span<const RawBlock> blocks) {
  return impl_->InsertBatch(batch, blocks, /*unflushed=*/false);
}

Result<std::vector<InsertOutcome>> SqliteStore::InsertBatchUnflushed(std::span<const StoredMeasurement> batch,
                                                                     std::span<const RawBlock> blocks) {
  return impl_->InsertBatch(batch, blocks, /*unflushed=*/true);
}

Result<std::vector<InsertOutcome>> SqliteStore::Impl::InsertBatch(std::span<const StoredMeasurement> batch,
                                                                  std::span<const RawBlock> blocks,
                                                                  bool unflushed) {
  if (auto v = ValidateBatch(batch, blocks); !v) return tl::unexpected(v.error());
  if (batch.empty()) return std::vector<InsertOutcome>{};
  return Write<std::vector<InsertOutcome>>(
      [&](Connection& c) -> Result<std::vector<InsertOutcome>> {
        // The batch's blocks take the ids after the highest stored one (this transaction
        // holds the write lock); a block is stored after its rows, and only when one of
        // them was new.
        int64_t base = 0;
        if (!blocks.empty()) {
          auto s = c.Prepare("SELECT COALESCE(MAX(id), 0) + 1 FROM raw_blocks");
          if (!s) return tl::unexpected(s.error());
          auto row = (*s)->Step();
          if (!row) return tl::unexpected(row.error());
          base = (*s)->Int(0);
        }
        std::vector<bool> used(blocks.size(), false);
        std::vector<InsertOutcome> out;
        out.reserve(batch.size());
        RollupDelta delta;
        for (const auto& m : batch) {
          auto r = InsertOne(c, m, delta, base);
          if (!r) return tl::unexpected(r.error());
          if (r->inserted && m.raw_block) used[*m.raw_block] = true;
          out.push_back(std::move(*r));
        }
        for (size_t i = 0; i < blocks.size(); ++i) {
          if (!used[i]) continue;
          auto s = c.Prepare(kInsertBlockSql);
          if (!s) return tl::unexpected(s.error());
          (*s)->Bind(1, base + static_cast<int64_t>(i));
          (*s)->Bind(2, static_cast<int64_t>(blocks[i].raw_size));
          (*s)->BindBlob(3, blocks[i].zstd);
          if (auto r = (*s)->Step(); !r) return tl::unexpected(r.error());
        }
        if (auto a = ApplyRollup(c, delta); !a) return tl::unexpected(a.error());
        return out;
      },
      unflushed);
}

Result<bool> SqliteStore::BeginBulkLoad() {
  return impl_->Write<bool>([&](Connection& c) -> Result<bool> {
    auto s = c.Prepare("SELECT EXISTS (SELECT 1 FROM measurements)");
    if (!s) return tl::unexpected(s.error());
    auto row = (*s)->Step();
    if (!row) return tl::unexpected(row.error());
    if ((*s)->Int(0) != 0) return false;
    s->reset();
    for (std::string_view index : kQueryIndexes) {
      if (auto r = c.Exec(fmt::format("DROP INDEX IF EXISTS {}", QueryIndexName(index))); !r) {
        return tl::unexpected(r.error());
      }
    }
    return true;
  });
}

Result<void> SqliteStore::EndBulkLoad() {
  // Each CREATE INDEX reads the whole table: through a memory map rather than read()
  // copies (a fifth faster on a million rows; helper threads for the sort were not).
  // The map is dropped again after the build.
  auto set_mmap = [&](int64_t bytes) {
    std::lock_guard lock(impl_->write_mu);
    if (impl_->writer) (void)impl_->writer->Exec(fmt::format("PRAGMA mmap_size = {}", bytes));
  };
  set_mmap(int64_t{1} << 31);
  auto built = impl_->BuildQueryIndexes();
  set_mmap(0);
  if (!built) return tl::unexpected(built.error());
  return {};
}

Result<void> SqliteStore::Sync() {
  // synchronous=NORMAL commits are complete in the WAL but not flushed: flushing the WAL
  // makes them durable (the database file is SQLite's to flush, see Impl::wal).
  return SyncCommitted();
}

Result<void> SqliteStore::SyncCommitted() {
  // Commits live in the WAL until a checkpoint copies them into the database file, and
  // SQLite flushes the WAL before a checkpoint and the database file after it: flushing the
  // WAL makes every commit so far durable. The first time (and whenever SQLite has made a
  // new WAL file) the folder is flushed too, so that the file's name is on disk.
  std::lock_guard lock(impl_->sync_mu);
  const std::string wal = impl_->path + "-wal";
  struct stat st {};
  if (::stat(wal.c_str(), &st) != 0) {
    // No WAL: nothing was committed since the last connection closed, which checkpointed
    // (and flushed) everything into the database file.
    if (errno == ENOENT) return {};
    return Fail("io_error", fmt::format("cannot stat {}: {}", wal, std::strerror(errno)));
  }
  bool new_file = false;
  if (impl_->wal.fd < 0 || st.st_ino != impl_->wal_inode) {
    const int fd = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Fail("io_error", fmt::format("cannot open {}: {}", wal, std::strerror(errno)));
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);  // a WAL file: SQLite holds no lock on it (see Impl::wal)
      return Fail("io_error", fmt::format("cannot stat {}: {}", wal, std::strerror(err)));
    }
    impl_->wal.Reset(fd);
    impl_->wal_inode = st.st_ino;
    new_file = true;
  }
  if (::fdatasync(impl_->wal.fd) != 0) {
    return Fail("io_error", fmt::format("cannot flush {}: {}", wal, std::strerror(errno)));
  }
  if (new_file) {
    if (impl_->folder.fd < 0) {
      std::string dir = std::filesystem::path(impl_->path).parent_path().string();
      if (dir.empty()) dir = ".";
      const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) return Fail("io_error", fmt::format("cannot open {}: {}", dir, std::strerror(errno)));
      impl_->folder.Reset(fd);
    }
    if (::fsync(impl_->folder.fd) != 0) {
      const int err = errno;
      impl_->wal_inode = 0;  // the name is not known durable: flush the folder next time
      return Fail("io_error", fmt::format("cannot flush the folder of {}: {}", impl_->path, std::strerror(err)));
    }
  }
  return {};
}

Result<bool> SqliteStore::CheckpointIfDue() {
  impl_->background_checkpoints.store(true, std::memory_order_relaxed);
  std::lock_guard lock(impl_->checkpoint_mu);
  const int frames = impl_->wal_frames.load(std::memory_order_relaxed);
  // The WAL restarts from its first frame once a checkpoint has copied all of it.
  const int since = frames >= impl_->checkpointed_frames ? frames - impl_->checkpointed_frames : frames;
  if (since < Impl::kCheckpointFrames) return false;
  if (!impl_->checkpointer) {
    auto opened = impl_->NewConnection();
    if (!opened) return tl::unexpected(opened.error());
    impl_->checkpointer = std::move(*opened);
  }
  // PASSIVE: copies what no reader still needs, without waiting for anyone; the writer
  // goes on committing meanwhile. Busy: the commits' safety net is checkpointing.
  sqlite3* db = impl_->checkpointer->db();
  const int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (rc == SQLITE_BUSY) return false;
  if (rc != SQLITE_OK) return tl::unexpected(DbError(db, "checkpoint"));
  impl_->checkpointed_frames = frames;
  return true;
}

Result<std::optional<std::string>> SqliteStore::FindKey(std::string_view idempotency_key) {
  auto rows = impl_->Query<std::string>(kUidByKeySql, {std::string(idempotency_key)},
                                        [](const Stmt& s) { return s.Text(0); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(rows->front()));
}

Result<std::optional<StoredMeasurement>> SqliteStore::GetMeasurement(std::string_view uid) {
  std::string text = "SELECT " + sql::MeasurementColumns(sql::Dialect::kSqlite) +
                     ", b.raw_zstd, k.zstd, m.raw_offset FROM measurements m LEFT JOIN measurement_bodies b ON "
                     "b.id = m.id LEFT JOIN raw_blocks k ON k.id = m.raw_block WHERE m.measurement_uid = ?1";
  struct Found {
    StoredMeasurement m;
    bool in_block = false;
    std::string block;
    int64_t offset = 0;
  };
  auto rows = impl_->Query<Found>(text, {std::string(uid)}, [](const Stmt& s) {
    Found f;
    f.m = ReadMeasurement(s);
    f.m.raw_zstd = s.Blob(sql::kMeasurementColumnCount);
    f.in_block = !s.IsNull(sql::kMeasurementColumnCount + 1) || !s.IsNull(sql::kMeasurementColumnCount + 2);
    if (f.in_block) {
      f.block = s.Blob(sql::kMeasurementColumnCount + 1);
      f.offset = s.Int(sql::kMeasurementColumnCount + 2);
    }
    return f;
  });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<StoredMeasurement>();
  Found& f = rows->front();
  if (f.in_block) {
    if (f.block.empty()) return Fail("db_error", fmt::format("measurement {}: its block is missing", uid));
    auto raw = RawFromBlock(f.block, static_cast<uint64_t>(f.offset), f.m.raw_size);
    if (!raw) return tl::unexpected(raw.error());
    f.m.raw_json = std::move(*raw);
  }
  return std::optional<StoredMeasurement>(std::move(f.m));
}

Result<std::vector<StoredMeasurement>> SqliteStore::ListMeasurements(const MeasurementFilter& f) {
  sql::Query q;
  q.text = "SELECT " + sql::MeasurementColumns(sql::Dialect::kSqlite) + " FROM measurements";
  sql::AppendWhere(f, sql::Dialect::kSqlite, q);
  sql::AppendOrderAndPage(f, q);
  return impl_->Query<StoredMeasurement>(q.text, q.params, ReadMeasurement);
}

Result<int64_t> SqliteStore::CountMeasurements(const MeasurementFilter& f) {
  sql::Query q;
  q.text = sql::RollupAnswers(f) ? "SELECT COALESCE(SUM(n), 0) FROM measurement_daily" : "SELECT COUNT(*) FROM measurements";
  sql::AppendWhere(f, sql::Dialect::kSqlite, q);
  return impl_->ScalarInt(q.text, q.params);
}

Result<std::vector<AggregationRow>> SqliteStore::Aggregate(const AggregationRequest& r) {
  const bool rollup = sql::RollupAnswers(r.filter);
  sql::Query q =
      sql::AggregationQuery(r, sql::Dialect::kSqlite, rollup ? "measurement_daily" : "measurements", rollup);
  return impl_->Query<AggregationRow>(q.text, q.params, [](const Stmt& s) {
    return AggregationRow{s.Text(0), s.Text(1), {s.Int(2), s.Int(3), s.Int(4), s.Int(5), s.Int(6)}};
  });
}

Result<HealthInfo> SqliteStore::Health() {
  auto v = SchemaVersion();
  if (!v) return tl::unexpected(v.error());
  return HealthInfo{"sqlite", *v, impl_->path};
}

Result<StoreCounts> SqliteStore::Counts() {
  StoreCounts c;
  for (auto [table, field] : {std::pair{"measurements", &c.measurements}, std::pair{"users", &c.users},
                              std::pair{"api_tokens", &c.tokens}}) {
    auto n = impl_->ScalarInt(fmt::format("SELECT COUNT(*) FROM {}", table));
    if (!n) return tl::unexpected(n.error());
    *field = *n;
  }
  return c;
}

Result<int> SqliteStore::SchemaVersion() {
  auto v = impl_->ScalarInt("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!v) return tl::unexpected(v.error());
  return static_cast<int>(*v);
}

Result<std::string> SqliteStore::CheckConsistency() {
  auto rows = impl_->Query<std::string>("PRAGMA integrity_check", {}, [](const Stmt& s) { return s.Text(0); });
  if (!rows) return tl::unexpected(rows.error());
  std::string problems;
  if (!(rows->size() == 1 && rows->front() == "ok")) {
    for (const auto& r : *rows) problems += r + "\n";
  }
  // Every measurement's bytes are in its body or inside a stored block, never both.
  auto orphans = impl_->ScalarInt(
      "SELECT (SELECT COUNT(*) FROM measurements m WHERE m.raw_block IS NULL AND NOT EXISTS (SELECT 1 FROM "
      "measurement_bodies b WHERE b.id = m.id)) + (SELECT COUNT(*) FROM measurement_bodies b WHERE NOT EXISTS "
      "(SELECT 1 FROM measurements m WHERE m.id = b.id AND m.raw_block IS NULL)) + (SELECT COUNT(*) FROM "
      "measurements m LEFT JOIN raw_blocks k ON k.id = m.raw_block WHERE m.raw_block IS NOT NULL AND (k.id IS NULL "
      "OR m.raw_offset IS NULL OR m.raw_offset < 0 OR m.raw_offset + m.raw_size > k.uncompressed_size))");
  if (!orphans) return tl::unexpected(orphans.error());
  if (*orphans != 0) {
    problems += fmt::format("{} measurement(s) without their raw bytes, or bytes without a measurement\n", *orphans);
  }
  // The rollup must agree with the measurements, group by group.
  auto drift = impl_->ScalarInt(
      "SELECT COUNT(*) FROM (SELECT measurement_start_time - measurement_start_time % 86400 AS d, probe_cc, probe_asn, "
      "test_name, domain, COALESCE(category_code, '') AS c, COALESCE(anomaly, 0) AS a, COALESCE(confirmed, 0) AS k, "
      "COALESCE(failure, 0) AS f, COUNT(*) AS n FROM measurements GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9) m FULL OUTER "
      "JOIN measurement_daily r ON r.measurement_start_time = m.d AND r.probe_cc = m.probe_cc AND r.probe_asn = "
      "m.probe_asn AND r.test_name = m.test_name AND r.domain = m.domain AND r.category_code = m.c AND r.anomaly = "
      "m.a AND r.confirmed = m.k AND r.failure = m.f WHERE m.n IS NOT r.n");
  if (!drift) return tl::unexpected(drift.error());
  if (*drift != 0) problems += fmt::format("{} group(s) of the daily rollup disagree with the measurements\n", *drift);
  return problems;
}

Result<User> SqliteStore::CreateUser(std::string_view username, std::string_view password_hash,
                                     std::string_view role, Seconds now) {
  return impl_->Write<User>([&](Connection& c) -> Result<User> {
    auto s = c.Prepare("INSERT INTO users (username, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4)");
    if (!s) return tl::unexpected(s.error());
    (*s)->Bind(1, username);
    (*s)->Bind(2, password_hash);
    (*s)->Bind(3, role);
    (*s)->Bind(4, int64_t{now.time_since_epoch().count()});
    auto r = (*s)->Step();
    if (!r) {
      if (r.error().failure == "already_exists") return Fail("already_exists", fmt::format("user {} exists", username));
      return tl::unexpected(r.error());
    }
    return User{sqlite3_last_insert_rowid(c.db()), std::string(username), std::string(password_hash),
                std::string(role), false, now};
  });
}

Result<std::optional<User>> SqliteStore::GetUser(std::string_view username) {
  auto rows = impl_->Query<User>(fmt::format("SELECT {} FROM users WHERE username = ?1", kUserColumns),
                                 {std::string(username)}, [](const Stmt& st) { return ReadUser(st); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<User>();
  return std::optional<User>(rows->front());
}

Result<std::optional<User>> SqliteStore::GetUserById(int64_t id) {
  auto rows = impl_->Query<User>(fmt::format("SELECT {} FROM users WHERE id = ?1", kUserColumns), {id},
                                 [](const Stmt& st) { return ReadUser(st); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<User>();
  return std::optional<User>(rows->front());
}

Result<std::vector<User>> SqliteStore::ListUsers() {
  return impl_->Query<User>(fmt::format("SELECT {} FROM users ORDER BY id", kUserColumns), {},
                            [](const Stmt& st) { return ReadUser(st); });
}

Result<void> SqliteStore::UpdateUser(const User& user) {
  return impl_->Write<void>([&](Connection& c) -> Result<void> {
    auto s = c.Prepare("UPDATE users SET password_hash = ?1, role = ?2, disabled = ?3 WHERE id = ?4");
    if (!s) return tl::unexpected(s.error());
    (*s)->Bind(1, std::string_view(user.password_hash));
    (*s)->Bind(2, std::string_view(user.role));
    (*s)->Bind(3, int64_t{user.disabled ? 1 : 0});
    (*s)->Bind(4, user.id);
    if (auto r = (*s)->Step(); !r) return tl::unexpected(r.error());
    if (sqlite3_changes(c.db()) == 0) return Fail("not_found", fmt::format("no user with id {}", user.id));
    return {};
  });
}

Result<void> SqliteStore::DeleteUser(int64_t id) {
  return impl_->Write<void>([&](Connection& c) -> Result<void> {
    auto t = c.Prepare("DELETE FROM api_tokens WHERE user_id = ?1");
    if (!t) return tl::unexpected(t.error());
    (*t)->Bind(1, id);
    if (auto r = (*t)->Step(); !r) return tl::unexpected(r.error());
    auto s = c.Prepare("DELETE FROM users WHERE id = ?1");
    if (!s) return tl::unexpected(s.error());
    (*s)->Bind(1, id);
    if (auto r = (*s)->Step(); !r) return tl::unexpected(r.error());
    if (sqlite3_changes(c.db()) == 0) return Fail("not_found", fmt::format("no user with id {}", id));
    return {};
  });
}

Result<ApiToken> SqliteStore::CreateToken(int64_t user_id, std::string_view token_hash, std::string_view role,
                                          std::string_view label, Seconds now, std::optional<Seconds> expires_at) {
  return impl_->Write<ApiToken>([&](Connection& c) -> Result<ApiToken> {
    auto s = c.Prepare(
        "INSERT INTO api_tokens (user_id, token_hash, role, label, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, "
        "?5, ?6)");
    if (!s) return tl::unexpected(s.error());
    (*s)->Bind(1, user_id);
    (*s)->Bind(2, token_hash);
    (*s)->Bind(3, role);
    (*s)->Bind(4, label);
    (*s)->Bind(5, int64_t{now.time_since_epoch().count()});
    (*s)->Bind(6, expires_at);
    auto r = (*s)->Step();
    if (!r) {
      if (r.error().failure == "already_exists") {
        return Fail("already_exists", "token hash already stored, or no such user");
      }
      return tl::unexpected(r.error());
    }
    return ApiToken{sqlite3_last_insert_rowid(c.db()), user_id, std::string(token_hash), std::string(role),
                    std::string(label), now, expires_at, std::nullopt};
  });
}

Result<std::optional<ApiToken>> SqliteStore::GetTokenByHash(std::string_view token_hash) {
  auto rows = impl_->Query<ApiToken>(fmt::format("SELECT {} FROM api_tokens WHERE token_hash = ?1", kTokenColumns),
                                     {std::string(token_hash)}, ReadToken);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<ApiToken>();
  return std::optional<ApiToken>(rows->front());
}

Result<std::optional<std::pair<ApiToken, User>>> SqliteStore::GetTokenWithUser(std::string_view token_hash) {
  auto rows = impl_->Query<std::pair<ApiToken, User>>(
      kTokenWithUserSql, {std::string(token_hash)},
      [](const Stmt& st) { return std::pair<ApiToken, User>(ReadToken(st), ReadUser(st, kTokenColumnCount)); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<std::pair<ApiToken, User>>();
  return std::optional<std::pair<ApiToken, User>>(std::move(rows->front()));
}

Result<std::vector<ApiToken>> SqliteStore::ListTokens(int64_t user_id) {
  return impl_->Query<ApiToken>(
      fmt::format("SELECT {} FROM api_tokens WHERE user_id = ?1 ORDER BY id", kTokenColumns), {user_id}, ReadToken);
}

Result<void> SqliteStore::RevokeToken(int64_t id, Seconds now) {
  return impl_->Write<void>([&](Connection& c) -> Result<void> {
    auto s = c.Prepare("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?1) WHERE id = ?2");
    if (!s) return tl::unexpected(s.error());
    (*s)->Bind(1, int64_t{now.time_since_epoch().count()});
    (*s)->Bind(2, id);
    if (auto r = (*s)->Step(); !r) return tl::unexpected(r.error());
    if (sqlite3_changes(c.db()) == 0) return Fail("not_found", fmt::format("no token with id {}", id));
    return {};
  });
}

// --- Signals, the watch, events, webhooks.

namespace {
const char* kWatchEntryColumns = "probe_key, seq, time, kind, state, entry, hash, signature";
WatchEntry ReadWatchEntry(const Stmt& s) {
  return WatchEntry{s.Text(0), s.Int(1), s.Time(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6), s.Text(7)};
}
const char* kEventColumns = "id, entity_type, entity_code, kind, start_time, end_time, score, detail, updated_at";
DisruptionEvent ReadEvent(const Stmt& s) {
  return DisruptionEvent{s.Int(0),    s.Text(1), s.Text(2), s.Text(3), s.Time(4),
                         s.OptTime(5), s.Real(6), s.Text(7), s.Time(8)};
}
const char* kDeliveryColumns = "id, event_id, transition, url, payload, attempts, next_attempt, delivered_at";
WebhookDelivery ReadDelivery(const Stmt& s) {
  return WebhookDelivery{s.Int(0),         s.Int(1), s.Text(2), s.Text(3), s.Text(4), static_cast<int>(s.Int(5)),
                         s.OptTime(6), s.OptTime(7)};
}
}  // namespace

Result<void> SqliteStore::PutSignals(std::span<const SignalPoint> points) {
  for (size_t i = 0; i < points.size(); ++i) {
    if (auto v = ValidateSignalPoint(points[i]); !v) {
      return Fail("invalid_argument", fmt::format("point {}: {}", i, v.error().message));
    }
  }
  if (points.empty()) return {};
  return impl_->Write<void>([&](Connection& c) -> Result<void> {
    for (const auto& p : points) {
      auto s = c.Prepare(
          "INSERT INTO signal_points (entity_type, entity_code, datasource, time, step, value) VALUES (?1, ?2, ?3, "
          "?4, ?5, ?6) ON CONFLICT (entity_type, entity_code, datasource, time) DO UPDATE SET step = excluded.step, "
          "value = excluded.value");
      if (!s) return tl::unexpected(s.error());
      (*s)->Bind(1, std::string_view(p.entity_type));
      (*s)->Bind(2, std::string_view(p.entity_code));
      (*s)->Bind(3, std::string_view(p.datasource));
      (*s)->Bind(4, p.time);
      (*s)->Bind(5, int64_t{p.step});
      (*s)->Bind(6, p.value);
      if (auto r = (*s)->Step(); !r) return tl::unexpected(r.error());
    }
    return {};
  });
}

Result<std::vector<SignalPoint>> SqliteStore::GetSignals(const SignalQuery& q) {
  std::vector<sql::Param> params{q.entity_type, q.entity_code, int64_t{q.from.time_since_epoch().count()},
                                 int64_t{q.until.time_since_epoch().count()}};
  std::string text =
      "SELECT entity_type, entity_code, datasource, time, step, value FROM signal_points WHERE entity_type = ?1 AND "
      "entity_code = ?2 AND time >= ?3 AND time < ?4";
  if (q.datasource) {
    text += " AND datasource = ?5";
    params.emplace_back(*q.datasource);
  }
  text += " ORDER BY datasource, time";
  return impl_->Query<SignalPoint>(text, params, [](const Stmt& s) {
    return SignalPoint{s.Text(0), s.Text(1), s.Text(2), s.Time(3), static_cast<int32_t>(s.Int(4)), s.Real(5)};
  });
}

Result<int64_t> SqliteStore::RecordCheckin(const WatchCheckin& c) {
  if (auto v = ValidateCheckin(c); !v) return tl::unexpected(v.error());
  return impl_->Write<int64_t>([&](Connection& conn) -> Result<int64_t> {
    auto p = conn.Prepare(
        "INSERT INTO watch_probes (probe_key, cc, asn, region, first_seen, last_seen, last_state) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?5, ?6) ON CONFLICT (probe_key) DO UPDATE SET cc = excluded.cc, asn = excluded.asn, region = "
        "excluded.region, last_seen = max(last_seen, excluded.last_seen), last_state = CASE WHEN excluded.last_seen "
        ">= last_seen THEN excluded.last_state ELSE last_state END");
    if (!p) return tl::unexpected(p.error());
    (*p)->Bind(1, std::string_view(c.probe_key));
    (*p)->Bind(2, std::string_view(c.cc));
    (*p)->Bind(3, int64_t{c.asn});
    (*p)->Bind(4, std::string_view(c.region));
    (*p)->Bind(5, c.time);
    (*p)->Bind(6, std::string_view(c.state));
    if (auto r = (*p)->Step(); !r) return tl::unexpected(r.error());
    auto s = conn.Prepare(
        "INSERT INTO watch_checkins (probe_key, time, state, cc, asn, region) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON "
        "CONFLICT (probe_key, time) DO UPDATE SET state = excluded.state");
    if (!s) return tl::unexpected(s.error());
    (*s)->Bind(1, std::string_view(c.probe_key));
    (*s)->Bind(2, c.time);
    (*s)->Bind(3, std::string_view(c.state));
    (*s)->Bind(4, std::string_view(c.cc));
    (*s)->Bind(5, int64_t{c.asn});
    (*s)->Bind(6, std::string_view(c.region));
    if (auto r = (*s)->Step(); !r) return tl::unexpected(r.error());
    auto q = conn.Prepare("SELECT COALESCE(MAX(seq), -1) FROM watch_entries WHERE probe_key = ?1");
    if (!q) return tl::unexpected(q.error());
    (*q)->Bind(1, std::string_view(c.probe_key));
    auto row = (*q)->Step();
    if (!row) return tl::unexpected(row.error());
    return (*q)->Int(0);
  });
}

Result<std::vector<WatchCheckin>> SqliteStore::ListCheckins(Seconds from, Seconds until) {
  return impl_->Query<WatchCheckin>(
      "SELECT probe_key, cc, asn, region, time, state FROM watch_checkins WHERE time >= ?1 AND time < ?2 ORDER BY "
      "probe_key, time",
      {int64_t{from.time_since_epoch().count()}, int64_t{until.time_since_epoch().count()}}, [](const Stmt& s) {
        return WatchCheckin{s.Text(0), s.Text(1), static_cast<uint32_t>(s.Int(2)), s.Text(3), s.Time(4), s.Text(5)};
      });
}

Result<std::vector<WatchProbe>> SqliteStore::ListWatchProbes() {
  return impl_->Query<WatchProbe>(
      "SELECT probe_key, cc, asn, region, first_seen, last_seen, last_state FROM watch_probes ORDER BY probe_key", {},
      [](const Stmt& s) {
        return WatchProbe{s.Text(0), s.Text(1), static_cast<uint32_t>(s.Int(2)), s.Text(3),
                          s.Time(4), s.Time(5), s.Text(6)};
      });
}

Result<WatchPutResult> SqliteStore::PutWatchEntries(std::span<const WatchEntry> entries) {
  for (size_t i = 0; i < entries.size(); ++i) {
    if (auto v = ValidateWatchEntry(entries[i]); !v) {
      return Fail("invalid_argument", fmt::format("entry {}: {}", i, v.error().message));
    }
  }
  return impl_->Write<WatchPutResult>([&](Connection& c) -> Result<WatchPutResult> {
    WatchPutResult out;
    for (const auto& e : entries) {
      auto q = c.Prepare("SELECT hash FROM watch_entries WHERE probe_key = ?1 AND seq = ?2");
      if (!q) return tl::unexpected(q.error());
      (*q)->Bind(1, std::string_view(e.probe_key));
      (*q)->Bind(2, e.seq);
      auto row = (*q)->Step();
      if (!row) return tl::unexpected(row.error());
      if (*row) {
        if ((*q)->Text(0) != e.hash) {
          return Fail("conflict", fmt::format("probe {} already has a different entry {}", e.probe_key, e.seq));
        }
        ++out.duplicates;
        continue;
      }
      q->reset();
      auto s = c.Prepare(fmt::format("INSERT INTO watch_entries ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                     kWatchEntryColumns));
      if (!s) return tl::unexpected(s.error());
      (*s)->Bind(1, std::string_view(e.probe_key));
      (*s)->Bind(2, e.seq);
      (*s)->Bind(3, e.time);
      (*s)->Bind(4, std::string_view(e.kind));
      (*s)->Bind(5, std::string_view(e.state));
      (*s)->Bind(6, std::string_view(e.entry));
      (*s)->Bind(7, std::string_view(e.hash));
      (*s)->Bind(8, std::string_view(e.signature));
      if (auto r = (*s)->Step(); !r) return tl::unexpected(r.error());
      ++out.accepted;
    }
    return out;
  });
}

Result<std::optional<WatchEntry>> SqliteStore::LastWatchEntry(std::string_view probe_key) {
  auto rows = impl_->Query<WatchEntry>(
      fmt::format("SELECT {} FROM watch_entries WHERE probe_key = ?1 ORDER BY seq DESC LIMIT 1", kWatchEntryColumns),
      {std::string(probe_key)}, ReadWatchEntry);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<WatchEntry>();
  return std::optional<WatchEntry>(rows->front());
}

Result<std::vector<WatchEntry>> SqliteStore::ListWatchEntries(const WatchEntryQuery& q) {
  std::vector<sql::Param> params{int64_t{q.from.time_since_epoch().count()},
                                 int64_t{q.until.time_since_epoch().count()}};
  std::string text = fmt::format("SELECT {} FROM watch_entries WHERE time >= ?1 AND time < ?2", kWatchEntryColumns);
  if (q.probe_key) {
    text += " AND probe_key = ?3";
    params.emplace_back(*q.probe_key);
  }
  text += fmt::format(" ORDER BY probe_key, seq LIMIT {}", q.limit);
  return impl_->Query<WatchEntry>(text, params, ReadWatchEntry);
}

Result<int64_t> SqliteStore::SaveEvent(const DisruptionEvent& e) {
  if (auto v = ValidateEvent(e); !v) return tl::unexpected(v.error());
  return impl_->Write<int64_t>([&](Connection& c) -> Result<int64_t> {
    const bool insert = e.id == 0;
    auto s = c.Prepare(insert ? "INSERT INTO events (entity_type, entity_code, kind, start_time, end_time, score, "
                                "detail, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                              : "UPDATE events SET entity_type = ?1, entity_code = ?2, kind = ?3, start_time = ?4, "
                                "end_time = ?5, score = ?6, detail = ?7, updated_at = ?8 WHERE id = ?9");
    if (!s) return tl::unexpected(s.error());
    (*s)->Bind(1, std::string_view(e.entity_type));
    (*s)->Bind(2, std::string_view(e.entity_code));
    (*s)->Bind(3, std::string_view(e.kind));
    (*s)->Bind(4, e.start);
    (*s)->Bind(5, e.end);
    (*s)->Bind(6, e.score);
    (*s)->Bind(7, std::string_view(e.detail_json));
    (*s)->Bind(8, e.updated_at);
    if (!insert) (*s)->Bind(9, e.id);
    if (auto r = (*s)->Step(); !r) return tl::unexpected(r.error());
    if (insert) return sqlite3_last_insert_rowid(c.db());
    if (sqlite3_changes(c.db()) == 0) return Fail("not_found", fmt::format("no event with id {}", e.id));
    return e.id;
  });
}

Result<std::vector<DisruptionEvent>> SqliteStore::ListEvents(const EventFilter& f) {
  sql::Query q;
  q.text = fmt::format("SELECT {} FROM events", kEventColumns);
  AppendEventWhere(f, sql::Dialect::kSqlite, q);
  return impl_->Query<DisruptionEvent>(q.text, q.params, ReadEvent);
}

Result<bool> SqliteStore::EnqueueDelivery(const WebhookDelivery& d) {
  return impl_->Write<bool>([&](Connection& c) -> Result<bool> {
    auto s = c.Prepare(
        "INSERT INTO webhook_deliveries (event_id, transition, url, payload, next_attempt) VALUES (?1, ?2, ?3, ?4, "
        "?5) ON CONFLICT (event_id, transition, url) DO NOTHING");
    if (!s) return tl::unexpected(s.error());
    (*s)->Bind(1, d.event_id);
    (*s)->Bind(2, std::string_view(d.transition));
    (*s)->Bind(3, std::string_view(d.url));
    (*s)->Bind(4, std::string_view(d.payload));
    (*s)->Bind(5, d.next_attempt);
    if (auto r = (*s)->Step(); !r) return tl::unexpected(r.error());
    return sqlite3_changes(c.db()) == 1;
  });
}

Result<std::vector<WebhookDelivery>> SqliteStore::PendingDeliveries(Seconds now, uint32_t limit) {
  return impl_->Query<WebhookDelivery>(
      fmt::format("SELECT {} FROM webhook_deliveries WHERE delivered_at IS NULL AND next_attempt IS NOT NULL AND "
                  "next_attempt <= ?1 ORDER BY next_attempt, id LIMIT {}",
                  kDeliveryColumns, limit),
      {int64_t{now.time_since_epoch().count()}}, ReadDelivery);
}

Result<void> SqliteStore::RecordDeliveryAttempt(int64_t id, bool delivered, Seconds now,
                                                std::optional<Seconds> next_attempt) {
  return impl_->Write<void>([&](Connection& c) -> Result<void> {
    auto s = c.Prepare(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at = ?1, next_attempt = ?2 WHERE id = ?3");
    if (!s) return tl::unexpected(s.error());
    (*s)->Bind(1, delivered ? std::optional<Seconds>(now) : std::nullopt);
    (*s)->Bind(2, delivered ? std::nullopt : next_attempt);
    (*s)->Bind(3, id);
    if (auto r = (*s)->Step(); !r) return tl::unexpected(r.error());
    if (sqlite3_changes(c.db()) == 0) return Fail("not_found", fmt::format("no delivery with id {}", id));
    return {};
  });
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteStore::ListSignalEntities() {
  return impl_->Query<std::pair<std::string, std::string>>(
      "SELECT DISTINCT entity_type, entity_code FROM signal_points ORDER BY 1, 2", {},
      [](const Stmt& s) { return std::pair<std::string, std::string>(s.Text(0), s.Text(1)); });
}

Result<bool> SqliteStore::ClaimDelivery(int64_t id, Seconds now, Seconds lease_until) {
  return impl_->Write<bool>([&](Connection& c) -> Result<bool> {
    auto s = c.Prepare(
        "UPDATE webhook_deliveries SET next_attempt = ?1 WHERE id = ?2 AND delivered_at IS NULL AND next_attempt IS "
        "NOT NULL AND next_attempt <= ?3");
    if (!s) return tl::unexpected(s.error());
    (*s)->Bind(1, lease_until);
    (*s)->Bind(2, id);
    (*s)->Bind(3, now);
    if (auto r = (*s)->Step(); !r) return tl::unexpected(r.error());
    return sqlite3_changes(c.db()) == 1;
  });
}

}  // namespace vigil::store
