// gen_mrt: a large, valid MRT file for bench/mrt.sh, derived deterministically from a real
// RIB dump (the shared RIPE RIS bview of 2002, TABLE_DUMP v1).
//
// The largest peer's table of the input (prefixes and AS paths) becomes a TABLE_DUMP_V2
// dump seen by --peers peers (each carries a prefix with probability 0.97, two of them
// are partial feeds carrying 10%), followed by --hours of BGP4MP updates (MESSAGE_AS4):
// --updates prefix events spread evenly (withdrawals and re-announcements with a
// prepended path), one session reset per 3 hours (STATE 6->1, then 1->6 and the table
// announced again), and an outage at half time: every peer withdraws all prefixes of the
// input's largest origin AS for 30 minutes. Same arguments, same bytes (fixed PRNG).
//
// Usage: gen_mrt INPUT.mrt[.gz] OUTPUT.mrt.gz [--peers 12] [--hours 6] [--updates 400000]
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "disruption/mrt_reader.h"
#include "disruption/mrt_writer.h"

namespace {

using vigil::disruption::Ipv4Prefix;
using vigil::disruption::MrtAsPath;
using vigil::disruption::MrtPeer;
using vigil::disruption::MrtReader;
using vigil::disruption::MrtRibRoute;
using vigil::disruption::MrtWriter;
using vigil::disruption::RecordKind;

struct Route {
  Ipv4Prefix prefix;
  MrtAsPath path;  // without the peer's own AS
};

uint64_t state = 0x9E3779B97F4A7C15ull;
uint64_t Next() {  // splitmix64
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
double Uniform() { return static_cast<double>(Next() >> 11) / 9007199254740992.0; }

uint32_t Origin(const MrtAsPath& p) { return p.set.empty() && !p.sequence.empty() ? p.sequence.back() : 0; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: gen_mrt INPUT OUTPUT.gz [--peers N] [--hours H] [--updates N]\n");
    return 2;
  }
  int peers_n = 12, hours = 6;
  long updates = 400000;
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    long v = std::strtol(argv[i + 1], nullptr, 10);
    if (flag == "--peers") peers_n = static_cast<int>(v);
    else if (flag == "--hours") hours = static_cast<int>(v);
    else if (flag == "--updates") updates = v;
    else {
      std::fprintf(stderr, "gen_mrt: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  if (peers_n < 3 || peers_n > 1000 || hours < 1 || updates < 0) {
    std::fprintf(stderr, "gen_mrt: --peers 3..1000, --hours >= 1, --updates >= 0\n");
    return 2;
  }

  // The input's routes, by peer; the largest table is used.
  auto reader = MrtReader::Open(argv[1]);
  if (!reader) {
    std::fprintf(stderr, "gen_mrt: %s\n", reader.error().ToString().c_str());
    return 1;
  }
  std::map<uint32_t, std::vector<Route>> by_peer;
  uint32_t dump_time = 0;
  for (;;) {
    auto next = (*reader)->Next();
    if (!next) {
      std::fprintf(stderr, "gen_mrt: %s\n", next.error().ToString().c_str());
      return 1;
    }
    const auto* r = *next;
    if (r == nullptr) break;
    if (r->kind != RecordKind::kTableDump || r->afi != 1 || r->malformed()) continue;
    dump_time = r->timestamp;
    Route route;
    const auto& b = r->prefix.addr.bytes;
    route.prefix = {(uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3],
                    r->prefix.length};
    const auto& path = r->attrs.as_path;
    for (size_t s = 0; s < path.segments.size(); ++s) {
      const auto& seg = path.segments[s];
      auto& dst = seg.type == vigil::disruption::kAsSet ? route.path.set : route.path.sequence;
      for (uint32_t k = 0; k < seg.count; ++k) dst.push_back(path.asns[seg.first + k]);
    }
    // The peer's own AS is replaced by each synthetic peer's.
    if (!route.path.sequence.empty() && route.path.sequence.front() == r->peer.as) {
      route.path.sequence.erase(route.path.sequence.begin());
    }
    by_peer[(uint32_t{r->peer.ip.bytes[3]} << 24) ^ r->peer.as].push_back(std::move(route));
  }
  std::vector<Route>* table = nullptr;
  for (auto& [key, routes] : by_peer) {
    if (table == nullptr || routes.size() > table->size()) table = &routes;
  }
  if (table == nullptr || table->empty()) {
    std::fprintf(stderr, "gen_mrt: no IPv4 TABLE_DUMP routes in %s\n", argv[1]);
    return 1;
  }
  std::map<uint32_t, size_t> origin_size;
  for (const Route& r : *table) origin_size[Origin(r.path)] += 1;
  uint32_t victim = 0;
  size_t victim_size = 0;
  for (const auto& [asn, n] : origin_size) {
    if (asn != 0 && n > victim_size) {
      victim = asn;
      victim_size = n;
    }
  }

  std::vector<MrtPeer> peers;
  for (int i = 0; i < peers_n; ++i) {
    peers.push_back({(198u << 24) | (51u << 16) | (100u << 8) | static_cast<uint32_t>(i + 1),
                     64496u + static_cast<uint32_t>(i)});
  }
  const uint32_t local_as = 12654;  // RIPE RIS
  auto carries = [&](int peer) { return Uniform() < (peer >= peers_n - 2 ? 0.10 : 0.97); };
  auto with_peer = [&](const MrtAsPath& path, int peer, int prepend) {
    MrtAsPath p = path;
    p.sequence.insert(p.sequence.begin(), static_cast<size_t>(1 + prepend), peers[static_cast<size_t>(peer)].as);
    return p;
  };

  gzFile out = gzopen(argv[2], "wb6");
  if (out == nullptr) {
    std::fprintf(stderr, "gen_mrt: cannot write %s\n", argv[2]);
    return 1;
  }
  MrtWriter w;
  bool ok = true;
  auto flush = [&](bool force) {
    if (!force && w.bytes().size() < (size_t{4} << 20)) return;
    std::string bytes = w.Take();
    if (!bytes.empty() && gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())) <= 0) ok = false;
  };

