// vigil serve's routes over real HTTP on 127.0.0.1 (port 0) and a temporary SQLite store:
// the collector round trip with the real sample measurements, validation answers, the
// query API's shapes, metrics, OpenAPI coverage of every route, and the authorization
// matrix (every route x every kind of caller).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include "core/base64.h"
#include "server/credentials.h"
#include "server/server.h"
#include "store/open.h"
#include "tests/support/api_token.h"

namespace vigil::server {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// A blocking HTTP/1.1 client for one request (Connection: close).
Reply Http(uint16_t port, std::string_view method, std::string_view target,
           std::string_view body = {}, std::vector<std::string> extra_headers = {}) {
  Reply reply;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return reply;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return reply;
  }
  std::string req = fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n",
                                method, target, port);
  for (const auto& h : extra_headers) req += h + "\r\n";
  if (method == "POST") req += fmt::format("Content-Type: application/json\r\nContent-Length: {}\r\n", body.size());
  req += "\r\n";
  req += body;
  for (size_t sent = 0; sent < req.size();) {
    ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) raw.append(buf, static_cast<size_t>(n));
  ::close(fd);
  auto head_end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || head_end == std::string::npos) return reply;
  reply.status = std::stoi(raw.substr(9, 3));
  std::string_view head = std::string_view(raw).substr(0, head_end);
  for (size_t pos = head.find("\r\n"); pos != std::string_view::npos;) {
    size_t next = head.find("\r\n", pos + 2);
    std::string_view line = head.substr(pos + 2, next == std::string_view::npos ? std::string_view::npos : next - pos - 2);
    auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string name(line.substr(0, colon));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      reply.headers[name] = std::string(value);
    }
    pos = next;
  }
  reply.body = raw.substr(head_end + 4);
  return reply;
}

std::vector<std::string> SampleLines() {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/data/samples/ooni-sample.jsonl");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::string ReportRequest(std::string_view test_name = "web_connectivity",
                          std::string_view cc = "IT", std::string_view asn = "AS30722") {
  return fmt::format(R"({{"probe_cc":"{}","probe_asn":"{}","software_name":"vigil","software_version":"0.1.0",)"
                     R"("test_name":"{}","test_version":"0.4.3","data_format_version":"0.2.0","format":"json"}})",
                     cc, asn, test_name);
}

