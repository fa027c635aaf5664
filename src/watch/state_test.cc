#include "watch/state.h"

#include <gtest/gtest.h>

namespace vigil::watch {
namespace {

Reachability Ok(std::string target) { return {std::move(target), true, std::nullopt, ""}; }
Reachability TlsOk(std::string target) { return {std::move(target), true, true, ""}; }
Reachability Down(std::string target, std::string failure = "generic_timeout_error") {
  return {std::move(target), false, std::nullopt, std::move(failure)};
}
Reachability TlsReset(std::string target) {
  return {std::move(target), true, false, "connection_reset"};
}

DnsObservation Answer(std::vector<std::string> addresses) {
  DnsObservation o;
  o.checked = true;
  o.responded = true;
  o.addresses = std::move(addresses);
  return o;
}
DnsObservation Failure(std::string failure, bool responded) {
  DnsObservation o;
  o.checked = true;
  o.responded = responded;
  o.failure = std::move(failure);
  return o;
}

// A healthy round: gateway, both resolvers agreeing, sites and platforms reachable.
RoundObservations Healthy() {
  RoundObservations r;
  r.gateway_ok = true;
  r.dns.push_back({"www.example.org", Answer({"93.184.215.14"}), Answer({"93.184.215.14"})});
  r.sites = {TlsOk("www.example.org:443"), TlsOk("www.wikipedia.org:443")};
  r.platforms["telegram"] = {TlsOk("web.telegram.org:443"), Ok("149.154.167.51:443")};
  r.platforms["whatsapp"] = {TlsOk("web.whatsapp.com:443")};
  return r;
}

void Unreachable(RoundObservations& r) {
  for (auto& s : r.sites) s = Down(s.target);
  for (auto& [name, endpoints] : r.platforms) {
    for (auto& e : endpoints) e = Down(e.target);
  }
  for (auto& c : r.dns) c.reference = Failure("generic_timeout_error", false);
}

TEST(StateTest, HealthyRoundIsOnline) {
  auto a = Assess(Healthy(), {});
  EXPECT_EQ(a.state, State::kOnline);
  EXPECT_EQ(a.Key(), "online");
  EXPECT_EQ(a.DetailsJson(), "{}");
}

TEST(StateTest, NothingBeyondAWorkingGatewayIsAnUpstreamCut) {
  auto r = Healthy();
  Unreachable(r);
  // The local resolver forwards upstream: it may time out too without the link being dead.
  r.dns[0].system = Failure("generic_timeout_error", false);
  auto a = Assess(r, {});
  EXPECT_EQ(a.state, State::kOffline);
  EXPECT_EQ(a.offline_reason, "upstream");
  EXPECT_EQ(a.Key(), "offline:upstream");
  EXPECT_EQ(a.DetailsJson(), R"({"reason":"upstream"})");
}

TEST(StateTest, SilentGatewayIsADeadLocalLink) {
  auto r = Healthy();
  Unreachable(r);
  r.gateway_ok = false;
  r.dns[0].system = Failure("generic_timeout_error", false);
  auto a = Assess(r, {});
  EXPECT_EQ(a.state, State::kOffline);
  EXPECT_EQ(a.offline_reason, "local-link");
}

TEST(StateTest, WithoutAGatewayTheLocalResolverTellsTheLinkState) {
  auto r = Healthy();
  Unreachable(r);
  r.gateway_ok.reset();
  r.dns[0].system = Failure("dns_server_misbehaving", true);  // SERVFAIL: it is there
  EXPECT_EQ(Assess(r, {}).offline_reason, "upstream");
  r.dns[0].system = Failure("generic_timeout_error", false);
  EXPECT_EQ(Assess(r, {}).offline_reason, "local-link");
}

TEST(StateTest, AnySignOfTheInternetIsNotOffline) {
  auto r = Healthy();
  Unreachable(r);
  r.dns[0].reference = Answer({"93.184.215.14"});  // the public resolver answered
  EXPECT_NE(Assess(r, {}).state, State::kOffline);
  Unreachable(r);
  r.platforms["telegram"][1] = Ok("149.154.167.51:443");
  EXPECT_NE(Assess(r, {}).state, State::kOffline);
}

TEST(StateTest, PlatformWithEveryEndpointFailingIsBlocked) {
  auto r = Healthy();
  r.platforms["telegram"] = {Down("web.telegram.org:443", "connection_reset"),
                             Down("149.154.167.51:443")};
  auto a = Assess(r, {});
  EXPECT_EQ(a.state, State::kPlatformBlocked);
  EXPECT_EQ(a.blocked_platforms, std::vector<std::string>{"telegram"});
  EXPECT_EQ(a.Key(), "platform-blocked:telegram");
  EXPECT_EQ(a.DetailsJson(), R"({"platforms":["telegram"]})");
}

TEST(StateTest, TlsResetCountsAsBlockedButOneWorkingEndpointDoesNot) {
  auto r = Healthy();
  r.platforms["whatsapp"] = {TlsReset("web.whatsapp.com:443")};
  r.platforms["telegram"] = {TlsReset("web.telegram.org:443"), Ok("149.154.167.51:443")};
  auto a = Assess(r, {});
  EXPECT_EQ(a.state, State::kPlatformBlocked);
  EXPECT_EQ(a.blocked_platforms, std::vector<std::string>{"whatsapp"});
}

TEST(StateTest, PlatformsAreNotJudgedWhenNoSiteFullyWorks) {
  auto r = Healthy();
  for (auto& s : r.sites) s = TlsReset(s.target);
  r.platforms["telegram"] = {Down("web.telegram.org:443"), Down("149.154.167.51:443")};
  EXPECT_EQ(Assess(r, {}).state, State::kOnline);
}

TEST(StateTest, BogonOnlyLocallyIsTampering) {
  auto r = Healthy();
  r.dns[0].system = Answer({"10.10.34.35"});
  auto a = Assess(r, {});
  EXPECT_EQ(a.state, State::kDnsTampered);
  EXPECT_EQ(a.tampered.at("www.example.org"), "bogon");
  EXPECT_EQ(a.DetailsJson(), R"({"dns":{"www.example.org":"bogon"}})");
}

TEST(StateTest, NxdomainOnlyLocallyIsTampering) {
  auto r = Healthy();
  r.dns[0].system = Failure("dns_nxdomain_error", true);
  EXPECT_EQ(Assess(r, {}).tampered.at("www.example.org"), "nxdomain");
  // Both saying NXDOMAIN is the truth, not tampering.
  r.dns[0].reference = Failure("dns_nxdomain_error", true);
  EXPECT_EQ(Assess(r, {}).state, State::kOnline);
}

TEST(StateTest, RacingAnswersAreInjection) {
  auto r = Healthy();
  r.dns[0].system = Answer({"46.175.31.250", "93.184.215.14"});
  r.dns[0].system.conflicting = true;
  EXPECT_EQ(Assess(r, {}).tampered.at("www.example.org"), "injection");
}

TEST(StateTest, AnswersInNoCommonAsnAreTamperingOnlyWhenAsnsAreKnown) {
  auto r = Healthy();
  r.dns[0].system = Answer({"46.175.31.250"});
  // Different addresses of one CDN are normal: without ASNs nothing is concluded.
  EXPECT_EQ(Assess(r, {}).state, State::kOnline);
  StateContext c;
  c.asn_of = [](std::string_view ip) -> std::optional<uint32_t> {
    if (ip == "46.175.31.250") return 12389;
    if (ip == "93.184.215.14") return 15133;
    return std::nullopt;
  };
  EXPECT_EQ(Assess(r, c).tampered.at("www.example.org"), "asn");
  c.asn_of = [](std::string_view) -> std::optional<uint32_t> { return 15133; };
  EXPECT_EQ(Assess(r, c).state, State::kOnline);
}

TEST(StateTest, ThrottledBelowThirtyPercentOfTheBaseline) {
  auto r = Healthy();
  StateContext c;
  c.baseline_bps = 1'000'000;
  r.throughput_bps = 250'000;
  auto a = Assess(r, c);
  EXPECT_EQ(a.state, State::kThrottled);
  EXPECT_EQ(a.DetailsJson(), R"({"throughput_percent_of_baseline":25})");
  r.throughput_bps = 350'000;
  EXPECT_EQ(Assess(r, c).state, State::kOnline);
  c.baseline_bps.reset();  // no baseline yet: no verdict
  r.throughput_bps = 1;
  EXPECT_EQ(Assess(r, c).state, State::kOnline);
}

TEST(StateTest, OfflineWinsThenDnsThenPlatformsThenThrottling) {
  auto r = Healthy();
  StateContext c;
  c.baseline_bps = 1'000'000;
  r.throughput_bps = 1000;
  r.platforms["whatsapp"] = {Down("web.whatsapp.com:443")};
  r.dns[0].system = Answer({"127.0.0.1"});
  auto a = Assess(r, c);
  EXPECT_EQ(a.state, State::kDnsTampered);
  EXPECT_EQ(a.blocked_platforms.size(), 1u);  // kept in the details
  EXPECT_TRUE(a.throttled);
  EXPECT_EQ(a.DetailsJson(),
            R"({"platforms":["whatsapp"],"dns":{"www.example.org":"bogon"},)"
            R"("throughput_percent_of_baseline":0})");
  Unreachable(r);
  EXPECT_EQ(Assess(r, c).state, State::kOffline);
}

TEST(StateTest, DescriptionsAreWords) {
  auto r = Healthy();
  Unreachable(r);
  EXPECT_EQ(Assess(r, {}).Describe(),
            "offline: upstream cut (the local link answers, nothing beyond it does)");
  r = Healthy();
  r.platforms["whatsapp"] = {Down("web.whatsapp.com:443")};
  EXPECT_EQ(Assess(r, {}).Describe(),
            "platform-blocked: whatsapp unreachable while other sites work");
}

TEST(ThroughputBaselineTest, RollingMedianOfTheLastWindow) {
  ThroughputBaseline b(5, 3);
  b.Add(100);
  b.Add(300);
  EXPECT_FALSE(b.Median());
  b.Add(200);
  EXPECT_EQ(*b.Median(), 200);
  b.Add(0);  // ignored: not a measurement
  b.Add(1000);
  EXPECT_EQ(*b.Median(), 250);
  for (int i = 0; i < 5; ++i) b.Add(50);
  EXPECT_EQ(*b.Median(), 50);
  EXPECT_EQ(b.size(), 5u);
}

}  // namespace
}  // namespace vigil::watch
