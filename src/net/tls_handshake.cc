#include "net/tls_handshake.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <exception>

#include <boost/asio/ssl/error.hpp>

#include "core/failure.h"
#include "net/address.h"
#include "net/failure_map.h"
#include "net/io_util.h"

namespace vigil::net {
namespace {

namespace asio = boost::asio;
using asio::experimental::awaitable_operators::operator||;

constexpr std::size_t kMaxPeerCertificates = 16;
constexpr std::size_t kMaxVerifyErrors = 32;

// Errors the verify callback saw, collected so that the handshake can finish and the chain be
// recorded even when verification fails.
struct VerifyState {
  std::vector<long> errors;
};

std::string ChooseVerifyFailure(const std::vector<long>& errors) {
  // Go (and so OONI) checks the hostname before the chain: prefer that, then the CA.
  std::string chosen;
  for (long error : errors) {
    std::string failure = FailureFromX509Error(error);
    if (failure == failure::kSslInvalidHostname) return failure;
    if (chosen.empty() || (failure == failure::kSslUnknownAuthority &&
                           chosen == failure::kSslInvalidCertificate)) {
      chosen = std::move(failure);
    }
  }
  return chosen;
}

std::string HandshakeFailure(const boost::system::error_code& ec) {
  if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof) {
    return std::string(failure::kEof);
  }
  if (ec.category() == boost::system::system_category()) {
    return FailureFromErrorCode(ec);
  }
  return std::string(failure::kSslFailedHandshake);
}

std::vector<Bytes> PeerChain(SSL* ssl) {
  std::vector<Bytes> out;
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  if (chain == nullptr) return out;
  const int n = sk_X509_num(chain);
  for (int i = 0; i < n && out.size() < kMaxPeerCertificates; ++i) {
    X509* cert = sk_X509_value(chain, i);
    const int size = i2d_X509(cert, nullptr);
    if (size <= 0) continue;
    Bytes der(static_cast<std::size_t>(size));
    unsigned char* p = der.data();
    i2d_X509(cert, &p);
    out.push_back(std::move(der));
  }
  return out;
}

bool IsIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

// Applies SNI, ALPN and the name to verify to a fresh SSL object. Returns false on failure.
bool Configure(SSL* ssl, const TlsOptions& options) {
  if (!options.server_name.empty() &&
      // SSL_set_tlsext_host_name without its C cast.
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(options.server_name.c_str())) != 1) {
    return false;
  }
  if (!options.alpn.empty()) {
    std::vector<unsigned char> wire;
    for (const std::string& proto : options.alpn) {
      if (proto.empty() || proto.size() > 255) return false;
      wire.push_back(static_cast<unsigned char>(proto.size()));
      wire.insert(wire.end(), proto.begin(), proto.end());
    }
    // SSL_set_alpn_protos returns 0 on success.
    if (SSL_set_alpn_protos(ssl, wire.data(), static_cast<unsigned>(wire.size())) != 0) {
      return false;
    }
  }
  const std::string& name =
      options.verify_hostname.empty() ? options.server_name : options.verify_hostname;
  if (!name.empty()) {
    if (IsIpLiteral(name)) {
      if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) != 1) return false;
    } else {
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (SSL_set1_host(ssl, name.c_str()) != 1) return false;
    }
  }
  return true;
}

}  // namespace

TlsClientContext::TlsClientContext() : context_(asio::ssl::context::tls_client) {}

Result<std::shared_ptr<TlsClientContext>> TlsClientContext::Create(
    const std::string& extra_ca_file) {
  std::shared_ptr<TlsClientContext> out;
  try {
    out.reset(new TlsClientContext());
  } catch (const std::exception& e) {
    return Fail(std::string(failure::kIoError), std::string("cannot create TLS context: ") +
                                                    e.what());
  }
  boost::system::error_code ec;
  out->context_.set_default_verify_paths(ec);
  if (ec) return Fail(std::string(failure::kIoError), "system CA store: " + ec.message());
  if (!extra_ca_file.empty()) {
    out->context_.load_verify_file(extra_ca_file, ec);
    if (ec) {
      return Fail(std::string(failure::kIoError), "CA file " + extra_ca_file + ": " + ec.message());
    }
  }
  return out;
}

asio::awaitable<TlsConnection> HandshakeTls(asio::ip::tcp::socket socket,
                                            std::shared_ptr<TlsClientContext> context,
                                            TlsOptions options, Timeline timeline) {
  TlsConnection out;
  out.context = context;
  TlsHandshakeResult& result = out.result;
  boost::system::error_code ignored;
  const auto remote = socket.remote_endpoint(ignored);
  result.address = ignored ? std::string() : FormatEndpoint(remote);
  result.server_name = options.server_name;
  result.no_tls_verify = options.no_tls_verify;
  result.t0 = timeline.Now();

  auto stream = std::make_unique<TlsStream>(std::move(socket), context->native());
  auto state = std::make_shared<VerifyState>();
  stream->set_verify_mode(asio::ssl::verify_peer, ignored);
  stream->set_verify_callback(
      [state](bool preverified, asio::ssl::verify_context& ctx) {
        if (!preverified && state->errors.size() < kMaxVerifyErrors) {
          state->errors.push_back(X509_STORE_CTX_get_error(ctx.native_handle()));
        }
        return true;  // decide after the handshake, so the chain is always captured
      },
      ignored);
  if (!Configure(stream->native_handle(), options)) {
    result.failure = std::string(failure::kSslFailedHandshake);
    result.t = timeline.Now();
    co_return out;
  }

  const auto deadline = internal::SteadyNow() + options.timeout;
  auto handshake =
      co_await (stream->async_handshake(asio::ssl::stream_base::client, internal::kNoThrow) ||
                internal::CloseAt(deadline, stream->lowest_layer()));
  result.t = timeline.Now();
  SSL* ssl = stream->native_handle();
  result.peer_certificates = PeerChain(ssl);
  if (handshake.index() == 1) {
    result.failure = std::string(failure::kGenericTimeout);
    co_return out;
  }
  if (auto [ec] = std::get<0>(handshake); ec) {
    result.failure = HandshakeFailure(ec);
    co_return out;
  }
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
    result.cipher_suite = SSL_CIPHER_standard_name(cipher);
  }
  result.tls_version = SSL_get_version(ssl);
  const unsigned char* alpn = nullptr;
  unsigned alpn_size = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_size);
  if (alpn != nullptr) result.negotiated_protocol.assign(alpn, alpn + alpn_size);
  if (!options.no_tls_verify && !state->errors.empty()) {
    result.failure = ChooseVerifyFailure(state->errors);
    stream->lowest_layer().close(ignored);
    co_return out;
  }
  out.stream = std::move(stream);
  co_return out;
}

}  // namespace vigil::net
