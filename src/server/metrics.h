// Metrics: the server's counters, rendered in Prometheus' text exposition format
// (version 0.0.4) at GET /metrics:
//   vigil_http_requests_total{route,method,status}      counter
//   vigil_http_request_duration_seconds{route}          histogram
//   vigil_measurements_stored_total{outcome}            counter (inserted | duplicate)
//   vigil_ingest_errors_total{reason}                   counter
//   vigil_store_measurements                            gauge (given to Render)
// `route` is the route's pattern ("/report/{report_id}"), never the raw path, so the
// number of series stays bounded.
//
// Thread-safety: every method may be called from many threads at once (one mutex).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

namespace vigil::server {

class Metrics {
 public:
  void RecordRequest(std::string_view route, std::string_view method, int status,
                     std::chrono::nanoseconds duration);
  void RecordStored(bool inserted);
  void RecordIngestError(std::string_view reason);
  // The collector's group commit: a transaction of `rows`, and a flush (fsync) that made
  // committed rows durable.
  void RecordCommit(std::size_t rows);
  void RecordFlush(std::chrono::nanoseconds took);
  void RecordCheckpoint(std::chrono::nanoseconds took);

  // The whole exposition; `stored_measurements` is the store's count when known.
  std::string Render(std::optional<int64_t> stored_measurements) const;

  // Upper bounds of the latency histogram, seconds.
  static constexpr std::array<double, 12> kBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,   0.25,   0.5,   1.0,  2.5,   10.0};

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
    void Add(double seconds);
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  uint64_t inserted_ = 0;
  uint64_t duplicates_ = 0;
  std::map<std::string, uint64_t> ingest_errors_;
  uint64_t commits_ = 0;
  uint64_t committed_rows_ = 0;
  Histogram flush_;
  Histogram checkpoint_;
};

}  // namespace vigil::server
