#include "analysis/web_connectivity.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "analysis/analyzer.h"

namespace vigil::analysis {
namespace {

// Builds a Web Connectivity measurement from JSON fragments of its test keys.
struct Msmt {
  std::string input = "http://example.org/";
  std::string cc = "IT";
  std::string queries = R"([{"engine":"system","hostname":"example.org","query_type":"ANY","failure":null,
      "answers":[{"answer_type":"A","ipv4":"93.184.216.34","asn":15133}]}])";
  std::string tcp = R"([{"ip":"93.184.216.34","port":80,"status":{"success":true,"failure":null}}])";
  std::string tls = "[]";
  std::string requests = R"([{"failure":null,"request":{"url":"http://example.org/","method":"GET"},
      "response":{"code":200,"headers":{"Content-Type":"text/html","X-Site":"1"},
      "body":"<html><title>Example Domain Page</title>0123456789</html>"}}])";
  std::string control = R"({"dns":{"failure":null,"addrs":["93.184.216.34"]},
      "ip_info":{"93.184.216.34":{"asn":15133,"flags":11}},
      "tcp_connect":{"93.184.216.34:80":{"status":true,"failure":null}},
      "http_request":{"status_code":200,"body_length":57,"title":"Example Domain Page","failure":null,
        "headers":{"Content-Type":"text/html","X-Site":"1"}}})";
  std::string control_failure = "null";
  std::string extra;

  std::string Json() const {
    return fmt::format(
        R"({{"report_id":"r","test_name":"web_connectivity","input":"{}","probe_cc":"{}","probe_asn":"AS1",
        "test_keys":{{"queries":{},"tcp_connect":{},"tls_handshakes":{},"requests":{},"control":{},
        "control_failure":{}{}}}}})",
        input, cc, queries, tcp, tls, requests, control, control_failure, extra);
  }
};

class WebConnectivityTest : public ::testing::Test {
 protected:
  AnalysisRecord Run(const Msmt& m) {
    Analyzer analyzer(ctx_);
    auto r = analyzer.Analyze(m.Json());
    EXPECT_TRUE(r) << (r ? "" : r.error().ToString());
    return r ? *r : AnalysisRecord{};
  }
  void SetUp() override { ctx_.fingerprints = &FingerprintDb::Builtin(); }
  AnalysisContext ctx_;
};

TEST_F(WebConnectivityTest, SamePageIsAccessible) {
  auto r = Run(Msmt{});
  EXPECT_EQ(r.verdict.blocking, Blocking::kFalse);
  EXPECT_EQ(r.verdict.accessible, true);
  EXPECT_EQ(r.verdict.anomaly, false);
  EXPECT_EQ(r.verdict.failure, false);
  EXPECT_NE(r.verdict.why.find("same page"), std::string::npos) << r.verdict.why;
}

TEST_F(WebConnectivityTest, HttpsSuccessIsAccessibleWhateverTheDns) {
  Msmt m;
  m.input = "https://example.org/";
  m.queries = R"([{"engine":"system","hostname":"example.org","query_type":"ANY","failure":null,
      "answers":[{"answer_type":"A","ipv4":"10.0.0.1"}]}])";
  m.requests = R"([{"failure":null,"request":{"url":"https://example.org/"},"response":{"code":200,"body":"x"}}])";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kFalse);
  EXPECT_EQ(r.verdict.accessible, true);
}

TEST_F(WebConnectivityTest, ControlFailureGivesNoVerdict) {
  Msmt m;
  m.control = "null";
  m.control_failure = R"("connection_reset")";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kNull);
  EXPECT_EQ(r.verdict.accessible, std::nullopt);
  EXPECT_EQ(r.verdict.failure, true);
  EXPECT_EQ(r.verdict.anomaly, false);
}

