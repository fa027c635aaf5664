// libFuzzer target for the bodies of POST /api/v1/signals, /api/v1/watch/checkin and
// /api/v1/watch/journal: any bytes get an answer (200, 400, 409), never a crash; the
// store (a temporary SQLite file, shared by all inputs) stays consistent.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "server/disruption_api.h"
#include "store/sqlite/sqlite_store.h"

namespace {
struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<vigil::store::SqliteStore> store;
  vigil::FakeClock clock;
  std::unique_ptr<vigil::server::DisruptionApi> api;
  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("vigil-fuzz-disruption-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    vigil::store::SqliteOptions o;
    o.durability = vigil::store::Durability::kNormal;
    store = std::move(*vigil::store::SqliteStore::Open((dir / "fuzz.sqlite").string(), o));
    api = std::make_unique<vigil::server::DisruptionApi>(*store, clock);
  }
  ~Fixture() {
    api.reset();
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture f;
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  vigil::net::HttpServerResponse r;
  switch (data[0] % 3) {
    case 0:
      r = f.api->PostSignals(body);
      break;
    case 1:
      r = f.api->Checkin(body);
      break;
    default:
      r = f.api->Journal(body);
      break;
  }
  if (r.status != 200 && r.status != 400 && r.status != 409) __builtin_trap();
  return 0;
}
