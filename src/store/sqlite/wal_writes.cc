#include "store/sqlite/wal_writes.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <new>
#include <vector>

namespace vigil::store::sqlite_wal_writes {
namespace {

constexpr size_t kMaxCollected = size_t{4} << 20;
// The unix VFS writes at most 0x1ffff bytes per call (it masks larger counts): the collected
// bytes go out in pieces of 124 KiB.
constexpr size_t kMaxFileWrite = 0x1ffff & ~size_t{0xfff};

// What a wrapped WAL file keeps besides the default VFS's own file, which starts the
// sqlite3_file (so every other file is the default VFS's file, untouched).
struct WalState {
  const sqlite3_io_methods* file_methods = nullptr;  // the default VFS's methods for it
  Mode mode = Mode::kPassThrough;
  std::vector<char> collected;
  sqlite3_int64 collected_at = 0;  // file offset of collected[0]
};

sqlite3_vfs g_vfs;
sqlite3_vfs* g_base = nullptr;
int g_state_offset = 0;
std::atomic<uint64_t> g_writes{0};
std::atomic<uint64_t> g_file_writes{0};
std::atomic<uint64_t> g_deferred_syncs{0};

WalState* StateOf(sqlite3_file* f) {
  return std::launder(reinterpret_cast<WalState*>(reinterpret_cast<char*>(f) + g_state_offset));
}

int Flush(sqlite3_file* f, WalState* s) {
  int rc = SQLITE_OK;
  for (size_t done = 0; done < s->collected.size() && rc == SQLITE_OK;) {
    const size_t n = std::min(kMaxFileWrite, s->collected.size() - done);
    g_file_writes.fetch_add(1, std::memory_order_relaxed);
    rc = s->file_methods->xWrite(f, s->collected.data() + done, static_cast<int>(n),
                                 s->collected_at + static_cast<sqlite3_int64>(done));
    done += n;
  }
  s->collected.clear();  // on failure too: SQLite fails the transaction that wrote them
  if (s->collected.capacity() > 2 * kMaxCollected) std::vector<char>().swap(s->collected);
  return rc;
}

int Close(sqlite3_file* f) {
  WalState* s = StateOf(f);
  const int flushed = Flush(f, s);
  const int rc = s->file_methods->xClose(f);
  s->~WalState();
  return flushed != SQLITE_OK ? flushed : rc;
}

int Read(sqlite3_file* f, void* buf, int amount, sqlite3_int64 offset) {
  WalState* s = StateOf(f);
  if (int rc = Flush(f, s); rc != SQLITE_OK) return rc;
  return s->file_methods->xRead(f, buf, amount, offset);
}

int Write(sqlite3_file* f, const void* buf, int amount, sqlite3_int64 offset) {
  WalState* s = StateOf(f);
  g_writes.fetch_add(1, std::memory_order_relaxed);
  if (s->mode == Mode::kPassThrough) {
    g_file_writes.fetch_add(1, std::memory_order_relaxed);
    return s->file_methods->xWrite(f, buf, amount, offset);
  }
  if (!s->collected.empty() &&
      offset != s->collected_at + static_cast<sqlite3_int64>(s->collected.size())) {
    if (int rc = Flush(f, s); rc != SQLITE_OK) return rc;
  }
  if (s->collected.empty()) s->collected_at = offset;
  const char* bytes = static_cast<const char*>(buf);
  s->collected.insert(s->collected.end(), bytes, bytes + amount);
  return s->collected.size() >= kMaxCollected ? Flush(f, s) : SQLITE_OK;
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  WalState* s = StateOf(f);
  if (int rc = Flush(f, s); rc != SQLITE_OK) return rc;
  return s->file_methods->xTruncate(f, size);
}

int Sync(sqlite3_file* f, int flags) {
  WalState* s = StateOf(f);
  if (int rc = Flush(f, s); rc != SQLITE_OK) return rc;
  if (s->mode == Mode::kDeferSync) {
    g_deferred_syncs.fetch_add(1, std::memory_order_relaxed);
    return SQLITE_OK;
  }
  return s->file_methods->xSync(f, flags);
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  WalState* s = StateOf(f);
  if (int rc = Flush(f, s); rc != SQLITE_OK) return rc;
  return s->file_methods->xFileSize(f, size);
}

int Lock(sqlite3_file* f, int level) { return StateOf(f)->file_methods->xLock(f, level); }
int Unlock(sqlite3_file* f, int level) { return StateOf(f)->file_methods->xUnlock(f, level); }
int CheckReservedLock(sqlite3_file* f, int* out) { return StateOf(f)->file_methods->xCheckReservedLock(f, out); }

int FileControl(sqlite3_file* f, int op, void* arg) {
  WalState* s = StateOf(f);
  if (int rc = Flush(f, s); rc != SQLITE_OK) return rc;
  return s->file_methods->xFileControl(f, op, arg);
}

int SectorSize(sqlite3_file* f) { return StateOf(f)->file_methods->xSectorSize(f); }
int DeviceCharacteristics(sqlite3_file* f) { return StateOf(f)->file_methods->xDeviceCharacteristics(f); }

// A WAL file has no shared memory of its own and is never memory-mapped; these only pass
// the calls on, for completeness.
int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  const sqlite3_io_methods* m = StateOf(f)->file_methods;
  return m->iVersion >= 2 ? m->xShmMap(f, region, size, extend, out) : SQLITE_IOERR_SHMMAP;
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  const sqlite3_io_methods* m = StateOf(f)->file_methods;
  return m->iVersion >= 2 ? m->xShmLock(f, offset, n, flags) : SQLITE_IOERR_SHMLOCK;
}
void ShmBarrier(sqlite3_file* f) {
  const sqlite3_io_methods* m = StateOf(f)->file_methods;
  if (m->iVersion >= 2) m->xShmBarrier(f);
}
int ShmUnmap(sqlite3_file* f, int delete_flag) {
  const sqlite3_io_methods* m = StateOf(f)->file_methods;
  return m->iVersion >= 2 ? m->xShmUnmap(f, delete_flag) : SQLITE_OK;
}
int Fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  WalState* s = StateOf(f);
  *out = nullptr;
  if (int rc = Flush(f, s); rc != SQLITE_OK) return rc;
  return s->file_methods->iVersion >= 3 ? s->file_methods->xFetch(f, offset, amount, out) : SQLITE_OK;
}
int Unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  const sqlite3_io_methods* m = StateOf(f)->file_methods;
  return m->iVersion >= 3 ? m->xUnfetch(f, offset, p) : SQLITE_OK;
}

