// libFuzzer target for the MRT reader, the bgpdump formatter and the BGP visibility replay
// (`vigil import mrt`): any bytes must be read to an end (records, problems or an Error)
// without crashing, hanging or over-allocating, and every record replayed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "disruption/bgp_visibility.h"
#include "disruption/bgpdump_format.h"
#include "disruption/mrt_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vigil::disruption::MrtReader;
  MrtReader::Options options;
  options.max_record_bytes = size_t{1} << 20;
  auto reader =
      MrtReader::FromBytes(std::string_view(reinterpret_cast<const char*>(data), size), options);
  std::string out;
  size_t bins = 0;
  vigil::disruption::VisibilityOptions vo;
  vo.max_peers = 64;
  vigil::disruption::BgpVisibility visibility(vo, nullptr, [&](const vigil::disruption::VisibilityBin&) { ++bins; });
  visibility.StartInput();
  for (;;) {
    auto record = reader->Next();
    if (!record || *record == nullptr) break;
    vigil::disruption::AppendBgpdumpLines(**record, out);
    if (out.size() > (size_t{1} << 20)) out.clear();
    visibility.Apply(**record);
  }
  visibility.Finish();
  return 0;
}
