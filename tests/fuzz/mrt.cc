// libFuzzer target for the MRT reader and the bgpdump formatter: any bytes must be read
// to an end (records, problems or an Error) without crashing, hanging or over-allocating.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "disruption/bgpdump_format.h"
#include "disruption/mrt_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vigil::disruption::MrtReader;
  MrtReader::Options options;
  options.max_record_bytes = size_t{1} << 20;
  auto reader =
      MrtReader::FromBytes(std::string_view(reinterpret_cast<const char*>(data), size), options);
  std::string out;
  for (;;) {
    auto record = reader->Next();
    if (!record || *record == nullptr) break;
    vigil::disruption::AppendBgpdumpLines(**record, out);
    if (out.size() > (size_t{1} << 20)) out.clear();
  }
  return 0;
}
