// Verdict: what Vigil concludes about one measurement.
//
// For web_connectivity, `blocking` and `accessible` follow OONI's vocabulary
// (docs/methodology.md states every rule and its source); `anomaly`, `confirmed` and
// `failure` follow OONI's pipeline scoring for every test Vigil knows; for tests it does
// not know they stay unset (null) rather than guessed. `why` is one plain sentence naming
// the rule that decided. Plain value type, safe to move between threads.
#pragma once

#include <optional>
#include <string>

namespace vigil::analysis {

// OONI's `blocking` values.
enum class Blocking { kNull, kFalse, kDns, kTcpIp, kHttpFailure, kHttpDiff };

// "dns", "tcp_ip", "http-failure", "http-diff"; "" for kNull/kFalse.
const char* BlockingName(Blocking b);

struct Verdict {
  Blocking blocking = Blocking::kNull;
  std::optional<bool> accessible;
  std::optional<bool> anomaly;
  std::optional<bool> confirmed;
  std::optional<bool> failure;
  std::optional<std::string> fingerprint;  // name of the confirming fingerprint
  std::string why;
};

}  // namespace vigil::analysis
