// libFuzzer target for what `vigil prober` reads from outside: ICMP echo replies off the raw
// socket (any IPv4 packet), lines of a blocks file and the JSON state file. The first byte
// picks the parser; any bytes get a value or an Error, never a crash.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "prober/block_list.h"
#include "prober/icmp_packet.h"
#include "prober/state_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::span<const uint8_t> rest(data + 1, size - 1);
  std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
  switch (data[0] % 3) {
    case 0:
      (void)vigil::prober::ParseEchoReply(rest);
      break;
    case 1:
      (void)vigil::prober::ParseBlockLine(text);
      break;
    default:
      (void)vigil::prober::ParseState(text);
      break;
  }
  return 0;
}