TEST_F(WebConnectivityTest, NxdomainOnBothSidesIsNotBlocking) {
  Msmt m;
  m.queries = R"([{"engine":"system","hostname":"example.org","query_type":"ANY","failure":"dns_nxdomain_error","answers":null}])";
  m.tcp = "[]";
  m.requests = "[]";
  m.control = R"({"dns":{"failure":"dns_name_error","addrs":[]},"http_request":{"failure":"dns_lookup_error","status_code":-1,"body_length":-1}})";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kFalse);
  EXPECT_EQ(r.verdict.accessible, false);
  EXPECT_EQ(r.verdict.anomaly, false);
}

TEST_F(WebConnectivityTest, NxdomainOnlyForTheProbeIsDnsBlocking) {
  Msmt m;
  m.queries = R"([{"engine":"system","hostname":"example.org","query_type":"ANY","failure":"dns_nxdomain_error","answers":null}])";
  m.tcp = "[]";
  m.requests = "[]";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kDns);
  EXPECT_EQ(r.verdict.anomaly, true);
}

TEST_F(WebConnectivityTest, WebsiteDownForTheControlTooIsNotBlocking) {
  Msmt m;
  m.tcp = R"([{"ip":"93.184.216.34","port":80,"status":{"success":false,"failure":"connection_refused"}}])";
  m.requests = "[]";
  m.control = R"({"dns":{"failure":null,"addrs":["93.184.216.34"]},
      "http_request":{"failure":"connection_refused_error","status_code":-1,"body_length":-1}})";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kFalse);
  EXPECT_EQ(r.verdict.accessible, false);
}

TEST_F(WebConnectivityTest, DifferentNetworksAreDnsBlocking) {
  Msmt m;
  m.queries = R"([{"engine":"system","hostname":"example.org","query_type":"ANY","failure":null,
      "answers":[{"answer_type":"A","ipv4":"130.192.182.17","asn":137}]}])";
  m.tcp = R"([{"ip":"130.192.182.17","port":80,"status":{"success":true,"failure":null}}])";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kDns);
  EXPECT_NE(r.verdict.why.find("130.192.182.17 (AS137)"), std::string::npos) << r.verdict.why;
}

TEST_F(WebConnectivityTest, SameNetworkDifferentAddressIsConsistent) {
  Msmt m;
  m.queries = R"([{"engine":"system","hostname":"example.org","query_type":"ANY","failure":null,
      "answers":[{"answer_type":"A","ipv4":"93.184.216.99","asn":15133}]}])";
  m.tcp = R"([{"ip":"93.184.216.99","port":80,"status":{"success":true,"failure":null}}])";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kFalse);
}

TEST_F(WebConnectivityTest, AsnLookupIsUsedWhenAnswersLackAsns) {
  Msmt m;
  m.queries = R"([{"engine":"system","hostname":"example.org","query_type":"A","failure":null,
      "answers":[{"answer_type":"A","ipv4":"93.184.216.99"}]}])";
  m.tcp = R"([{"ip":"93.184.216.99","port":80,"status":{"success":true,"failure":null}}])";
  m.control = R"({"dns":{"failure":null,"addrs":["93.184.216.34"]},
      "http_request":{"status_code":200,"body_length":57,"title":"Example Domain Page","failure":null,"headers":{}}})";
  EXPECT_EQ(Run(m).verdict.blocking, Blocking::kDns);  // no ASN known: different IPs
  ctx_.asn_lookup = [](std::string_view ip) -> std::optional<uint32_t> {
    return ip.rfind("93.184.216.", 0) == 0 ? std::optional<uint32_t>(15133) : std::nullopt;
  };
  EXPECT_EQ(Run(m).verdict.blocking, Blocking::kFalse);
}

TEST_F(WebConnectivityTest, BogonAnswerIsDnsBlocking) {
  Msmt m;
  m.queries = R"([{"engine":"system","hostname":"example.org","query_type":"ANY","failure":null,
      "answers":[{"answer_type":"A","ipv4":"127.0.0.1"},{"answer_type":"A","ipv4":"93.184.216.34"}]}])";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kDns);
  EXPECT_NE(r.verdict.why.find("127.0.0.1"), std::string::npos);
}

