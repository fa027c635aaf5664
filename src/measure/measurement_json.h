// OONI JSON in and out for measure::Measurement.
//
// MeasurementParser turns one JSON document (a line of a JSONL file, or a whole file)
// into a Measurement; WriteMeasurementJson turns it back into compact JSON. Unknown
// fields are kept (ParseOptions::keep_unknown) so the round trip loses nothing.
// A field of the wrong type is an Error naming the field ("test_keys.queries[1].t:
// expected a number"); the input is never trusted.
//
// Thread-safety: a MeasurementParser holds a simdjson parser and buffers: one per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "measure/measurement.h"

namespace vigil::measure {

struct ParseOptions {
  // Keep fields the model does not name (needed for a faithful round trip; analysis
  // can skip them for speed).
  bool keep_unknown = true;
  // For tests other than web_connectivity, keep test_keys as compact JSON text.
  bool keep_other_test_keys = true;
  // Decode TLS peer certificates and read network events (verdicts need neither).
  bool keep_certificates_and_events = true;
  // Read the headers and body of the probe's HTTP requests (verdicts need only the
  // method and URL; the responses are always read).
  bool keep_request_headers_and_body = true;
  // Read a response's `headers` map even when it also has `headers_list` (verdicts read
  // HttpResponse::HeaderPairs(), the list when there is one). Off, the map is still
  // type-checked but not copied.
  bool keep_header_map_beside_list = true;
};

class MeasurementParser {
 public:
  MeasurementParser();
  ~MeasurementParser();
  MeasurementParser(const MeasurementParser&) = delete;
  MeasurementParser& operator=(const MeasurementParser&) = delete;

  // Parses one measurement. The OONI collector envelope {"format":"json","content":{...}}
  // is unwrapped.
  Result<Measurement> Parse(std::string_view json, const ParseOptions& options = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Compact JSON for a measurement, known fields in OONI's order, then preserved ones.
std::string WriteMeasurementJson(const Measurement& m);

}  // namespace vigil::measure
