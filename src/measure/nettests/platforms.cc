#include "measure/nettests/platforms.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

#include "core/failure.h"
#include "core/json_read.h"
#include "core/json_writer.h"
#include "core/url.h"
#include "measure/nettests/observations.h"
#include "measure/nettests/run_all.h"
#include "measure/nettests/web_connectivity.h"
#include "net/address.h"

namespace vigil::measure::nettests {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// One platform test run: its observations and the host overrides it used.
struct Run {
  const NettestEnv& env;
  const PlatformConfig& config;
  net::Timeline timeline;
  Observations obs;
  std::map<std::string, std::string> overrides_used;

  Run(const NettestEnv& e, const PlatformConfig& c)
      : env(e), config(c), timeline(*e.clock) {}
};

bool IsIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

struct Resolved {
  std::vector<std::string> addrs;
  std::optional<std::string> failure;
};

asio::awaitable<Resolved> Resolve(Run& run, const std::string& host) {
  Resolved r;
  if (IsIpLiteral(host)) {
    r.addrs.push_back(host);
    co_return r;
  }
  if (auto it = run.config.hosts.find(host); it != run.config.hosts.end()) {
    run.overrides_used[host] = it->second;
    r.addrs.push_back(it->second);
    co_return r;
  }
  auto q = co_await run.env.network->LookupSystem(host, run.timeline);
  run.obs.Add(q);
  r.failure = q.failure;
  for (const auto& a : q.answers) {
    if (a.answer_type == "A") r.addrs.push_back(a.ipv4);
  }
  for (const auto& a : q.answers) {
    if (a.answer_type == "AAAA") r.addrs.push_back(a.ipv6);
  }
  if (r.addrs.empty() && !r.failure) r.failure = std::string(failure::kDnsNoAnswer);
  co_return r;
}

struct Outcome {
  bool ok = false;
  std::optional<std::string> failure;
};

// Connects to host:port, trying up to four resolved addresses until one works.
asio::awaitable<Outcome> ConnectAny(Run& run, const std::string& host, uint16_t port) {
  auto resolved = co_await Resolve(run, host);
  Outcome out;
  out.failure = resolved.failure;
  std::size_t tried = 0;
  for (const auto& ip : resolved.addrs) {
    if (tried++ == 4) break;
    boost::system::error_code ec;
    auto address = asio::ip::make_address(ip, ec);
    if (ec) continue;
    auto c = co_await run.env.network->TcpConnect(tcp::endpoint(address, port), run.timeline);
    run.obs.Add(c);
    out.ok = c.success;
    out.failure = c.failure;
    if (c.success) break;
  }
  co_return out;
}

// GETs url; the first hop goes to an overridden address when the host has one.
asio::awaitable<net::HttpResult> Get(Run& run, const std::string& url, int max_redirects) {
  net::HttpOptions http;
  http.headers = BrowserHeaders();
  http.max_redirects = max_redirects;
  http.connect_timeout = run.config.step_timeout;
  http.tls_timeout = run.config.step_timeout;
  http.io_timeout = run.config.step_timeout;
  http.overall_timeout = run.config.step_timeout * 3;
  if (auto u = ParseUrl(url)) {
    if (auto it = run.config.hosts.find(u->host); it != run.config.hosts.end()) {
      run.overrides_used[u->host] = it->second;
      boost::system::error_code ec;
      auto address = asio::ip::make_address(it->second, ec);
      if (!ec) http.first_hop_address = tcp::endpoint(address, u->port);
    }
  }
  auto result = co_await run.env.network->HttpGet(url, http, run.timeline);
  run.obs.Add(result);
  co_return result;
}

void WriteObservations(JsonWriter& w, const Run& run) {
  for (const auto& [key, json] : ObservationsJson(run.obs)) w.Key(key).Raw(json);
  w.Key("x_host_overrides").BeginObject();
  for (const auto& [host, ip] : run.overrides_used) w.Key(host).String(ip);
  w.EndObject();
}

Measurement Finish(const Run& run, Measurement m, std::string test_keys,
                   Clock::MonoTime start) {
  m.test_keys_json = std::move(test_keys);
  m.test_runtime = std::chrono::duration<double>(run.env.clock->MonoNow() - start).count();
  return m;
}

bool HasHeader(const net::HttpTransaction& t, std::string_view name, std::string_view value) {
  for (const auto& [k, v] : t.response.headers_list) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }) &&
        v == value) {
      return true;
    }
  }
  return false;
}

}  // namespace

