#include "server/metrics.h"

#include <fmt/format.h>

namespace vigil::server {

void Metrics::RecordRequest(std::string_view route, std::string_view method, int status,
                            std::chrono::nanoseconds duration) {
  const double seconds = std::chrono::duration<double>(duration).count();
  std::lock_guard lock(mu_);
  ++requests_[{std::string(route), std::string(method), status}];
  Histogram& h = latency_[std::string(route)];
  h.Add(seconds);
}

void Metrics::Histogram::Add(double seconds) {
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++counts[i];
  }
  ++count;
  sum += seconds;
}

void Metrics::RecordCommit(std::size_t rows) {
  std::lock_guard lock(mu_);
  ++commits_;
  committed_rows_ += rows;
}

void Metrics::RecordFlush(std::chrono::nanoseconds took) {
  const double seconds = std::chrono::duration<double>(took).count();
  std::lock_guard lock(mu_);
  flush_.Add(seconds);
}

void Metrics::RecordCheckpoint(std::chrono::nanoseconds took) {
  const double seconds = std::chrono::duration<double>(took).count();
  std::lock_guard lock(mu_);
  checkpoint_.Add(seconds);
}

void Metrics::RecordStored(bool inserted) {
  std::lock_guard lock(mu_);
  ++(inserted ? inserted_ : duplicates_);
}

void Metrics::RecordIngestError(std::string_view reason) {
  std::lock_guard lock(mu_);
  ++ingest_errors_[std::string(reason)];
}

std::string Metrics::Render(std::optional<int64_t> stored_measurements) const {
  std::string out;
  std::lock_guard lock(mu_);
  out += "# HELP vigil_http_requests_total HTTP requests answered, by route pattern, method and status.\n"
         "# TYPE vigil_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, status] = key;
    out += fmt::format("vigil_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                       route, method, status, n);
  }
  out += "# HELP vigil_http_request_duration_seconds Time to answer a request, by route pattern.\n"
         "# TYPE vigil_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format("vigil_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                         route, kBuckets[i], h.counts[i]);
    }
    out += fmt::format("vigil_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
                       route, h.count);
    out += fmt::format("vigil_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route, h.sum);
    out += fmt::format("vigil_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route, h.count);
  }
  out += "# HELP vigil_measurements_stored_total Measurements accepted by the collector.\n"
         "# TYPE vigil_measurements_stored_total counter\n";
  out += fmt::format("vigil_measurements_stored_total{{outcome=\"inserted\"}} {}\n", inserted_);
  out += fmt::format("vigil_measurements_stored_total{{outcome=\"duplicate\"}} {}\n", duplicates_);
  out += "# HELP vigil_ingest_errors_total Collector submissions refused or failed, by reason.\n"
         "# TYPE vigil_ingest_errors_total counter\n";
  for (const auto& [reason, n] : ingest_errors_) {
    out += fmt::format("vigil_ingest_errors_total{{reason=\"{}\"}} {}\n", reason, n);
  }
  out += "# HELP vigil_collector_commits_total Transactions of the collector's group commit.\n"
         "# TYPE vigil_collector_commits_total counter\n";
  out += fmt::format("vigil_collector_commits_total {}\n", commits_);
  out += "# HELP vigil_collector_committed_rows_total Submissions in those transactions (over commits: the mean batch).\n"
         "# TYPE vigil_collector_committed_rows_total counter\n";
  out += fmt::format("vigil_collector_committed_rows_total {}\n", committed_rows_);
  auto histogram = [&out](std::string_view name, std::string_view help, const Histogram& h) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} histogram\n", name, help);
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, kBuckets[i], h.counts[i]);
    }
    out += fmt::format("{0}_bucket{{le=\"+Inf\"}} {1}\n{0}_sum {2}\n{0}_count {1}\n", name, h.count, h.sum);
  };
  histogram("vigil_collector_flush_duration_seconds",
            "Time to make committed submissions durable (SQLite: one fsync of the WAL).", flush_);
  histogram("vigil_collector_checkpoint_duration_seconds",
            "Checkpoints run beside the collector's commits (SQLite: copying the WAL into the database file).",
            checkpoint_);
  if (stored_measurements) {
    out += "# HELP vigil_store_measurements Measurements in the store (all nodes).\n"
           "# TYPE vigil_store_measurements gauge\n";
    out += fmt::format("vigil_store_measurements {}\n", *stored_measurements);
  }
  return out;
}

}  // namespace vigil::server
