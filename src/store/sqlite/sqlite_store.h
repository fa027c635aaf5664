// SqliteStore: the embedded Store (see store/store.h), one SQLite file in WAL mode.
//
// Durability: with Durability::kFull (the default) every commit fsyncs the WAL, so an
// acknowledged measurement survives power loss, not only a crash of the process;
// kNormal (synchronous=NORMAL) survives a crash of the process but may lose the last
// commits on power loss until Sync() returns: `vigil import` writes that way and calls
// Sync() before it reports what it stored (one fsync per run instead of one per batch).
// InsertBatchUnflushed commits one batch as kNormal would; SyncCommitted() then fsyncs the
// WAL (the collector acknowledges its rows only after that).
//
// Files: the database is created 0600 (SQLite gives its -wal and -shm the same mode), and
// other processes may open it while this store is open (docs/deployment.md).
//
// Thread-safety: safe to share between threads. Each call borrows a connection from a
// small pool (SQLite connections are not shared between threads at the same time);
// writers queue on one in-process mutex and take SQLite's write lock with BEGIN
// IMMEDIATE, so several processes may also write to the same file (busy_timeout waits).
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace vigil::store {

enum class Durability { kFull, kNormal };

struct SqliteOptions {
  Durability durability = Durability::kFull;
  int max_connections = 8;
  int busy_timeout_ms = 30000;
};

class SqliteStore : public Store {
 public:
  // Opens (creating when missing) the database file at `path` and applies pending
  // migrations. Errors: "io_error" when the file cannot be opened, "db_error" when a
  // migration fails, "unsupported" when the file's schema is newer than this program.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, SqliteOptions options = {});

  ~SqliteStore() override;

  Result<InsertOutcome> Insert(const StoredMeasurement& m) override;
  Result<std::vector<InsertOutcome>> InsertBatch(std::span<const StoredMeasurement> batch,
                                                 std::span<const RawBlock> blocks = {}) override;
  Result<std::vector<InsertOutcome>> InsertBatchUnflushed(std::span<const StoredMeasurement> batch,
                                                          std::span<const RawBlock> blocks = {}) override;
  Result<void> SyncCommitted() override;
  Result<bool> CheckpointIfDue() override;
  // Makes every commit so far durable: fsyncs the WAL (what synchronous=NORMAL leaves to the
  // OS), and its folder when the WAL file is new. SQLite itself flushes the database file
  // after each checkpoint. Neither this nor SyncCommitted ever opens the database file:
  // closing a descriptor of it would drop SQLite's locks (see docs/deployment.md).
  Result<void> Sync() override;
  Result<bool> BeginBulkLoad() override;
  Result<void> EndBulkLoad() override;
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

  // The schema version this program writes.
  static int LatestSchemaVersion();

 private:
  struct Impl;
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::store
