// The SQL layer every stored file of Vigil goes through: the server's store (SQLite or
// PostgreSQL), the probe's outbox and the watch's journal (SQLite). One interface for
// statements, parameters, rows, transactions and migrations, so that SQL which is the same
// on both backends is written once.
//
// SQL text uses SQLite's numbered parameters, ?1 ?2 ...; the PostgreSQL connection rewrites
// them to $1 $2 ... (outside quoted strings). Both backends accept `RETURNING`, `ON CONFLICT`
// and `||`; what differs (types, partitions, upserts with extra clauses) stays in the
// backend's own files, selected by Connection::dialect().
//
// Errors: a uniqueness or other constraint violation is "already_exists" (the message says
// which); anything else the database refuses is "db_error".
//
// Thread-safety: a Connection is used by one thread at a time (callers keep it in a pool or
// behind a mutex); Params and rows are plain values.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace vigil::sql {

enum class Dialect { kSqlite, kPostgres };

// Parameters, bound in order to ?1, ?2, ... Text and blobs are copied.
class Params {
 public:
  struct Null {};
  struct Blob {
    std::string bytes;
  };
  using Value = std::variant<Null, int64_t, double, std::string, Blob>;

  Params() = default;
  Params& Int(int64_t v) { return Add(v); }
  Params& Real(double v) { return Add(v); }
  Params& Text(std::string_view v) { return Add(std::string(v)); }
  Params& Bytes(std::string_view v) { return Add(Blob{std::string(v)}); }
  Params& Bool(bool v) { return Add(int64_t{v ? 1 : 0}); }
  Params& NullValue() { return Add(Null{}); }
  Params& OptText(const std::optional<std::string>& v) { return v ? Text(*v) : NullValue(); }
  Params& OptInt(const std::optional<int64_t>& v) { return v ? Int(*v) : NullValue(); }
  Params& OptBool(const std::optional<bool>& v) { return v ? Bool(*v) : NullValue(); }

  const std::vector<Value>& values() const { return values_; }
  size_t size() const { return values_.size(); }

 private:
  Params& Add(Value v) {
    values_.push_back(std::move(v));
    return *this;
  }
  std::vector<Value> values_;
};

// One row of a result, valid only inside the callback that receives it. Columns from 0.
class Row {
 public:
  virtual ~Row() = default;
  virtual int Columns() const = 0;
  virtual bool IsNull(int c) const = 0;
  virtual int64_t Int(int c) const = 0;
  virtual double Real(int c) const = 0;
  virtual std::string_view Text(int c) const = 0;   // "" for NULL
  virtual std::string_view Bytes(int c) const = 0;  // a blob's bytes ("" for NULL)

  bool Bool(int c) const { return Int(c) != 0; }
  std::string String(int c) const { return std::string(Text(c)); }
  std::optional<std::string> OptText(int c) const {
    return IsNull(c) ? std::nullopt : std::optional<std::string>(Text(c));
  }
  std::optional<int64_t> OptInt(int c) const { return IsNull(c) ? std::nullopt : std::optional<int64_t>(Int(c)); }
  std::optional<bool> OptBool(int c) const { return IsNull(c) ? std::nullopt : std::optional<bool>(Int(c) != 0); }
};

using RowFn = std::function<Result<void>(const Row&)>;

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // Runs SQL text of one or more statements without parameters (schema, pragmas).
  virtual Result<void> Exec(std::string_view sql) = 0;
  // Runs one statement; `on_row` (optional) sees each row and may stop the run with an error.
  // Returns the number of rows the statement changed (0 for a query).
  virtual Result<int64_t> Run(std::string_view sql, const Params& params, const RowFn& on_row) = 0;

  Result<int64_t> Run(std::string_view sql, const Params& params = {}) { return Run(sql, params, RowFn()); }

  // The rows of a query, each made by `read`.
  template <typename T, typename Read>
  Result<std::vector<T>> Query(std::string_view sql, const Params& params, Read&& read) {
    std::vector<T> out;
    auto ran = Run(sql, params, [&](const Row& r) -> Result<void> {
      out.push_back(read(r));
      return {};
    });
    if (!ran) return tl::unexpected(ran.error());
    return out;
  }
  // The first row of a query, or nullopt.
  template <typename T, typename Read>
  Result<std::optional<T>> QueryOne(std::string_view sql, const Params& params, Read&& read) {
    std::optional<T> out;
    auto ran = Run(sql, params, [&](const Row& r) -> Result<void> {
      if (!out) out = read(r);
      return {};
    });
    if (!ran) return tl::unexpected(ran.error());
    return out;
  }
  // The integer in the first column of the first row; "db_error" when there is no row.
  Result<int64_t> QueryInt(std::string_view sql, const Params& params = {});
};

// BEGIN ... COMMIT, rolled back unless committed. `immediate`: SQLite takes the write lock
// at once (BEGIN IMMEDIATE), so that a writer never fails half-way on a busy database.
class Transaction {
 public:
  static Result<Transaction> Begin(Connection& c, bool immediate = true);
  Transaction(Transaction&& other) noexcept : c_(other.c_) { other.c_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> Commit();

 private:
  explicit Transaction(Connection& c) : c_(&c) {}
  Connection* c_;
};

// Runs fn(c) in a transaction: committed when fn succeeds, rolled back when it fails.
template <typename T, typename Fn>
Result<T> InTransaction(Connection& c, Fn&& fn, bool immediate = true) {
  auto tx = Transaction::Begin(c, immediate);
  if (!tx) return tl::unexpected(tx.error());
  Result<T> r = fn(c);
  if (!r) return r;
  if (auto committed = tx->Commit(); !committed) return tl::unexpected(committed.error());
  return r;
}

// Schema versions, applied in order, each in its own transaction with its row in
// `schema_migrations` (version, description, applied_at). Append only: a released migration
// never changes. `code` (optional) runs after `sql`, in the same transaction.
struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
  Result<void> (*code)(Connection&) = nullptr;
};

struct MigrateOptions {
  std::string_view what = "the database";  // names the file or database in messages
  // Run first in each migration's transaction: PostgreSQL's advisory lock, so that nodes
  // starting together migrate one after the other.
  std::string_view lock_sql;
};

// Applies the migrations newer than the stored version; returns the version now stored.
// Errors: "unsupported" when the stored version is newer than the newest known, "db_error"
// naming the migration that failed (which then left nothing behind).
Result<int> Migrate(Connection& c, std::span<const Migration> migrations, const MigrateOptions& options = {});

// ?N -> $N outside quoted strings and identifiers (for PostgreSQL).
std::string NumberedToDollar(std::string_view sql);

}  // namespace vigil::sql
