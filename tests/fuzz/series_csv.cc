// libFuzzer target for `vigil detect series` input: any CSV text is read to series plus
// per-row problems, or an Error; both detectors then run on what was read without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "disruption/detect_ioda.h"
#include "disruption/detect_vigil.h"
#include "disruption/series.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::disruption;
  // A smaller bin limit than the default keeps each input's memory and time small; the limit's
  // logic is the same.
  SeriesCsvOptions options;
  options.max_bins = size_t{1} << 20;
  auto csv = ParseSeriesCsv(std::string_view(reinterpret_cast<const char*>(data), size), options);
  if (!csv) return 0;
  for (const auto& s : csv->series) {
    if (s.size() > 20000) continue;  // bounded work per input (detection is O(bins x window))
    (void)DetectVigil(s, {});
    (void)DetectIoda(s, {});
  }
  return 0;
}
