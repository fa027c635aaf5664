#include "helper/helper.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "net/fake_network.h"
#include "net/test_servers.h"

namespace vigil::helper {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using net::testing::RunTask;
using namespace measure::nettests;

tcp::endpoint Ep(const std::string& ip, uint16_t port) {
  return tcp::endpoint(asio::ip::make_address(ip), port);
}

struct Harness {
  asio::io_context io;
  net::FakeNetwork network;
  FakeClock clock;
  TestHelper helper{network, clock,
                    [](std::string_view ip) -> std::optional<uint32_t> {
                      if (ip == "93.184.216.34") return 15133;
                      return std::nullopt;
                    }};
  net::HttpServerResponse Post(std::string body, std::string method = "POST") {
    net::HttpServerRequest r;
    r.method = std::move(method);
    r.target = "/";
    r.body = std::move(body);
    return RunTask(io, helper.Handle(r));
  }
};

TEST(TestHelper, AnswersInOonisFormat) {
  Harness h;
  net::DnsQueryResult q;
  q.engine = "system";
  q.hostname = "example.org";
  q.answers.push_back({"A", "93.184.216.34", "", "", 60});
  h.network.ScriptSystemLookup("example.org", q);
  net::TlsProbe ok;
  ok.tcp_connect = {"93.184.216.34", 443, true, {}, 0, 0};
  ok.tls_handshake.emplace();
  h.network.ScriptTlsHandshake(Ep("93.184.216.34", 443), "example.org", ok);
  net::TlsProbe refused;
  refused.tcp_connect = {"10.0.0.1", 443, false, "connection_refused", 0, 0};
  h.network.ScriptTlsHandshake(Ep("10.0.0.1", 443), "example.org", refused);
  net::HttpResult page;
  net::HttpTransaction t;
  t.response.code = 200;
  t.response.headers_list = {{"Server", "x"}, {"Alt-Svc", "h3=\":443\"; ma=86400"}};
  const std::string body = "<html><TITLE>Example Domain</TITLE></html>";
  t.response.body.assign(body.begin(), body.end());
  page.requests.push_back(t);
  h.network.ScriptHttpGet("https://example.org/", page);

  ControlRequest req;
  req.http_request = "https://example.org/";
  req.tcp_connect = {"10.0.0.1:443"};
  auto r = h.Post(WriteControlRequestJson(req));
  ASSERT_EQ(r.status, 200) << r.body;
  auto c = ParseControlJson(r.body);
  ASSERT_TRUE(c.has_value()) << c.error().ToString() << r.body;
  ASSERT_EQ(c->tcp_connect.size(), 2u);
  EXPECT_EQ(c->tcp_connect[0].endpoint, "10.0.0.1:443");
  EXPECT_FALSE(c->tcp_connect[0].status);
  EXPECT_EQ(c->tcp_connect[0].failure, "connection_refused");
  EXPECT_TRUE(c->tcp_connect[1].status);
  ASSERT_EQ(c->tls_handshake.size(), 1u);
  EXPECT_EQ(c->tls_handshake[0].server_name, "example.org");
  EXPECT_TRUE(c->tls_handshake[0].status);
  EXPECT_EQ(c->http_request->status_code, 200);
  EXPECT_EQ(c->http_request->title, "Example Domain");
  EXPECT_EQ(c->http_request->body_length, static_cast<int64_t>(body.size()));
  EXPECT_NE(r.body.find(R"("discovered_h3_endpoint":"example.org:443")"), std::string::npos);
  EXPECT_EQ(c->dns->addrs, std::vector<std::string>{"93.184.216.34"});
  ASSERT_EQ(c->ip_info.size(), 2u);
  for (const auto& info : c->ip_info) {
    if (info.ip == "10.0.0.1") {
      EXPECT_EQ(info.flags, kIpResolvedByProbe | kIpIsBogon);
    } else {
      EXPECT_EQ(info.asn, 15133);
      EXPECT_EQ(info.flags, kIpResolvedByHelper | kIpValidForDomain);
    }
  }
}

TEST(TestHelper, ReportsNxdomainAsOonisHelperDoes) {
  Harness h;
  net::DnsQueryResult q;
  q.engine = "system";
  q.hostname = "nx.example";
  q.failure = "dns_nxdomain_error";
  h.network.ScriptSystemLookup("nx.example", q);
  net::HttpResult page;
  page.failure = "dns_nxdomain_error";
  h.network.ScriptHttpGet("http://nx.example/", page);
  auto r = h.Post(R"({"http_request":"http://nx.example/","http_request_headers":{},"tcp_connect":[]})");
  ASSERT_EQ(r.status, 200);
  auto c = ParseControlJson(r.body);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->dns->failure, "dns_name_error");
  EXPECT_EQ(c->http_request->failure, "dns_nxdomain_error");
  EXPECT_EQ(c->http_request->status_code, -1);
  EXPECT_EQ(c->http_request->body_length, -1);
}

TEST(TestHelper, RejectsMalformedRequestsWithJson400) {
  Harness h;
  for (const char* body : {"", "{", "[]", R"({"http_request":42})",
                           R"({"http_request":"ftp://x/"})",
                           R"({"http_request":"http://a/","tcp_connect":"x"})"}) {
    auto r = h.Post(body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.body.rfind("{\"error\":", 0), 0u) << r.body;
  }
  EXPECT_EQ(h.Post("{}", "GET").status, 405);
}

TEST(ExtractTitle, FollowsOonisRule) {
  EXPECT_EQ(ExtractTitle("<title>a</title>"), "a");
  EXPECT_EQ(ExtractTitle("<TiTlE>Hello</tItLe>"), "Hello");
  EXPECT_EQ(ExtractTitle("<title></title>"), "");
  EXPECT_EQ(ExtractTitle("<title>" + std::string(129, 'x') + "</title>"), "");
  EXPECT_EQ(ExtractTitle("no title"), "");
}

}  // namespace
}  // namespace vigil::helper
