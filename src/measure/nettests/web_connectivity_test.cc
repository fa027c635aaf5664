#include "measure/nettests/web_connectivity.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "measure/measurement_json.h"
#include "net/fake_network.h"
#include "net/test_servers.h"

namespace vigil::measure::nettests {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using net::testing::RunTask;

net::DnsQueryResult SystemAnswer(const std::string& host, std::vector<std::string> ips) {
  net::DnsQueryResult q;
  q.engine = "system";
  q.hostname = host;
  q.query_type = "ANY";
  for (auto& ip : ips) q.answers.push_back({"A", ip, "", "", 60});
  return q;
}

net::DnsQueryResult Failed(const std::string& host, const std::string& failure) {
  net::DnsQueryResult q;
  q.engine = "system";
  q.hostname = host;
  q.query_type = "ANY";
  q.failure = failure;
  return q;
}

tcp::endpoint Ep(const std::string& ip, uint16_t port) {
  return tcp::endpoint(asio::ip::make_address(ip), port);
}

net::HttpResult Page(const std::string& url, const std::string& body, double bytes_per_second) {
  net::HttpResult r;
  net::HttpTransaction t;
  t.request.method = "GET";
  t.request.url = url;
  t.response.code = 200;
  t.response.headers_list = {{"Content-Type", "text/html"}};
  t.response.body.assign(body.begin(), body.end());
  t.body_bytes_per_second = bytes_per_second;
  t.address = "93.184.216.34:80";
  r.requests.push_back(t);
  return r;
}

class FakeControl final : public ControlClient {
 public:
  std::optional<Control> answer;
  std::vector<ControlRequest> requests;
  asio::awaitable<Result<Control>> Query(ControlRequest request) override {
    requests.push_back(request);
    if (!answer) co_return Fail("connection_refused", "helper down");
    co_return *answer;
  }
};

struct Harness {
  asio::io_context io;
  net::FakeNetwork network;
  FakeClock clock;
  NettestEnv env;
  Harness() {
    env.network = &network;
    env.clock = &clock;
    env.probe = {"CM", "AS30992"};
    env.software_version = "0.1.0";
    env.test_start = clock.WallNow();
  }
  Measurement Run(const std::string& url, ControlClient* control, WebConnectivityConfig c = {}) {
    return RunTask(io, RunWebConnectivity(env, control, url, c));
  }
};

TEST(WebConnectivity, WritesOoniEnvelopeWithoutTheVolunteersAddress) {
  Harness h;
  h.network.ScriptSystemLookup("example.org", SystemAnswer("example.org", {"93.184.216.34"}));
  h.network.ScriptTcpConnect(Ep("93.184.216.34", 80), {"93.184.216.34", 80, true, {}, 0, 0});
  h.network.ScriptHttpGet("http://example.org/", Page("http://example.org/", "<title>x</title>", 1e5));
  FakeControl control;
  control.answer.emplace();
  auto m = h.Run("http://example.org/", &control);
  EXPECT_EQ(m.software_name, "vigil");
  EXPECT_EQ(m.test_name, "web_connectivity");
  EXPECT_EQ(m.test_version, "0.4.3");
  EXPECT_EQ(m.probe_cc, "CM");
  EXPECT_EQ(m.probe_asn, "AS30992");
  EXPECT_EQ(m.probe_ip, "127.0.0.1");
  EXPECT_EQ(m.data_format_version, "0.2.0");
  ASSERT_TRUE(m.web_connectivity);
  const auto& tk = *m.web_connectivity;
  ASSERT_EQ(tk.tcp_connect->size(), 1u);
  EXPECT_EQ(*tk.tcp_connect->at(0).success, true);
  ASSERT_EQ(tk.requests->size(), 1u);
  EXPECT_FALSE(tk.http_experiment_failure);
  EXPECT_TRUE(tk.control);
  // The helper was asked about the probe's endpoints with the browser headers.
  ASSERT_EQ(control.requests.size(), 1u);
  EXPECT_EQ(control.requests[0].tcp_connect, std::vector<std::string>{"93.184.216.34:80"});
  EXPECT_EQ(control.requests[0].http_request, "http://example.org/");
  // The JSON round-trips through measure's parser.
  MeasurementParser parser;
  auto back = parser.Parse(WriteMeasurementJson(m));
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(back->probe_ip, "127.0.0.1");
}

TEST(WebConnectivity, RecordsEveryUdpAnswerWhenAnAnswerIsInjected) {
  Harness h;
  h.network.ScriptSystemLookup("blocked.org", SystemAnswer("blocked.org", {"10.10.34.35"}));
  auto forged = SystemAnswer("blocked.org", {"10.10.34.35"});
  forged.engine = "udp";
  forged.resolver_address = "127.0.0.1:53";
  forged.query_type = "A";
  auto real = SystemAnswer("blocked.org", {"198.51.100.7"});
  real.engine = "udp";
  real.resolver_address = "127.0.0.1:53";
  real.query_type = "A";
  h.network.ScriptUdpLookup("blocked.org", net::DnsQueryType::kA, {forged, real});
  auto aaaa = Failed("blocked.org", "dns_no_answer");
  aaaa.engine = "udp";
  aaaa.query_type = "AAAA";
  h.network.ScriptUdpLookup("blocked.org", net::DnsQueryType::kAAAA, {aaaa});
  WebConnectivityConfig c;
  c.udp_resolver = asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 53);
  auto m = h.Run("http://blocked.org/", nullptr, c);
  const auto& q = *m.web_connectivity->queries;
  std::vector<std::string> udp_a;
  for (const auto& query : q) {
    if (query.engine == "udp" && query.query_type == "A") {
      ASSERT_TRUE(query.answers);
      udp_a.push_back(query.answers->at(0).Address());
    }
  }
  EXPECT_EQ(udp_a, (std::vector<std::string>{"10.10.34.35", "198.51.100.7"}));
  EXPECT_EQ(q.size(), 4u);  // system + two A answers + the AAAA failure
  EXPECT_EQ(m.web_connectivity->control_failure, "unknown_failure: no test helper configured");
}

