#include "net/failure_map.h"

#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include <cerrno>

#include <boost/asio/error.hpp>

namespace vigil::net {
namespace {

TEST(FailureMapTest, ErrnoValuesUseOoniStrings) {
  EXPECT_EQ(FailureFromErrno(ECONNREFUSED), "connection_refused");
  EXPECT_EQ(FailureFromErrno(ECONNRESET), "connection_reset");
  EXPECT_EQ(FailureFromErrno(ETIMEDOUT), "generic_timeout_error");
  EXPECT_EQ(FailureFromErrno(EHOSTUNREACH), "host_unreachable");
  EXPECT_EQ(FailureFromErrno(ENETUNREACH), "network_unreachable");
  EXPECT_EQ(FailureFromErrno(EDOM).rfind("unknown_failure: ", 0), 0u);
  EXPECT_EQ(FailureFromErrorCode(boost::asio::error::eof), "eof_error");
  EXPECT_EQ(FailureFromErrorCode(boost::asio::error::connection_refused), "connection_refused");
}

TEST(FailureMapTest, VerificationErrors) {
  EXPECT_EQ(FailureFromX509Error(X509_V_ERR_HOSTNAME_MISMATCH), "ssl_invalid_hostname");
  EXPECT_EQ(FailureFromX509Error(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT), "ssl_unknown_authority");
  EXPECT_EQ(FailureFromX509Error(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY),
            "ssl_unknown_authority");
  EXPECT_EQ(FailureFromX509Error(X509_V_ERR_CERT_HAS_EXPIRED), "ssl_invalid_certificate");
}

}  // namespace
}  // namespace vigil::net