PlatformConfig::PlatformConfig() {
  for (int i = 1; i <= 16; ++i) whatsapp_endpoints.push_back(fmt::format("e{}.whatsapp.net", i));
}

bool IsPlatformTest(std::string_view t) {
  return t == "whatsapp" || t == "telegram" || t == "signal" || t == "facebook_messenger";
}

Result<PlatformConfig> ParsePlatformConfig(std::string_view text) {
  simdjson::dom::parser parser;
  json::Element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) {
    return Fail(std::string(failure::kParseError), "the platform config is not JSON");
  }
  auto obj = json::AsObject(root);
  if (!obj) return Fail(std::string(failure::kParseError), "the platform config must be an object");
  PlatformConfig c;
  auto bad = [](std::string_view key, std::string_view what) {
    return Fail(std::string(failure::kParseError), fmt::format("{}: expected {}", key, what));
  };
  for (const auto& field : *obj) {
    // Plain variables, not structured bindings: clang 14 (the fuzz preset) cannot capture
    // those in the lambdas below.
    const std::string_view key = field.key;
    const json::Element value = field.value;
    auto strings = [&](std::vector<std::string>& out) -> bool {
      auto arr = json::AsArray(value);
      if (!arr) return false;
      out.clear();
      for (json::Element e : *arr) {
        auto s = json::AsString(e);
        if (!s) return false;
        out.emplace_back(*s);
      }
      return true;
    };
    auto ports = [&](std::vector<uint16_t>& out) -> bool {
      auto arr = json::AsArray(value);
      if (!arr) return false;
      out.clear();
      for (json::Element e : *arr) {
        auto i = json::AsInt(e);
        if (!i || *i <= 0 || *i > 65535) return false;
        out.push_back(static_cast<uint16_t>(*i));
      }
      return true;
    };
    auto string = [&](std::string& out) -> bool {
      auto s = json::AsString(value);
      if (!s) return false;
      out = std::string(*s);
      return true;
    };
    if (key == "hosts" || key == "facebook_services") {
      auto o = json::AsObject(value);
      if (!o) return bad(key, "an object of strings");
      if (key == "facebook_services") c.facebook_services.clear();
      for (auto [k, v] : *o) {
        auto s = json::AsString(v);
        if (!s) return bad(key, "an object of strings");
        if (key == "hosts") c.hosts[std::string(k)] = std::string(*s);
        else c.facebook_services.emplace_back(std::string(k), std::string(*s));
      }
    } else if (key == "asn_overrides") {
      auto o = json::AsObject(value);
      if (!o) return bad(key, "an object of AS numbers");
      for (auto [k, v] : *o) {
        auto i = json::AsInt(v);
        if (!i) return bad(key, "an object of AS numbers");
        c.asn_overrides[std::string(k)] = *i;
      }
    } else if (key == "whatsapp_endpoints") {
      if (!strings(c.whatsapp_endpoints)) return bad(key, "an array of hostnames");
    } else if (key == "whatsapp_ports") {
      if (!ports(c.whatsapp_ports)) return bad(key, "an array of ports");
    } else if (key == "whatsapp_registration_url") {
      if (!string(c.whatsapp_registration_url)) return bad(key, "a URL");
    } else if (key == "whatsapp_web_https_url") {
      if (!string(c.whatsapp_web_https_url)) return bad(key, "a URL");
    } else if (key == "whatsapp_web_http_url") {
      if (!string(c.whatsapp_web_http_url)) return bad(key, "a URL");
    } else if (key == "telegram_datacenters") {
      if (!strings(c.telegram_datacenters)) return bad(key, "an array of addresses");
    } else if (key == "telegram_ports") {
      if (!ports(c.telegram_ports)) return bad(key, "an array of ports");
    } else if (key == "telegram_web_url") {
      if (!string(c.telegram_web_url)) return bad(key, "a URL");
    } else if (key == "signal_urls") {
      if (!strings(c.signal_urls)) return bad(key, "an array of URLs");
    } else if (key == "facebook_asn") {
      auto i = json::AsInt(value);
      if (!i) return bad(key, "an AS number");
      c.facebook_asn = *i;
    } else if (key == "step_timeout_ms") {
      auto i = json::AsInt(value);
      if (!i || *i <= 0) return bad(key, "a positive number of milliseconds");
      c.step_timeout = std::chrono::milliseconds(*i);
    } else {
      return Fail(std::string(failure::kParseError), fmt::format("unknown key '{}'", key));
    }
  }
  return c;
}

