#include "probe/uploader.h"

#include <map>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/json_read.h"
#include "core/json_writer.h"
#include "measure/measurement_json.h"

namespace vigil::probe {
namespace {

namespace asio = boost::asio;
using measure::nettests::PostResponse;

std::optional<std::string> StringMember(const std::string& body, std::string_view key) {
  simdjson::dom::parser parser;
  json::Element root;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) return std::nullopt;
  auto obj = json::AsObject(root);
  if (!obj) return std::nullopt;
  auto v = json::StringField(*obj, key);
  if (!v || v->empty()) return std::nullopt;
  return std::string(*v);
}

}  // namespace

asio::awaitable<Result<PostResponse>> Uploader::PostWithRetry(const std::string& path,
                                                              const std::string& body) {
  std::string base = options_.collector_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  measure::nettests::PostOptions post;
  post.timeout = options_.request_timeout;
  if (!options_.token.empty()) post.headers.push_back("Authorization: Bearer " + options_.token);
  auto backoff = options_.initial_backoff;
  Result<PostResponse> last = Fail("http_request_failed", "no attempt made");
  const int attempts = std::max(options_.max_attempts, 1);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    last = co_await poster_.Post(base + path, body, post);
    const bool retry = !last || last->status >= 500 || last->status == 429;
    if (!retry) co_return last;
    if (attempt == attempts) break;
    spdlog::debug("upload: {} failed ({}); retrying in {} ms", path,
                  last ? fmt::format("HTTP {}", last->status) : last.error().ToString(),
                  backoff.count());
    asio::steady_timer timer(co_await asio::this_coro::executor, backoff);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  co_return last;
}

asio::awaitable<Result<UploadStats>> Uploader::Upload() {
  UploadStats stats;
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
  std::map<Key, std::string> reports;  // open report per group
  measure::MeasurementParser parser;
  bool collector_down = false;
  std::size_t skipped = 0;
  while (!collector_down) {
    auto batch = outbox_.PendingUploads(options_.batch + skipped);
    if (!batch) co_return tl::unexpected(batch.error());
    if (batch->size() <= skipped) break;
    for (std::size_t i = skipped; i < batch->size() && !collector_down; ++i) {
      const auto& sm = (*batch)[i];
      Key key{sm.test_name, sm.test_version, sm.probe_cc, sm.probe_asn, sm.test_start_time};
      auto open = reports.find(key);
      if (open == reports.end()) {
        std::string body;
        JsonWriter w(body);
        w.BeginObject()
            .Key("data_format_version").String("0.2.0")
            .Key("format").String("json")
            .Key("probe_asn").String(sm.probe_asn)
            .Key("probe_cc").String(sm.probe_cc)
            .Key("software_name").String("vigil")
            .Key("software_version").String(options_.software_version)
            .Key("test_name").String(sm.test_name)
            .Key("test_start_time").String(sm.test_start_time)
            .Key("test_version").String(sm.test_version)
            .EndObject();
        auto r = co_await PostWithRetry("/report", body);
        auto id = r && r->status == 200 ? StringMember(r->body, "report_id") : std::nullopt;
        if (!id) {
          stats.last_failure = r ? fmt::format("POST /report: HTTP {}{}", r->status,
                                               r->status == 401 || r->status == 403
                                                   ? (options_.token.empty()
                                                          ? " (the collector wants a probe token: --token or "
                                                            "VIGIL_PROBE_TOKEN)"
                                                          : " (the collector refused the probe token)")
                                                   : "")
                                 : "POST /report: " + r.error().ToString();
          collector_down = true;
          break;
        }
        open = reports.emplace(key, *id).first;
        ++stats.reports;
      }
      auto m = parser.Parse(sm.json);
      if (!m) {
        spdlog::warn("upload: stored measurement {} is unreadable: {}", sm.id, m.error().ToString());
        ++skipped;
        continue;
      }
      m->report_id = open->second;
      std::string body = R"({"format":"json","content":)";
      body += measure::WriteMeasurementJson(*m);
      body += '}';
      auto r = co_await PostWithRetry("/report/" + open->second, body);
      if (!r || r->status != 200) {
        stats.last_failure = r ? fmt::format("POST /report/{}: HTTP {}", open->second, r->status)
                               : "POST /report/" + open->second + ": " + r.error().ToString();
        if (!r || r->status >= 500 || r->status == 429) {
          collector_down = true;
        } else {
          ++skipped;  // rejected: keep it, try the others
        }
        continue;
      }
      auto uid = StringMember(r->body, "measurement_uid").value_or("");
      auto marked = outbox_.MarkUploaded(sm.id, open->second, uid);
      if (!marked) co_return tl::unexpected(marked.error());
      ++stats.uploaded;
    }
  }
  for (const auto& [key, id] : reports) {
    auto r = co_await PostWithRetry("/report/" + id + "/close", "{}");
    if (!r) spdlog::debug("upload: closing report {} failed: {}", id, r.error().ToString());
  }
  auto left = outbox_.CountPendingUploads();
  if (!left) co_return tl::unexpected(left.error());
  stats.left = *left;
  co_return stats;
}

}  // namespace vigil::probe