std::string Field(const std::string& json, std::string_view key) {
  simdjson::dom::parser parser;
  std::string_view v;
  if (parser.parse(json)[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(ServerOptions options, size_t max_body = size_t{4} << 20) {
    dir_ = fs::temp_directory_path() / fmt::format("vigil-server-test-{}-{}", ::getpid(), counter_++);
    fs::create_directories(dir_);
    store::OpenOptions open;
    open.data_dir = dir_.string();
    auto st = store::OpenStore(open);
    ASSERT_TRUE(st) << st.error().ToString();
    store_ = std::move(*st);
    options.report_key = "test-report-key-0123456789";
    options.version = "test";
    options.worker_threads = 2;
    auto s = Server::Create(*store_, clock_, nullptr, options);
    ASSERT_TRUE(s) << s.error().ToString();
    server_ = std::move(*s);
    io_.restart();
    strand_.emplace(asio::make_strand(io_));
    net::HttpServerOptions http_options;
    http_options.max_body_bytes = max_body;
    auto http = net::HttpServer::Create(
        *strand_, "127.0.0.1:0",
        [this](const net::HttpServerRequest& r) { return server_->Handle(r); }, http_options);
    ASSERT_TRUE(http) << http.error().ToString();
    http_ = std::move(*http);
    http_->Start();
    port_ = http_->port();
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (http_) {
      asio::co_spawn(*strand_, http_->Stop(), [this](std::exception_ptr) { io_.stop(); });
    }
    if (thread_.joinable()) thread_.join();
    if (server_) server_->Shutdown();
    server_.reset();
    http_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  // Creates a user of `role` with a token of the same role; returns the token.
  std::string TokenFor(std::string_view name, std::string_view role) {
    return test_support::CreateUserWithToken(*store_, std::chrono::floor<std::chrono::seconds>(clock_.WallNow()),
                                             name, role, &last_token_id_);
  }

  std::string OpenReport(const std::string& token) {
    auto r = Http(port_, "POST", "/report", ReportRequest(), {"Authorization: Bearer " + token});
    EXPECT_EQ(r.status, 200) << r.body;
    return Field(r.body, "report_id");
  }

  static std::string Submission(std::string_view measurement) {
    return fmt::format(R"({{"format":"json","content":{}}})", measurement);
  }

  FakeClock clock_{Clock::WallTime(std::chrono::seconds(1706105533))};
  fs::path dir_;
  static inline int counter_ = 0;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Server> server_;
  asio::io_context io_;
  std::optional<asio::strand<asio::io_context::executor_type>> strand_;
  std::unique_ptr<net::HttpServer> http_;
  std::thread thread_;
  uint16_t port_ = 0;
  int64_t last_token_id_ = 0;
};

TEST_F(ServerTest, HealthAndOpenApiCoverEveryRoute) {
  auto health = Http(port_, "GET", "/api/v1/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Field(health.body, "status"), "ok");
  EXPECT_EQ(Field(health.body, "backend"), "sqlite");

  auto doc = Http(port_, "GET", "/api/openapi.json");
  ASSERT_EQ(doc.status, 200);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(doc.body).get(root), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(root["openapi"].get_string().value()).substr(0, 2), "3.");
  for (const auto& route : Server::Routes()) {
    std::string method(route.method);
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    simdjson::dom::element op;
    EXPECT_EQ(root["paths"][route.pattern][method].get(op), simdjson::SUCCESS)
        << route.method << " " << route.pattern << " is missing from the OpenAPI document";
  }
}

TEST_F(ServerTest, CollectorGivesMeasurementsTheirCitizenLabCategory) {
  TearDown();
  auto index = measure::CategoryIndex::LoadDir(std::string(VIGIL_SOURCE_DIR) + "/data/test-lists");
  ASSERT_TRUE(index) << index.error().ToString();
  ServerOptions options;
  options.categories = std::make_shared<const measure::CategoryIndex>(std::move(*index));
  Start(options);
  const std::string token = TokenFor("probe1", "probe");
  const std::string report = OpenReport(token);
  for (const auto& m : SampleLines()) {
    ASSERT_EQ(Http(port_, "POST", "/report/" + report, Submission(m), {"Authorization: Bearer " + token}).status, 200);
  }
  auto agg = Http(port_, "GET", "/api/v1/aggregation?axis_x=category_code&format=CSV");
  ASSERT_EQ(agg.status, 200) << agg.body;
  // Sample inputs found in the shipped global list (e.g. hosting services) carry its category.
  EXPECT_NE(agg.body.find("\r\nHOST,"), std::string::npos) << agg.body;
  EXPECT_NE(agg.body.find("\r\nNEWS,"), std::string::npos) << agg.body;
  auto list = Http(port_, "GET", "/api/v1/measurements?limit=100");
  EXPECT_NE(list.body.find(R"("category_code":"HOST")"), std::string::npos);
  // OONI's category_code filter, on the list and on the aggregation (rollup or not).
  auto hosts = Http(port_, "GET", "/api/v1/measurements?category_code=HOST&limit=100");
  ASSERT_EQ(hosts.status, 200);
  EXPECT_NE(hosts.body.find(R"("count":9)"), std::string::npos) << hosts.body.substr(0, 300);
  auto hosts_agg = Http(port_, "GET", "/api/v1/aggregation?category_code=HOST");
  EXPECT_NE(hosts_agg.body.find(R"("measurement_count":9)"), std::string::npos) << hosts_agg.body;
  EXPECT_EQ(Http(port_, "GET", "/api/v1/measurements?category_code=news;drop").status, 400);
}

TEST_F(ServerTest, CollectorRoundTripWithRealMeasurements) {
  const std::string token = TokenFor("probe1", "probe");
  const auto samples = SampleLines();
  ASSERT_GT(samples.size(), 40u);
  const std::string report = OpenReport(token);
  ASSERT_FALSE(report.empty());
  EXPECT_TRUE(report.find("_webconnectivity_IT_30722_n1_") != std::string::npos) << report;

  std::map<std::string, std::string> by_uid;
  for (const auto& m : samples) {
    auto r = Http(port_, "POST", "/report/" + report, Submission(m), {"Authorization: Bearer " + token});
    ASSERT_EQ(r.status, 200) << r.body;
    std::string uid = Field(r.body, "measurement_uid");
    ASSERT_FALSE(uid.empty());
    by_uid[uid] = m;
    // Resubmitting stores nothing and answers the same uid.
    auto again = Http(port_, "POST", "/report/" + report, Submission(m), {"Authorization: Bearer " + token});
    ASSERT_EQ(again.status, 200);
    EXPECT_EQ(Field(again.body, "measurement_uid"), uid);
  }
  ASSERT_EQ(by_uid.size(), samples.size());
  EXPECT_EQ(Http(port_, "POST", "/report/" + report + "/close", "{}", {"Authorization: Bearer " + token}).status, 200);

  auto list = Http(port_, "GET", "/api/v1/measurements?limit=1000");
  ASSERT_EQ(list.status, 200);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(list.body).get(root), simdjson::SUCCESS);
  EXPECT_EQ(int64_t(root["metadata"]["count"]), int64_t(samples.size()));
  for (const char* key : {"current_page", "limit", "next_url", "offset", "pages", "query_time"}) {
    simdjson::dom::element e;
    EXPECT_EQ(root["metadata"][key].get(e), simdjson::SUCCESS) << key;
  }
  size_t listed = 0, unscored = 0;
  for (auto item : root["results"].get_array()) {
    ++listed;
    for (const char* key : {"anomaly", "confirmed", "failure", "input", "measurement_start_time",
                            "measurement_uid", "measurement_url", "probe_asn", "probe_cc",
                            "report_id", "scores", "test_name"}) {
      simdjson::dom::element e;
      EXPECT_EQ(item[key].get(e), simdjson::SUCCESS) << key;
    }
    // Vigil's verdict beside OONI's booleans: null for tests without a scoring rule.
    simdjson::dom::object vigil;
    ASSERT_EQ(item["vigil"].get_object().get(vigil), simdjson::SUCCESS);
    for (const char* key : {"anomaly", "confirmed", "failure", "blocking", "accessible", "fingerprint", "why"}) {
      simdjson::dom::element e;
      EXPECT_EQ(vigil[key].get(e), simdjson::SUCCESS) << key;
    }
    if (vigil["anomaly"].is_null()) {
      ++unscored;
      EXPECT_FALSE(bool(item["anomaly"])) << "OONI's field stays a boolean";
    }
    if (std::string_view(item["test_name"]) == "web_connectivity") {
      EXPECT_FALSE(std::string_view(vigil["why"]).empty());
    }
    std::string uid(item["measurement_uid"].get_string().value());
    ASSERT_TRUE(by_uid.contains(uid)) << uid;
    // Raw measurement back byte for byte.
    auto raw = Http(port_, "GET", "/api/v1/raw_measurement?measurement_uid=" + uid);
    ASSERT_EQ(raw.status, 200);
    EXPECT_EQ(raw.body, by_uid[uid]);
  }
  EXPECT_EQ(listed, samples.size());
  EXPECT_GE(unscored, 10u);  // dash, ndt, psiphon, ... have no scoring rule

  // Paging: OONI's next_url walks the rest.
  auto page = Http(port_, "GET", "/api/v1/measurements?limit=10&probe_cc=IT");
  ASSERT_EQ(page.status, 200);
  std::string next(parser.parse(page.body)["metadata"]["next_url"].get_string().value());
  EXPECT_NE(next.find("offset=10"), std::string::npos) << next;
  EXPECT_NE(next.find("probe_cc=IT"), std::string::npos) << next;

  auto agg = Http(port_, "GET", "/api/v1/aggregation?axis_x=test_name");
  ASSERT_EQ(agg.status, 200) << agg.body;
  simdjson::dom::element a;
  ASSERT_EQ(parser.parse(agg.body).get(a), simdjson::SUCCESS);
  EXPECT_EQ(int64_t(a["dimension_count"]), 1);
  EXPECT_EQ(int64_t(a["v"]), 0);
  int64_t total = 0;
  for (auto row : a["result"].get_array()) {
    int64_t n = row["measurement_count"];
    EXPECT_EQ(n, int64_t(row["anomaly_count"]) + int64_t(row["confirmed_count"]) +
                     int64_t(row["failure_count"]) + int64_t(row["ok_count"]));
    total += n;
  }
  EXPECT_EQ(total, int64_t(samples.size()));
  auto csv = Http(port_, "GET", "/api/v1/aggregation?axis_x=measurement_start_day&axis_y=probe_cc&format=CSV");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.headers["content-type"], "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.rfind("measurement_start_day,probe_cc,anomaly_count,", 0), 0u) << csv.body;
  auto it_count = Http(port_, "GET", "/api/v1/measurements?probe_cc=IT&limit=1");
  const int64_t in_it = int64_t(parser.parse(it_count.body)["metadata"]["count"]);
  auto none = Http(port_, "GET", "/api/v1/aggregation?probe_cc=IT");
  ASSERT_EQ(none.status, 200);
  EXPECT_EQ(int64_t(parser.parse(none.body)["dimension_count"]), 0);
  EXPECT_EQ(int64_t(parser.parse(none.body)["result"]["measurement_count"]), in_it);
}

TEST_F(ServerTest, ConcurrentSubmissionsShareCommitsAndEachIsStoredOnce) {
  TearDown();
  ServerOptions options;
  options.worker_threads = 16;
  Start(options);
  const std::string token = TokenFor("probe1", "probe");
  const std::string report = OpenReport(token);
  const auto samples = SampleLines();
  std::vector<std::thread> clients;
  std::mutex mu;
  std::map<std::string, int> uids;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      for (size_t i = static_cast<size_t>(c % 4); i < samples.size(); i += 4) {  // each sample twice
        auto r = Http(port_, "POST", "/report/" + report, Submission(samples[i]),
                      {"Authorization: Bearer " + token});
        std::lock_guard lock(mu);
        EXPECT_EQ(r.status, 200) << r.body;
        ++uids[Field(r.body, "measurement_uid")];
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(uids.size(), samples.size());
  for (const auto& [uid, n] : uids) EXPECT_EQ(n, 2) << uid;
  auto list = Http(port_, "GET", "/api/v1/measurements?limit=1");
  simdjson::dom::parser parser;
  EXPECT_EQ(int64_t(parser.parse(list.body)["metadata"]["count"]), int64_t(samples.size()));
}

TEST_F(ServerTest, FiltersSelectMeasurements) {
  const std::string token = TokenFor("probe1", "probe");
  const std::string report = OpenReport(token);
  for (const auto& m : SampleLines()) {
    ASSERT_EQ(Http(port_, "POST", "/report/" + report, Submission(m), {"Authorization: Bearer " + token}).status, 200);
  }
  simdjson::dom::parser parser;
  auto count = [&](const std::string& query) {
    auto r = Http(port_, "GET", "/api/v1/measurements?" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    return int64_t(parser.parse(r.body)["metadata"]["count"]);
  };
  const int64_t all = count("limit=1");
  const int64_t wc = count("test_name=web_connectivity&limit=1");
  EXPECT_GT(wc, 0);
  EXPECT_LT(wc, all);
  EXPECT_EQ(count("anomaly=true&limit=1") + count("anomaly=false&limit=1"), all);
  EXPECT_EQ(count("probe_cc=ZW"), 0);
  EXPECT_EQ(count("since=2100-01-01"), 0);
}

// The stored bytes are the "content" member as sent, however the envelope is laid out. A
// name spelled with escapes is not looked for (probes write it plainly).
TEST_F(ServerTest, CollectorKeepsTheContentBytesOfAnyEnvelope) {
  const std::string token = TokenFor("probe1", "probe");
  const std::vector<std::string> auth{"Authorization: Bearer " + token};
  const std::string report = OpenReport(token);
  const auto samples = SampleLines();
  ASSERT_GE(samples.size(), 3u);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\n \"content\" : " + samples[0] + " ,\n \"format\":\"json\"}\n", samples[0]},
      {R"({"extra":{"content":1},"format":"json","content":)" + samples[1] + "}", samples[1]},
      {"{\"format\":\"json\",\t\"content\":" + samples[2] + "  }", samples[2]},
  };
  for (const auto& [body, content] : cases) {
    auto r = Http(port_, "POST", "/report/" + report, body, auth);
    ASSERT_EQ(r.status, 200) << r.body;
    auto raw = Http(port_, "GET", "/api/v1/raw_measurement?measurement_uid=" + Field(r.body, "measurement_uid"));
    ASSERT_EQ(raw.status, 200);
    EXPECT_EQ(raw.body, content);
  }
  auto escaped = Http(port_, "POST", "/report/" + report, R"({"format":"json","con\u0074ent":)" + samples[0] + "}", auth);
  EXPECT_EQ(escaped.status, 400) << escaped.body;
  // Two members named "content" (however spelled): the measurement analysed and the bytes
  // stored could differ, so the body is refused.
  for (const std::string& twice : {R"({"format":"json","content":)" + samples[0] + R"(,"content":)" + samples[1] + "}",
                                   R"({"con\u0074ent":)" + samples[0] + R"(,"format":"json","content":)" + samples[1] +
                                       "}"}) {
    auto r = Http(port_, "POST", "/report/" + report, twice, auth);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("once"), std::string::npos) << r.body;
  }
}

TEST_F(ServerTest, CollectorValidation) {
  const std::string token = TokenFor("probe1", "probe");
  const std::vector<std::string> auth{"Authorization: Bearer " + token};
  EXPECT_EQ(Http(port_, "POST", "/report", "{not json", auth).status, 400);
  EXPECT_EQ(Http(port_, "POST", "/report", R"({"probe_cc":"IT"})", auth).status, 400);
  auto missing = Http(port_, "POST", "/report", R"({"probe_cc":"IT"})", auth);
  EXPECT_NE(missing.body.find("probe_asn"), std::string::npos) << missing.body;
  EXPECT_EQ(Http(port_, "POST", "/report", ReportRequest("web_connectivity", "Italy"), auth).status, 400);
  std::string yaml = ReportRequest();
  yaml.replace(yaml.find("\"json\""), 6, "\"yaml\"");
  EXPECT_EQ(Http(port_, "POST", "/report", yaml, auth).status, 400);

  const std::string report = OpenReport(token);
  const std::string m = SampleLines().front();
  EXPECT_EQ(Http(port_, "POST", "/report/" + report, "[]", auth).status, 400);
  EXPECT_EQ(Http(port_, "POST", "/report/" + report, R"({"format":"yaml","content":{}})", auth).status, 400);
  EXPECT_EQ(Http(port_, "POST", "/report/" + report, R"({"format":"json","content":"x"})", auth).status, 400);
  EXPECT_EQ(Http(port_, "POST", "/report/" + report, R"({"format":"json","content":{"test_name":"x"}})", auth).status, 400);
  EXPECT_EQ(Http(port_, "POST", "/report/" + report, Submission(m) + "garbage", auth).status, 400);
  // Unknown and forged report ids.
  EXPECT_EQ(Http(port_, "POST", "/report/nope", Submission(m), auth).status, 404);
  std::string forged = report;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(Http(port_, "POST", "/report/" + forged, Submission(m), auth).status, 404);
  EXPECT_EQ(Http(port_, "POST", "/report/" + forged + "/close", "{}", auth).status, 404);
  // Too large (the test server caps bodies at 4 MiB).
  std::string big = R"({"format":"json","content":{"pad":")" + std::string(5u << 20, 'x') + "\"}}";
  EXPECT_EQ(Http(port_, "POST", "/report/" + report, big, auth).status, 413);
  // Wrong methods and unknown routes.
  EXPECT_EQ(Http(port_, "GET", "/report").status, 405);
  EXPECT_EQ(Http(port_, "GET", "/api/v1/nothing").status, 404);
}

