// libFuzzer target for the HTTP client's response parser: whatever a hostile server or a
// middlebox sends (endless headers, bad chunking, garbage) ends in a parsed response or a
// recorded failure, with the body capped and never a crash. The first byte picks the read
// size, so the same bytes are also parsed split at different places.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/http_response_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  std::string_view wire(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto r = vigil::net::internal::ParseHttpResponse(wire, 4096, 8192, chunk);
  if (r.body.size() > 4096) __builtin_trap();
  return 0;
}
