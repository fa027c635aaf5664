#include "net/test_servers.h"

#include <ldns/ldns.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace vigil::net::testing {
namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);
}

struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertDeleter {
  void operator()(X509* c) const { X509_free(c); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using CertPtr = std::unique_ptr<X509, CertDeleter>;

KeyPtr NewKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  Check(key != nullptr, "EVP_EC_gen");
  return key;
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// Issues a certificate for `key` named `cn`; self-signed when issuer is null.
CertPtr Issue(EVP_PKEY* key, const std::string& cn, const std::string& san, bool is_ca,
              X509* issuer, EVP_PKEY* issuer_key, long not_before_s, long not_after_s) {
  static long serial = 1;
  CertPtr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after_s);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer == nullptr ? cert.get() : issuer;
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  AddExtension(cert.get(), signer, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (!san.empty()) AddExtension(cert.get(), signer, NID_subject_alt_name, san.c_str());
  Check(X509_sign(cert.get(), issuer_key == nullptr ? key : issuer_key, EVP_sha256()) > 0,
        "X509_sign");
  return cert;
}

std::string CertPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

std::string KeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

}  // namespace

Bytes MakeDnsResponse(const Bytes& query, int rcode, const std::vector<std::string>& answers,
                      bool truncated, std::optional<std::uint16_t> id) {
  ldns_pkt* pkt = nullptr;
  Check(ldns_wire2pkt(&pkt, query.data(), query.size()) == LDNS_STATUS_OK, "ldns_wire2pkt");
  ldns_pkt_set_qr(pkt, true);
  ldns_pkt_set_ra(pkt, true);
  ldns_pkt_set_tc(pkt, truncated);
  ldns_pkt_set_rcode(pkt, static_cast<std::uint8_t>(rcode));
  if (id) ldns_pkt_set_id(pkt, *id);
  for (const std::string& text : answers) {
    ldns_rr* rr = nullptr;
    Check(ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr) == LDNS_STATUS_OK,
          "ldns_rr_new_frm_str");
    ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
  }
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  Check(ldns_pkt2wire(&wire, pkt, &size) == LDNS_STATUS_OK, "ldns_pkt2wire");
  Bytes out(wire, wire + size);
  std::free(wire);  // NOLINT
  ldns_pkt_free(pkt);
  return out;
}