Result<PlatformConfig> LoadPlatformConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(std::string(failure::kIoError), "cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto c = ParsePlatformConfig(buffer.str());
  if (!c) return Fail(c.error().failure, path + ": " + c.error().message);
  return c;
}

asio::awaitable<Measurement> RunWhatsapp(const NettestEnv& env, PlatformConfig config) {
  const auto start = env.clock->MonoNow();
  Measurement m = NewMeasurement(env, "whatsapp", kWhatsappVersion, std::nullopt);
  Run run(env, config);

  // Endpoints: each host on each port, concurrently (they are distinct hosts).
  std::vector<std::string> blocked;
  std::size_t total = 0;
  std::vector<asio::awaitable<void>> tasks;
  for (const auto& host : config.whatsapp_endpoints) {
    for (uint16_t port : config.whatsapp_ports) {
      ++total;
      tasks.push_back([](Run& r, std::string h, uint16_t p,
                         std::vector<std::string>& out) -> asio::awaitable<void> {
        auto o = co_await ConnectAny(r, h, p);
        if (!o.ok) out.push_back(fmt::format("{}:{}", h, p));
      }(run, host, port, blocked));
    }
  }
  co_await RunAll(std::move(tasks));
  std::sort(blocked.begin(), blocked.end());

  auto registration = co_await Get(run, config.whatsapp_registration_url, 10);
  auto web_https = co_await Get(run, config.whatsapp_web_https_url, 10);
  auto web_http = co_await Get(run, config.whatsapp_web_http_url, 0);
  std::optional<std::string> web_failure = web_https.failure;
  if (!web_failure) {
    if (web_http.failure) {
      web_failure = web_http.failure;
    } else if (web_http.requests.empty() || web_http.requests.front().response.code != 302 ||
               !HasHeader(web_http.requests.front(), "location", config.whatsapp_web_https_url)) {
      web_failure = "http_response_mismatch";
    }
  }

  std::string tk;
  JsonWriter w(tk);
  w.BeginObject();
  w.Key("registration_server_failure").OptString(registration.failure);
  w.Key("registration_server_status").String(registration.failure ? "blocked" : "ok");
  w.Key("whatsapp_endpoints_blocked").BeginArray();
  for (const auto& b : blocked) w.String(b);
  w.EndArray();
  w.Key("whatsapp_endpoints_dns_inconsistent").BeginArray().EndArray();
  w.Key("whatsapp_endpoints_status")
      .String(total > 0 && blocked.size() == total ? "blocked" : "ok");
  w.Key("whatsapp_web_failure").OptString(web_failure);
  w.Key("whatsapp_web_status").String(web_failure ? "blocked" : "ok");
  WriteObservations(w, run);
  w.EndObject();
  co_return Finish(run, std::move(m), std::move(tk), start);
}

asio::awaitable<Measurement> RunTelegram(const NettestEnv& env, PlatformConfig config) {
  const auto start = env.clock->MonoNow();
  Measurement m = NewMeasurement(env, "telegram", kTelegramVersion, std::nullopt);
  Run run(env, config);
  std::size_t tcp_ok = 0, http_ok = 0;
  std::vector<asio::awaitable<void>> tasks;
  for (const auto& dc : config.telegram_datacenters) {
    tasks.push_back([](Run& r, std::string ip, std::size_t& tcp,
                       std::size_t& http) -> asio::awaitable<void> {
      for (uint16_t port : r.config.telegram_ports) {
        auto o = co_await ConnectAny(r, ip, port);
        if (o.ok) ++tcp;
      }
      for (uint16_t port : r.config.telegram_ports) {
        boost::system::error_code ec;
        auto address = asio::ip::make_address(ip, ec);
        if (ec) continue;
        const std::string url = "http://" + net::FormatEndpoint(address, port) + "/";
        auto result = co_await Get(r, url, 0);
        if (!result.failure) ++http;
      }
    }(run, dc, tcp_ok, http_ok));
  }
  co_await RunAll(std::move(tasks));
  auto web = co_await Get(run, config.telegram_web_url, 10);

  std::string tk;
  JsonWriter w(tk);
  w.BeginObject();
  const bool any_dc = !config.telegram_datacenters.empty();
  w.Key("telegram_http_blocking").Bool(any_dc && http_ok == 0);
  w.Key("telegram_tcp_blocking").Bool(any_dc && tcp_ok == 0);
  w.Key("telegram_web_failure").OptString(web.failure);
  w.Key("telegram_web_status").String(web.failure ? "blocked" : "ok");
  WriteObservations(w, run);
  w.EndObject();
  co_return Finish(run, std::move(m), std::move(tk), start);
}