TEST_F(WebConnectivityTest, AllConnectsFailingWithGoodDnsIsTcpIp) {
  Msmt m;
  m.tcp = R"([{"ip":"93.184.216.34","port":80,"status":{"success":false,"failure":"generic_timeout_error"}}])";
  m.requests = "[]";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kTcpIp);
  EXPECT_EQ(r.verdict.accessible, false);
}

TEST_F(WebConnectivityTest, ControlHttpFailureWithProbeSuccessGivesNoVerdict) {
  Msmt m;
  m.control = R"({"dns":{"failure":null,"addrs":["93.184.216.34"]},
      "http_request":{"failure":"generic_timeout_error","status_code":-1,"body_length":-1}})";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kNull);
  EXPECT_EQ(r.verdict.failure, true);
}

TEST_F(WebConnectivityTest, ResetIsHttpFailure) {
  Msmt m;
  m.requests = R"([{"failure":"connection_reset","request":{"url":"http://example.org/"},"response":null}])";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kHttpFailure);
  EXPECT_NE(r.verdict.why.find("reset"), std::string::npos);
}

TEST_F(WebConnectivityTest, ProbeBugGivesNoVerdictAndFailure) {
  Msmt m;
  m.requests = R"([{"failure":"unknown_failure: oops","request":{"url":"http://example.org/"},"response":null}])";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kNull);
  EXPECT_EQ(r.verdict.failure, true);
}

TEST_F(WebConnectivityTest, DifferentPageIsHttpDiffAndBlockpageIsConfirmed) {
  Msmt m;
  m.cc = "IN";
  m.requests = R"([{"failure":null,"request":{"url":"http://example.org/"},
      "response":{"code":200,"headers":{"Server":"x"},"body":"<title>Access Denied</title>"}}])";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kHttpDiff);
  EXPECT_EQ(r.verdict.confirmed, true);
  EXPECT_EQ(r.verdict.fingerprint, "ooni.in_11");
  EXPECT_EQ(r.verdict.anomaly, true);
  m.cc = "IT";  // the same generic page outside India is not confirmed
  auto elsewhere = Run(m);
  EXPECT_EQ(elsewhere.verdict.blocking, Blocking::kHttpDiff);
  EXPECT_EQ(elsewhere.verdict.confirmed, false);
}

// A vendor blockpage served with the real site's header names passes OONI Probe's header
// rule (step 9 alone calls it accessible); a confirming fingerprint makes it blocking.
TEST_F(WebConnectivityTest, AConfirmedBlockpageIsBlockingEvenWithTheSitesHeaders) {
  Msmt m;
  m.cc = "IN";
  m.requests = R"([{"failure":null,"request":{"url":"http://example.org/"},
      "response":{"code":200,"headers":{"Content-Type":"text/html","X-Site":"1"},
      "body":"<html><title>Access Denied</title></html>"}}])";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.confirmed, true);
  EXPECT_EQ(r.verdict.fingerprint, "ooni.in_11");
  EXPECT_EQ(r.verdict.blocking, Blocking::kHttpDiff);
  EXPECT_EQ(r.verdict.accessible, false);
  EXPECT_EQ(r.verdict.anomaly, true);
  EXPECT_NE(r.verdict.why.find("overrides the comparison with the control"), std::string::npos) << r.verdict.why;
  EXPECT_NE(r.verdict.why.find("same page as the control"), std::string::npos)
      << "the why keeps what the comparison alone said: " << r.verdict.why;
  // Outside India the same page confirms nothing: the comparison decides, as in OONI Probe.
  m.cc = "IT";
  auto elsewhere = Run(m);
  EXPECT_EQ(elsewhere.verdict.confirmed, false);
  EXPECT_EQ(elsewhere.verdict.blocking, Blocking::kFalse);
  EXPECT_EQ(elsewhere.verdict.accessible, true);
}

