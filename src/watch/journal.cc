#include "watch/journal.h"

#include <sqlite3.h>

#include <filesystem>

#include <fmt/format.h>

#include "core/json_writer.h"
#include "core/private_file.h"
#include "core/time_format.h"

namespace vigil::watch {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS entries(
  seq INTEGER PRIMARY KEY,
  entry TEXT NOT NULL,
  hash TEXT NOT NULL,
  signature TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
)sql";

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    ok_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) == SQLITE_OK;
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return ok_; }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  int Step() { return sqlite3_step(s_); }
  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  std::string Text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : "";
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  bool ok_ = false;
};

tl::unexpected<Error> DbError(sqlite3* db, std::string_view what) {
  return Fail("io_error", fmt::format("journal: {}: {}", what, sqlite3_errmsg(db)));
}

Result<sqlite3*> OpenDb(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = fmt::format("cannot open journal {}: {}", path,
                                  db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return Fail("io_error", msg);
  }
  sqlite3_busy_timeout(db, 5000);
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

Journal::Journal(sqlite3* db, std::optional<ProbeKey> key) : db_(db), key_(std::move(key)) {}

Journal::~Journal() { sqlite3_close(db_); }

Result<void> Journal::Exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Fail("io_error", "journal: " + msg);
  }
  return {};
}

Result<void> Journal::LoadTip() {
  Stmt last(db_, "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1");
  if (!last.ok()) return DbError(db_, "read the last entry");
  const int rc = last.Step();
  if (rc == SQLITE_ROW) {
    tip_.seq = last.Int(0);
    tip_.hash = last.Text(1);
  } else if (rc != SQLITE_DONE) {
    return DbError(db_, "read the last entry");
  }
  Stmt up(db_, "SELECT value FROM meta WHERE key = 'uploaded_seq'");
  if (up.ok() && up.Step() == SQLITE_ROW) uploaded_seq_ = std::stoll(up.Text(0));
  return {};
}

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& path, ProbeKey key) {
  // 0600, and so are the WAL and shared memory SQLite makes beside it.
  if (auto prepared = PrepareSqliteFile(path); !prepared) return tl::unexpected(prepared.error());
  auto db = OpenDb(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) return tl::unexpected(db.error());
  std::unique_ptr<Journal> j(new Journal(*db, std::move(key)));
  // WAL with synchronous=FULL: each commit fsyncs the WAL, so a committed entry survives.
  for (const char* sql : {"PRAGMA journal_mode=WAL;", "PRAGMA synchronous=FULL;", kSchema}) {
    if (auto r = j->Exec(sql); !r) return tl::unexpected(r.error());
  }
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
  auto db = OpenDb(path, SQLITE_OPEN_READONLY);
  if (!db) return tl::unexpected(db.error());
  std::unique_ptr<Journal> j(new Journal(*db, std::nullopt));
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
  Stmt insert(db_, "INSERT INTO entries(seq, entry, hash, signature) VALUES(?, ?, ?, ?)");
  if (!insert.ok()) return DbError(db_, "prepare insert");
  // Autocommit: the insert is its own transaction, committed (and fsynced) by Step.
  if (insert.Bind(1, seq).Bind(2, text).Bind(3, hash).Bind(4, signature).Step() != SQLITE_DONE) {
    return DbError(db_, fmt::format("append seq {}", seq));
  }
  tip_.seq = seq;
  tip_.hash = hash;
  return seq;
}

Result<std::vector<JournalRecord>> Journal::Read(int64_t from_seq, std::size_t limit) const {
  std::lock_guard lock(mu_);
  Stmt q(db_, "SELECT entry, hash, signature FROM entries WHERE seq >= ? ORDER BY seq LIMIT ?");
  if (!q.ok()) return DbError(db_, "prepare read");
  q.Bind(1, from_seq).Bind(2, static_cast<int64_t>(limit));
  std::vector<JournalRecord> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.push_back({q.Text(0), q.Text(1), q.Text(2)});
  if (rc != SQLITE_DONE) return DbError(db_, "read entries");
  return out;
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
  Stmt up(db_, "INSERT INTO meta(key, value) VALUES('uploaded_seq', ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!up.ok() || up.Bind(1, std::to_string(seq)).Step() != SQLITE_DONE) {
    return DbError(db_, "record uploaded_seq");
  }
  uploaded_seq_ = seq;
  return {};
}

}  // namespace vigil::watch
