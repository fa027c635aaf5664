// OONI's binary values (df-001-httpt "MaybeBinaryData"): a string, or
// {"format":"base64","data":"..."}. Accepted where the specification allows them (HTTP
// header values in `headers` and `headers_list`, HTTP bodies, TLS certificates), decoded
// into the model, written back losslessly; refused with an error naming the field and
// the reason everywhere else and when malformed.
#include <gtest/gtest.h>

#include "measure/measurement_json.h"

namespace vigil::measure {
namespace {

// A web_connectivity measurement whose only request has `response` as its response.
std::string WithResponse(const std::string& response) {
  return R"({"test_name":"web_connectivity","test_keys":{"requests":[{"request":{"url":"http://x/"},"response":)" +
         response + "}]}}";
}

// "Protected by WireFilter" and the byte 0xAE alone (Latin-1 "®": not UTF-8).
constexpr char kWireFilterB64[] = "UHJvdGVjdGVkIGJ5IFdpcmVGaWx0ZXIgrg==";
const std::string kWireFilterBytes = "Protected by WireFilter \xae";

TEST(BinaryValues, HeaderValuesInTheListAndTheMapAreDecoded) {
  const std::string json = WithResponse(std::string(R"({"code":200,"headers_list":[["Server",{"format":"base64","data":")") +
                                        kWireFilterB64 + R"("}],["Via","1.1 proxy"]],
      "headers":{"Server":{"format":"base64","data":")" + kWireFilterB64 + R"("},"Via":"1.1 proxy",
                 "X-Legacy":["a",{"format":"base64","data":"Yg=="}]}})");
  MeasurementParser parser;
  auto m = parser.Parse(json);
  ASSERT_TRUE(m) << m.error().ToString();
  const auto& r = *m->web_connectivity->requests->front().response;
  ASSERT_EQ(r.headers_list.size(), 2u);
  EXPECT_EQ(r.headers_list[0].first, "Server");
  EXPECT_EQ(r.headers_list[0].second, kWireFilterBytes);
  EXPECT_EQ(r.headers_list[1].second, "1.1 proxy");
  ASSERT_EQ(r.headers.size(), 4u);  // Server, Via and X-Legacy twice (the legacy list of values)
  EXPECT_EQ(r.headers[0].second, kWireFilterBytes);
  EXPECT_EQ(r.headers[2].second, "a");
  EXPECT_EQ(r.headers[3].second, "b");

  // The lean options of the analysis read the list and only check the map: the same values.
  ParseOptions lean;
  lean.keep_unknown = false;
  lean.keep_header_map_beside_list = false;
  auto l = parser.Parse(json, lean);
  ASSERT_TRUE(l) << l.error().ToString();
  EXPECT_EQ(l->web_connectivity->requests->front().response->HeaderPairs()[0].second, kWireFilterBytes);
}

TEST(BinaryValues, TheMapAloneAsOoniprobeAndroidWroteItIn2017) {
  // Measurement Kit's shape: a header map only, binary values where a value was not UTF-8.
  const std::string json = WithResponse(R"({"code":403,"headers":{"Content-Type":"text/html",
      "Server":{"data":"UHJvdGVjdGVkIGJ5IFdpcmVGaWx0ZXIgrg==","format":"base64"}},"body":"x"})");
  MeasurementParser parser;
  ParseOptions lean;
  lean.keep_header_map_beside_list = false;
  auto m = parser.Parse(json, lean);
  ASSERT_TRUE(m) << m.error().ToString();
  const auto& pairs = m->web_connectivity->requests->front().response->HeaderPairs();
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[1].second, kWireFilterBytes);
}

TEST(BinaryValues, RequestHeadersAndBodiesToo) {
  const std::string json = R"({"test_name":"web_connectivity","test_keys":{"requests":[{"request":{"url":"http://x/",
      "headers_list":[["Cookie",{"format":"base64","data":"/w=="}]],"headers":{"Cookie":{"format":"base64","data":"/w=="}},
      "body":{"format":"base64","data":"AAE="}},"response":null}]}})";
  MeasurementParser parser;
  auto m = parser.Parse(json);
  ASSERT_TRUE(m) << m.error().ToString();
  const auto& q = m->web_connectivity->requests->front().request;
  EXPECT_EQ(q.headers_list[0].second, "\xff");
  EXPECT_EQ(q.headers[0].second, "\xff");
  EXPECT_EQ(*q.body.bytes, std::string("\x00\x01", 2));
}

