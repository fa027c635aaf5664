#include "core/sql.h"

#include <fmt/format.h>

namespace vigil::sql {

Result<int64_t> Connection::QueryInt(std::string_view sql, const Params& params) {
  auto v = QueryOne<int64_t>(sql, params, [](const Row& r) { return r.Int(0); });
  if (!v) return tl::unexpected(v.error());
  if (!*v) return Fail("db_error", fmt::format("no row from: {}", sql.substr(0, 200)));
  return **v;
}

Result<Transaction> Transaction::Begin(Connection& c, bool immediate) {
  const bool sqlite = c.dialect() == Dialect::kSqlite;
  if (auto r = c.Exec(sqlite && immediate ? "BEGIN IMMEDIATE" : "BEGIN"); !r) return tl::unexpected(r.error());
  return Transaction(c);
}

Transaction::~Transaction() {
  if (c_ != nullptr) (void)c_->Exec("ROLLBACK");
}

Result<void> Transaction::Commit() {
  if (c_ == nullptr) return Fail("db_error", "the transaction is over");
  Connection* c = c_;
  auto r = c->Exec("COMMIT");
  if (!r) return r;  // the destructor rolls back what is left
  c_ = nullptr;
  return {};
}

Result<int> Migrate(Connection& c, std::span<const Migration> migrations, const MigrateOptions& options) {
  const bool sqlite = c.dialect() == Dialect::kSqlite;
  if (auto r = c.Exec(sqlite ? "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                               "description TEXT NOT NULL, applied_at INTEGER NOT NULL)"
                             : "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                               "description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
      !r) {
    return tl::unexpected(r.error());
  }
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  const auto one = [&](const Migration* m) {
    return InTransaction<int>(c, [&](Connection& tx) -> Result<int> {
      if (!options.lock_sql.empty()) {
        if (auto r = tx.Exec(options.lock_sql); !r) return tl::unexpected(r.error());
      }
      auto stored = tx.QueryInt("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      if (!stored) return tl::unexpected(stored.error());
      if (*stored > latest) {
        return Fail("unsupported", fmt::format("{} has schema version {}, newer than this vigil ({}); upgrade vigil",
                                               options.what, *stored, latest));
      }
      if (m == nullptr || *stored >= m->version) return static_cast<int>(*stored);
      Result<void> ran;
      if (!m->sql.empty()) ran = tx.Exec(m->sql);
      if (ran && m->code != nullptr) ran = m->code(tx);
      if (!ran) {
        return Fail("db_error", fmt::format("{}: migration {} ({}): {}", options.what, m->version, m->description,
                                            ran.error().message));
      }
      auto row = tx.Run(sqlite ? "INSERT INTO schema_migrations (version, description, applied_at) VALUES "
                                 "(?1, ?2, CAST(strftime('%s','now') AS INTEGER))"
                               : "INSERT INTO schema_migrations (version, description) VALUES (?1, ?2)",
                        Params().Int(m->version).Text(m->description));
      if (!row) return tl::unexpected(row.error());
      return m->version;
    });
  };
  auto current = one(nullptr);  // the version check alone, also when there is nothing to apply
  if (!current) return current;
  for (const Migration& m : migrations) {
    if (m.version <= *current) continue;
    current = one(&m);
    if (!current) return current;
  }
  return current;
}

std::string NumberedToDollar(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char ch = sql[i];
    if (quote != 0) {
      if (ch == quote) quote = 0;
      out += ch;
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
      out += ch;
    } else if (ch == '?' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out += '$';
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace vigil::sql
