// Store: where the observatory keeps measurements (with their verdicts), and its users
// and API tokens. One interface, two implementations that pass one shared test suite:
// store/sqlite (embedded, the default: one file under the data directory) and
// store/postgres (several `vigil serve` nodes sharing one database). OpenStore() in
// store/open.h picks one from a `--data DIR` or `--db postgresql://...` flag.
//
// Contract shared by both implementations:
// - A measurement is stored once per idempotency key (its measurement_uid when the
//   probe or OONI gave one, else a hash of its raw bytes; see prepare.h). Inserting it
//   again is not an error: the outcome says "duplicate" and carries the stored uid.
// - Insert/InsertBatch return only once the rows are durable (committed, and with the
//   default Durability::kFull, flushed to disk): an acknowledged measurement survives a
//   crash or power loss. A batch is all-or-nothing: if any row is invalid, nothing of the
//   batch is stored and the error names the row.
// - Raw measurements are kept byte for byte, zstd-compressed at rest: each in its own
//   zstd frame, or several end to end in one frame (a RawBlock: bulk imports and the
//   collector's group commits, which compress faster and smaller that way).
//
// Thread-safety: a Store is safe to use from many threads at once (each implementation
// keeps a pool of connections); several processes may open the same database.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analysis/verdict.h"
#include "core/result.h"

namespace vigil::store {

using Seconds = std::chrono::sys_seconds;

// Raw measurements compressed together: their bytes end to end, as one zstd frame. Rows
// handed to InsertBatch with it say where their bytes are (raw_block, raw_offset,
// raw_size). A frame of ~256 kB compresses ~2.5x faster and ~2.8x smaller than a frame
// per measurement; reading one measurement back decompresses its block (~0.15 ms).
struct RawBlock {
  std::string zstd;
  uint64_t raw_size = 0;  // uncompressed bytes
};

// One measurement as stored: its raw bytes exactly as received are either its own zstd
// frame (raw_zstd) or a slice of a RawBlock; RawJson() gives them back.
struct StoredMeasurement {
  std::string idempotency_key;  // the given uid, or ContentKey() of the raw bytes (prepare.h)
  std::string measurement_uid;  // OONI's shape: 20231128171900.123456_IT_webconnectivity_<hex16>
  std::string report_id;
  std::optional<std::string> input;
  std::string domain;           // host of `input`, lower case; "" when none
  std::string test_name;
  std::string probe_cc;         // "IT"; "ZZ" when unknown (as OONI)
  uint32_t probe_asn = 0;       // 30722 for "AS30722"; 0 when unknown
  Seconds measurement_start_time{};
  analysis::Verdict verdict;
  std::optional<std::string> category_code;  // Citizen Lab category, when known
  uint64_t raw_size = 0;        // uncompressed bytes
  std::string raw_zstd;         // its own frame; empty in ListMeasurements results
  // For InsertBatch: its bytes are blocks[*raw_block], from raw_offset (raw_zstd empty).
  std::optional<uint32_t> raw_block;
  uint64_t raw_offset = 0;
  // From GetMeasurement, for a measurement stored in a block: its bytes, already cut
  // out of the block (raw_zstd is then empty).
  std::optional<std::string> raw_json;
  // Set by PrepareMeasurement when PrepareOptions::already_stored said the store holds
  // this key: raw_zstd is then left empty and there is nothing to insert.
  bool already_stored = false;

