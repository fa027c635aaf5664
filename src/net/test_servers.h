// Servers for the net library's tests, all on 127.0.0.1 port 0 and driven by the test's own
// io_context: a scriptable DNS server (UDP + TCP), a TLS test PKI made with OpenSSL, and a helper
// to run one coroutine to completion. Test-only code: failures here are test failures.
//
// Thread-safety: single-threaded; everything runs on the test's io_context.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "net/observations.h"

namespace vigil::net::testing {

namespace asio = boost::asio;

// Runs `task` on `io` until it completes (at most 60 s) and returns its value.
template <typename T>
T RunTask(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> out;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) out.emplace(std::move(value));
    io.stop();
  });
  io.restart();
  io.run_for(std::chrono::seconds(60));
  if (error) std::rethrow_exception(error);
  if (!out) throw std::runtime_error("task did not finish within 60 s");
  return std::move(*out);
}

// A DNS response to `query` (wire format): QR set, the same id and question, the given rcode,
// and answer records in ldns text form ("example.com. 60 IN A 192.0.2.1").
Bytes MakeDnsResponse(const Bytes& query, int rcode, const std::vector<std::string>& answers,
                      bool truncated = false, std::optional<std::uint16_t> id = std::nullopt);

// Answers each UDP query with the datagrams `udp_replies(query)` returns, sent in order with
// `gap` between them, and each TCP query with `tcp_reply(query)`.
class DnsTestServer {
 public:
  using Replies = std::function<std::vector<Bytes>(const Bytes& query)>;
  using Reply = std::function<Bytes(const Bytes& query)>;

  DnsTestServer(asio::io_context& io, Replies udp_replies, Reply tcp_reply = nullptr,
                std::chrono::milliseconds gap = std::chrono::milliseconds(20));
  asio::ip::udp::endpoint endpoint() const;
  int udp_queries() const { return udp_queries_; }
  int tcp_queries() const { return tcp_queries_; }

 private:
  asio::awaitable<void> ServeUdp();
  asio::awaitable<void> ServeTcp();

  asio::ip::udp::socket udp_;
  asio::ip::tcp::acceptor tcp_;
  Replies udp_replies_;
  Reply tcp_reply_;
  std::chrono::milliseconds gap_;
  int udp_queries_ = 0;
  int tcp_queries_ = 0;
};

// A TLS server on 127.0.0.1 serving `cert_pem`/`key_pem`. Depending on the mode it completes
// handshakes (then runs `after_handshake`, if any), resets the connection after reading the
// ClientHello, answers with garbage, closes cleanly, or stays silent.
class TlsTestServer {
 public:
  enum class Mode { kHandshake, kReset, kGarbage, kClose, kSilent };
  using AfterHandshake =
      std::function<asio::awaitable<void>(asio::ssl::stream<asio::ip::tcp::socket>&)>;

  TlsTestServer(asio::io_context& io, const std::string& cert_pem, const std::string& key_pem,
                Mode mode, AfterHandshake after_handshake = nullptr);
  asio::ip::tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
  // The SNI of the last completed handshake ("" when none was sent).
  const std::string& last_sni() const { return last_sni_; }

 private:
  asio::awaitable<void> Serve();
  asio::awaitable<void> Handle(asio::ip::tcp::socket socket);

  asio::ssl::context context_;
  asio::ip::tcp::acceptor acceptor_;
  Mode mode_;
  AfterHandshake after_handshake_;
  std::string last_sni_;
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> held_;  // kSilent keeps sockets open
};

// A test PKI: a CA, a leaf for `hostname` and 127.0.0.1 signed by it, an expired leaf signed by
// it, and a self-signed leaf; PEM text, plus the CA written to a temporary file.
struct TestPki {
  std::string ca_cert_pem;
  std::string ca_file;  // path of a file holding ca_cert_pem; removed by the destructor
  std::string leaf_cert_pem, leaf_key_pem;
  std::string expired_cert_pem, expired_key_pem;
  std::string self_signed_cert_pem, self_signed_key_pem;

  static TestPki Make(const std::string& hostname);
  TestPki() = default;
  TestPki(TestPki&&) = default;
  TestPki& operator=(TestPki&&) = default;
  ~TestPki();
};

}  // namespace vigil::net::testing
