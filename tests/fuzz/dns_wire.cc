// libFuzzer target for the DNS wire parser: any answer a hostile resolver or injector sends
// must parse to a response or an Error, never crash, loop or over-read (compression
// pointers, truncated records, absurd counts).
#include <cstddef>
#include <cstdint>
#include <span>

#include "net/dns_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = vigil::net::ParseDnsResponse(std::span<const uint8_t>(data, size));
  (void)r;
  return 0;
}
