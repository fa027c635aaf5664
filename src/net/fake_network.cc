#include "net/fake_network.h"

#include "net/address.h"

namespace vigil::net {

namespace asio = boost::asio;

void FakeNetwork::ScriptSystemLookup(const std::string& hostname, DnsQueryResult result) {
  std::lock_guard lock(mu_);
  system_[hostname] = std::move(result);
}

void FakeNetwork::ScriptUdpLookup(const std::string& hostname, DnsQueryType type,
                                  std::vector<DnsQueryResult> results) {
  std::lock_guard lock(mu_);
  udp_[{hostname, type}] = std::move(results);
}

void FakeNetwork::ScriptTcpConnect(const asio::ip::tcp::endpoint& endpoint,
                                   TcpConnectResult result) {
  std::lock_guard lock(mu_);
  tcp_[endpoint] = std::move(result);
}

void FakeNetwork::ScriptTlsHandshake(const asio::ip::tcp::endpoint& endpoint,
                                     const std::string& server_name, TlsProbe probe) {
  std::lock_guard lock(mu_);
  tls_[{endpoint, server_name}] = std::move(probe);
}

void FakeNetwork::ScriptHttpGet(const std::string& url, HttpResult result) {
  std::lock_guard lock(mu_);
  http_[url] = std::move(result);
}

void FakeNetwork::set_unscripted_failure(std::string failure) {
  std::lock_guard lock(mu_);
  unscripted_failure_ = std::move(failure);
}

std::vector<std::string> FakeNetwork::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

asio::awaitable<DnsQueryResult> FakeNetwork::LookupSystem(std::string hostname,
                                                          Timeline timeline) {
  std::lock_guard lock(mu_);
  calls_.push_back("LookupSystem " + hostname);
  DnsQueryResult result;
  if (auto it = system_.find(hostname); it != system_.end()) {
    result = it->second;
  } else {
    result.failure = unscripted_failure_;
  }
  result.engine = "system";
  result.hostname = hostname;
  result.query_type = "ANY";
  result.t0 = result.t = timeline.Now();
  co_return result;
}

asio::awaitable<Result<std::vector<DnsQueryResult>>> FakeNetwork::LookupUdp(
    std::string hostname, DnsQueryType type, asio::ip::udp::endpoint resolver,
    Timeline timeline) {
  std::lock_guard lock(mu_);
  calls_.push_back("LookupUdp " + hostname + " " + DnsQueryTypeName(type) + " " +
                   FormatEndpoint(resolver));
  std::vector<DnsQueryResult> results;
  if (auto it = udp_.find({hostname, type}); it != udp_.end()) {
    results = it->second;
  } else {
    results.emplace_back().failure = unscripted_failure_;
  }
  for (DnsQueryResult& result : results) {
    if (result.engine.empty()) result.engine = "udp";
    result.resolver_address = FormatEndpoint(resolver);
    result.hostname = hostname;
    result.query_type = DnsQueryTypeName(type);
    result.t0 = result.t = timeline.Now();
  }
  co_return results;
}

asio::awaitable<TcpConnectResult> FakeNetwork::TcpConnect(asio::ip::tcp::endpoint endpoint,
                                                          Timeline timeline) {
  std::lock_guard lock(mu_);
  calls_.push_back("TcpConnect " + FormatEndpoint(endpoint));
  TcpConnectResult result;
  if (auto it = tcp_.find(endpoint); it != tcp_.end()) {
    result = it->second;
  } else {
    result.failure = unscripted_failure_;
  }
  result.ip = endpoint.address().to_string();
  result.port = endpoint.port();
  result.success = !result.failure.has_value();
  result.t0 = result.t = timeline.Now();
  co_return result;
}

asio::awaitable<TlsProbe> FakeNetwork::TlsHandshake(asio::ip::tcp::endpoint endpoint,
                                                    TlsOptions options, Timeline timeline) {
  std::lock_guard lock(mu_);
  calls_.push_back("TlsHandshake " + FormatEndpoint(endpoint) + " sni=" + options.server_name);
  TlsProbe probe;
  if (auto it = tls_.find({endpoint, options.server_name}); it != tls_.end()) {
    probe = it->second;
  } else {
    probe.tcp_connect.failure = unscripted_failure_;
  }
  probe.tcp_connect.ip = endpoint.address().to_string();
  probe.tcp_connect.port = endpoint.port();
  probe.tcp_connect.success = !probe.tcp_connect.failure.has_value();
  probe.tcp_connect.t0 = probe.tcp_connect.t = timeline.Now();
  if (probe.tls_handshake) {
    probe.tls_handshake->address = FormatEndpoint(endpoint);
    probe.tls_handshake->server_name = options.server_name;
    probe.tls_handshake->no_tls_verify = options.no_tls_verify;
    probe.tls_handshake->t0 = probe.tls_handshake->t = timeline.Now();
  }
  co_return probe;
}

asio::awaitable<HttpResult> FakeNetwork::HttpGet(std::string url, HttpOptions /*options*/,
                                                 Timeline timeline) {
  std::lock_guard lock(mu_);
  calls_.push_back("HttpGet " + url);
  HttpResult result;
  if (auto it = http_.find(url); it != http_.end()) {
    result = it->second;
  } else {
    HttpTransaction transaction;
    transaction.request.method = "GET";
    transaction.request.url = url;
    transaction.failure = unscripted_failure_;
    result.requests.push_back(std::move(transaction));
    result.failure = unscripted_failure_;
  }
  for (HttpTransaction& transaction : result.requests) {
    transaction.t0 = transaction.t = timeline.Now();
  }
  co_return result;
}

}  // namespace vigil::net
