// BgpVisibility: BGP-visible IPv4 /24s per origin AS and per country, in fixed time bins,
// from MRT records replayed in time order (IODA's BGP signal; the rules and their
// sources are in docs/methodology-detectors.md, "BGP visibility").
//
// State: one routing table per peer (peer = address + AS). A RIB dump (TABLE_DUMP_V2, or
// a run of TABLE_DUMP v1 records) replaces the table of every peer it holds routes for;
// BGP4MP UPDATEs announce and withdraw; a STATE_CHANGE out of Established drops the
// peer's routes. At the end of each bin:
//   - full-feed peers: those carrying at least `full_feed_share` of the largest per-peer
//     IPv4 prefix count;
//   - a prefix is visible when more than half of the full-feed peers carry it; its
//     origin is the last AS of the AS path (an AS_SET there: no origin), by majority
//     vote of the full-feed peers carrying it;
//   - an AS counts the distinct /24s covered by the visible prefixes it originates, a
//     country the distinct /24s covered by any visible prefix that geolocate to it
//     (a prefix longer than /24 counts its /24). IPv6 is ignored.
// Entities seen once keep being reported (with 0) in later bins, so that a network
// that vanishes shows as a drop to zero, not as missing data.
//
// Memory: one 4-byte slot per (peer, prefix id) up to the peer's highest prefix id;
// no per-/24 structures. Per bin: the prefixes full-feed peers changed are recounted
// (all prefixes, O(full-feed peers x prefixes), when the full-feed set changes), then one
// sweep over the prefixes in address order; nothing when no route changed.
//
// Thread-safety: one instance per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "disruption/mrt_reader.h"
#include "geo/slash24_countries.h"

namespace vigil::disruption {

struct VisibilityOptions {
  int32_t bin_seconds = 300;
  double full_feed_share = 0.75;
  // Shorter IPv4 prefixes (default routes, bogus aggregates) are ignored, as in IODA's
  // bgpview visibility consumer (ROUTED_PFX_MIN_MASK_LEN = 6).
  uint8_t min_prefix_length = 6;
  // Bins without records are reported (with the unchanged state) when the records on
  // either side are at most this far apart; a longer silence leaves a hole.
  int64_t max_fill_seconds = 1800;
  // Memory is one slot per (peer, prefix): a stream naming more peers than this (RIPE
  // RIS collectors have a few hundred) has the others' routes ignored and counted.
  uint32_t max_peers = 4096;
};

struct EntityCount {
  uint32_t key = 0;  // ASN, or an index into Slash24Countries::codes()
  uint64_t slash24s = 0;
};

// The state at the end of the bin [time, time + step).
struct VisibilityBin {
  int64_t time = 0;
  int32_t step = 0;
  uint32_t peers = 0;            // peers carrying at least one IPv4 prefix
  uint32_t full_feed_peers = 0;
  uint32_t max_peer_prefixes = 0;
  uint64_t visible_prefixes = 0;
  uint64_t visible_slash24s = 0;
  std::span<const EntityCount> asns;       // by ASN, every AS seen so far
  std::span<const EntityCount> countries;  // by first appearance, every country seen so far
};

struct VisibilityStats {
  uint64_t records = 0;
  uint64_t malformed_records = 0;  // their announcements were treated as withdrawals
  uint64_t late_records = 0;       // older than the bin being filled; applied to it
  uint64_t dumps = 0;
  uint64_t rib_routes = 0;
  uint64_t announcements = 0;
  uint64_t withdrawals = 0;
  uint64_t peer_downs = 0;
  uint64_t ipv6_skipped = 0;       // IPv6 (and non-unicast) routes and withdrawals
  uint64_t short_prefixes_skipped = 0;
  uint64_t peers_refused = 0;      // records of peers past max_peers, ignored
  uint64_t bins = 0;
  uint32_t peers = 0;
  uint32_t prefixes = 0;           // distinct IPv4 prefixes ever seen
};

class BgpVisibility {
 public:
  using Sink = std::function<void(const VisibilityBin&)>;

  // `countries` may be null (no country counts); it must outlive this object.
  BgpVisibility(VisibilityOptions options, const geo::Slash24Countries* countries, Sink sink);

  // Applies one record: closes the bins before its time first. Call StartInput() before
  // each file so that a TABLE_DUMP v1 run at its start begins a new dump.
  void Apply(const MrtRecord& record);
  void StartInput() { v1_run_ = false; }
  // Reports the bin being filled (if any record came). Apply may continue afterwards.
  void Finish();