  // The RIB dump; which peer carries which prefix is remembered for the updates.
  const uint32_t t0 = dump_time - dump_time % 3600;
  std::vector<std::vector<uint8_t>> carried(table->size(), std::vector<uint8_t>(peers.size()));
  w.PeerIndexTable(t0, (192u << 24) | (0u << 16) | (2u << 8) | 1u, peers);
  std::vector<MrtRibRoute> routes;
  for (size_t i = 0; i < table->size(); ++i) {
    routes.clear();
    for (int p = 0; p < peers_n; ++p) {
      if (!carries(p)) continue;
      carried[i][static_cast<size_t>(p)] = 1;
      routes.push_back({static_cast<uint16_t>(p), with_peer((*table)[i].path, p, 0)});
    }
    w.RibIpv4(t0, static_cast<uint32_t>(i), (*table)[i].prefix, routes, peers);
    flush(false);
  }

  // Updates, one second at a time.
  const uint32_t seconds = static_cast<uint32_t>(hours) * 3600;
  const double per_second = static_cast<double>(updates) / seconds;
  const uint32_t outage_start = seconds / 2, outage_end = outage_start + 1800;
  double due = 0;
  std::vector<Ipv4Prefix> batch;
  for (uint32_t s = 1; s <= seconds && ok; ++s) {
    const uint32_t t = t0 + s;
    if (s == outage_start || s == outage_end) {
      for (int p = 0; p < peers_n; ++p) {
        batch.clear();
        for (size_t i = 0; i < table->size(); ++i) {
          if (carried[i][static_cast<size_t>(p)] == 0 || Origin((*table)[i].path) != victim) continue;
          if (s == outage_start) {
            batch.push_back((*table)[i].prefix);
          } else {
            const Ipv4Prefix one = (*table)[i].prefix;
            w.Update(t, peers[static_cast<size_t>(p)], local_as, {}, with_peer((*table)[i].path, p, 0), {&one, 1});
          }
        }
        for (size_t k = 0; k < batch.size(); k += 500) {
          const size_t n = std::min<size_t>(500, batch.size() - k);
          w.Update(t, peers[static_cast<size_t>(p)], local_as, {batch.data() + k, n}, {}, {});
        }
        flush(false);
      }
    }
    if (s % 10800 == 5400) {  // a session reset and the table announced again
      const int p = static_cast<int>(s / 10800) % peers_n;
      const MrtPeer& peer = peers[static_cast<size_t>(p)];
      w.StateChange(t, peer, local_as, 6, 1);
      w.StateChange(t + 60, peer, local_as, 1, 6);
      for (size_t i = 0; i < table->size(); ++i) {
        if (carried[i][static_cast<size_t>(p)] == 0) continue;
        const bool down = s > outage_start && s < outage_end && Origin((*table)[i].path) == victim;
        if (down) continue;
        const Ipv4Prefix one = (*table)[i].prefix;
        w.Update(t + 60 + static_cast<uint32_t>(i * 60 / table->size()), peer, local_as, {},
                 with_peer((*table)[i].path, p, 0), {&one, 1});
        flush(false);
      }
      s += 120;  // the re-announcement took two minutes
      continue;
    }
    due += per_second;
    while (due >= 1) {
      due -= 1;
      const size_t i = static_cast<size_t>(Next() % table->size());
      const int p = static_cast<int>(Next() % static_cast<uint64_t>(peers_n));
      const Ipv4Prefix one = (*table)[i].prefix;
      const MrtPeer& peer = peers[static_cast<size_t>(p)];
      if (carried[i][static_cast<size_t>(p)] != 0 && Uniform() < 0.5) {
        w.Update(t, peer, local_as, {&one, 1}, {}, {});
        carried[i][static_cast<size_t>(p)] = 0;
      } else {
        w.Update(t, peer, local_as, {}, with_peer((*table)[i].path, p, static_cast<int>(Next() % 3)), {&one, 1});
        carried[i][static_cast<size_t>(p)] = 1;
      }
    }
    flush(false);
  }
  flush(true);
  if (gzclose(out) != Z_OK || !ok) {
    std::fprintf(stderr, "gen_mrt: cannot write %s\n", argv[2]);
    return 1;
  }
  std::fprintf(stderr, "gen_mrt: %zu prefixes x %d peers, %d h of updates, outage of AS%u (%zu prefixes)\n",
               table->size(), peers_n, hours, victim, victim_size);
  return 0;
}
