// PgStore: the multi-node Store (see store/store.h) on PostgreSQL 15 through libpq.
//
// Measurements are partitioned by month of measurement_start_time (declarative range
// partitioning; a month's partition is created the first time a row needs it).
// PostgreSQL cannot enforce a unique key across partitions unless it contains the
// partition key, so idempotency lives in the unpartitioned `measurement_keys` table
// (idempotency_key primary key, measurement_uid unique) that every insert goes through
// with ON CONFLICT DO NOTHING, in the same transaction as the measurement row.
// Commits use PostgreSQL's default synchronous_commit=on: an acknowledged measurement is
// in the server's fsynced WAL.
//
// Thread-safety: safe to share between threads; each call borrows a connection from a
// pool. Several processes (vigil serve nodes) may use one database at once: migrations
// and partition creation take advisory locks.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace vigil::store {

struct PgOptions {
  int max_connections = 8;
  size_t rows_per_statement = 256;  // InsertBatch sends this many rows per INSERT
};

class PgStore : public Store {
 public:
  // `conninfo` is a libpq connection string or URL (postgresql://user@host:port/db).
  // Connects, then applies pending migrations. Errors: "connection_refused"-style
  // "db_unavailable" when the server cannot be reached, "db_error" for a failed
  // migration, "unsupported" when the schema is newer than this program.
  static Result<std::unique_ptr<PgStore>> Open(const std::string& conninfo, PgOptions options = {});

  ~PgStore() override;

  Result<InsertOutcome> Insert(const StoredMeasurement& m) override;
  Result<std::vector<InsertOutcome>> InsertBatch(std::span<const StoredMeasurement> batch,
                                                 std::span<const RawBlock> blocks = {}) override;
  Result<std::optional<StoredMeasurement>> GetMeasurement(std::string_view uid) override;
  Result<std::optional<std::string>> FindKey(std::string_view idempotency_key) override;
  Result<std::vector<StoredMeasurement>> ListMeasurements(const MeasurementFilter& f) override;
  Result<int64_t> CountMeasurements(const MeasurementFilter& f) override;
  Result<std::vector<AggregationRow>> Aggregate(const AggregationRequest& r) override;
  Result<HealthInfo> Health() override;
  Result<StoreCounts> Counts() override;
  Result<int> SchemaVersion() override;
  Result<std::string> CheckConsistency() override;

  Result<User> CreateUser(std::string_view username, std::string_view password_hash, std::string_view role,
                          Seconds now) override;
  Result<std::optional<User>> GetUser(std::string_view username) override;
  Result<std::optional<User>> GetUserById(int64_t id) override;
  Result<std::vector<User>> ListUsers() override;
  Result<void> UpdateUser(const User& user) override;
  Result<void> DeleteUser(int64_t id) override;
  Result<ApiToken> CreateToken(int64_t user_id, std::string_view token_hash, std::string_view role,
                               std::string_view label, Seconds now, std::optional<Seconds> expires_at) override;
  Result<std::optional<ApiToken>> GetTokenByHash(std::string_view token_hash) override;
  Result<std::optional<std::pair<ApiToken, User>>> GetTokenWithUser(std::string_view token_hash) override;
  Result<std::vector<ApiToken>> ListTokens(int64_t user_id) override;
  Result<void> RevokeToken(int64_t id, Seconds now) override;
  Result<void> PutSignals(std::span<const SignalPoint> points) override;
  Result<std::vector<SignalPoint>> GetSignals(const SignalQuery& q) override;
  Result<std::vector<std::pair<std::string, std::string>>> ListSignalEntities() override;
  Result<int64_t> RecordCheckin(const WatchCheckin& c) override;
  Result<std::vector<WatchCheckin>> ListCheckins(Seconds from, Seconds until) override;
  Result<std::vector<WatchProbe>> ListWatchProbes() override;
  Result<WatchPutResult> PutWatchEntries(std::span<const WatchEntry> entries) override;
  Result<std::optional<WatchEntry>> LastWatchEntry(std::string_view probe_key) override;
  Result<std::vector<WatchEntry>> ListWatchEntries(const WatchEntryQuery& q) override;
  Result<int64_t> SaveEvent(const DisruptionEvent& e) override;
  Result<std::vector<DisruptionEvent>> ListEvents(const EventFilter& f) override;
  Result<bool> EnqueueDelivery(const WebhookDelivery& d) override;
  Result<std::vector<WebhookDelivery>> PendingDeliveries(Seconds now, uint32_t limit) override;
  Result<bool> ClaimDelivery(int64_t id, Seconds now, Seconds lease_until) override;
  Result<void> RecordDeliveryAttempt(int64_t id, bool delivered, Seconds now,
                                     std::optional<Seconds> next_attempt) override;

  static int LatestSchemaVersion();

 private:
  struct Impl;
  explicit PgStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The connection string with any password removed, for logs and health output.
std::string RedactConninfo(std::string_view conninfo);

}  // namespace vigil::store
