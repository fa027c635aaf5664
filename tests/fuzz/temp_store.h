// TempStore: the SQLite store a fuzz target shares between its inputs, in a temporary folder
// named after the target and the process, removed at exit. Durability::kNormal: a fuzzer
// needs no fsync.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "store/sqlite/sqlite_store.h"

namespace vigil::fuzz {

struct TempStore {
  std::filesystem::path dir;
  std::unique_ptr<store::SqliteStore> store;

  explicit TempStore(const std::string& name) {
    dir = std::filesystem::temp_directory_path() / ("vigil-fuzz-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    store::SqliteOptions o;
    o.durability = store::Durability::kNormal;
    store = std::move(*store::SqliteStore::Open((dir / "fuzz.sqlite").string(), o));
  }
  ~TempStore() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace vigil::fuzz
