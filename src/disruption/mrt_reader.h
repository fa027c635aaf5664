// MrtReader: a streaming reader of MRT routing-table and BGP message dumps (RFC 6396,
// with the ADD-PATH subtypes of RFC 8050), as published by RIPE RIS and RouteViews.
//
// It reads gzip or plain files (gzip is detected from the content) in constant memory:
// the reader owns one input buffer and one MrtRecord that it refills for every record,
// so steady-state reading does not allocate. Understood records:
//   TABLE_DUMP (v1, AFI IPv4/IPv6, 2- and 4-byte AS subtypes),
//   TABLE_DUMP_V2 PEER_INDEX_TABLE, RIB_IPV4/IPV6_UNICAST/MULTICAST (+ _ADDPATH),
//     RIB_GENERIC (+ _ADDPATH) for AFI 1/2 with SAFI 1/2,
//   BGP4MP and BGP4MP_ET: STATE_CHANGE(_AS4), MESSAGE(_AS4)(_LOCAL)(_ADDPATH).
// BGP UPDATE messages are decoded down to path attributes and NLRI; the AS_PATH is
// merged with AS4_PATH (RFC 6793) the way bgpdump does it, so that bgpdump_format.h can
// reproduce `bgpdump -m` byte for byte.
//
// Malformed input never crashes the reader, never loops and never allocates more than
// Options::max_record_bytes for one record. A record whose body is inconsistent is still
// returned, decoded as far as bgpdump would decode it, with MrtRecord::problems naming
// what is wrong; a stream that cannot be continued (truncated header or body, corrupt
// gzip, oversized record) ends with an Error carrying the byte offset.
//
// Thread-safety: one reader per thread; records are owned by the reader.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace vigil::disruption {

// MRT record types (RFC 6396 section 4) the reader knows.
inline constexpr uint16_t kMrtTableDump = 12;
inline constexpr uint16_t kMrtTableDumpV2 = 13;
inline constexpr uint16_t kMrtBgp4mp = 16;
inline constexpr uint16_t kMrtBgp4mpEt = 17;

// An IPv4 or IPv6 address in network byte order (IPv4 uses bytes[0..3]).
struct IpAddr {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
};

// One NLRI entry; path_id is 0 unless the record carries ADD-PATH identifiers.
struct NlriPrefix {
  IpAddr addr;
  uint8_t length = 0;
  uint32_t path_id = 0;
};

// AS_PATH segment types (RFC 4271, RFC 5065).
inline constexpr uint8_t kAsSet = 1;
inline constexpr uint8_t kAsSequence = 2;
inline constexpr uint8_t kAsConfedSequence = 3;
inline constexpr uint8_t kAsConfedSet = 4;

// An AS path as a flat list of segments over one ASN array (no per-segment allocation).
struct AsPath {
  struct Segment {
    uint8_t type = kAsSequence;
    uint32_t first = 0;  // index into asns
    uint32_t count = 0;
  };
  std::vector<Segment> segments;
  std::vector<uint32_t> asns;
  bool present = false;
  // The attribute did not decode into valid segments (bgpdump prints "! Error !").
  bool malformed = false;

  void Clear() {
    segments.clear();
    asns.clear();
    present = false;
    malformed = false;
  }
};

// MP_REACH_NLRI / MP_UNREACH_NLRI content for one (AFI, SAFI).
struct MpNlri {
  bool present = false;
  uint8_t nexthop_len = 0;
  IpAddr nexthop;
  IpAddr nexthop_local;  // link-local IPv6 next hop when nexthop_len == 32
  std::vector<NlriPrefix> prefixes;
};

struct LargeCommunity {
  uint32_t global = 0, local1 = 0, local2 = 0;
};

