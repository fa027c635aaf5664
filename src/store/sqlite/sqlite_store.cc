#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <unordered_set>

#include <fmt/format.h>

#include "store/connection_pool.h"
#include "store/sql_query.h"

namespace vigil::store {
namespace {

struct Migration {
  int version;
  const char* description;
  const char* sql;
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
};

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

const std::string kInsertSql =
    "INSERT INTO measurements (idempotency_key, measurement_uid, report_id, input, domain, test_name, probe_cc, "
    "probe_asn, measurement_start_time, anomaly, confirmed, failure, blocking, accessible, fingerprint, why, "
    "category_code, raw_size) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
    "?18) ON CONFLICT (idempotency_key) DO NOTHING";
const std::string kInsertBodySql = "INSERT INTO measurement_bodies (id, raw_zstd) VALUES (?1, ?2)";
const std::string kUidByKeySql = "SELECT measurement_uid FROM measurements WHERE idempotency_key = ?1";

StoredMeasurement ReadMeasurement(const Stmt& s) { return sql::ReadMeasurementRow(s); }

const char* kUserColumns = "id, username, password_hash, role, disabled, created_at";
User ReadUser(const Stmt& s) {
  return User{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Int(4) != 0, Seconds(std::chrono::seconds(s.Int(5)))};
}
const char* kTokenColumns = "id, user_id, token_hash, role, label, created_at, expires_at, revoked_at";
ApiToken ReadToken(const Stmt& s) {
  return ApiToken{s.Int(0),  s.Int(1),   s.Text(2),  s.Text(3), s.Text(4), Seconds(std::chrono::seconds(s.Int(5))),
                  s.OptTime(6), s.OptTime(7)};
}

}  // namespace

struct SqliteStore::Impl {
  std::string path;
  SqliteOptions options;
  ConnectionPool<Connection> pool;
  std::mutex write_mu;

  Result<std::unique_ptr<Connection>> NewConnection() {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
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
  template <typename T, typename Fn>
  Result<T> Write(Fn&& fn) {
    std::lock_guard wlock(write_mu);
    auto lease = Borrow();
    if (!lease) return tl::unexpected(lease.error());
    Connection& c = **lease;
    if (auto r = c.Exec("BEGIN IMMEDIATE"); !r) return tl::unexpected(r.error());
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

  Result<InsertOutcome> InsertOne(Connection& c, const StoredMeasurement& m) {
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
    auto step = st.Step();
    if (!step) {
      if (step.error().failure == "already_exists") {
        return Fail("already_exists", fmt::format("measurement_uid {} is taken by another measurement", m.measurement_uid));
      }
      return tl::unexpected(step.error());
    }
    if (sqlite3_changes(c.db()) == 1) {
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
        if (auto r = c.Exec(m.sql); !r) {
          return Fail("db_error", fmt::format("migration {} ({}): {}", m.version, m.description, r.error().message));
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
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  if (impl->options.max_connections < 1) impl->options.max_connections = 1;
  if (auto r = impl->Migrate(); !r) return tl::unexpected(r.error());
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

Result<InsertOutcome> SqliteStore::Insert(const StoredMeasurement& m) {
  if (auto v = ValidateMeasurement(m); !v) return tl::unexpected(v.error());
  return impl_->Write<InsertOutcome>([&](Connection& c) { return impl_->InsertOne(c, m); });
}

Result<std::vector<InsertOutcome>> SqliteStore::InsertBatch(std::span<const StoredMeasurement> batch) {
  for (size_t i = 0; i < batch.size(); ++i) {
    if (auto v = ValidateMeasurement(batch[i]); !v) {
      return Fail("invalid_argument", fmt::format("batch row {}: {}", i, v.error().message));
    }
  }
  if (batch.empty()) return std::vector<InsertOutcome>{};
  return impl_->Write<std::vector<InsertOutcome>>([&](Connection& c) -> Result<std::vector<InsertOutcome>> {
    std::vector<InsertOutcome> out;
    out.reserve(batch.size());
    for (const auto& m : batch) {
      auto r = impl_->InsertOne(c, m);
      if (!r) return tl::unexpected(r.error());
      out.push_back(std::move(*r));
    }
    return out;
  });
}

Result<std::optional<StoredMeasurement>> SqliteStore::GetMeasurement(std::string_view uid) {
  std::string text = "SELECT " + sql::MeasurementColumns(sql::Dialect::kSqlite) +
                     ", b.raw_zstd FROM measurements m JOIN measurement_bodies b ON b.id = m.id "
                     "WHERE m.measurement_uid = ?1";
  auto rows = impl_->Query<StoredMeasurement>(text, {std::string(uid)}, [](const Stmt& s) {
    StoredMeasurement m = ReadMeasurement(s);
    m.raw_zstd = s.Blob(sql::kMeasurementColumnCount);
    return m;
  });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<StoredMeasurement>();
  return std::optional<StoredMeasurement>(std::move(rows->front()));
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
  q.text = "SELECT COUNT(*) FROM measurements";
  sql::AppendWhere(f, sql::Dialect::kSqlite, q);
  return impl_->ScalarInt(q.text, q.params);
}

Result<std::vector<AggregationRow>> SqliteStore::Aggregate(const AggregationRequest& r) {
  sql::Query q = sql::AggregationQuery(r, sql::Dialect::kSqlite, "measurements");
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
  auto orphans = impl_->ScalarInt(
      "SELECT (SELECT COUNT(*) FROM measurements m WHERE NOT EXISTS (SELECT 1 FROM measurement_bodies b WHERE "
      "b.id = m.id)) + (SELECT COUNT(*) FROM measurement_bodies b WHERE NOT EXISTS (SELECT 1 FROM measurements m "
      "WHERE m.id = b.id))");
  if (!orphans) return tl::unexpected(orphans.error());
  if (*orphans != 0) problems += fmt::format("{} measurement(s) without body or body without measurement\n", *orphans);
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
                                 {std::string(username)}, ReadUser);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<User>();
  return std::optional<User>(rows->front());
}

Result<std::optional<User>> SqliteStore::GetUserById(int64_t id) {
  auto rows = impl_->Query<User>(fmt::format("SELECT {} FROM users WHERE id = ?1", kUserColumns), {id}, ReadUser);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<User>();
  return std::optional<User>(rows->front());
}

Result<std::vector<User>> SqliteStore::ListUsers() {
  return impl_->Query<User>(fmt::format("SELECT {} FROM users ORDER BY id", kUserColumns), {}, ReadUser);
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

}  // namespace vigil::store
