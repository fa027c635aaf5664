#include "analysis/fingerprints.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>
#include <re2/re2.h>

#include "core/ascii.h"
#include "core/csv.h"
#include "core/failure.h"

namespace vigil::embedded {
std::string_view fingerprints_dns_csv();
std::string_view fingerprints_http_csv();
}  // namespace vigil::embedded

namespace vigil::analysis {
namespace {


FingerprintScope ScopeFromCode(std::string_view code) {
  if (code == "nat") return FingerprintScope::kNational;
  if (code == "isp") return FingerprintScope::kIsp;
  if (code == "prod") return FingerprintScope::kProduct;
  if (code == "inst") return FingerprintScope::kInstitution;
  if (code == "vbw") return FingerprintScope::kVagueWord;
  if (code == "fp") return FingerprintScope::kFalsePositive;
  return FingerprintScope::kOther;
}

// Calls on_record(fields, row_number) for each record of a CSV table whose first row is
// a header; quoted fields may span lines.
template <typename F>
Result<size_t> ForEachRecord(std::string_view table, std::string_view name, F on_record) {
  size_t row = 0, pos = 0;
  std::string pending;
  bool have_header = false;
  while (pos < table.size()) {
    size_t nl = table.find('\n', pos);
    std::string_view line = table.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? table.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!pending.empty()) {
      pending.push_back('\n');
      pending.append(line);
      line = pending;
    }
    auto fields = SplitCsvRecord(line);
    if (!fields) {
      if (fields.error().message.find("unterminated") != std::string::npos && pos < table.size()) {
        if (pending.empty()) pending.assign(line);
        continue;
      }
      return Fail(std::string(failure::kParseError),
                  fmt::format("{} row {}: {}", name, row + 1, fields.error().message));
    }
    pending.clear();
    if (!have_header) {
      have_header = true;
      continue;
    }
    ++row;
    if (fields->size() == 1 && (*fields)[0].empty()) continue;  // blank line
    auto ok = on_record(*fields, row);
    if (!ok) return tl::unexpected(ok.error());
  }
  return row;
}

// The longest run of literal characters that every match of `re` must contain, or ""
// when none can be found simply (alternations, groups).
std::string RequiredLiteral(std::string_view re) {
  for (size_t i = 0; i < re.size(); ++i) {  // an unescaped | or ( ends the simple cases
    if (re[i] == '\\') ++i;
    else if (re[i] == '|' || re[i] == '(') return {};
  }
  std::string best, run;
  auto end_run = [&] {
    if (run.size() > best.size()) best = run;
    run.clear();
  };
  for (size_t i = 0; i < re.size(); ++i) {
    char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      char n = re[i + 1];
      if (std::isalnum(static_cast<unsigned char>(n))) {
        end_run();
      } else {
        run.push_back(n);
      }
      ++i;
      continue;
    }
    if (c == '*' || c == '?' || c == '{') {
      if (!run.empty()) run.pop_back();  // the previous character is optional
      end_run();
      if (c == '{') {
        size_t close = re.find('}', i);
        if (close == std::string_view::npos) return {};
        i = close;
      }
      continue;
    }
    if (c == '[') {
      end_run();
      size_t close = re.find(']', i + 1);
      if (close == std::string_view::npos) return {};
      i = close;
      continue;
    }
    if (c == '.' || c == '^' || c == '$' || c == '+' || c == ')') {
      end_run();
      continue;
    }
    run.push_back(c);
  }
  end_run();
  return best;
}

bool MatchesPattern(const Fingerprint& fp, const re2::RE2* re, std::string_view value) {
  switch (fp.pattern_type) {
    case PatternType::kFull: return value == fp.pattern;
    case PatternType::kPrefix: return value.substr(0, fp.pattern.size()) == fp.pattern;
    case PatternType::kContains: return value.find(fp.pattern) != std::string_view::npos;
    case PatternType::kRegexp:
      return re != nullptr && re2::RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), *re);
  }
  return false;
}

}  // namespace

FingerprintDb::~FingerprintDb() = default;

