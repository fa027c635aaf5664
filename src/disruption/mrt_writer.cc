#include "disruption/mrt_writer.h"

#include <algorithm>

namespace vigil::disruption {
namespace {

constexpr uint32_t kLocalIp = 0xC0000201;  // 192.0.2.1, the collector's side of a session

void U8(std::string& s, uint32_t v) { s.push_back(static_cast<char>(v & 0xff)); }
void U16(std::string& s, uint32_t v) {
  U8(s, v >> 8);
  U8(s, v);
}
void U32(std::string& s, uint32_t v) {
  U16(s, v >> 16);
  U16(s, v);
}

void Prefix(std::string& s, Ipv4Prefix p) {
  U8(s, p.length);
  for (int i = 0; i < (p.length + 7) / 8; ++i) U8(s, p.addr >> (24 - 8 * i));
}

void Attribute(std::string& s, uint8_t flags, uint8_t type, const std::string& value) {
  if (value.size() > 255) flags |= 0x10;
  U8(s, flags);
  U8(s, type);
  if ((flags & 0x10) != 0) {
    U16(s, static_cast<uint32_t>(value.size()));
  } else {
    U8(s, static_cast<uint32_t>(value.size()));
  }
  s += value;
}

}  // namespace

void MrtWriter::Header(uint32_t timestamp, uint16_t type, uint16_t subtype, size_t length) {
  U32(out_, timestamp);
  U16(out_, type);
  U16(out_, subtype);
  U32(out_, static_cast<uint32_t>(length));
}

void MrtWriter::Attributes(std::string& out, const MrtAsPath& path, uint32_t next_hop) {
  std::string attrs;
  Attribute(attrs, 0x40, 1, std::string(1, '\0'));  // ORIGIN IGP
  std::string segs;
  // Segments hold at most 255 ASNs each.
  for (size_t i = 0; i < path.sequence.size(); i += 255) {
    size_t n = std::min<size_t>(255, path.sequence.size() - i);
    U8(segs, 2);
    U8(segs, static_cast<uint32_t>(n));
    for (size_t j = 0; j < n; ++j) U32(segs, path.sequence[i + j]);
  }
  if (!path.set.empty()) {
    U8(segs, 1);
    U8(segs, static_cast<uint32_t>(std::min<size_t>(255, path.set.size())));
    for (size_t j = 0; j < path.set.size() && j < 255; ++j) U32(segs, path.set[j]);
  }
  Attribute(attrs, 0x40, 2, segs);
  std::string nh;
  U32(nh, next_hop);
  Attribute(attrs, 0x40, 3, nh);
  U16(out, static_cast<uint32_t>(attrs.size()));
  out += attrs;
}

void MrtWriter::PeerIndexTable(uint32_t timestamp, uint32_t collector_id,
                               std::span<const MrtPeer> peers) {
  body_.clear();
  U32(body_, collector_id);
  U16(body_, 0);  // no view name
  U16(body_, static_cast<uint32_t>(peers.size()));
  for (const MrtPeer& p : peers) {
    U8(body_, 2);  // IPv4 address, 4-byte AS
    U32(body_, p.ip);
    U32(body_, p.ip);
    U32(body_, p.as);
  }
  Header(timestamp, 13, 1, body_.size());
  out_ += body_;
}

void MrtWriter::RibIpv4(uint32_t timestamp, uint32_t sequence, Ipv4Prefix prefix,
                        std::span<const MrtRibRoute> routes,
                        std::span<const MrtPeer> peer_table) {
  body_.clear();
  U32(body_, sequence);
  Prefix(body_, prefix);
  U16(body_, static_cast<uint32_t>(routes.size()));
  for (const MrtRibRoute& r : routes) {
    U16(body_, r.peer_index);
    U32(body_, timestamp);  // originated time
    uint32_t next_hop = r.peer_index < peer_table.size() ? peer_table[r.peer_index].ip : 0;
    Attributes(body_, r.path, next_hop);
  }
  Header(timestamp, 13, 2, body_.size());
  out_ += body_;
}

void MrtWriter::Update(uint32_t timestamp, MrtPeer peer, uint32_t local_as,
                       std::span<const Ipv4Prefix> withdrawn, const MrtAsPath& path,
                       std::span<const Ipv4Prefix> announced) {
  std::string msg;
  std::string w;
  for (const Ipv4Prefix& p : withdrawn) Prefix(w, p);
  U16(msg, static_cast<uint32_t>(w.size()));
  msg += w;
  if (announced.empty()) {
    U16(msg, 0);
  } else {
    Attributes(msg, path, peer.ip);
    for (const Ipv4Prefix& p : announced) Prefix(msg, p);
  }
  body_.clear();
  U32(body_, peer.as);
  U32(body_, local_as);
  U16(body_, 0);  // interface
  U16(body_, 1);  // AFI IPv4
  U32(body_, peer.ip);
  U32(body_, kLocalIp);
  body_.append(16, '\xff');  // marker
  U16(body_, static_cast<uint32_t>(19 + msg.size()));
  U8(body_, 2);  // UPDATE
  body_ += msg;
  Header(timestamp, 16, 4, body_.size());  // BGP4MP MESSAGE_AS4
  out_ += body_;
}

void MrtWriter::StateChange(uint32_t timestamp, MrtPeer peer, uint32_t local_as,
                            uint16_t old_state, uint16_t new_state) {
  body_.clear();
  U32(body_, peer.as);
  U32(body_, local_as);
  U16(body_, 0);
  U16(body_, 1);
  U32(body_, peer.ip);
  U32(body_, kLocalIp);
  U16(body_, old_state);
  U16(body_, new_state);
  Header(timestamp, 16, 5, body_.size());  // BGP4MP STATE_CHANGE_AS4
  out_ += body_;
}

}  // namespace vigil::disruption
