// FingerprintDb: OONI's blocking fingerprints (ooni/blocking-fingerprints), matched
// against DNS answers and HTTP responses.
//
// A DNS fingerprint is an IP address that a censor's resolver answers with; an HTTP
// fingerprint is a pattern in a response body or in one header (full, prefix, contains
// or regexp). Each has a scope (Citizen Lab's definitions): nat (national blockpage),
// isp, prod (a filtering product), inst (a voluntary institution's filter), vbw (a
// vague blocking word), fp (a known false positive). Whether a match *confirms*
// blocking depends on the scope and on the probe's country (docs/methodology.md,
// "Blockpage fingerprints"):
//   - nat, isp, inst: confirm when the fingerprint lists no expected country or lists
//     the probe's country (a national blockpage seen from elsewhere is not that country's
//     censorship of this probe, and some such patterns, like "<title>Access Denied</title>",
//     are generic outside the country they were seen in);
//   - prod: confirm anywhere (filtering products are deployed in many countries);
//   - vbw: confirm only in a listed expected country and with confidence_no_fp >= 3;
//   - fp: never confirm, and a false-positive match vetoes vbw confirmations.
//
// The built-in tables are compiled into the binary (data/fingerprints/).
// Thread-safety: immutable after Load; Match* are const and thread-safe (callers pass
// their own scratch space).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analysis/literal_set.h"
#include "core/result.h"
#include "measure/measurement.h"

namespace re2 {
class RE2;
}

namespace vigil::analysis {

enum class FingerprintScope { kNational, kIsp, kProduct, kInstitution, kVagueWord, kFalsePositive, kOther };

enum class PatternType { kFull, kPrefix, kContains, kRegexp };

struct Fingerprint {
  std::string name;
  FingerprintScope scope = FingerprintScope::kOther;
  std::string scope_code;  // as written in the CSV
  std::string location;    // "dns", "body", "header.<name>"
  PatternType pattern_type = PatternType::kContains;
  std::string pattern;
  int confidence_no_fp = 0;
  std::vector<std::string> expected_countries;  // upper-case ISO codes
};

struct FingerprintMatch {
  const Fingerprint* fingerprint = nullptr;
  bool confirms = false;
};

class FingerprintDb {
 public:
  // Parses the two CSV tables. Malformed rows are errors naming the table and row.
  static Result<std::unique_ptr<FingerprintDb>> Load(std::string_view dns_csv,
                                                     std::string_view http_csv);
  // The tables compiled into the binary; loaded once, on first use.
  static const FingerprintDb& Builtin();

  ~FingerprintDb();

  // Scratch space for Match* (one per thread).
  struct Scratch {
    std::vector<uint8_t> seen;
  };

  // Appends the fingerprints matching `ip`, an address from a DNS answer.
  void MatchDnsAnswer(std::string_view ip, std::string_view probe_cc,
                      std::vector<FingerprintMatch>& out) const;
  // Appends the fingerprints matching an HTTP response (body bytes and headers).
  void MatchHttpResponse(std::string_view body, const measure::Headers& headers,
                         std::string_view probe_cc, Scratch& scratch,
                         std::vector<FingerprintMatch>& out) const;

  size_t size() const { return fingerprints_.size(); }

  // Applies the scope/country rules above to a list of raw matches (sets `confirms`).
  static void DecideConfirmation(std::vector<FingerprintMatch>& matches,
                                 std::string_view probe_cc);

 private:
  FingerprintDb() = default;
  void Index();

  std::vector<Fingerprint> fingerprints_;
  std::unordered_map<std::string, std::vector<size_t>> dns_by_ip_;
  // Body patterns: contains-patterns and regexp trigger literals go through one
  // literal set; prefix/full patterns are checked directly.
  std::unique_ptr<LiteralSet> body_literals_;
  std::vector<size_t> literal_to_fp_;
  std::vector<size_t> body_prefix_or_full_;
  std::vector<std::unique_ptr<re2::RE2>> regexps_;  // indexed like fingerprints_
  std::vector<size_t> body_regexps_without_trigger_;
  // Header patterns by lower-case header name.
  std::unordered_map<std::string, std::vector<size_t>> by_header_;
};

}  // namespace vigil::analysis
