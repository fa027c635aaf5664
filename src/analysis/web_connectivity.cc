#include "analysis/web_connectivity.h"

#include <algorithm>
#include <cstdlib>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "core/ascii.h"
#include "core/failure.h"
#include "core/url.h"
#include "geo/bogon.h"

namespace vigil::analysis {
namespace {

using measure::DnsQuery;
using measure::HttpTransaction;
using measure::WebConnectivityKeys;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}


// A v0.5 probe tags every observation with its redirect depth; v0.4 has no tags.
int Depth(const std::vector<std::string>& tags) {
  for (const auto& t : tags) {
    if (t.rfind("depth=", 0) == 0) return std::atoi(t.c_str() + 6);
  }
  return 0;
}

bool FirstHop(const std::vector<std::string>& tags) { return Depth(tags) == 0; }

// v0.5 probes also fetch through addresses from other resolvers and tag the steps of the
// v0.4-style ("classic") measurement "classic"; OONI's v0.4 rules read only those.
bool UsesClassicTags(const WebConnectivityKeys& tk) {
  auto any = [](const auto& list) {
    if (!list) return false;
    for (const auto& item : *list) {
      if (std::find(item.tags.begin(), item.tags.end(), "classic") != item.tags.end()) return true;
    }
    return false;
  };
  return any(tk.queries) || any(tk.tcp_connect) || any(tk.tls_handshakes) || any(tk.requests);
}

bool IsRedirect(const HttpTransaction& h) {
  if (!h.response) return false;
  int64_t c = h.response->code;
  if (c != 301 && c != 302 && c != 303 && c != 307 && c != 308) return false;
  for (const auto& [name, value] : h.response->HeaderPairs()) {
    if (EqualsIgnoreCase(name, "location") && !value.empty()) return true;
  }
  return false;
}

bool IsSystemEngine(std::string_view engine) {
  return engine == "system" || engine == "getaddrinfo" || engine == "golang_net_resolver";
}

bool IsNxdomain(const std::optional<std::string>& f) {
  return f && (*f == failure::kDnsNxdomain || *f == failure::kAndroidDnsCacheNoData);
}

std::string JoinFirst(const std::vector<std::string>& items, size_t max) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max; ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  if (items.size() > max) out += fmt::format(" (+{} more)", items.size() - max);
  return out;
}

struct DnsView {
  std::vector<std::string> addrs;                     // probe's addresses, first hop
  std::unordered_map<std::string, int64_t> asn_of;  // from the answers, when given
  std::optional<std::string> failure;
  bool any_query = false;
};

DnsView ProbeDns(const WebConnectivityKeys& tk, const Url& url) {
  DnsView v;
  if (!tk.queries) return v;
  std::vector<const DnsQuery*> selected, system;
  for (const auto& q : *tk.queries) {
    if (!EqualsIgnoreCase(q.hostname, url.host) || !FirstHop(q.tags)) continue;
    selected.push_back(&q);
    if (IsSystemEngine(q.engine)) system.push_back(&q);
  }
  // OONI's consistency check is about the system resolver; other resolvers (DoH, UDP)
  // are used only when a measurement has no system lookup.
  if (!system.empty()) selected = system;
  v.any_query = !selected.empty();
  std::unordered_set<std::string> seen;
  bool any_success = false;
  std::optional<std::string> first_failure;
  for (const DnsQuery* q : selected) {
    if (q->failure) {
      if (!first_failure || (IsNxdomain(q->failure) && !IsNxdomain(first_failure)))
        first_failure = q->failure;
      continue;
    }
    any_success = true;
    if (!q->answers) continue;
    for (const auto& a : *q->answers) {
      if (a.answer_type != "A" && a.answer_type != "AAAA") continue;
      const std::string& ip = a.Address();
      if (ip.empty()) continue;
      if (a.asn && *a.asn > 0) v.asn_of.emplace(ip, *a.asn);
      if (seen.insert(ip).second) v.addrs.push_back(ip);
    }
  }
  // A failed AAAA next to a successful A is not a DNS failure.
  if (!any_success) v.failure = first_failure;
  return v;
}

struct Consistency {
  std::optional<std::string> value;
  std::string why;
};