  // The events Apply() is made of, for other sources and tests. Peer ids come from
  // Peer() (UINT32_MAX past max_peers: the events of that peer are then ignored);
  // `origin` 0 means unknown.
  void AdvanceTo(uint32_t timestamp);
  uint32_t Peer(const IpAddr& ip, uint32_t as);
  void BeginDump();
  void Announce(uint32_t peer, uint32_t addr, uint8_t length, uint32_t path_id, uint32_t origin);
  void Withdraw(uint32_t peer, uint32_t addr, uint8_t length, uint32_t path_id);
  void PeerDown(uint32_t peer);

  const VisibilityStats& stats() const { return stats_; }
  // Full-feed peers in the last reported bin.
  uint32_t last_full_feed_peers() const { return last_.full_feed_peers; }
  size_t asns_seen() const { return asns_seen_; }
  size_t countries_seen() const { return country_counts_.size(); }

 private:
  static constexpr uint32_t kAbsent = 0xffffffffu;

  struct PeerState {
    IpAddr ip;
    uint32_t as = 0;
    std::vector<uint32_t> origin;  // by prefix id: origin AS, 0 unknown, kAbsent
    uint32_t prefix_count = 0;
    uint64_t dump = 0;             // last dump that replaced this table
    bool full_feed = false;        // in the last Compute()
    // ADD-PATH routes (path id != 0): (prefix id << 32 | path id) -> origin.
    std::map<uint64_t, uint32_t> paths;
  };

  uint32_t PrefixId(uint32_t addr, uint8_t length);
  int64_t FindPrefix(uint32_t addr, uint8_t length) const;
  void Set(PeerState& p, uint32_t prefix, uint32_t origin);
  void SetPath(PeerState& p, uint32_t prefix, uint32_t path_id, uint32_t origin);
  void Unset(PeerState& p, uint32_t prefix);
  void ClaimForDump(uint32_t peer);
  void ClearPeer(PeerState& p);
  bool Usable(uint8_t length);
  void ApplyUpdate(const MrtRecord& r);
  void MarkDirty(uint32_t prefix);
  uint32_t AsnSlot(uint32_t asn);
  void Recount(uint32_t prefix);
  void CountAll();
  void CloseBin();
  void Compute();
  void Report(int64_t time);

  VisibilityOptions options_;
  const geo::Slash24Countries* countries_;
  Sink sink_;
  VisibilityStats stats_;

  std::vector<PeerState> peers_;
  std::unordered_map<std::string, uint32_t> peer_ids_;
  std::vector<uint32_t> rib_peers_;  // TABLE_DUMP_V2 peer index -> peer id, per dump
  uint64_t dump_ = 0;
  bool v1_run_ = false;

  // Prefix interning: open addressing over (addr << 8 | length) + 1, 0 = empty slot.
  struct Slot {
    uint64_t key = 0;
    uint32_t id = 0;
  };
  std::vector<Slot> slots_;
  std::vector<uint64_t> prefix_keys_;  // by id
  std::vector<uint32_t> order_;        // ids sorted by key (address, then length)
  size_t sorted_ = 0;                  // ids below this are in order_

  bool have_bin_ = false;
  int64_t bin_ = 0;
  uint32_t last_time_ = 0;
  bool changed_ = true;  // routes changed since the last Compute()
  // carriers_/candidate_ hold for the full-feed peers of the last Compute(), except for
  // the dirty_ prefixes (changed by a full-feed peer since).
  bool counts_valid_ = false;
  std::vector<uint32_t> dirty_;
  std::vector<uint8_t> dirty_flag_;

  // Per-bin scratch and results.
  std::vector<uint32_t> carriers_;
  std::vector<uint32_t> candidate_;
  std::vector<int32_t> votes_;
  std::vector<uint8_t> mixed_;
  std::vector<uint32_t> full_feed_;
  // ASes get a slot when they first originate a prefix (visible or not); slots never move.
  std::unordered_map<uint32_t, uint32_t> asn_slot_;
  std::vector<EntityCount> asn_counts_;  // by slot
  std::vector<uint8_t> asn_seen_;        // by slot: counted in some bin
  size_t asns_seen_ = 0;
  std::vector<uint32_t> origin_slot_;    // by prefix id: slot of candidate_, kAbsent
  std::vector<uint32_t> asn_order_;      // slots by ASN
  bool asn_order_dirty_ = false;
  std::vector<uint32_t> asn_report_slots_;
  bool asn_report_dirty_ = false;
  std::vector<EntityCount> asn_report_;
  std::vector<int32_t> country_slot_;    // country index -> slot, -1 unseen
  std::vector<EntityCount> country_counts_;
  VisibilityBin last_;
};

// The origin AS of a path: the last AS of a final AS_SEQUENCE; 0 (unknown) when the path
// ends with an AS_SET or a confederation segment, is malformed or absent; `peer_as` for
// an empty path (the peer originates the route).
uint32_t OriginAs(const AsPath& path, uint32_t peer_as);

}  // namespace vigil::disruption
