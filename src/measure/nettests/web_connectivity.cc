#include "measure/nettests/web_connectivity.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

#include "core/json_writer.h"
#include "core/url.h"
#include "measure/nettests/observations.h"
#include "net/address.h"

namespace vigil::measure::nettests {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

void AddAddresses(const net::DnsQueryResult& q, std::vector<std::string>& addrs) {
  for (const auto& a : q.answers) {
    const std::string& ip = a.answer_type == "A" ? a.ipv4 : a.answer_type == "AAAA" ? a.ipv6 : "";
    if (!ip.empty() && std::find(addrs.begin(), addrs.end(), ip) == addrs.end()) {
      addrs.push_back(ip);
    }
  }
}

std::optional<tcp::endpoint> Endpoint(const std::string& ip, uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(ip, ec);
  if (ec) return std::nullopt;
  return tcp::endpoint(address, port);
}

std::string Raw(double v) {
  std::string out;
  JsonWriter(out).Double(v);
  return out;
}

}  // namespace

const net::HeadersList& BrowserHeaders() {
  static const net::HeadersList kHeaders = {
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
      {"Accept-Language", "en-US,en;q=0.9"},
      {"User-Agent",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/114.0.0.0 Safari/537.36"},
  };
  return kHeaders;
}

asio::awaitable<Measurement> RunWebConnectivity(const NettestEnv& env, ControlClient* control,
                                                std::string url, WebConnectivityConfig config) {
  const auto start = env.clock->MonoNow();
  net::Timeline timeline(*env.clock, start);
  Measurement m = NewMeasurement(env, "web_connectivity", kWebConnectivityVersion, url);
  WebConnectivityKeys tk;
  Observations obs;
  const auto parsed = ParseUrl(url);
  if (!parsed || (parsed->scheme != "http" && parsed->scheme != "https") ||
      parsed->host.empty()) {
    tk.http_experiment_failure = "unknown_failure: unsupported URL";
    tk.dns_experiment_failure = tk.http_experiment_failure;
    tk.control_failure = tk.http_experiment_failure;
  } else {
    const Url& u = *parsed;
    const bool https = u.scheme == "https";

    // 1. DNS.
    std::vector<std::string> addrs;
    std::optional<std::string> dns_failure;
    if (config.use_system_resolver) {
      auto q = co_await env.network->LookupSystem(u.host, timeline);
      obs.Add(q);
      if (q.failure) dns_failure = q.failure;
      AddAddresses(q, addrs);
    }
    if (config.udp_resolver) {
      std::vector<std::string> udp_addrs;
      std::optional<std::string> udp_failure;
      for (auto type : {net::DnsQueryType::kA, net::DnsQueryType::kAAAA}) {
        if (u.HostIsIpLiteral()) break;
        auto results = co_await env.network->LookupUdp(u.host, type, *config.udp_resolver, timeline);
        if (!results) {
          udp_failure = results.error().failure;
          continue;
        }
        for (const auto& r : *results) {
          obs.Add(r);
          if (r.failure && type == net::DnsQueryType::kA) udp_failure = r.failure;
          AddAddresses(r, udp_addrs);
        }
      }
      if (!config.use_system_resolver) {
        addrs = udp_addrs;
        if (udp_addrs.empty()) dns_failure = udp_failure.value_or("dns_no_answer");
      }
    }
    if (u.HostIsIpLiteral() && addrs.empty()) {
      addrs.push_back(u.host);
      dns_failure.reset();
    }
    if (addrs.empty()) tk.dns_experiment_failure = dns_failure.value_or("dns_no_answer");

    // 2. The helper's view.
    std::vector<std::string> endpoints;
    for (const auto& ip : addrs) {
      if (auto ep = Endpoint(ip, u.port)) endpoints.push_back(net::FormatEndpoint(*ep));
    }
    if (control == nullptr) {
      tk.control_failure = "unknown_failure: no test helper configured";
    } else {
      ControlRequest request;
      request.http_request = url;
      for (const auto& [k, v] : BrowserHeaders()) request.http_request_headers.push_back({k, {v}});
      request.tcp_connect = endpoints;
      auto answer = co_await control->Query(std::move(request));
      if (answer) tk.control = std::move(*answer);
      else tk.control_failure = answer.error().failure;
    }

    // 3. Connect to every address, one at a time; TLS for https.
    std::optional<tcp::endpoint> first_ok;
    for (const auto& ip : addrs) {
      auto ep = Endpoint(ip, u.port);
      if (!ep) continue;
      bool ok = false;
      if (https) {
        net::TlsOptions tls;
        // No SNI for an IP literal (RFC 6066 §3); the certificate is still checked against it.
        tls.server_name = u.HostIsIpLiteral() ? "" : u.host;
        tls.verify_hostname = u.host;
        tls.alpn = {"h2", "http/1.1"};
        tls.timeout = config.step_timeout;
        auto probe = co_await env.network->TlsHandshake(*ep, tls, timeline);
        obs.Add(probe);
        ok = probe.tcp_connect.success;
      } else {
        auto c = co_await env.network->TcpConnect(*ep, timeline);
        obs.Add(c);
        ok = c.success;
      }
      if (ok && !first_ok) first_ok = ep;
    }

    // 4. GET with redirects.
    if (!addrs.empty()) {
      net::HttpOptions http;
      http.headers = BrowserHeaders();
      http.max_body_bytes = config.max_body_bytes;
      http.connect_timeout = config.step_timeout;
      http.tls_timeout = config.step_timeout;
      http.io_timeout = config.step_timeout;
      http.overall_timeout = config.http_overall_timeout;
      http.first_hop_address = first_ok ? first_ok : Endpoint(addrs.front(), u.port);
      auto result = co_await env.network->HttpGet(url, http, timeline);
      // As in OONI's v0.4, tcp_connect lists only step 3's connects (the verdict counts them);
      // the fetch's own connections show in network_events.
      result.tcp_connect.clear();
      obs.Add(result);
      tk.http_experiment_failure = result.failure;
      std::optional<double> bps;
      std::size_t body_bytes = 0;
      if (!result.requests.empty()) {
        const auto& last = result.requests.front();
        body_bytes = last.response.body.size();
        if (last.body_bytes_per_second) bps = *last.body_bytes_per_second * 8.0;
      }
      tk.extra.emplace_back("x_download_speed_bps", bps ? Raw(*bps) : "null");
      const char* throttled = "null";
      if (bps && body_bytes >= config.throttle_min_bytes) {
        throttled = *bps < config.throttle_threshold_bps ? "true" : "false";
      }
      tk.extra.emplace_back("x_throttled", throttled);
    } else {
      tk.http_experiment_failure = tk.dns_experiment_failure;
    }
  }
  tk.queries = std::move(obs.queries);
  tk.tcp_connect = std::move(obs.tcp_connect);
  tk.tls_handshakes = std::move(obs.tls_handshakes);
  tk.requests = std::move(obs.requests);
  tk.network_events = std::move(obs.network_events);
  m.web_connectivity = std::move(tk);
  m.test_runtime = std::chrono::duration<double>(env.clock->MonoNow() - start).count();
  co_return m;
}

}  // namespace vigil::measure::nettests