  Result<std::string> RawJson() const;
};

// What happened to one measurement handed to Insert/InsertBatch.
struct InsertOutcome {
  std::string measurement_uid;  // the stored uid (the earlier one for a duplicate)
  bool inserted = false;        // false: it was already stored
};

// OONI API order_by values.
enum class OrderBy { kMeasurementStartTime, kInput, kProbeCc, kProbeAsn, kTestName };
enum class Order { kDesc, kAsc };  // OONI's default is descending

// Filters of OONI's GET /api/v1/measurements, same names. Unset = no filter.
// since is inclusive, until exclusive (half-open, so consecutive windows never overlap).
struct MeasurementFilter {
  std::optional<std::string> probe_cc;
  std::optional<uint32_t> probe_asn;
  std::optional<std::string> test_name;
  std::optional<std::string> domain;
  std::optional<std::string> category_code;  // Citizen Lab category ("NEWS")
  std::optional<std::string> input;
  std::optional<Seconds> since;
  std::optional<Seconds> until;
  std::optional<bool> anomaly;
  std::optional<bool> confirmed;
  std::optional<bool> failure;
  uint32_t limit = 100;   // capped at kMaxLimit
  uint64_t offset = 0;
  OrderBy order_by = OrderBy::kMeasurementStartTime;
  Order order = Order::kDesc;

  static constexpr uint32_t kMaxLimit = 10000;
};

// Axes of OONI's GET /api/v1/aggregation.
enum class Axis { kMeasurementStartDay, kProbeCc, kProbeAsn, kDomain, kCategoryCode, kTestName };

struct AggregationRequest {
  MeasurementFilter filter;  // limit, offset and ordering are ignored
  std::optional<Axis> axis_x;
  std::optional<Axis> axis_y;
};

// OONI's counts. A missing verdict field counts as false, so the last four partition
// measurement_count: anomaly_count = anomaly and not confirmed and not failure,
// confirmed_count = confirmed and not failure, failure_count = failure,
// ok_count = none of them.
struct AggregationCounts {
  int64_t measurement_count = 0;
  int64_t anomaly_count = 0;
  int64_t confirmed_count = 0;
  int64_t failure_count = 0;
  int64_t ok_count = 0;
};

// One cell. x and y hold the axis values as OONI prints them ("2024-01-24" for a day,
// "AS30722" for an ASN, "" for a missing category); empty when the axis is unset.
struct AggregationRow {
  std::string x;
  std::string y;
  AggregationCounts counts;
};

struct HealthInfo {
  std::string backend;  // "sqlite" or "postgresql"
  int schema_version = 0;
  std::string location;  // file path, or the database URL without its password
};

// For /metrics.
struct StoreCounts {
  int64_t measurements = 0;
  int64_t users = 0;
  int64_t tokens = 0;
};

// Accounts. Hashing passwords and tokens is the caller's job: the store keeps the hashes.
struct User {
  int64_t id = 0;
  std::string username;
  std::string password_hash;
  std::string role;  // "admin", "editor", "member", "probe"
  bool disabled = false;
  Seconds created_at{};
};

struct ApiToken {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string token_hash;
  std::string role;
  std::string label;
  Seconds created_at{};
  std::optional<Seconds> expires_at;
  std::optional<Seconds> revoked_at;
};

// --- Disruption signals, the watch journal and events (see docs/methodology-detectors.md).

// The value of one datasource for one entity over the bin [time, time + step).
// Stored points are upserted: the same (entity, datasource, time) again replaces value.
struct SignalPoint {
  std::string entity_type;  // "country", "region", "asn"
  std::string entity_code;  // "CM", "CM-NW", "AS30987"
  std::string datasource;   // "bgp", "active-probing", ...
  Seconds time{};
  int32_t step = 300;       // seconds
  double value = 0;
};

// Points of one entity with from <= time < until, ordered by datasource then time.
struct SignalQuery {
  std::string entity_type;
  std::string entity_code;
  std::optional<std::string> datasource;  // unset: every datasource
  Seconds from{};
  Seconds until{};
};

// A watching probe, as its check-ins describe it (never its IP address).
struct WatchProbe {
  std::string probe_key;  // hex ed25519 public key
  std::string cc;         // "ZZ" when unknown
  uint32_t asn = 0;
  std::string region;     // "" when not configured
  Seconds first_seen{};
  Seconds last_seen{};
  std::string last_state;
};

// One check-in: the probe was reachable and in `state` at `time`.
struct WatchCheckin {
  std::string probe_key;
  std::string cc;
  uint32_t asn = 0;
  std::string region;
  Seconds time{};
  std::string state;
};

// One signed journal entry. `entry` is the exact signed JSON text; time, kind and
// state are copied out of it for queries. Verifying is the caller's job.
struct WatchEntry {
  std::string probe_key;
  int64_t seq = 0;
  Seconds time{};
  std::string kind;   // "start", "state", "summary"
  std::string state;
  std::string entry;
  std::string hash;       // hex sha256 of entry
  std::string signature;  // hex ed25519 signature of entry
};

struct WatchEntryQuery {
  std::optional<std::string> probe_key;
  Seconds from{};
  Seconds until{};
  uint32_t limit = 100000;
};

struct WatchPutResult {
  int64_t accepted = 0;
  int64_t duplicates = 0;  // same seq and same hash already stored
};

// A detected disruption of one entity. `end` unset while it lasts.
struct DisruptionEvent {
  int64_t id = 0;  // 0 before it is first saved
  std::string entity_type;
  std::string entity_code;
  std::string kind;  // "full", "regional", "mobile", "platform", "throttling", "dns"
  Seconds start{};
  std::optional<Seconds> end;
  double score = 0;
  std::string detail_json = "{}";  // signals and evidence behind it
  Seconds updated_at{};
};

struct EventFilter {
  std::optional<std::string> entity_type;
  std::optional<std::string> entity_code;
  std::optional<std::string> kind;
  std::optional<Seconds> since;  // events still going on at or after this time
  std::optional<Seconds> until;  // events that started before this time
  bool open_only = false;
  uint32_t limit = 1000;
};

// A webhook notification of one event transition ("start" or "end") to one URL.
struct WebhookDelivery {
  int64_t id = 0;
  int64_t event_id = 0;
  std::string transition;
  std::string url;
  std::string payload;
  int attempts = 0;
  std::optional<Seconds> next_attempt;
  std::optional<Seconds> delivered_at;
};

class Store {
 public:
  virtual ~Store() = default;