TEST(WebConnectivity, MapsDnsFailure) {
  Harness h;
  h.network.ScriptSystemLookup("nx.example", Failed("nx.example", "dns_nxdomain_error"));
  auto m = h.Run("https://nx.example/", nullptr);
  const auto& tk = *m.web_connectivity;
  EXPECT_EQ(tk.dns_experiment_failure, "dns_nxdomain_error");
  EXPECT_EQ(tk.http_experiment_failure, "dns_nxdomain_error");
  EXPECT_TRUE(tk.tcp_connect->empty());
  EXPECT_TRUE(tk.requests->empty());
}

TEST(WebConnectivity, MapsConnectTlsAndHttpFailures) {
  Harness h;
  h.network.ScriptSystemLookup("site.org", SystemAnswer("site.org", {"192.0.2.1", "192.0.2.2"}));
  net::TlsProbe refused;
  refused.tcp_connect = {"192.0.2.1", 443, false, "connection_refused", 0, 0};
  h.network.ScriptTlsHandshake(Ep("192.0.2.1", 443), "site.org", refused);
  net::TlsProbe reset;
  reset.tcp_connect = {"192.0.2.2", 443, true, {}, 0, 0};
  reset.tls_handshake.emplace();
  reset.tls_handshake->address = "192.0.2.2:443";
  reset.tls_handshake->server_name = "site.org";
  reset.tls_handshake->failure = "connection_reset";
  h.network.ScriptTlsHandshake(Ep("192.0.2.2", 443), "site.org", reset);
  net::HttpResult http;
  net::HttpTransaction t;
  t.request.method = "GET";
  t.request.url = "https://site.org/";
  t.failure = "connection_reset";
  http.requests.push_back(t);
  http.failure = "connection_reset";
  h.network.ScriptHttpGet("https://site.org/", http);
  FakeControl control;  // helper down
  auto m = h.Run("https://site.org/", &control);
  const auto& tk = *m.web_connectivity;
  ASSERT_EQ(tk.tcp_connect->size(), 2u);
  EXPECT_EQ(tk.tcp_connect->at(0).failure, "connection_refused");
  EXPECT_TRUE(*tk.tcp_connect->at(1).success);
  ASSERT_EQ(tk.tls_handshakes->size(), 1u);
  EXPECT_EQ(tk.tls_handshakes->at(0).failure, "connection_reset");
  EXPECT_EQ(tk.tls_handshakes->at(0).server_name, "site.org");
  EXPECT_EQ(tk.http_experiment_failure, "connection_reset");
  EXPECT_EQ(tk.control_failure, "connection_refused");
  EXPECT_FALSE(tk.control);
}

std::string ExtraValue(const WebConnectivityKeys& tk, const std::string& key) {
  for (const auto& [k, v] : tk.extra) {
    if (k == key) return v;
  }
  return "<absent>";
}

TEST(WebConnectivity, FlagsSlowLargeBodiesAsThrottled) {
  Harness h;
  h.network.ScriptSystemLookup("big.org", SystemAnswer("big.org", {"192.0.2.9"}));
  h.network.ScriptTcpConnect(Ep("192.0.2.9", 80), {"192.0.2.9", 80, true, {}, 0, 0});
  h.network.ScriptHttpGet("http://big.org/", Page("http://big.org/", std::string(100000, 'a'), 10000));
  h.network.ScriptSystemLookup("small.org", SystemAnswer("small.org", {"192.0.2.10"}));
  h.network.ScriptTcpConnect(Ep("192.0.2.10", 80), {"192.0.2.10", 80, true, {}, 0, 0});
  h.network.ScriptHttpGet("http://small.org/", Page("http://small.org/", "tiny", 10));
  auto slow = h.Run("http://big.org/", nullptr);
  EXPECT_EQ(ExtraValue(*slow.web_connectivity, "x_download_speed_bps"), "80000");
  EXPECT_EQ(ExtraValue(*slow.web_connectivity, "x_throttled"), "true");
  auto small = h.Run("http://small.org/", nullptr);
  EXPECT_EQ(ExtraValue(*small.web_connectivity, "x_throttled"), "null");
}

TEST(WebConnectivity, ConnectsToIpLiteralsWithoutDns) {
  Harness h;
  h.network.ScriptSystemLookup("127.0.0.1", Failed("127.0.0.1", "dns_no_answer"));
  h.network.ScriptTcpConnect(Ep("127.0.0.1", 8080), {"127.0.0.1", 8080, true, {}, 0, 0});
  h.network.ScriptHttpGet("http://127.0.0.1:8080/a", Page("http://127.0.0.1:8080/a", "ok", 10));
  auto m = h.Run("http://127.0.0.1:8080/a", nullptr);
  EXPECT_EQ(m.web_connectivity->tcp_connect->size(), 1u);
  EXPECT_FALSE(m.web_connectivity->dns_experiment_failure);
}

}  // namespace
}  // namespace vigil::measure::nettests
