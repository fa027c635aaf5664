// anomaly/confirmed/failure for OONI tests other than web_connectivity, following OONI's
// published scoring (ooni/backend fastpath/core.py: score_measurement_whatsapp,
// _telegram, _facebook_messenger, score_signal, score_tor, score_vanilla_tor,
// score_measurement_hhfm, score_http_invalid_request_line): a blocking score above 0.5
// is an anomaly, an accuracy below 0.5 a failure. Tests Vigil does not know get every
// field unset (null) rather than a guess. Includes simdjson: use only in .cc files.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "analysis/verdict.h"
#include "core/json_read.h"

namespace vigil::analysis {

// True when ScoreOtherTest knows the test.
bool IsScoredTest(std::string_view test_name);

// root: the whole measurement object.
Verdict ScoreOtherTest(std::string_view test_name, json::Object root);

}  // namespace vigil::analysis
