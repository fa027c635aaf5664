#include "disruption/bgp_visibility.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "disruption/mrt_reader.h"
#include "disruption/mrt_writer.h"
#include "geo/slash24_countries.h"

namespace vigil::disruption {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using geo::Slash24Countries;

constexpr uint32_t Ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

const MrtPeer kA{Ip(10, 255, 0, 1), 65001};
const MrtPeer kB{Ip(10, 255, 0, 2), 65002};
const MrtPeer kC{Ip(10, 255, 0, 3), 65003};
const MrtPeer kD{Ip(10, 255, 0, 4), 65004};

MrtAsPath Path(std::vector<uint32_t> sequence, std::vector<uint32_t> set = {}) {
  MrtAsPath p;
  p.sequence = std::move(sequence);
  p.set = std::move(set);
  return p;
}

struct Bin {
  int64_t time = 0;
  uint32_t full_feed_peers = 0;
  uint64_t visible_prefixes = 0;
  uint64_t slash24s = 0;
  std::map<uint32_t, uint64_t> asns;
  std::map<std::string, uint64_t> countries;
};

// A sink appending every reported bin to `bins`.
BgpVisibility::Sink Collect(std::vector<Bin>& bins, const Slash24Countries* countries) {
  return [&bins, countries](const VisibilityBin& b) {
    Bin& out = bins.emplace_back();
    out.time = b.time;
    out.full_feed_peers = b.full_feed_peers;
    out.visible_prefixes = b.visible_prefixes;
    out.slash24s = b.visible_slash24s;
    for (const EntityCount& e : b.asns) out.asns[e.key] = e.slash24s;
    for (const EntityCount& e : b.countries) out.countries[countries->codes()[e.key]] = e.slash24s;
  };
}

std::vector<Bin> Replay(const std::string& mrt, VisibilityOptions options = {},
                        const Slash24Countries* countries = nullptr) {
  std::vector<Bin> bins;
  BgpVisibility v(options, countries, Collect(bins, countries));
  auto reader = MrtReader::FromBytes(mrt);
  v.StartInput();
  for (;;) {
    auto next = reader->Next();
    EXPECT_TRUE(next.has_value());
    if (!next || *next == nullptr) break;
    v.Apply(**next);
  }
  v.Finish();
  return bins;
}

// A RIB dump at `time`: every prefix with the peers (indexes into `peers`) carrying it.
struct RibPrefix {
  Ipv4Prefix prefix;
  std::vector<uint16_t> peers;
  MrtAsPath path;
};
void Rib(MrtWriter& w, uint32_t time, const std::vector<MrtPeer>& peers,
         const std::vector<RibPrefix>& prefixes) {
  w.PeerIndexTable(time, Ip(192, 0, 2, 1), peers);
  uint32_t seq = 0;
  for (const RibPrefix& p : prefixes) {
    std::vector<MrtRibRoute> routes;
    for (uint16_t i : p.peers) {
      MrtAsPath path = p.path;
      path.sequence.insert(path.sequence.begin(), peers[i].as);
      routes.push_back({i, path});
    }
    w.RibIpv4(time, seq++, p.prefix, routes, peers);
  }
}

TEST(OriginAsTest, LastAsOfTheFinalSequence) {
  AsPath path;
  path.present = true;
  path.asns = {3356, 1299, 64500};
  path.segments = {{kAsSequence, 0, 3}};
  EXPECT_EQ(OriginAs(path, 3356), 64500u);
  path.segments = {{kAsSequence, 0, 2}, {kAsSet, 2, 1}};
  EXPECT_EQ(OriginAs(path, 3356), 0u) << "AS_SET at the end: no origin";
  path.segments.clear();
  path.asns.clear();
  EXPECT_EQ(OriginAs(path, 3356), 3356u) << "empty path: the peer originates it";
  path.present = false;
  EXPECT_EQ(OriginAs(path, 3356), 0u);
}

TEST(Slash24CountriesTest, WholeAndSplitSlash24s) {
  std::vector<Slash24Countries::Range> ranges = {
      {Ip(1, 0, 0, 0), Ip(1, 0, 1, 255), "AU"},     // two whole /24s
      {Ip(1, 0, 2, 0), Ip(1, 0, 2, 99), "CN"},      // 1.0.2.0/24 split: CN 100,
      {Ip(1, 0, 2, 100), Ip(1, 0, 2, 255), "JP"},   //   JP 156 -> JP
      {Ip(1, 0, 3, 0), Ip(1, 0, 3, 127), "JP"},     // extends the JP run
      {Ip(1, 0, 3, 128), Ip(1, 0, 3, 255), "CN"},   // tie: the lower address wins
  };
  Slash24Countries c = Slash24Countries::FromRanges(ranges);
  ASSERT_EQ(c.runs().size(), 2u);
  EXPECT_EQ(c.runs()[0].first, Ip(1, 0, 0, 0) >> 8);
  EXPECT_EQ(c.runs()[0].end, Ip(1, 0, 2, 0) >> 8);
  EXPECT_EQ(c.CountryOf(Ip(1, 0, 1, 7)), "AU");
  EXPECT_EQ(c.CountryOf(Ip(1, 0, 2, 7)), "JP");
  EXPECT_EQ(c.CountryOf(Ip(1, 0, 3, 200)), "JP");
  EXPECT_EQ(c.CountryOf(Ip(1, 0, 4, 0)), "");
}

TEST(BgpVisibilityTest, VisibleWhenMoreThanHalfOfTheFullFeedPeersCarryIt) {
  std::vector<RibPrefix> prefixes = {
      {{Ip(20, 0, 0, 0), 16}, {0, 1, 2}, Path({64500})},  // 3 of 4: visible
      {{Ip(30, 0, 0, 0), 16}, {0, 1}, Path({64501})},     // 2 of 4: not more than half
      {{Ip(50, 0, 0, 0), 24}, {0, 1, 2, 3}, Path({64503})}};
  for (uint32_t i = 0; i < 6; ++i) {  // enough for D (7 of 9 prefixes) to be full-feed
    prefixes.push_back({{Ip(40, 0, i, 0), 24}, {0, 1, 2, 3}, Path({64502})});
  }
  MrtWriter w;
  Rib(w, 1000, {kA, kB, kC, kD}, prefixes);
  auto bins = Replay(w.Take());
  ASSERT_EQ(bins.size(), 1u);
  EXPECT_EQ(bins[0].time, 900);
  EXPECT_EQ(bins[0].full_feed_peers, 4u);
  EXPECT_EQ(bins[0].visible_prefixes, 8u);
  EXPECT_EQ(bins[0].slash24s, 263u);
  EXPECT_THAT(bins[0].asns, ElementsAre(Pair(64500, 256), Pair(64502, 6), Pair(64503, 1)));
}

TEST(BgpVisibilityTest, PartialFeedPeersDoNotVote) {
  // D carries 1 prefix of the 4 the others carry: below 75% of the largest table.
  MrtWriter w;
  Rib(w, 0, {kA, kB, kC, kD},
      {{{Ip(20, 0, 0, 0), 24}, {0, 1, 2}, Path({64500})},
       {{Ip(21, 0, 0, 0), 24}, {0, 1, 2}, Path({64500})},
       {{Ip(22, 0, 0, 0), 24}, {0, 1, 2}, Path({64500})},
       {{Ip(23, 0, 0, 0), 24}, {0, 3}, Path({64501})}});  // A and D: 1 of 3 full-feed peers
  auto bins = Replay(w.Take());
  ASSERT_EQ(bins.size(), 1u);
  EXPECT_EQ(bins[0].full_feed_peers, 3u);
  EXPECT_THAT(bins[0].asns, ElementsAre(Pair(64500, 3)));
}

TEST(BgpVisibilityTest, MoreSpecificsAreNotCountedTwice) {
  MrtWriter w;
  Rib(w, 0, {kA, kB},
      {{{Ip(10, 0, 0, 0), 16}, {0, 1}, Path({64500})},
       {{Ip(10, 0, 1, 0), 24}, {0, 1}, Path({64500})},     // inside the /16, same origin
       {{Ip(10, 0, 2, 0), 23}, {0, 1}, Path({64501})},     // inside, another origin
       {{Ip(10, 0, 2, 0), 25}, {0, 1}, Path({64501})},     // inside the /23, same origin
       {{Ip(10, 1, 0, 0), 25}, {0, 1}, Path({64502})},     // a /25 counts its /24
       {{Ip(10, 1, 0, 128), 25}, {0, 1}, Path({64502})}}); // ... once
  auto bins = Replay(w.Take());
  ASSERT_EQ(bins.size(), 1u);
  EXPECT_EQ(bins[0].slash24s, 257u);
  EXPECT_THAT(bins[0].asns, ElementsAre(Pair(64500, 256), Pair(64501, 2), Pair(64502, 1)));
}

TEST(BgpVisibilityTest, AsSetOriginCountsForCountriesButNoAs) {
  std::vector<Slash24Countries::Range> ranges = {{Ip(41, 0, 0, 0), Ip(41, 0, 255, 255), "CM"},
                                                 {Ip(41, 1, 0, 0), Ip(41, 1, 0, 255), "NG"}};
  Slash24Countries countries = Slash24Countries::FromRanges(ranges);
  MrtWriter w;
  Rib(w, 0, {kA, kB},
      {{{Ip(41, 0, 0, 0), 16}, {0, 1}, Path({30987}, {64600, 64601})},  // ends with an AS_SET
       {{Ip(41, 1, 0, 0), 23}, {0, 1}, Path({36947})}});                // half in NG, half unknown
  auto bins = Replay(w.Take(), {}, &countries);
  ASSERT_EQ(bins.size(), 1u);
  EXPECT_THAT(bins[0].asns, ElementsAre(Pair(36947, 2)));
  EXPECT_THAT(bins[0].countries, ElementsAre(Pair("CM", 256), Pair("NG", 1)));
  EXPECT_EQ(bins[0].slash24s, 258u);
}

TEST(BgpVisibilityTest, OriginIsWhatMoreThanHalfOfTheCarriersAnnounce) {
  MrtWriter w;
  const std::vector<MrtPeer> peers = {kA, kB, kC};
  w.PeerIndexTable(0, 1, peers);
  auto route = [](uint16_t peer, uint32_t origin) { return MrtRibRoute{peer, Path({65000, origin})}; };
  std::vector<MrtRibRoute> majority = {route(0, 64500), route(1, 64501), route(2, 64500)};
  std::vector<MrtRibRoute> split = {route(0, 64502), route(1, 64503), route(2, 64504)};
  w.RibIpv4(0, 0, {Ip(20, 0, 0, 0), 24}, majority, peers);
  w.RibIpv4(0, 1, {Ip(21, 0, 0, 0), 24}, split, peers);
  w.RibIpv4(0, 2, {Ip(22, 0, 0, 0), 24}, split, peers);
  w.RibIpv4(0, 3, {Ip(23, 0, 0, 0), 24}, majority, peers);
  auto bins = Replay(w.Take());
  ASSERT_EQ(bins.size(), 1u);
  EXPECT_EQ(bins[0].slash24s, 4u) << "a prefix without a majority origin is still visible";
  EXPECT_THAT(bins[0].asns, ElementsAre(Pair(64500, 2)));
}

TEST(BgpVisibilityTest, PeerDownDropsItsRoutes) {
  MrtWriter w;
  Rib(w, 0, {kA, kB, kC},
      {{{Ip(20, 0, 0, 0), 24}, {0, 1, 2}, Path({64500})},
       {{Ip(21, 0, 0, 0), 24}, {0, 1, 2}, Path({64500})},
       {{Ip(22, 0, 0, 0), 24}, {0, 1, 2}, Path({64500})},
       {{Ip(30, 0, 0, 0), 24}, {0, 2}, Path({64501})}});  // A and C: 2 of 3 -> visible
  // C goes down in the next bin: 30.0.0.0/24 is left with A, 1 of 2 full-feed peers.
  w.StateChange(400, kC, 65000, 6, 1);
  auto bins = Replay(w.Take());
  ASSERT_EQ(bins.size(), 2u);
  EXPECT_EQ(bins[0].full_feed_peers, 3u);
  EXPECT_THAT(bins[0].asns, ElementsAre(Pair(64500, 3), Pair(64501, 1)));
  EXPECT_EQ(bins[1].time, 300);
  EXPECT_EQ(bins[1].full_feed_peers, 2u);
  EXPECT_THAT(bins[1].asns, ElementsAre(Pair(64500, 3), Pair(64501, 0)))
      << "an AS seen before is reported with 0, not left out";
}

TEST(BgpVisibilityTest, UpdatesApplyAtBinBoundaries) {
  MrtWriter w;
  Rib(w, 0, {kA, kB}, {{{Ip(20, 0, 0, 0), 24}, {0, 1}, Path({64500})}});
  const Ipv4Prefix p21{Ip(21, 0, 0, 0), 24};
  const Ipv4Prefix p20{Ip(20, 0, 0, 0), 24};
  w.Update(299, kA, 65000, {}, Path({65001, 64501}), {&p21, 1});  // still bin 0
  w.Update(299, kB, 65000, {}, Path({65002, 64501}), {&p21, 1});
  w.Update(300, kA, 65000, {&p20, 1}, {}, {});                // bin 300: withdrawn
  w.Update(300, kB, 65000, {&p20, 1}, {}, {});
  w.Update(1500, kA, 65000, {}, Path({65001, 64500}), {&p20, 1}); // bins 600..1200 filled
  w.Update(1500, kB, 65000, {}, Path({65002, 64500}), {&p20, 1});
  auto bins = Replay(w.Take());
  ASSERT_EQ(bins.size(), 6u);
  EXPECT_THAT(bins[0].asns, ElementsAre(Pair(64500, 1), Pair(64501, 1)));
  EXPECT_EQ(bins[1].time, 300);
  EXPECT_THAT(bins[1].asns, ElementsAre(Pair(64500, 0), Pair(64501, 1)));
  EXPECT_EQ(bins[4].time, 1200);
  EXPECT_THAT(bins[4].asns, ElementsAre(Pair(64500, 0), Pair(64501, 1)));
  EXPECT_EQ(bins[5].time, 1500);
  EXPECT_THAT(bins[5].asns, ElementsAre(Pair(64500, 1), Pair(64501, 1)));
}

TEST(BgpVisibilityTest, LongSilenceLeavesAHole) {
  MrtWriter w;
  Rib(w, 0, {kA}, {{{Ip(20, 0, 0, 0), 24}, {0}, Path({64500})}});
  const Ipv4Prefix p{Ip(21, 0, 0, 0), 24};
  w.Update(7200, kA, 65000, {}, Path({65001, 64501}), {&p, 1});
  auto bins = Replay(w.Take());
  ASSERT_EQ(bins.size(), 2u);
  EXPECT_EQ(bins[1].time, 7200);
}

TEST(BgpVisibilityTest, NewDumpReplacesThePeersTable) {
  MrtWriter w;
  Rib(w, 0, {kA, kB},
      {{{Ip(20, 0, 0, 0), 24}, {0, 1}, Path({64500})}, {{Ip(21, 0, 0, 0), 24}, {0, 1}, Path({64501})}});
  Rib(w, 300, {kA, kB}, {{{Ip(21, 0, 0, 0), 24}, {0, 1}, Path({64501})}});
  auto bins = Replay(w.Take());
  ASSERT_EQ(bins.size(), 2u);
  EXPECT_THAT(bins[1].asns, ElementsAre(Pair(64500, 0), Pair(64501, 1)));
}

TEST(BgpVisibilityTest, AddPathKeepsThePrefixWhileOnePathRemains) {
  std::vector<uint64_t> visible;
  BgpVisibility tracker({}, nullptr,
                        [&](const VisibilityBin& b) { visible.push_back(b.visible_prefixes); });
  IpAddr ip;
  ip.bytes = {10, 255, 0, 1};
  const uint32_t a = tracker.Peer(ip, 65001);
  tracker.AdvanceTo(0);
  tracker.Announce(a, Ip(20, 0, 0, 0), 24, 1, 64500);
  tracker.Announce(a, Ip(20, 0, 0, 0), 24, 2, 64500);
  tracker.AdvanceTo(300);
  tracker.Withdraw(a, Ip(20, 0, 0, 0), 24, 1);
  tracker.AdvanceTo(600);
  tracker.Withdraw(a, Ip(20, 0, 0, 0), 24, 2);
  tracker.Finish();
  EXPECT_THAT(visible, ElementsAre(1, 1, 0));
}

TEST(BgpVisibilityTest, PeersPastTheLimitAreIgnored) {
  VisibilityOptions options;
  options.max_peers = 2;
  std::vector<uint64_t> visible;
  BgpVisibility tracker(options, nullptr,
                        [&](const VisibilityBin& b) { visible.push_back(b.visible_prefixes); });
  IpAddr ip;
  std::vector<uint32_t> peers;
  for (uint8_t i = 1; i <= 3; ++i) {
    ip.bytes[3] = i;
    peers.push_back(tracker.Peer(ip, 65000));
  }
  EXPECT_EQ(peers[2], ~0u);
  tracker.AdvanceTo(0);
  tracker.Announce(peers[0], Ip(20, 0, 0, 0), 24, 0, 64500);
  tracker.Announce(peers[2], Ip(21, 0, 0, 0), 24, 0, 64500);  // ignored
  tracker.Withdraw(peers[2], Ip(20, 0, 0, 0), 24, 0);
  tracker.PeerDown(peers[2]);
  tracker.Finish();
  EXPECT_THAT(visible, ElementsAre(1));
  EXPECT_EQ(tracker.stats().peers_refused, 1u);
}

TEST(BgpVisibilityTest, ShortPrefixesAndIpv6AreIgnored) {
  BgpVisibility tracker({}, nullptr, nullptr);
  IpAddr ip;
  const uint32_t a = tracker.Peer(ip, 65001);
  tracker.AdvanceTo(0);
  tracker.Announce(a, 0, 0, 0, 64500);
  tracker.Announce(a, Ip(4, 0, 0, 0), 5, 0, 64500);
  EXPECT_EQ(tracker.stats().short_prefixes_skipped, 2u);
  EXPECT_EQ(tracker.stats().prefixes, 0u);
}

// Bins computed incrementally (only prefixes touched since the last bin recounted) equal
// bins computed from scratch by a fresh tracker fed the same events up to that bin.
TEST(BgpVisibilityTest, IncrementalBinsEqualFromScratch) {
  struct Event {
    uint32_t time;
    int kind;  // 0 announce, 1 withdraw, 2 peer down
    uint32_t peer, prefix, origin;
  };
  std::vector<Event> events;
  uint64_t rng = 42;
  auto next = [&rng](uint64_t n) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (rng >> 33) % n;
  };
  for (uint32_t peer = 0; peer < 5; ++peer) {
    for (uint32_t prefix = 0; prefix < 300; ++prefix) {
      if (next(10) < 9) events.push_back({0, 0, peer, prefix, 64500 + prefix % 7});
    }
  }
  for (uint32_t t = 1; t < 6000; t += static_cast<uint32_t>(1 + next(20))) {
    const auto kind = static_cast<int>(next(1000) < 3 ? 2 : next(2));
    // Some announcements change the origin (MOAS), some prefixes nest in others.
    events.push_back({t, kind, static_cast<uint32_t>(next(5)), static_cast<uint32_t>(next(300)),
                      static_cast<uint32_t>(64500 + next(9))});
  }
  // until == ~0u: one bin after another; otherwise every event up to `until` in one bin,
  // computed once from scratch.
  auto run = [&events](uint32_t until, std::vector<Bin>& bins) {
    BgpVisibility v({}, nullptr, Collect(bins, nullptr));
    std::vector<uint32_t> ids;
    for (uint32_t i = 0; i < 5; ++i) {
      IpAddr ip;
      ip.bytes[3] = static_cast<uint8_t>(i + 1);
      ids.push_back(v.Peer(ip, 65001 + i));
    }
    if (until != ~0u) v.AdvanceTo(until - 1);
    for (const Event& e : events) {
      if (e.time >= until) break;
      if (until == ~0u) v.AdvanceTo(e.time);
      // Prefix k: 20.k/16 for k % 10 == 0, else a /24 inside 20.(k - k % 10)/16.
      const uint32_t base = Ip(20, (e.prefix / 10) * 10, 0, 0);
      const uint32_t addr = e.prefix % 10 == 0 ? base : base | ((e.prefix % 10) << 8);
      const uint8_t length = e.prefix % 10 == 0 ? 16 : 24;
      if (e.kind == 0) v.Announce(ids[e.peer], addr, length, 0, e.origin);
      if (e.kind == 1) v.Withdraw(ids[e.peer], addr, length, 0);
      if (e.kind == 2) v.PeerDown(ids[e.peer]);
    }
    v.Finish();
  };
  std::vector<Bin> incremental;
  run(~0u, incremental);
  ASSERT_EQ(incremental.size(), 20u);
  for (size_t b = 0; b < incremental.size(); ++b) {
    std::vector<Bin> fresh;
    run(static_cast<uint32_t>(incremental[b].time) + 300, fresh);
    ASSERT_EQ(fresh.size(), 1u);
    const Bin& f = fresh.back();
    const Bin& i = incremental[b];
    EXPECT_EQ(f.time, i.time);
    EXPECT_EQ(f.full_feed_peers, i.full_feed_peers) << "bin " << b;
    EXPECT_EQ(f.visible_prefixes, i.visible_prefixes) << "bin " << b;
    EXPECT_EQ(f.slash24s, i.slash24s) << "bin " << b;
    EXPECT_EQ(f.asns, i.asns) << "bin " << b;
  }
}

}  // namespace
}  // namespace vigil::disruption
