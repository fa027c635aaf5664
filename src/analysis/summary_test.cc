#include "analysis/summary.h"

#include <gtest/gtest.h>

namespace vigil::analysis {
namespace {

AnalysisRecord Record(std::string test, std::string cc, std::string input, Blocking b,
                      std::optional<bool> anomaly, std::optional<bool> failure, bool confirmed = false) {
  AnalysisRecord r;
  r.test_name = std::move(test);
  r.probe_cc = std::move(cc);
  r.input = std::move(input);
  r.verdict.blocking = b;
  r.verdict.anomaly = anomaly;
  r.verdict.failure = failure;
  r.verdict.confirmed = confirmed;
  measure::ProbeBlocking pb;
  pb.kind = measure::ProbeBlocking::Kind::kString;
  pb.value = "dns";
  if (r.test_name == "web_connectivity") r.probe_blocking = pb;
  return r;
}

TEST(Summary, CountsPerTestCountryAndDomainAndKeepsUnscoredApart) {
  Summary s;
  s.Add(Record("web_connectivity", "CM", "http://blocked.example/", Blocking::kDns, true, false, true));
  s.Add(Record("web_connectivity", "CM", "http://blocked.example/x", Blocking::kDns, true, false));
  s.Add(Record("web_connectivity", "UG", "https://fine.example/", Blocking::kFalse, false, false));
  s.Add(Record("ndt", "UG", "", Blocking::kNull, std::nullopt, std::nullopt));
  s.AddError();
  std::string out = s.Render();
  EXPECT_NE(out.find("Measurements analysed: 4   unreadable: 1"), std::string::npos) << out;
  // web_connectivity: 3 total, 2 anomalies, 1 confirmed, 0 failures, 1 ok, 0 without rule.
  EXPECT_NE(out.find("web_connectivity                         3         2         1         0         1         0"),
            std::string::npos) << out;
  // ndt has no scoring rule: neither ok nor anomalous.
  EXPECT_NE(out.find("ndt                                      1         0         0         0         0         1"),
            std::string::npos) << out;
  EXPECT_NE(out.find("same as the probe's own verdict: 2 of 3"), std::string::npos) << out;
  EXPECT_NE(out.find("blocked.example"), std::string::npos) << out;
  EXPECT_NE(out.find("dns 2"), std::string::npos) << out;
}

}  // namespace
}  // namespace vigil::analysis
