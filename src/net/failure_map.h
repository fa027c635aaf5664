// Maps system, Asio and OpenSSL errors to OONI failure strings (df-007-errors), so that every
// recorded failure uses the vocabulary data consumers match on.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

namespace vigil::net {

// Failure strings the net library records beyond those in core/failure.h.
inline constexpr std::string_view kHttpRequestFailed = "http_request_failed";
inline constexpr std::string_view kAddressFamilyNotSupported = "address_family_not_supported";
inline constexpr std::string_view kConnectionAborted = "connection_aborted";

// The OONI failure string for an error from a socket operation. Errors without an OONI name
// become "unknown_failure: <message>", as OONI Probe writes them.
std::string FailureFromErrorCode(const boost::system::error_code& ec);

// The OONI failure string for a POSIX errno value.
std::string FailureFromErrno(int err);

// OONI's spelling for an error it has no name for.
std::string UnknownFailure(std::string_view message);

// The OONI failure string for an X509_V_ERR_* verification result.
std::string FailureFromX509Error(long verify_result);

}  // namespace vigil::net