TEST_F(ServerTest, BadQueryParametersAreNamed) {
  for (auto [query, param] : std::initializer_list<std::pair<const char*, const char*>>{
           {"/api/v1/measurements?probe_cc=Italy", "probe_cc"},
           {"/api/v1/measurements?limit=abc", "limit"},
           {"/api/v1/measurements?since=last-week", "since"},
           {"/api/v1/aggregation?axis_x=colour", "axis_x"},
           {"/api/v1/aggregation?format=xml", "format"},
           {"/api/v1/raw_measurement", "measurement_uid"}}) {
    auto r = Http(port_, "GET", query);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_EQ(Field(r.body, "parameter"), param) << query << ": " << r.body;
  }
  EXPECT_EQ(Http(port_, "GET", "/api/v1/raw_measurement?measurement_uid=missing").status, 404);
}

// A token's stored state is read at most once per credential_ttl: a revocation made
// elsewhere (another process, another node) is refused from then on, and expiry is
// checked on every request.
TEST_F(ServerTest, ARevokedTokenIsRefusedWithinTheCredentialTtl) {
  const std::string token = TokenFor("admin1", "admin");
  const std::vector<std::string> auth{"Authorization: Bearer " + token};
  ASSERT_EQ(Http(port_, "GET", "/api/v1/me", "", auth).status, 200);
  ASSERT_TRUE(store_->RevokeToken(last_token_id_, std::chrono::floor<std::chrono::seconds>(clock_.WallNow())));
  EXPECT_EQ(Http(port_, "GET", "/api/v1/me", "", auth).status, 200) << "read less than a ttl ago";
  clock_.Advance(ServerOptions{}.credential_ttl);
  EXPECT_EQ(Http(port_, "GET", "/api/v1/me", "", auth).status, 401);
  EXPECT_EQ(Http(port_, "GET", "/api/v1/health", "", auth).status, 401);

  // An expiry is not delayed: the cached token expires on time.
  auto user = store_->GetUser("admin1");
  ASSERT_TRUE(user && *user);
  const auto now = std::chrono::floor<std::chrono::seconds>(clock_.WallNow());
  auto expiring = store_->CreateToken((*user)->id, TokenHash("expiring-token"), "admin", "", now,
                                      now + std::chrono::seconds(10));
  ASSERT_TRUE(expiring);
  const std::vector<std::string> auth2{"Authorization: Bearer expiring-token"};
  ASSERT_EQ(Http(port_, "GET", "/api/v1/me", "", auth2).status, 200);
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_EQ(Http(port_, "GET", "/api/v1/me", "", auth2).status, 401);
}

