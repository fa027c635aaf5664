#include "store/postgres/pg_store.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <tuple>
#include <unordered_map>

#include "core/log.h"
#include "store/connection_pool.h"
#include "store/prepare.h"
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
    {1, "measurement keys, measurements partitioned by month, users, api tokens",
     R"sql(
CREATE TABLE measurement_keys (
  idempotency_key text COLLATE "C" PRIMARY KEY,
  measurement_uid text COLLATE "C" NOT NULL UNIQUE,
  measurement_start_time timestamptz NOT NULL
);
CREATE TABLE measurements (
  measurement_uid text COLLATE "C" NOT NULL,
  idempotency_key text COLLATE "C" NOT NULL,
  report_id text COLLATE "C" NOT NULL,
  input text COLLATE "C",
  domain text COLLATE "C" NOT NULL,
  test_name text COLLATE "C" NOT NULL,
  probe_cc text COLLATE "C" NOT NULL CHECK (length(probe_cc) = 2),
  probe_asn bigint NOT NULL CHECK (probe_asn >= 0),
  measurement_start_time timestamptz NOT NULL,
  anomaly boolean,
  confirmed boolean,
  failure boolean,
  blocking text,
  accessible boolean,
  fingerprint text,
  why text NOT NULL,
  category_code text COLLATE "C",
  raw_size bigint NOT NULL,
  raw_zstd bytea NOT NULL,
  PRIMARY KEY (measurement_uid, measurement_start_time)
) PARTITION BY RANGE (measurement_start_time);
CREATE INDEX measurements_time ON measurements (measurement_start_time);
CREATE INDEX measurements_cc_time ON measurements (probe_cc, measurement_start_time);
CREATE INDEX measurements_asn_time ON measurements (probe_asn, measurement_start_time);
CREATE INDEX measurements_test_time ON measurements (test_name, measurement_start_time);
CREATE INDEX measurements_domain_time ON measurements (domain, measurement_start_time);
CREATE INDEX measurements_input ON measurements (input);
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  role text NOT NULL,
  disabled boolean NOT NULL DEFAULT false,
  created_at bigint NOT NULL
);
CREATE TABLE api_tokens (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  role text NOT NULL,
  label text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint,
  revoked_at bigint
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
)sql"},
    {2, "disruption signals, watch probes, check-ins and journals, events, webhook deliveries",
     R"sql(
CREATE TABLE signal_points (
  entity_type text NOT NULL,
  entity_code text NOT NULL,
  datasource text NOT NULL,
  time bigint NOT NULL,
  step integer NOT NULL CHECK (step > 0),
  value double precision NOT NULL,
  PRIMARY KEY (entity_type, entity_code, datasource, time)
);
CREATE TABLE watch_probes (
  probe_key text PRIMARY KEY,
  cc text NOT NULL,
  asn bigint NOT NULL,
  region text NOT NULL,
  first_seen bigint NOT NULL,
  last_seen bigint NOT NULL,
  last_state text NOT NULL
);
CREATE TABLE watch_checkins (
  probe_key text NOT NULL,
  time bigint NOT NULL,
  state text NOT NULL,
  cc text NOT NULL,
  asn bigint NOT NULL,
  region text NOT NULL,
  PRIMARY KEY (probe_key, time)
);
CREATE INDEX watch_checkins_time ON watch_checkins (time);
CREATE TABLE watch_entries (
  probe_key text NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 0),
  time bigint NOT NULL,
  kind text NOT NULL,
  state text NOT NULL,
  entry text NOT NULL,
  hash text NOT NULL,
  signature text NOT NULL,
  PRIMARY KEY (probe_key, seq)
);
CREATE INDEX watch_entries_time ON watch_entries (time);
CREATE TABLE events (
  id bigserial PRIMARY KEY,
  entity_type text NOT NULL,
  entity_code text NOT NULL,
  kind text NOT NULL,
  start_time bigint NOT NULL,
  end_time bigint,
  score double precision NOT NULL,
  detail text NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX events_entity ON events (entity_type, entity_code, start_time);
CREATE INDEX events_start ON events (start_time);
CREATE TABLE webhook_deliveries (
  id bigserial PRIMARY KEY,
  event_id bigint NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  transition text NOT NULL,
  url text NOT NULL,
  payload text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt bigint,
  delivered_at bigint,
  UNIQUE (event_id, transition, url)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt) WHERE delivered_at IS NULL;
)sql"},
    {3, "daily rollup of measurement counts (fast aggregation and counts)",
     R"sql(
CREATE TABLE measurement_daily (
  measurement_start_time timestamptz NOT NULL,
  probe_cc text COLLATE "C" NOT NULL,
  probe_asn bigint NOT NULL,
  test_name text COLLATE "C" NOT NULL,
  domain text COLLATE "C" NOT NULL,
  category_code text COLLATE "C" NOT NULL,
  anomaly boolean NOT NULL,
  confirmed boolean NOT NULL,
  failure boolean NOT NULL,
  n bigint NOT NULL CHECK (n > 0),
  PRIMARY KEY (measurement_start_time, probe_cc, probe_asn, test_name, domain, category_code, anomaly, confirmed,
               failure)
);
INSERT INTO measurement_daily
  SELECT date_trunc('day', measurement_start_time, 'UTC'), probe_cc, probe_asn, test_name, domain,
         COALESCE(category_code, ''), COALESCE(anomaly, false), COALESCE(confirmed, false), COALESCE(failure, false),
         COUNT(*)
  FROM measurements GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
)sql"},
    {4, "raw measurements compressed together in blocks",
     R"sql(
CREATE SEQUENCE raw_block_ids;
CREATE TABLE raw_blocks (
  id bigint PRIMARY KEY,
  uncompressed_size bigint NOT NULL CHECK (uncompressed_size > 0),
  zstd bytea NOT NULL
);
ALTER TABLE measurements ALTER COLUMN raw_zstd DROP NOT NULL;
ALTER TABLE measurements ADD COLUMN raw_block bigint, ADD COLUMN raw_offset bigint;
)sql"},
    {5, "measurements without a uid keyed by the SHA-256 of their bytes (was SHA-512)", "", RekeyContentKeys},
};

// Advisory lock ids (arbitrary constants, "vigil" + purpose).
constexpr int64_t kMigrationLock = 0x766967696c01;
constexpr int64_t kPartitionLock = 0x766967696c02;

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

// Parameters for PQexecParams: text values (nullopt = NULL) or binary ones.
class Params {
 public:
  void Text(std::string v) { Add(std::move(v), 0); }
  void Text(std::string_view v) { Add(std::string(v), 0); }
  void Text(const char* v) { Add(std::string(v), 0); }
  void Int(int64_t v) { Add(std::to_string(v), 0); }
  void Real(double v) { Add(fmt::format("{}", v), 0); }
  void Time(Seconds t) { Int(t.time_since_epoch().count()); }
  void Null() { Add(std::nullopt, 0); }
  void Binary(std::string_view v) { Add(std::string(v), 1); }
  void OptText(const std::optional<std::string>& v) { v ? Text(*v) : Null(); }
  void OptBool(const std::optional<bool>& v) { v ? Text(*v ? "t" : "f") : Null(); }
  void OptTime(const std::optional<Seconds>& v) { v ? Int(v->time_since_epoch().count()) : Null(); }
  void Add(const sql::Param& p) {
    if (const auto* n = std::get_if<int64_t>(&p)) {
      Int(*n);
    } else {
      Text(std::get<std::string>(p));
    }
  }
  int size() const { return static_cast<int>(values_.size()); }

