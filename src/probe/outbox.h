// Outbox: the probe's durable local store (SQLite in WAL mode, synchronous=FULL). A run is a
// planned list of (test_name, input) items; a measurement is committed together with marking
// its item done, in one transaction, and only then counts as done. A run killed at any point
// (even SIGKILL) therefore resumes with exactly the items not yet committed: nothing lost,
// nothing measured twice (a UNIQUE constraint on the item makes a second commit fail).
// Measurements stay until a collector has accepted them (MarkUploaded).
//
// Thread-safety: an Outbox serializes its own calls with a mutex; SQLite's file locking keeps
// two processes on one file consistent (a second writer waits up to five seconds).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace vigil {
class SqliteDb;
}

namespace vigil::probe {

struct PlannedItem {
  int64_t item_id = 0;  // set by the outbox
  std::string test_name;
  std::string input;  // "" for tests without input
};

// What the uploader needs about a stored measurement.
struct StoredMeasurement {
  int64_t id = 0;
  std::string test_name;
  std::string test_version;
  std::string probe_cc;
  std::string probe_asn;
  std::string test_start_time;
  std::string json;
};

// The fields of a measurement the outbox indexes besides its JSON.
struct MeasurementMeta {
  std::string test_name;
  std::string test_version;
  std::string probe_cc;
  std::string probe_asn;
  std::string test_start_time;
  bool blocked = false;
};

struct RunCounts {
  std::size_t total = 0;
  std::size_t done = 0;
  std::size_t blocked = 0;
};

class Outbox {
 public:
  // Opens (creating it and its folder when needed) the outbox at `path`. io_error when it
  // cannot be opened.
  static Result<std::unique_ptr<Outbox>> Open(const std::string& path);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Records a new run with its items in order; returns its id.
  Result<int64_t> CreateRun(const std::vector<PlannedItem>& items, const std::string& settings);
  // The newest run not marked finished, if any, and the settings it was started with.
  Result<std::optional<std::pair<int64_t, std::string>>> LatestUnfinishedRun();
  // Items of the run without a committed measurement, in plan order.
  Result<std::vector<PlannedItem>> PendingItems(int64_t run_id);
  Result<RunCounts> Counts(int64_t run_id);
  // Stores the measurement and marks the item done, atomically. Fails (constraint) if the item
  // already has one.
  Result<int64_t> Commit(int64_t run_id, int64_t item_id, const MeasurementMeta& meta,
                         const std::string& json);
  Result<bool> FinishRun(int64_t run_id);
  // The run's measurements (JSON), in plan order.
  Result<std::vector<std::string>> RunMeasurements(int64_t run_id);

  // Measurements no collector has accepted yet, oldest first.
  Result<std::vector<StoredMeasurement>> PendingUploads(std::size_t limit);
  Result<bool> MarkUploaded(int64_t id, const std::string& report_id,
                            const std::string& measurement_uid);
  Result<std::size_t> CountPendingUploads();
  // (input, uploaded) of every stored measurement, for tests and `vigil probe status`.
  Result<std::vector<std::pair<std::string, bool>>> AllMeasurements();

 private:
  explicit Outbox(std::unique_ptr<SqliteDb> db);

  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;  // under mu_
};

}  // namespace vigil::probe
