// FakeNetwork: a scriptable Network for unit tests of nettest logic. Each operation returns the
// result scripted for its key (hostname, endpoint, URL), with t0/t stamped from the caller's
// Timeline, and is logged in calls(). Unscripted operations record `unscripted_failure`
// (generic_timeout_error unless changed), as if the network had dropped them.
//
// Thread-safety: all members are safe to call concurrently (one mutex).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "net/network.h"

namespace vigil::net {

class FakeNetwork final : public Network {
 public:
  void ScriptSystemLookup(const std::string& hostname, DnsQueryResult result);
  void ScriptUdpLookup(const std::string& hostname, DnsQueryType type,
                       std::vector<DnsQueryResult> results);
  void ScriptTcpConnect(const boost::asio::ip::tcp::endpoint& endpoint, TcpConnectResult result);
  // Keyed by endpoint and the SNI the caller sends.
  void ScriptTlsHandshake(const boost::asio::ip::tcp::endpoint& endpoint,
                          const std::string& server_name, TlsProbe probe);
  void ScriptHttpGet(const std::string& url, HttpResult result);
  void set_unscripted_failure(std::string failure);

  // One line per call, e.g. "LookupSystem example.com", "TcpConnect 192.0.2.1:443",
  // "TlsHandshake 192.0.2.1:443 sni=example.com", "HttpGet http://example.com/".
  std::vector<std::string> calls() const;

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
  mutable std::mutex mu_;
  std::map<std::string, DnsQueryResult> system_;
  std::map<std::pair<std::string, DnsQueryType>, std::vector<DnsQueryResult>> udp_;
  std::map<boost::asio::ip::tcp::endpoint, TcpConnectResult> tcp_;
  std::map<std::pair<boost::asio::ip::tcp::endpoint, std::string>, TlsProbe> tls_;
  std::map<std::string, HttpResult> http_;
  std::string unscripted_failure_ = "generic_timeout_error";
  std::vector<std::string> calls_;
};

}  // namespace vigil::net