  // Pointers stay valid while this object lives and is not changed.
  void Finish() {
    ptrs_.clear();
    lengths_.clear();
    for (const auto& v : values_) {
      ptrs_.push_back(v ? v->data() : nullptr);
      lengths_.push_back(v ? static_cast<int>(v->size()) : 0);
    }
  }
  const char* const* values() const { return ptrs_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  void Add(std::optional<std::string> v, int format) {
    values_.push_back(std::move(v));
    formats_.push_back(format);
  }
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;
  std::vector<const char*> ptrs_;
  std::vector<int> lengths_;
};

// Read access to one row of a text-format result.
class Row {
 public:
  Row(const PGresult* r, int row) : r_(r), row_(row) {}
  bool IsNull(int c) const { return PQgetisnull(r_, row_, c) != 0; }
  std::string Text(int c) const {
    return std::string(PQgetvalue(r_, row_, c), static_cast<size_t>(PQgetlength(r_, row_, c)));
  }
  int64_t Int(int c) const { return std::strtoll(PQgetvalue(r_, row_, c), nullptr, 10); }
  double Real(int c) const { return std::strtod(PQgetvalue(r_, row_, c), nullptr); }
  Seconds Time(int c) const { return Seconds(std::chrono::seconds(Int(c))); }
  std::optional<std::string> OptText(int c) const {
    if (IsNull(c)) return std::nullopt;
    return Text(c);
  }
  std::optional<bool> OptBool(int c) const {
    if (IsNull(c)) return std::nullopt;
    return PQgetvalue(r_, row_, c)[0] == 't';
  }
  std::optional<Seconds> OptTime(int c) const {
    if (IsNull(c)) return std::nullopt;
    return Seconds(std::chrono::seconds(Int(c)));
  }
  std::string Bytea(int c) const {
    size_t n = 0;
    unsigned char* p = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row_, c)), &n);
    if (!p) return {};
    std::string out(reinterpret_cast<const char*>(p), n);
    PQfreemem(p);
    return out;
  }

 private:
  const PGresult* r_;
  int row_;
};

StoredMeasurement ReadMeasurement(const Row& s) { return sql::ReadMeasurementRow(s); }

const char* kUserColumns = "id, username, password_hash, role, disabled, created_at";
// `at`: the column where the user's columns start.
User ReadUser(const Row& s, int at = 0) {
  return User{s.Int(at),         s.Text(at + 1), s.Text(at + 2), s.Text(at + 3), s.OptBool(at + 4).value_or(false),
              Seconds(std::chrono::seconds(s.Int(at + 5)))};
}
const char* kTokenColumns = "id, user_id, token_hash, role, label, created_at, expires_at, revoked_at";
constexpr int kTokenColumnCount = 8;
// A token and its account in one row (authentication).
const std::string kTokenWithUserSql =
    fmt::format("SELECT {}, {} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
                sql::Qualified(kTokenColumns, "t"), sql::Qualified(kUserColumns, "u"));
ApiToken ReadToken(const Row& s) {
  return ApiToken{s.Int(0), s.Int(1), s.Text(2), s.Text(3), s.Text(4), Seconds(std::chrono::seconds(s.Int(5))),
                  s.OptTime(6), s.OptTime(7)};
}

// A PostgreSQL array literal of text values.
std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('"');
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

// The first instant of the month holding `t`, and of the next month.
std::pair<std::chrono::sys_days, std::chrono::sys_days> MonthOf(Seconds t) {
  using namespace std::chrono;
  year_month_day ymd(floor<days>(t));
  year_month first = ymd.year() / ymd.month();
  year_month next = first + months(1);
  return {sys_days(first / 1), sys_days(next / 1)};
}

