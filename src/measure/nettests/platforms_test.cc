#include "measure/nettests/platforms.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "core/json_read.h"
#include "net/fake_network.h"
#include "net/test_servers.h"

namespace vigil::measure::nettests {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using net::testing::RunTask;

tcp::endpoint Ep(const std::string& ip, uint16_t port) {
  return tcp::endpoint(asio::ip::make_address(ip), port);
}

net::HttpResult Response(const std::string& url, int code, net::HeadersList headers = {}) {
  net::HttpResult r;
  net::HttpTransaction t;
  t.request.method = "GET";
  t.request.url = url;
  t.response.code = code;
  t.response.headers_list = std::move(headers);
  r.requests.push_back(t);
  return r;
}

struct Harness {
  asio::io_context io;
  net::FakeNetwork network;
  FakeClock clock;
  NettestEnv env;
  simdjson::dom::parser parser;
  Harness() {
    env.network = &network;
    env.clock = &clock;
    env.test_start = clock.WallNow();
  }
  json::Object Keys(const Measurement& m) {
    EXPECT_TRUE(m.test_keys_json.has_value());
    json::Element e;
    EXPECT_EQ(parser.parse(*m.test_keys_json).get(e), simdjson::SUCCESS) << *m.test_keys_json;
    return *json::AsObject(e);
  }
};

TEST(PlatformConfig, OverridesOnlyTheGivenFields) {
  auto c = ParsePlatformConfig(
      R"({"hosts":{"web.whatsapp.com":"127.0.0.1"},"telegram_ports":[8080],"step_timeout_ms":500})");
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->hosts.at("web.whatsapp.com"), "127.0.0.1");
  EXPECT_EQ(c->telegram_ports, std::vector<uint16_t>{8080});
  EXPECT_EQ(c->step_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c->whatsapp_endpoints.size(), 16u);
  EXPECT_EQ(c->telegram_datacenters.size(), 6u);
  EXPECT_FALSE(ParsePlatformConfig(R"({"nonsense":1})").has_value());
  EXPECT_FALSE(ParsePlatformConfig(R"({"telegram_ports":[70000]})").has_value());
}

TEST(Telegram, ReportsTcpAndHttpBlockingWhenEveryDatacenterFails) {
  Harness h;
  PlatformConfig c;
  c.telegram_datacenters = {"192.0.2.1"};
  c.telegram_ports = {80};
  c.hosts["web.telegram.org"] = "192.0.2.50";
  // Nothing scripted for the data centre: the fake drops it (generic_timeout_error).
  h.network.ScriptHttpGet("https://web.telegram.org/", Response("https://web.telegram.org/", 200));
  auto m = RunTask(h.io, RunTelegram(h.env, c));
  EXPECT_EQ(m.test_name, "telegram");
  EXPECT_EQ(m.input, std::nullopt);
  auto tk = h.Keys(m);
  EXPECT_EQ(json::AsBool(tk["telegram_tcp_blocking"].value_unsafe()), true);
  EXPECT_EQ(json::AsBool(tk["telegram_http_blocking"].value_unsafe()), true);
  EXPECT_EQ(json::StringField(tk, "telegram_web_status"), "ok");
  EXPECT_EQ(json::StringField(tk["x_host_overrides"].get_object().value_unsafe(), "web.telegram.org"),
            "192.0.2.50");
  auto tcp = json::AsArray(tk["tcp_connect"].value_unsafe());
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->size(), 1u);
}

TEST(Whatsapp, AccessibleWhenEndpointsWebAndRegistrationWork) {
  Harness h;
  PlatformConfig c;
  c.whatsapp_endpoints = {"e1.whatsapp.net"};
  c.whatsapp_ports = {443};
  c.hosts["e1.whatsapp.net"] = "192.0.2.1";
  h.network.ScriptTcpConnect(Ep("192.0.2.1", 443), {"192.0.2.1", 443, true, {}, 0, 0});
  h.network.ScriptHttpGet(c.whatsapp_registration_url, Response(c.whatsapp_registration_url, 200));
  h.network.ScriptHttpGet(c.whatsapp_web_https_url, Response(c.whatsapp_web_https_url, 200));
  h.network.ScriptHttpGet(c.whatsapp_web_http_url,
                          Response(c.whatsapp_web_http_url, 302,
                                   {{"Location", "https://web.whatsapp.com/"}}));
  auto m = RunTask(h.io, RunWhatsapp(h.env, c));
  auto tk = h.Keys(m);
  EXPECT_EQ(json::StringField(tk, "whatsapp_endpoints_status"), "ok");
  EXPECT_EQ(json::StringField(tk, "whatsapp_web_status"), "ok");
  EXPECT_EQ(json::StringField(tk, "registration_server_status"), "ok");
  EXPECT_EQ(json::AsArray(tk["requests"].value_unsafe())->size(), 3u);
}

TEST(Signal, BlockedWhenABackendFails) {
  Harness h;
  PlatformConfig c;
  c.signal_urls = {"https://a.signal.test/", "https://b.signal.test/"};
  h.network.ScriptHttpGet("https://a.signal.test/", Response("https://a.signal.test/", 200));
  auto failed = Response("https://b.signal.test/", 0);
  failed.failure = "ssl_invalid_hostname";
  failed.requests[0].failure = failed.failure;
  h.network.ScriptHttpGet("https://b.signal.test/", failed);
  auto tk = h.Keys(RunTask(h.io, RunSignal(h.env, c)));
  EXPECT_EQ(json::StringField(tk, "signal_backend_status"), "blocked");
  EXPECT_EQ(json::StringField(tk, "signal_backend_failure"), "ssl_invalid_hostname");
  EXPECT_TRUE(tk["failed_operation"].is_null());
}

TEST(FacebookMessenger, DnsConsistencyFollowsTheAsn) {
  Harness h;
  PlatformConfig c;
  c.facebook_services = {{"b_api", "b-api.facebook.com"}, {"stun", "stun.fbsbx.com"}};
  c.hosts = {{"b-api.facebook.com", "192.0.2.1"}, {"stun.fbsbx.com", "10.0.0.1"}};
  c.asn_overrides = {{"192.0.2.1", 32934}};
  h.network.ScriptTcpConnect(Ep("192.0.2.1", 443), {"192.0.2.1", 443, true, {}, 0, 0});
  auto tk = h.Keys(RunTask(h.io, RunFacebookMessenger(h.env, c, nullptr)));
  EXPECT_EQ(json::AsBool(tk["facebook_b_api_dns_consistent"].value_unsafe()), true);
  EXPECT_EQ(json::AsBool(tk["facebook_b_api_reachable"].value_unsafe()), true);
  EXPECT_EQ(json::AsBool(tk["facebook_stun_dns_consistent"].value_unsafe()), false);
  EXPECT_EQ(json::AsBool(tk["facebook_dns_blocking"].value_unsafe()), true);
  EXPECT_EQ(json::AsBool(tk["facebook_tcp_blocking"].value_unsafe()), false);
}

}  // namespace
}  // namespace vigil::measure::nettests
