// TLS handshake with OpenSSL over a connected TCP socket, recording a df-006 TlsHandshakeResult:
// the SNI we chose (which may differ from the hostname checked, or be absent), ALPN, the peer's
// certificate chain (DER, captured even when verification fails), and verification against the
// system store plus an optional extra CA file, mapped to OONI's ssl_* failure strings.
//
// Thread-safety: TlsClientContext is immutable after Create and may be shared between
// concurrent handshakes; each handshake is an independent coroutine owning its stream.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "core/result.h"
#include "net/observations.h"

namespace vigil::net {

using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

// An OpenSSL client context trusting the system store and, optionally, the PEM certificates in
// `extra_ca_file` (the testbed's own CA). Fails with io_error when the file cannot be loaded.
class TlsClientContext {
 public:
  static Result<std::shared_ptr<TlsClientContext>> Create(const std::string& extra_ca_file = {});
  boost::asio::ssl::context& native() { return context_; }

 private:
  TlsClientContext();
  boost::asio::ssl::context context_;
};

struct TlsOptions {
  std::string server_name;  // sent as SNI; empty sends no SNI
  // The name the certificate must match; empty means server_name. An IP literal is checked
  // against the certificate's IP addresses.
  std::string verify_hostname;
  std::vector<std::string> alpn;  // offered protocols in order, e.g. {"h2", "http/1.1"}
  bool no_tls_verify = false;     // record the chain but accept any certificate
  std::chrono::milliseconds timeout{10000};
};

struct TlsConnection {
  TlsHandshakeResult result;
  // The established stream when the handshake (and verification) succeeded; null otherwise.
  // It shares ownership of the context it was made from.
  std::unique_ptr<TlsStream> stream;
  std::shared_ptr<TlsClientContext> context;
};

// Runs the client handshake over `socket` (already connected). Failures: ssl_invalid_hostname,
// ssl_unknown_authority, ssl_invalid_certificate, connection_reset, eof_error,
// generic_timeout_error, otherwise ssl_failed_handshake.
boost::asio::awaitable<TlsConnection> HandshakeTls(boost::asio::ip::tcp::socket socket,
                                                   std::shared_ptr<TlsClientContext> context,
                                                   TlsOptions options, Timeline timeline);

}  // namespace vigil::net
