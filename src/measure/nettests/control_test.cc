#include "measure/nettests/control.h"

#include <gtest/gtest.h>

namespace vigil::measure::nettests {
namespace {

TEST(ControlRequest, RoundTrips) {
  ControlRequest r;
  r.http_request = "https://example.org/";
  r.http_request_headers = {{"User-Agent", {"x"}}, {"Accept", {"a", "b"}}};
  r.tcp_connect = {"93.184.216.34:443", "[2001:db8::1]:443"};
  auto back = ParseControlRequest(WriteControlRequestJson(r));
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(back->http_request, r.http_request);
  EXPECT_EQ(back->http_request_headers, r.http_request_headers);
  EXPECT_EQ(back->tcp_connect, r.tcp_connect);
}

TEST(ControlRequest, RejectsMalformedRequests) {
  EXPECT_FALSE(ParseControlRequest("not json").has_value());
  EXPECT_FALSE(ParseControlRequest("[]").has_value());
  EXPECT_FALSE(ParseControlRequest(R"({"tcp_connect":[]})").has_value());
  EXPECT_FALSE(ParseControlRequest(R"({"http_request":"http://a/","tcp_connect":[1]})").has_value());
  auto bad = ParseControlRequest(R"({"http_request":"http://a/","http_request_headers":{"A":"b"}})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("http_request_headers.A"), std::string::npos);
}

TEST(ControlResponse, RoundTripsThroughMeasuresSerializer) {
  Control c;
  c.tcp_connect.push_back({"1.2.3.4:443", true, std::nullopt, {}});
  c.tls_handshake.push_back({"1.2.3.4:443", "example.org", false, "ssl_invalid_hostname", {}});
  c.http_request = ControlHttpRequest{1234, std::nullopt, "Example", {{"Server", "x"}}, 200, {}};
  c.dns = ControlDns{std::nullopt, {"1.2.3.4"}, {}};
  c.ip_info.push_back({"1.2.3.4", 15133, kIpResolvedByProbe | kIpResolvedByHelper, {}});
  const std::string json = WriteControlJson(c);
  EXPECT_NE(json.find(R"("ip_info":{"1.2.3.4":{"asn":15133,"flags":3}})"), std::string::npos)
      << json;
  auto back = ParseControlJson(json);
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(back->http_request->body_length, 1234);
  EXPECT_EQ(back->tls_handshake.at(0).failure, "ssl_invalid_hostname");
  EXPECT_EQ(back->dns->addrs, std::vector<std::string>{"1.2.3.4"});
  EXPECT_EQ(back->ip_info.at(0).asn, 15133);
}

}  // namespace
}  // namespace vigil::measure::nettests
