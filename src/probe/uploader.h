// Uploader: sends the outbox's measurements to a collector speaking OONI's collector protocol:
//   POST /report                {test_name, test_version, probe_cc, probe_asn, software_name,
//                                software_version, test_start_time, data_format_version,
//                                format:"json"}                      → {"report_id": ...}
//   POST /report/{report_id}    {"format":"json","content":{measurement}} → {"measurement_uid"}
//   POST /report/{report_id}/close
// One report per (test_name, test_version, probe_cc, probe_asn, test_start_time) group. Each
// request is retried on network errors, 5xx and 429 with exponential backoff (bounded attempts
// and delay). A measurement is marked uploaded only after the collector accepted it; anything
// else stays in the outbox for the next attempt (`vigil probe upload`).
//
// Thread-safety: one Upload() at a time per Uploader; the Outbox and HttpPoster must outlive it.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "measure/nettests/http_post.h"
#include "probe/outbox.h"

namespace vigil::probe {

struct UploadOptions {
  std::string collector_url;  // e.g. "https://collector.example.org" (no trailing path)
  // A probe token of a Vigil server, sent as "Authorization: Bearer"; empty sends none
  // (OONI's collectors and `vigil serve --open-collector` need none; credentials in the
  // URL, http://probe:TOKEN@host, also work but show in the process list).
  std::string token;
  std::string software_version;
  int max_attempts = 5;  // per request
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{8000};
  std::chrono::milliseconds request_timeout{30000};
  std::size_t batch = 500;  // measurements read from the outbox at a time
};

struct UploadStats {
  std::size_t uploaded = 0;
  std::size_t reports = 0;
  std::size_t left = 0;  // still in the outbox, not accepted
  std::string last_failure;
};

class Uploader {
 public:
  Uploader(Outbox& outbox, measure::nettests::HttpPoster& poster, UploadOptions options)
      : outbox_(outbox), poster_(poster), options_(std::move(options)) {}

  // Uploads everything pending. Returns an Error only for outbox failures; a collector that
  // cannot be reached shows as stats.left > 0 with last_failure set.
  boost::asio::awaitable<Result<UploadStats>> Upload();

 private:
  // POSTs with retries; the response of the last attempt, or its error.
  boost::asio::awaitable<Result<measure::nettests::PostResponse>> PostWithRetry(
      const std::string& path, const std::string& body);

  Outbox& outbox_;
  measure::nettests::HttpPoster& poster_;
  UploadOptions options_;
};

}  // namespace vigil::probe
