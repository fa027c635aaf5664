// libFuzzer target for the OONI measurement parser and the verdict engine: any bytes
// must give a measurement or an Error, never a crash; a measurement that parses must
// serialise to JSON that parses again to the same serialisation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "analysis/analyzer.h"
#include "analysis/fingerprints.h"
#include "measure/measurement_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static vigil::measure::MeasurementParser parser;
  static vigil::analysis::AnalysisContext ctx = [] {
    vigil::analysis::AnalysisContext c;
    c.fingerprints = &vigil::analysis::FingerprintDb::Builtin();
    return c;
  }();
  static vigil::analysis::Analyzer analyzer(ctx);
  std::string_view text(reinterpret_cast<const char*>(data), size);

  auto m = parser.Parse(text);
  if (m) {
    std::string written = vigil::measure::WriteMeasurementJson(*m);
    auto again = parser.Parse(written);
    if (!again || vigil::measure::WriteMeasurementJson(*again) != written) std::abort();
  }
  auto verdict = analyzer.Analyze(text);
  if (verdict) {
    std::string line;
    vigil::analysis::WriteRecordJson(*verdict, line);
    if (line.empty()) std::abort();
  }
  return 0;
}
