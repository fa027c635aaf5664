#include "server/server.h"

#include <chrono>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/base64.h"
#include "core/json_writer.h"
#include "core/time_format.h"
#include "server/credentials.h"
#include "server/query_api.h"

namespace vigil::server {
namespace {

namespace asio = boost::asio;
using net::HttpServerRequest;
using net::HttpServerResponse;

enum class RouteId {
  kOpenReport, kSubmit, kCloseReport, kMeasurements, kRawMeasurement, kAggregation, kHealth,
  kOpenApi, kMetrics, kMe, kUsers, kPostSignals, kSignals, kEvents, kWatchCheckin, kWatchJournal, kStatic,
};

struct Route {
  RouteId id;
  RouteInfo info;
};

const std::vector<Route>& RouteTable() {
  static const std::vector<Route> routes{
      {RouteId::kOpenReport, {"POST", "/report", Permission::kSubmitMeasurements,
                              "Open a report (OONI collector)"}},
      {RouteId::kSubmit, {"POST", "/report/{report_id}", Permission::kSubmitMeasurements,
                          "Submit one measurement (OONI collector)"}},
      {RouteId::kCloseReport, {"POST", "/report/{report_id}/close", Permission::kSubmitMeasurements,
                               "Close a report (OONI collector)"}},
      {RouteId::kMeasurements, {"GET", "/api/v1/measurements", Permission::kReadPublished,
                                "List measurements (OONI API)"}},
      {RouteId::kRawMeasurement, {"GET", "/api/v1/raw_measurement", Permission::kReadPublished,
                                  "One measurement as submitted (OONI API)"}},
      {RouteId::kAggregation, {"GET", "/api/v1/aggregation", Permission::kReadPublished,
                               "Counts by up to two axes (OONI API)"}},
      {RouteId::kHealth, {"GET", "/api/v1/health", Permission::kReadPublished, "Health"}},
      {RouteId::kOpenApi, {"GET", "/api/openapi.json", Permission::kReadPublished,
                           "This API as an OpenAPI 3 document"}},
      {RouteId::kMetrics, {"GET", "/metrics", Permission::kViewMetrics, "Prometheus metrics"}},
      {RouteId::kMe, {"GET", "/api/v1/me", Permission::kReadOwnAccount, "The caller's account"}},
      {RouteId::kUsers, {"GET", "/api/v1/admin/users", Permission::kManageAccounts, "List users"}},
      {RouteId::kPostSignals, {"POST", "/api/v1/signals", Permission::kSubmitSignals,
                               "Store signal points (active probing, BGP, ...)"}},
      {RouteId::kSignals, {"GET", "/api/v1/signals/{entity_type}/{entity_code}", Permission::kReadPublished,
                           "An entity's signals, in IODA's shape"}},
      {RouteId::kEvents, {"GET", "/api/v1/events", Permission::kReadPublished, "Detected disruptions"}},
      {RouteId::kWatchCheckin, {"POST", "/api/v1/watch/checkin", Permission::kSubmitWatch,
                                "A watching probe's heartbeat"}},
      {RouteId::kWatchJournal, {"POST", "/api/v1/watch/journal", Permission::kSubmitWatch,
                                "Upload a watching probe's signed journal entries"}},
      {RouteId::kStatic, {"GET", "/{path}", Permission::kReadPublished,
                          "The dashboard (static files, index.html for client routes)"}},
  };
  return routes;
}

// Matches `path` against a pattern whose {name} segments match one non-empty segment
// (except the static catch-all); captured segments go to *params, in order.
bool Match(std::string_view pattern, std::string_view path, std::vector<std::string>* params) {
  params->clear();
  while (!pattern.empty() && !path.empty()) {
    if (pattern.front() != '/' || path.front() != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    auto ps = pattern.find('/');
    auto qs = path.find('/');
    std::string_view pseg = pattern.substr(0, ps), qseg = path.substr(0, qs);
    if (pseg.starts_with('{')) {
      if (qseg.empty()) return false;
      params->emplace_back(qseg);
    } else if (pseg != qseg) {
      return false;
    }
    pattern = ps == std::string_view::npos ? std::string_view{} : pattern.substr(ps);
    path = qs == std::string_view::npos ? std::string_view{} : path.substr(qs);
  }
  return pattern.empty() && path.empty();
}

HttpServerResponse BadParameter(const Error& e) {
  HttpServerResponse r;
  r.status = 400;
  JsonWriter(r.body).BeginObject()
      .Key("error").String(e.message)
      .Key("parameter").String(ParameterOf(e))
      .EndObject();
  return r;
}

HttpServerResponse Unauthorized(std::string_view why) {
  auto r = net::JsonError(401, why);
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"vigil\"");
  return r;
}

HttpServerResponse StoreError(const Error& e) {
  spdlog::error("store: {}", e.ToString());
  return net::JsonError(503, "the store is unavailable; retry later");
}

// POST /report/{report_id} (not /report, nor .../close).
bool IsSubmission(const HttpServerRequest& r) {
  const std::string_view p = r.Path();
  return r.method == "POST" && p.starts_with("/report/") && p.find('/', 8) == std::string_view::npos;
}

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

const std::vector<RouteInfo>& Server::Routes() {
  static const std::vector<RouteInfo> infos = [] {
    std::vector<RouteInfo> out;
    for (const auto& r : RouteTable()) out.push_back(r.info);
    return out;
  }();
  return infos;
}

Result<std::unique_ptr<Server>> Server::Create(store::Store& store, const Clock& clock,
                                               const geo::GeoDb* geo, ServerOptions options) {
  if (options.report_key.size() < 16) {
    return Fail("invalid_argument", "the report key must be at least 16 bytes");
  }
  std::unique_ptr<Server> s(new Server(store, clock, geo, std::move(options)));
  if (!s->options_.web_dir.empty()) {
    auto files = StaticFiles::Open(s->options_.web_dir);
    if (!files) return tl::unexpected(files.error());
    s->static_files_ = std::move(*files);
  }
  return s;
}

Server::Server(store::Store& store, const Clock& clock, const geo::GeoDb* geo,
               ServerOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      collector_(store, clock, geo, options_.report_key, metrics_, options_.version, options_.categories),
      limiter_(clock, options_.open_collector_rate),
      credentials_(clock, options_.credential_ttl),
      disruption_(store, clock),
      pool_(std::max<std::size_t>(1, options_.worker_threads)),
      submit_pool_(std::max<std::size_t>(1, options_.submit_threads)) {}

Server::~Server() { Shutdown(); }

void Server::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  submit_pool_.join();
  pool_.join();
}

asio::awaitable<HttpServerResponse> Server::OnPool(const HttpServerRequest* request,
                                                   std::string* route) {
  co_return Dispatch(*request, *route);
}

asio::awaitable<HttpServerResponse> Server::Submission(const HttpServerRequest& request,
                                                       std::string& route) {
  // The I/O coroutine waits here; the request and route live in its frame until `handler`
  // runs. Its executor is held as outstanding work until then, so that stopping the server
  // waits for submissions still being committed.
  return asio::async_initiate<decltype(asio::use_awaitable), void(HttpServerResponse)>(
      [this, &request, &route](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        auto io = asio::prefer(asio::get_associated_executor(*h), asio::execution::outstanding_work.tracked);
        asio::post(submit_pool_, [this, &request, &route, h, io]() {
          const auto start = std::chrono::steady_clock::now();
          std::optional<store::PendingMeasurement> deferred;
          HttpServerResponse r = Dispatch(request, route, &deferred);
          if (!deferred) {
            asio::post(io, [h, r = std::move(r)]() mutable { std::move (*h)(std::move(r)); });
            return;
          }
          collector_.CommitAsync(std::move(*deferred), [this, h, io, start, &request, &route](
                                                          Result<store::InsertOutcome> outcome) {
            asio::post(io, [this, h, start, &request, &route, outcome = std::move(outcome)]() mutable {
              HttpServerResponse answer = collector_.Answer(outcome);
              metrics_.RecordRequest(route, request.method, answer.status,
                                     std::chrono::steady_clock::now() - start);
              std::move (*h)(std::move(answer));
            });
          });
        });
      },
      asio::use_awaitable);
}

asio::awaitable<HttpServerResponse> Server::Handle(const HttpServerRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  std::string route;
  // (No co_await inside a conditional expression: GCC 12 miscompiles it, freeing twice.)
  HttpServerResponse r;
  if (IsSubmission(request)) {
    r = co_await Submission(request, route);
  } else {
    r = co_await asio::co_spawn(pool_, OnPool(&request, &route), asio::use_awaitable);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // No client address in the log: the clients are volunteers' probes, and a seized log
  // must not list where they are (the address is only used in memory: rate limit, and
  // country/network of a submission that does not say them).
  spdlog::info("{} {} {} {}B {:.2f}ms", request.method, request.Path(), r.status, r.body.size(),
               std::chrono::duration<double, std::milli>(elapsed).count());
  co_return r;
}

HttpServerResponse Server::HandleBlocking(const HttpServerRequest& request) {
  std::string route;
  return Dispatch(request, route);
}

Result<Principal> Server::Authenticate(const HttpServerRequest& request) {
  Principal p;
  auto header = request.Header("Authorization");
  if (!header) return p;
  std::string_view h = *header;
  auto space = h.find(' ');
  std::string scheme(h.substr(0, space));
  for (char& c : scheme) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  std::string_view credentials = space == std::string_view::npos ? "" : h.substr(space + 1);
  while (!credentials.empty() && credentials.front() == ' ') credentials.remove_prefix(1);
  std::string token;
  if (scheme == "bearer") {
    token = std::string(credentials);
  } else if (scheme == "basic") {
    auto decoded = Base64Decode(credentials);
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) return Fail("unauthorized", "malformed Basic credentials");
    token = decoded->substr(colon + 1);
  } else {
    return Fail("unauthorized", "use Authorization: Bearer TOKEN");
  }
  if (token.empty() || token.size() > 256) return Fail("unauthorized", "invalid token");
  // One read for the token and its account, unless it was read less than
  // credential_ttl ago (the checks below run on every request either way).
  const std::string hash = TokenHash(token);
  std::optional<CredentialCache::Credentials> found = credentials_.Find(hash);
  if (!found) {
    auto stored = store_.GetTokenWithUser(hash);
    if (!stored) return tl::unexpected(stored.error());
    if (!*stored) return Fail("unauthorized", "invalid token");
    found = std::move(**stored);
    credentials_.Put(hash, *found);
  }
  auto& [stored_token, user] = *found;
  const auto now = std::chrono::floor<std::chrono::seconds>(clock_.WallNow());
  if (stored_token.revoked_at) return Fail("unauthorized", "the token was revoked");
  if (stored_token.expires_at && *stored_token.expires_at <= now) {
    return Fail("unauthorized", "the token has expired");
  }
  auto role = ParseRole(stored_token.role);
  if (!role) return Fail("unauthorized", "the token has an unknown role");
  if (user.disabled) return Fail("unauthorized", "the token's account is disabled");
  p.role = *role;
  p.user = std::move(user);
  p.token = std::move(stored_token);
  return p;
}

std::string Server::BaseUrl(const HttpServerRequest& request) const {
  if (!options_.public_url.empty()) return options_.public_url;
  auto host = request.Header("Host");
  return fmt::format("http://{}", host && !host->empty() ? *host : "localhost");
}

HttpServerResponse Server::Dispatch(const HttpServerRequest& request, std::string& route_name,
                                    std::optional<store::PendingMeasurement>* deferred) {
  const auto start = std::chrono::steady_clock::now();
  const std::string_view path = request.Path();
  const Route* route = nullptr;
  std::vector<std::string> params;
  bool path_known = false;
  for (const auto& r : RouteTable()) {
    if (r.id == RouteId::kStatic) continue;
    if (!Match(r.info.pattern, path, &params)) continue;
    path_known = true;
    if (r.info.method == request.method) {
      route = &r;
      break;
    }
  }
  const bool is_get = request.method == "GET" || request.method == "HEAD";
  if (!route && !path_known && static_files_ && is_get && !path.starts_with("/api/") &&
      !path.starts_with("/report") && path != "/metrics") {
    route = &RouteTable().back();
  }
  HttpServerResponse response;
  if (!route) {
    route_name = path_known ? "method_not_allowed" : "not_found";
    response = path_known ? net::JsonError(405, "method not allowed")
                          : net::JsonError(404, "no such route");
  } else {
    route_name = std::string(route->info.pattern);
    response = [&]() -> HttpServerResponse {
      auto principal = Authenticate(request);
      if (!principal) {
        if (principal.error().failure != "unauthorized") return StoreError(principal.error());
        return Unauthorized(principal.error().message);
      }
      const Permission need = route->info.permission;
      if (need == Permission::kSubmitMeasurements && options_.open_collector &&
          !Allowed(principal->role, need)) {
        std::chrono::milliseconds retry{0};
        if (!limiter_.Take(ClientAddress(request.remote), &retry)) {
          metrics_.RecordIngestError("rate_limited");
          auto r = net::JsonError(429, "too many submissions from this address; slow down");
          r.headers.emplace_back("Retry-After",
                                 std::to_string(std::max<int64_t>(1, (retry.count() + 999) / 1000)));
          return r;
        }
      } else if (!Allowed(principal->role, need)) {
        if (principal->role == Role::kAnonymous) {
          return Unauthorized(fmt::format("this route needs a token ({})", PermissionName(need)));
        }
        return net::JsonError(403, fmt::format("role {} may not {}", RoleName(principal->role),
                                               PermissionName(need)));
      }
      switch (route->id) {
        case RouteId::kOpenReport:
          return collector_.OpenReport(request.body);
        case RouteId::kSubmit: {
          if (!deferred) return collector_.Submit(params.at(0), request.body, ClientAddress(request.remote));
          auto prepared = collector_.Prepare(params.at(0), request.body, ClientAddress(request.remote));
          if (auto* rejected = std::get_if<HttpServerResponse>(&prepared)) return std::move(*rejected);
          *deferred = std::move(std::get<store::PendingMeasurement>(prepared));
          return HttpServerResponse{};  // the answer comes from the commit
        }
        case RouteId::kCloseReport:
          return collector_.Close(params.at(0));
        case RouteId::kPostSignals:
          return disruption_.PostSignals(request.body);
        case RouteId::kSignals: {
          auto q = ParseQueryString(request.target);
          if (!q) return BadParameter(q.error());
          return disruption_.GetSignals(params.at(0), params.at(1), *q);
        }
        case RouteId::kEvents: {
          auto q = ParseQueryString(request.target);
          if (!q) return BadParameter(q.error());
          return disruption_.GetEvents(*q);
        }
        case RouteId::kWatchCheckin:
          return disruption_.Checkin(request.body);
        case RouteId::kWatchJournal:
          return disruption_.Journal(request.body);
        case RouteId::kMeasurements:
          return Measurements(request);
        case RouteId::kRawMeasurement:
          return RawMeasurement(request);
        case RouteId::kAggregation:
          return Aggregation(request);
        case RouteId::kHealth:
          return Health();
        case RouteId::kOpenApi: {
          HttpServerResponse r;
          r.body = OpenApiJson();
          return r;
        }
        case RouteId::kMetrics:
          return MetricsPage();
        case RouteId::kMe:
          return Me(*principal);
        case RouteId::kUsers:
          return Users();
        case RouteId::kStatic:
          return static_files_->Serve(path, AcceptsGzip(request.Header("Accept-Encoding").value_or("")));
      }
      return net::JsonError(500, "unhandled route");
    }();
  }
  if (request.method == "HEAD") response.body.clear();
  if (!(deferred && *deferred)) {
    metrics_.RecordRequest(route_name, request.method, response.status,
                           std::chrono::steady_clock::now() - start);
  }
  return response;
}

HttpServerResponse Server::Measurements(const HttpServerRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  auto q = ParseQueryString(request.target);
  if (!q) return BadParameter(q.error());
  auto f = ParseFilter(*q, /*with_paging=*/true);
  if (!f) return BadParameter(f.error());
  auto rows = store_.ListMeasurements(*f);
  if (!rows) return StoreError(rows.error());
  int64_t count = static_cast<int64_t>(f->offset + rows->size());
  // A short page at offset 0 is the whole answer; otherwise count it.
  if (f->offset != 0 || rows->size() >= f->limit) {
    auto n = store_.CountMeasurements(*f);
    if (!n) return StoreError(n.error());
    count = *n;
  }
  HttpServerResponse r;
  r.body = MeasurementsJson(*rows, count, *f, *q, BaseUrl(request), Since(start));
  return r;
}

HttpServerResponse Server::RawMeasurement(const HttpServerRequest& request) {
  auto q = ParseQueryString(request.target);
  if (!q) return BadParameter(q.error());
  auto it = q->find("measurement_uid");
  if (it == q->end() || it->second.empty()) {
    return BadParameter(Error{"invalid_parameter", "measurement_uid: required"});
  }
  if (it->second.size() > 200) {
    return BadParameter(Error{"invalid_parameter", "measurement_uid: too long"});
  }
  auto m = store_.GetMeasurement(it->second);
  if (!m) return StoreError(m.error());
  if (!*m) return net::JsonError(404, "measurement not found");
  auto raw = (*m)->RawJson();
  if (!raw) return StoreError(raw.error());
  HttpServerResponse r;
  r.body = std::move(*raw);
  return r;
}

HttpServerResponse Server::Aggregation(const HttpServerRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  auto q = ParseQueryString(request.target);
  if (!q) return BadParameter(q.error());
  auto agg = ParseAggregation(*q);
  if (!agg) return BadParameter(agg.error());
  auto csv = WantsCsv(*q);
  if (!csv) return BadParameter(csv.error());
  auto rows = store_.Aggregate(*agg);
  if (!rows) return StoreError(rows.error());
  HttpServerResponse r;
  if (*csv) {
    r.content_type = "text/csv; charset=utf-8";
    r.body = AggregationCsv(*agg, *rows);
  } else {
    r.body = AggregationJson(*agg, *rows, Since(start));
  }
  return r;
}

HttpServerResponse Server::Health() {
  auto h = store_.Health();
  HttpServerResponse r;
  JsonWriter w(r.body);
  if (!h) {
    spdlog::error("health: {}", h.error().ToString());
    r.status = 503;
    w.BeginObject().Key("status").String("error").Key("error").String("the store is unavailable")
        .EndObject();
    return r;
  }
  w.BeginObject()
      .Key("status").String("ok")
      .Key("version").String(options_.version)
      .Key("backend").String(h->backend)
      .Key("schema_version").Int(h->schema_version)
      .Key("time").String(FormatIsoTime(clock_.WallNow()))
      .EndObject();
  return r;
}

HttpServerResponse Server::MetricsPage() {
  std::optional<int64_t> stored;
  if (auto c = store_.Counts()) stored = c->measurements;
  HttpServerResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = metrics_.Render(stored);
  return r;
}

HttpServerResponse Server::Me(const Principal& p) {
  HttpServerResponse r;
  JsonWriter w(r.body);
  w.BeginObject()
      .Key("username").String(p.user ? p.user->username : "")
      .Key("user_role").String(p.user ? p.user->role : "")
      .Key("role").String(RoleName(p.role))
      .Key("token_id").Int(p.token ? p.token->id : 0)
      .EndObject();
  return r;
}

HttpServerResponse Server::Users() {
  auto users = store_.ListUsers();
  if (!users) return StoreError(users.error());
  HttpServerResponse r;
  JsonWriter w(r.body);
  w.BeginObject().Key("users").BeginArray();
  for (const auto& u : *users) {
    w.BeginObject()
        .Key("id").Int(u.id)
        .Key("username").String(u.username)
        .Key("role").String(u.role)
        .Key("disabled").Bool(u.disabled)
        .Key("created_at").String(FormatIsoTime(u.created_at))
        .EndObject();
  }
  w.EndArray().EndObject();
  return r;
}

}  // namespace vigil::server
