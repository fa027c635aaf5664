// The disruption side of `vigil serve`: posting and reading signals (IODA's shape), the
// watch protocol (check-ins, signed journal uploads: verified, chained, idempotent), and
// the monitor (events found from stored signals, reconciled run after run, webhooks sent
// once and retried). Requests go through Server::HandleBlocking, so routing and
// authorization are the real ones; the store is a temporary SQLite file.
#include <sodium.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include "core/time_format.h"
#include "server/credentials.h"
#include "server/monitor.h"
#include "server/server.h"
#include "store/open.h"
#include "tests/support/api_token.h"
#include "watch/journal_verify.h"

namespace vigil::server {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const WallTime kStart = std::chrono::sys_days(std::chrono::year(2026) / 3 / 2);  // a Monday

// A probe's key pair and journal writer, as `vigil probe watch` signs entries.
class Signer {
 public:
  Signer() {
    EXPECT_GE(sodium_init(), 0);
    crypto_sign_keypair(pk_, sk_);
    key_ = watch::ToHex(pk_, sizeof pk_);
  }
  const std::string& key() const { return key_; }

  // The next entry of the chain, as the upload's JSON object.
  std::string Next(WallTime t, std::string_view state, std::string_view kind = "state") {
    std::string text = fmt::format(
        R"({{"v":1,"probe_key":"{}","seq":{},"time":"{}","kind":"{}","state":"{}","details":{{}},"prev_hash":"{}"}})",
        key_, seq_, FormatIsoTime(t), kind, state, prev_);
    std::string hash = watch::Sha256Hex(text);
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(text.data()), text.size(), sk_);
    prev_ = hash;
    ++seq_;
    std::string escaped;
    for (char c : text) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    return fmt::format(R"({{"entry":"{}","hash":"{}","signature":"{}"}})", escaped, hash,
                       watch::ToHex(sig, sizeof sig));
  }

 private:
  unsigned char pk_[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk_[crypto_sign_SECRETKEYBYTES];
  std::string key_;
  int64_t seq_ = 0;
  std::string prev_ = std::string(watch::kZeroHash);
};

class DisruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("vigil-disruption-test-{}-{}", ::getpid(), counter_++);
    fs::create_directories(dir_);
    store::OpenOptions open;
    open.data_dir = dir_.string();
    auto st = store::OpenStore(open);
    ASSERT_TRUE(st) << st.error().ToString();
    store_ = std::move(*st);
    ServerOptions options;
    options.report_key = "test-report-key-0123456789";
    options.worker_threads = 1;
    auto s = Server::Create(*store_, clock_, nullptr, options);
    ASSERT_TRUE(s) << s.error().ToString();
    server_ = std::move(*s);
    probe_token_ = TokenFor("probe", "probe");
    editor_token_ = TokenFor("editor", "editor");
  }
  void TearDown() override {
    server_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  std::string TokenFor(std::string_view name, std::string_view role) {
    return test_support::CreateUserWithToken(*store_, std::chrono::floor<seconds>(clock_.WallNow()), name, role);
  }

  net::HttpServerResponse Call(std::string method, std::string target, std::string body = {},
                               const std::string& token = {}) {
    net::HttpServerRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.remote = "127.0.0.1:1";
    if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
    return server_->HandleBlocking(r);
  }

  std::string Upload(const std::string& key, const std::vector<std::string>& entries) {
    std::string body = fmt::format(R"({{"probe_key":"{}","entries":[)", key);
    for (size_t i = 0; i < entries.size(); ++i) body += (i ? "," : "") + entries[i];
    return body + "]}";
  }

  std::string Checkin(const std::string& key, std::string_view state, std::string_view region = "CM-NW") {
    return fmt::format(R"({{"probe_key":"{}","time":"{}","state":"{}","cc":"CM","asn":"AS30987","region":"{}"}})",
                       key, FormatIsoTime(clock_.WallNow()), state, region);
  }

  static inline int counter_ = 0;
  FakeClock clock_{kStart};
  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Server> server_;
  std::string probe_token_, editor_token_;
};

