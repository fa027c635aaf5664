#include "watch/journal.h"

#include <filesystem>

#include <fmt/format.h>

#include "core/json_writer.h"
#include "core/sqlite_db.h"
#include "core/time_format.h"

namespace vigil::watch {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS entries(
  seq INTEGER PRIMARY KEY,
  entry TEXT NOT NULL,
  hash TEXT NOT NULL,
  signature TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
)sql";

// Append only: a released migration never changes. Version 1 is the schema journals had
// before they recorded versions (CREATE ... IF NOT EXISTS: such a journal takes it unchanged).
constexpr sql::Migration kMigrations[] = {{1, "entries and meta", kSchema}};

tl::unexpected<Error> DbError(std::string_view what, const Error& e) {
  return Fail("io_error", fmt::format("journal: {}: {}", what, e.message));
}

Result<std::unique_ptr<SqliteDb>> OpenDb(const std::string& path, bool read_only) {
  SqliteOpenOptions options;
  options.read_only = read_only;
  options.create = !read_only;  // created 0600 (with its WAL and shared memory) when missing
  // WAL with synchronous=FULL: each commit fsyncs the WAL, so a committed entry survives.
  if (!read_only) options.pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;";
  auto db = SqliteDb::Open(path, options);
  if (!db) return Fail("io_error", fmt::format("cannot open journal {}: {}", path, db.error().message));
  if (!read_only) {
    sql::MigrateOptions migrate;
    migrate.what = path;
    if (auto r = sql::Migrate(**db, kMigrations, migrate); !r) {
      return Fail(r.error().failure == "unsupported" ? r.error().failure : "io_error", r.error().message);
    }
  }
  return db;
}

}  // namespace

std::string EntryText(std::string_view probe_key, int64_t seq, std::string_view time,
                      std::string_view kind, std::string_view state, std::string_view details,
                      std::string_view prev_hash) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject()
      .Key("v").Int(1)
      .Key("probe_key").String(probe_key)
      .Key("seq").Int(seq)
      .Key("time").String(time)
      .Key("kind").String(kind)
      .Key("state").String(state)
      .Key("details").Raw(details)
      .Key("prev_hash").String(prev_hash)
      .EndObject();
  return out;
}

Journal::Journal(std::unique_ptr<SqliteDb> db, std::optional<ProbeKey> key)
    : db_(std::move(db)), key_(std::move(key)) {}

Journal::~Journal() = default;

Result<void> Journal::LoadTip() {
  auto last = db_->QueryOne<std::pair<int64_t, std::string>>(
      "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1", {},
      [](const sql::Row& r) { return std::make_pair(r.Int(0), r.String(1)); });
  if (!last) return DbError("read the last entry", last.error());
  if (*last) {
    tip_.seq = (*last)->first;
    tip_.hash = (*last)->second;
  }
  auto up = db_->QueryOne<std::string>("SELECT value FROM meta WHERE key = 'uploaded_seq'", {},
                                       [](const sql::Row& r) { return r.String(0); });
  if (up && *up) uploaded_seq_ = std::stoll(**up);
  return {};
}

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& path, ProbeKey key) {
  auto db = OpenDb(path, /*read_only=*/false);
  if (!db) return tl::unexpected(db.error());
  std::unique_ptr<Journal> j(new Journal(std::move(*db), std::move(key)));
  if (auto r = j->LoadTip(); !r) return tl::unexpected(r.error());
  if (j->tip_.seq >= 0) {
    auto last = j->LastEntry();
    if (!last) return tl::unexpected(last.error());
    if (*last && (*last)->probe_key != j->probe_key()) {
      return Fail("wrong_key", fmt::format("{} holds entries signed by key {}, not by {} ({})",
                                           path, (*last)->probe_key, j->probe_key(),
                                           KeyPathForJournal(path)));
    }
  }
  return j;
}

Result<std::unique_ptr<Journal>> Journal::OpenReadOnly(const std::string& path) {
  if (!std::filesystem::exists(path)) return Fail("not_found", "no journal at " + path);
  auto db = OpenDb(path, /*read_only=*/true);
  if (!db) return tl::unexpected(db.error());
  std::unique_ptr<Journal> j(new Journal(std::move(*db), std::nullopt));
  if (auto r = j->LoadTip(); !r) return tl::unexpected(r.error());
  return j;
}

Result<int64_t> Journal::Append(Clock::WallTime time, std::string_view kind,
                                std::string_view state, std::string_view details) {
  std::lock_guard lock(mu_);
  if (!key_) return Fail("invalid_argument", "journal opened read-only");
  const int64_t seq = tip_.seq + 1;
  const std::string text = EntryText(key_->public_hex(), seq, FormatIsoTime(time), kind, state,
                                     details, tip_.hash);
  const std::string hash = Sha256Hex(text);
  const std::string signature = key_->Sign(text);
  // Autocommit: the insert is its own transaction, committed (and fsynced) when it returns.
  auto inserted = db_->Run("INSERT INTO entries(seq, entry, hash, signature) VALUES(?1, ?2, ?3, ?4)",
                           sql::Params().Int(seq).Text(text).Text(hash).Text(signature));
  if (!inserted) return DbError(fmt::format("append seq {}", seq), inserted.error());
  tip_.seq = seq;
  tip_.hash = hash;
  return seq;
}

Result<std::vector<JournalRecord>> Journal::Read(int64_t from_seq, std::size_t limit) const {
  std::lock_guard lock(mu_);
  auto rows = db_->Query<JournalRecord>(
      "SELECT entry, hash, signature FROM entries WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
      sql::Params().Int(from_seq).Int(limit > static_cast<std::size_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(limit)),
      [](const sql::Row& r) { return JournalRecord{r.String(0), r.String(1), r.String(2)}; });
  if (!rows) return DbError("read entries", rows.error());
  return rows;
}

Result<std::vector<JournalRecord>> Journal::ReadAll() const {
  return Read(INT64_MIN, static_cast<std::size_t>(INT64_MAX));
}

int64_t Journal::last_seq() const {
  std::lock_guard lock(mu_);
  return tip_.seq;
}

Result<std::optional<EntryFields>> Journal::LastEntry() const {
  const int64_t seq = last_seq();
  if (seq < 0) return std::optional<EntryFields>();
  auto rows = Read(seq, 1);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<EntryFields>();
  auto fields = ParseEntry(rows->front().entry);
  if (!fields) return tl::unexpected(fields.error());
  return std::optional<EntryFields>(std::move(*fields));
}

int64_t Journal::uploaded_seq() const {
  std::lock_guard lock(mu_);
  return uploaded_seq_;
}

Result<void> Journal::SetUploadedSeq(int64_t seq) {
  std::lock_guard lock(mu_);
  if (seq <= uploaded_seq_) return {};
  auto up = db_->Run("INSERT INTO meta(key, value) VALUES('uploaded_seq', ?1) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                     sql::Params().Text(std::to_string(seq)));
  if (!up) return DbError("record uploaded_seq", up.error());
  uploaded_seq_ = seq;
  return {};
}

}  // namespace vigil::watch
