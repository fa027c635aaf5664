// libFuzzer target for the bodies of POST /api/v1/signals, /api/v1/watch/checkin and
// /api/v1/watch/journal: any bytes get an answer (200, 400, 409), never a crash; the
// store (a temporary SQLite file, shared by all inputs) stays consistent.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "server/disruption_api.h"
#include "tests/fuzz/temp_store.h"

namespace {
struct Fixture {
  vigil::fuzz::TempStore temp{"disruption"};  // destroyed after the api
  vigil::FakeClock clock;
  std::unique_ptr<vigil::server::DisruptionApi> api =
      std::make_unique<vigil::server::DisruptionApi>(*temp.store, clock);
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