Consistency DnsConsistency(const Url& url, const DnsView& probe, const measure::Control* control,
                           const AnalysisContext& ctx) {
  if (url.HostIsIpLiteral()) return {"consistent", "the URL names an IP address, so there is no DNS to tamper with"};
  if (control == nullptr || !control->dns) return {std::nullopt, "the control has no DNS result"};
  const auto& cdns = *control->dns;
  if (probe.failure && cdns.failure) {
    bool nx = *cdns.failure == failure::kThDnsNameError || *cdns.failure == failure::kDnsNxdomain;
    if (nx && IsNxdomain(probe.failure)) return {"consistent", "both the probe and the control got NXDOMAIN"};
    return {"inconsistent", fmt::format("the probe's lookup failed ({}) and so did the control's ({})",
                                        *probe.failure, *cdns.failure)};
  }
  if (probe.failure) {
    return {"inconsistent", fmt::format("the probe's lookup failed ({}) while the control resolved {}",
                                        *probe.failure, JoinFirst(cdns.addrs, 3))};
  }
  std::unordered_set<std::string> control_addrs(cdns.addrs.begin(), cdns.addrs.end());
  for (const auto& ip : probe.addrs) {
    if (geo::IsBogon(ip) && !control_addrs.count(ip)) {
      return {"inconsistent", fmt::format("the probe's resolver answered {}, a private or reserved address the control did not see", ip)};
    }
  }
  for (const auto& ip : probe.addrs) {
    if (control_addrs.count(ip)) {
      return {"consistent", fmt::format("the probe and the control both resolved {}", ip)};
    }
  }
  auto asn = [&](const std::string& ip, const std::unordered_map<std::string, int64_t>& known) -> int64_t {
    if (auto it = known.find(ip); it != known.end()) return it->second;
    if (ctx.asn_lookup) {
      if (auto a = ctx.asn_lookup(ip)) return static_cast<int64_t>(*a);
    }
    return 0;
  };
  std::unordered_map<std::string, int64_t> control_asn;
  for (const auto& info : control->ip_info) control_asn.emplace(info.ip, info.asn);
  std::set<int64_t> probe_asns;
  for (const auto& ip : probe.addrs) {
    if (int64_t a = asn(ip, probe.asn_of); a > 0) probe_asns.insert(a);
  }
  for (const auto& ip : cdns.addrs) {
    int64_t a = asn(ip, control_asn);
    if (a > 0 && probe_asns.count(a)) {
      return {"consistent", fmt::format("the probe's and the control's addresses share AS{}", a)};
    }
  }
  if (probe.addrs.empty() && cdns.addrs.empty()) {
    return {"consistent", "neither the probe nor the control got an address"};
  }
  std::vector<std::string> probe_desc;
  for (const auto& ip : probe.addrs) {
    int64_t a = asn(ip, probe.asn_of);
    probe_desc.push_back(a > 0 ? fmt::format("{} (AS{})", ip, a) : ip);
  }
  std::vector<std::string> control_desc;
  for (const auto& ip : cdns.addrs) {
    int64_t a = asn(ip, control_asn);
    control_desc.push_back(a > 0 ? fmt::format("{} (AS{})", ip, a) : ip);
  }
  return {"inconsistent",
          fmt::format("the probe's resolver answered {} but the control resolved {}, with no address or network in common",
                      probe_desc.empty() ? "nothing" : JoinFirst(probe_desc, 3),
                      control_desc.empty() ? "nothing" : JoinFirst(control_desc, 3))};
}

std::optional<bool> BodyLengthMatch(const HttpTransaction* last, const measure::ControlHttpRequest& c,
                                    std::optional<double>& proportion) {
  if (c.body_length <= 0 || last == nullptr || !last->response) return std::nullopt;
  const auto& r = *last->response;
  if (r.body_is_truncated || !r.body.bytes) return std::nullopt;
  auto measured = static_cast<int64_t>(r.body.bytes->size());
  if (measured <= 0) return std::nullopt;
  double p = measured >= c.body_length
                 ? static_cast<double>(c.body_length) / static_cast<double>(measured)
                 : static_cast<double>(measured) / static_cast<double>(c.body_length);
  proportion = p;
  return p > 0.7;
}

std::optional<bool> StatusCodeMatch(const HttpTransaction* last, const measure::ControlHttpRequest& c) {
  if (last == nullptr || !last->response) return std::nullopt;
  int64_t control = c.status_code, measured = last->response->code;
  if (control <= 0 || measured <= 0) return std::nullopt;
  if (control == measured) return true;
  if (control / 100 == 5) return std::nullopt;  // the control's server failing says nothing
  return false;
}

