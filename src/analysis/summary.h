// Summary: the counts `vigil analyze --summary` prints — per test, per Web
// Connectivity verdict (with agreement with the probe's own verdict), per country, and
// the domains with the most anomalies. Thread-safety: one per thread; Merge() combines.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "analysis/analyzer.h"

namespace vigil::analysis {

class Summary {
 public:
  void Add(const AnalysisRecord& r);
  void AddError() { ++errors_; }
  // A plain-text report with aligned columns.
  std::string Render() const;
  size_t measurements() const { return total_; }

 private:
  struct Counts {
    size_t n = 0, anomaly = 0, confirmed = 0, failure = 0;
    size_t unscored = 0;  // tests Vigil has no rule for: neither ok nor anomalous
    void Add(const Verdict& v);
  };
  size_t total_ = 0, errors_ = 0;
  std::map<std::string, Counts> by_test_;
  std::map<std::string, Counts> by_country_;
  std::map<std::string, Counts> by_domain_;
  std::map<std::string, std::map<std::string, size_t>> domain_blocking_;
  std::map<std::string, size_t> wc_blocking_;
  size_t wc_total_ = 0, wc_with_probe_verdict_ = 0, wc_agree_ = 0;
};

}  // namespace vigil::analysis