TEST(BinaryValues, WritingKeepsTheBytes) {
  // A value that is not UTF-8 goes back in the binary form (as OONI Probe writes it); one that
  // is UTF-8 is a plain string, which df-001 makes the same value.
  const std::string json = WithResponse(std::string(R"({"code":200,"headers_list":[["Server",{"format":"base64","data":")") +
                                        kWireFilterB64 + R"("}],["Via",{"format":"base64","data":"MS4xIHByb3h5"}]],
      "headers":{"Server":{"format":"base64","data":")" + kWireFilterB64 + R"("}},
      "body":{"format":"base64","data":"H4sIAAAAAAAAA8tIzcnJBwCGphA2BQAAAA=="}})");
  MeasurementParser parser;
  auto m = parser.Parse(json);
  ASSERT_TRUE(m) << m.error().ToString();
  const std::string written = WriteMeasurementJson(*m);
  EXPECT_NE(written.find(std::string(R"(["Server",{"format":"base64","data":")") + kWireFilterB64 + "\"}]"),
            std::string::npos)
      << written;
  EXPECT_NE(written.find(R"(["Via","1.1 proxy"])"), std::string::npos) << written;
  EXPECT_NE(written.find(std::string(R"("Server":{"format":"base64","data":")") + kWireFilterB64), std::string::npos)
      << written;
  auto again = parser.Parse(written);
  ASSERT_TRUE(again) << again.error().ToString();
  const auto& r = *again->web_connectivity->requests->front().response;
  EXPECT_EQ(r.headers_list[0].second, kWireFilterBytes);
  EXPECT_EQ(r.headers[0].second, kWireFilterBytes);
  EXPECT_EQ(r.body.bytes->substr(0, 2), "\x1f\x8b");  // a gzip body, byte for byte
  EXPECT_EQ(WriteMeasurementJson(*again), written);
}

TEST(BinaryValues, BytesThatAreNotUtf8AreNeverReplaced) {
  // A body or header the model holds as bytes (a probe's own fetch) that is not UTF-8 is
  // written in the binary form even when it was not read as one.
  Measurement m;
  m.test_name = "web_connectivity";
  m.web_connectivity.emplace();
  HttpTransaction t;
  t.request.url = "http://x/";
  HttpResponse r;
  r.code = 200;
  r.headers_list = {{"Server", kWireFilterBytes}};
  r.body.bytes = std::string("\xc3\x28 bad", 6);  // an invalid two-byte sequence
  t.response = r;
  m.web_connectivity->requests.emplace().push_back(t);
  MeasurementParser parser;
  auto back = parser.Parse(WriteMeasurementJson(m));
  ASSERT_TRUE(back) << back.error().ToString();
  const auto& rb = *back->web_connectivity->requests->front().response;
  EXPECT_EQ(rb.headers_list[0].second, kWireFilterBytes);
  EXPECT_EQ(*rb.body.bytes, std::string("\xc3\x28 bad", 6));
}

TEST(BinaryValues, MalformedBinaryValuesAreErrorsSayingWhatIsWrong) {
  struct Case {
    std::string json;
    std::string field;  // the path in the message
    std::string why;    // and the reason
  } cases[] = {
      {WithResponse(R"({"headers_list":[["Server",{"format":"base64","data":"!!!"}]]})"),
       "test_keys.requests[0].response.headers_list", "invalid base64"},
      {WithResponse(R"({"headers_list":[["Server",{"format":"hex","data":"00"}]]})"),
       "test_keys.requests[0].response.headers_list", "unknown format \"hex\""},
      {WithResponse(R"({"headers_list":[["Server",{"data":"AA=="}]]})"),
       "test_keys.requests[0].response.headers_list", "\"format\""},
      {WithResponse(R"({"headers_list":[["Server",{"format":"base64"}]]})"),
       "test_keys.requests[0].response.headers_list", "\"data\""},
      {WithResponse(R"({"headers_list":[["Server",{"format":"base64","data":7}]]})"),
       "test_keys.requests[0].response.headers_list", "\"data\""},
      {WithResponse(R"({"headers_list":[["Server",{"format":1,"data":"AA=="}]]})"),
       "test_keys.requests[0].response.headers_list", "\"format\""},
      {WithResponse(R"({"headers_list":[["Server",7]]})"), "test_keys.requests[0].response.headers_list",
       "expected a string or a binary value"},
      {WithResponse(R"({"headers_list":[["Server",["a"]]]})"), "test_keys.requests[0].response.headers_list",
       "expected a string or a binary value"},
      {WithResponse(R"({"headers":{"Server":{"format":"base64","data":"A"}}})"),
       "test_keys.requests[0].response.headers", "invalid base64"},
      {WithResponse(R"({"headers":{"Server":true}})"), "test_keys.requests[0].response.headers",
       "expected a string or a binary value"},
      {WithResponse(R"({"headers":{"Via":["a",5]}})"), "test_keys.requests[0].response.headers",
       "expected a string or a binary value"},
      {WithResponse(R"({"body":{"format":"base64","data":"@@@@"}})"), "test_keys.requests[0].response.body",
       "invalid base64"},
      {WithResponse(R"({"body":{"format":"gzip","data":"AA=="}})"), "test_keys.requests[0].response.body",
       "unknown format \"gzip\""},
      {WithResponse(R"({"body":12})"), "test_keys.requests[0].response.body", "expected a string"},
      {R"({"test_name":"web_connectivity","test_keys":{"tls_handshakes":[{"peer_certificates":[{"format":"base64","data":"%%"}]}]}})",
       "test_keys.tls_handshakes[0].peer_certificates", "invalid base64"},
  };
  MeasurementParser parser;
  for (const auto& c : cases) {
    auto m = parser.Parse(c.json);
    ASSERT_FALSE(m) << c.json;
    EXPECT_EQ(m.error().failure, "parse_error");
    EXPECT_NE(m.error().message.find(c.field), std::string::npos) << m.error().message;
    EXPECT_NE(m.error().message.find(c.why), std::string::npos) << m.error().message;
  }
}

TEST(BinaryValues, RefusedWhereTheSpecificationAllowsNone) {
  // df-001 makes header names strings (only values may be binary); df-002's answers and
  // the test helper's answer (ts-017 "control") have string fields only.
  struct Case {
    std::string json;
    std::string field;
  } cases[] = {
      {WithResponse(R"({"headers_list":[[{"format":"base64","data":"U2VydmVy"},"x"]]})"),
       "test_keys.requests[0].response.headers_list"},
      {R"({"test_name":"web_connectivity","test_keys":{"queries":[{"answers":[{"answer_type":"A","ipv4":{"format":"base64","data":"AQIDBA=="}}]}]}})",
       "test_keys.queries[0].answers.ipv4"},
      {R"({"test_name":"web_connectivity","test_keys":{"queries":[{"hostname":{"format":"base64","data":"eA=="}}]}})",
       "test_keys.queries[0].hostname"},
      {R"({"test_name":"web_connectivity","test_keys":{"control":{"http_request":{"headers":{"Server":{"format":"base64","data":"eA=="}}}}}})",
       "test_keys.control.http_request.headers"},
      {R"({"test_name":"web_connectivity","test_keys":{"requests":[{"request":{"url":{"format":"base64","data":"eA=="}}}]}})",
       "test_keys.requests[0].request.url"},
  };
  MeasurementParser parser;
  for (const auto& c : cases) {
    auto m = parser.Parse(c.json);
    ASSERT_FALSE(m) << c.json;
    EXPECT_NE(m.error().message.find(c.field), std::string::npos) << m.error().message;
    EXPECT_NE(m.error().message.find("binary"), std::string::npos)
        << "the refusal should say binary values are not allowed here: " << m.error().message;
  }
}

}  // namespace
}  // namespace vigil::measure
