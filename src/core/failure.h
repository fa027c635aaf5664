// OONI's failure strings (df-007-errors), the vocabulary for recorded failures.
// These names must not change unless OONI's specification changes: data consumers
// (OONI Explorer, pipelines, Vigil's own analysis) match on them.
#pragma once

#include <string_view>

namespace vigil::failure {

inline constexpr std::string_view kConnectionRefused = "connection_refused";
inline constexpr std::string_view kConnectionReset = "connection_reset";
inline constexpr std::string_view kGenericTimeout = "generic_timeout_error";
inline constexpr std::string_view kEof = "eof_error";
inline constexpr std::string_view kDnsNxdomain = "dns_nxdomain_error";
inline constexpr std::string_view kDnsNoAnswer = "dns_no_answer";
inline constexpr std::string_view kDnsRefused = "dns_refused_error";
inline constexpr std::string_view kDnsServerMisbehaving = "dns_server_misbehaving";
inline constexpr std::string_view kAndroidDnsCacheNoData = "android_dns_cache_no_data";
inline constexpr std::string_view kSslInvalidHostname = "ssl_invalid_hostname";
inline constexpr std::string_view kSslUnknownAuthority = "ssl_unknown_authority";
inline constexpr std::string_view kSslInvalidCertificate = "ssl_invalid_certificate";
inline constexpr std::string_view kSslFailedHandshake = "ssl_failed_handshake";
inline constexpr std::string_view kHostUnreachable = "host_unreachable";
inline constexpr std::string_view kNetworkUnreachable = "network_unreachable";
inline constexpr std::string_view kInterrupted = "interrupted";
// The test helper's own NXDOMAIN spelling (model.THDNSNameError in OONI Probe).
inline constexpr std::string_view kThDnsNameError = "dns_name_error";

// Vigil's operational error codes (Error::failure for Results, never in measurements).
inline constexpr std::string_view kInvalidArgument = "invalid_argument";
inline constexpr std::string_view kIoError = "io_error";
inline constexpr std::string_view kParseError = "parse_error";
inline constexpr std::string_view kNotFound = "not_found";

}  // namespace vigil::failure
