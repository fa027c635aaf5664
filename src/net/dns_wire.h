// DNS wire format for the injection-aware client: building A/AAAA queries and parsing responses
// with ldns. Parsing takes bytes straight from the network, so it accepts anything without
// crashing and bounds what it keeps.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "net/observations.h"

namespace vigil::net {

// At most this many answer records are kept from one response; the rest are dropped.
inline constexpr std::size_t kMaxDnsAnswers = 256;

struct ParsedDnsResponse {
  std::uint16_t id = 0;
  bool is_response = false;  // QR bit
  bool truncated = false;    // TC bit
  int rcode = 0;
  std::string question_name;  // lower case, without the trailing dot; empty if no question
  std::uint16_t question_type = 0;
  std::uint16_t question_class = 0;
  std::size_t question_count = 0;
  std::vector<DnsAnswer> answers;  // A, AAAA and CNAME records of the answer section, in order
};

// A recursive query (RD set) for `hostname` with the given id, in wire format.
// Fails with invalid_argument when hostname is not a valid domain name.
Result<Bytes> BuildDnsQuery(std::string_view hostname, DnsQueryType type, std::uint16_t id);

// Parses any bytes; fails with parse_error when they are not a DNS message.
Result<ParsedDnsResponse> ParseDnsResponse(std::span<const std::uint8_t> wire);

// Whether `response` answers the query (id, hostname, type) we sent: QR set, same id, exactly one
// question with the same name (case-insensitive), type and class IN.
bool MatchesQuery(const ParsedDnsResponse& response, std::uint16_t id,
                  std::string_view hostname, DnsQueryType type);

// The OONI failure for a matching response, or nullopt when it carries an answer of the asked
// type: NXDOMAIN → dns_nxdomain_error, REFUSED → dns_refused_error, other non-zero rcodes →
// dns_server_misbehaving, NOERROR without an A/AAAA of the asked type → dns_no_answer.
std::optional<std::string> DnsFailureFor(const ParsedDnsResponse& response, DnsQueryType type);

}  // namespace vigil::net
