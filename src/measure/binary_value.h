// OONI's binary values, as the data format defines them (df-001-httpt, "MaybeBinaryData"
// and "BinaryData"): a value that can be represented in UTF-8 is a JSON string; one that
// cannot is {"format": "base64", "data": "<base64 of the bytes>"}, "base64" being the
// only format. OONI allows them in HTTP header values (`headers` and `headers_list`),
// HTTP request and response bodies (df-001), TLS peer certificates (df-006, always
// BinaryData) and http_invalid_request_line's `received` (ts-007). Everywhere else a
// field is a plain string, and a binary value there is refused.
//
// The measurement parser (measurement_parse.cc) and the scoring of other tests
// (analysis/other_tests.cc) both decode through this file, so every path reads the same
// bytes and refuses the same malformed values. Includes simdjson: use only in .cc files.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "core/json_read.h"
#include "core/result.h"

namespace vigil::measure {

// The bytes of a MaybeBinaryData value: a string's UTF-8 bytes, or the decoded "data" of
// a BinaryData object (other members of the object are ignored, as OONI Probe does).
// Errors (failure "parse_error") say what is wrong, e.g. `binary value: invalid base64 in
// "data"` or `binary value: unknown format "hex" (OONI's only format is "base64")`.
Result<std::string> DecodeMaybeBinary(json::Element v);

// True when v is an object with a "format" member: what a binary value looks like, to
// explain a refusal in a field where OONI allows none.
bool LooksBinary(json::Element v);

// The explanation appended to such a refusal.
inline constexpr std::string_view kNoBinaryHere =
    "binary values ({\"format\":\"base64\",...}) are allowed only in HTTP header values and bodies "
    "and TLS certificates";

}  // namespace vigil::measure
