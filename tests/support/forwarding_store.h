// ForwardingStore: a Store that passes every call to another one. Tests derive from it to
// watch or alter a few calls (the order of commits and flushes, injected failures) while a
// real store does the work.
#pragma once

#include "store/store.h"

namespace vigil::test_support {

using namespace vigil::store;  // NOLINT: the Store interface's types, unqualified as in store.h

class ForwardingStore : public store::Store {
 public:
  explicit ForwardingStore(store::Store& inner) : inner_(inner) {}

  Result<InsertOutcome> Insert(const StoredMeasurement& m) override { return inner_.Insert(m); }
  Result<std::vector<InsertOutcome>> InsertBatch(std::span<const StoredMeasurement> batch,
                                                 std::span<const RawBlock> blocks = {}) override {
    return inner_.InsertBatch(batch, blocks);
  }
  Result<void> Sync() override { return inner_.Sync(); }
  Result<bool> BeginBulkLoad() override { return inner_.BeginBulkLoad(); }
  Result<void> EndBulkLoad() override { return inner_.EndBulkLoad(); }
  Result<std::vector<InsertOutcome>> InsertBatchUnflushed(std::span<const StoredMeasurement> batch,
                                                          std::span<const RawBlock> blocks = {}) override {
    return inner_.InsertBatchUnflushed(batch, blocks);
  }
  Result<void> SyncCommitted() override { return inner_.SyncCommitted(); }
  Result<bool> CheckpointIfDue() override { return inner_.CheckpointIfDue(); }
  Result<std::optional<StoredMeasurement>> GetMeasurement(std::string_view uid) override {
    return inner_.GetMeasurement(uid);
  }
  Result<std::optional<std::string>> FindKey(std::string_view idempotency_key) override {
    return inner_.FindKey(idempotency_key);
  }
  Result<std::vector<StoredMeasurement>> ListMeasurements(const MeasurementFilter& f) override {
    return inner_.ListMeasurements(f);
  }
  Result<int64_t> CountMeasurements(const MeasurementFilter& f) override {
    return inner_.CountMeasurements(f);
  }
  Result<std::vector<AggregationRow>> Aggregate(const AggregationRequest& r) override {
    return inner_.Aggregate(r);
  }
  Result<HealthInfo> Health() override { return inner_.Health(); }
  Result<StoreCounts> Counts() override { return inner_.Counts(); }
  Result<int> SchemaVersion() override { return inner_.SchemaVersion(); }
  Result<std::string> CheckConsistency() override { return inner_.CheckConsistency(); }
  Result<User> CreateUser(std::string_view username, std::string_view password_hash,
                          std::string_view role, Seconds now) override {
    return inner_.CreateUser(username, password_hash, role, now);
  }
  Result<std::optional<User>> GetUser(std::string_view username) override {
    return inner_.GetUser(username);
  }
  Result<std::optional<User>> GetUserById(int64_t id) override { return inner_.GetUserById(id); }
  Result<std::vector<User>> ListUsers() override { return inner_.ListUsers(); }
  Result<void> UpdateUser(const User& user) override { return inner_.UpdateUser(user); }
  Result<void> DeleteUser(int64_t id) override { return inner_.DeleteUser(id); }
  Result<ApiToken> CreateToken(int64_t user_id, std::string_view token_hash, std::string_view role,
                               std::string_view label, Seconds now,
                               std::optional<Seconds> expires_at) override {
    return inner_.CreateToken(user_id, token_hash, role, label, now, expires_at);
  }
  Result<std::optional<ApiToken>> GetTokenByHash(std::string_view token_hash) override {
    return inner_.GetTokenByHash(token_hash);
  }
  Result<std::optional<std::pair<ApiToken, User>>> GetTokenWithUser(std::string_view token_hash) override {
    return inner_.GetTokenWithUser(token_hash);
  }
  Result<std::vector<ApiToken>> ListTokens(int64_t user_id) override {
    return inner_.ListTokens(user_id);
  }
  Result<void> RevokeToken(int64_t id, Seconds now) override { return inner_.RevokeToken(id, now); }
  Result<void> PutSignals(std::span<const SignalPoint> points) override {
    return inner_.PutSignals(points);
  }
  Result<std::vector<SignalPoint>> GetSignals(const SignalQuery& q) override {
    return inner_.GetSignals(q);
  }
  Result<std::vector<std::pair<std::string, std::string>>> ListSignalEntities() override {
    return inner_.ListSignalEntities();
  }
  Result<int64_t> RecordCheckin(const WatchCheckin& c) override { return inner_.RecordCheckin(c); }
  Result<std::vector<WatchCheckin>> ListCheckins(Seconds from, Seconds until) override {
    return inner_.ListCheckins(from, until);
  }
  Result<std::vector<WatchProbe>> ListWatchProbes() override { return inner_.ListWatchProbes(); }
  Result<WatchPutResult> PutWatchEntries(std::span<const WatchEntry> entries) override {
    return inner_.PutWatchEntries(entries);
  }
  Result<std::optional<WatchEntry>> LastWatchEntry(std::string_view probe_key) override {
    return inner_.LastWatchEntry(probe_key);
  }
  Result<std::vector<WatchEntry>> ListWatchEntries(const WatchEntryQuery& q) override {
    return inner_.ListWatchEntries(q);
  }
  Result<int64_t> SaveEvent(const DisruptionEvent& e) override { return inner_.SaveEvent(e); }
  Result<std::vector<DisruptionEvent>> ListEvents(const EventFilter& f) override {
    return inner_.ListEvents(f);
  }
  Result<bool> EnqueueDelivery(const WebhookDelivery& d) override {
    return inner_.EnqueueDelivery(d);
  }
  Result<std::vector<WebhookDelivery>> PendingDeliveries(Seconds now, uint32_t limit) override {
    return inner_.PendingDeliveries(now, limit);
  }
  Result<bool> ClaimDelivery(int64_t id, Seconds now, Seconds lease_until) override {
    return inner_.ClaimDelivery(id, now, lease_until);
  }
  Result<void> RecordDeliveryAttempt(int64_t id, bool delivered, Seconds now,
                                     std::optional<Seconds> next_attempt) override {
    return inner_.RecordDeliveryAttempt(id, delivered, now, next_attempt);
  }

 protected:
  store::Store& inner_;
};

}  // namespace vigil::test_support
