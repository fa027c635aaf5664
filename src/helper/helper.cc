#include "helper/helper.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "core/failure.h"
#include "core/url.h"
#include "geo/bogon.h"
#include "measure/nettests/run_all.h"
#include "measure/nettests/web_connectivity.h"
#include "net/address.h"

namespace vigil::helper {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using measure::Control;
using measure::nettests::ControlRequest;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// OONI's helper reports only these DNS outcomes (oonith dns.go).
std::optional<std::string> MapDnsFailure(const std::optional<std::string>& f) {
  if (!f) return std::nullopt;
  if (*f == failure::kDnsNxdomain) return std::string(failure::kThDnsNameError);
  if (*f == failure::kDnsNoAnswer) return std::nullopt;
  return std::string("unknown_error");
}

void AddAnswers(const net::DnsQueryResult& q, std::vector<std::string>& addrs) {
  for (const auto& a : q.answers) {
    const std::string& ip = a.answer_type == "A" ? a.ipv4 : a.answer_type == "AAAA" ? a.ipv6 : "";
    if (!ip.empty() && std::find(addrs.begin(), addrs.end(), ip) == addrs.end()) {
      addrs.push_back(ip);
    }
  }
}

// "h3=\":443\"" in Alt-Svc → "host:443".
std::string DiscoveredH3(const net::HeadersList& headers, const std::string& host) {
  for (const auto& [k, v] : headers) {
    if (!EqualsIgnoreCase(k, "alt-svc")) continue;
    auto pos = v.find("h3=\":");
    if (pos == std::string::npos) continue;
    pos += 5;
    auto end = v.find('"', pos);
    if (end == std::string::npos) continue;
    return host + ":" + v.substr(pos, end - pos);
  }
  return "";
}

}  // namespace

std::string ExtractTitle(std::string_view body) {
  std::string lower(body.substr(0, std::min<std::size_t>(body.size(), 1 << 20)));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::size_t from = 0;
  while (true) {
    auto open = lower.find("<title>", from);
    if (open == std::string::npos) return "";
    const auto start = open + 7;
    auto close = lower.find('<', start);
    if (close == std::string::npos) return "";
    const auto len = close - start;
    if (len >= 1 && len <= 128 && lower.compare(close, 8, "</title>") == 0) {
      return std::string(body.substr(start, len));
    }
    from = start;
  }
}

TestHelper::TestHelper(net::Network& network, const Clock& clock, AsnLookup asn_lookup,
                       HelperOptions options)
    : network_(network), clock_(clock), asn_lookup_(std::move(asn_lookup)), options_(options) {}

asio::awaitable<net::HttpServerResponse> TestHelper::Handle(const net::HttpServerRequest& req) {
  if (req.Path() != "/") co_return net::JsonError(404, "not found: POST to / instead");
  if (req.method != "POST") {
    auto r = net::JsonError(405, "method not allowed: use POST");
    r.headers.emplace_back("Allow", "POST");
    co_return r;
  }
  auto parsed = measure::nettests::ParseControlRequest(req.body);
  if (!parsed) co_return net::JsonError(400, "malformed request: " + parsed.error().message);
  auto control = co_await Measure(std::move(*parsed));
  if (!control) co_return net::JsonError(400, control.error().message);
  net::HttpServerResponse r;
  r.body = measure::nettests::WriteControlJson(*control);
  co_return r;
}