std::string DayText(std::chrono::sys_days d) {
  std::chrono::year_month_day ymd(d);
  return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

class Connection {
 public:
  explicit Connection(PGconn* c) : c_(c) {}
  ~Connection() { PQfinish(c_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool Broken() const { return PQstatus(c_) != CONNECTION_OK; }

  // Runs one statement; text results.
  Result<ResultPtr> Exec(const std::string& sql, Params* params = nullptr) {
    PGresult* r;
    if (params) {
      params->Finish();
      r = PQexecParams(c_, sql.c_str(), params->size(), nullptr, params->values(), params->lengths(),
                       params->formats(), 0);
    } else {
      r = PQexec(c_, sql.c_str());
    }
    ResultPtr res(r, &PQclear);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return res;
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string message = r ? PQresultErrorMessage(r) : PQerrorMessage(c_);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    std::string code = "db_error";
    if (state && std::string_view(state) == "23505") code = "already_exists";
    if (state && std::string_view(state) == "23503") code = "not_found";
    if (state && (std::string_view(state) == "23514" || std::string_view(state) == "22P02" ||
                  std::string_view(state) == "22008" || std::string_view(state) == "23502")) {
      code = "invalid_argument";
    }
    if (Broken()) code = "db_unavailable";
    return Fail(code, message);
  }

 private:
  PGconn* c_;
};

// Migration 5: the rows keyed by the SHA-512 of their bytes get ContentKey() (SHA-256)
// instead, computed from their stored bytes, in both measurement_keys and measurements.
// The rows are read through a cursor in their blocks' order. A row whose new key is
// already taken (only a uid spelled like one could take it) keeps its old key.
Result<void> RekeyContentKeys(Connection& c) {
  const std::string from(kLegacyContentKeyPrefix), to(kLegacyContentKeyEnd);
  Params range;
  range.Text(from);
  range.Text(to);
  auto count = c.Exec("SELECT COUNT(*) FROM measurement_keys WHERE idempotency_key >= $1 AND idempotency_key < $2",
                      &range);
  if (!count) return tl::unexpected(count.error());
  const int64_t total = Row(count->get(), 0).Int(0);
  if (total == 0) return {};
  spdlog::info("re-keying {} measurements stored without a uid from SHA-512 to SHA-256 of their bytes (once)", total);
  // The keys are constants: inlined, as DECLARE takes no parameters.
  if (auto r = c.Exec(fmt::format("DECLARE rekey NO SCROLL CURSOR FOR SELECT measurement_uid, raw_size, raw_block, "
                                  "raw_offset, raw_zstd FROM measurements WHERE idempotency_key >= '{}' AND "
                                  "idempotency_key < '{}' ORDER BY raw_block, raw_offset",
                                  from, to));
      !r) {
    return tl::unexpected(r.error());
  }
  StoredBytesReader reader([&](int64_t id) -> Result<std::string> {
    Params p;
    p.Int(id);
    auto r = c.Exec("SELECT zstd FROM raw_blocks WHERE id = $1", &p);
    if (!r) return tl::unexpected(r.error());
    if (PQntuples(r->get()) == 0) return Fail("db_error", fmt::format("raw block {} is missing", id));
    return Row(r->get(), 0).Bytea(0);
  });
  int64_t done = 0, rekeyed = 0, batches = 0;
  for (;;) {
    auto rows = c.Exec("FETCH 2000 FROM rekey");
    if (!rows) return tl::unexpected(rows.error());
    const int n = PQntuples(rows->get());
    if (n == 0) break;
    std::vector<std::string> uids, keys;
    for (int i = 0; i < n; ++i) {
      Row row(rows->get(), i);
      std::optional<int64_t> block;
      if (!row.IsNull(2)) block = row.Int(2);
      auto raw = reader.Read(block, static_cast<uint64_t>(row.IsNull(3) ? 0 : row.Int(3)),
                             static_cast<uint64_t>(row.Int(1)), block ? std::string() : row.Bytea(4));
      if (!raw) return Fail(raw.error().failure, fmt::format("measurement {}: {}", row.Text(0), raw.error().message));
      uids.push_back(row.Text(0));
      keys.push_back(ContentKey(*raw));
    }
    Params p;
    p.Text(TextArray(uids));
    p.Text(TextArray(keys));
    auto updated = c.Exec(
        "WITH v(uid, k) AS (SELECT * FROM unnest($1::text[], $2::text[])), "
        "u AS (UPDATE measurement_keys mk SET idempotency_key = v.k FROM v WHERE mk.measurement_uid = v.uid AND "
        "NOT EXISTS (SELECT 1 FROM measurement_keys x WHERE x.idempotency_key = v.k) "
        "RETURNING mk.measurement_uid, mk.measurement_start_time, mk.idempotency_key) "
        "UPDATE measurements m SET idempotency_key = u.idempotency_key FROM u WHERE m.measurement_uid = "
        "u.measurement_uid AND m.measurement_start_time = u.measurement_start_time RETURNING 1",
        &p);
    if (!updated) return tl::unexpected(updated.error());
    rekeyed += PQntuples(updated->get());
    done += n;
    if (++batches % 64 == 0) spdlog::info("re-keyed {} of {}", done, total);
  }
  if (auto r = c.Exec("CLOSE rekey"); !r) return tl::unexpected(r.error());
  if (rekeyed < done) {
    spdlog::warn("{} measurements keep their SHA-512 key: their new key was already taken", done - rekeyed);
  }
  return {};
}

}  // namespace

struct PgStore::Impl {
  std::string conninfo;
  PgOptions options;
  ConnectionPool<Connection> pool;
  std::mutex partitions_mu;
  std::set<std::chrono::sys_days> partitions;  // months known to exist

  Result<std::unique_ptr<Connection>> NewConnection() {
    PGconn* c = PQconnectdb(conninfo.c_str());
    auto conn = std::make_unique<Connection>(c);
    if (!c || PQstatus(c) != CONNECTION_OK) {
      std::string m = c ? PQerrorMessage(c) : "out of memory";
      while (!m.empty() && m.back() == '\n') m.pop_back();
      return Fail("db_unavailable", fmt::format("cannot connect to {}: {}", RedactConninfo(conninfo), m));
    }
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
    if (auto r = conn->Exec("SET TIME ZONE 'UTC'"); !r) return tl::unexpected(r.error());
    return conn;
  }

  using Lease = ConnectionPool<Connection>::Lease;
  Result<Lease> Borrow() {
    return pool.Borrow(options.max_connections, [this] { return NewConnection(); });
  }

  template <typename T, typename Fn>
  Result<T> Transaction(Fn&& fn) {
    auto lease = Borrow();
    if (!lease) return tl::unexpected(lease.error());
    Connection& c = **lease;
    if (auto r = c.Exec("BEGIN"); !r) return tl::unexpected(r.error());
    Result<T> result = fn(c);
    if (!result) {
      (void)c.Exec("ROLLBACK");
      return result;
    }
    if (auto r = c.Exec("COMMIT"); !r) return tl::unexpected(r.error());
    return result;
  }

  template <typename T, typename Fn>
  Result<std::vector<T>> Query(const std::string& text, Params& params, Fn&& fn) {
    auto lease = Borrow();
    if (!lease) return tl::unexpected(lease.error());
    auto r = (*lease)->Exec(text, &params);
    if (!r) return tl::unexpected(r.error());
    std::vector<T> out;
    int n = PQntuples(r->get());
    out.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) out.push_back(fn(Row(r->get(), i)));
    return out;
  }

  Result<int64_t> ScalarInt(const std::string& text) {
    Params none;
    auto rows = Query<int64_t>(text, none, [](const Row& r) { return r.Int(0); });
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return Fail("db_error", "no row from: " + text);
    return rows->front();
  }

  Result<void> Migrate() {
    return Transaction<void>([&](Connection& c) -> Result<void> {
      if (auto r = c.Exec(fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLock)); !r) {
        return tl::unexpected(r.error());
      }
      if (auto r = c.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                          "description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
          !r) {
        return tl::unexpected(r.error());
      }
      auto cur = c.Exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      if (!cur) return tl::unexpected(cur.error());
      int64_t current = Row(cur->get(), 0).Int(0);
      if (current > LatestSchemaVersion()) {
        return Fail("unsupported", fmt::format("the database has schema version {}, newer than this vigil ({})",
                                               current, LatestSchemaVersion()));
      }
      for (const auto& m : kMigrations) {
        if (m.version <= current) continue;
        Result<void> applied;
        if (*m.sql != '\0') {
          if (auto r = c.Exec(m.sql); !r) applied = tl::unexpected(r.error());
        }
        if (applied && m.code) applied = m.code(c);
        if (!applied) {
          return Fail("db_error",
                      fmt::format("migration {} ({}): {}", m.version, m.description, applied.error().message));
        }
        Params p;
        p.Int(m.version);
        p.Text(m.description);
        if (auto r = c.Exec("INSERT INTO schema_migrations (version, description) VALUES ($1, $2)", &p); !r) {
          return tl::unexpected(r.error());
        }
      }
      return {};
    });
  }

  // Creates the monthly partitions the rows need (each in its own short transaction,
  // serialised between nodes by an advisory lock; an empty partition left behind by a
  // failed insert is harmless).
  Result<void> EnsurePartitions(std::span<const StoredMeasurement> rows) {
    std::set<std::chrono::sys_days> needed;
    {
      std::lock_guard lock(partitions_mu);
      for (const auto& m : rows) {
        auto month = MonthOf(m.measurement_start_time).first;
        if (!partitions.count(month)) needed.insert(month);
      }
    }
    for (auto month : needed) {
      // (Plain variables: clang 14, the fuzz preset, cannot capture structured bindings.)
      const auto bounds = MonthOf(Seconds(month.time_since_epoch()));
      const auto from = bounds.first;
      const auto to = bounds.second;
      std::chrono::year_month_day ymd(from);
      std::string name = fmt::format("measurements_p{:04d}{:02d}", static_cast<int>(ymd.year()),
                                     static_cast<unsigned>(ymd.month()));
      auto r = Transaction<void>([&](Connection& c) -> Result<void> {
        if (auto l = c.Exec(fmt::format("SELECT pg_advisory_xact_lock({})", kPartitionLock)); !l) {
          return tl::unexpected(l.error());
        }
        auto created = c.Exec(fmt::format(
            "CREATE TABLE IF NOT EXISTS {} PARTITION OF measurements FOR VALUES FROM ('{} 00:00:00+00') TO "
            "('{} 00:00:00+00')",
            name, DayText(from), DayText(to)));
        if (!created) return tl::unexpected(created.error());
        return {};
      });
      if (!r) return r;
      std::lock_guard lock(partitions_mu);
      partitions.insert(month);
    }
    return {};
  }

  // Inserts `rows` (distinct keys) on `c` inside the caller's transaction; returns the
  // keys that were new.
  // `block_ids[i]`: the id of the batch's block i.
  Result<std::set<std::string>> InsertRows(Connection& c, std::span<const StoredMeasurement* const> rows,
                                           const std::vector<int64_t>& block_ids) {
    std::set<std::string> inserted;
    const size_t chunk = std::max<size_t>(1, options.rows_per_statement);
    for (size_t start = 0; start < rows.size(); start += chunk) {
      size_t end = std::min(rows.size(), start + chunk);
      Params p;
      std::string values;
      for (size_t i = start; i < end; ++i) {
        const StoredMeasurement& m = *rows[i];
        int b = p.size();
        values += fmt::format(
            "{}(${}::text, ${}::text, ${}::text, ${}::text, ${}::text, ${}::text, ${}::text, ${}::bigint, "
            "to_timestamp(${}::bigint), ${}::boolean, ${}::boolean, ${}::boolean, ${}::text, ${}::boolean, "
            "${}::text, ${}::text, ${}::text, ${}::bigint, ${}::bytea, ${}::bigint, ${}::bigint)",
            i == start ? "" : ", ", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10, b + 11,
            b + 12, b + 13, b + 14, b + 15, b + 16, b + 17, b + 18, b + 19, b + 20, b + 21);
        p.Text(m.idempotency_key);
        p.Text(m.measurement_uid);
        p.Text(m.report_id);
        p.OptText(m.input);
        p.Text(m.domain);
        p.Text(m.test_name);
        p.Text(m.probe_cc);
        p.Int(m.probe_asn);
        p.Int(m.measurement_start_time.time_since_epoch().count());
        p.OptBool(m.verdict.anomaly);
        p.OptBool(m.verdict.confirmed);
        p.OptBool(m.verdict.failure);
        p.OptText(BlockingToText(m.verdict.blocking));
        p.OptBool(m.verdict.accessible);
        p.OptText(m.verdict.fingerprint);
        p.Text(m.verdict.why);
        p.OptText(m.category_code);
        p.Int(static_cast<int64_t>(m.raw_size));
        if (m.raw_block) {
          p.Null();
          p.Int(block_ids[*m.raw_block]);
          p.Int(static_cast<int64_t>(m.raw_offset));
        } else {
          p.Binary(m.raw_zstd);
          p.Null();
          p.Null();
        }
      }
      std::string text =
          "WITH v (k, uid, rid, input, domain, test_name, cc, asn, t, anomaly, confirmed, failure, blocking, "
          "accessible, fingerprint, why, category, raw_size, raw, raw_block, raw_offset) AS (VALUES " +
          values +
          "), k AS (INSERT INTO measurement_keys (idempotency_key, measurement_uid, measurement_start_time) "
          "SELECT k, uid, t FROM v ON CONFLICT DO NOTHING RETURNING idempotency_key) "
          "INSERT INTO measurements (idempotency_key, measurement_uid, report_id, input, domain, test_name, "
          "probe_cc, probe_asn, measurement_start_time, anomaly, confirmed, failure, blocking, accessible, "
          "fingerprint, why, category_code, raw_size, raw_zstd, raw_block, raw_offset) "
          "SELECT v.k, uid, rid, input, domain, test_name, cc, asn, t, anomaly, confirmed, failure, blocking, "
          "accessible, fingerprint, why, category, raw_size, raw, raw_block, raw_offset FROM v JOIN k ON "
          "k.idempotency_key = v.k "
          "RETURNING idempotency_key";
      auto r = c.Exec(text, &p);
      if (!r) return tl::unexpected(r.error());
      for (int i = 0; i < PQntuples(r->get()); ++i) inserted.insert(Row(r->get(), i).Text(0));
    }
    return inserted;
  }

  // Adds the rows that were new to the daily rollup, in the caller's transaction (so it
  // always agrees with the measurements). One statement, its keys in a fixed order, so
  // that two nodes adding to the same groups wait for each other rather than deadlock.
  Result<void> ApplyRollup(Connection& c, std::span<const StoredMeasurement* const> rows,
                           const std::set<std::string>& inserted) {
    sql::RollupDelta delta;
    for (const StoredMeasurement* m : rows) {
      if (inserted.count(m->idempotency_key)) sql::AddToRollup(*m, delta);
    }
    constexpr size_t kKeysPerStatement = 1000;  // 10 parameters each, far below libpq's 65,535
    auto it = delta.begin();
    while (it != delta.end()) {
      Params p;
      std::string values;
      for (size_t i = 0; i < kKeysPerStatement && it != delta.end(); ++i, ++it) {
        const auto& [k, n] = *it;
        int b = p.size();
        values += fmt::format("{}(to_timestamp(${}::bigint), ${}::text, ${}::bigint, ${}::text, ${}::text, ${}::text, "
                              "${}::boolean, ${}::boolean, ${}::boolean, ${}::bigint)",
                              values.empty() ? "" : ", ", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8,
                              b + 9, b + 10);
        p.Int(std::get<0>(k));
        p.Text(std::get<1>(k));
        p.Int(std::get<2>(k));
        p.Text(std::get<3>(k));
        p.Text(std::get<4>(k));
        p.Text(std::get<5>(k));
        p.OptBool(std::get<6>(k));
        p.OptBool(std::get<7>(k));
        p.OptBool(std::get<8>(k));
        p.Int(n);
      }
      auto r = c.Exec("INSERT INTO measurement_daily (measurement_start_time, probe_cc, probe_asn, test_name, "
                      "domain, category_code, anomaly, confirmed, failure, n) VALUES " +
                          values +
                          " ON CONFLICT (measurement_start_time, probe_cc, probe_asn, test_name, domain, "
                          "category_code, anomaly, confirmed, failure) DO UPDATE SET n = measurement_daily.n + "
                          "excluded.n",
                      &p);
      if (!r) return tl::unexpected(r.error());
    }
    return {};
  }

  Result<std::vector<InsertOutcome>> InsertAll(std::span<const StoredMeasurement> batch,
                                               std::span<const RawBlock> blocks) {
    if (auto r = EnsurePartitions(batch); !r) return tl::unexpected(r.error());
    // The first row of each key is the one inserted; later ones are duplicates.
    std::unordered_map<std::string_view, size_t> first;
    std::vector<const StoredMeasurement*> distinct;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (first.emplace(batch[i].idempotency_key, i).second) distinct.push_back(&batch[i]);
    }
    return Transaction<std::vector<InsertOutcome>>([&](Connection& c) -> Result<std::vector<InsertOutcome>> {
      // The batch's blocks take ids from a sequence (unique across nodes); a block is
      // stored after its rows, and only when one of them was new.
      std::vector<int64_t> block_ids;
      if (!blocks.empty()) {
        Params n;
        n.Int(static_cast<int64_t>(blocks.size()));
        auto ids = c.Exec("SELECT nextval('raw_block_ids') FROM generate_series(1, $1::bigint)", &n);
        if (!ids) return tl::unexpected(ids.error());
        for (int i = 0; i < PQntuples(ids->get()); ++i) block_ids.push_back(Row(ids->get(), i).Int(0));
        if (block_ids.size() != blocks.size()) return Fail("db_error", "the block id sequence gave too few ids");
      }
      auto inserted = InsertRows(c, distinct, block_ids);
      if (!inserted) return tl::unexpected(inserted.error());
      std::vector<bool> used(blocks.size(), false);
      for (const auto* m : distinct) {
        if (m->raw_block && inserted->count(m->idempotency_key)) used[*m->raw_block] = true;
      }
      for (size_t i = 0; i < blocks.size(); ++i) {
        if (!used[i]) continue;
        Params b;
        b.Int(block_ids[i]);
        b.Int(static_cast<int64_t>(blocks[i].raw_size));
        b.Binary(blocks[i].zstd);
        if (auto r = c.Exec("INSERT INTO raw_blocks (id, uncompressed_size, zstd) VALUES ($1::bigint, $2::bigint, $3::bytea)",
                            &b);
            !r) {
          return tl::unexpected(r.error());
        }
      }
      if (auto r = ApplyRollup(c, distinct, *inserted); !r) return tl::unexpected(r.error());
      std::vector<std::string> missing;
      for (const auto* m : distinct) {
        if (!inserted->count(m->idempotency_key)) missing.push_back(m->idempotency_key);
      }
      std::unordered_map<std::string, std::string> existing;
      if (!missing.empty()) {
        Params p;
        p.Text(TextArray(missing));
        auto r = c.Exec("SELECT idempotency_key, measurement_uid FROM measurement_keys WHERE idempotency_key = "
                        "ANY($1::text[])",
                        &p);
        if (!r) return tl::unexpected(r.error());
        for (int i = 0; i < PQntuples(r->get()); ++i) {
          Row row(r->get(), i);
          existing.emplace(row.Text(0), row.Text(1));
        }
      }
      std::vector<InsertOutcome> out;
      out.reserve(batch.size());
      for (size_t i = 0; i < batch.size(); ++i) {
        const auto& m = batch[i];
        bool is_first = first[m.idempotency_key] == i;
        if (is_first && inserted->count(m.idempotency_key)) {
          out.push_back({m.measurement_uid, true});
          continue;
        }
        if (!is_first && inserted->count(m.idempotency_key)) {
          out.push_back({batch[first[m.idempotency_key]].measurement_uid, false});
          continue;
        }
        auto it = existing.find(m.idempotency_key);
        if (it == existing.end()) {
          return Fail("already_exists",
                      fmt::format("measurement_uid {} is taken by another measurement", m.measurement_uid));
        }
        out.push_back({it->second, false});
      }
      return out;
    });
  }
};

