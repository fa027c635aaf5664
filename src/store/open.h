// Choosing and opening a Store from command-line flags: `--db postgresql://...` opens
// PostgreSQL, otherwise `--data DIR` (default ./vigil-data) opens DIR/vigil.sqlite,
// creating the folder when missing. Thread-safe (no shared state).
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace vigil::store {

inline constexpr const char* kDefaultDataDir = "./vigil-data";
inline constexpr const char* kSqliteFileName = "vigil.sqlite";

struct OpenOptions {
  std::string data_dir = kDefaultDataDir;
  std::string db_url;  // postgresql://... ; wins over data_dir when set
  Durability sqlite_durability = Durability::kFull;
};

Result<std::unique_ptr<Store>> OpenStore(const OpenOptions& options);

// Where OpenStore puts the SQLite file for `data_dir`.
std::string SqlitePath(const std::string& data_dir);

}  // namespace vigil::store
