// Web Connectivity over the real network stack, on 127.0.0.0/8 only: a scriptable DNS server
// whose forged answer (127.0.0.2, where nothing listens) races the real one (127.0.0.1), and a
// local website served by HttpServer.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "measure/nettests/web_connectivity.h"
#include "net/http_server.h"
#include "net/network.h"
#include "net/test_servers.h"

namespace vigil::measure::nettests {
namespace {

namespace asio = boost::asio;
using net::testing::RunTask;

// The QTYPE of a DNS query (after the header and the QNAME labels); 0 when malformed.
int QueryType(const net::Bytes& q) {
  std::size_t i = 12;
  while (i < q.size() && q[i] != 0) i += std::size_t{q[i]} + 1;
  if (i + 2 >= q.size()) return 0;
  return (q[i + 1] << 8) | q[i + 2];
}

TEST(WebConnectivityLoopback, RecordsTheInjectedAndTheRealAnswerAndConnectsToBoth) {
  asio::io_context io;
  net::testing::DnsTestServer dns(io, [](const net::Bytes& query) -> std::vector<net::Bytes> {
    if (QueryType(query) != 1) return {net::testing::MakeDnsResponse(query, 0, {})};
    return {net::testing::MakeDnsResponse(query, 0, {"site.test. 60 IN A 127.0.0.2"}),
            net::testing::MakeDnsResponse(query, 0, {"site.test. 60 IN A 127.0.0.1"})};
  });
  auto site = net::HttpServer::Create(
      io.get_executor(), "127.0.0.1:0",
      [](const net::HttpServerRequest&) -> asio::awaitable<net::HttpServerResponse> {
        net::HttpServerResponse r;
        r.content_type = "text/html";
        r.body = "<title>Site</title>" + std::string(70000, 'x');
        co_return r;
      });
  ASSERT_TRUE(site.has_value());
  (*site)->Start();
  auto network = net::RealNetwork::Create();
  ASSERT_TRUE(network.has_value());
  NettestEnv env;
  env.network = network->get();
  env.clock = &RealClock::Instance();
  WebConnectivityConfig config;
  config.use_system_resolver = false;
  config.udp_resolver = dns.endpoint();
  config.step_timeout = std::chrono::milliseconds(3000);
  const std::string url = "http://site.test:" + std::to_string((*site)->port()) + "/";
  auto m = RunTask(io, RunWebConnectivity(env, nullptr, url, config));
  RunTask(io, [](net::HttpServer& s) -> asio::awaitable<int> {
    co_await s.Stop();
    co_return 0;
  }(**site));

  const auto& tk = *m.web_connectivity;
  std::vector<std::string> a_answers;
  for (const auto& q : *tk.queries) {
    if (q.query_type == "A" && q.answers) {
      for (const auto& a : *q.answers) a_answers.push_back(a.Address());
    }
  }
  EXPECT_EQ(a_answers, (std::vector<std::string>{"127.0.0.2", "127.0.0.1"}));
  ASSERT_EQ(tk.tcp_connect->size(), 2u);
  EXPECT_EQ(tk.tcp_connect->at(0).ip, "127.0.0.2");
  EXPECT_EQ(tk.tcp_connect->at(0).failure, "connection_refused");
  EXPECT_EQ(tk.tcp_connect->at(1).ip, "127.0.0.1");
  EXPECT_TRUE(*tk.tcp_connect->at(1).success);
  // The GET went to the address that answered.
  EXPECT_FALSE(tk.http_experiment_failure) << *tk.http_experiment_failure;
  ASSERT_FALSE(tk.requests->empty());
  EXPECT_EQ(tk.requests->front().response->code, 200);
  bool has_speed = false;
  for (const auto& [k, v] : tk.extra) has_speed = has_speed || (k == "x_download_speed_bps" && v != "null");
  EXPECT_TRUE(has_speed);
}

}  // namespace
}  // namespace vigil::measure::nettests