std::string RedactConninfo(std::string_view conninfo) {
  static const std::regex kUrlPassword(R"(^(postgres(?:ql)?://[^:/@]*):[^@]*@)");
  static const std::regex kKeyPassword(R"(password\s*=\s*('[^']*'|\S+))");
  std::string s(conninfo);
  s = std::regex_replace(s, kUrlPassword, "$1:***@");
  return std::regex_replace(s, kKeyPassword, "password=***");
}

int PgStore::LatestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

PgStore::PgStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PgStore::~PgStore() = default;

Result<std::unique_ptr<PgStore>> PgStore::Open(const std::string& conninfo, PgOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->conninfo = conninfo;
  impl->options = options;
  if (impl->options.max_connections < 1) impl->options.max_connections = 1;
  if (auto r = impl->Migrate(); !r) return tl::unexpected(r.error());
  return std::unique_ptr<PgStore>(new PgStore(std::move(impl)));
}

Result<InsertOutcome> PgStore::Insert(const StoredMeasurement& m) {
  auto r = InsertBatch(std::span<const StoredMeasurement>(&m, 1));
  if (!r) return tl::unexpected(r.error());
  return r->front();
}

Result<std::vector<InsertOutcome>> PgStore::InsertBatch(std::span<const StoredMeasurement> batch,
                                                        std::span<const RawBlock> blocks) {
  if (auto v = ValidateBatch(batch, blocks); !v) return tl::unexpected(v.error());
  if (batch.empty()) return std::vector<InsertOutcome>{};
  return impl_->InsertAll(batch, blocks);
}

