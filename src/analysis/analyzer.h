// Analyzer: one OONI measurement (JSON text) in, one verdict record out.
//
// It parses with simdjson, builds the typed measurement (measure/) for web_connectivity
// and recomputes the verdict (web_connectivity.h), or scores the other tests
// (other_tests.h). AnalysisRecord is what `vigil analyze` prints, one JSON line each,
// with exactly the keys listed in WriteRecordJson.
//
// Thread-safety: an Analyzer holds a parser and scratch buffers: one per thread. The
// AnalysisContext it points to must outlive it and is only read.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "analysis/verdict.h"
#include "analysis/web_connectivity.h"
#include "core/result.h"
#include "measure/measurement.h"

namespace vigil::analysis {

struct AnalysisRecord {
  std::optional<std::string> measurement_uid;
  std::string report_id;
  std::optional<std::string> input;
  std::string test_name;
  std::string probe_cc;
  std::string probe_asn;
  std::string measurement_start_time;  // as the measurement writes it ("2024-01-24 14:12:13")
  Verdict verdict;
  // What the probe itself wrote in test_keys.blocking (web_connectivity only).
  std::optional<measure::ProbeBlocking> probe_blocking;
};

class Analyzer {
 public:
  explicit Analyzer(const AnalysisContext& ctx);
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // json must be followed by at least kPadding readable bytes (any content) when
  // padded is true; otherwise the text is copied first.
  Result<AnalysisRecord> Analyze(std::string_view json, bool padded = false);
  // Analyze's first step alone: the parsed document, valid until this Analyzer's next
  // Parse or Analyze (same padding rule). Errors: parse_error.
  Result<simdjson::dom::element> Parse(std::string_view json, bool padded = false);
  // The same for a measurement the caller has parsed already (e.g. the "content" of a
  // collector submission); `root` must stay valid during the call.
  Result<AnalysisRecord> AnalyzeParsed(simdjson::dom::element root);

  static constexpr size_t kPadding = 64;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends the record as one JSON object with exactly these keys, in this order:
// measurement_uid, report_id, input, test_name, probe_cc, probe_asn, blocking,
// accessible, anomaly, confirmed, failure, fingerprint, probe_blocking, why.
void WriteRecordJson(const AnalysisRecord& r, std::string& out);

// The host of the input URL, lower-cased ("" when there is none).
std::string DomainOf(const std::optional<std::string>& input);

}  // namespace vigil::analysis