  // Stores one measurement (see the contract above). Errors: "invalid_argument" for a
  // malformed row (nothing stored), "db_error" for the database.
  virtual Result<InsertOutcome> Insert(const StoredMeasurement& m) = 0;
  // One transaction for the whole batch; outcomes in the order of `batch`. The same
  // key twice in one batch stores it once (the second outcome is a duplicate). Rows may
  // point into `blocks` (raw_block); a block none of whose rows is new is not stored.
  virtual Result<std::vector<InsertOutcome>> InsertBatch(std::span<const StoredMeasurement> batch,
                                                         std::span<const RawBlock> blocks = {}) = 0;
  // Makes every commit so far durable on disk (for a store opened with relaxed
  // durability, e.g. a bulk import, before it reports what it stored). Stores whose
  // commits are always durable do nothing. Errors: "io_error".
  virtual Result<void> Sync() { return {}; }
  // InsertBatch whose commit may be left unflushed even by a store that flushes every
  // commit (SQLite with Durability::kFull): the caller must call SyncCommitted() before it
  // tells anyone the rows are stored. It lets a writer insert the next batch while the disk
  // flushes this one (the collector's group commit). Elsewhere the same as InsertBatch.
  virtual Result<std::vector<InsertOutcome>> InsertBatchUnflushed(std::span<const StoredMeasurement> batch,
                                                                  std::span<const RawBlock> blocks = {}) {
    return InsertBatch(batch, blocks);
  }
  // Makes every commit so far durable, as cheaply as the store can (SQLite: the WAL only;
  // the database file is flushed by checkpoints). No-op where commits are durable already.
  // Errors: "io_error".
  virtual Result<void> SyncCommitted() { return {}; }
  // Checkpoints off the committing thread (SQLite): once called, the store stops copying
  // its WAL into the database file as part of the commits that fill it (it still does so
  // when the WAL grows eight times larger than usual: a safety net), and this copies it
  // instead when enough has been committed since the last time. For a caller that commits
  // often and has another thread to spare (the collector's group commit). Returns whether
  // it checkpointed. No-op (false) in stores without a WAL to checkpoint.
  virtual Result<bool> CheckpointIfDue() { return false; }