TEST_F(WebConnectivityTest, AConfirmedBlockpageAddressInTheDnsIsDnsBlocking) {
  Msmt m;
  m.cc = "RU";
  // The resolver answers a known Russian blockpage address (ooni.ru_90); the blockpage server
  // answers with the real site's page shape, so the comparison alone finds nothing.
  m.queries = R"([{"engine":"system","hostname":"example.org","query_type":"ANY","failure":null,
      "answers":[{"answer_type":"A","ipv4":"46.175.31.250"}]}])";
  m.tcp = R"([{"ip":"46.175.31.250","port":80,"status":{"success":true,"failure":null}}])";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.confirmed, true);
  EXPECT_EQ(r.verdict.blocking, Blocking::kDns) << r.verdict.why;
  EXPECT_EQ(r.verdict.accessible, false);
}

TEST_F(WebConnectivityTest, TitleOrHeadersCanStandInForBodyLength) {
  Msmt m;
  // Body twice as long: the length check fails, the title words match.
  m.requests = R"([{"failure":null,"request":{"url":"http://example.org/"},
      "response":{"code":200,"headers":{"Content-Type":"text/html"},
      "body":"<html><title>Example Domain Page</title>0123456789012345678901234567890123456789012345678901234567890123456789</html>"}}])";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kFalse);
  EXPECT_NE(r.verdict.why.find("title"), std::string::npos) << r.verdict.why;
}

TEST_F(WebConnectivityTest, RedirectChainThatStopsIsHttpFailure) {
  Msmt m;
  m.input = "https://example.org/";
  m.tcp = R"([{"ip":"93.184.216.34","port":443,"status":{"success":true,"failure":null},"tags":["depth=0"]},
              {"ip":"10.1.1.1","port":443,"status":{"success":false,"failure":"connection_refused"},"tags":["depth=1"]}])";
  m.requests = R"([{"failure":null,"request":{"url":"https://example.org/"},"tags":["depth=0"],
      "response":{"code":302,"headers":{"Location":"https://other.example/"},"body":""}}])";
  m.control = R"({"dns":{"failure":null,"addrs":["93.184.216.34"]},
      "http_request":{"status_code":200,"body_length":100,"title":"","failure":null,"headers":{}}})";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kHttpFailure);
  EXPECT_NE(r.verdict.why.find("connection_refused"), std::string::npos) << r.verdict.why;
}

TEST_F(WebConnectivityTest, OnlyClassicStepsCountWhenTagged) {
  Msmt m;
  m.input = "https://example.org/";
  m.queries = R"([{"engine":"getaddrinfo","hostname":"example.org","query_type":"ANY","failure":null,"tags":["classic","depth=0"],
      "answers":[{"answer_type":"A","ipv4":"10.10.34.35"}]},
    {"engine":"doh","hostname":"example.org","query_type":"A","failure":null,"tags":["depth=0"],
      "answers":[{"answer_type":"A","ipv4":"93.184.216.34","asn":15133}]}])";
  m.tcp = R"([{"ip":"10.10.34.35","port":443,"status":{"success":false,"failure":"generic_timeout_error"},"tags":["classic","depth=0"]},
              {"ip":"93.184.216.34","port":443,"status":{"success":true,"failure":null},"tags":["depth=0"]}])";
  m.requests = R"([{"failure":null,"request":{"url":"https://example.org/"},"tags":["depth=0"],"response":{"code":200,"body":"ok"}}])";
  auto r = Run(m);
  EXPECT_EQ(r.verdict.blocking, Blocking::kDns);
}

TEST(ExtractTitle, FollowsOoniRules) {
  EXPECT_EQ(ExtractTitle("<html><TITLE>Hello World</TITLE>"), "Hello World");
  EXPECT_EQ(ExtractTitle("<title></title>"), "");
  EXPECT_EQ(ExtractTitle("<title>" + std::string(129, 'x') + "</title>"), "");
  EXPECT_EQ(ExtractTitle("no title"), "");
  EXPECT_EQ(ExtractTitle("<title>unterminated"), "");
}

}  // namespace
}  // namespace vigil::analysis
