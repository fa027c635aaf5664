// MrtWriter: writes the MRT records BGP visibility consumes (RFC 6396), IPv4 only:
// TABLE_DUMP_V2 PEER_INDEX_TABLE and RIB_IPV4_UNICAST, BGP4MP MESSAGE_AS4 (UPDATE) and
// STATE_CHANGE_AS4. Attributes written: ORIGIN (IGP), AS_PATH (4-byte ASNs), NEXT_HOP.
//
// It exists for tests (handcrafted records) and for bench/gen_mrt (a large, valid input
// that bgpdump also reads); the output is plain, uncompressed MRT.
//
// Thread-safety: one writer per thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vigil::disruption {

struct MrtPeer {
  uint32_t ip = 0;  // IPv4, host order
  uint32_t as = 0;
};

struct Ipv4Prefix {
  uint32_t addr = 0;  // host order, host bits clear
  uint8_t length = 0;
};

// An AS path: an AS_SEQUENCE, then (when non-empty) an AS_SET.
struct MrtAsPath {
  std::vector<uint32_t> sequence;
  std::vector<uint32_t> set;
};

struct MrtRibRoute {
  uint16_t peer_index = 0;
  MrtAsPath path;
};

class MrtWriter {
 public:
  // Bytes written so far; Take() hands them over and starts afresh.
  const std::string& bytes() const { return out_; }
  std::string Take() { return std::move(out_); }

  void PeerIndexTable(uint32_t timestamp, uint32_t collector_id, std::span<const MrtPeer> peers);
  void RibIpv4(uint32_t timestamp, uint32_t sequence, Ipv4Prefix prefix,
               std::span<const MrtRibRoute> routes, std::span<const MrtPeer> peer_table);
  // One UPDATE from `peer`; `path` applies to `announced` (ignored when it is empty).
  void Update(uint32_t timestamp, MrtPeer peer, uint32_t local_as,
              std::span<const Ipv4Prefix> withdrawn, const MrtAsPath& path,
              std::span<const Ipv4Prefix> announced);
  // BGP FSM states: 1 Idle ... 6 Established.
  void StateChange(uint32_t timestamp, MrtPeer peer, uint32_t local_as, uint16_t old_state,
                   uint16_t new_state);

 private:
  void Header(uint32_t timestamp, uint16_t type, uint16_t subtype, size_t length);
  static void Attributes(std::string& out, const MrtAsPath& path, uint32_t next_hop);

  std::string out_;
  std::string body_;
};

}  // namespace vigil::disruption