TEST_F(ServerTest, MetricsCountRequestsByRoute) {
  const std::string admin = TokenFor("root", "admin");
  Http(port_, "GET", "/api/v1/health");
  Http(port_, "GET", "/api/v1/measurements?probe_cc=bad!");
  auto m = Http(port_, "GET", "/metrics", "", {"Authorization: Bearer " + admin});
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find(R"(vigil_http_requests_total{route="/api/v1/health",method="GET",status="200"} 1)"),
            std::string::npos) << m.body;
  EXPECT_NE(m.body.find(R"(vigil_http_requests_total{route="/api/v1/measurements",method="GET",status="400"} 1)"),
            std::string::npos);
  EXPECT_NE(m.body.find("vigil_http_request_duration_seconds_bucket{route=\"/api/v1/health\",le=\"+Inf\"} 1"),
            std::string::npos);
  EXPECT_NE(m.body.find("vigil_store_measurements 0"), std::string::npos);
  EXPECT_NE(m.body.find("vigil_measurements_stored_total{outcome=\"inserted\"} 0"), std::string::npos);
  EXPECT_NE(m.body.find("vigil_collector_commits_total 0"), std::string::npos);
  EXPECT_NE(m.body.find("vigil_collector_flush_duration_seconds_count 0"), std::string::npos);

  // Submissions show in the group commit's counters: committed rows, and flushes (each
  // answered submission waited for one).
  const std::string token = TokenFor("probe1", "probe");
  const std::string report = OpenReport(token);
  const auto samples = SampleLines();
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(Http(port_, "POST", "/report/" + report, Submission(samples[i]), {"Authorization: Bearer " + token}).status,
              200);
  }
  m = Http(port_, "GET", "/metrics", "", {"Authorization: Bearer " + admin});
  EXPECT_NE(m.body.find("vigil_collector_committed_rows_total 3"), std::string::npos) << m.body;
  auto value = [&](std::string_view name) {
    auto at = m.body.find(std::string("\n") + std::string(name) + " ");
    return at == std::string::npos ? -1.0 : std::stod(m.body.substr(at + name.size() + 2));
  };
  EXPECT_GE(value("vigil_collector_commits_total"), 1);
  EXPECT_LE(value("vigil_collector_commits_total"), 3);
  EXPECT_GE(value("vigil_collector_flush_duration_seconds_count"), 1);
  EXPECT_GT(value("vigil_collector_flush_duration_seconds_sum"), 0);
}

