#include "disruption/bgpdump_format.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace vigil::disruption {
namespace {

constexpr size_t kAsPathTextLimit = 7900;     // bgpdump: MAX_ASPATH_LEN (8000) - 100
constexpr size_t kCommunityTextLimit = 8192;  // bgpdump: BUFSIZ

void AppendUint(std::string& out, uint64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

void AppendIpv4(std::string& out, const uint8_t* b) {
  char buf[16];
  size_t n = 0;
  for (int i = 0; i < 4; ++i) {
    unsigned v = b[i];
    if (i > 0) buf[n++] = '.';
    if (v >= 100) buf[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) buf[n++] = static_cast<char>('0' + v / 10 % 10);
    buf[n++] = static_cast<char>('0' + v % 10);
  }
  out.append(buf, n);
}

// bgpdump's own fmt_ipv6, which differs from inet_ntop (RFC 5952): it compresses a
// single zero group too ("2001:7f8:30::2:1:0:8447"), and prints IPv4-compatible
// addresses as "::a.b.c.d".
void AppendIpv6(std::string& out, const uint8_t* b) {
  bool zero80 = std::all_of(b, b + 10, [](uint8_t x) { return x == 0; });
  bool mapped = zero80 && b[10] == 0xff && b[11] == 0xff;
  uint32_t low = (uint32_t{b[12]} << 24) | (uint32_t{b[13]} << 16) | (uint32_t{b[14]} << 8) | b[15];
  bool compat = zero80 && b[10] == 0 && b[11] == 0 && low > 1;
  if (mapped || compat) {
    out += mapped ? "::ffff:" : "::";
    AppendIpv4(out, b + 12);
    return;
  }
  uint16_t words[8];
  for (int i = 0; i < 8; ++i) words[i] = static_cast<uint16_t>((b[2 * i] << 8) | b[2 * i + 1]);
  int run[8];
  int len = 0;
  for (int i = 7; i >= 0; --i) {
    len = words[i] == 0 ? len + 1 : 0;
    run[i] = len;
  }
  int best = -1, best_len = 0;
  for (int i = 0; i < 8; ++i) {
    if (run[i] > best_len) {
      best = i;
      best_len = run[i];
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      if (i == 0) out += ':';
      out += ':';
      i += best_len - 1;
      continue;
    }
    uint16_t w = words[i];
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      unsigned nibble = static_cast<unsigned>(w >> shift) & 0xfu;
      if (nibble != 0 || started || shift == 0) {
        out += kHex[nibble];
        started = true;
      }
    }
    if (i != 7) out += ':';
  }
}

void AppendIp(std::string& out, const IpAddr& ip) {
  if (ip.v6) {
    AppendIpv6(out, ip.bytes.data());
  } else {
    AppendIpv4(out, ip.bytes.data());
  }
}

void AppendTime(std::string& out, const MrtRecord& r) {
  AppendUint(out, r.timestamp);
  if (r.extended_time()) {
    char buf[16];
    auto res = std::to_chars(buf, buf + sizeof buf, r.microseconds);
    out += '.';
    for (auto digits = res.ptr - buf; digits < 6; ++digits) out += '0';
    out.append(buf, res.ptr);
  }
}

char SegmentOpen(uint8_t type) {
  switch (type) {
    case kAsSet:
      return '{';
    case kAsConfedSet:
      return '[';
    case kAsConfedSequence:
      return '(';
    default:
      return ' ';
  }
}

char SegmentClose(uint8_t type) {
  switch (type) {
    case kAsSet:
      return '}';
    case kAsConfedSet:
      return ']';
    case kAsConfedSequence:
      return ')';
    default:
      return ' ';
  }
}

// bgpdump's process_attr_aspath_string; returns its AS count (sets count as one).
uint32_t RenderAsPath(const AsPath& path, std::string& out) {
  if (path.malformed) {
    out += "! Error !";
    return 0;
  }
  const size_t start = out.size();
  uint32_t count = 0;
  bool space = false;
  uint8_t previous = kAsSequence;
  for (const AsPath::Segment& seg : path.segments) {
    if (previous != kAsSequence) out += SegmentClose(previous);
    if (space) out += ' ';
    if (seg.type != kAsSequence) out += SegmentOpen(seg.type);
    space = false;
    bool is_set = seg.type == kAsSet || seg.type == kAsConfedSet;
    count += is_set ? 1 : seg.count;
    for (uint32_t i = 0; i < seg.count; ++i) {
      if (space) {
        out += is_set ? ',' : ' ';
      } else {
        space = true;
      }
      AppendUint(out, path.asns[seg.first + i]);
      if (out.size() - start > kAsPathTextLimit) {
        out += "...";
        return count;
      }
    }
    previous = seg.type;
  }
  if (!path.segments.empty() && path.segments.back().type != kAsSequence) {
    out += SegmentClose(path.segments.back().type);
  }
  return count;
}

// bgpdump's community string without its leading space ("" when there is none); its
// text lives in a BUFSIZ buffer, so very long lists are cut the way bgpdump cuts them.
void AppendCommunities(std::string& out, const std::vector<uint32_t>& communities) {
  const size_t start = out.size();
  for (uint32_t c : communities) {
    size_t used = out.size() - start;
    char buf[24];
    char* p = buf;
    *p++ = ' ';
    bool named = true;
    if (c == 0xFFFFFF01) {
      std::memcpy(p, "no-export", 9);
      p += 9;
    } else if (c == 0xFFFFFF02) {
      std::memcpy(p, "no-advertise", 12);
      p += 12;
    } else if (c == 0xFFFFFF03) {
      std::memcpy(p, "local-AS", 8);
      p += 8;
    } else {
      named = false;
      p = std::to_chars(p, buf + sizeof buf, c >> 16).ptr;
      *p++ = ':';
      p = std::to_chars(p, buf + sizeof buf, c & 0xFFFF).ptr;
    }
    size_t n = static_cast<size_t>(p - buf);
    if (named) {
      if (used + n < kCommunityTextLimit) out.append(buf, n);  // strlcat: all or nothing
    } else if (used + 1 < kCommunityTextLimit) {
      out.append(buf, std::min(n, kCommunityTextLimit - 1 - used));  // snprintf cuts
    }
  }
  if (out.size() > start) out.erase(start, 1);
}

// The columns from the AS path to the end, shared by every announcement line.
void AppendRouteTail(std::string& out, const PathAttributes& a, const IpAddr* nexthop,
                     bool signed_prefs) {
  if (a.Has(kAttrAsPath) && a.as_path.present) RenderAsPath(a.as_path, out);
  out += '|';
  out += a.origin == 0 ? "IGP" : a.origin == 1 ? "EGP" : "INCOMPLETE";
  out += '|';
  if (nexthop != nullptr) {
    AppendIp(out, *nexthop);
  } else {
    AppendIpv4(out, a.next_hop.data());
  }
  out += '|';
  uint32_t pref = a.Has(kAttrLocalPref) ? a.local_pref : 0;
  uint32_t med = a.Has(kAttrMed) ? a.med : 0;
  if (signed_prefs) {
    AppendInt(out, static_cast<int32_t>(pref));
    out += '|';
    AppendInt(out, static_cast<int32_t>(med));
  } else {
    AppendUint(out, pref);
    out += '|';
    AppendUint(out, med);
  }
  out += '|';
  if (a.Has(kAttrCommunities)) AppendCommunities(out, a.communities);
  out += '|';
  out += a.Has(kAttrAtomicAggregate) ? "AG" : "NAG";
  out += '|';
  static constexpr std::array<uint8_t, 4> kNone{0xff, 0xff, 0xff, 0xff};
  if (a.aggregator_addr != kNone) {
    AppendUint(out, a.aggregator_as);
    out += ' ';
    AppendIpv4(out, a.aggregator_addr.data());
  }
  out += "|\n";
}

void AppendPrefix(std::string& out, const IpAddr& addr, uint8_t length) {
  AppendIp(out, addr);
  out += '/';
  AppendUint(out, length);
}

// The next hop bgpdump prints for RIB routes: the MP_REACH IPv6 next hop if any.
const IpAddr* RibNextHop(const PathAttributes& a) {
  const MpNlri& m = a.mp_reach[PathAttributes::MpIndex(2, 1)];
  return a.Has(kAttrMpReach) && m.present ? &m.nexthop : nullptr;
}

void TableDumpLine(const MrtRecord& r, std::string& out) {
  out += "TABLE_DUMP|";
  AppendUint(out, r.timestamp);
  out += "|B|";
  // bgpdump formats addresses as IPv6 only for subtype 2 (AFI_IP6).
  bool v6 = r.subtype == 2;
  IpAddr peer = r.peer.ip;
  IpAddr prefix = r.prefix.addr;
  peer.v6 = prefix.v6 = v6;
  AppendIp(out, peer);
  out += '|';
  AppendUint(out, r.peer.as);
  out += '|';
  AppendPrefix(out, prefix, r.prefix.length);
  out += '|';
  AppendRouteTail(out, r.attrs, RibNextHop(r.attrs), false);
}

void RibLines(const MrtRecord& r, std::string& out) {
  // bgpdump prints unicast RIBs only (subtypes 2, 4 and their ADD-PATH twins 8, 10).
  if (r.subtype != 2 && r.subtype != 4 && r.subtype != 8 && r.subtype != 10) return;
  for (const RibEntry& e : r.rib_entries()) {
    out += r.addpath ? "TABLE_DUMP2_AP|" : "TABLE_DUMP2|";
    AppendUint(out, r.timestamp);
    out += "|B|";
    AppendIp(out, e.peer.ip);
    out += '|';
    AppendUint(out, e.peer.as);
    out += '|';
    AppendPrefix(out, r.prefix.addr, r.prefix.length);
    out += '|';
    if (r.addpath) {
      AppendUint(out, e.path_id);
      out += '|';
    }
    AppendRouteTail(out, e.attrs, RibNextHop(e.attrs), false);
  }
}

std::string_view MessageFormat(const MrtRecord& r) {
  static constexpr std::string_view kNames[8] = {
      "BGP4MP",    "BGP4MP_AP",    "BGP4MP_LOCAL",    "BGP4MP_LOCAL_AP",
      "BGP4MP_ET", "BGP4MP_ET_AP", "BGP4MP_ET_LOCAL", "BGP4MP_ET_LOCAL_AP"};
  size_t i = (r.extended_time() ? 4u : 0u) + (r.local ? 2u : 0u) + (r.addpath ? 1u : 0u);
  return kNames[i];
}

void LineStart(const MrtRecord& r, std::string& out, std::string_view format, char kind) {
  out += format;
  out += '|';
  AppendTime(out, r);
  out += '|';
  out += kind;
  out += '|';
}

void PeerColumns(const MrtRecord& r, std::string& out) {
  AppendIp(out, r.peer_ip);
  out += '|';
  AppendUint(out, r.peer_as);
  out += '|';
}

void WithdrawLines(const MrtRecord& r, std::string& out, std::string_view format,
                   const std::vector<NlriPrefix>& prefixes, bool v6_prefixes) {
  for (const NlriPrefix& p : prefixes) {
    LineStart(r, out, format, 'W');
    if (v6_prefixes && r.afi != 2 && r.local) {
      // bgpdump prints this peer address through its IPv6 formatter.
      IpAddr as_v6 = r.peer_ip;
      as_v6.v6 = true;
      AppendIp(out, as_v6);
      out += '|';
      AppendUint(out, r.peer_as);
      out += '|';
    } else {
      PeerColumns(r, out);
    }
    IpAddr addr = p.addr;
    addr.v6 = v6_prefixes;
    AppendPrefix(out, addr, p.length);
    if (r.addpath) {
      out += '|';
      AppendUint(out, p.path_id);
    }
    out += '\n';
  }
}

void AnnounceLines(const MrtRecord& r, std::string& out, std::string_view format,
                   const std::vector<NlriPrefix>& prefixes, bool v6_prefixes, const IpAddr* nexthop,
                   bool signed_prefs) {
  for (const NlriPrefix& p : prefixes) {
    LineStart(r, out, format, 'A');
    PeerColumns(r, out);
    IpAddr addr = p.addr;
    addr.v6 = v6_prefixes;
    AppendPrefix(out, addr, p.length);
    out += '|';
    if (r.addpath) {
      AppendUint(out, p.path_id);
      out += '|';
    }
    AppendRouteTail(out, r.attrs, nexthop, signed_prefs);
  }
}

void UpdateLines(const MrtRecord& r, std::string& out) {
  const std::string_view format = MessageFormat(r);
  const PathAttributes& a = r.attrs;
  WithdrawLines(r, out, format, r.withdrawn, false);
  for (uint8_t safi = 1; safi <= 3; ++safi) {
    const MpNlri& m = a.mp_unreach[PathAttributes::MpIndex(1, safi)];
    if (m.present) WithdrawLines(r, out, format, m.prefixes, false);
  }
  for (uint8_t safi = 1; safi <= 3; ++safi) {
    const MpNlri& m = a.mp_unreach[PathAttributes::MpIndex(2, safi)];
    if (m.present) WithdrawLines(r, out, format, m.prefixes, true);
  }
  AnnounceLines(r, out, format, r.announced, false, nullptr, false);
  for (uint8_t safi = 1; safi <= 3; ++safi) {
    const MpNlri& m = a.mp_reach[PathAttributes::MpIndex(1, safi)];
    if (m.present) AnnounceLines(r, out, format, m.prefixes, false, &m.nexthop, true);
  }
  for (uint8_t safi = 1; safi <= 3; ++safi) {
    const MpNlri& m = a.mp_reach[PathAttributes::MpIndex(2, safi)];
    if (m.present) AnnounceLines(r, out, format, m.prefixes, true, &m.nexthop, false);
  }
}

void StateLine(const MrtRecord& r, std::string& out) {
  out += r.extended_time() ? "BGP4MP_ET|" : "BGP4MP|";
  AppendTime(out, r);
  out += "|STATE|";
  PeerColumns(r, out);
  AppendUint(out, r.old_state);
  out += '|';
  AppendUint(out, r.new_state);
  out += '\n';
}

}  // namespace

