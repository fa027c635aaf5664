// Turning one analysed OONI measurement into the row a Store keeps: the idempotency key,
// the measurement_uid in OONI's shape, the searchable columns and the raw bytes
// compressed with zstd — one measurement at a time, or several together (PackBlocks, which
// `vigil import` runs on its analysis workers and the collector's group commit on each
// transaction). Used by `vigil import` (on the analysis worker threads) and by the
// collector.
//
// OONI's collector names a measurement `<YYYYmmddHHMMSS.ffffff>_<cc>_<testname>_<h>`
// where the time is when it was received, testname is the test name without
// underscores and h is the first 16 hex digits of the SHA-512 of the submitted bytes.
// Vigil does the same; for imported measurements (which OONI's dumps carry without a
// uid) the time is measurement_start_time, so re-importing yields the same uid.
//
// Thread-safety: every function is safe to call from many threads at once (each thread
// keeps its own compression context and JSON parser).
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analyzer.h"
#include "core/result.h"
#include "core/time_format.h"
#include "store/store.h"

namespace vigil::store {

struct PrepareOptions {
  // When the measurement was received (collector); unset for imports (see above).
  std::optional<WallTime> received_at;
  int zstd_level = 1;
  std::optional<std::string> category_code;
  // When set, asked with the idempotency key before the raw bytes are compressed; true
  // (the store holds it already) skips the compression and marks the result
  // `already_stored`. Must be safe to call from many threads.
  std::function<bool(std::string_view idempotency_key)> already_stored;
  // false: leave raw_zstd empty and mark the row as one whose bytes go into a block
  // (raw_block = 0 until the caller packs them with PackBlocks, which says where).
  bool compress = true;
};

// A measurement on its way to the store whose raw bytes are not compressed yet: the
// collector's group commit compresses a batch of them together (PackBlocks). With `raw`
// empty, `row` carries its own raw_zstd.
struct PendingMeasurement {
  StoredMeasurement row;
  std::string raw;
};

// `raw` is the measurement as received. When `padded` is true it must be followed by at
// least 64 readable bytes (as Analyzer's padded input), which saves a copy. Errors:
// "invalid_argument" when measurement_start_time is missing or not OONI's time shape.
Result<StoredMeasurement> PrepareMeasurement(const analysis::AnalysisRecord& record,
                                             std::string_view raw, const PrepareOptions& options,
                                             bool padded = false);

// SHA-256 of `data` in lower-case hex.
std::string Sha256Hex(std::string_view data);

// The idempotency key of a measurement that has no uid: "sha256:" and the digest of its
// raw bytes (schema v5; stores of earlier versions keyed them "sha512:", and migration 5
// re-keys those rows from their stored bytes).
std::string ContentKey(std::string_view raw);
inline constexpr std::string_view kContentKeyPrefix = "sha256:";
inline constexpr std::string_view kLegacyContentKeyPrefix = "sha512:";
inline constexpr std::string_view kLegacyContentKeyEnd = "sha512;";  // the first text past the prefix

// OONI's uid shape from its parts (the first 16 hex digits of the digest); `t` keeps
// microseconds.
std::string MakeMeasurementUid(WallTime t, std::string_view probe_cc, std::string_view test_name,
                               std::string_view digest_hex);

Result<std::string> ZstdCompress(std::string_view data, int level);
// The first `size` bytes of what a zstd frame holds ("parse_error" when it is corrupt or
// holds fewer): a row in a block needs only the block up to its end.
Result<std::string> ZstdDecompressPrefix(std::string_view data, size_t size);

// The size of the RawBlocks PackBlocks makes (uncompressed): zstd level 1 compresses
// OONI measurements ~2.5x faster and ~2.8x smaller in frames this size than one at a
// time, and reading one back decompresses at most this much.
constexpr size_t kRawBlockBytes = 256 << 10;

// Puts the raw bytes of rows[i] (raws[i]) end to end into blocks of about
// kRawBlockBytes (a larger measurement gets a block of its own), compresses each, and
// points each row into them (raw_block = first_block + its block's index, raw_offset;
// raw_zstd cleared). Returns the blocks in that order.
Result<std::vector<RawBlock>> PackBlocks(std::span<StoredMeasurement* const> rows,
                                         std::span<const std::string_view> raws, uint32_t first_block = 0,
                                         int level = 1);
// `max_size` bounds the output (a corrupt frame must not allocate without limit).
Result<std::string> ZstdDecompress(std::string_view data, size_t max_size = size_t{1} << 30);

// Re-reads stored rows' raw bytes one after another (migration 5 re-keys them), each
// block decompressed once while the rows that follow lie in it: rows read in their
// blocks' order cost one decompression per block.
class StoredBytesReader {
 public:
  // The compressed frame of block `id` ("db_error" when it is missing).
  using LoadBlock = std::function<Result<std::string>(int64_t id)>;
  explicit StoredBytesReader(LoadBlock load) : load_(std::move(load)) {}

  // A row in a block (`block`, `offset`), or in its own frame (`raw_zstd`). The view
  // lasts until the next call.
  Result<std::string_view> Read(std::optional<int64_t> block, uint64_t offset, uint64_t size,
                                std::string_view raw_zstd);

 private:
  LoadBlock load_;
  std::optional<int64_t> block_;  // the block `text_` holds
  std::string text_;
};

}  // namespace vigil::store