asio::awaitable<Measurement> RunSignal(const NettestEnv& env, PlatformConfig config) {
  const auto start = env.clock->MonoNow();
  Measurement m = NewMeasurement(env, "signal", kSignalVersion, std::nullopt);
  Run run(env, config);
  std::optional<std::string> backend_failure;
  std::vector<asio::awaitable<void>> tasks;
  for (const auto& url : config.signal_urls) {
    tasks.push_back([](Run& r, std::string u,
                       std::optional<std::string>& failure) -> asio::awaitable<void> {
      auto result = co_await Get(r, u, 10);
      if (result.failure && !failure) failure = result.failure;
    }(run, url, backend_failure));
  }
  co_await RunAll(std::move(tasks));

  std::string tk;
  JsonWriter w(tk);
  w.BeginObject();
  w.Key("failed_operation").Null();
  w.Key("failure").Null();
  w.Key("signal_backend_failure").OptString(backend_failure);
  w.Key("signal_backend_status").String(backend_failure ? "blocked" : "ok");
  WriteObservations(w, run);
  w.EndObject();
  co_return Finish(run, std::move(m), std::move(tk), start);
}

asio::awaitable<Measurement> RunFacebookMessenger(const NettestEnv& env, PlatformConfig config,
                                                  AsnLookup asn_lookup) {
  const auto start = env.clock->MonoNow();
  Measurement m = NewMeasurement(env, "facebook_messenger", kFacebookMessengerVersion,
                                 std::nullopt);
  Run run(env, config);
  struct ServiceResult {
    std::string key;
    bool dns_consistent = false;
    std::optional<bool> reachable;
  };
  std::vector<ServiceResult> results(config.facebook_services.size());
  std::vector<asio::awaitable<void>> tasks;
  for (std::size_t i = 0; i < config.facebook_services.size(); ++i) {
    results[i].key = config.facebook_services[i].first;
    tasks.push_back([](Run& r, std::string host, const AsnLookup& lookup,
                       ServiceResult& out) -> asio::awaitable<void> {
      auto resolved = co_await Resolve(r, host);
      bool consistent = !resolved.addrs.empty();
      for (const auto& ip : resolved.addrs) {
        std::optional<int64_t> asn;
        if (auto it = r.config.asn_overrides.find(ip); it != r.config.asn_overrides.end()) {
          asn = it->second;
        } else if (lookup) {
          if (auto a = lookup(ip)) asn = static_cast<int64_t>(*a);
        }
        consistent = consistent && asn && *asn == r.config.facebook_asn;
      }
      out.dns_consistent = consistent;
      if (consistent && out.key != "stun") {
        boost::system::error_code ec;
        auto address = asio::ip::make_address(resolved.addrs.front(), ec);
        if (!ec) {
          auto c = co_await r.env.network->TcpConnect(tcp::endpoint(address, 443), r.timeline);
          r.obs.Add(c);
          out.reachable = c.success;
        }
      }
    }(run, config.facebook_services[i].second, asn_lookup, results[i]));
  }
  co_await RunAll(std::move(tasks));

  bool dns_blocking = false, tcp_blocking = false;
  std::string tk;
  JsonWriter w(tk);
  w.BeginObject();
  for (const auto& r : results) {
    dns_blocking = dns_blocking || !r.dns_consistent;
    tcp_blocking = tcp_blocking || (r.reachable && !*r.reachable);
    w.Key(fmt::format("facebook_{}_dns_consistent", r.key)).Bool(r.dns_consistent);
    if (r.key != "stun") w.Key(fmt::format("facebook_{}_reachable", r.key)).OptBool(r.reachable);
  }
  w.Key("facebook_dns_blocking").Bool(dns_blocking);
  w.Key("facebook_tcp_blocking").Bool(tcp_blocking);
  WriteObservations(w, run);
  w.EndObject();
  co_return Finish(run, std::move(m), std::move(tk), start);
}

}  // namespace vigil::measure::nettests
