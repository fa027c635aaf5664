// A VFS over SQLite's default one that writes a transaction's WAL frames in a few system
// calls (one per 124 KiB) instead of two per page.
//
// Why: SQLite writes every WAL frame as two pwrite() calls, its 24-byte header and then the
// page. A collector transaction of ~10 submissions writes ~90 frames, so ~180 calls, and
// each pays the file system's per-call work (finding and locking the page-cache folio,
// marking it dirty) whatever its size: a sixth of the writer thread's time.
//
// How: a connection's WAL file can be switched into a coalescing mode. Contiguous writes
// then collect in memory and reach the file at the commit's sync (SQLite syncs
// the WAL under synchronous=FULL after the last frame of a commit and before it publishes
// the commit in the wal-index, so no other connection can look for those frames earlier),
// or sooner: before any read, truncation, size query or close of the file, at a write that
// does not follow on, and past 4 MiB. An error of the deferred write is the sync's error,
// so the commit fails as it would have.
//
// kDeferSync also answers that sync without flushing the file to the disk: for a caller
// that flushes the WAL itself before it relies on the commit (the group commit's
// SyncCommitted), or for a store opened with Durability::kNormal. That is what
// `synchronous=NORMAL` did for those commits; a checkpoint's own sync of the WAL (before it
// overwrites the database file) must stay real, so the mode is switched off before one.
//
// Only WAL files opened through this VFS are wrapped; every other file keeps SQLite's own
// methods. A WAL file starts in kPassThrough, which behaves exactly like the default VFS.
// The connection's single user thread calls SetWalMode (SQLite serializes a connection).
#pragma once

#include <cstdint>

struct sqlite3;

namespace vigil::store::sqlite_wal_writes {

// Registers the VFS (once, over the default one) and returns its name for sqlite3_open_v2;
// nullptr if it could not be registered (then open with the default VFS).
const char* Install();

enum class Mode {
  kPassThrough,  // every call goes straight to the file
  kCoalesce,     // contiguous writes are collected; a sync writes them and syncs
  kDeferSync,    // the same, but a sync only writes them (the caller flushes the WAL later)
};

// Sets the mode of `db`'s WAL file, writing what is collected when it leaves a coalescing
// mode. Returns an SQLite result code: SQLITE_OK also when the WAL is not open yet or not
// opened through this VFS (then nothing changes).
int SetWalMode(sqlite3* db, Mode mode);

// For tests: writes SQLite asked for, the calls that reached the file for them, and syncs
// answered without flushing to the disk.
struct Counts {
  uint64_t writes = 0;
  uint64_t file_writes = 0;
  uint64_t deferred_syncs = 0;
};
Counts GetCounts();

}  // namespace vigil::store::sqlite_wal_writes
