// Files that hold what only their owner may read: stores, probe outboxes, watch journals and
// keys. Each is created with mode 0600 whatever the process's umask, and an existing one
// with looser permissions is tightened to 0600.
//
// SQLite files are handled with one rule in mind: on Linux, closing *any* descriptor of a
// file drops *every* POSIX lock the process holds on it, SQLite's own included (SQLite's
// "How To Corrupt An SQLite Database File", section 2.2). So nothing here keeps or closes a
// descriptor of an SQLite database that may already be open in this process: permissions
// are changed by path, and a new database file is created only when it does not exist yet
// (then no connection can hold a lock on it).
//
// Thread-safety: plain functions over the file system; safe to call from any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace vigil {

// Before SQLite opens `path`: creates its parent folders (0700 for those created here) and
// the empty database file with mode 0600 when it is missing, so that SQLite's WAL, shared
// memory and journal files, which take the database file's mode, are 0600 too. When the
// file exists, it and its "-wal", "-shm" and "-journal" companions lose any group and other
// permission bits. Errors: "io_error" (with the path and the reason).
Result<void> PrepareSqliteFile(const std::string& path);

// Writes `bytes` to `path` as a 0600 file that appears whole or not at all: a temporary file
// beside it, fsynced, then renamed (kReplace) or hard-linked into place (kCreateOnly: an
// existing file is kept, and the answer is false), and the folder fsynced. Parent folders
// are created (0700). Errors: "io_error".
enum class ExistingFile { kReplace, kKeep };
Result<bool> WritePrivateFile(const std::string& path, std::string_view bytes,
                              ExistingFile existing = ExistingFile::kReplace);

// Creates the folder and its missing parents; those created here get mode 0700.
Result<void> MakePrivateFolders(const std::string& folder);

}  // namespace vigil
