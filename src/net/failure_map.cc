#include "net/failure_map.h"

#include <cerrno>
#include <cstring>

#include <boost/asio/error.hpp>
#include <openssl/x509_vfy.h>

#include "core/failure.h"

namespace vigil::net {

std::string UnknownFailure(std::string_view message) {
  return "unknown_failure: " + std::string(message);
}

std::string FailureFromErrno(int err) {
  switch (err) {
    case ECONNREFUSED:
      return std::string(failure::kConnectionRefused);
    case ECONNRESET:
    case EPIPE:
      return std::string(failure::kConnectionReset);
    case ECONNABORTED:
      return std::string(kConnectionAborted);
    case ETIMEDOUT:
      return std::string(failure::kGenericTimeout);
    case EHOSTUNREACH:
      return std::string(failure::kHostUnreachable);
    case ENETUNREACH:
      return std::string(failure::kNetworkUnreachable);
    case EAFNOSUPPORT:
      return std::string(kAddressFamilyNotSupported);
    case EINTR:
      return std::string(failure::kInterrupted);
    default:
      return UnknownFailure(std::strerror(err));
  }
}

std::string FailureFromErrorCode(const boost::system::error_code& ec) {
  if (ec == boost::asio::error::eof) return std::string(failure::kEof);
  if (ec == boost::asio::error::operation_aborted || ec == boost::asio::error::timed_out) {
    // Our own deadlines abort operations; the caller reports them as timeouts.
    return std::string(failure::kGenericTimeout);
  }
  if (ec.category() == boost::system::system_category()) return FailureFromErrno(ec.value());
  return UnknownFailure(ec.message());
}

std::string FailureFromX509Error(long verify_result) {
  switch (verify_result) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return std::string(failure::kSslInvalidHostname);
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
      return std::string(failure::kSslUnknownAuthority);
    default:
      return std::string(failure::kSslInvalidCertificate);
  }
}

}  // namespace vigil::net
