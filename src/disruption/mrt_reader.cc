#include "disruption/mrt_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/failure.h"
#include "disruption/bgpdump_format.h"

namespace vigil::disruption {
namespace {

constexpr size_t kHeaderBytes = 12;
constexpr uint32_t kAsTrans = 23456;

// Reads big-endian fields the way bgpdump's mstream does: a read past the end yields
// zero bytes (so the decoded values match bgpdump's) and is remembered as a short read.
class Cursor {
 public:
  Cursor(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  size_t remaining() const { return size_ - pos_; }
  bool short_read() const { return short_; }
  const uint8_t* here() const { return data_ + pos_; }
  uint8_t Peek() const { return pos_ < size_ ? data_[pos_] : 0; }

  void Get(uint8_t* dst, size_t len) {
    size_t room = remaining();
    if (room >= len) {
      std::memcpy(dst, data_ + pos_, len);
      pos_ += len;
      return;
    }
    std::memcpy(dst, data_ + pos_, room);
    std::memset(dst + room, 0, len - room);
    pos_ = size_;
    short_ = true;
  }
  uint8_t U8() {
    if (pos_ < size_) return data_[pos_++];
    short_ = true;
    return 0;
  }
  uint16_t U16() {
    if (remaining() >= 2) {
      uint16_t v = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
      pos_ += 2;
      return v;
    }
    uint8_t b[2];
    Get(b, 2);
    return static_cast<uint16_t>((b[0] << 8) | b[1]);
  }
  uint32_t U32() {
    uint8_t b[4];
    if (remaining() >= 4) {
      std::memcpy(b, data_ + pos_, 4);
      pos_ += 4;
    } else {
      Get(b, 4);
    }
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  }
  uint32_t Asn(int asn_len) { return asn_len == 4 ? U32() : U16(); }
  void Skip(size_t len) {
    if (remaining() >= len) {
      pos_ += len;
    } else {
      pos_ = size_;
      short_ = true;
    }
  }
  // Splits off the next `len` bytes (fewer if the input ends first).
  Cursor Take(size_t len) {
    size_t n = std::min(len, remaining());
    Cursor sub(data_ + pos_, n);
    pos_ += n;
    return sub;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  bool short_ = false;
};

void ReadIp(Cursor& c, bool v6, IpAddr& ip) {
  ip.v6 = v6;
  if (v6) {
    c.Get(ip.bytes.data(), 16);
  } else {
    c.Get(ip.bytes.data(), 4);
    std::memset(ip.bytes.data() + 4, 0, 12);
  }
}

// Decodes one record body; holds the per-stream state the body needs.
class Decoder {
 public:
  Decoder(MrtRecord& r, std::vector<PeerEntry>& peers, bool& have_peers, AsPath& scratch)
      : r_(r), peers_(peers), have_peers_(have_peers), scratch_(scratch) {}

  void Decode(Cursor body) {
    switch (r_.type) {
      case kMrtTableDump:
        TableDump(body);
        break;
      case kMrtTableDumpV2:
        TableDumpV2(body);
        break;
      case kMrtBgp4mp:
      case kMrtBgp4mpEt:
        Bgp4mp(body);
        break;
      default:
        r_.kind = RecordKind::kUnsupported;
    }
  }

 private:
  template <typename... Args>
  void Problem(fmt::format_string<Args...> f, Args&&... args) {
    r_.problems.push_back(fmt::format(f, std::forward<Args>(args)...));
  }

  void CheckShort(const Cursor& c, const char* what) {
    if (c.short_read()) Problem("{} truncated", what);
  }

  // NLRI list (RFC 4271 4.3, RFC 7911 3). Host bits past the length are cleared.
  void PrefixList(Cursor& s, uint16_t afi, bool addpath, std::vector<NlriPrefix>& out,
                  const char* what) {
    const unsigned max_len = afi == 2 ? 128 : 32;
    while (s.remaining() > 0) {
      uint32_t path_id = 0;
      if (addpath) {
        if (s.remaining() < 5) {
          Problem("{}: truncated ADD-PATH prefix", what);
          s.Skip(s.remaining());
          return;
        }
        path_id = s.U32();
      }
      uint8_t len = s.U8();
      size_t nbytes = (size_t{len} + 7) / 8;
      if (s.remaining() < nbytes) {
        Problem("{}: prefix of /{} needs {} bytes, {} left", what, len, nbytes, s.remaining());
        s.Skip(s.remaining());
        return;
      }
      NlriPrefix& p = out.emplace_back();
      p.addr.v6 = afi == 2;
      p.length = len;
      p.path_id = path_id;
      size_t keep = std::min<size_t>(nbytes, 16);
      std::memcpy(p.addr.bytes.data(), s.here(), keep);
      s.Skip(nbytes);
      if (len > max_len) {
        Problem("{}: prefix length {} exceeds {}", what, len, max_len);
      } else if ((len & 7) != 0) {
        p.addr.bytes[nbytes - 1] &= static_cast<uint8_t>(0xff << (8 - (len & 7)));
      }
    }
  }

  void ParseAsPath(Cursor v, int asn_len, AsPath& path, const char* what) {
    path.Clear();
    path.present = true;
    const uint8_t* p = v.here();
    size_t n = v.remaining();
    size_t pos = 0;
    while (pos < n) {
      if (n - pos < 2) {
        path.malformed = true;
        break;
      }
      uint8_t type = p[pos];
      uint8_t count = p[pos + 1];
      if (type < kAsSet || type > kAsConfedSet ||
          pos + 2 + size_t{count} * static_cast<size_t>(asn_len) > n) {
        path.malformed = true;
        break;
      }
      pos += 2;
      path.segments.push_back(
          {type, static_cast<uint32_t>(path.asns.size()), static_cast<uint32_t>(count)});
      for (unsigned i = 0; i < count; ++i) {
        const uint8_t* a = p + pos;
        path.asns.push_back(asn_len == 4 ? (uint32_t{a[0]} << 24) | (uint32_t{a[1]} << 16) |
                                               (uint32_t{a[2]} << 8) | a[3]
                                         : (uint32_t{a[0]} << 8) | a[1]);
        pos += static_cast<size_t>(asn_len);
      }
    }
    if (path.malformed) {
      path.segments.clear();
      path.asns.clear();
      Problem("{}: malformed segments", what);
    }
  }

  // RFC 4760 next hop: IPv4 (4 bytes) or IPv6 global (+ link-local when 32 bytes).
  bool NextHop(Cursor& v, uint16_t afi, MpNlri& m) {
    m.nexthop_len = v.U8();
    if (afi == 1) {
      if (m.nexthop_len != 4) {
        Problem("MP_REACH_NLRI: IPv4 next hop of {} bytes", m.nexthop_len);
        return false;
      }
      ReadIp(v, false, m.nexthop);
      return true;
    }
    ReadIp(v, true, m.nexthop);
    if (m.nexthop_len == 32) {
      ReadIp(v, true, m.nexthop_local);
    } else if (m.nexthop_len != 16) {
      // bgpdump reads 16 bytes and carries on; so do we, but say so.
      Problem("MP_REACH_NLRI: IPv6 next hop of {} bytes", m.nexthop_len);
    }
    return true;
  }

  void MpReach(Cursor v, PathAttributes& a, bool addpath) {
    if (v.remaining() == 0) {
      Problem("MP_REACH_NLRI: empty");
      return;
    }
    if (v.Peek() != 0) {
      // The abbreviated form of RIB entries (RFC 6396 4.3.4): next hop only.
      MpNlri& m = a.mp_reach[PathAttributes::MpIndex(2, 1)];
      if (m.present) {
        Problem("MP_REACH_NLRI: repeated");
        return;
      }
      m.present = NextHop(v, 2, m);
      CheckShort(v, "MP_REACH_NLRI");
      return;
    }
    uint16_t afi = v.U16();
    uint8_t safi = v.U8();
    if (afi < 1 || afi > 2 || safi < 1 || safi > 3) return;  // other families: not ours
    MpNlri& m = a.mp_reach[PathAttributes::MpIndex(afi, safi)];
    if (m.present) {
      Problem("MP_REACH_NLRI: repeated for AFI {} SAFI {}", afi, safi);
      return;
    }
    if (!NextHop(v, afi, m)) return;
    m.present = true;
    uint8_t snpa = v.U8();
    for (; snpa > 0; --snpa) v.Skip(v.U8());
    CheckShort(v, "MP_REACH_NLRI");
    PrefixList(v, afi, addpath, m.prefixes, "MP_REACH_NLRI");
  }

  void MpUnreach(Cursor v, PathAttributes& a, bool addpath) {
    uint16_t afi = v.U16();
    uint8_t safi = v.U8();
    CheckShort(v, "MP_UNREACH_NLRI");
    if (afi < 1 || afi > 2 || safi < 1 || safi > 3) return;
    MpNlri& m = a.mp_unreach[PathAttributes::MpIndex(afi, safi)];
    if (m.present) {
      Problem("MP_UNREACH_NLRI: repeated for AFI {} SAFI {}", afi, safi);
      return;
    }
    m.present = true;
    PrefixList(v, afi, addpath, m.prefixes, "MP_UNREACH_NLRI");
  }

  void Attributes(Cursor& s, int asn_len, bool addpath, PathAttributes& a) {
    uint16_t total = s.U16();
    if (s.short_read()) {
      Problem("path attribute length missing");
      return;
    }
    Cursor c = s.Take(total);
    if (c.remaining() != total) {
      Problem("path attributes truncated: {} of {} bytes", c.remaining(), total);
    }
    while (c.remaining() > 0) {
      uint8_t flags = c.U8();
      uint8_t type = c.U8();
      size_t len = (flags & 0x10) != 0 ? c.U16() : c.U8();
      if (c.short_read()) {
        Problem("truncated path attribute header");
        break;
      }
      Cursor v = c.Take(len);
      if (v.remaining() != len) {
        Problem("attribute {} truncated: {} of {} bytes", type, v.remaining(), len);
        break;
      }
      if (type >= 1 && type <= 64) {
        uint64_t bit = uint64_t{1} << (type - 1);
        if ((a.seen & bit) != 0 && type != kAttrMpReach && type != kAttrMpUnreach) {
          Problem("attribute {} repeated", type);
        }
        a.seen |= bit;
      }
      switch (type) {
        case kAttrOrigin:
          a.origin = v.U8();
          break;
        case kAttrAsPath:
          ParseAsPath(v, asn_len, a.as_path, "AS_PATH");
          break;
        case kAttrNextHop:
          v.Get(a.next_hop.data(), 4);
          break;
        case kAttrMed:
          a.med = v.U32();
          break;
        case kAttrLocalPref:
          a.local_pref = v.U32();
          break;
        case kAttrAggregator:
          a.aggregator_as = v.Asn(asn_len);
          v.Get(a.aggregator_addr.data(), 4);
          break;
        case kAttrCommunities:
          a.communities.clear();
          for (size_t i = 0; i < len / 4; ++i) a.communities.push_back(v.U32());
          break;
        case kAttrMpReach:
          MpReach(v, a, addpath);
          continue;  // checks its own length
        case kAttrMpUnreach:
          MpUnreach(v, a, addpath);
          continue;
        case kAttrAs4Path:
          ParseAsPath(v, 4, a.as4_path, "AS4_PATH");
          break;
        case kAttrAs4Aggregator:
          a.as4_aggregator_as = v.U32();
          v.Get(a.as4_aggregator_addr.data(), 4);
          break;
        case kAttrLargeCommunities:
          a.large_communities.clear();
          for (size_t i = 0; i < len / 12; ++i) {
            LargeCommunity& lc = a.large_communities.emplace_back();
            lc.global = v.U32();
            lc.local1 = v.U32();
            lc.local2 = v.U32();
          }
          break;
        default:
          break;
      }
      if (v.short_read()) Problem("attribute {} shorter than its value ({} bytes)", type, len);
    }
    if (asn_len == 2) MergeAs4(a);
  }

  // RFC 6793 reconstruction for 2-byte-AS sources, exactly as bgpdump does it
  // (process_asn32_trans): AS4_AGGREGATOR replaces an AS_TRANS aggregator; a
  // non-AS_TRANS aggregator next to AS4_AGGREGATOR disables AS4_PATH merging; the
  // leading part of AS_PATH is rebuilt from copies of its *first* segment.
  void MergeAs4(PathAttributes& a) {
    if (a.Has(kAttrAggregator) && a.Has(kAttrAs4Aggregator)) {
      if (a.aggregator_as != kAsTrans) return;
      a.aggregator_as = a.as4_aggregator_as;
      a.aggregator_addr = a.as4_aggregator_addr;
    }
    if (!a.Has(kAttrAs4Path) || !a.as_path.present) return;
    uint32_t old_count = BgpdumpAsPathCount(a.as_path);
    uint32_t new_count = BgpdumpAsPathCount(a.as4_path);
    if (old_count < new_count) return;
    uint32_t target = old_count - new_count;
    AsPath& m = scratch_;
    m.Clear();
    m.present = true;
    if (target > 0) {
      const AsPath::Segment& first = a.as_path.segments.front();
      bool is_set = first.type == kAsSet || first.type == kAsConfedSet;
      if (!is_set && first.count == 0) {
        Problem("AS_PATH starts with an empty segment; AS4_PATH not merged");
        return;
      }
      uint32_t count = 0;
      while (count < target) {
        m.segments.push_back({first.type, static_cast<uint32_t>(m.asns.size()), first.count});
        m.asns.insert(m.asns.end(), a.as_path.asns.begin() + first.first,
                      a.as_path.asns.begin() + first.first + first.count);
        if (is_set) {
          count += 1;
        } else {
          count += first.count;
          if (count > target) {
            uint32_t excess = count - target;
            m.segments.back().count -= excess;
            m.asns.resize(m.asns.size() - excess);
          }
        }
      }
    }
    for (const AsPath::Segment& seg : a.as4_path.segments) {
      m.segments.push_back({seg.type, static_cast<uint32_t>(m.asns.size()), seg.count});
      m.asns.insert(m.asns.end(), a.as4_path.asns.begin() + seg.first,
                    a.as4_path.asns.begin() + seg.first + seg.count);
    }
    m.malformed = a.as4_path.malformed;
    std::swap(a.as_path, m);
  }

  void TableDump(Cursor s) {
    // Subtypes: 1 IPv4, 2 IPv6, 3 IPv4 with 4-byte ASNs, 4 IPv6 with 4-byte ASNs.
    if (r_.subtype < 1 || r_.subtype > 4) {
      r_.kind = RecordKind::kUnsupported;
      return;
    }
    r_.kind = RecordKind::kTableDump;
    bool v6 = r_.subtype == 2 || r_.subtype == 4;
    int asn_len = r_.subtype >= 3 ? 4 : 2;
    r_.afi = v6 ? 2 : 1;
    r_.view = s.U16();
    r_.sequence = s.U16();
    ReadIp(s, v6, r_.prefix.addr);
    r_.prefix.length = s.U8();
    if (r_.prefix.length > (v6 ? 128 : 32)) Problem("prefix length {}", r_.prefix.length);
    r_.status = s.U8();
    r_.originated_time = s.U32();
    ReadIp(s, v6, r_.peer.ip);
    r_.peer.as = s.Asn(asn_len);
    CheckShort(s, "TABLE_DUMP entry");
    if (s.short_read()) return;
    Attributes(s, asn_len, false, r_.attrs);
  }

  void TableDumpV2(Cursor s) {
    switch (r_.subtype) {
      case 1:
        PeerIndexTable(s);
        return;
      case 2:
      case 3:
      case 4:
      case 5:
      case 8:
      case 9:
      case 10:
      case 11: {
        r_.addpath = r_.subtype >= 8;
        uint16_t base = r_.addpath ? static_cast<uint16_t>(r_.subtype - 6) : r_.subtype;
        r_.afi = base <= 3 ? 1 : 2;
        r_.safi = (base == 2 || base == 4) ? 1 : 2;
        r_.kind = RecordKind::kRib;
        r_.sequence = s.U32();
        r_.prefix.addr.v6 = r_.afi == 2;
        r_.prefix.length = s.U8();
        size_t nbytes = (size_t{r_.prefix.length} + 7) / 8;
        size_t max_len = r_.afi == 2 ? 128 : 32;
        if (r_.prefix.length > max_len) {
          Problem("RIB prefix length {} exceeds {}", r_.prefix.length, max_len);
          r_.kind = RecordKind::kUnsupported;
          return;
        }
        s.Get(r_.prefix.addr.bytes.data(), nbytes);
        RibEntries(s);
        return;
      }
      case 6:
      case 12: {
        r_.addpath = r_.subtype == 12;
        r_.sequence = s.U32();
        r_.afi = s.U16();
        r_.safi = s.U8();
        if (r_.afi < 1 || r_.afi > 2 || r_.safi < 1 || r_.safi > 2) {
          CheckShort(s, "RIB_GENERIC header");
          r_.kind = RecordKind::kUnsupported;
          return;
        }
        r_.kind = RecordKind::kRib;
        // One prefix in NLRI encoding; ADD-PATH ids sit in the entries, not here.
        uint8_t len = s.U8();
        size_t nbytes = (size_t{len} + 7) / 8;
        if (len > (r_.afi == 2 ? 128 : 32)) {
          Problem("RIB_GENERIC prefix length {}", len);
          r_.kind = RecordKind::kUnsupported;
          return;
        }
        r_.prefix.addr.v6 = r_.afi == 2;
        r_.prefix.length = len;
        s.Get(r_.prefix.addr.bytes.data(), nbytes);
        RibEntries(s);
        return;
      }
      default:
        r_.kind = RecordKind::kUnsupported;
    }
  }

  void PeerIndexTable(Cursor s) {
    r_.kind = RecordKind::kPeerIndexTable;
    peers_.clear();
    have_peers_ = true;
    IpAddr collector;
    ReadIp(s, false, collector);
    s.Skip(s.U16());  // view name
    uint16_t count = s.U16();
    for (uint16_t i = 0; i < count && !s.short_read(); ++i) {
      uint8_t peer_type = s.U8();
      PeerEntry& p = peers_.emplace_back();
      ReadIp(s, false, p.bgp_id);
      ReadIp(s, (peer_type & 1) != 0, p.ip);
      p.as = s.Asn((peer_type & 2) != 0 ? 4 : 2);
    }
    CheckShort(s, "PEER_INDEX_TABLE");
  }

  void RibEntries(Cursor& s) {
    uint16_t count = s.U16();
    CheckShort(s, "RIB header");
    r_.rib_count = 0;
    for (uint16_t i = 0; i < count; ++i) {
      if (s.remaining() == 0) {
        Problem("RIB record ends after {} of {} entries", i, count);
        return;
      }
      if (r_.rib_count == r_.rib_storage.size()) r_.rib_storage.emplace_back();
      RibEntry& e = r_.rib_storage[r_.rib_count];
      e.attrs.Clear();
      e.peer_index = s.U16();
      e.originated_time = s.U32();
      e.path_id = r_.addpath ? s.U32() : 0;
      size_t problems_before = r_.problems.size();
      Attributes(s, 4, r_.addpath, e.attrs);
      bool ok = !s.short_read();
      if (!have_peers_) {
        Problem("RIB entry before any PEER_INDEX_TABLE");
        ok = false;
      } else if (e.peer_index >= peers_.size()) {
        Problem("peer index {} beyond the peer table ({} peers)", e.peer_index, peers_.size());
        ok = false;
      }
      if (!ok) {
        if (r_.problems.size() == problems_before) CheckShort(s, "RIB entry");
        continue;
      }
      e.peer = peers_[e.peer_index];
      ++r_.rib_count;
    }
  }

  void Bgp4mp(Cursor s) {
    switch (r_.subtype) {
      case 0:
        StateChange(s, 2);
        return;
      case 5:
        StateChange(s, 4);
        return;
      case 1:
      case 4:
      case 6:
      case 7:
      case 8:
      case 9:
      case 10:
      case 11:
        Message(s);
        return;
      default:
        r_.kind = RecordKind::kUnsupported;
    }
  }

  void StateChange(Cursor s, int asn_len) {
    r_.kind = RecordKind::kBgp4mpState;
    r_.as4 = asn_len == 4;
    r_.peer_as = s.Asn(asn_len);
    r_.local_as = s.Asn(asn_len);
    if (r_.length == 8) {
      // Old Zebra wrote state changes without interface, AFI and addresses.
      r_.afi = 1;
      r_.old_state = s.U16();
      r_.new_state = s.U16();
      CheckShort(s, "STATE_CHANGE");
      return;
    }
    r_.interface_index = s.U16();
    r_.afi = s.U16();
    uint32_t extra = r_.as4 ? 4 : 0;
    if (r_.afi == 1 && r_.length == 20 + extra) {
      ReadIp(s, false, r_.peer_ip);
      ReadIp(s, false, r_.local_ip);
    } else if (r_.afi == 2 && r_.length == 44 + extra) {
      ReadIp(s, true, r_.peer_ip);
      ReadIp(s, true, r_.local_ip);
    } else {
      Problem("STATE_CHANGE: AFI {} with length {}", r_.afi, r_.length);
      r_.kind = RecordKind::kUnsupported;
      return;
    }
    r_.old_state = s.U16();
    r_.new_state = s.U16();
    CheckShort(s, "STATE_CHANGE");
  }

  void Message(Cursor s) {
    r_.kind = RecordKind::kBgp4mpMessage;
    uint16_t st = r_.subtype;
    r_.as4 = st == 4 || st == 7 || st == 9 || st == 11;
    r_.local = st == 6 || st == 7 || st == 10 || st == 11;
    r_.addpath = st >= 8;
    int asn_len = r_.as4 ? 4 : 2;
    r_.peer_as = s.Asn(asn_len);
    r_.local_as = s.Asn(asn_len);
    r_.interface_index = s.U16();
    r_.afi = s.U16();
    uint8_t marker[16];
    if (r_.afi == 1 || r_.afi == 2) {
      ReadIp(s, r_.afi == 2, r_.peer_ip);
      ReadIp(s, r_.afi == 2, r_.local_ip);
      s.Get(marker, 16);
    } else if (r_.afi == 0xffff && r_.interface_index == 0xffff) {
      // Zebra omitted interface and addresses in OPEN messages: those 4 bytes were
      // the start of the BGP marker.
      std::memset(marker, 0xff, 4);
      s.Get(marker + 4, 12);
      r_.interface_index = 0;
      r_.afi = 1;
    } else {
      Problem("BGP4MP message: unsupported AFI {}", r_.afi);
      r_.kind = RecordKind::kUnsupported;
      return;
    }
    if (s.short_read() || std::any_of(marker, marker + 16, [](uint8_t b) { return b != 0xff; })) {
      Problem("BGP message: bad or missing marker");
      r_.kind = RecordKind::kUnsupported;
      return;
    }
    uint16_t size = s.U16();
    if (s.short_read() || size < 19) {
      Problem("BGP message: length {} (minimum 19)", size);
      r_.kind = RecordKind::kUnsupported;
      return;
    }
    size_t want = size_t{size} - 18;
    Cursor m = s.Take(want);
    if (m.remaining() < want) {
      Problem("BGP message truncated: {} of {} bytes", m.remaining() + 18, size);
    }
    r_.msg_type = m.U8();
    switch (r_.msg_type) {
      case kBgpUpdate:
        Update(m, asn_len);
        break;
      case kBgpOpen:
      case kBgpNotification:
      case kBgpKeepalive:
      case 5:  // ROUTE-REFRESH
        break;
      default:
        Problem("unknown BGP message type {}", r_.msg_type);
    }
  }

  void Update(Cursor& m, int asn_len) {
    uint16_t wlen = m.U16();
    Cursor w = m.Take(wlen);
    if (m.short_read() || w.remaining() != wlen) {
      Problem("UPDATE: withdrawn routes truncated ({} of {} bytes)", w.remaining(), wlen);
    }
    PrefixList(w, 1, r_.addpath, r_.withdrawn, "withdrawn routes");
    Attributes(m, asn_len, r_.addpath, r_.attrs);
    PrefixList(m, 1, r_.addpath, r_.announced, "NLRI");
  }

  MrtRecord& r_;
  std::vector<PeerEntry>& peers_;
  bool& have_peers_;
  AsPath& scratch_;
};

void ResetRecord(MrtRecord& r) {
  r.kind = RecordKind::kUnsupported;
  r.problems.clear();
  r.view = 0;
  r.sequence = 0;
  r.prefix = NlriPrefix{};
  r.status = 0;
  r.originated_time = 0;
  r.peer = PeerEntry{};
  r.afi = 0;
  r.safi = 0;
  r.addpath = false;
  r.rib_count = 0;
  r.as4 = false;
  r.local = false;
  r.peer_as = r.local_as = 0;
  r.interface_index = 0;
  r.peer_ip = IpAddr{};
  r.local_ip = IpAddr{};
  r.old_state = r.new_state = 0;
  r.msg_type = 0;
  r.withdrawn.clear();
  r.announced.clear();
  r.attrs.Clear();
}

}  // namespace

void PathAttributes::Clear() {
  seen = 0;
  origin = -1;
  as_path.Clear();
  as4_path.Clear();
  next_hop = {0xff, 0xff, 0xff, 0xff};
  med = 0;
  local_pref = 0;
  aggregator_as = 0;
  aggregator_addr = {0xff, 0xff, 0xff, 0xff};
  as4_aggregator_as = 0;
  as4_aggregator_addr = {0xff, 0xff, 0xff, 0xff};
  communities.clear();
  large_communities.clear();
  for (MpNlri& m : mp_reach) {
    m.present = false;
    m.nexthop_len = 0;
    m.prefixes.clear();
  }
  for (MpNlri& m : mp_unreach) {
    m.present = false;
    m.prefixes.clear();
  }
}

struct MrtReader::Source {
  gzFile gz = nullptr;
  ~Source() {
    if (gz != nullptr) gzclose(gz);
  }
};

MrtReader::MrtReader(std::string path, Options options, std::unique_ptr<Source> source)
    : path_(std::move(path)), options_(options), source_(std::move(source)) {
  if (source_ != nullptr) buf_.resize(std::max<size_t>(options_.buffer_bytes, 4096));
}

MrtReader::~MrtReader() = default;

Result<std::unique_ptr<MrtReader>> MrtReader::Open(const std::string& path, Options options) {
  int fd = path == "-" ? dup(STDIN_FILENO) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Fail(std::string(failure::kIoError),
                fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  auto source = std::make_unique<Source>();
  source->gz = gzdopen(fd, "rb");  // reads gzip and, transparently, plain files
  if (source->gz == nullptr) {
    close(fd);
    return Fail(std::string(failure::kIoError), fmt::format("cannot read {}", path));
  }
  gzbuffer(source->gz, 256 * 1024);
  return std::unique_ptr<MrtReader>(new MrtReader(path, options, std::move(source)));
}

std::unique_ptr<MrtReader> MrtReader::FromBytes(std::string_view bytes, Options options) {
  auto reader = std::unique_ptr<MrtReader>(new MrtReader("<memory>", options, nullptr));
  reader->view_ = bytes;
  reader->end_ = bytes.size();
  reader->eof_ = true;
  return reader;
}

Result<bool> MrtReader::Ensure(size_t want) {
  while (end_ - begin_ < want) {
    if (eof_ || source_ == nullptr) return false;
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buf_.size()) buf_.resize(std::max(buf_.size() * 2, want));
    size_t room = std::min<size_t>(buf_.size() - end_, size_t{1} << 30);
    int n = gzread(source_->gz, buf_.data() + end_, static_cast<unsigned>(room));
    if (n < 0) {
      int err = 0;
      const char* msg = gzerror(source_->gz, &err);
      return Fail(std::string(failure::kIoError),
                  fmt::format("{}: read error at offset {}: {}", path_, consumed_ + end_,
                              msg != nullptr ? msg : "unknown"));
    }
    if (n == 0) {
      eof_ = true;
      int err = 0;
      const char* msg = gzerror(source_->gz, &err);
      if (err != Z_OK && err != Z_STREAM_END) {
        return Fail(std::string(failure::kIoError),
                    fmt::format("{}: corrupt or truncated gzip data at offset {}: {}", path_,
                                consumed_ + end_, msg));
      }
    }
    end_ += static_cast<size_t>(n);
  }
  return true;
}

Result<const MrtRecord*> MrtReader::Next() {
  if (failed_) return nullptr;
  auto fail = [&](std::string message) -> Result<const MrtRecord*> {
    failed_ = true;
    return Fail(std::string(failure::kParseError), std::move(message));
  };
  auto have = Ensure(kHeaderBytes);
  if (!have) {
    failed_ = true;
    return tl::unexpected(have.error());
  }
  if (!*have) {
    if (end_ == begin_) return nullptr;
    return fail(fmt::format("{}: offset {}: truncated MRT header ({} of {} bytes)", path_,
                            consumed_, end_ - begin_, kHeaderBytes));
  }
  auto data = [&] {
    return reinterpret_cast<const uint8_t*>(source_ ? buf_.data() : view_.data()) + begin_;
  };
  const uint8_t* h = data();
  MrtRecord& r = record_;
  ResetRecord(r);
  r.offset = consumed_;
  r.timestamp = (uint32_t{h[0]} << 24) | (uint32_t{h[1]} << 16) | (uint32_t{h[2]} << 8) | h[3];
  r.type = static_cast<uint16_t>((h[4] << 8) | h[5]);
  r.subtype = static_cast<uint16_t>((h[6] << 8) | h[7]);
  uint32_t length =
      (uint32_t{h[8]} << 24) | (uint32_t{h[9]} << 16) | (uint32_t{h[10]} << 8) | h[11];
  size_t header = kHeaderBytes;
  r.microseconds = 0;
  if (r.type == kMrtBgp4mpEt) {
    // The microsecond field counts towards the length (RFC 6396 3).
    header += 4;
    if (length < 4) {
      return fail(
          fmt::format("{}: offset {}: BGP4MP_ET record of length {}", path_, consumed_, length));
    }
    length -= 4;
  }
  if (length > options_.max_record_bytes) {
    return fail(fmt::format("{}: offset {}: record of {} bytes exceeds the {}-byte limit", path_,
                            consumed_, length, options_.max_record_bytes));
  }
  have = Ensure(header + length);
  if (!have) {
    failed_ = true;
    return tl::unexpected(have.error());
  }
  if (!*have) {
    return fail(fmt::format("{}: offset {}: truncated MRT record ({} of {} bytes)", path_,
                            consumed_, end_ - begin_, header + length));
  }
  h = data();
  if (r.type == kMrtBgp4mpEt) {
    r.microseconds =
        (uint32_t{h[12]} << 24) | (uint32_t{h[13]} << 16) | (uint32_t{h[14]} << 8) | h[15];
  }
  r.length = length;
  Decoder decoder(r, peers_, have_peer_table_, scratch_path_);
  decoder.Decode(Cursor(h + header, length));
  begin_ += header + length;
  consumed_ += header + length;
  return &record_;
}

}  // namespace vigil::disruption
