#include "measure/measurement_json.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/json_read.h"

namespace vigil::measure {
namespace {

namespace fs = std::filesystem;

std::string SourceDir() {
  const char* d = std::getenv("VIGIL_SOURCE_DIR");
  return d != nullptr ? d : ".";
}

std::vector<std::string> SampleLines() {
  std::ifstream in(SourceDir() + "/data/samples/ooni-sample.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// True when every value in `want` is present with an equal value in `got` (objects may
// have extra keys in `got`; a null in `want` may be absent in `got`).
bool Contains(json::Element want, json::Element got, std::string path, std::string& why) {
  if (auto wo = json::AsObject(want)) {
    auto go = json::AsObject(got);
    if (!go) return why = path + ": not an object", false;
    for (auto [k, v] : *wo) {
      auto g = json::Field(*go, k);
      if (!g) {
        if (v.is_null()) continue;
        return why = path + "." + std::string(k) + ": missing", false;
      }
      if (!Contains(v, *g, path + "." + std::string(k), why)) return false;
    }
    return true;
  }
  if (auto wa = json::AsArray(want)) {
    auto ga = json::AsArray(got);
    if (!ga || ga->size() != wa->size()) return why = path + ": array differs", false;
    for (size_t i = 0; i < wa->size(); ++i) {
      if (!Contains(wa->at(i).value_unsafe(), ga->at(i).value_unsafe(),
                    path + "[" + std::to_string(i) + "]", why))
        return false;
    }
    return true;
  }
  if (auto wd = json::AsDouble(want)) {
    auto gd = json::AsDouble(got);
    if (!gd || std::fabs(*gd - *wd) > 1e-9 * std::max(1.0, std::fabs(*wd)))
      return why = path + ": number differs", false;
    return true;
  }
  if (json::Minify(want) != json::Minify(got)) {
    return why = path + ": " + json::Minify(want) + " != " + json::Minify(got), false;
  }
  return true;
}

TEST(MeasurementJson, RoundTripKeepsEveryFieldOfTheSamples) {
  auto lines = SampleLines();
  ASSERT_GE(lines.size(), 40u) << "data/samples/ooni-sample.jsonl missing";
  MeasurementParser parser;
  simdjson::dom::parser p1, p2;
  for (const auto& line : lines) {
    auto m = parser.Parse(line);
    ASSERT_TRUE(m) << m.error().ToString();
    std::string written = WriteMeasurementJson(*m);
    json::Element want, got;
    ASSERT_EQ(p1.parse(line).get(want), simdjson::SUCCESS);
    ASSERT_EQ(p2.parse(written).get(got), simdjson::SUCCESS) << written.substr(0, 200);
    std::string why;
    EXPECT_TRUE(Contains(want, got, "", why)) << m->test_name << " " << m->report_id << ": " << why;
    // Writing is stable: parse(write(m)) writes the same text again.
    auto again = parser.Parse(written);
    ASSERT_TRUE(again);
    EXPECT_EQ(WriteMeasurementJson(*again), written);
  }
}

TEST(MeasurementJson, ParsesWebConnectivityObservations) {
  MeasurementParser parser;
  bool found = false;
  for (const auto& line : SampleLines()) {
    auto m = parser.Parse(line);
    ASSERT_TRUE(m);
    if (m->input != "http://www.example.com/" || !m->web_connectivity) continue;
    const auto& tk = *m->web_connectivity;
    if (!tk.requests || tk.requests->empty() || !tk.requests->front().response) continue;
    if (tk.requests->front().response->body.bytes->find("Access Denied") == std::string::npos)
      continue;
    found = true;  // httpDiffWithInconsistentDNS
    ASSERT_TRUE(tk.queries);
    EXPECT_GE(tk.queries->size(), 3u);
    ASSERT_TRUE(tk.control && tk.control->dns);
    EXPECT_EQ(tk.control->dns->addrs, std::vector<std::string>{"93.184.216.34"});
    ASSERT_TRUE(tk.control->http_request);
    EXPECT_EQ(tk.control->http_request->body_length, 1533);
    EXPECT_EQ(tk.control->http_request->title, "Default Web Page");
    EXPECT_EQ(tk.blocking.kind, ProbeBlocking::Kind::kString);
    EXPECT_EQ(tk.blocking.value, "dns");
  }
  EXPECT_TRUE(found);
}

TEST(MeasurementJson, UnwrapsTheCollectorEnvelope) {
  MeasurementParser parser;
  auto m = parser.Parse(
      R"({"format":"json","content":{"report_id":"r1","test_name":"tor","test_keys":{"a":1}}})");
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_EQ(m->report_id, "r1");
  EXPECT_EQ(m->test_keys_json, R"({"a":1})");
}

TEST(MeasurementJson, AnalysisOptionsSkipWhatVerdictsDoNotRead) {
  const std::string line = R"({"test_name":"web_connectivity","extra":1,"test_keys":{"requests":[
    {"request":{"method":"GET","url":"http://x/","headers_list":[["Host","x"]],"headers":{"Host":"x"},"body":"q"},
     "response":{"code":200,"headers_list":[["Server","y"]],"body":"<p>r</p>"}}],
    "tls_handshakes":[{"peer_certificates":[{"format":"base64","data":"AP8="}]}]}})";
  MeasurementParser parser;
  auto full = parser.Parse(line);
  ASSERT_TRUE(full) << full.error().ToString();
  const auto& fr = full->web_connectivity->requests->front();
  EXPECT_EQ(fr.request.headers_list.size(), 1u);
  EXPECT_EQ(fr.request.headers.size(), 1u);
  EXPECT_EQ(fr.request.body.bytes, "q");
  EXPECT_EQ(full->web_connectivity->tls_handshakes->front().peer_certificates.size(), 1u);
  EXPECT_EQ(full->extra.size(), 1u);

