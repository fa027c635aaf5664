// Building a Measurement from an already-parsed simdjson DOM, for callers (analysis)
// that also read other parts of the same document. Includes simdjson: use only in .cc
// files. Thread-safety: pure functions.
#pragma once

#include "core/json_read.h"
#include "core/result.h"
#include "measure/measurement.h"
#include "measure/measurement_json.h"

namespace vigil::measure {

// root must be the measurement object (envelope already unwrapped, see Unwrap).
Result<Measurement> MeasurementFromDom(json::Element root, const ParseOptions& options);

// Returns the measurement object inside an OONI collector envelope
// {"format":"json","content":{...}}, or root itself.
json::Element UnwrapEnvelope(json::Element root);

}  // namespace vigil::measure
