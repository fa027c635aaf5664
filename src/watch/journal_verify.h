// The watch journal's entries and how to check them, without any network code: the probe
// (`vigil probe journal verify`) and the server (when a probe uploads its journal) share it.
//
// An entry is one canonical JSON text, compact, keys in this order:
//   {"v":1,"probe_key":"<hex ed25519 public key>","seq":N,"time":"2026-11-28T10:00:00Z",
//    "kind":"start|state|summary","state":"online|...","details":{...},
//    "prev_hash":"<hex sha256 of the previous entry's text; 64 zeros for seq 0>"}
// stored (and sent) with `hash`, the hex SHA-256 of the exact text, and `signature`, the hex
// ed25519 detached signature of the exact text by the key named in probe_key. Entries of one
// journal form a chain: seq 0, 1, 2, ... with no gap, each naming its predecessor's hash.
//
// Thread-safety: pure functions (libsodium is initialised once, thread-safely).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace vigil::watch {

inline constexpr std::string_view kZeroHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// One stored or uploaded entry: the exact signed text, its hash and its signature.
struct JournalRecord {
  std::string entry;
  std::string hash;       // 64 lowercase hex digits
  std::string signature;  // 128 lowercase hex digits
};

// The fields of an entry's text (details kept as its JSON text).
struct EntryFields {
  int64_t v = 0;
  std::string probe_key;
  int64_t seq = -1;
  std::string time;
  std::string kind;
  std::string state;
  std::string details;  // compact JSON object text
  std::string prev_hash;
};

// Parses an entry's text and checks its shape: v == 1, every field present with its type, a
// hex key of 32 bytes, seq >= 0, an RFC 3339 UTC time, a known kind and state, prev_hash of 64
// hex digits. parse_error (with the reason) otherwise.
Result<EntryFields> ParseEntry(std::string_view text);

// Checks one record on its own: the text parses, `hash` is its SHA-256 and `signature` is a
// valid signature of it by its probe_key. "bad_hash", "bad_signature" or parse_error.
Result<EntryFields> VerifyRecord(const JournalRecord& record);

// Where a chain stands: the last entry accepted (seq -1 and kZeroHash before the first).
struct ChainTip {
  int64_t seq = -1;
  std::string hash = std::string(kZeroHash);
};

// Checks that `record` verifies and continues the chain at `tip` for `probe_key`: seq is
// tip.seq + 1 ("gap" otherwise) and prev_hash is tip.hash ("fork" otherwise); a key other than
// probe_key is "wrong_key". The server calls this for each uploaded entry after the last one it
// holds.
Result<EntryFields> VerifyNext(const JournalRecord& record, std::string_view probe_key,
                               const ChainTip& tip);

// The result of checking a whole journal in seq order.
struct VerifyReport {
  bool ok = false;
  std::size_t entries = 0;      // records examined
  std::string probe_key;        // of the first entry
  int64_t last_seq = -1;        // of the last entry that verified in chain
  int64_t first_bad_seq = -1;   // seq (or expected seq) where the first problem is; -1 when ok
  std::vector<std::string> problems;  // one line each, naming the seq
};

// Checks every record's hash and signature, that all share one key, and the chain from seq 0:
// no gap, no fork, no reordering. An empty journal is ok.
VerifyReport VerifyJournal(const std::vector<JournalRecord>& records);

// Lowercase hex SHA-256 of data.
std::string Sha256Hex(std::string_view data);
// Lowercase hex of bytes.
std::string ToHex(const unsigned char* data, std::size_t size);
// Decodes exactly `size` bytes of lowercase or uppercase hex; false when malformed.
bool FromHex(std::string_view hex, unsigned char* out, std::size_t size);

}  // namespace vigil::watch
