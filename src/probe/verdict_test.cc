#include "probe/verdict.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "measure/measurement_json.h"
#include "measure/nettests/web_connectivity.h"
#include "net/fake_network.h"
#include "net/test_servers.h"

namespace vigil::probe {
namespace {

namespace asio = boost::asio;
namespace nt = measure::nettests;

class FixedControl final : public nt::ControlClient {
 public:
  explicit FixedControl(measure::Control c) : c_(std::move(c)) {}
  asio::awaitable<Result<measure::Control>> Query(nt::ControlRequest) override { co_return c_; }

 private:
  measure::Control c_;
};

std::string Extra(const measure::WebConnectivityKeys& tk, const std::string& key) {
  for (const auto& [k, v] : tk.extra) {
    if (k == key) return v;
  }
  return "<absent>";
}

// The helper resolved and fetched the site; the probe's connection was refused.
TEST(VerdictWriter, WritesTcpIpBlockingIntoTheTestKeys) {
  asio::io_context io;
  net::FakeNetwork network;
  FakeClock clock;
  net::DnsQueryResult q;
  q.engine = "system";
  q.hostname = "site.example";
  q.answers.push_back({"A", "198.51.100.7", "", "", 60});
  network.ScriptSystemLookup("site.example", q);
  network.ScriptTcpConnect(asio::ip::tcp::endpoint(asio::ip::make_address("198.51.100.7"), 80),
                           {"198.51.100.7", 80, false, "connection_refused", 0, 0});
  net::HttpResult failed;
  failed.failure = "connection_refused";
  net::HttpTransaction t;
  t.request.url = "http://site.example/";
  t.request.method = "GET";
  t.failure = failed.failure;
  failed.requests.push_back(t);
  network.ScriptHttpGet("http://site.example/", failed);
  measure::Control control;
  control.tcp_connect.push_back({"198.51.100.7:80", true, std::nullopt, {}});
  control.dns = measure::ControlDns{std::nullopt, {"198.51.100.7"}, {}};
  control.http_request = measure::ControlHttpRequest{1000, std::nullopt, "Site", {}, 200, {}};
  FixedControl helper(control);
  nt::NettestEnv env;
  env.network = &network;
  env.clock = &clock;
  auto m = net::testing::RunTask(io, nt::RunWebConnectivity(env, &helper, "http://site.example/", {}));

  analysis::AnalysisContext ctx;
  ctx.fingerprints = &analysis::FingerprintDb::Builtin();
  VerdictWriter writer(ctx);
  EXPECT_TRUE(writer.Apply(m));
  const auto& tk = *m.web_connectivity;
  EXPECT_EQ(tk.blocking.kind, measure::ProbeBlocking::Kind::kString);
  EXPECT_EQ(tk.blocking.value, "tcp_ip");
  EXPECT_EQ(Extra(tk, "accessible"), "false");
  const std::string json = measure::WriteMeasurementJson(m);
  EXPECT_NE(json.find(R"("blocking":"tcp_ip")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("accessible":false)"), std::string::npos);
  EXPECT_NE(json.find(R"("probe_ip":"127.0.0.1")"), std::string::npos);
}

}  // namespace
}  // namespace vigil::probe