uint32_t BgpdumpAsPathCount(const AsPath& path) {
  if (path.malformed) return 0;
  // A path shorter than the text limit (at most 11 characters per ASN and 3 per
  // segment) is counted without rendering it.
  if (path.asns.size() * 11 + path.segments.size() * 3 <= kAsPathTextLimit) {
    uint32_t count = 0;
    for (const AsPath::Segment& seg : path.segments) {
      count += (seg.type == kAsSet || seg.type == kAsConfedSet) ? 1 : seg.count;
    }
    return count;
  }
  std::string scratch;
  return RenderAsPath(path, scratch);
}

void AppendBgpdumpAsPath(const AsPath& path, std::string& out) { RenderAsPath(path, out); }

void AppendBgpdumpLines(const MrtRecord& record, std::string& out) {
  switch (record.kind) {
    case RecordKind::kTableDump:
      TableDumpLine(record, out);
      break;
    case RecordKind::kRib:
      RibLines(record, out);
      break;
    case RecordKind::kBgp4mpMessage:
      if (record.msg_type == kBgpUpdate) UpdateLines(record, out);
      break;
    case RecordKind::kBgp4mpState:
      StateLine(record, out);
      break;
    case RecordKind::kPeerIndexTable:
    case RecordKind::kUnsupported:
      break;
  }
}

}  // namespace vigil::disruption