const std::unordered_set<std::string>& CommonHeaders() {
  static const std::unordered_set<std::string> kCommon = {
      "date", "content-type", "server", "cache-control", "vary", "set-cookie", "location",
      "expires", "x-powered-by", "content-encoding", "last-modified", "accept-ranges", "pragma",
      "x-frame-options", "etag", "x-content-type-options", "age", "via", "p3p",
      "x-xss-protection", "content-language", "cf-ray", "strict-transport-security", "link",
      "x-varnish"};
  return kCommon;
}

std::optional<bool> HeadersMatch(const HttpTransaction* last, const measure::ControlHttpRequest& c) {
  if (last == nullptr || !last->response || last->response->code <= 0 || c.status_code <= 0)
    return std::nullopt;
  // Sorted vectors rather than sets: one allocation per side instead of one per name.
  auto names = [](const auto& headers) {
    std::vector<std::string> out;
    out.reserve(headers.size());
    for (const auto& [name, value] : headers) out.push_back(AsciiLower(name));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  };
  const std::vector<std::string> ours = names(last->response->HeaderPairs()), theirs = names(c.headers);
  if (ours == theirs) return true;
  for (const auto& name : ours) {
    if (!CommonHeaders().count(name) && std::binary_search(theirs.begin(), theirs.end(), name)) return true;
  }
  return false;
}

std::optional<bool> TitleMatch(const HttpTransaction* last, const measure::ControlHttpRequest& c) {
  if (last == nullptr || !last->response) return std::nullopt;
  const auto& r = *last->response;
  if (r.code <= 0 || r.body_is_truncated || c.status_code <= 0 || !r.body.bytes) return std::nullopt;
  std::string measured = ExtractTitle(*r.body.bytes);
  if (measured.empty()) return std::nullopt;
  // Words of 5+ bytes, order ignored, must appear in both titles.
  std::map<std::string, int> words;
  auto add = [&](std::string_view title, int bit) {
    size_t start = 0;
    while (start <= title.size()) {
      size_t sp = title.find(' ', start);
      std::string_view w = title.substr(start, sp == std::string_view::npos ? sp : sp - start);
      if (w.size() >= 5) words[AsciiLower(w)] |= bit;
      if (sp == std::string_view::npos) break;
      start = sp + 1;
    }
  };
  add(measured, 1);
  add(c.title, 2);
  for (const auto& [w, bits] : words) {
    if (bits != 3) return false;
  }
  return true;
}

Verdict Decide(Blocking b, std::optional<bool> accessible, std::string why) {
  Verdict v;
  v.blocking = b;
  v.accessible = accessible;
  v.why = std::move(why);
  return v;
}

}  // namespace

std::string ExtractTitle(std::string_view body) {
  for (size_t i = body.find('<'); i != std::string_view::npos; i = body.find('<', i + 1)) {
    if (i + 7 > body.size() || !EqualsIgnoreCase(body.substr(i, 7), "<title>")) continue;
    size_t start = i + 7;
    size_t end = body.find('<', start);
    if (end == std::string_view::npos || end == start || end - start > 128) return {};
    if (end + 8 > body.size() || !EqualsIgnoreCase(body.substr(end, 8), "</title>")) return {};
    return std::string(body.substr(start, end - start));
  }
  return {};
}

