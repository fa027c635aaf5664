#include "watch/upload.h"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/json_read.h"
#include "core/json_writer.h"
#include "core/time_format.h"

namespace vigil::watch {
namespace {

namespace asio = boost::asio;
using measure::nettests::PostResponse;

std::optional<int64_t> IntMember(const std::string& body, std::string_view key) {
  simdjson::dom::parser parser;
  json::Element root;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) return std::nullopt;
  auto obj = json::AsObject(root);
  if (!obj) return std::nullopt;
  auto e = json::Field(*obj, key);
  return e ? json::AsInt(*e) : std::nullopt;
}

std::string ErrorMember(const std::string& body) {
  simdjson::dom::parser parser;
  json::Element root;
  if (parser.parse(body).get(root) == simdjson::SUCCESS) {
    if (auto obj = json::AsObject(root)) {
      if (auto e = json::StringField(*obj, "error")) return std::string(*e);
    }
  }
  return body.substr(0, 200);
}

std::string Describe(const Result<PostResponse>& r) {
  return r ? fmt::format("HTTP {}: {}", r->status, ErrorMember(r->body)) : r.error().ToString();
}

}  // namespace

asio::awaitable<Result<PostResponse>> JournalUploader::PostWithRetry(const std::string& path,
                                                                     const std::string& body,
                                                                     SyncStats* stats) {
  std::string base = config_.server;
  while (!base.empty() && base.back() == '/') base.pop_back();
  measure::nettests::PostOptions post;
  post.timeout = config_.request_timeout;
  post.connect_timeout = std::min(config_.request_timeout, std::chrono::milliseconds(10000));
  post.max_response_bytes = 64 * 1024;
  if (!config_.token.empty()) post.headers.push_back("Authorization: Bearer " + config_.token);
  auto backoff = config_.initial_backoff;
  Result<PostResponse> last = Fail("http_request_failed", "no attempt made");
  const int attempts = std::max(config_.max_attempts, 1);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    ++stats->requests;
    stats->bytes += body.size() + 500;
    last = co_await poster_.Post(base + path, body, post);
    if (last) stats->bytes += last->body.size() + 300;
    const bool retry = !last || last->status >= 500 || last->status == 429;
    if (!retry || attempt == attempts) break;
    spdlog::debug("watch: {} failed ({}); retrying in {} ms", path, Describe(last),
                  backoff.count());
    asio::steady_timer timer(co_await asio::this_coro::executor, backoff);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    backoff = std::min(backoff * 2, config_.max_backoff);
  }
  co_return last;
}

asio::awaitable<Result<int64_t>> JournalUploader::Checkin(std::string state, SyncStats* stats) {
  std::string body;
  JsonWriter w(body);
  w.BeginObject()
      .Key("probe_key").String(journal_.probe_key())
      .Key("time").String(FormatIsoTime(clock_.WallNow()))
      .Key("state").String(state)
      .Key("cc").String(config_.cc)
      .Key("asn").String(config_.asn)
      .Key("region").String(config_.region)
      .Key("last_seq").Int(journal_.last_seq())
      .EndObject();
  auto r = co_await PostWithRetry("/api/v1/watch/checkin", body, stats);
  if (!r || r->status != 200) {
    co_return Fail("checkin_failed", "check-in: " + Describe(r));
  }
  auto last = IntMember(r->body, "last_seq");
  if (!last || *last < -1) {
    co_return Fail("checkin_failed",
                   "check-in: the answer has no last_seq: " + r->body.substr(0, 200));
  }
  co_return *last;
}

asio::awaitable<SyncStats> JournalUploader::Upload(int64_t server_last_seq, SyncStats stats) {
  stats.server_last_seq = server_last_seq;
  const std::size_t batch = std::clamp<std::size_t>(config_.batch, 1, 500);
  while (stats.server_last_seq < journal_.last_seq()) {
    auto records = journal_.Read(stats.server_last_seq + 1, batch);
    if (!records) {
      stats.failure = records.error().ToString();
      break;
    }
    if (records->empty()) break;
    std::string body;
    JsonWriter w(body);
    w.BeginObject().Key("probe_key").String(journal_.probe_key()).Key("entries").BeginArray();
    for (const auto& rec : *records) {
      w.BeginObject()
          .Key("entry").String(rec.entry)
          .Key("hash").String(rec.hash)
          .Key("signature").String(rec.signature)
          .EndObject();
    }
    w.EndArray().EndObject();
    auto r = co_await PostWithRetry("/api/v1/watch/journal", body, &stats);
    if (!r || r->status != 200) {
      stats.failure = "journal upload: " + Describe(r);
      break;
    }
    auto last = IntMember(r->body, "last_seq");
    if (!last) {
      stats.failure = "journal upload: the answer has no last_seq";
      break;
    }
    stats.accepted += IntMember(r->body, "accepted").value_or(0);
    stats.duplicates += IntMember(r->body, "duplicates").value_or(0);
    if (*last <= stats.server_last_seq) {
      // The server did not move forward: sending the same batch again would loop.
      stats.failure = fmt::format("journal upload: the server stays at seq {}", *last);
      break;
    }
    stats.server_last_seq = *last;
    if (auto s = journal_.SetUploadedSeq(*last); !s) {
      stats.failure = s.error().ToString();
      break;
    }
  }
  co_return stats;
}

asio::awaitable<SyncStats> JournalUploader::Sync(std::string state) {
  SyncStats stats;
  auto last = co_await Checkin(std::move(state), &stats);
  if (!last) {
    stats.failure = last.error().ToString();
    co_return stats;
  }
  stats.server_last_seq = *last;
  if (auto s = journal_.SetUploadedSeq(std::min(*last, journal_.last_seq())); !s) {
    stats.failure = s.error().ToString();
    co_return stats;
  }
  co_return co_await Upload(*last, stats);
}

}  // namespace vigil::watch