  // A bulk load into an empty store: the store may stop maintaining the measurements'
  // secondary (query) indexes while it runs, and build them in one pass at EndBulkLoad,
  // which is much cheaper than inserting into them row by row. Returns whether it did
  // (false: the store holds measurements already, or does not do this). Queries still
  // answer meanwhile, only slower. Should the load stop before EndBulkLoad (a crash, a
  // kill), the next open of the store builds the missing indexes.
  virtual Result<bool> BeginBulkLoad() { return false; }
  virtual Result<void> EndBulkLoad() { return {}; }

  // nullopt when no measurement has that uid. The raw bytes come in raw_zstd or, for a
  // measurement stored in a block, raw_json: read them with RawJson().
  virtual Result<std::optional<StoredMeasurement>> GetMeasurement(std::string_view uid) = 0;
  // The measurement_uid stored under an idempotency key, if any (a cheap point lookup:
  // `vigil import` asks it before compressing a measurement it may already hold).
  virtual Result<std::optional<std::string>> FindKey(std::string_view idempotency_key) = 0;
  // Metadata only (raw_zstd left empty), filtered, ordered (ties broken by uid) and paged.
  virtual Result<std::vector<StoredMeasurement>> ListMeasurements(const MeasurementFilter& f) = 0;
  // How many measurements match (limit/offset ignored).
  virtual Result<int64_t> CountMeasurements(const MeasurementFilter& f) = 0;
  // Rows ordered by x then y.
  virtual Result<std::vector<AggregationRow>> Aggregate(const AggregationRequest& r) = 0;

  virtual Result<HealthInfo> Health() = 0;
  virtual Result<StoreCounts> Counts() = 0;
  virtual Result<int> SchemaVersion() = 0;
  // Deep consistency check (SQLite's integrity_check, index/table agreement); "" when
  // all is well, else a description of what is wrong.
  virtual Result<std::string> CheckConsistency() = 0;

  // Users. CreateUser fails with "already_exists" for a taken username.
  virtual Result<User> CreateUser(std::string_view username, std::string_view password_hash,
                                  std::string_view role, Seconds now) = 0;
  virtual Result<std::optional<User>> GetUser(std::string_view username) = 0;
  virtual Result<std::optional<User>> GetUserById(int64_t id) = 0;
  virtual Result<std::vector<User>> ListUsers() = 0;
  // Replaces password_hash, role and disabled of the user with user.id ("not_found").
  virtual Result<void> UpdateUser(const User& user) = 0;
  // Also deletes the user's tokens ("not_found" when there is no such user).
  virtual Result<void> DeleteUser(int64_t id) = 0;

  // Tokens. token_hash is unique ("already_exists").
  virtual Result<ApiToken> CreateToken(int64_t user_id, std::string_view token_hash,
                                       std::string_view role, std::string_view label, Seconds now,
                                       std::optional<Seconds> expires_at) = 0;
  virtual Result<std::optional<ApiToken>> GetTokenByHash(std::string_view token_hash) = 0;
  // The token with this hash and its account, in one read (authentication, on every
  // request that carries a token). nullopt when no token has that hash.
  virtual Result<std::optional<std::pair<ApiToken, User>>> GetTokenWithUser(std::string_view token_hash) = 0;
  virtual Result<std::vector<ApiToken>> ListTokens(int64_t user_id) = 0;
  virtual Result<void> RevokeToken(int64_t id, Seconds now) = 0;

  // Signals.
  virtual Result<void> PutSignals(std::span<const SignalPoint> points) = 0;
  virtual Result<std::vector<SignalPoint>> GetSignals(const SignalQuery& q) = 0;
  // Every (entity_type, entity_code) with stored points, ordered.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ListSignalEntities() = 0;