// Path attribute type codes used below.
inline constexpr uint8_t kAttrOrigin = 1;
inline constexpr uint8_t kAttrAsPath = 2;
inline constexpr uint8_t kAttrNextHop = 3;
inline constexpr uint8_t kAttrMed = 4;
inline constexpr uint8_t kAttrLocalPref = 5;
inline constexpr uint8_t kAttrAtomicAggregate = 6;
inline constexpr uint8_t kAttrAggregator = 7;
inline constexpr uint8_t kAttrCommunities = 8;
inline constexpr uint8_t kAttrMpReach = 14;
inline constexpr uint8_t kAttrMpUnreach = 15;
inline constexpr uint8_t kAttrAs4Path = 17;
inline constexpr uint8_t kAttrAs4Aggregator = 18;
inline constexpr uint8_t kAttrLargeCommunities = 32;

struct PathAttributes {
  // Bit (type - 1) is set for every attribute of type 1..64 whose full length was present.
  uint64_t seen = 0;
  int origin = -1;  // -1: absent
  AsPath as_path;   // after AS4_PATH merging (2-byte-AS sources only)
  AsPath as4_path;
  std::array<uint8_t, 4> next_hop{0xff, 0xff, 0xff, 0xff};  // 255.255.255.255 when absent
  uint32_t med = 0;
  uint32_t local_pref = 0;
  uint32_t aggregator_as = 0;  // after AS4_AGGREGATOR merging
  std::array<uint8_t, 4> aggregator_addr{0xff, 0xff, 0xff, 0xff};
  uint32_t as4_aggregator_as = 0;
  std::array<uint8_t, 4> as4_aggregator_addr{0xff, 0xff, 0xff, 0xff};
  std::vector<uint32_t> communities;
  std::vector<LargeCommunity> large_communities;
  // Indexed by MpIndex(afi, safi) for AFI 1..2 and SAFI 1..3.
  std::array<MpNlri, 6> mp_reach;
  std::array<MpNlri, 6> mp_unreach;

  bool Has(uint8_t type) const {
    return type >= 1 && type <= 64 && ((seen >> (type - 1)) & 1) != 0;
  }
  static constexpr size_t MpIndex(uint16_t afi, uint8_t safi) {
    return static_cast<size_t>((afi - 1) * 3 + (safi - 1));
  }
  void Clear();
};

// One TABLE_DUMP_V2 PEER_INDEX_TABLE entry.
struct PeerEntry {
  IpAddr bgp_id;
  IpAddr ip;
  uint32_t as = 0;
};

// One route of a TABLE_DUMP_V2 RIB record.
struct RibEntry {
  PeerEntry peer;
  uint16_t peer_index = 0;
  uint32_t originated_time = 0;
  uint32_t path_id = 0;
  PathAttributes attrs;
};

enum class RecordKind {
  kTableDump,       // TABLE_DUMP v1: one route
  kPeerIndexTable,  // TABLE_DUMP_V2 peer table (kept by the reader for later RIB records)
  kRib,             // TABLE_DUMP_V2 RIB_*: one prefix, several routes
  kBgp4mpState,     // BGP4MP(_ET) STATE_CHANGE(_AS4)
  kBgp4mpMessage,   // BGP4MP(_ET) MESSAGE*: see msg_type; UPDATEs are decoded
  kUnsupported,     // a type/subtype not decoded here, or framing too broken to decode
                    // (then `problems` says why); bgpdump prints nothing for these
};

// BGP message types (RFC 4271).
inline constexpr uint8_t kBgpOpen = 1;
inline constexpr uint8_t kBgpUpdate = 2;
inline constexpr uint8_t kBgpNotification = 3;
inline constexpr uint8_t kBgpKeepalive = 4;

struct MrtRecord {
  // Common header.
  uint64_t offset = 0;  // byte offset of the record in the (decompressed) stream
  uint32_t timestamp = 0;
  uint32_t microseconds = 0;  // BGP4MP_ET only
  uint16_t type = 0;
  uint16_t subtype = 0;
  uint32_t length = 0;  // body length (excluding the ET microsecond field)
  RecordKind kind = RecordKind::kUnsupported;
  // Why the record is malformed; empty for a well-formed record.
  std::vector<std::string> problems;

