#include "net/dns_wire.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

#include "core/failure.h"

namespace vigil::net {
namespace {

struct PktDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktDeleter>;

struct RdfDeleter {
  void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
using RdfPtr = std::unique_ptr<ldns_rdf, RdfDeleter>;

std::string Normalize(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out.back() == '.') out.pop_back();
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string RdfToString(const ldns_rdf* rdf) {
  if (rdf == nullptr) return {};
  char* s = ldns_rdf2str(rdf);
  if (s == nullptr) return {};
  std::string out(s);
  std::free(s);  // NOLINT: ldns allocates with malloc
  return out;
}

ldns_rr_type ToLdnsType(DnsQueryType type) {
  return type == DnsQueryType::kA ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
}

std::optional<DnsAnswer> ToAnswer(const ldns_rr* rr) {
  const ldns_rdf* rdf = ldns_rr_rdf(rr, 0);
  if (rdf == nullptr) return std::nullopt;
  DnsAnswer answer;
  answer.ttl = ldns_rr_ttl(rr);
  char text[INET6_ADDRSTRLEN] = {};
  switch (ldns_rr_get_type(rr)) {
    case LDNS_RR_TYPE_A:
      if (ldns_rdf_size(rdf) != 4 ||
          inet_ntop(AF_INET, ldns_rdf_data(rdf), text, sizeof(text)) == nullptr) {
        return std::nullopt;
      }
      answer.answer_type = "A";
      answer.ipv4 = text;
      return answer;
    case LDNS_RR_TYPE_AAAA:
      if (ldns_rdf_size(rdf) != 16 ||
          inet_ntop(AF_INET6, ldns_rdf_data(rdf), text, sizeof(text)) == nullptr) {
        return std::nullopt;
      }
      answer.answer_type = "AAAA";
      answer.ipv6 = text;
      return answer;
    case LDNS_RR_TYPE_CNAME:
      answer.answer_type = "CNAME";
      answer.hostname = RdfToString(rdf);
      return answer;
    default:
      return std::nullopt;
  }
}

}  // namespace

const char* DnsQueryTypeName(DnsQueryType type) {
  return type == DnsQueryType::kA ? "A" : "AAAA";
}

Result<Bytes> BuildDnsQuery(std::string_view hostname, DnsQueryType type, std::uint16_t id) {
  if (hostname.empty() || hostname.size() > 253) {
    return Fail(std::string(failure::kInvalidArgument), "bad hostname length");
  }
  std::string name(hostname);
  ldns_rdf* dname = ldns_dname_new_frm_str(name.c_str());
  if (dname == nullptr) {
    return Fail(std::string(failure::kInvalidArgument), "not a domain name: " + name);
  }
  // ldns_pkt_query_new takes ownership of dname.
  PktPtr pkt(ldns_pkt_query_new(dname, ToLdnsType(type), LDNS_RR_CLASS_IN, LDNS_RD));
  if (!pkt) return Fail(std::string(failure::kInvalidArgument), "cannot build query");
  ldns_pkt_set_id(pkt.get(), id);
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, pkt.get(), &size) != LDNS_STATUS_OK || wire == nullptr) {
    return Fail(std::string(failure::kInvalidArgument), "cannot encode query");
  }
  Bytes out(wire, wire + size);
  std::free(wire);  // NOLINT: ldns allocates with malloc
  return out;
}

Result<ParsedDnsResponse> ParseDnsResponse(std::span<const std::uint8_t> wire) {
  ldns_pkt* raw = nullptr;
  if (wire.size() < 12 || wire.size() > 65535 ||
      ldns_wire2pkt(&raw, wire.data(), wire.size()) != LDNS_STATUS_OK || raw == nullptr) {
    if (raw != nullptr) ldns_pkt_free(raw);
    return Fail(std::string(failure::kParseError), "not a DNS message");
  }
  PktPtr pkt(raw);
  ParsedDnsResponse out;
  out.id = ldns_pkt_id(pkt.get());
  out.is_response = ldns_pkt_qr(pkt.get());
  out.truncated = ldns_pkt_tc(pkt.get());
  out.rcode = static_cast<int>(ldns_pkt_get_rcode(pkt.get()));
  const ldns_rr_list* question = ldns_pkt_question(pkt.get());
  out.question_count = question == nullptr ? 0 : ldns_rr_list_rr_count(question);
  if (out.question_count > 0) {
    const ldns_rr* q = ldns_rr_list_rr(question, 0);
    out.question_name = Normalize(RdfToString(ldns_rr_owner(q)));
    out.question_type = static_cast<std::uint16_t>(ldns_rr_get_type(q));
    out.question_class = static_cast<std::uint16_t>(ldns_rr_get_class(q));
  }
  const ldns_rr_list* answers = ldns_pkt_answer(pkt.get());
  const std::size_t count = answers == nullptr ? 0 : ldns_rr_list_rr_count(answers);
  for (std::size_t i = 0; i < count && out.answers.size() < kMaxDnsAnswers; ++i) {
    if (auto answer = ToAnswer(ldns_rr_list_rr(answers, i))) {
      out.answers.push_back(std::move(*answer));
    }
  }
  return out;
}

bool MatchesQuery(const ParsedDnsResponse& response, std::uint16_t id,
                  std::string_view hostname, DnsQueryType type) {
  return response.is_response && response.id == id && response.question_count == 1 &&
         response.question_type == static_cast<std::uint16_t>(ToLdnsType(type)) &&
         response.question_class == LDNS_RR_CLASS_IN &&
         response.question_name == Normalize(hostname);
}

std::optional<std::string> DnsFailureFor(const ParsedDnsResponse& response, DnsQueryType type) {
  switch (response.rcode) {
    case LDNS_RCODE_NOERROR:
      break;
    case LDNS_RCODE_NXDOMAIN:
      return std::string(failure::kDnsNxdomain);
    case LDNS_RCODE_REFUSED:
      return std::string(failure::kDnsRefused);
    default:
      return std::string(failure::kDnsServerMisbehaving);
  }
  const char* wanted = DnsQueryTypeName(type);
  for (const DnsAnswer& answer : response.answers) {
    if (answer.answer_type == wanted) return std::nullopt;
  }
  return std::string(failure::kDnsNoAnswer);
}

}  // namespace vigil::net
