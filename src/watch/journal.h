// Journal: the watch's local record, a SQLite file (WAL, synchronous=FULL) of signed,
// hash-chained entries (format in journal_verify.h). Append writes one entry in one
// transaction; when it returns, the entry is on disk (the WAL is fsynced at commit), so an
// entry reported as committed survives SIGKILL or power loss.
//
// The journal also remembers the last seq the server acknowledged (`uploaded_seq`), which only
// ever grows; entries are never deleted or rewritten.
//
// Thread-safety: one Journal per file and per process; calls are serialized internally.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "watch/journal_verify.h"
#include "watch/probe_key.h"

namespace vigil {
class SqliteDb;
}

namespace vigil::watch {

class Journal {
 public:
  // Opens (creating when absent) the journal at `path`, signing with `key`. Fails with io_error
  // when the file cannot be opened, and with "wrong_key" when it holds entries of another key.
  static Result<std::unique_ptr<Journal>> Open(const std::string& path, ProbeKey key);
  // Opens an existing journal read-only (for verification); no key is needed.
  static Result<std::unique_ptr<Journal>> OpenReadOnly(const std::string& path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends one entry: builds the canonical text from the fields, signs it, commits it.
  // `details` is a compact JSON object text. Returns the committed record's seq.
  Result<int64_t> Append(Clock::WallTime time, std::string_view kind, std::string_view state,
                         std::string_view details);

  // Records with seq >= from_seq in seq order, at most `limit`.
  Result<std::vector<JournalRecord>> Read(int64_t from_seq, std::size_t limit) const;
  // Every record in seq order.
  Result<std::vector<JournalRecord>> ReadAll() const;
  // The last committed seq (-1 when empty) and its fields.
  int64_t last_seq() const;
  Result<std::optional<EntryFields>> LastEntry() const;

  // The highest seq the server acknowledged (-1 for none); SetUploadedSeq keeps the maximum.
  int64_t uploaded_seq() const;
  Result<void> SetUploadedSeq(int64_t seq);

  const std::string& probe_key() const { return key_ ? key_->public_hex() : empty_; }

 private:
  Journal(std::unique_ptr<SqliteDb> db, std::optional<ProbeKey> key);
  Result<void> LoadTip();

  std::unique_ptr<SqliteDb> db_;  // used under mu_ (but in Open)
  std::optional<ProbeKey> key_;
  mutable std::mutex mu_;
  ChainTip tip_;
  int64_t uploaded_seq_ = -1;
  std::string empty_;
};

// Builds the canonical text of an entry (no validation).
std::string EntryText(std::string_view probe_key, int64_t seq, std::string_view time,
                      std::string_view kind, std::string_view state, std::string_view details,
                      std::string_view prev_hash);

}  // namespace vigil::watch
