// Server: `vigil serve`'s request handling over a Store — the OONI collector, the query
// API in OONI's names and shapes, health, metrics, the OpenAPI document, account routes and
// the static dashboard. Routes() lists every route with the Permission it needs (roles.h);
// openapi.cc documents each one.
//
// Authentication: `Authorization: Bearer TOKEN`, or HTTP Basic whose password is the
// token (so a probe's collector URL can carry it: http://probe:TOKEN@host/). A token that
// is unknown, revoked, expired or whose user is disabled gets 401 on every route, even a
// public one, so a client learns its credentials are wrong. No token = anonymous. A role
// the table does not allow gets 403. The collector accepts anonymous submissions only
// with ServerOptions::open_collector, then rate-limited per client address (429).
//
// Handle() is the HttpServer handler: it moves each request to a private thread pool
// (store calls block), answers, records metrics and logs one line per request. Collector
// submissions go to a second, small pool: their work is CPU (parse, analyse, compress) and
// their commit is awaited without holding a thread (GroupCommit shares one commit between
// concurrent submissions, and its writer hands the outcome straight back to the I/O
// coroutine), so a pool the size of the cores serves them with the fewest context switches,
// while slow queries cannot delay them.
//
// Thread-safety: Handle()/HandleBlocking() may run concurrently. Store, Clock and GeoDb
// must outlive the Server; Shutdown() (or the destructor) waits for the pool.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "geo/geo_db.h"
#include "net/http_server.h"
#include "server/collector.h"
#include "server/credential_cache.h"
#include "server/disruption_api.h"
#include "server/metrics.h"
#include "server/rate_limiter.h"
#include "server/roles.h"
#include "server/static_files.h"
#include "store/store.h"

namespace vigil::server {

struct ServerOptions {
  bool open_collector = false;
  RateLimit open_collector_rate;
  std::string web_dir;       // "" = no static files
  std::string report_key;    // MAC key of report ids (see collector.h); required
  std::string public_url;    // "https://vigil.example.org"; "" = from the Host header
  std::size_t worker_threads = 4;   // for routes that block on the store
  std::size_t submit_threads = 2;   // collector submissions: CPU only, commits are awaited
  // How long a token's stored state is trusted before it is read again (credential_cache.h):
  // a token revoked or an account disabled by another process is refused at most this later.
  std::chrono::milliseconds credential_ttl{1000};
  std::string version = "0.0.0";
  // Citizen Lab lists giving measurements their category_code; null for none.
  std::shared_ptr<const measure::CategoryIndex> categories;
};

struct RouteInfo {
  std::string_view method;
  std::string_view pattern;  // "/report/{report_id}"
  Permission permission;
  std::string_view summary;
};

// Who made a request.
struct Principal {
  Role role = Role::kAnonymous;
  std::optional<store::User> user;
  std::optional<store::ApiToken> token;
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> Create(store::Store& store, const Clock& clock,
                                                const geo::GeoDb* geo, ServerOptions options);
  ~Server();

  boost::asio::awaitable<net::HttpServerResponse> Handle(const net::HttpServerRequest& request);
  // The same, on the calling thread (no logging).
  net::HttpServerResponse HandleBlocking(const net::HttpServerRequest& request);

  // Waits for work queued on the pool; Handle() must not be called afterwards.
  void Shutdown();

  static const std::vector<RouteInfo>& Routes();
  const Metrics& metrics() const { return metrics_; }

 private:
  Server(store::Store& store, const Clock& clock, const geo::GeoDb* geo, ServerOptions options);
  boost::asio::awaitable<net::HttpServerResponse> OnPool(const net::HttpServerRequest* request,
                                                         std::string* route);
  // A collector submission: prepared on the submit pool, committed by the group commit's
  // writer, answered on the calling coroutine's executor (three thread hand-offs).
  boost::asio::awaitable<net::HttpServerResponse> Submission(const net::HttpServerRequest& request,
                                                             std::string& route);
  // With `deferred` (the asynchronous path), a valid submission is not stored here: its
  // row is left in *deferred for the caller to commit (and to record in the metrics).
  net::HttpServerResponse Dispatch(const net::HttpServerRequest& request, std::string& route,
                                   std::optional<store::PendingMeasurement>* deferred = nullptr);
  Result<Principal> Authenticate(const net::HttpServerRequest& request);
  std::string BaseUrl(const net::HttpServerRequest& request) const;

  net::HttpServerResponse Measurements(const net::HttpServerRequest& r);
  net::HttpServerResponse RawMeasurement(const net::HttpServerRequest& r);
  net::HttpServerResponse Aggregation(const net::HttpServerRequest& r);
  net::HttpServerResponse Health();
  net::HttpServerResponse MetricsPage();
  net::HttpServerResponse Me(const Principal& p);
  net::HttpServerResponse Users();

  store::Store& store_;
  const Clock& clock_;
  ServerOptions options_;
  Metrics metrics_;
  Collector collector_;
  RateLimiter limiter_;
  CredentialCache credentials_;
  DisruptionApi disruption_;
  std::optional<StaticFiles> static_files_;
  boost::asio::thread_pool pool_;
  boost::asio::thread_pool submit_pool_;
  bool shut_down_ = false;
};

// The OpenAPI 3 document served at /api/openapi.json.
const std::string& OpenApiJson();

}  // namespace vigil::server