Verdict AnalyzeWebConnectivity(const measure::Measurement& m, const AnalysisContext& ctx,
                               FingerprintDb::Scratch& scratch, WebConnectivityFindings* out) {
  WebConnectivityFindings local;
  WebConnectivityFindings& f = out != nullptr ? *out : local;
  if (!m.web_connectivity) return Decide(Blocking::kNull, std::nullopt, "The measurement has no Web Connectivity test keys.");
  const auto& tk = *m.web_connectivity;
  auto url = m.input ? ParseUrl(*m.input) : std::nullopt;
  if (!url) {
    return Decide(Blocking::kNull, std::nullopt,
                  m.input ? fmt::format("The input '{}' is not a URL Vigil can analyse.", *m.input)
                          : std::string("The measurement has no input URL."));
  }
  const measure::Control* control = tk.control ? &*tk.control : nullptr;
  const measure::ControlHttpRequest* chttp =
      control != nullptr && control->http_request ? &*control->http_request : nullptr;

  // Observations.
  DnsView dns = ProbeDns(tk, *url);
  f.dns_failure = dns.failure;
  Consistency consistency = DnsConsistency(*url, dns, control, ctx);
  f.dns_consistency = consistency.value;
  std::unordered_set<std::string> addr_set(dns.addrs.begin(), dns.addrs.end());
  const bool classic_only = UsesClassicTags(tk);
  auto keep = [&](const std::vector<std::string>& tags) {
    return !classic_only || std::find(tags.begin(), tags.end(), "classic") != tags.end();
  };
  std::optional<std::string> tcp_failure;
  if (tk.tcp_connect) {
    auto count = [&](bool restrict_to_dns) {
      f.tcp_attempts = f.tcp_successes = 0;
      tcp_failure.reset();
      for (const auto& c : *tk.tcp_connect) {
        if (c.port != url->port || !FirstHop(c.tags) || !keep(c.tags)) continue;
        if (restrict_to_dns && !addr_set.count(c.ip)) continue;
        ++f.tcp_attempts;
        if (c.success.value_or(false) && !c.failure) ++f.tcp_successes;
        else if (!tcp_failure) tcp_failure = c.failure;
      }
    };
    count(!addr_set.empty());
    if (f.tcp_attempts == 0 && !addr_set.empty()) count(false);
  }
  std::vector<const HttpTransaction*> requests;
  if (tk.requests) {
    for (const auto& r : *tk.requests) {
      if (keep(r.tags)) requests.push_back(&r);
    }
  }
  const HttpTransaction* last = requests.empty() ? nullptr : requests.front();
  // A chain whose last recorded response is a redirect never reached its end: a later
  // hop failed before its request was recorded (v0.5 records only completed requests).
  const bool chain_incomplete = last != nullptr && !last->failure && IsRedirect(*last);
  // The failure of the deepest step (connect or TLS) past the first hop.
  auto deepest_failure = [&]() -> std::optional<std::string> {
    std::optional<std::string> found;
    int depth = 0;
    auto consider = [&](const std::vector<std::string>& tags, const std::optional<std::string>& fail) {
      int d = Depth(tags);
      if (fail && keep(tags) && d > 0 && d >= depth) {
        depth = d;
        found = fail;
      }
    };
    if (tk.tcp_connect)
      for (const auto& c : *tk.tcp_connect) consider(c.tags, c.failure);
    if (tk.tls_handshakes)
      for (const auto& h : *tk.tls_handshakes) consider(h.tags, h.failure);
    return found;
  };
  if (last != nullptr && last->failure) {
    f.http_failure = last->failure;
  } else if (chain_incomplete) {
    f.http_failure = deepest_failure();
    if (!f.http_failure) f.http_failure = tk.http_experiment_failure;
  } else if (last == nullptr) {
    // No request recorded (v0.5 omits requests that never started): the failure is the
    // one that stopped the fetch — the TLS handshake, the connects, or the recorded one.
    std::optional<std::string> tls_failure;
    int tls_ok = 0;
    if (tk.tls_handshakes) {
      for (const auto& h : *tk.tls_handshakes) {
        if (!FirstHop(h.tags) || !keep(h.tags)) continue;
        if (h.failure) {
          if (!tls_failure) tls_failure = h.failure;
        } else {
          ++tls_ok;
        }
      }
    }
    if (url->scheme == "https" && tls_failure && tls_ok == 0) f.http_failure = tls_failure;
    else if (f.tcp_attempts > 0 && f.tcp_successes == 0) f.http_failure = tcp_failure;
    else f.http_failure = tk.http_experiment_failure;
  }
  if (chttp != nullptr) {
    f.body_length_match = BodyLengthMatch(last, *chttp, f.body_proportion);
    f.status_code_match = StatusCodeMatch(last, *chttp);
    f.headers_match = HeadersMatch(last, *chttp);
    f.title_match = TitleMatch(last, *chttp);
  }
  bool consistent = consistency.value == "consistent";
  bool inconsistent = consistency.value == "inconsistent";

  Verdict v;
  [&] {
    // 1. HTTPS fetched with a certificate the probe verified: the legitimate site answered.
    if (last != nullptr && !last->failure && !chain_incomplete &&
        last->request.url.rfind("https://", 0) == 0) {
      v = Decide(Blocking::kFalse, true,
                 fmt::format("Accessible: the probe fetched {} over HTTPS with a valid certificate, so it spoke with the real site.",
                             last->request.url));
      return;
    }
    // 2. Without the control there is nothing to compare with.
    if (tk.control_failure || control == nullptr) {
      v = Decide(Blocking::kNull, std::nullopt,
                 tk.control_failure ? fmt::format("No verdict: the control (test helper) could not be reached ({}).", *tk.control_failure)
                                    : std::string("No verdict: the measurement has no control (test helper) result."));
      return;
    }
    // 3. NXDOMAIN on both sides: the name does not exist.
    if (IsNxdomain(dns.failure) && consistent) {
      v = Decide(Blocking::kFalse, false,
                 "Not blocked: the domain does not exist; the probe's resolver and the control both answered NXDOMAIN.");
      return;
    }
    // 4. The website is down for the control too.
    bool all_bogon = !dns.addrs.empty() && std::all_of(dns.addrs.begin(), dns.addrs.end(),
                                                       [](const std::string& ip) { return geo::IsBogon(ip); });
    bool probe_failed = f.http_failure.has_value() || dns.failure.has_value() ||
                        (f.tcp_attempts > 0 && f.tcp_successes == 0) || (all_bogon && last == nullptr);
    if (chttp != nullptr && chttp->failure && consistent && probe_failed) {
      std::string probe_side = f.http_failure ? *f.http_failure
                               : dns.failure  ? *dns.failure
                               : all_bogon    ? "only private addresses"
                                              : "no connection";
      v = Decide(Blocking::kFalse, false,
                 fmt::format("Not blocked: the website is down, for the control too (probe: {}; control: {}).",
                             probe_side, *chttp->failure));
      return;
    }
    // 5. Inconsistent DNS.
    if (inconsistent) {
      v = Decide(Blocking::kDns, false, fmt::format("DNS blocking: {}.", consistency.why));
      return;
    }
    // 6. Every connection failed while the DNS was consistent.
    if (f.tcp_attempts > 0 && f.tcp_successes == 0 && consistency.value) {
      v = Decide(Blocking::kTcpIp, false,
                 fmt::format("TCP/IP blocking: all {} connection(s) to port {} failed ({}) although the DNS was consistent ({}).",
                             f.tcp_attempts, url->port, tcp_failure.value_or("failed"), consistency.why));
      return;
    }
    // 7. The control could not fetch the page, but the probe could: no conclusion.
    if (chttp == nullptr || chttp->failure) {
      v = Decide(Blocking::kNull, std::nullopt,
                 chttp == nullptr ? std::string("No verdict: the control did not fetch the page.")
                                  : fmt::format("No verdict: the control failed to fetch the page ({}), so there is nothing to compare with.",
                                                *chttp->failure));
      return;
    }
    if (last == nullptr && !f.http_failure) {
      v = Decide(Blocking::kNull, std::nullopt, "No verdict: the probe made no HTTP request.");
      return;
    }
    // 8. The fetch failed: classify the failure.
    if (f.http_failure) {
      const std::string& hf = *f.http_failure;
      if (hf == failure::kDnsNxdomain) {
        v = Decide(Blocking::kDns, false,
                   "DNS blocking: a redirect led to a domain the probe's resolver said does not exist (NXDOMAIN) while the control fetched the page.");
        return;
      }
      if (hf.rfind("unknown_failure", 0) == 0) {
        v = Decide(Blocking::kNull, std::nullopt,
                   fmt::format("No verdict: the probe reported an internal error ({}).", hf));
        return;
      }
      std::string what = hf == failure::kConnectionReset ? "the connection was reset"
                         : hf == failure::kGenericTimeout ? "the fetch timed out"
                         : hf == failure::kEof ? "the connection was closed unexpectedly"
                         : hf == failure::kConnectionRefused ? "a connection was refused"
                         : (hf == failure::kSslInvalidHostname || hf == failure::kSslUnknownAuthority ||
                            hf == failure::kSslInvalidCertificate)
                             ? "the TLS certificate was not valid for the site"
                             : "the fetch failed";
      v = Decide(Blocking::kHttpFailure, false,
                 fmt::format("HTTP blocking: {} ({}) while the control fetched the page and the DNS was consistent.",
                             what, hf));
      return;
    }
    // 9. Compare the page with the control's.
    if (f.status_code_match.value_or(false) &&
        (f.body_length_match.value_or(false) || f.headers_match.value_or(false) ||
         f.title_match.value_or(false))) {
      std::string which = f.body_length_match.value_or(false)
                              ? fmt::format("body length within 30% ({:.2f})", f.body_proportion.value_or(0))
                          : f.headers_match.value_or(false) ? std::string("the same uncommon header names")
                                                            : std::string("the same title words");
      v = Decide(Blocking::kFalse, true,
                 fmt::format("Accessible: the probe got the same page as the control (status {}, {}).",
                             last->response ? last->response->code : 0, which));
      return;
    }
    std::vector<std::string> diffs;
    if (!f.status_code_match.value_or(false))
      diffs.push_back(fmt::format("status {} vs {}", last && last->response ? last->response->code : 0, chttp->status_code));
    if (!f.body_length_match.value_or(false))
      diffs.push_back(f.body_proportion ? fmt::format("body length proportion {:.2f}", *f.body_proportion)
                                        : std::string("body length not comparable"));
    if (!f.headers_match.value_or(false)) diffs.push_back("different header names");
    if (!f.title_match.value_or(false)) diffs.push_back("different titles");
    v = Decide(Blocking::kHttpDiff, false,
               fmt::format("HTTP blocking (page differs): the probe got a different page than the control ({}).",
                           JoinFirst(diffs, 4)));
  }();

  // Fingerprints: DNS answers from every resolver, every HTTP response in the chain.
  if (ctx.fingerprints != nullptr) {
    std::vector<FingerprintMatch> matches;
    if (tk.queries) {
      for (const auto& q : *tk.queries) {
        if (!q.answers) continue;
        for (const auto& a : *q.answers) {
          if (!a.Address().empty()) ctx.fingerprints->MatchDnsAnswer(a.Address(), m.probe_cc, matches);
        }
      }
    }
    if (tk.requests) {
      for (const auto& r : *tk.requests) {
        if (!r.response) continue;
        std::string_view body = r.response->body.bytes ? std::string_view(*r.response->body.bytes) : std::string_view();
        ctx.fingerprints->MatchHttpResponse(body, r.response->HeaderPairs(), m.probe_cc, scratch, matches);
      }
    }
    auto confirming = std::find_if(matches.begin(), matches.end(), [](const auto& x) { return x.confirms; });
    v.confirmed = confirming != matches.end();
    if (confirming != matches.end()) {
      const auto& fp = *confirming->fingerprint;
      v.fingerprint = fp.name;
      const bool in_dns = fp.location == "dns";
      // A confirmed blockpage is blocking, whatever the comparison with the control said (a
      // blockpage with the real site's header names passes OONI Probe's header rule). DNS
      // blocking stays the cause when the resolver led to the blockpage.
      const Blocking decided = in_dns || v.blocking == Blocking::kDns ? Blocking::kDns : Blocking::kHttpDiff;
      const std::string found = fmt::format("OONI fingerprint {} ({} blockpage{})", fp.name, fp.scope_code,
                                            in_dns ? " IP in a DNS answer" : " in the HTTP response");
      if (v.blocking == decided && v.accessible == false) {
        v.why += fmt::format(" Confirmed by {}.", found);
      } else {
        v.why = fmt::format(
            "{} blocking: the {} confirms a blockpage. This overrides the comparison with the control, which "
            "alone said: \"{}\" (Vigil's deliberate difference from OONI Probe: a confirmed blockpage is "
            "always blocking).",
            in_dns ? "DNS" : "HTTP", found, v.why);
        v.blocking = decided;
        v.accessible = false;
      }
    } else if (!matches.empty()) {
      v.why += fmt::format(" Fingerprint {} ({}) matched but does not confirm blocking here.",
                           matches.front().fingerprint->name, matches.front().fingerprint->scope_code);
    }
  } else {
    v.confirmed = false;
  }
  bool string_blocking = v.blocking != Blocking::kNull && v.blocking != Blocking::kFalse;
  v.anomaly = string_blocking || v.confirmed.value_or(false);
  bool unknown_failure = false;
  const std::optional<std::string>* failures[] = {&f.http_failure, &f.dns_failure, &tk.control_failure};
  for (const auto* fs : failures) {
    if (*fs && (*fs)->rfind("unknown_failure", 0) == 0) unknown_failure = true;
  }
  v.failure = (v.blocking == Blocking::kNull && !v.confirmed.value_or(false)) || unknown_failure;
  return v;
}

}  // namespace vigil::analysis
