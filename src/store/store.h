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
// - Raw measurements are kept byte for byte, zstd-compressed at rest.
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
#include <vector>

#include "analysis/verdict.h"
#include "core/result.h"

namespace vigil::store {

using Seconds = std::chrono::sys_seconds;

// One measurement as stored. `raw_zstd` is the measurement exactly as received,
// compressed with zstd; RawJson() gives it back.
struct StoredMeasurement {
  std::string idempotency_key;  // the given uid, or "sha512:<hex>" of the raw bytes
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
  std::string raw_zstd;         // empty in ListMeasurements results

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

class Store {
 public:
  virtual ~Store() = default;

  // Stores one measurement (see the contract above). Errors: "invalid_argument" for a
  // malformed row (nothing stored), "db_error" for the database.
  virtual Result<InsertOutcome> Insert(const StoredMeasurement& m) = 0;
  // One transaction for the whole batch; outcomes in the order of `batch`. The same
  // key twice in one batch stores it once (the second outcome is a duplicate).
  virtual Result<std::vector<InsertOutcome>> InsertBatch(std::span<const StoredMeasurement> batch) = 0;

  // nullopt when no measurement has that uid.
  virtual Result<std::optional<StoredMeasurement>> GetMeasurement(std::string_view uid) = 0;
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
  virtual Result<std::vector<ApiToken>> ListTokens(int64_t user_id) = 0;
  virtual Result<void> RevokeToken(int64_t id, Seconds now) = 0;
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

}  // namespace vigil::store