simdjson::dom::element Parse(simdjson::dom::parser& p, const std::string& body) { return p.parse(body).value(); }

TEST_F(DisruptionTest, SignalsArePostedAndServedInIodasShape) {
  std::string body = R"({"points":[)";
  for (int i = 0; i < 6; ++i) {
    const auto t = std::chrono::floor<seconds>(kStart) + minutes(5 * i);
    body += fmt::format(R"({}{{"entity_type":"asn","entity_code":"AS30987","datasource":"active-probing","time":{},"step":300,"value":{}}})",
                        i ? "," : "", t.time_since_epoch().count(), 10 + i);
  }
  body += "]}";
  EXPECT_EQ(Call("POST", "/api/v1/signals", body).status, 401);
  EXPECT_EQ(Call("POST", "/api/v1/signals", body, TokenFor("member", "member")).status, 403);
  auto r = Call("POST", "/api/v1/signals", body, editor_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto from = std::chrono::floor<seconds>(kStart).time_since_epoch().count();
  r = Call("GET", fmt::format("/api/v1/signals/asn/AS30987?from={}&until={}&source=active-probing&step=600", from,
                              from + 3600));
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser p;
  auto doc = Parse(p, r.body);
  auto series = doc["data"].at(0).at(0);
  EXPECT_EQ(std::string_view(series["entityType"]), "asn");
  EXPECT_EQ(std::string_view(series["entityCode"]), "AS30987");
  EXPECT_EQ(std::string_view(series["datasource"]), "active-probing");
  EXPECT_EQ(int64_t(series["step"]), 600);
  EXPECT_EQ(int64_t(series["nativeStep"]), 300);
  auto values = simdjson::dom::array(series["values"]);
  ASSERT_EQ(values.size(), 6u);
  EXPECT_DOUBLE_EQ(double(values.at(0)), 10.5);  // mean of the two 5-minute points
  EXPECT_DOUBLE_EQ(double(values.at(2)), 14.5);
  EXPECT_TRUE(values.at(3).is_null());  // no data

  // Bad input: a clear 400 naming what is wrong, and nothing stored.
  r = Call("POST", "/api/v1/signals", R"({"points":[{"entity_type":"planet","entity_code":"X","datasource":"d","time":1,"value":1}]})",
           editor_token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("points[0]"), std::string::npos) << r.body;
  r = Call("POST", "/api/v1/signals", R"({"points":[{"entity_type":"asn","entity_code":"AS1","datasource":"watch-online","time":1,"value":1}]})",
           editor_token_);
  EXPECT_EQ(r.status, 400) << "derived datasources cannot be posted";
  EXPECT_EQ(Call("POST", "/api/v1/signals", "{not json", editor_token_).status, 400);
  // A point without its value (found by the disruption_api fuzz target: reading the missing
  // element aborted debug builds, and was undefined in release ones).
  r = Call("POST", "/api/v1/signals",
           R"({"points":[{"entity_type":"asn","entity_code":"AS1","datasource":"d","time":1,"va[lue":42}]})",
           editor_token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("points[0]: value is required"), std::string::npos) << r.body;
  r = Call("POST", "/api/v1/signals",
           R"({"points":[{"entity_type":"asn","entity_code":"AS1","datasource":"d","time":1,"value":"42"}]})",
           editor_token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("value must be a number"), std::string::npos) << r.body;
  // Without `until`, a point stamped this very second is included (regression: a prober's
  // last round, posted and read back within one second, was left out).
  const auto now_s = std::chrono::floor<seconds>(clock_.WallNow()).time_since_epoch().count();
  r = Call("POST", "/api/v1/signals",
           fmt::format(R"({{"points":[{{"entity_type":"asn","entity_code":"AS7","datasource":"active-probing","time":{},"step":2,"value":5}}]}})",
                       now_s),
           editor_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("GET", fmt::format("/api/v1/signals/asn/AS7?source=active-probing&step=2&from={}", now_s - 10));
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("5"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("values":[)"), std::string::npos);
  {
    simdjson::dom::parser p2;
    auto vals = simdjson::dom::array(Parse(p2, r.body)["data"].at(0).at(0)["values"]);
    double last = -1;
    for (auto v : vals) {
      if (!v.is_null()) last = double(v);
    }
    EXPECT_DOUBLE_EQ(last, 5.0);
  }
  r = Call("GET", "/api/v1/signals/planet/X");
  EXPECT_EQ(r.status, 400);
  r = Call("GET", "/api/v1/signals/asn/AS30987?from=yesterday");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"parameter\":\"from\""), std::string::npos) << r.body;
}

TEST_F(DisruptionTest, WatchJournalIsVerifiedChainedAndIdempotent) {
  Signer probe;
  auto r = Call("POST", "/api/v1/watch/checkin", Checkin(probe.key(), "online"), probe_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"last_seq":-1})");
  EXPECT_EQ(Call("POST", "/api/v1/watch/checkin", Checkin(probe.key(), "online")).status, 401);
  EXPECT_EQ(Call("POST", "/api/v1/watch/checkin", Checkin(probe.key(), "online"), editor_token_).status, 403);

  const WallTime t0 = clock_.WallNow();
  std::vector<std::string> entries{probe.Next(t0, "online", "start"), probe.Next(t0 + minutes(10), "offline"),
                                   probe.Next(t0 + minutes(70), "online")};
  r = Call("POST", "/api/v1/watch/journal", Upload(probe.key(), {entries[0], entries[1]}), probe_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"accepted":2,"duplicates":0,"last_seq":1})");
  // Re-sending after a lost answer: duplicates, then the new one.
  r = Call("POST", "/api/v1/watch/journal", Upload(probe.key(), entries), probe_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"accepted":1,"duplicates":2,"last_seq":2})");
  clock_.Advance(minutes(75));
  r = Call("POST", "/api/v1/watch/checkin", Checkin(probe.key(), "online"), probe_token_);
  EXPECT_EQ(r.body, R"({"last_seq":2})");

  // A gap, a tampered entry and another probe's entry are refused, naming the problem.
  std::string skipped = probe.Next(t0 + minutes(80), "online", "summary");
  std::string after_gap = probe.Next(t0 + minutes(90), "throttled");
  r = Call("POST", "/api/v1/watch/journal", Upload(probe.key(), {after_gap}), probe_token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("gap"), std::string::npos) << r.body;
  std::string tampered = skipped;
  tampered.replace(tampered.find("summary"), 7, "state\\\"");
  r = Call("POST", "/api/v1/watch/journal", Upload(probe.key(), {tampered}), probe_token_);
  EXPECT_EQ(r.status, 400) << r.body;
  Signer other;
  r = Call("POST", "/api/v1/watch/journal", Upload(probe.key(), {other.Next(t0, "online", "start")}), probe_token_);
  EXPECT_EQ(r.status, 400) << r.body;
  r = Call("POST", "/api/v1/watch/journal", Upload(probe.key(), {skipped, after_gap}), probe_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto stored = store_->ListWatchEntries({probe.key(), std::chrono::floor<seconds>(t0) - hours(1),
                                          std::chrono::floor<seconds>(t0) + hours(3), 100});
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 5u);
  EXPECT_EQ((*stored)[1].state, "offline");

  // The journal makes the outage visible: share of the region's probes online per bin.
  const auto from = std::chrono::floor<seconds>(t0);
  r = Call("GET", fmt::format("/api/v1/signals/region/CM-NW?source=watch-online&from={}&until={}&step=600",
                              from.time_since_epoch().count(), (from + hours(2)).time_since_epoch().count()));
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser p;
  auto values = simdjson::dom::array(Parse(p, r.body)["data"].at(0).at(0)["values"]);
  ASSERT_EQ(values.size(), 12u);
  EXPECT_DOUBLE_EQ(double(values.at(0)), 1.0);  // online
  EXPECT_DOUBLE_EQ(double(values.at(3)), 0.0);  // offline from +10 min to +70 min
  EXPECT_DOUBLE_EQ(double(values.at(7)), 1.0);  // back
}

