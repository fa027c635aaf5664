#include "net/network.h"

#include "net/tcp_connect.h"

namespace vigil::net {

namespace asio = boost::asio;

Result<std::unique_ptr<RealNetwork>> RealNetwork::Create(NetworkOptions options) {
  auto context = TlsClientContext::Create(options.extra_ca_file);
  if (!context) return tl::unexpected(context.error());
  return std::unique_ptr<RealNetwork>(new RealNetwork(std::move(options), *context));
}

RealNetwork::RealNetwork(NetworkOptions options, std::shared_ptr<TlsClientContext> tls_context)
    : options_(std::move(options)),
      tls_context_(std::move(tls_context)),
      system_resolver_(options_.resolver_threads) {}

asio::awaitable<DnsQueryResult> RealNetwork::LookupSystem(std::string hostname,
                                                          Timeline timeline) {
  co_return co_await system_resolver_.Lookup(std::move(hostname), options_.system_lookup_timeout,
                                             timeline);
}

asio::awaitable<Result<std::vector<DnsQueryResult>>> RealNetwork::LookupUdp(
    std::string hostname, DnsQueryType type, asio::ip::udp::endpoint resolver,
    Timeline timeline) {
  co_return co_await net::LookupUdp(std::move(hostname), type, resolver, options_.udp, timeline);
}

asio::awaitable<TcpConnectResult> RealNetwork::TcpConnect(asio::ip::tcp::endpoint endpoint,
                                                          Timeline timeline) {
  TcpConnection connection = co_await DialTcp(endpoint, options_.tcp_connect_timeout, timeline);
  co_return std::move(connection.result);
}

asio::awaitable<TlsProbe> RealNetwork::TlsHandshake(asio::ip::tcp::endpoint endpoint,
                                                    TlsOptions options, Timeline timeline) {
  TlsProbe probe;
  TcpConnection connection = co_await DialTcp(endpoint, options_.tcp_connect_timeout, timeline);
  probe.tcp_connect = std::move(connection.result);
  if (!connection.socket) co_return probe;
  TlsConnection tls =
      co_await HandshakeTls(std::move(*connection.socket), tls_context_, std::move(options),
                            timeline);
  probe.tls_handshake = std::move(tls.result);
  co_return probe;
}

asio::awaitable<HttpResult> RealNetwork::HttpGet(std::string url, HttpOptions options,
                                                 Timeline timeline) {
  if (!options.tls_context) options.tls_context = tls_context_;
  options.connect_timeout = std::min(options.connect_timeout, options_.tcp_connect_timeout);
  HttpResolver resolver = [this, timeline](std::string hostname) {
    return LookupSystem(std::move(hostname), timeline);
  };
  co_return co_await net::HttpGet(std::move(url), std::move(options), std::move(resolver),
                                  timeline);
}

}  // namespace vigil::net
