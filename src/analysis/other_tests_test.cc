#include "analysis/other_tests.h"

#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "analysis/analyzer.h"

namespace vigil::analysis {
namespace {

Verdict Score(const std::string& json) {
  AnalysisContext ctx;
  Analyzer analyzer(ctx);
  auto r = analyzer.Analyze(json);
  EXPECT_TRUE(r) << (r ? "" : r.error().ToString());
  return r ? r->verdict : Verdict{};
}

std::map<std::string, std::string> SpecExamples() {
  const char* d = std::getenv("VIGIL_SOURCE_DIR");
  std::ifstream in(std::string(d != nullptr ? d : ".") + "/data/samples/ooni-sample.jsonl");
  std::map<std::string, std::string> by_test;
  for (std::string line; std::getline(in, line);) {
    auto pos = line.find("\"test_name\":\"");
    if (pos == std::string::npos) continue;
    std::string name = line.substr(pos + 13, line.find('"', pos + 13) - pos - 13);
    by_test.emplace(name, line);
  }
  return by_test;
}

// OONI's specification examples are measurements of working services.
TEST(OtherTests, SpecExamplesOfReachableServicesAreNotAnomalies) {
  auto examples = SpecExamples();
  for (const char* test : {"whatsapp", "facebook_messenger", "signal"}) {
    ASSERT_TRUE(examples.count(test)) << test;
    Verdict v = Score(examples[test]);
    EXPECT_EQ(v.anomaly, false) << test << ": " << v.why;
    EXPECT_EQ(v.confirmed, false) << test;
  }
}

TEST(OtherTests, UnknownTestsGetNullRatherThanAGuess) {
  Verdict v = Score(R"({"test_name":"dash","report_id":"r","test_keys":{"failure":null}})");
  EXPECT_EQ(v.anomaly, std::nullopt);
  EXPECT_EQ(v.confirmed, std::nullopt);
  EXPECT_EQ(v.failure, std::nullopt);
  EXPECT_NE(v.why.find("dash"), std::string::npos);
}

TEST(OtherTests, WhatsappRegistrationServerBlocked) {
  Verdict v = Score(R"({"test_name":"whatsapp","test_keys":{"requests":[
    {"request":{"url":"https://web.whatsapp.com/"},"failure":null},
    {"request":{"url":"https://v.whatsapp.net/v2/register"},"failure":"connection_reset"}],
    "tcp_connect":[{"status":{"success":true}}]}})");
  EXPECT_EQ(v.anomaly, true);
  EXPECT_EQ(v.failure, false);
  EXPECT_EQ(v.accessible, false);
}

TEST(OtherTests, WhatsappEndpointsAllDown) {
  Verdict v = Score(R"({"test_name":"whatsapp","test_keys":{"requests":[
    {"request":{"url":"https://web.whatsapp.com/"},"failure":null},
    {"request":{"url":"https://v.whatsapp.net/v2/register"},"failure":null}],
    "tcp_connect":[{"status":{"success":false}},{"status":{"success":false}}]}})");
  EXPECT_EQ(v.anomaly, true);
}

TEST(OtherTests, TelegramScoreAddsTheThreeParts) {
  // Half the data centres fail (0.5) + all HTTP fail (1.0): anomaly.
  Verdict v = Score(R"({"test_name":"telegram","test_keys":{"telegram_web_status":"ok",
    "tcp_connect":[{"status":{"success":true}},{"status":{"success":false}}],
    "requests":[{"request":{"url":"http://149.154.175.50/"},"failure":"generic_timeout_error"}]}})");
  EXPECT_EQ(v.anomaly, true);
  // Everything fine: 0.
  Verdict ok = Score(R"({"test_name":"telegram","test_keys":{"telegram_web_status":"ok",
    "tcp_connect":[{"status":{"success":true}}],
    "requests":[{"request":{"url":"http://149.154.175.50/"},"failure":null}]}})");
  EXPECT_EQ(ok.anomaly, false);
}

TEST(OtherTests, FacebookTwoInconsistentKeysAreAnAnomaly) {
  Verdict one = Score(R"({"test_name":"facebook_messenger","test_keys":{"facebook_edge_reachable":false}})");
  EXPECT_EQ(one.anomaly, false);  // 0.5 is not above 0.5
  Verdict two = Score(R"({"test_name":"facebook_messenger","test_keys":{"facebook_edge_reachable":false,"facebook_tcp_blocking":true}})");
  EXPECT_EQ(two.anomaly, true);
}

TEST(OtherTests, SignalBlockedBackend) {
  Verdict v = Score(R"({"test_name":"signal","test_keys":{"failed_operation":null,"failure":null,
    "signal_backend_status":"blocked","signal_backend_failure":"connection_reset"}})");
  EXPECT_EQ(v.anomaly, true);
  EXPECT_EQ(v.failure, false);
}

TEST(OtherTests, TorShareOfFailedTargets) {
  Verdict v = Score(R"({"test_name":"tor","test_keys":{"targets":{
    "a":{"failure":"generic_timeout_error","network_events":[]},
    "b":{"failure":"connection_reset","network_events":[]},
    "c":{"failure":null,"network_events":[]}}}})");
  EXPECT_EQ(v.anomaly, true);  // 2/3
  Verdict none = Score(R"({"test_name":"tor","test_keys":{"targets":{}}})");
  EXPECT_EQ(none.failure, true);
}