Result<std::optional<std::string>> PgStore::FindKey(std::string_view idempotency_key) {
  Params p;
  p.Text(idempotency_key);
  auto rows = impl_->Query<std::string>("SELECT measurement_uid FROM measurement_keys WHERE idempotency_key = $1", p,
                                        [](const Row& r) { return r.Text(0); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(rows->front()));
}

Result<std::optional<StoredMeasurement>> PgStore::GetMeasurement(std::string_view uid) {
  Params p;
  p.Text(uid);
  std::string text = "SELECT " + sql::MeasurementColumns(sql::Dialect::kPostgres) +
                     ", m.raw_zstd, m.raw_block, m.raw_offset, b.zstd FROM measurements m LEFT JOIN raw_blocks b ON "
                     "b.id = m.raw_block WHERE m.measurement_uid = $1 AND m.measurement_start_time = (SELECT "
                     "measurement_start_time FROM measurement_keys WHERE measurement_uid = $1)";
  struct Found {
    StoredMeasurement m;
    bool in_block = false;
    bool block_missing = false;
    std::string block;
    int64_t offset = 0;
  };
  auto rows = impl_->Query<Found>(text, p, [](const Row& r) {
    Found f;
    f.m = ReadMeasurement(r);
    constexpr int n = sql::kMeasurementColumnCount;
    if (!r.IsNull(n)) f.m.raw_zstd = r.Bytea(n);
    f.in_block = !r.IsNull(n + 1);
    if (f.in_block) {
      f.offset = r.Int(n + 2);
      f.block_missing = r.IsNull(n + 3);
      if (!f.block_missing) f.block = r.Bytea(n + 3);
    }
    return f;
  });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<StoredMeasurement>();
  Found& f = rows->front();
  if (f.in_block) {
    if (f.block_missing) return Fail("db_error", fmt::format("measurement {}: its block is missing", uid));
    auto raw = RawFromBlock(f.block, static_cast<uint64_t>(f.offset), f.m.raw_size);
    if (!raw) return tl::unexpected(raw.error());
    f.m.raw_json = std::move(*raw);
  }
  return std::optional<StoredMeasurement>(std::move(f.m));
}

Result<std::vector<StoredMeasurement>> PgStore::ListMeasurements(const MeasurementFilter& f) {
  sql::Query q;
  q.text = "SELECT " + sql::MeasurementColumns(sql::Dialect::kPostgres) + " FROM measurements";
  sql::AppendWhere(f, sql::Dialect::kPostgres, q);
  sql::AppendOrderAndPage(f, q);
  Params p;
  for (const auto& v : q.params) p.Add(v);
  return impl_->Query<StoredMeasurement>(q.text, p, ReadMeasurement);
}

Result<int64_t> PgStore::CountMeasurements(const MeasurementFilter& f) {
  sql::Query q;
  // Day-aligned counts come from the daily rollup (see sql::RollupAnswers).
  q.text = sql::RollupAnswers(f) ? "SELECT COALESCE(SUM(n), 0)::bigint FROM measurement_daily"
                                 : "SELECT COUNT(*) FROM measurements";
  sql::AppendWhere(f, sql::Dialect::kPostgres, q);
  Params p;
  for (const auto& v : q.params) p.Add(v);
  auto rows = impl_->Query<int64_t>(q.text, p, [](const Row& r) { return r.Int(0); });
  if (!rows) return tl::unexpected(rows.error());
  return rows->empty() ? 0 : rows->front();
}

Result<std::vector<AggregationRow>> PgStore::Aggregate(const AggregationRequest& r) {
  const bool rollup = sql::RollupAnswers(r.filter);
  sql::Query q =
      sql::AggregationQuery(r, sql::Dialect::kPostgres, rollup ? "measurement_daily" : "measurements", rollup);
  Params p;
  for (const auto& v : q.params) p.Add(v);
  return impl_->Query<AggregationRow>(q.text, p, [](const Row& s) {
    return AggregationRow{s.Text(0), s.Text(1), {s.Int(2), s.Int(3), s.Int(4), s.Int(5), s.Int(6)}};
  });
}

Result<HealthInfo> PgStore::Health() {
  auto v = SchemaVersion();
  if (!v) return tl::unexpected(v.error());
  return HealthInfo{"postgresql", *v, RedactConninfo(impl_->conninfo)};
}

Result<StoreCounts> PgStore::Counts() {
  StoreCounts c;
  for (auto [table, field] : {std::pair{"measurement_keys", &c.measurements}, std::pair{"users", &c.users},
                              std::pair{"api_tokens", &c.tokens}}) {
    auto n = impl_->ScalarInt(fmt::format("SELECT COUNT(*) FROM {}", table));
    if (!n) return tl::unexpected(n.error());
    *field = *n;
  }
  return c;
}

Result<int> PgStore::SchemaVersion() {
  auto v = impl_->ScalarInt("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!v) return tl::unexpected(v.error());
  return static_cast<int>(*v);
}

Result<std::string> PgStore::CheckConsistency() {
  std::string problems;
  struct Check {
    const char* what;
    const char* sql;
  };
  const Check checks[] = {
      {"key(s) without a measurement",
       "SELECT COUNT(*) FROM measurement_keys k WHERE NOT EXISTS (SELECT 1 FROM measurements m WHERE "
       "m.measurement_uid = k.measurement_uid AND m.measurement_start_time = k.measurement_start_time)"},
      {"measurement(s) without a key",
       "SELECT COUNT(*) FROM measurements m WHERE NOT EXISTS (SELECT 1 FROM measurement_keys k WHERE "
       "k.idempotency_key = m.idempotency_key AND k.measurement_uid = m.measurement_uid)"},
      {"duplicate measurement_uid(s)", "SELECT COUNT(*) - COUNT(DISTINCT measurement_uid) FROM measurements"},
      {"measurement(s) without their raw bytes (neither their own nor inside a stored block)",
       "SELECT COUNT(*) FROM measurements m LEFT JOIN raw_blocks b ON b.id = m.raw_block WHERE (m.raw_block IS NULL) "
       "= (m.raw_zstd IS NULL) OR (m.raw_block IS NOT NULL AND (b.id IS NULL OR m.raw_offset IS NULL OR "
       "m.raw_offset < 0 OR m.raw_offset + m.raw_size > b.uncompressed_size))"},
      {"group(s) of the daily rollup that disagree with the measurements",
       "SELECT COUNT(*) FROM (SELECT date_trunc('day', measurement_start_time, 'UTC') AS d, probe_cc, probe_asn, "
       "test_name, domain, COALESCE(category_code, '') AS c, COALESCE(anomaly, false) AS a, COALESCE(confirmed, "
       "false) AS k, COALESCE(failure, false) AS f, COUNT(*) AS n FROM measurements GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, "
       "9) m FULL OUTER JOIN measurement_daily r ON r.measurement_start_time = m.d AND r.probe_cc = m.probe_cc AND "
       "r.probe_asn = m.probe_asn AND r.test_name = m.test_name AND r.domain = m.domain AND r.category_code = m.c "
       "AND r.anomaly = m.a AND r.confirmed = m.k AND r.failure = m.f WHERE m.n IS DISTINCT FROM r.n"},
  };
  for (const auto& c : checks) {
    auto n = impl_->ScalarInt(c.sql);
    if (!n) return tl::unexpected(n.error());
    if (*n != 0) problems += fmt::format("{} {}\n", *n, c.what);
  }
  return problems;
}

Result<User> PgStore::CreateUser(std::string_view username, std::string_view password_hash, std::string_view role,
                                 Seconds now) {
  Params p;
  p.Text(username);
  p.Text(password_hash);
  p.Text(role);
  p.Int(now.time_since_epoch().count());
  auto rows = impl_->Query<int64_t>(
      "INSERT INTO users (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id", p,
      [](const Row& r) { return r.Int(0); });
  if (!rows) {
    if (rows.error().failure == "already_exists") return Fail("already_exists", fmt::format("user {} exists", username));
    return tl::unexpected(rows.error());
  }
  return User{rows->front(), std::string(username), std::string(password_hash), std::string(role), false, now};
}

Result<std::optional<User>> PgStore::GetUser(std::string_view username) {
  Params p;
  p.Text(username);
  auto rows = impl_->Query<User>(fmt::format("SELECT {} FROM users WHERE username = $1", kUserColumns), p,
                                 [](const Row& r) { return ReadUser(r); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<User>();
  return std::optional<User>(rows->front());
}

Result<std::optional<User>> PgStore::GetUserById(int64_t id) {
  Params p;
  p.Int(id);
  auto rows = impl_->Query<User>(fmt::format("SELECT {} FROM users WHERE id = $1", kUserColumns), p,
                                 [](const Row& r) { return ReadUser(r); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<User>();
  return std::optional<User>(rows->front());
}

Result<std::vector<User>> PgStore::ListUsers() {
  Params p;
  return impl_->Query<User>(fmt::format("SELECT {} FROM users ORDER BY id", kUserColumns), p,
                                 [](const Row& r) { return ReadUser(r); });
}

Result<void> PgStore::UpdateUser(const User& user) {
  Params p;
  p.Text(user.password_hash);
  p.Text(user.role);
  p.Text(user.disabled ? "t" : "f");
  p.Int(user.id);
  auto rows = impl_->Query<int64_t>(
      "UPDATE users SET password_hash = $1, role = $2, disabled = $3 WHERE id = $4 RETURNING id", p,
      [](const Row& r) { return r.Int(0); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return Fail("not_found", fmt::format("no user with id {}", user.id));
  return {};
}

Result<void> PgStore::DeleteUser(int64_t id) {
  Params p;
  p.Int(id);
  auto rows = impl_->Query<int64_t>("DELETE FROM users WHERE id = $1 RETURNING id", p,
                                    [](const Row& r) { return r.Int(0); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return Fail("not_found", fmt::format("no user with id {}", id));
  return {};
}

Result<ApiToken> PgStore::CreateToken(int64_t user_id, std::string_view token_hash, std::string_view role,
                                      std::string_view label, Seconds now, std::optional<Seconds> expires_at) {
  Params p;
  p.Int(user_id);
  p.Text(token_hash);
  p.Text(role);
  p.Text(label);
  p.Int(now.time_since_epoch().count());
  p.OptTime(expires_at);
  auto rows = impl_->Query<int64_t>(
      "INSERT INTO api_tokens (user_id, token_hash, role, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, "
      "$6) RETURNING id",
      p, [](const Row& r) { return r.Int(0); });
  if (!rows) return tl::unexpected(rows.error());
  return ApiToken{rows->front(), user_id, std::string(token_hash), std::string(role), std::string(label), now,
                  expires_at, std::nullopt};
}

Result<std::optional<ApiToken>> PgStore::GetTokenByHash(std::string_view token_hash) {
  Params p;
  p.Text(token_hash);
  auto rows =
      impl_->Query<ApiToken>(fmt::format("SELECT {} FROM api_tokens WHERE token_hash = $1", kTokenColumns), p, ReadToken);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<ApiToken>();
  return std::optional<ApiToken>(rows->front());
}

Result<std::optional<std::pair<ApiToken, User>>> PgStore::GetTokenWithUser(std::string_view token_hash) {
  Params p;
  p.Text(token_hash);
  auto rows = impl_->Query<std::pair<ApiToken, User>>(
      kTokenWithUserSql, p,
      [](const Row& r) { return std::pair<ApiToken, User>(ReadToken(r), ReadUser(r, kTokenColumnCount)); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<std::pair<ApiToken, User>>();
  return std::optional<std::pair<ApiToken, User>>(std::move(rows->front()));
}

Result<std::vector<ApiToken>> PgStore::ListTokens(int64_t user_id) {
  Params p;
  p.Int(user_id);
  return impl_->Query<ApiToken>(fmt::format("SELECT {} FROM api_tokens WHERE user_id = $1 ORDER BY id", kTokenColumns),
                                p, ReadToken);
}

Result<void> PgStore::RevokeToken(int64_t id, Seconds now) {
  Params p;
  p.Int(now.time_since_epoch().count());
  p.Int(id);
  auto rows = impl_->Query<int64_t>(
      "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING id", p,
      [](const Row& r) { return r.Int(0); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return Fail("not_found", fmt::format("no token with id {}", id));
  return {};
}

// --- Signals, the watch, events, webhooks.

namespace {
const char* kWatchEntryColumns = "probe_key, seq, time, kind, state, entry, hash, signature";
WatchEntry ReadWatchEntry(const Row& s) {
  return WatchEntry{s.Text(0), s.Int(1), s.Time(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6), s.Text(7)};
}
const char* kEventColumns = "id, entity_type, entity_code, kind, start_time, end_time, score, detail, updated_at";
DisruptionEvent ReadEvent(const Row& s) {
  return DisruptionEvent{s.Int(0),    s.Text(1), s.Text(2), s.Text(3), s.Time(4),
                         s.OptTime(5), s.Real(6), s.Text(7), s.Time(8)};
}
const char* kDeliveryColumns = "id, event_id, transition, url, payload, attempts, next_attempt, delivered_at";
WebhookDelivery ReadDelivery(const Row& s) {
  return WebhookDelivery{s.Int(0),         s.Int(1), s.Text(2), s.Text(3), s.Text(4), static_cast<int>(s.Int(5)),
                         s.OptTime(6), s.OptTime(7)};
}
}  // namespace

Result<void> PgStore::PutSignals(std::span<const SignalPoint> points) {
  for (size_t i = 0; i < points.size(); ++i) {
    if (auto v = ValidateSignalPoint(points[i]); !v) {
      return Fail("invalid_argument", fmt::format("point {}: {}", i, v.error().message));
    }
  }
  if (points.empty()) return {};
  return impl_->Transaction<void>([&](Connection& c) -> Result<void> {
    for (const auto& pt : points) {
      Params p;
      p.Text(pt.entity_type);
      p.Text(pt.entity_code);
      p.Text(pt.datasource);
      p.Time(pt.time);
      p.Int(pt.step);
      p.Real(pt.value);
      auto r = c.Exec(
          "INSERT INTO signal_points (entity_type, entity_code, datasource, time, step, value) VALUES ($1, $2, $3, "
          "$4, $5, $6) ON CONFLICT (entity_type, entity_code, datasource, time) DO UPDATE SET step = EXCLUDED.step, "
          "value = EXCLUDED.value",
          &p);
      if (!r) return tl::unexpected(r.error());
    }
    return {};
  });
}

Result<std::vector<SignalPoint>> PgStore::GetSignals(const SignalQuery& q) {
  Params p;
  p.Text(q.entity_type);
  p.Text(q.entity_code);
  p.Time(q.from);
  p.Time(q.until);
  std::string text =
      "SELECT entity_type, entity_code, datasource, time, step, value FROM signal_points WHERE entity_type = $1 AND "
      "entity_code = $2 AND time >= $3 AND time < $4";
  if (q.datasource) {
    text += " AND datasource = $5";
    p.Text(*q.datasource);
  }
  text += " ORDER BY datasource, time";
  return impl_->Query<SignalPoint>(text, p, [](const Row& s) {
    return SignalPoint{s.Text(0), s.Text(1), s.Text(2), s.Time(3), static_cast<int32_t>(s.Int(4)), s.Real(5)};
  });
}

Result<int64_t> PgStore::RecordCheckin(const WatchCheckin& ci) {
  if (auto v = ValidateCheckin(ci); !v) return tl::unexpected(v.error());
  return impl_->Transaction<int64_t>([&](Connection& c) -> Result<int64_t> {
    Params p;
    p.Text(ci.probe_key);
    p.Text(ci.cc);
    p.Int(ci.asn);
    p.Text(ci.region);
    p.Time(ci.time);
    p.Text(ci.state);
    auto r = c.Exec(
        "INSERT INTO watch_probes AS w (probe_key, cc, asn, region, first_seen, last_seen, last_state) VALUES ($1, "
        "$2, $3, $4, $5, $5, $6) ON CONFLICT (probe_key) DO UPDATE SET cc = EXCLUDED.cc, asn = EXCLUDED.asn, region "
        "= EXCLUDED.region, last_seen = GREATEST(w.last_seen, EXCLUDED.last_seen), last_state = CASE WHEN "
        "EXCLUDED.last_seen >= w.last_seen THEN EXCLUDED.last_state ELSE w.last_state END",
        &p);
    if (!r) return tl::unexpected(r.error());
    Params q;
    q.Text(ci.probe_key);
    q.Time(ci.time);
    q.Text(ci.state);
    q.Text(ci.cc);
    q.Int(ci.asn);
    q.Text(ci.region);
    auto r2 = c.Exec(
        "INSERT INTO watch_checkins (probe_key, time, state, cc, asn, region) VALUES ($1, $2, $3, $4, $5, $6) ON "
        "CONFLICT (probe_key, time) DO UPDATE SET state = EXCLUDED.state",
        &q);
    if (!r2) return tl::unexpected(r2.error());
    Params k;
    k.Text(ci.probe_key);
    auto last = c.Exec("SELECT COALESCE(MAX(seq), -1) FROM watch_entries WHERE probe_key = $1", &k);
    if (!last) return tl::unexpected(last.error());
    return Row(last->get(), 0).Int(0);
  });
}

Result<std::vector<WatchCheckin>> PgStore::ListCheckins(Seconds from, Seconds until) {
  Params p;
  p.Time(from);
  p.Time(until);
  return impl_->Query<WatchCheckin>(
      "SELECT probe_key, cc, asn, region, time, state FROM watch_checkins WHERE time >= $1 AND time < $2 ORDER BY "
      "probe_key, time",
      p, [](const Row& s) {
        return WatchCheckin{s.Text(0), s.Text(1), static_cast<uint32_t>(s.Int(2)), s.Text(3), s.Time(4), s.Text(5)};
      });
}

Result<std::vector<WatchProbe>> PgStore::ListWatchProbes() {
  Params p;
  return impl_->Query<WatchProbe>(
      "SELECT probe_key, cc, asn, region, first_seen, last_seen, last_state FROM watch_probes ORDER BY probe_key", p,
      [](const Row& s) {
        return WatchProbe{s.Text(0), s.Text(1), static_cast<uint32_t>(s.Int(2)), s.Text(3),
                          s.Time(4), s.Time(5), s.Text(6)};
      });
}

Result<WatchPutResult> PgStore::PutWatchEntries(std::span<const WatchEntry> entries) {
  for (size_t i = 0; i < entries.size(); ++i) {
    if (auto v = ValidateWatchEntry(entries[i]); !v) {
      return Fail("invalid_argument", fmt::format("entry {}: {}", i, v.error().message));
    }
  }
  return impl_->Transaction<WatchPutResult>([&](Connection& c) -> Result<WatchPutResult> {
    WatchPutResult out;
    for (const auto& e : entries) {
      Params p;
      p.Text(e.probe_key);
      p.Int(e.seq);
      p.Time(e.time);
      p.Text(e.kind);
      p.Text(e.state);
      p.Text(e.entry);
      p.Text(e.hash);
      p.Text(e.signature);
      // Inserted, or the stored hash: one round trip, race-free across nodes.
      auto r = c.Exec(fmt::format("WITH ins AS (INSERT INTO watch_entries ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                                  "$8) ON CONFLICT (probe_key, seq) DO NOTHING RETURNING 1) SELECT (SELECT count(*) "
                                  "FROM ins), (SELECT hash FROM watch_entries WHERE probe_key = $1 AND seq = $2)",
                                  kWatchEntryColumns),
                      &p);
      if (!r) return tl::unexpected(r.error());
      Row row(r->get(), 0);
      if (row.Int(0) == 1) {
        ++out.accepted;
      } else if (row.Text(1) == e.hash) {
        ++out.duplicates;
      } else {
        return Fail("conflict", fmt::format("probe {} already has a different entry {}", e.probe_key, e.seq));
      }
    }
    return out;
  });
}

Result<std::optional<WatchEntry>> PgStore::LastWatchEntry(std::string_view probe_key) {
  Params p;
  p.Text(probe_key);
  auto rows = impl_->Query<WatchEntry>(
      fmt::format("SELECT {} FROM watch_entries WHERE probe_key = $1 ORDER BY seq DESC LIMIT 1", kWatchEntryColumns),
      p, ReadWatchEntry);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<WatchEntry>();
  return std::optional<WatchEntry>(rows->front());
}

Result<std::vector<WatchEntry>> PgStore::ListWatchEntries(const WatchEntryQuery& q) {
  Params p;
  p.Time(q.from);
  p.Time(q.until);
  std::string text = fmt::format("SELECT {} FROM watch_entries WHERE time >= $1 AND time < $2", kWatchEntryColumns);
  if (q.probe_key) {
    text += " AND probe_key = $3";
    p.Text(*q.probe_key);
  }
  text += fmt::format(" ORDER BY probe_key, seq LIMIT {}", q.limit);
  return impl_->Query<WatchEntry>(text, p, ReadWatchEntry);
}

Result<int64_t> PgStore::SaveEvent(const DisruptionEvent& e) {
  if (auto v = ValidateEvent(e); !v) return tl::unexpected(v.error());
  Params p;
  p.Text(e.entity_type);
  p.Text(e.entity_code);
  p.Text(e.kind);
  p.Time(e.start);
  p.OptTime(e.end);
  p.Real(e.score);
  p.Text(e.detail_json);
  p.Time(e.updated_at);
  const bool insert = e.id == 0;
  if (!insert) p.Int(e.id);
  auto rows = impl_->Query<int64_t>(
      insert ? "INSERT INTO events (entity_type, entity_code, kind, start_time, end_time, score, detail, updated_at) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
             : "UPDATE events SET entity_type = $1, entity_code = $2, kind = $3, start_time = $4, end_time = $5, "
               "score = $6, detail = $7, updated_at = $8 WHERE id = $9 RETURNING id",
      p, [](const Row& r) { return r.Int(0); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return Fail("not_found", fmt::format("no event with id {}", e.id));
  return rows->front();
}

Result<std::vector<DisruptionEvent>> PgStore::ListEvents(const EventFilter& f) {
  sql::Query q;
  q.text = fmt::format("SELECT {} FROM events", kEventColumns);
  sql::AppendEventWhere(f, sql::Dialect::kPostgres, q);
  Params p;
  for (const auto& v : q.params) p.Add(v);
  return impl_->Query<DisruptionEvent>(q.text, p, ReadEvent);
}

Result<bool> PgStore::EnqueueDelivery(const WebhookDelivery& d) {
  Params p;
  p.Int(d.event_id);
  p.Text(d.transition);
  p.Text(d.url);
  p.Text(d.payload);
  p.OptTime(d.next_attempt);
  auto rows = impl_->Query<int64_t>(
      "INSERT INTO webhook_deliveries (event_id, transition, url, payload, next_attempt) VALUES ($1, $2, $3, $4, $5) "
      "ON CONFLICT (event_id, transition, url) DO NOTHING RETURNING id",
      p, [](const Row& r) { return r.Int(0); });
  if (!rows) return tl::unexpected(rows.error());
  return !rows->empty();
}

Result<std::vector<WebhookDelivery>> PgStore::PendingDeliveries(Seconds now, uint32_t limit) {
  Params p;
  p.Time(now);
  return impl_->Query<WebhookDelivery>(
      fmt::format("SELECT {} FROM webhook_deliveries WHERE delivered_at IS NULL AND next_attempt IS NOT NULL AND "
                  "next_attempt <= $1 ORDER BY next_attempt, id LIMIT {}",
                  kDeliveryColumns, limit),
      p, ReadDelivery);
}

Result<void> PgStore::RecordDeliveryAttempt(int64_t id, bool delivered, Seconds now,
                                            std::optional<Seconds> next_attempt) {
  Params p;
  p.OptTime(delivered ? std::optional<Seconds>(now) : std::nullopt);
  p.OptTime(delivered ? std::nullopt : next_attempt);
  p.Int(id);
  auto rows = impl_->Query<int64_t>(
      "UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at = $1, next_attempt = $2 WHERE id = $3 "
      "RETURNING id",
      p, [](const Row& r) { return r.Int(0); });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return Fail("not_found", fmt::format("no delivery with id {}", id));
  return {};
}

Result<std::vector<std::pair<std::string, std::string>>> PgStore::ListSignalEntities() {
  Params p;
  return impl_->Query<std::pair<std::string, std::string>>(
      "SELECT DISTINCT entity_type, entity_code FROM signal_points ORDER BY 1, 2", p,
      [](const Row& r) { return std::pair<std::string, std::string>(r.Text(0), r.Text(1)); });
}

Result<bool> PgStore::ClaimDelivery(int64_t id, Seconds now, Seconds lease_until) {
  Params p;
  p.Time(lease_until);
  p.Int(id);
  p.Time(now);
  auto rows = impl_->Query<int64_t>(
      "UPDATE webhook_deliveries SET next_attempt = $1 WHERE id = $2 AND delivered_at IS NULL AND next_attempt IS "
      "NOT NULL AND next_attempt <= $3 RETURNING id",
      p, [](const Row& r) { return r.Int(0); });
  if (!rows) return tl::unexpected(rows.error());
  return !rows->empty();
}

}  // namespace vigil::store