  // TABLE_DUMP (v1): prefix, peer and route; TABLE_DUMP_V2 RIB: prefix and sequence.
  uint16_t view = 0;
  uint32_t sequence = 0;
  NlriPrefix prefix;
  uint8_t status = 0;
  uint32_t originated_time = 0;
  PeerEntry peer;  // TABLE_DUMP v1 peer
  uint16_t afi = 0;
  uint8_t safi = 0;
  bool addpath = false;

  // TABLE_DUMP_V2 RIB routes: rib_entries() is valid until the next record.
  std::span<const RibEntry> rib_entries() const { return {rib_storage.data(), rib_count}; }
  std::vector<RibEntry> rib_storage;  // grows, never shrinks, to avoid reallocating attrs
  size_t rib_count = 0;

  // BGP4MP: "peer" is the first address/AS pair of the record, "local" the second.
  bool as4 = false;
  bool local = false;  // *_LOCAL subtypes: a message sent by the collector
  uint32_t peer_as = 0, local_as = 0;
  uint16_t interface_index = 0;
  IpAddr peer_ip, local_ip;
  uint16_t old_state = 0, new_state = 0;
  uint8_t msg_type = 0;
  std::vector<NlriPrefix> withdrawn;
  std::vector<NlriPrefix> announced;
  PathAttributes attrs;  // TABLE_DUMP v1 and BGP4MP UPDATE

  bool extended_time() const { return type == kMrtBgp4mpEt; }
  bool malformed() const { return !problems.empty(); }
};

class MrtReader {
 public:
  struct Options {
    size_t buffer_bytes = size_t{1} << 20;
    // A record longer than this ends the stream with an error (RIB records of full
    // tables are a few hundred KiB; nothing legitimate comes near the default).
    size_t max_record_bytes = size_t{64} << 20;
  };

  // path "-" reads standard input.
  static Result<std::unique_ptr<MrtReader>> Open(const std::string& path, Options options);
  static Result<std::unique_ptr<MrtReader>> Open(const std::string& path) {
    return Open(path, Options{});
  }
  // Reads MRT bytes already in memory (tests, fuzzing). The bytes must outlive the reader.
  static std::unique_ptr<MrtReader> FromBytes(std::string_view bytes, Options options);
  static std::unique_ptr<MrtReader> FromBytes(std::string_view bytes) {
    return FromBytes(bytes, Options{});
  }

  ~MrtReader();
  MrtReader(const MrtReader&) = delete;
  MrtReader& operator=(const MrtReader&) = delete;

  // The next record, valid until the next call; nullptr at the end of input. An Error
  // means the stream cannot continue (its message has the offset); later calls return
  // nullptr.
  Result<const MrtRecord*> Next();

  const std::string& path() const { return path_; }
  uint64_t bytes_consumed() const { return consumed_; }

 private:
  struct Source;
  MrtReader(std::string path, Options options, std::unique_ptr<Source> source);
  // Makes at least `want` bytes available at buf_[begin_..]; false at end of input.
  Result<bool> Ensure(size_t want);

  std::string path_;
  Options options_;
  std::unique_ptr<Source> source_;
  std::string buf_;
  std::string_view view_;  // FromBytes input (no copy)
  size_t begin_ = 0, end_ = 0;
  uint64_t consumed_ = 0;
  bool eof_ = false;
  bool failed_ = false;
  MrtRecord record_;
  std::vector<PeerEntry> peers_;
  bool have_peer_table_ = false;
  AsPath scratch_path_;
};

// bgpdump's count of an AS path's length (a set counts as one), including its quirk of
// stopping at the ~7900-character text limit; used for AS4_PATH merging.
uint32_t BgpdumpAsPathCount(const AsPath& path);

}  // namespace vigil::disruption
