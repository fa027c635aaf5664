// The Web Connectivity verdict, recomputed from a measurement's observations.
//
// Vigil never copies the probe's own `blocking`/`accessible`: it recomputes them from
// the DNS answers, TCP connects, TLS handshakes, HTTP transactions and the control (test
// helper) view, with OONI Probe's v0.4 rules (probe-cli
// internal/experiment/webconnectivity: dnsanalysis.go, httpanalysis.go, summary.go) and
// three refinements from OONI's v0.5 analysis (website down on both sides, NXDOMAIN on
// both sides, unclassified HTTP failures). The first rule that matches decides; each is
// stated in docs/methodology.md. Blockpage fingerprints then set `confirmed`.
//
// Thread-safety: AnalyzeWebConnectivity is re-entrant given one Scratch per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "analysis/fingerprints.h"
#include "analysis/verdict.h"
#include "measure/measurement.h"

namespace vigil::analysis {

// Maps an IP address to its AS number (0 or nullopt when unknown). Used when a
// measurement does not carry ASNs itself (v0.4 probes, controls without ip_info).
using AsnLookup = std::function<std::optional<uint32_t>(std::string_view ip)>;

struct AnalysisContext {
  const FingerprintDb* fingerprints = nullptr;  // nullptr: no fingerprint matching
  AsnLookup asn_lookup;                         // may be empty
};

// The intermediate findings, exposed for tests and the measurement page.
struct WebConnectivityFindings {
  std::optional<std::string> dns_consistency;  // "consistent", "inconsistent"
  std::optional<std::string> dns_failure;
  std::optional<std::string> http_failure;
  int tcp_attempts = 0;
  int tcp_successes = 0;
  std::optional<bool> body_length_match;
  std::optional<double> body_proportion;
  std::optional<bool> status_code_match;
  std::optional<bool> headers_match;
  std::optional<bool> title_match;
};

Verdict AnalyzeWebConnectivity(const measure::Measurement& m, const AnalysisContext& ctx,
                               FingerprintDb::Scratch& scratch,
                               WebConnectivityFindings* findings = nullptr);

// The page title as OONI extracts it: the first <title>...</title> (case-insensitive),
// 1 to 128 characters without '<'; "" when none.
std::string ExtractTitle(std::string_view body);

}  // namespace vigil::analysis