// Hourly points for `weeks` of normal diurnal traffic, then `outage` hours at `keep`.
std::vector<store::SignalPoint> Bgp(WallTime start, int weeks, int outage, double keep, int after) {
  std::vector<store::SignalPoint> out;
  const int n = weeks * 7 * 24 + outage + after;
  for (int i = 0; i < n; ++i) {
    double v = 1000 * (1 + 0.2 * std::sin(2 * M_PI * (i % 24) / 24.0)) + (i * 7919) % 7;
    if (i >= weeks * 7 * 24 && i < weeks * 7 * 24 + outage) v *= keep;
    out.push_back({"country", "CM", "bgp", std::chrono::floor<seconds>(start) + hours(i), 3600, v});
  }
  return out;
}

TEST_F(DisruptionTest, MonitorFindsAnOutageOnceAndSendsEachWebhookOnce) {
  std::vector<std::tuple<std::string, std::string, std::vector<std::string>>> sent;
  int failures_left = 1;  // the receiver fails the first delivery: it is retried
  MonitorOptions o;
  o.step = hours(1);
  o.webhooks = {"http://127.0.0.1:9/hook"};
  DisruptionMonitor monitor(*store_, clock_, o,
                            [&](const std::string& url, const std::string& body,
                                const std::vector<std::string>& headers) -> Result<int> {
                              if (failures_left-- > 0) return 503;
                              sent.emplace_back(url, body, headers);
                              return 200;
                            });
  // Five weeks of normal data, then the network goes dark for 30 hours and is still dark.
  auto points = Bgp(kStart, 5, 30, 0.01, 0);
  ASSERT_TRUE(store_->PutSignals(points));
  clock_.Advance(hours(5 * 7 * 24 + 30));
  auto stats = monitor.DetectOnce();
  ASSERT_TRUE(stats) << stats.error().ToString();
  EXPECT_EQ(stats->started, 1);
  EXPECT_EQ(stats->ended, 0);
  store::EventFilter all;
  auto events = store_->ListEvents(all);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().kind, "full");
  EXPECT_FALSE(events->front().end.has_value());
  // Running again changes nothing and queues nothing new.
  stats = monitor.DetectOnce();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->started, 0);
  EXPECT_EQ(stats->updated, 0);

  auto d = monitor.DeliverDue();
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, 0);  // the 503
  EXPECT_TRUE(sent.empty());
  clock_.Advance(seconds(31));
  d = monitor.DeliverDue();
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, 1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_NE(std::get<1>(sent[0]).find(R"("type":"vigil.event.start")"), std::string::npos);
  EXPECT_NE(std::get<1>(sent[0]).find(R"("kind":"full")"), std::string::npos);
  EXPECT_EQ(std::get<2>(sent[0]).size(), 2u);  // X-Vigil-Delivery, X-Vigil-Event

  // The network comes back: the same event ends, and "end" is sent once.
  auto back = Bgp(kStart, 5, 30, 0.01, 48);
  ASSERT_TRUE(store_->PutSignals(back));
  clock_.Advance(hours(48));
  stats = monitor.DetectOnce();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->started, 0);
  EXPECT_EQ(stats->ended, 1);
  events = store_->ListEvents(all);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  ASSERT_TRUE(events->front().end.has_value());
  const double hours_long =
      std::chrono::duration<double, std::ratio<3600>>(*events->front().end - events->front().start).count();
  EXPECT_NEAR(hours_long, 30, 2);
  ASSERT_TRUE(monitor.DetectOnce());
  ASSERT_TRUE(monitor.DeliverDue());
  ASSERT_TRUE(monitor.DeliverDue());
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_NE(std::get<1>(sent[1]).find(R"("type":"vigil.event.end")"), std::string::npos);

  // The events API shows it.
  auto r = Call("GET", "/api/v1/events?entity_type=country&entity_code=CM");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("kind":"full")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("ongoing":false)"), std::string::npos);
  EXPECT_NE(r.body.find(R"("datasources":["bgp"])"), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/events?kind=meteor").status, 400);
}

}  // namespace
}  // namespace vigil::server