const sqlite3_io_methods kWalMethods = {
    3,         Close,    Read,      Write,   Truncate,   Sync,       FileSize, Lock,  Unlock,
    CheckReservedLock, FileControl, SectorSize, DeviceCharacteristics, ShmMap, ShmLock,
    ShmBarrier, ShmUnmap, Fetch,   Unfetch,
};

int Open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  const int rc = g_base->xOpen(g_base, name, f, flags, out_flags);
  if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL) != 0 && f->pMethods != nullptr) {
    WalState* s = new (reinterpret_cast<char*>(f) + g_state_offset) WalState;
    s->file_methods = f->pMethods;
    f->pMethods = &kWalMethods;
  }
  return rc;
}

// Everything else is the default VFS's.
int Delete(sqlite3_vfs*, const char* name, int sync_dir) { return g_base->xDelete(g_base, name, sync_dir); }
int Access(sqlite3_vfs*, const char* name, int flags, int* out) { return g_base->xAccess(g_base, name, flags, out); }
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_base->xFullPathname(g_base, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return g_base->xDlOpen(g_base, name); }
void DlError(sqlite3_vfs*, int n, char* out) { g_base->xDlError(g_base, n, out); }
void (*DlSym(sqlite3_vfs*, void* handle, const char* symbol))(void) { return g_base->xDlSym(g_base, handle, symbol); }
void DlClose(sqlite3_vfs*, void* handle) { g_base->xDlClose(g_base, handle); }
int Randomness(sqlite3_vfs*, int n, char* out) { return g_base->xRandomness(g_base, n, out); }
int Sleep(sqlite3_vfs*, int micros) { return g_base->xSleep(g_base, micros); }
int CurrentTime(sqlite3_vfs*, double* out) { return g_base->xCurrentTime(g_base, out); }
int GetLastError(sqlite3_vfs*, int n, char* out) {
  return g_base->xGetLastError ? g_base->xGetLastError(g_base, n, out) : 0;
}
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) { return g_base->xCurrentTimeInt64(g_base, out); }

const char* Register() {
  g_base = sqlite3_vfs_find(nullptr);
  if (g_base == nullptr) return nullptr;
  constexpr int kAlign = alignof(std::max_align_t);
  g_state_offset = (g_base->szOsFile + kAlign - 1) / kAlign * kAlign;
  g_vfs.iVersion = std::min(g_base->iVersion, 2);
  g_vfs.szOsFile = g_state_offset + static_cast<int>(sizeof(WalState));
  g_vfs.mxPathname = g_base->mxPathname;
  g_vfs.zName = "vigil-wal-writes";
  g_vfs.xOpen = Open;
  g_vfs.xDelete = Delete;
  g_vfs.xAccess = Access;
  g_vfs.xFullPathname = FullPathname;
  g_vfs.xDlOpen = DlOpen;
  g_vfs.xDlError = DlError;
  g_vfs.xDlSym = DlSym;
  g_vfs.xDlClose = DlClose;
  g_vfs.xRandomness = Randomness;
  g_vfs.xSleep = Sleep;
  g_vfs.xCurrentTime = CurrentTime;
  g_vfs.xGetLastError = GetLastError;
  if (g_vfs.iVersion >= 2) g_vfs.xCurrentTimeInt64 = CurrentTimeInt64;
  if (sqlite3_vfs_register(&g_vfs, /*makeDflt=*/0) != SQLITE_OK) return nullptr;
  return g_vfs.zName;
}

}  // namespace

const char* Install() {
  static const char* const name = Register();
  return name;
}

int SetWalMode(sqlite3* db, Mode mode) {
  sqlite3_file* f = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f) != SQLITE_OK || f == nullptr ||
      f->pMethods != &kWalMethods) {
    return SQLITE_OK;
  }
  WalState* s = StateOf(f);
  const int rc = mode == Mode::kPassThrough ? Flush(f, s) : SQLITE_OK;
  s->mode = mode;
  return rc;
}

Counts GetCounts() {
  return Counts{g_writes.load(), g_file_writes.load(), g_deferred_syncs.load()};
}

}  // namespace vigil::store::sqlite_wal_writes