Result<std::unique_ptr<FingerprintDb>> FingerprintDb::Load(std::string_view dns_csv,
                                                           std::string_view http_csv) {
  std::unique_ptr<FingerprintDb> db(new FingerprintDb());
  for (const auto& source : {std::pair{dns_csv, "fingerprints_dns.csv"},
                             std::pair{http_csv, "fingerprints_http.csv"}}) {
    // Plain variables, not structured bindings: clang 14 (the fuzz preset) cannot capture
    // those in the lambda below.
    const std::string_view table = source.first;
    const char* const name = source.second;
    auto rows = ForEachRecord(table, name, [&](const std::vector<std::string>& f,
                                               size_t row) -> Result<bool> {
      // name,scope,other_names,location_found,pattern_type,pattern,confidence_no_fp,
      // expected_countries,source,exp_url,notes
      if (f.size() < 8) {
        return Fail(std::string(failure::kParseError),
                    fmt::format("{} row {}: expected at least 8 columns, got {}", name, row,
                                f.size()));
      }
      Fingerprint fp;
      fp.name = f[0];
      fp.scope_code = f[1];
      fp.scope = ScopeFromCode(f[1]);
      fp.location = AsciiLower(f[3]);
      const std::string& type = f[4];
      if (type == "full") fp.pattern_type = PatternType::kFull;
      else if (type == "prefix") fp.pattern_type = PatternType::kPrefix;
      else if (type == "contains") fp.pattern_type = PatternType::kContains;
      else if (type == "regexp") fp.pattern_type = PatternType::kRegexp;
      else {
        return Fail(std::string(failure::kParseError),
                    fmt::format("{} row {} ({}): unknown pattern_type '{}'", name, row, fp.name, type));
      }
      fp.pattern = f[5];
      if (fp.name.empty() || fp.pattern.empty()) {
        return Fail(std::string(failure::kParseError),
                    fmt::format("{} row {}: empty name or pattern", name, row));
      }
      std::from_chars(f[6].data(), f[6].data() + f[6].size(), fp.confidence_no_fp);
      for (size_t start = 0; start < f[7].size();) {
        size_t comma = f[7].find(',', start);
        std::string cc = f[7].substr(start, comma == std::string::npos ? comma : comma - start);
        cc.erase(std::remove_if(cc.begin(), cc.end(), [](char ch) { return std::isspace(static_cast<unsigned char>(ch)); }), cc.end());
        for (char& ch : cc) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (!cc.empty()) fp.expected_countries.push_back(cc);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      db->fingerprints_.push_back(std::move(fp));
      return true;
    });
    if (!rows) return tl::unexpected(rows.error());
  }
  db->Index();
  for (size_t i = 0; i < db->fingerprints_.size(); ++i) {
    const auto& fp = db->fingerprints_[i];
    if (fp.pattern_type == PatternType::kRegexp && !db->regexps_[i]->ok()) {
      return Fail(std::string(failure::kParseError),
                  fmt::format("fingerprint {}: invalid regexp: {}", fp.name, db->regexps_[i]->error()));
    }
  }
  return db;
}

void FingerprintDb::Index() {
  std::vector<std::string> literals;
  regexps_.resize(fingerprints_.size());
  for (size_t i = 0; i < fingerprints_.size(); ++i) {
    const auto& fp = fingerprints_[i];
    if (fp.pattern_type == PatternType::kRegexp) {
      re2::RE2::Options o;
      o.set_log_errors(false);
      o.set_max_mem(8 << 20);
      regexps_[i] = std::make_unique<re2::RE2>(fp.pattern, o);
    }
    if (fp.location == "dns") {
      dns_by_ip_[fp.pattern].push_back(i);
    } else if (fp.location == "body") {
      if (fp.pattern_type == PatternType::kContains) {
        literals.push_back(fp.pattern);
        literal_to_fp_.push_back(i);
      } else if (fp.pattern_type == PatternType::kRegexp) {
        std::string trigger = RequiredLiteral(fp.pattern);
        if (trigger.size() >= 4) {
          literals.push_back(trigger);
          literal_to_fp_.push_back(i);
        } else {
          body_regexps_without_trigger_.push_back(i);
        }
      } else {
        body_prefix_or_full_.push_back(i);
      }
    } else if (fp.location.rfind("header.", 0) == 0) {
      by_header_[fp.location.substr(7)].push_back(i);
    }
  }
  body_literals_ = std::make_unique<LiteralSet>(std::move(literals));
}

const FingerprintDb& FingerprintDb::Builtin() {
  static const FingerprintDb* db = [] {
    auto loaded = Load(embedded::fingerprints_dns_csv(), embedded::fingerprints_http_csv());
    if (!loaded) {
      // The tables are compiled in and tested; failing here is a build defect.
      std::fprintf(stderr, "vigil: built-in fingerprint tables are invalid: %s\n",
                   loaded.error().ToString().c_str());
      std::abort();
    }
    return loaded->release();
  }();
  return *db;
}

void FingerprintDb::MatchDnsAnswer(std::string_view ip, std::string_view probe_cc,
                                   std::vector<FingerprintMatch>& out) const {
  auto it = dns_by_ip_.find(std::string(ip));
  if (it == dns_by_ip_.end()) return;
  size_t first = out.size();
  for (size_t i : it->second) out.push_back({&fingerprints_[i], false});
  std::vector<FingerprintMatch> added(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
  DecideConfirmation(added, probe_cc);
  std::copy(added.begin(), added.end(), out.begin() + static_cast<std::ptrdiff_t>(first));
}

void FingerprintDb::MatchHttpResponse(std::string_view body, const measure::Headers& headers,
                                      std::string_view probe_cc, Scratch& scratch,
                                      std::vector<FingerprintMatch>& out) const {
  std::vector<FingerprintMatch> found;
  if (!body.empty()) {
    body_literals_->FindAll(body, scratch.seen, [&](uint32_t id) {
      size_t i = literal_to_fp_[id];
      const auto& fp = fingerprints_[i];
      if (fp.pattern_type == PatternType::kRegexp && !MatchesPattern(fp, regexps_[i].get(), body))
        return;
      found.push_back({&fp, false});
    });
    for (size_t i : body_prefix_or_full_) {
      if (MatchesPattern(fingerprints_[i], nullptr, body)) found.push_back({&fingerprints_[i], false});
    }
    for (size_t i : body_regexps_without_trigger_) {
      if (MatchesPattern(fingerprints_[i], regexps_[i].get(), body))
        found.push_back({&fingerprints_[i], false});
    }
  }
  for (const auto& [name, value] : headers) {
    auto it = by_header_.find(AsciiLower(name));
    if (it == by_header_.end()) continue;
    for (size_t i : it->second) {
      if (MatchesPattern(fingerprints_[i], regexps_[i].get(), value))
        found.push_back({&fingerprints_[i], false});
    }
  }
  DecideConfirmation(found, probe_cc);
  out.insert(out.end(), found.begin(), found.end());
}

void FingerprintDb::DecideConfirmation(std::vector<FingerprintMatch>& matches,
                                       std::string_view probe_cc) {
  std::string cc(probe_cc);
  for (char& ch : cc) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  bool false_positive_seen = std::any_of(matches.begin(), matches.end(), [](const auto& m) {
    return m.fingerprint->scope == FingerprintScope::kFalsePositive;
  });
  for (auto& m : matches) {
    const auto& fp = *m.fingerprint;
    bool in_expected = std::find(fp.expected_countries.begin(), fp.expected_countries.end(), cc) !=
                       fp.expected_countries.end();
    switch (fp.scope) {
      case FingerprintScope::kNational:
      case FingerprintScope::kIsp:
      case FingerprintScope::kInstitution:
        m.confirms = fp.expected_countries.empty() || in_expected;
        break;
      case FingerprintScope::kProduct:
        m.confirms = true;
        break;
      case FingerprintScope::kVagueWord:
        m.confirms = in_expected && fp.confidence_no_fp >= 3 && !false_positive_seen;
        break;
      case FingerprintScope::kFalsePositive:
      case FingerprintScope::kOther:
        m.confirms = false;
        break;
    }
  }
}

}  // namespace vigil::analysis