asio::awaitable<Result<Control>> TestHelper::Measure(ControlRequest request) {
  auto url = ParseUrl(request.http_request);
  if (!url || (url->scheme != "http" && url->scheme != "https") || url->host.empty()) {
    co_return Fail(std::string(failure::kInvalidArgument),
                   "http_request: expected an http or https URL");
  }
  net::Timeline timeline(clock_);
  Control control;

  // DNS, from the helper's vantage point.
  std::vector<std::string> helper_addrs;
  control.dns.emplace();
  if (url->HostIsIpLiteral()) {
    helper_addrs.push_back(url->host);
  } else if (options_.resolver) {
    std::optional<std::string> failure;
    for (auto type : {net::DnsQueryType::kA, net::DnsQueryType::kAAAA}) {
      auto results = co_await network_.LookupUdp(url->host, type, *options_.resolver, timeline);
      if (!results) {
        failure = results.error().failure;
        continue;
      }
      for (const auto& r : *results) {
        if (r.failure && type == net::DnsQueryType::kA) failure = r.failure;
        AddAnswers(r, helper_addrs);
      }
    }
    if (helper_addrs.empty()) control.dns->failure = MapDnsFailure(failure);
  } else {
    auto q = co_await network_.LookupSystem(url->host, timeline);
    AddAnswers(q, helper_addrs);
    if (helper_addrs.empty()) control.dns->failure = MapDnsFailure(q.failure);
  }
  control.dns->addrs = helper_addrs;

  // Endpoints: the probe's, then the helper's own, deduplicated and capped.
  std::vector<tcp::endpoint> endpoints;
  std::set<std::string> probe_ips;
  auto add = [&](const tcp::endpoint& ep) {
    if (endpoints.size() < options_.max_endpoints &&
        std::find(endpoints.begin(), endpoints.end(), ep) == endpoints.end()) {
      endpoints.push_back(ep);
    }
  };
  for (const auto& text : request.tcp_connect) {
    auto ep = net::ParseEndpoint(text);
    if (!ep) continue;
    probe_ips.insert(ep->address().to_string());
    add(*ep);
  }
  for (const auto& ip : helper_addrs) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(ip, ec);
    if (!ec) add(tcp::endpoint(address, url->port));
  }

  const bool https = url->scheme == "https";
  std::set<std::string> valid_for_domain;
  control.tcp_connect.resize(endpoints.size());
  if (https) control.tls_handshake.resize(endpoints.size());
  std::vector<asio::awaitable<void>> tasks;
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    tasks.push_back([](TestHelper& self, tcp::endpoint ep, std::string host, bool tls,
                       net::Timeline tl, measure::ControlTcpConnect& tcp_out,
                       measure::ControlTlsHandshake* tls_out,
                       std::set<std::string>& valid) -> asio::awaitable<void> {
      tcp_out.endpoint = net::FormatEndpoint(ep);
      if (!tls) {
        auto c = co_await self.network_.TcpConnect(ep, tl);
        tcp_out.status = c.success;
        tcp_out.failure = c.failure;
        co_return;
      }
      net::TlsOptions options;
      boost::system::error_code literal_ec;
      asio::ip::make_address(host, literal_ec);
      options.server_name = literal_ec ? host : "";  // no SNI for an IP literal (RFC 6066)
      options.verify_hostname = host;
      options.alpn = {"h2", "http/1.1"};
      options.timeout = self.options_.step_timeout;
      auto probe = co_await self.network_.TlsHandshake(ep, options, tl);
      tcp_out.status = probe.tcp_connect.success;
      tcp_out.failure = probe.tcp_connect.failure;
      if (probe.tls_handshake) {
        tls_out->endpoint = tcp_out.endpoint;
        tls_out->server_name = host;
        tls_out->status = !probe.tls_handshake->failure;
        tls_out->failure = probe.tls_handshake->failure;
        if (tls_out->status) valid.insert(ep.address().to_string());
      }
    }(*this, endpoints[i], url->host, https, timeline, control.tcp_connect[i],
                     https ? &control.tls_handshake[i] : nullptr, valid_for_domain));
  }

  // The page itself, concurrently with the endpoint checks.
  net::HttpResult page;
  tasks.push_back([](TestHelper& self, const ControlRequest& req, net::Timeline tl,
                     net::HttpResult& out) -> asio::awaitable<void> {
    net::HttpOptions http;
    for (const auto& [name, values] : req.http_request_headers) {
      // Only the headers OONI's helper forwards; Host comes from the URL.
      if (!EqualsIgnoreCase(name, "user-agent") && !EqualsIgnoreCase(name, "accept") &&
          !EqualsIgnoreCase(name, "accept-language")) {
        continue;
      }
      if (!values.empty()) http.headers.emplace_back(name, values.front());
    }
    if (http.headers.empty()) http.headers = measure::nettests::BrowserHeaders();
    http.max_body_bytes = self.options_.max_body_bytes;
    http.connect_timeout = self.options_.step_timeout;
    http.tls_timeout = self.options_.step_timeout;
    http.io_timeout = self.options_.step_timeout;
    http.overall_timeout = self.options_.http_timeout;
    out = co_await self.network_.HttpGet(req.http_request, http, tl);
  }(*this, request, timeline, page));
  co_await measure::nettests::RunAll(std::move(tasks));
  // Handshakes that never started (connect failed) are not reported, as OONI's helper does.
  std::erase_if(control.tls_handshake, [](const auto& t) { return t.endpoint.empty(); });

  measure::ControlHttpRequest http;
  http.failure = page.failure;
  if (!page.requests.empty() && !page.failure) {
    const auto& last = page.requests.front();
    http.body_length = static_cast<int64_t>(last.response.body.size());
    http.status_code = last.response.code;
    std::string body(last.response.body.begin(), last.response.body.end());
    http.title = ExtractTitle(body);
    for (const auto& [k, v] : last.response.headers_list) {
      bool seen = false;
      for (const auto& [k2, v2] : http.headers) seen = seen || k2 == k;
      if (!seen) http.headers.emplace_back(k, v);
    }
    http.extra.emplace_back(
        "discovered_h3_endpoint",
        "\"" + DiscoveredH3(last.response.headers_list, url->host) + "\"");
  } else {
    http.extra.emplace_back("discovered_h3_endpoint", "\"\"");
  }
  control.http_request = std::move(http);

  // ip_info for every address either side resolved.
  std::vector<std::string> ips(probe_ips.begin(), probe_ips.end());
  for (const auto& ip : helper_addrs) {
    if (std::find(ips.begin(), ips.end(), ip) == ips.end()) ips.push_back(ip);
  }
  for (const auto& ip : ips) {
    measure::ControlIpInfo info;
    info.ip = ip;
    if (asn_lookup_) info.asn = asn_lookup_(ip).value_or(0);
    using namespace measure::nettests;
    if (probe_ips.count(ip) != 0) info.flags |= kIpResolvedByProbe;
    if (std::find(helper_addrs.begin(), helper_addrs.end(), ip) != helper_addrs.end()) {
      info.flags |= kIpResolvedByHelper;
    }
    if (geo::IsBogon(std::string_view(ip))) info.flags |= kIpIsBogon;
    if (valid_for_domain.count(ip) != 0) info.flags |= kIpValidForDomain;
    control.ip_info.push_back(std::move(info));
  }
  co_return control;
}

}  // namespace vigil::helper
