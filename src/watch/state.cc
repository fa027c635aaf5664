#include "watch/state.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "core/json_writer.h"
#include "geo/bogon.h"

namespace vigil::watch {
namespace {

bool AnyBogon(const std::vector<std::string>& addresses) {
  return std::any_of(addresses.begin(), addresses.end(),
                     [](const std::string& a) { return geo::IsBogon(std::string_view(a)); });
}

std::set<uint32_t> Asns(const std::vector<std::string>& addresses, const AsnOf& asn_of) {
  std::set<uint32_t> out;
  for (const auto& a : addresses) {
    if (auto asn = asn_of(a)) out.insert(*asn);
  }
  return out;
}

// Why the system resolver's view of one name looks tampered with, or "" when it does not.
std::string TamperReason(const DnsComparison& c, const AsnOf& asn_of) {
  const auto& sys = c.system;
  const auto& ref = c.reference;
  if (sys.conflicting) return "injection";
  if (!sys.responded || !ref.responded) return "";
  const bool ref_answered = !ref.addresses.empty();
  if (sys.failure == "dns_nxdomain_error" && ref_answered) return "nxdomain";
  if (sys.addresses.empty() || !ref_answered) return "";
  if (AnyBogon(sys.addresses) && !AnyBogon(ref.addresses)) return "bogon";
  const std::set<std::string> a(sys.addresses.begin(), sys.addresses.end());
  if (std::any_of(ref.addresses.begin(), ref.addresses.end(),
                  [&](const std::string& x) { return a.count(x) > 0; })) {
    return "";
  }
  if (!asn_of) return "";
  const auto sys_asns = Asns(sys.addresses, asn_of);
  const auto ref_asns = Asns(ref.addresses, asn_of);
  // Unknown ASNs prove nothing: the rule needs an ASN on both sides.
  if (sys_asns.empty() || ref_asns.empty()) return "";
  for (uint32_t asn : sys_asns) {
    if (ref_asns.count(asn) > 0) return "";
  }
  return "asn";
}

}  // namespace

std::string_view StateName(State state) {
  switch (state) {
    case State::kOnline: return "online";
    case State::kOffline: return "offline";
    case State::kPlatformBlocked: return "platform-blocked";
    case State::kDnsTampered: return "dns-tampered";
    case State::kThrottled: return "throttled";
  }
  return "online";
}

Assessment Assess(const RoundObservations& round, const StateContext& context) {
  Assessment a;
  const bool site_tcp = std::any_of(round.sites.begin(), round.sites.end(),
                                    [](const Reachability& r) { return r.tcp_ok; });
  const bool site_full = std::any_of(round.sites.begin(), round.sites.end(),
                                     [](const Reachability& r) { return r.ok(); });
  bool platform_tcp = false;
  for (const auto& [name, endpoints] : round.platforms) {
    for (const auto& r : endpoints) platform_tcp = platform_tcp || r.tcp_ok;
  }
  bool reference_answered = false;
  bool local_resolver_answered = false;
  bool local_resolver_checked = false;
  for (const auto& c : round.dns) {
    reference_answered = reference_answered || c.reference.responded;
    local_resolver_answered = local_resolver_answered || c.system.responded;
    local_resolver_checked = local_resolver_checked || c.system.checked;
  }
  const bool beyond = site_tcp || platform_tcp || reference_answered;
  if (!beyond) {
    bool local_ok = true;
    if (round.gateway_ok) {
      local_ok = *round.gateway_ok;
    } else if (local_resolver_checked) {
      local_ok = local_resolver_answered;
    }
    a.state = State::kOffline;
    a.offline_reason = local_ok ? "upstream" : "local-link";
    return a;
  }
  for (const auto& c : round.dns) {
    auto why = TamperReason(c, context.asn_of);
    if (!why.empty()) a.tampered[c.name] = why;
  }
  if (site_full) {
    for (const auto& [name, endpoints] : round.platforms) {
      if (endpoints.empty()) continue;
      if (std::none_of(endpoints.begin(), endpoints.end(),
                       [](const Reachability& r) { return r.ok(); })) {
        a.blocked_platforms.push_back(name);
      }
    }
  }
  if (round.throughput_bps && context.baseline_bps && *context.baseline_bps > 0) {
    a.throughput_ratio = *round.throughput_bps / *context.baseline_bps;
    a.throttled = *a.throughput_ratio < context.throttle_ratio;
  }
  if (!a.tampered.empty()) {
    a.state = State::kDnsTampered;
  } else if (!a.blocked_platforms.empty()) {
    a.state = State::kPlatformBlocked;
  } else if (a.throttled) {
    a.state = State::kThrottled;
  } else {
    a.state = State::kOnline;
  }
  return a;
}

std::string Assessment::Key() const {
  std::string key(StateName(state));
  switch (state) {
    case State::kOffline: key += ":" + offline_reason; break;
    case State::kPlatformBlocked:
      key += ":" + fmt::format("{}", fmt::join(blocked_platforms, ","));
      break;
    case State::kDnsTampered:
      for (const auto& [name, why] : tampered) key += ":" + name;
      break;
    default: break;
  }
  return key;
}

std::string Assessment::Describe() const {
  switch (state) {
    case State::kOffline:
      return offline_reason == "local-link"
                 ? "offline: the local link is dead (the gateway does not answer)"
                 : "offline: upstream cut (the local link answers, nothing beyond it does)";
    case State::kPlatformBlocked:
      return fmt::format("platform-blocked: {} unreachable while other sites work",
                         fmt::join(blocked_platforms, ", "));
    case State::kDnsTampered: {
      std::vector<std::string> parts;
      for (const auto& [name, why] : tampered) parts.push_back(name + " (" + why + ")");
      return fmt::format("dns-tampered: the local resolver's answers differ from the public "
                         "resolver's for {}",
                         fmt::join(parts, ", "));
    }
    case State::kThrottled:
      return fmt::format("throttled: download at {:.0f}% of this probe's usual speed",
                         throughput_ratio.value_or(0) * 100);
    case State::kOnline: break;
  }
  return "online";
}

std::string Assessment::DetailsJson() const {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  if (state == State::kOffline) w.Key("reason").String(offline_reason);
  if (!blocked_platforms.empty()) {
    w.Key("platforms").BeginArray();
    for (const auto& p : blocked_platforms) w.String(p);
    w.EndArray();
  }
  if (!tampered.empty()) {
    w.Key("dns").BeginObject();
    for (const auto& [name, why] : tampered) w.Key(name).String(why);
    w.EndObject();
  }
  if (throughput_ratio) {
    w.Key("throughput_percent_of_baseline")
        .Int(static_cast<int64_t>(std::llround(*throughput_ratio * 100)));
  }
  w.EndObject();
  return out;
}

void ThroughputBaseline::Add(double bytes_per_second) {
  if (!(bytes_per_second > 0) || !std::isfinite(bytes_per_second)) return;
  samples_.push_back(bytes_per_second);
  while (samples_.size() > window_) samples_.pop_front();
}

std::optional<double> ThroughputBaseline::Median() const {
  if (samples_.size() < min_samples_ || samples_.empty()) return std::nullopt;
  std::vector<double> v(samples_.begin(), samples_.end());
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace vigil::watch
