// JournalUploader: the probe side of the watch protocol with a Vigil server.
//
//   POST {server}/api/v1/watch/checkin   Authorization: Bearer TOKEN
//     {"probe_key":"hex","time":"RFC 3339 UTC","state":"online","cc":"CM","asn":"AS30987",
//      "region":"CM-NW","last_seq":N}                       → 200 {"last_seq":K}
//   POST {server}/api/v1/watch/journal
//     {"probe_key":"hex","entries":[{"entry":"<signed text>","hash":"hex","signature":"hex"},
//      ...]}                                                → 200 {"accepted":A,"duplicates":D,
//                                                                  "last_seq":K}
//                                                             400 {"error":"..."}
// K is the last seq the server holds for the probe (-1 for none). Entries are sent in seq
// order from K + 1, at most `batch` per request. Network errors, 5xx and 429 are retried with
// exponential backoff (bounded attempts and delay); the local journal is only read, never
// changed, so a failed upload loses nothing and the next one resumes from the server's K.
// Nothing carries the volunteer's IP address: cc, asn and region are what the user configured.
//
// Thread-safety: one call at a time per uploader; the Journal and HttpPoster must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "measure/nettests/http_post.h"
#include "watch/journal.h"

namespace vigil::watch {

struct UploadConfig {
  std::string server;  // base URL, e.g. "https://vigil.example.org"
  std::string token;   // a probe token; empty sends no Authorization header
  std::string cc = "ZZ";
  std::string asn = "AS0";
  std::string region;
  int max_attempts = 4;  // per request
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{16000};
  std::chrono::milliseconds request_timeout{15000};
  std::size_t batch = 500;
};

struct SyncStats {
  int64_t server_last_seq = -1;  // after the sync, as the server last said
  int64_t accepted = 0;
  int64_t duplicates = 0;
  int requests = 0;
  uint64_t bytes = 0;  // request and response bodies (for the data budget)
  std::string failure;  // "" when the server holds the whole journal
};

class JournalUploader {
 public:
  JournalUploader(Journal& journal, measure::nettests::HttpPoster& poster, UploadConfig config,
                  const Clock& clock)
      : journal_(journal), poster_(poster), config_(std::move(config)), clock_(clock) {}

  // Checks in (state is the current state name) and returns the server's last seq.
  boost::asio::awaitable<Result<int64_t>> Checkin(std::string state, SyncStats* stats);
  // Sends the entries after server_last_seq; returns how it went (failure set when the server
  // could not be reached or refused a batch).
  boost::asio::awaitable<SyncStats> Upload(int64_t server_last_seq, SyncStats stats = {});
  // Checkin, then Upload when the server lacks entries.
  boost::asio::awaitable<SyncStats> Sync(std::string state);

 private:
  boost::asio::awaitable<Result<measure::nettests::PostResponse>> PostWithRetry(
      const std::string& path, const std::string& body, SyncStats* stats);

  Journal& journal_;
  measure::nettests::HttpPoster& poster_;
  UploadConfig config_;
  const Clock& clock_;
};

}  // namespace vigil::watch
