#include "disruption/bgp_visibility.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace vigil::disruption {
namespace {

constexpr uint16_t kEstablished = 6;

uint32_t Ipv4(const IpAddr& a) {
  return (uint32_t{a.bytes[0]} << 24) | (uint32_t{a.bytes[1]} << 16) |
         (uint32_t{a.bytes[2]} << 8) | a.bytes[3];
}

uint32_t Mask(uint8_t length) {
  return length == 0 ? 0 : ~uint32_t{0} << (32 - std::min<uint8_t>(length, 32));
}

uint64_t PrefixKey(uint32_t addr, uint8_t length) { return (uint64_t{addr} << 8) | length; }

// Fibonacci hashing: the top bits of the product, which depend on every bit of the key.
size_t HashSlot(uint64_t key, size_t mask) {
  const int bits = std::popcount(mask);
  return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

}  // namespace

uint32_t OriginAs(const AsPath& path, uint32_t peer_as) {
  if (!path.present || path.malformed) return 0;
  if (path.segments.empty()) return peer_as;
  const AsPath::Segment& last = path.segments.back();
  if (last.type != kAsSequence || last.count == 0) return 0;
  return path.asns[last.first + last.count - 1];
}

BgpVisibility::BgpVisibility(VisibilityOptions options, const geo::Slash24Countries* countries,
                             Sink sink)
    : options_(options), countries_(countries), sink_(std::move(sink)) {
  if (options_.bin_seconds <= 0) options_.bin_seconds = 300;
  slots_.assign(size_t{1} << 16, Slot{});
  if (countries_ != nullptr) country_slot_.assign(countries_->codes().size(), -1);
}

// --- Peers and prefixes.

uint32_t BgpVisibility::Peer(const IpAddr& ip, uint32_t as) {
  std::string key(21, '\0');
  key[0] = ip.v6 ? 6 : 4;
  std::memcpy(key.data() + 1, ip.bytes.data(), 16);
  std::memcpy(key.data() + 17, &as, 4);
  auto found = peer_ids_.find(key);
  if (found != peer_ids_.end()) return found->second;
  if (peers_.size() >= options_.max_peers) {
    ++stats_.peers_refused;
    return kAbsent;
  }
  auto [it, inserted] = peer_ids_.try_emplace(std::move(key), static_cast<uint32_t>(peers_.size()));
  if (inserted) {
    PeerState& p = peers_.emplace_back();
    p.ip = ip;
    p.as = as;
    stats_.peers = static_cast<uint32_t>(peers_.size());
  }
  return it->second;
}

int64_t BgpVisibility::FindPrefix(uint32_t addr, uint8_t length) const {
  const uint64_t key = PrefixKey(addr, length) + 1;
  const size_t mask = slots_.size() - 1;
  for (size_t i = HashSlot(key, mask);; i = (i + 1) & mask) {
    if (slots_[i].key == key) return slots_[i].id;
    if (slots_[i].key == 0) return -1;
  }
}

uint32_t BgpVisibility::PrefixId(uint32_t addr, uint8_t length) {
  const uint64_t key = PrefixKey(addr, length) + 1;
  size_t mask = slots_.size() - 1;
  size_t i = HashSlot(key, mask);
  for (;; i = (i + 1) & mask) {
    if (slots_[i].key == key) return slots_[i].id;
    if (slots_[i].key == 0) break;
  }
  const auto id = static_cast<uint32_t>(prefix_keys_.size());
  prefix_keys_.push_back(key - 1);
  stats_.prefixes = static_cast<uint32_t>(prefix_keys_.size());
  if (prefix_keys_.size() * 2 > slots_.size()) {
    // Grow and re-insert every key (ids are kept).
    slots_.assign(slots_.size() * 2, Slot{});
    mask = slots_.size() - 1;
    for (uint32_t k = 0; k < prefix_keys_.size(); ++k) {
      size_t j = HashSlot(prefix_keys_[k] + 1, mask);
      while (slots_[j].key != 0) j = (j + 1) & mask;
      slots_[j] = {prefix_keys_[k] + 1, k};
    }
    return id;
  }
  slots_[i] = {key, id};
  return id;
}

bool BgpVisibility::Usable(uint8_t length) {
  if (length > 32) return false;
  if (length < options_.min_prefix_length) {
    ++stats_.short_prefixes_skipped;
    return false;
  }
  return true;
}

void BgpVisibility::Set(PeerState& p, uint32_t prefix, uint32_t origin) {
  if (prefix >= p.origin.size()) p.origin.resize(prefix + 1, kAbsent);  // grows geometrically
  uint32_t& slot = p.origin[prefix];
  if (slot == origin) return;
  if (slot == kAbsent) ++p.prefix_count;
  slot = origin;
  changed_ = true;
  if (p.full_feed) MarkDirty(prefix);
}

void BgpVisibility::MarkDirty(uint32_t prefix) {
  if (prefix >= dirty_flag_.size()) dirty_flag_.resize(prefix_keys_.size(), 0);
  if (dirty_flag_[prefix] != 0) return;
  dirty_flag_[prefix] = 1;
  dirty_.push_back(prefix);
}

void BgpVisibility::Unset(PeerState& p, uint32_t prefix) {
  if (prefix >= p.origin.size() || p.origin[prefix] == kAbsent) return;
  p.origin[prefix] = kAbsent;
  --p.prefix_count;
  changed_ = true;
  if (p.full_feed) MarkDirty(prefix);
}

void BgpVisibility::ClearPeer(PeerState& p) {
  if (p.prefix_count > 0) {
    std::fill(p.origin.begin(), p.origin.end(), kAbsent);
    changed_ = true;
    // A full-feed peer with no routes is no longer full-feed: everything is recounted.
    if (p.full_feed) counts_valid_ = false;
  }
  p.prefix_count = 0;
  p.paths.clear();
}

void BgpVisibility::ClaimForDump(uint32_t peer) {
  if (peer == kAbsent) return;
  PeerState& p = peers_[peer];
  if (p.dump == dump_) return;
  ClearPeer(p);
  p.dump = dump_;
}

// --- Events.

void BgpVisibility::BeginDump() {
  ++dump_;
  ++stats_.dumps;
  rib_peers_.clear();
}

void BgpVisibility::Announce(uint32_t peer, uint32_t addr, uint8_t length, uint32_t path_id,
                             uint32_t origin) {
  if (peer == kAbsent || !Usable(length)) return;
  const uint32_t id = PrefixId(addr & Mask(length), length);
  SetPath(peers_[peer], id, path_id, origin);
}

void BgpVisibility::SetPath(PeerState& p, uint32_t prefix, uint32_t path_id, uint32_t origin) {
  if (path_id == 0) {
    Set(p, prefix, origin);
    return;
  }
  // With ADD-PATH, the peer's route is the one with the lowest path id.
  p.paths[(uint64_t{prefix} << 32) | path_id] = origin;
  Set(p, prefix, p.paths.lower_bound(uint64_t{prefix} << 32)->second);
}

void BgpVisibility::Withdraw(uint32_t peer, uint32_t addr, uint8_t length, uint32_t path_id) {
  if (peer == kAbsent || length > 32) return;
  const int64_t found = FindPrefix(addr & Mask(length), length);
  if (found < 0) return;
  const auto id = static_cast<uint32_t>(found);
  PeerState& p = peers_[peer];
  if (path_id == 0) {
    Unset(p, id);
    return;
  }
  p.paths.erase((uint64_t{id} << 32) | path_id);
  // The prefix stays carried while another path of it remains.
  auto it = p.paths.lower_bound(uint64_t{id} << 32);
  if (it != p.paths.end() && (it->first >> 32) == id) {
    Set(p, id, it->second);
  } else {
    Unset(p, id);
  }
}

void BgpVisibility::PeerDown(uint32_t peer) {
  if (peer == kAbsent) return;
  PeerState& p = peers_[peer];
  if (p.prefix_count == 0 && p.paths.empty()) return;
  ++stats_.peer_downs;
  ClearPeer(p);
}

void BgpVisibility::Apply(const MrtRecord& r) {
  ++stats_.records;
  if (r.malformed()) ++stats_.malformed_records;
  AdvanceTo(r.timestamp);
  switch (r.kind) {
    case RecordKind::kPeerIndexTable:
      BeginDump();
      v1_run_ = false;
      break;
    case RecordKind::kTableDump: {
      if (!v1_run_) {
        BeginDump();
        v1_run_ = true;
      }
      if (r.afi != 1) {
        ++stats_.ipv6_skipped;
        break;
      }
      const uint32_t peer = Peer(r.peer.ip, r.peer.as);
      ClaimForDump(peer);
      ++stats_.rib_routes;
      Announce(peer, Ipv4(r.prefix.addr), r.prefix.length, 0, OriginAs(r.attrs.as_path, r.peer.as));
      break;
    }
    case RecordKind::kRib: {
      v1_run_ = false;
      const auto routes = r.rib_entries();
      if (r.afi != 1 || r.safi != 1) {
        stats_.ipv6_skipped += routes.size();
        break;
      }
      stats_.rib_routes += routes.size();
      const uint8_t length = r.prefix.length;
      if (!Usable(length)) break;
      const uint32_t id = PrefixId(Ipv4(r.prefix.addr) & Mask(length), length);
      for (const RibEntry& e : routes) {
        if (e.peer_index >= rib_peers_.size()) rib_peers_.resize(e.peer_index + 1, kAbsent);
        uint32_t& peer = rib_peers_[e.peer_index];
        if (peer == kAbsent) peer = Peer(e.peer.ip, e.peer.as);
        if (peer == kAbsent) continue;  // past max_peers
        ClaimForDump(peer);
        SetPath(peers_[peer], id, e.path_id, OriginAs(e.attrs.as_path, e.peer.as));
      }
      break;
    }
    case RecordKind::kBgp4mpState:
      v1_run_ = false;
      if (r.new_state != kEstablished) PeerDown(Peer(r.peer_ip, r.peer_as));
      break;
    case RecordKind::kBgp4mpMessage:
      v1_run_ = false;
      if (r.msg_type == kBgpUpdate && !r.local) ApplyUpdate(r);
      break;
    case RecordKind::kUnsupported:
      break;
  }
}

void BgpVisibility::ApplyUpdate(const MrtRecord& r) {
  const uint32_t peer = Peer(r.peer_ip, r.peer_as);
  const MpNlri& mp_unreach = r.attrs.mp_unreach[PathAttributes::MpIndex(1, 1)];
  const MpNlri& mp_reach = r.attrs.mp_reach[PathAttributes::MpIndex(1, 1)];
  for (const auto* list : {&r.withdrawn, &mp_unreach.prefixes}) {
    for (const NlriPrefix& p : *list) {
      ++stats_.withdrawals;
      Withdraw(peer, Ipv4(p.addr), p.length, p.path_id);
    }
  }
  stats_.ipv6_skipped += r.attrs.mp_unreach[PathAttributes::MpIndex(2, 1)].prefixes.size() +
                         r.attrs.mp_reach[PathAttributes::MpIndex(2, 1)].prefixes.size();
  // A malformed UPDATE's announcements are treated as withdrawals (RFC 7606).
  const bool withdraw = r.malformed();
  const uint32_t origin = OriginAs(r.attrs.as_path, r.peer_as);
  for (const auto* list : {&r.announced, &mp_reach.prefixes}) {
    for (const NlriPrefix& p : *list) {
      if (withdraw) {
        ++stats_.withdrawals;
        Withdraw(peer, Ipv4(p.addr), p.length, p.path_id);
      } else {
        ++stats_.announcements;
        Announce(peer, Ipv4(p.addr), p.length, p.path_id, origin);
      }
    }
  }
}

// --- Bins.

void BgpVisibility::AdvanceTo(uint32_t timestamp) {
  const int64_t step = options_.bin_seconds;
  const int64_t t = timestamp;
  const int64_t bin = t - t % step;
  if (!have_bin_) {
    have_bin_ = true;
    bin_ = bin;
    last_time_ = timestamp;
    return;
  }
  if (bin < bin_) {
    ++stats_.late_records;
    return;
  }
  if (bin == bin_) {
    last_time_ = std::max(last_time_, timestamp);
    return;
  }
  CloseBin();
  if (t - int64_t{last_time_} <= options_.max_fill_seconds) {
    for (int64_t b = bin_ + step; b < bin; b += step) Report(b);
  }
  bin_ = bin;
  last_time_ = timestamp;
}

void BgpVisibility::Finish() {
  if (!have_bin_) return;
  CloseBin();
  have_bin_ = false;
}

void BgpVisibility::CloseBin() {
  Compute();
  Report(bin_);
}

uint32_t BgpVisibility::AsnSlot(uint32_t asn) {
  if (asn == 0) return kAbsent;
  auto [it, inserted] = asn_slot_.try_emplace(asn, static_cast<uint32_t>(asn_counts_.size()));
  if (inserted) {
    asn_counts_.push_back({asn, 0});
    asn_seen_.push_back(0);
    asn_order_dirty_ = true;
  }
  return it->second;
}

// The origin of a prefix is the one more than half of its full-feed carriers announce
// (Boyer-Moore vote, then a count where they disagree), else none (0).
void BgpVisibility::Recount(uint32_t id) {
  uint32_t carriers = 0;
  uint32_t candidate = 0;
  int32_t votes = 0;
  bool mixed = false;
  for (uint32_t f : full_feed_) {
    const std::vector<uint32_t>& origins = peers_[f].origin;
    if (id >= origins.size() || origins[id] == kAbsent) continue;
    const uint32_t o = origins[id];
    ++carriers;
    if (votes == 0) {
      candidate = o;
      votes = 1;
    } else if (candidate == o) {
      ++votes;
    } else {
      mixed = true;
      --votes;
    }
  }
  if (mixed) {
    uint32_t agree = 0;
    for (uint32_t f : full_feed_) {
      const std::vector<uint32_t>& origins = peers_[f].origin;
      agree += id < origins.size() && origins[id] == candidate;
    }
    if (2 * agree <= carriers) candidate = 0;
  }
  carriers_[id] = carriers;
  candidate_[id] = candidate;
  origin_slot_[id] = AsnSlot(candidate);
}

void BgpVisibility::CountAll() {
  const size_t n = prefix_keys_.size();
  carriers_.assign(n, 0);
  candidate_.assign(n, 0);
  origin_slot_.assign(n, kAbsent);
  votes_.assign(n, 0);
  mixed_.assign(n, 0);
  bool any_mixed = false;
  for (uint32_t f : full_feed_) {
    const std::vector<uint32_t>& origins = peers_[f].origin;
    const size_t m = std::min(origins.size(), n);
    for (size_t id = 0; id < m; ++id) {
      const uint32_t o = origins[id];
      if (o == kAbsent) continue;
      if (votes_[id] == 0) {
        candidate_[id] = o;
        votes_[id] = 1;
      } else if (candidate_[id] == o) {
        ++votes_[id];
      } else {
        mixed_[id] = 1;
        any_mixed = true;
        --votes_[id];
      }
      ++carriers_[id];
    }
  }
  if (any_mixed) {
    for (size_t id = 0; id < n; ++id) votes_[id] = 0;
    for (uint32_t f : full_feed_) {
      const std::vector<uint32_t>& origins = peers_[f].origin;
      const size_t m = std::min(origins.size(), n);
      for (size_t id = 0; id < m; ++id) {
        if (mixed_[id] != 0 && origins[id] == candidate_[id]) ++votes_[id];
      }
    }
    for (size_t id = 0; id < n; ++id) {
      if (mixed_[id] != 0 && 2 * int64_t{votes_[id]} <= int64_t{carriers_[id]}) candidate_[id] = 0;
    }
  }
  uint32_t memo_origin = 0, memo_slot = kAbsent;  // neighbouring prefixes share origins
  for (size_t id = 0; id < n; ++id) {
    if (candidate_[id] != memo_origin) {
      memo_origin = candidate_[id];
      memo_slot = AsnSlot(memo_origin);
    }
    origin_slot_[id] = memo_slot;
  }
}

void BgpVisibility::Compute() {
  if (!changed_) return;
  changed_ = false;
  const size_t n = prefix_keys_.size();

  // Full-feed peers.
  uint32_t max_count = 0, with_routes = 0;
  for (const PeerState& p : peers_) max_count = std::max(max_count, p.prefix_count);
  full_feed_.clear();
  bool same_full_feed = counts_valid_;
  for (uint32_t i = 0; i < peers_.size(); ++i) {
    PeerState& p = peers_[i];
    const bool full_feed = p.prefix_count > 0 && static_cast<double>(p.prefix_count) >=
                                                     options_.full_feed_share * max_count;
    with_routes += p.prefix_count > 0;
    if (full_feed) full_feed_.push_back(i);
    if (full_feed != p.full_feed) same_full_feed = false;
    p.full_feed = full_feed;
  }

  // Carriers and origin of every prefix. With the same full-feed peers as in the last
  // bin, only the prefixes their updates touched are recounted.
  carriers_.resize(n, 0);
  candidate_.resize(n, 0);
  origin_slot_.resize(n, kAbsent);
  if (same_full_feed) {
    for (uint32_t id : dirty_) Recount(id);
  } else {
    CountAll();
  }
  for (uint32_t id : dirty_) dirty_flag_[id] = 0;
  dirty_.clear();
  counts_valid_ = true;

  // Address order for the sweep: new ids are sorted (by key, contiguously) and merged in.
  if (sorted_ < n) {
    std::vector<std::pair<uint64_t, uint32_t>> added;
    added.reserve(n - sorted_);
    for (size_t id = sorted_; id < n; ++id) added.emplace_back(prefix_keys_[id], static_cast<uint32_t>(id));
    std::sort(added.begin(), added.end());
    const size_t old = order_.size();
    for (const auto& [key, id] : added) order_.push_back(id);
    std::inplace_merge(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(old), order_.end(),
                       [this](uint32_t a, uint32_t b) { return prefix_keys_[a] < prefix_keys_[b]; });
    sorted_ = n;
  }

  // One sweep in address order. Prefix ranges in /24 units are nested or disjoint, so a
  // stack of the enclosing visible prefixes tells whether an origin already counted a
  // range (more specifics are not counted twice) and which ranges are outermost (their
  // union is what countries count).
  for (EntityCount& e : asn_counts_) e.slash24s = 0;
  for (EntityCount& e : country_counts_) e.slash24s = 0;
  struct Open {
    uint32_t end;
    uint32_t origin;
  };
  std::vector<Open> stack;
  std::vector<std::pair<uint32_t, uint32_t>> outer;  // disjoint /24 ranges, ascending
  const size_t full_feed = full_feed_.size();
  uint64_t visible = 0;
  for (uint32_t id : order_) {
    if (2 * size_t{carriers_[id]} <= full_feed) continue;
    ++visible;
    const uint64_t key = prefix_keys_[id];
    const auto length = static_cast<uint8_t>(key & 0xff);
    const auto start = static_cast<uint32_t>(key >> 16);  // addr >> 8
    const uint32_t end = length >= 24 ? start + 1 : start + (uint32_t{1} << (24 - length));
    while (!stack.empty() && stack.back().end <= start) stack.pop_back();
    if (stack.empty()) outer.emplace_back(start, end);
    const uint32_t origin = candidate_[id];
    const uint32_t slot = origin_slot_[id];
    if (slot != kAbsent && std::none_of(stack.begin(), stack.end(),
                                        [origin](const Open& o) { return o.origin == origin; })) {
      asn_counts_[slot].slash24s += end - start;
      if (asn_seen_[slot] == 0) {
        asn_seen_[slot] = 1;
        ++asns_seen_;
        asn_report_dirty_ = true;
      }
    }
    stack.push_back({end, origin});
  }
  // Reported: every AS counted at least once, by ASN.
  if (asn_order_dirty_) {
    asn_order_.resize(asn_counts_.size());
    for (uint32_t i = 0; i < asn_order_.size(); ++i) asn_order_[i] = i;
    std::sort(asn_order_.begin(), asn_order_.end(),
              [this](uint32_t a, uint32_t b) { return asn_counts_[a].key < asn_counts_[b].key; });
    asn_order_dirty_ = false;
    asn_report_dirty_ = true;
  }
  if (asn_report_dirty_) {
    asn_report_slots_.clear();
    for (uint32_t slot : asn_order_) {
      if (asn_seen_[slot] != 0) asn_report_slots_.push_back(slot);
    }
    asn_report_dirty_ = false;
  }
  asn_report_.resize(asn_report_slots_.size());
  for (size_t i = 0; i < asn_report_slots_.size(); ++i) {
    asn_report_[i] = asn_counts_[asn_report_slots_[i]];
  }

  uint64_t slash24s = 0;
  for (const auto& [s, e] : outer) slash24s += e - s;
  if (countries_ != nullptr) {
    const auto runs = countries_->runs();
    size_t r = 0;
    bool new_countries = false;
    for (const auto& [s, e] : outer) {
      while (r < runs.size() && runs[r].end <= s) ++r;
      for (size_t k = r; k < runs.size() && runs[k].first < e; ++k) {
        const uint32_t overlap = std::min(e, runs[k].end) - std::max(s, runs[k].first);
        int32_t& slot = country_slot_[runs[k].country];
        if (slot < 0) {
          slot = static_cast<int32_t>(country_counts_.size());
          country_counts_.push_back({runs[k].country, 0});
          new_countries = true;
        }
        country_counts_[static_cast<size_t>(slot)].slash24s += overlap;
      }
    }
    if (new_countries) {
      const auto& codes = countries_->codes();
      std::sort(country_counts_.begin(), country_counts_.end(),
                [&codes](const EntityCount& a, const EntityCount& b) {
                  return codes[a.key] < codes[b.key];
                });
      for (size_t i = 0; i < country_counts_.size(); ++i) {
        country_slot_[country_counts_[i].key] = static_cast<int32_t>(i);
      }
    }
  }

  last_.peers = with_routes;
  last_.full_feed_peers = static_cast<uint32_t>(full_feed);
  last_.max_peer_prefixes = max_count;
  last_.visible_prefixes = visible;
  last_.visible_slash24s = slash24s;
}

void BgpVisibility::Report(int64_t time) {
  last_.time = time;
  last_.step = options_.bin_seconds;
  last_.asns = asn_report_;
  last_.countries = country_counts_;
  ++stats_.bins;
  if (sink_) sink_(last_);
}

}  // namespace vigil::disruption