DnsTestServer::DnsTestServer(asio::io_context& io, Replies udp_replies, Reply tcp_reply,
                             std::chrono::milliseconds gap)
    : udp_(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      tcp_(io),
      udp_replies_(std::move(udp_replies)),
      tcp_reply_(std::move(tcp_reply)),
      gap_(gap) {
  asio::co_spawn(io, ServeUdp(), asio::detached);
  if (tcp_reply_) {
    // The TCP listener shares the UDP port, as a real resolver's does.
    asio::ip::tcp::endpoint endpoint(udp_.local_endpoint().address(), udp_.local_endpoint().port());
    tcp_.open(endpoint.protocol());
    tcp_.set_option(asio::socket_base::reuse_address(true));
    tcp_.bind(endpoint);
    tcp_.listen();
    asio::co_spawn(io, ServeTcp(), asio::detached);
  }
}

asio::ip::udp::endpoint DnsTestServer::endpoint() const { return udp_.local_endpoint(); }

asio::awaitable<void> DnsTestServer::ServeUdp() {
  std::vector<std::uint8_t> buffer(65536);
  for (int i = 0; i < 64; ++i) {
    asio::ip::udp::endpoint from;
    auto [ec, n] = co_await udp_.async_receive_from(asio::buffer(buffer), from, kNoThrow);
    if (ec) co_return;
    ++udp_queries_;
    const Bytes query(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
    bool first = true;
    for (const Bytes& reply : udp_replies_(query)) {
      if (!first) {
        asio::steady_timer timer(co_await asio::this_coro::executor, gap_);
        co_await timer.async_wait(kNoThrow);
      }
      first = false;
      co_await udp_.async_send_to(asio::buffer(reply), from, kNoThrow);
    }
  }
}

asio::awaitable<void> DnsTestServer::ServeTcp() {
  for (int i = 0; i < 16; ++i) {
    auto [ec, socket] = co_await tcp_.async_accept(kNoThrow);
    if (ec) co_return;
    ++tcp_queries_;
    std::uint8_t length_bytes[2];
    auto [read_ec, n] = co_await asio::async_read(socket, asio::buffer(length_bytes), kNoThrow);
    if (read_ec) continue;
    Bytes query((std::size_t{length_bytes[0]} << 8) | length_bytes[1]);
    auto [body_ec, m] = co_await asio::async_read(socket, asio::buffer(query), kNoThrow);
    if (body_ec) continue;
    Bytes reply = tcp_reply_(query);
    Bytes framed{static_cast<std::uint8_t>(reply.size() >> 8),
                 static_cast<std::uint8_t>(reply.size() & 0xff)};
    framed.insert(framed.end(), reply.begin(), reply.end());
    co_await asio::async_write(socket, asio::buffer(framed), kNoThrow);
  }
}

TlsTestServer::TlsTestServer(asio::io_context& io, const std::string& cert_pem,
                             const std::string& key_pem, Mode mode,
                             AfterHandshake after_handshake)
    : context_(asio::ssl::context::tls_server),
      acceptor_(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      mode_(mode),
      after_handshake_(std::move(after_handshake)) {
  context_.use_certificate_chain(asio::buffer(cert_pem));
  context_.use_private_key(asio::buffer(key_pem), asio::ssl::context::pem);
  // Record the SNI while the ClientHello is processed: the client may be gone before the
  // server-side handshake completes.
  SSL_CTX_set_tlsext_servername_arg(context_.native_handle(), this);
  int (*on_sni)(SSL*, int*, void*) = [](SSL* ssl, int*, void* arg) {
    const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    static_cast<TlsTestServer*>(arg)->last_sni_ = sni == nullptr ? "" : sni;
    return SSL_TLSEXT_ERR_OK;
  };
  // SSL_CTX_set_tlsext_servername_callback without its C cast.
  SSL_CTX_callback_ctrl(context_.native_handle(), SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
                        reinterpret_cast<void (*)()>(on_sni));
  asio::co_spawn(io, Serve(), asio::detached);
}

asio::awaitable<void> TlsTestServer::Serve() {
  for (int i = 0; i < 32; ++i) {
    auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
    if (ec) co_return;
    asio::co_spawn(acceptor_.get_executor(), Handle(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> TlsTestServer::Handle(asio::ip::tcp::socket socket) {
  std::vector<char> buffer(4096);
  switch (mode_) {
    case Mode::kSilent:
      held_.push_back(std::make_shared<asio::ip::tcp::socket>(std::move(socket)));
      co_return;
    case Mode::kClose: {
      [[maybe_unused]] auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), kNoThrow);
      socket.shutdown(asio::socket_base::shutdown_both, ec);
      co_return;
    }
    case Mode::kReset: {
      [[maybe_unused]] auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), kNoThrow);
      socket.set_option(asio::socket_base::linger(true, 0), ec);
      socket.close(ec);
      co_return;
    }
    case Mode::kGarbage: {
      [[maybe_unused]] auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), kNoThrow);
      const std::string garbage = "HTTP/1.0 400 Bad Request\r\n\r\nthis is not TLS at all";
      co_await asio::async_write(socket, asio::buffer(garbage), kNoThrow);
      co_return;
    }
    case Mode::kHandshake: {
      asio::ssl::stream<asio::ip::tcp::socket> stream(std::move(socket), context_);
      auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
      if (ec) co_return;
      if (after_handshake_) co_await after_handshake_(stream);
      co_return;
    }
  }
}

TestPki TestPki::Make(const std::string& hostname) {
  constexpr long kDay = 24 * 3600;
  TestPki pki;
  KeyPtr ca_key = NewKey();
  CertPtr ca = Issue(ca_key.get(), "Vigil Test CA", "", true, nullptr, nullptr, -kDay, 30 * kDay);
  pki.ca_cert_pem = CertPem(ca.get());

  const std::string san = "DNS:" + hostname + ",IP:127.0.0.1";
  KeyPtr leaf_key = NewKey();
  CertPtr leaf = Issue(leaf_key.get(), hostname, san, false, ca.get(), ca_key.get(), -kDay,
                       30 * kDay);
  pki.leaf_cert_pem = CertPem(leaf.get());
  pki.leaf_key_pem = KeyPem(leaf_key.get());

  KeyPtr expired_key = NewKey();
  CertPtr expired = Issue(expired_key.get(), hostname, san, false, ca.get(), ca_key.get(),
                          -3 * kDay, -2 * kDay);
  pki.expired_cert_pem = CertPem(expired.get());
  pki.expired_key_pem = KeyPem(expired_key.get());

  KeyPtr self_key = NewKey();
  CertPtr self = Issue(self_key.get(), hostname, san, false, nullptr, nullptr, -kDay, 30 * kDay);
  pki.self_signed_cert_pem = CertPem(self.get());
  pki.self_signed_key_pem = KeyPem(self_key.get());

  char path[] = "/tmp/vigil-net-test-ca-XXXXXX";
  const int fd = mkstemp(path);
  Check(fd >= 0, "mkstemp");
  close(fd);
  pki.ca_file = path;
  std::ofstream(pki.ca_file) << pki.ca_cert_pem;
  return pki;
}

TestPki::~TestPki() {
  if (!ca_file.empty()) unlink(ca_file.c_str());
}

}  // namespace vigil::net::testing
