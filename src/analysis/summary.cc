#include "analysis/summary.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

namespace vigil::analysis {
namespace {

std::string BlockingLabel(Blocking b) {
  if (b == Blocking::kNull) return "null (no verdict)";
  if (b == Blocking::kFalse) return "false (not blocked)";
  return BlockingName(b);
}

std::string Percent(size_t part, size_t whole) {
  if (whole == 0) return "-";
  return fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

}  // namespace

void Summary::Counts::Add(const Verdict& v) {
  ++n;
  anomaly += v.anomaly.value_or(false) ? 1u : 0u;
  confirmed += v.confirmed.value_or(false) ? 1u : 0u;
  failure += v.failure.value_or(false) ? 1u : 0u;
  unscored += !v.anomaly && !v.failure ? 1u : 0u;
}

void Summary::Add(const AnalysisRecord& r) {
  ++total_;
  by_test_[r.test_name].Add(r.verdict);
  by_country_[r.probe_cc.empty() ? "??" : r.probe_cc].Add(r.verdict);
  if (r.test_name != "web_connectivity") return;
  ++wc_total_;
  ++wc_blocking_[BlockingLabel(r.verdict.blocking)];
  std::string domain = DomainOf(r.input);
  if (!domain.empty()) {
    by_domain_[domain].Add(r.verdict);
    if (r.verdict.blocking != Blocking::kNull && r.verdict.blocking != Blocking::kFalse)
      ++domain_blocking_[domain][BlockingName(r.verdict.blocking)];
  }
  if (r.probe_blocking) {
    ++wc_with_probe_verdict_;
    const auto& p = *r.probe_blocking;
    bool agree = (p.kind == measure::ProbeBlocking::Kind::kNull && r.verdict.blocking == Blocking::kNull) ||
                 (p.kind == measure::ProbeBlocking::Kind::kFalse && r.verdict.blocking == Blocking::kFalse) ||
                 (p.kind == measure::ProbeBlocking::Kind::kString && p.value == BlockingName(r.verdict.blocking) &&
                  r.verdict.blocking != Blocking::kNull && r.verdict.blocking != Blocking::kFalse);
    wc_agree_ += agree ? 1u : 0u;
  }
}

std::string Summary::Render() const {
  std::string out;
  auto line = [&](std::string s) {
    out += s;
    out += '\n';
  };
  line(fmt::format("Measurements analysed: {}   unreadable: {}", total_, errors_));
  auto table = [&](const std::string& title, const std::string& key_name,
                   std::vector<std::pair<std::string, Counts>> rows) {
    line("");
    line(title);
    line(fmt::format("  {:<32} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}", key_name, "total", "anomaly",
                     "confirmed", "failure", "ok", "no rule"));
    for (const auto& [key, c] : rows) {
      size_t ok = c.n - std::min(c.n, c.anomaly + c.failure + c.unscored);
      line(fmt::format("  {:<32} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}", key.substr(0, 32), c.n, c.anomaly,
                       c.confirmed, c.failure, ok, c.unscored));
    }
  };
  table("By test", "test", {by_test_.begin(), by_test_.end()});
  if (wc_total_ > 0) {
    line("");
    line("Web Connectivity verdicts (recomputed by Vigil)");
    std::vector<std::pair<std::string, size_t>> rows(wc_blocking_.begin(), wc_blocking_.end());
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [label, n] : rows)
      line(fmt::format("  blocking = {:<22} {:>9} {:>8}", label, n, Percent(n, wc_total_)));
    line(fmt::format("  same as the probe's own verdict: {} of {} ({})", wc_agree_, wc_with_probe_verdict_,
                     Percent(wc_agree_, wc_with_probe_verdict_)));
  }
  std::vector<std::pair<std::string, Counts>> countries(by_country_.begin(), by_country_.end());
  std::sort(countries.begin(), countries.end(), [](const auto& a, const auto& b) {
    return a.second.n != b.second.n ? a.second.n > b.second.n : a.first < b.first;
  });
  if (countries.size() > 30) countries.resize(30);
  table("By country (probe_cc)", "country", countries);
  std::vector<std::pair<std::string, Counts>> domains;
  for (const auto& [d, c] : by_domain_) {
    if (c.anomaly > 0) domains.emplace_back(d, c);
  }
  std::sort(domains.begin(), domains.end(), [](const auto& a, const auto& b) {
    return a.second.anomaly != b.second.anomaly ? a.second.anomaly > b.second.anomaly : a.first < b.first;
  });
  if (domains.size() > 20) domains.resize(20);
  if (!domains.empty()) {
    line("");
    line("Domains with the most anomalies (Web Connectivity)");
    line(fmt::format("  {:<40} {:>9} {:>9} {:>9}  {}", "domain", "total", "anomaly", "confirmed", "how"));
    for (const auto& [d, c] : domains) {
      std::string how;
      auto it = domain_blocking_.find(d);
      if (it != domain_blocking_.end()) {
        for (const auto& [kind, n] : it->second) how += fmt::format("{}{} {}", how.empty() ? "" : ", ", kind, n);
      }
      line(fmt::format("  {:<40} {:>9} {:>9} {:>9}  {}", d.substr(0, 40), c.n, c.anomaly, c.confirmed, how));
    }
  }
  return out;
}

}  // namespace vigil::analysis
