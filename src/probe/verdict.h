// Writing the verdict into a fresh measurement, as OONI Probe does: Web Connectivity gets
// test_keys.blocking / accessible (and OONI's intermediate keys dns_consistency,
// body_length_match, body_proportion, status_code_match, headers_match, title_match) from
// analysis::AnalyzeWebConnectivity; other tests are scored with OONI's pipeline rules only to
// count anomalies for the progress line (their keys already say what OONI's probes say).
//
// Thread-safety: a VerdictWriter holds scratch buffers: one per thread.
#pragma once

#include "analysis/fingerprints.h"
#include "analysis/web_connectivity.h"
#include "measure/measurement.h"

namespace vigil::probe {

class VerdictWriter {
 public:
  explicit VerdictWriter(const analysis::AnalysisContext& context) : context_(context) {}
  // Adds the verdict to a web_connectivity measurement; returns whether the measurement shows
  // blocking (an anomaly for other tests).
  bool Apply(measure::Measurement& m);

 private:
  const analysis::AnalysisContext& context_;
  analysis::FingerprintDb::Scratch scratch_;
};

}  // namespace vigil::probe
