// Network: the operations a nettest performs, each returning OONI-style observations. Nettests
// take a Network& so unit tests can substitute FakeNetwork (leveldb's Env, OONI's
// UnderlyingNetwork). RealNetwork does real I/O with the DNS, TCP, TLS and HTTP clients of this
// library.
//
// Thread-safety: RealNetwork's operations may run concurrently on any executor; RealNetwork
// must outlive them. FakeNetwork serializes scripting and calls with a mutex.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "core/result.h"
#include "net/dns_client.h"
#include "net/http_client.h"
#include "net/observations.h"
#include "net/system_resolver.h"
#include "net/tls_handshake.h"

namespace vigil::net {

// A TLS probe: the TCP connect it needed and, when that succeeded, the handshake.
struct TlsProbe {
  TcpConnectResult tcp_connect;
  std::optional<TlsHandshakeResult> tls_handshake;
};

class Network {
 public:
  virtual ~Network() = default;

  // getaddrinfo ("system" engine).
  virtual boost::asio::awaitable<DnsQueryResult> LookupSystem(std::string hostname,
                                                              Timeline timeline) = 0;
  // One query to `resolver`, every response recorded (see dns_client.h). Fails only for a
  // hostname that is not a domain name.
  virtual boost::asio::awaitable<Result<std::vector<DnsQueryResult>>> LookupUdp(
      std::string hostname, DnsQueryType type, boost::asio::ip::udp::endpoint resolver,
      Timeline timeline) = 0;
  // Connects and closes.
  virtual boost::asio::awaitable<TcpConnectResult> TcpConnect(
      boost::asio::ip::tcp::endpoint endpoint, Timeline timeline) = 0;
  // Connects, handshakes with the given SNI/ALPN/verification, and closes.
  virtual boost::asio::awaitable<TlsProbe> TlsHandshake(boost::asio::ip::tcp::endpoint endpoint,
                                                        TlsOptions options,
                                                        Timeline timeline) = 0;
  // GET with redirects (see http_client.h); hops resolve through LookupSystem.
  virtual boost::asio::awaitable<HttpResult> HttpGet(std::string url, HttpOptions options,
                                                     Timeline timeline) = 0;
};

struct NetworkOptions {
  std::chrono::milliseconds system_lookup_timeout{10000};
  DnsUdpOptions udp;
  std::chrono::milliseconds tcp_connect_timeout{10000};
  // PEM certificates trusted besides the system store (the testbed's CA); empty for none.
  std::string extra_ca_file;
  std::size_t resolver_threads = 4;
};

class RealNetwork final : public Network {
 public:
  // Fails with io_error when the TLS trust store or extra_ca_file cannot be loaded.
  static Result<std::unique_ptr<RealNetwork>> Create(NetworkOptions options = {});

  boost::asio::awaitable<DnsQueryResult> LookupSystem(std::string hostname,
                                                      Timeline timeline) override;
  boost::asio::awaitable<Result<std::vector<DnsQueryResult>>> LookupUdp(
      std::string hostname, DnsQueryType type, boost::asio::ip::udp::endpoint resolver,
      Timeline timeline) override;
  boost::asio::awaitable<TcpConnectResult> TcpConnect(boost::asio::ip::tcp::endpoint endpoint,
                                                      Timeline timeline) override;
  boost::asio::awaitable<TlsProbe> TlsHandshake(boost::asio::ip::tcp::endpoint endpoint,
                                                TlsOptions options, Timeline timeline) override;
  boost::asio::awaitable<HttpResult> HttpGet(std::string url, HttpOptions options,
                                             Timeline timeline) override;

 private:
  RealNetwork(NetworkOptions options, std::shared_ptr<TlsClientContext> tls_context);

  NetworkOptions options_;
  std::shared_ptr<TlsClientContext> tls_context_;
  SystemResolver system_resolver_;
};

}  // namespace vigil::net
