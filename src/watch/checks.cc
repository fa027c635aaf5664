#include "watch/checks.h"

#include <memory>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/failure.h"
#include "net/address.h"

namespace vigil::watch {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

// Estimated bytes on the wire (IP and transport headers included).
constexpr uint64_t kTcpOpenClose = 6 * 60;  // SYN, SYN-ACK, ACK, FIN, FIN, ACK
constexpr uint64_t kTcpFailed = 2 * 60;     // a SYN and its retry, or a SYN and a RST
constexpr uint64_t kDnsQuery = 80;          // a query with its headers
constexpr uint64_t kTlsHandshakeOverhead = 1500;
constexpr uint64_t kHttpOverhead = 1500;

// Runs every task concurrently on the current executor and returns when all have finished.
asio::awaitable<void> RunConcurrently(std::vector<asio::awaitable<void>> tasks) {
  auto executor = co_await asio::this_coro::executor;
  auto pending = std::make_shared<std::size_t>(tasks.size());
  asio::steady_timer all_done(executor, asio::steady_timer::time_point::max());
  for (auto& task : tasks) {
    asio::co_spawn(executor, std::move(task), [pending, &all_done](std::exception_ptr) {
      if (--*pending == 0) all_done.cancel();
    });
  }
  while (*pending > 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
}

bool Responded(const std::optional<std::string>& failure) {
  if (!failure) return true;
  return *failure != failure::kGenericTimeout && *failure != failure::kHostUnreachable &&
         *failure != failure::kNetworkUnreachable && *failure != failure::kInterrupted;
}

asio::awaitable<void> CheckGateway(net::Network& network, tcp::endpoint endpoint,
                                   const Clock& clock, RoundObservations* out, uint64_t* bytes) {
  auto r = co_await network.TcpConnect(endpoint, net::Timeline(clock));
  // A refused connection is an answer: the gateway is up, it just does not serve that port.
  out->gateway_ok = r.success || r.failure == failure::kConnectionRefused;
  *bytes += r.success ? kTcpOpenClose : kTcpFailed;
}

asio::awaitable<void> CheckDns(net::Network& network, std::string name, udp::endpoint resolver,
                               const Clock& clock, DnsObservation* out, uint64_t* bytes) {
  out->checked = true;
  auto results =
      co_await network.LookupUdp(name, net::DnsQueryType::kA, resolver, net::Timeline(clock));
  *bytes += kDnsQuery + name.size();
  if (!results) {
    out->failure = results.error().failure;
    co_return;
  }
  std::optional<std::set<std::string>> first;
  for (const auto& r : *results) {
    *bytes += r.raw_response.empty() ? 0 : r.raw_response.size() + 28;
    out->responded = out->responded || Responded(r.failure);
    std::set<std::string> set;
    for (const auto& a : r.answers) {
      if (a.answer_type == "A" && !a.ipv4.empty()) set.insert(a.ipv4);
    }
    if (!first) {
      first = set;
      if (r.failure) out->failure = *r.failure;
      out->addresses.assign(set.begin(), set.end());
    } else if (set != *first && !(set.empty() && r.failure)) {
      out->conflicting = true;
      for (const auto& a : set) out->addresses.push_back(a);
    }
  }
}

asio::awaitable<void> CheckTarget(net::Network& network, Target target, bool tls,
                                  const Clock& clock, Reachability* out, uint64_t* bytes) {
  out->target = target.Label();
  std::optional<tcp::endpoint> endpoint;
  if (!target.address.empty()) {
    if (auto ep = net::ParseEndpoint(target.address)) endpoint = *ep;
  } else {
    auto lookup = co_await network.LookupSystem(target.host, net::Timeline(clock));
    *bytes += 2 * (kDnsQuery + target.host.size());
    for (const auto& a : lookup.answers) {
      if (a.answer_type != "A" || a.ipv4.empty()) continue;
      if (auto ep = net::ParseEndpoint(a.ipv4 + ":" + std::to_string(target.port))) {
        endpoint = *ep;
        break;
      }
    }
    if (!endpoint) {
      out->failure = lookup.failure.value_or("dns_no_answer");
      co_return;
    }
  }
  if (!endpoint) {
    out->failure = "invalid_argument";
    co_return;
  }
  if (tls && target.tls) {
    net::TlsOptions options;
    options.server_name = target.host;
    auto probe = co_await network.TlsHandshake(*endpoint, options, net::Timeline(clock));
    out->tcp_ok = probe.tcp_connect.success;
    if (!out->tcp_ok) {
      out->failure = probe.tcp_connect.failure.value_or("");
      *bytes += kTcpFailed;
      co_return;
    }
    *bytes += kTcpOpenClose + kTlsHandshakeOverhead;
    if (probe.tls_handshake) {
      for (const auto& cert : probe.tls_handshake->peer_certificates) *bytes += cert.size();
      out->tls_ok = !probe.tls_handshake->failure.has_value();
      if (probe.tls_handshake->failure) out->failure = *probe.tls_handshake->failure;
    } else {
      out->tls_ok = false;
      out->failure = std::string(failure::kSslFailedHandshake);
    }
    co_return;
  }
  auto r = co_await network.TcpConnect(*endpoint, net::Timeline(clock));
  out->tcp_ok = r.success;
  if (r.failure) out->failure = *r.failure;
  *bytes += r.success ? kTcpOpenClose : kTcpFailed;
}

asio::awaitable<void> CheckDownload(net::Network& network, const Anchors* anchors,
                                    const Clock& clock, RoundObservations* out,
                                    uint64_t* bytes) {
  net::HttpOptions options;
  options.max_body_bytes = anchors->download_max_bytes;
  options.max_redirects = 2;
  options.connect_timeout = anchors->timeout;
  options.tls_timeout = anchors->timeout;
  options.io_timeout = anchors->timeout;
  options.overall_timeout = 4 * anchors->timeout;
  if (!anchors->download_address.empty()) {
    if (auto ep = net::ParseEndpoint(anchors->download_address)) options.first_hop_address = *ep;
  }
  auto r = co_await network.HttpGet(anchors->download_url, options, net::Timeline(clock));
  for (const auto& t : r.requests) {
    *bytes += kHttpOverhead + t.response.body.size();
  }
  for (const auto& h : r.tls_handshakes) {
    *bytes += kTlsHandshakeOverhead;
    for (const auto& cert : h.peer_certificates) *bytes += cert.size();
  }
  if (r.requests.empty() || r.failure) co_return;
  const auto& last = r.requests.front();
  // Short bodies measure latency, not bandwidth.
  if (last.response.code == 200 && last.response.body.size() >= 16 * 1024 &&
      last.body_bytes_per_second) {
    out->throughput_bps = *last.body_bytes_per_second;
  }
}

}  // namespace

void TlsMemory::Record(const std::string& target, bool ok, uint64_t round) {
  last_[target] = {ok, round};
}

std::optional<bool> TlsMemory::Last(const std::string& target, uint64_t round) const {
  auto it = last_.find(target);
  if (it == last_.end() || round - it->second.second > max_age_) return std::nullopt;
  return it->second.first;
}

asio::awaitable<RoundResult> RunRound(net::Network& network, const Anchors& anchors,
                                      CheckPlan plan, const Clock& clock,
                                      TlsMemory& tls_memory, uint64_t round) {
  RoundResult result;
  auto& obs = result.observations;
  // Every result slot exists before the tasks start, so the pointers they hold stay valid.
  obs.dns.resize(anchors.dns_names.size());
  obs.sites.resize(anchors.sites.size());
  for (const auto& [name, targets] : anchors.platforms) obs.platforms[name].resize(targets.size());
  std::size_t slots = 2 + 2 * anchors.dns_names.size() + anchors.sites.size();
  for (const auto& [name, targets] : anchors.platforms) slots += targets.size();
  std::vector<uint64_t> bytes(slots);  // one per task; never resized once tasks hold pointers
  std::size_t slot = 0;
  std::vector<asio::awaitable<void>> tasks;
  if (!anchors.gateway.empty()) {
    if (auto ep = net::ParseEndpoint(anchors.gateway)) {
      tasks.push_back(CheckGateway(network, *ep, clock, &obs, &bytes[slot++]));
    }
  }
  std::optional<udp::endpoint> system_resolver, public_resolver;
  if (auto ep = net::ParseEndpoint(anchors.system_resolver)) {
    system_resolver = udp::endpoint(ep->address(), ep->port());
  }
  if (auto ep = net::ParseEndpoint(anchors.public_resolver)) {
    public_resolver = udp::endpoint(ep->address(), ep->port());
  }
  for (std::size_t i = 0; i < anchors.dns_names.size(); ++i) {
    obs.dns[i].name = anchors.dns_names[i];
    if (system_resolver) {
      tasks.push_back(CheckDns(network, anchors.dns_names[i], *system_resolver, clock,
                               &obs.dns[i].system, &bytes[slot++]));
    }
    if (public_resolver) {
      tasks.push_back(CheckDns(network, anchors.dns_names[i], *public_resolver, clock,
                               &obs.dns[i].reference, &bytes[slot++]));
    }
  }
  for (std::size_t i = 0; i < anchors.sites.size(); ++i) {
    tasks.push_back(
        CheckTarget(network, anchors.sites[i], plan.tls, clock, &obs.sites[i], &bytes[slot++]));
  }
  for (const auto& [name, targets] : anchors.platforms) {
    auto& endpoints = obs.platforms[name];
    for (std::size_t i = 0; i < targets.size(); ++i) {
      tasks.push_back(
          CheckTarget(network, targets[i], plan.tls, clock, &endpoints[i], &bytes[slot++]));
    }
  }
  if (plan.download && !anchors.download_url.empty()) {
    tasks.push_back(CheckDownload(network, &anchors, clock, &obs, &bytes[slot++]));
  }
  result.checks = static_cast<int>(tasks.size());
  co_await RunConcurrently(std::move(tasks));
  for (uint64_t b : bytes) result.bytes += b;
  // Rounds without TLS carry each target's last handshake outcome forward.
  auto remember = [&](Reachability& r, const Target& t) {
    if (!t.tls) return;
    if (r.tls_ok) {
      tls_memory.Record(r.target, *r.tls_ok, round);
    } else if (r.tcp_ok) {
      r.tls_ok = tls_memory.Last(r.target, round);
    }
  };
  for (std::size_t i = 0; i < anchors.sites.size(); ++i) remember(obs.sites[i], anchors.sites[i]);
  for (const auto& [name, targets] : anchors.platforms) {
    for (std::size_t i = 0; i < targets.size(); ++i) remember(obs.platforms[name][i], targets[i]);
  }
  co_return result;
}

}  // namespace vigil::watch