  // The watch. RecordCheckin upserts the probe and stores the check-in; it returns the
  // last journal seq held for that probe (-1 when none).
  virtual Result<int64_t> RecordCheckin(const WatchCheckin& c) = 0;
  virtual Result<std::vector<WatchCheckin>> ListCheckins(Seconds from, Seconds until) = 0;
  virtual Result<std::vector<WatchProbe>> ListWatchProbes() = 0;
  // Entries of one probe, all-or-nothing. An entry whose seq is stored with the same
  // hash is a duplicate; with another hash the call fails with "conflict".
  virtual Result<WatchPutResult> PutWatchEntries(std::span<const WatchEntry> entries) = 0;
  // The entry with the highest seq of a probe, if any.
  virtual Result<std::optional<WatchEntry>> LastWatchEntry(std::string_view probe_key) = 0;
  // Ordered by probe_key then seq.
  virtual Result<std::vector<WatchEntry>> ListWatchEntries(const WatchEntryQuery& q) = 0;

  // Events. SaveEvent inserts (id 0) or updates (by id; "not_found") and returns the id.
  virtual Result<int64_t> SaveEvent(const DisruptionEvent& e) = 0;
  // Newest start first.
  virtual Result<std::vector<DisruptionEvent>> ListEvents(const EventFilter& f) = 0;

  // Webhooks. EnqueueDelivery stores the notification once per (event, transition, url)
  // and returns false when it was already queued: that is what makes notifications go
  // out once even with several servers. Pending = not delivered and due at `now`.
  virtual Result<bool> EnqueueDelivery(const WebhookDelivery& d) = 0;
  virtual Result<std::vector<WebhookDelivery>> PendingDeliveries(Seconds now, uint32_t limit) = 0;
  // Takes a pending delivery for one sender until `lease_until` (moves its next attempt
  // there); false when another sender took it first or it was delivered.
  virtual Result<bool> ClaimDelivery(int64_t id, Seconds now, Seconds lease_until) = 0;
  // Records one attempt: delivered, or the time of the next try (nullopt: give up).
  virtual Result<void> RecordDeliveryAttempt(int64_t id, bool delivered, Seconds now,
                                             std::optional<Seconds> next_attempt) = 0;
};

// Names as OONI's API spells them, and back (nullopt for an unknown name).
std::string_view OrderByName(OrderBy o);
std::optional<OrderBy> ParseOrderBy(std::string_view s);
std::string_view AxisName(Axis a);
std::optional<Axis> ParseAxis(std::string_view s);
// "AS30722" or "30722" → 30722.
std::optional<uint32_t> ParseAsn(std::string_view s);
// OONI's blocking vocabulary ("false", "dns", ...) for the database; nullopt for null.
std::optional<std::string> BlockingToText(analysis::Blocking b);
analysis::Blocking BlockingFromText(const std::optional<std::string>& s);

// Checks what both stores require of a row before writing it ("invalid_argument").
Result<void> ValidateMeasurement(const StoredMeasurement& m);
// Every row of an InsertBatch call, and the blocks they point into: errors name the row
// ("batch row 3: ...") or the block.
Result<void> ValidateBatch(std::span<const StoredMeasurement> batch, std::span<const RawBlock> blocks);
// The bytes of a row stored in a block, cut out of the block's compressed frame
// ("parse_error" when the frame is corrupt or too short for the row).
Result<std::string> RawFromBlock(std::string_view block_zstd, uint64_t offset, uint64_t size);
// The same for signal points, check-ins, journal entries and events.
Result<void> ValidateSignalPoint(const SignalPoint& p);
Result<void> ValidateCheckin(const WatchCheckin& c);
Result<void> ValidateWatchEntry(const WatchEntry& e);
Result<void> ValidateEvent(const DisruptionEvent& e);

}  // namespace vigil::store