  ParseOptions lean;  // what Analyzer uses
  lean.keep_unknown = false;
  lean.keep_certificates_and_events = false;
  lean.keep_request_headers_and_body = false;
  auto m = parser.Parse(line, lean);
  ASSERT_TRUE(m) << m.error().ToString();
  const auto& r = m->web_connectivity->requests->front();
  EXPECT_EQ(r.request.method, "GET");
  EXPECT_EQ(r.request.url, "http://x/");
  EXPECT_TRUE(r.request.headers_list.empty());
  EXPECT_TRUE(r.request.headers.empty());
  EXPECT_FALSE(r.request.body.bytes);
  ASSERT_TRUE(r.response);
  EXPECT_EQ(r.response->code, 200);
  EXPECT_EQ(r.response->headers_list.size(), 1u);  // responses are always read in full
  EXPECT_EQ(r.response->body.bytes, "<p>r</p>");
  EXPECT_TRUE(m->web_connectivity->tls_handshakes->front().peer_certificates.empty());
  EXPECT_TRUE(m->extra.empty());
}

TEST(MeasurementJson, TheAnalysisReadsAResponsesHeaderMapOnlyWithoutAList) {
  // The map comes first here, so the parser must wait for the list before it drops it.
  const std::string both = R"({"test_name":"web_connectivity","test_keys":{"requests":[
    {"request":{"url":"http://x/"},"response":{"code":200,"headers":{"Server":"m","Via":["a","b"]},
     "headers_list":[["Server","l"]]}}]}})";
  const std::string map_only = R"({"test_name":"web_connectivity","test_keys":{"requests":[
    {"request":{"url":"http://x/"},"response":{"code":200,"headers":{"Server":"m","Via":["a","b"]}}}]}})";
  const std::string bad_map = R"({"test_name":"web_connectivity","test_keys":{"requests":[
    {"request":{"url":"http://x/"},"response":{"code":200,"headers":{"Server":7},"headers_list":[]}}]}})";
  MeasurementParser parser;
  ParseOptions lean;
  lean.keep_header_map_beside_list = false;
  auto full = parser.Parse(both);
  ASSERT_TRUE(full) << full.error().ToString();
  EXPECT_EQ(full->web_connectivity->requests->front().response->headers.size(), 3u);
  auto m = parser.Parse(both, lean);
  ASSERT_TRUE(m) << m.error().ToString();
  const auto& r = *m->web_connectivity->requests->front().response;
  EXPECT_TRUE(r.headers.empty());
  ASSERT_EQ(r.HeaderPairs().size(), 1u);
  EXPECT_EQ(r.HeaderPairs()[0].second, "l");
  auto only = parser.Parse(map_only, lean);
  ASSERT_TRUE(only) << only.error().ToString();
  const auto& o = *only->web_connectivity->requests->front().response;
  ASSERT_EQ(o.HeaderPairs().size(), 3u);  // Server, and Via twice (the legacy list of values)
  EXPECT_EQ(o.HeaderPairs()[0].second, "m");
  // A map of the wrong shape is still an error, though the list would have been used.
  auto bad = parser.Parse(bad_map, lean);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("test_keys.requests[0].response.headers"), std::string::npos)
      << bad.error().ToString();
}

TEST(MeasurementJson, Base64BodiesAreDecodedAndReencoded) {
  MeasurementParser parser;
  auto m = parser.Parse(R"({"test_name":"web_connectivity","test_keys":{"requests":[
    {"request":{"url":"http://x/"},"response":{"code":200,"body":{"format":"base64","data":"AP8="}}}]}})");
  ASSERT_TRUE(m) << m.error().ToString();
  const auto& body = m->web_connectivity->requests->front().response->body;
  EXPECT_EQ(*body.bytes, std::string("\x00\xff", 2));
  EXPECT_NE(WriteMeasurementJson(*m).find(R"({"format":"base64","data":"AP8="})"),
            std::string::npos);
}

TEST(MeasurementJson, WrongTypesAreErrorsNamingTheField) {
  MeasurementParser parser;
  struct Case {
    const char* json;
    const char* field;
  } cases[] = {
      {R"({"test_name":"web_connectivity","test_keys":{"queries":[{"t":"soon"}]}})",
       "test_keys.queries[0].t"},
      {R"({"test_name":"web_connectivity","test_keys":{"tcp_connect":{"a":1}}})",
       "test_keys.tcp_connect"},
      {R"({"probe_cc":5})", "probe_cc"},
      {R"({"test_name":"web_connectivity","test_keys":{"requests":[{"response":{"body":{"format":"base64","data":"!!"}}}]}})",
       "test_keys.requests[0].response.body"},
      {R"({"test_name":"web_connectivity","test_keys":{"blocking":true}})", "test_keys.blocking"},
  };
  for (const auto& c : cases) {
    auto m = parser.Parse(c.json);
    ASSERT_FALSE(m) << c.json;
    EXPECT_EQ(m.error().failure, "parse_error");
    EXPECT_NE(m.error().message.find(c.field), std::string::npos) << m.error().message;
  }
}

TEST(MeasurementJson, MalformedJsonIsAnError) {
  MeasurementParser parser;
  for (const char* bad : {"", "{", "[1,2]", "{\"a\":}", "nul", "\"x\""}) {
    auto m = parser.Parse(bad);
    EXPECT_FALSE(m) << bad;
  }
}

}  // namespace
}  // namespace vigil::measure