// Every route x every kind of caller. The expected codes are written out here, not derived
// from roles.cc, so the test checks the contract.
TEST_F(ServerTest, AuthorizationMatrix) {
  const fs::path web = fs::temp_directory_path() / fmt::format("vigil-web-{}", ::getpid());
  fs::create_directories(web);
  std::ofstream(web / "index.html") << "<!doctype html>";
  TearDown();
  ServerOptions options;
  options.web_dir = web.string();
  Start(options);
  struct Cleanup {
    fs::path p;
    ~Cleanup() { fs::remove_all(p); }
  } cleanup{web};

  std::map<std::string, std::string> tokens{
      {"probe", TokenFor("p", "probe")},   {"member", TokenFor("m", "member")},
      {"editor", TokenFor("e", "editor")}, {"admin", TokenFor("a", "admin")},
  };
  tokens["revoked"] = TokenFor("r", "admin");
  ASSERT_TRUE(store_->RevokeToken(last_token_id_, std::chrono::floor<std::chrono::seconds>(clock_.WallNow())));
  tokens["wrong"] = NewApiToken();
  tokens["anonymous"] = "";
  const std::string report = OpenReport(tokens["admin"]);
  const std::string m = SampleLines().front();

  struct Case {
    std::string method, target, body;
    // anonymous, probe, member, editor, admin (revoked and wrong tokens: always 401)
    std::array<int, 5> expect;
  };
  const int kSubmit[5] = {401, 200, 403, 403, 200};
  const int kPublic[5] = {200, 200, 200, 200, 200};
  auto arr = [](const int (&a)[5]) { return std::array<int, 5>{a[0], a[1], a[2], a[3], a[4]}; };
  std::map<std::string, Case> cases{
      {"/report", {"POST", "/report", ReportRequest(), arr(kSubmit)}},
      {"/report/{report_id}", {"POST", "/report/" + report, Submission(m), arr(kSubmit)}},
      {"/report/{report_id}/close", {"POST", "/report/" + report + "/close", "{}", arr(kSubmit)}},
      {"/api/v1/measurements", {"GET", "/api/v1/measurements", "", arr(kPublic)}},
      {"/api/v1/raw_measurement", {"GET", "/api/v1/raw_measurement?measurement_uid=", "", arr(kPublic)}},
      {"/api/v1/aggregation", {"GET", "/api/v1/aggregation?axis_x=probe_cc", "", arr(kPublic)}},
      {"/api/v1/health", {"GET", "/api/v1/health", "", arr(kPublic)}},
      {"/api/openapi.json", {"GET", "/api/openapi.json", "", arr(kPublic)}},
      {"/metrics", {"GET", "/metrics", "", {401, 403, 403, 403, 200}}},
      {"/api/v1/me", {"GET", "/api/v1/me", "", {401, 200, 200, 200, 200}}},
      {"/api/v1/admin/users", {"GET", "/api/v1/admin/users", "", {401, 403, 403, 403, 200}}},
      {"/api/v1/signals", {"POST", "/api/v1/signals",
                           R"({"points":[{"entity_type":"asn","entity_code":"AS1","datasource":"x","time":1700000000,"value":1}]})",
                           {401, 200, 403, 200, 200}}},
      {"/api/v1/signals/{entity_type}/{entity_code}", {"GET", "/api/v1/signals/country/IT", "", arr(kPublic)}},
      {"/api/v1/events", {"GET", "/api/v1/events", "", arr(kPublic)}},
      {"/api/v1/watch/checkin", {"POST", "/api/v1/watch/checkin",
                                 R"({"probe_key":")" + std::string(64, 'a') + R"(","state":"online"})", arr(kSubmit)}},
      {"/api/v1/watch/journal", {"POST", "/api/v1/watch/journal",
                                 R"({"probe_key":")" + std::string(64, 'a') + R"(","entries":[]})", arr(kSubmit)}},
      {"/{path}", {"GET", "/incidents/42", "", arr(kPublic)}},
  };
  // The raw_measurement case needs a stored uid.
  auto stored = Http(port_, "POST", "/report/" + report, Submission(m), {"Authorization: Bearer " + tokens["admin"]});
  cases["/api/v1/raw_measurement"].target += Field(stored.body, "measurement_uid");

  ASSERT_EQ(cases.size(), Server::Routes().size());
  const std::vector<std::string> callers{"anonymous", "probe", "member", "editor", "admin", "revoked", "wrong"};
  for (const auto& route : Server::Routes()) {
    auto it = cases.find(std::string(route.pattern));
    ASSERT_NE(it, cases.end()) << "no authorization case for " << route.pattern;
    const Case& c = it->second;
    for (size_t i = 0; i < callers.size(); ++i) {
      std::vector<std::string> headers;
      if (!tokens[callers[i]].empty()) headers.push_back("Authorization: Bearer " + tokens[callers[i]]);
      const int want = i < 5 ? c.expect[i] : 401;
      auto r = Http(port_, c.method, c.target, c.body, headers);
      EXPECT_EQ(r.status, want) << c.method << " " << route.pattern << " as " << callers[i] << ": " << r.body;
      if (want == 401) {
        EXPECT_FALSE(r.headers["www-authenticate"].empty());
      }
    }
  }
  // Basic auth with the token as password (a probe's collector URL http://probe:TOKEN@host).
  auto basic = Http(port_, "GET", "/api/v1/me", "", {"Authorization: Basic " + Base64Encode("probe:" + tokens["probe"])});
  EXPECT_EQ(basic.status, 200);
  EXPECT_EQ(Field(basic.body, "role"), "probe");
  EXPECT_EQ(Http(port_, "GET", "/api/v1/me", "", {"Authorization: Token abc"}).status, 401);
}