TEST(OtherTests, VanillaTorProgress) {
  EXPECT_EQ(Score(R"({"test_name":"vanilla_tor","test_keys":{"tor_log":"Bootstrapped 100% (done): Done"}})").anomaly, false);
  EXPECT_EQ(Score(R"({"test_name":"vanilla_tor","test_keys":{"tor_log":"Bootstrapped 10%","tor_progress":10}})").anomaly, true);
}

TEST(OtherTests, HeaderFieldManipulation) {
  Verdict same = Score(R"({"test_name":"http_header_field_manipulation","test_keys":{"requests":[{
    "request":{"headers":{"Accept":"*/*","Host":"x"}},
    "response":{"body":"{\"headers_dict\":{\"Accept\":[\"*/*\"],\"Host\":[\"x\"]}}"}}]}})");
  EXPECT_EQ(same.anomaly, false);
  Verdict changed = Score(R"({"test_name":"http_header_field_manipulation","test_keys":{"requests":[{
    "request":{"headers":{"Accept":"*/*","Host":"x"}},
    "response":{"body":"{\"headers_dict\":{\"accept\":[\"*/*\"],\"Host\":[\"x\"],\"Via\":[\"proxy\"]}}"}}]}})");
  EXPECT_EQ(changed.anomaly, true);
}

TEST(OtherTests, InvalidRequestLine) {
  EXPECT_EQ(Score(R"({"test_name":"http_invalid_request_line","test_keys":{"sent":["a","b"],"received":["a","b"]}})").anomaly, false);
  EXPECT_EQ(Score(R"({"test_name":"http_invalid_request_line","test_keys":{"sent":["a","b"],"received":["a","B"]}})").anomaly, true);
  EXPECT_EQ(Score(R"({"test_name":"http_invalid_request_line","test_keys":{}})").failure, true);
}

// OONI's binary values (df-001-httpt; ts-007 for `received`) are scored on their bytes.
TEST(OtherTests, BinaryValuesAreScoredOnTheirDecodedBytes) {
  // "https://web.whatsapp.com/" in base64, as the Location of the http:// request.
  const std::string whatsapp = R"({"test_name":"whatsapp","test_keys":{"requests":[
    {"request":{"url":"http://web.whatsapp.com/"},"failure":null,"response":{"code":302,
     "headers":{"Location":{"format":"base64","data":"aHR0cHM6Ly93ZWIud2hhdHNhcHAuY29tLw=="}}}},
    {"request":{"url":"https://v.whatsapp.net/v2/register"},"failure":null}],
    "tcp_connect":[{"status":{"success":true}}]}})";
  Verdict w = Score(whatsapp);
  EXPECT_EQ(w.anomaly, false) << w.why;
  EXPECT_EQ(w.failure, false) << w.why;
  // The echo of the header test as a binary body; a header sent as a binary value.
  Verdict hhfm = Score(R"({"test_name":"http_header_field_manipulation","test_keys":{"requests":[{
    "request":{"headers":{"Accept":"*/*","Host":{"format":"base64","data":"eA=="}}},
    "response":{"body":{"format":"base64","data":"eyJoZWFkZXJzX2RpY3QiOnsiQWNjZXB0IjpbIiovKiJdLCJIb3N0IjpbIngiXX19"}}}]}})");
  EXPECT_EQ(hhfm.anomaly, false) << hhfm.why;
  // A line that came back as bytes equal to those sent is unchanged.
  Verdict irl = Score(R"({"test_name":"http_invalid_request_line","test_keys":{"sent":["a","b"],
    "received":["a",{"format":"base64","data":"Yg=="}]}})");
  EXPECT_EQ(irl.anomaly, false) << irl.why;
  Verdict altered = Score(R"({"test_name":"http_invalid_request_line","test_keys":{"sent":["a","b"],
    "received":["a",{"format":"base64","data":"AQ05bwxG+MIS9g9MCV8tzSk="}]}})");
  EXPECT_EQ(altered.anomaly, true) << altered.why;
}

TEST(OtherTests, MalformedBinaryValuesGiveNoVerdictNamingTheField) {
  for (const char* json : {
           R"({"test_name":"whatsapp","test_keys":{"requests":[
             {"request":{"url":"http://web.whatsapp.com/"},"failure":null,"response":{"code":302,
              "headers":{"Location":{"format":"base64","data":"%%%"}}}},
             {"request":{"url":"https://v.whatsapp.net/v2/register"},"failure":null}],
             "tcp_connect":[{"status":{"success":true}}]}})",
           R"({"test_name":"http_header_field_manipulation","test_keys":{"requests":[{"request":{"headers":{}},
             "response":{"body":{"format":"rot13","data":"x"}}}]}})",
           R"({"test_name":"http_invalid_request_line","test_keys":{"sent":["a"],"received":[{"format":"base64"}]}})"}) {
    Verdict v = Score(json);
    EXPECT_EQ(v.failure, true) << json << ": " << v.why;
    EXPECT_EQ(v.anomaly, false) << v.why;  // never a blocking verdict from a value Vigil cannot read
    EXPECT_NE(v.why.find("binary value"), std::string::npos) << v.why;
    EXPECT_NE(v.why.find("test_keys."), std::string::npos) << v.why;
  }
}

}  // namespace
}  // namespace vigil::analysis