TEST_F(ServerTest, OpenCollectorAcceptsAnonymousWithARateLimit) {
  TearDown();
  ServerOptions options;
  options.open_collector = true;
  options.open_collector_rate = RateLimit{0.001, 3, 100};  // the FakeClock does not move
  Start(options);
  auto first = Http(port_, "POST", "/report", ReportRequest());
  ASSERT_EQ(first.status, 200);
  const std::string report = Field(first.body, "report_id");
  const std::string m = SampleLines().front();
  EXPECT_EQ(Http(port_, "POST", "/report/" + report, Submission(m)).status, 200);
  EXPECT_EQ(Http(port_, "POST", "/report/" + report + "/close", "{}").status, 200);
  auto limited = Http(port_, "POST", "/report/" + report, Submission(m));
  EXPECT_EQ(limited.status, 429);
  EXPECT_FALSE(limited.headers["retry-after"].empty());
  // A probe token is not rate-limited; a wrong token is still refused.
  const std::string token = TokenFor("p", "probe");
  EXPECT_EQ(Http(port_, "POST", "/report/" + report, Submission(m), {"Authorization: Bearer " + token}).status, 200);
  EXPECT_EQ(Http(port_, "POST", "/report/" + report, Submission(m), {"Authorization: Bearer x" + token}).status, 401);
  clock_.Advance(std::chrono::seconds(2000));
  EXPECT_EQ(Http(port_, "POST", "/report/" + report, Submission(m)).status, 200);
}

TEST(CredentialsTest, Argon2idAndTokens) {
  auto h = HashPassword("correct horse");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(VerifyPassword(*h, "correct horse"));
  EXPECT_FALSE(VerifyPassword(*h, "wrong"));
  EXPECT_FALSE(HashPassword(""));
  std::string a = NewApiToken(), b = NewApiToken();
  EXPECT_EQ(a.size(), 43u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(TokenHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(RolesTest, EveryRoleParses) {
  for (Role r : AccountRoles()) EXPECT_EQ(ParseRole(RoleName(r)), r);
  EXPECT_FALSE(ParseRole("anonymous"));
  EXPECT_FALSE(ParseRole("root"));
  EXPECT_TRUE(MayHoldToken(Role::kAdmin, Role::kProbe));
  EXPECT_FALSE(MayHoldToken(Role::kMember, Role::kAdmin));
}

}  // namespace
}  // namespace vigil::server
