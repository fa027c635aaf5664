#include "watch/watch.h"

#include <unistd.h>

#include <filesystem>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "core/json_read.h"
#include "net/address.h"

namespace vigil::watch {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

enum class Mode { kOnline, kCut, kTelegramBlocked, kSlow };

// A Network whose answers follow a script of modes, one per round. A round begins with the
// gateway's connect (the first check a round starts).
class ScriptedNetwork final : public net::Network {
 public:
  explicit ScriptedNetwork(std::vector<Mode> script) : script_(std::move(script)) {}
  int tls_calls = 0;
  int downloads = 0;

  asio::awaitable<net::DnsQueryResult> LookupSystem(std::string hostname,
                                                    net::Timeline) override {
    net::DnsQueryResult r;
    r.hostname = hostname;
    r.failure = "dns_no_answer";
    co_return r;
  }
  asio::awaitable<Result<std::vector<net::DnsQueryResult>>> LookupUdp(
      std::string hostname, net::DnsQueryType, asio::ip::udp::endpoint resolver,
      net::Timeline) override {
    net::DnsQueryResult r;
    r.hostname = hostname;
    if (mode() == Mode::kCut) {
      r.failure = "generic_timeout_error";  // the ISP's resolver cannot reach upstream either
    } else {
      r.answers.push_back({"A", "93.184.215.14", "", "", 60});
    }
    (void)resolver;
    co_return std::vector<net::DnsQueryResult>{r};
  }
  asio::awaitable<net::TcpConnectResult> TcpConnect(asio::ip::tcp::endpoint endpoint,
                                                    net::Timeline) override {
    net::TcpConnectResult r;
    const std::string ep = net::FormatEndpoint(endpoint);
    if (ep == "192.168.1.1:53") {
      ++round_;
      r.success = true;
      co_return r;
    }
    if (mode() == Mode::kCut || (mode() == Mode::kTelegramBlocked && ep == "149.154.167.51:443")) {
      r.failure = mode() == Mode::kCut ? "generic_timeout_error" : "connection_reset";
    } else {
      r.success = true;
    }
    co_return r;
  }
  asio::awaitable<net::TlsProbe> TlsHandshake(asio::ip::tcp::endpoint endpoint,
                                              net::TlsOptions, net::Timeline t) override {
    ++tls_calls;
    net::TlsProbe p;
    p.tcp_connect = co_await TcpConnect(endpoint, t);
    if (p.tcp_connect.success) p.tls_handshake.emplace();
    co_return p;
  }
  asio::awaitable<net::HttpResult> HttpGet(std::string url, net::HttpOptions,
                                           net::Timeline) override {
    ++downloads;
    net::HttpResult r;
    net::HttpTransaction t;
    t.request.url = url;
    if (mode() == Mode::kCut) {
      t.failure = r.failure = "generic_timeout_error";
    } else {
      t.response.code = 200;
      t.response.body.assign(32 * 1024, 'x');
      t.body_bytes_per_second = mode() == Mode::kSlow ? 50'000.0 : 1'000'000.0;
    }
    r.requests.push_back(t);
    co_return r;
  }

 private:
  Mode mode() const {
    const std::size_t i = static_cast<std::size_t>(std::max(round_, 1) - 1);
    return i < script_.size() ? script_[i] : Mode::kOnline;
  }
  std::vector<Mode> script_;
  int round_ = 0;
};

Anchors TestAnchors();

// Every check every round, a summary only at the end.
WatchOptions TestOptions(int64_t rounds) {
  WatchOptions o;
  o.anchors = TestAnchors();
  o.interval = 10s;
  o.summary_every = 24h;
  o.tls_every = 1;
  o.download_every = 1;
  o.rounds = rounds;
  return o;
}

Anchors TestAnchors() {
  Anchors a;
  a.gateway = "192.168.1.1:53";
  a.system_resolver = "192.168.1.1:53";
  a.public_resolver = "192.0.2.53:53";
  a.dns_names = {"www.example.org"};
  Target site;
  site.host = "www.example.org";
  site.address = "93.184.215.14:443";
  a.sites = {site};
  Target telegram;
  telegram.host = "web.telegram.org";
  telegram.address = "149.154.167.51:443";
  a.platforms["telegram"] = {telegram};
  a.download_url = "https://download.example.org/32k";
  return a;
}

class WatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vigil-watcher-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto j = Journal::Open((dir_ / "watch.sqlite").string(), ProbeKey::Generate());
    ASSERT_TRUE(j) << j.error().ToString();
    journal_ = std::move(*j);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs the watcher to completion while a helper coroutine moves the fake clock forward
  // (one second per real millisecond), so that its sleeps end.
  void Run(Watcher& watcher) {
    asio::io_context io;
    std::atomic<bool> stop{false};
    bool done = false;
    asio::co_spawn(io, watcher.Run(stop), [&](std::exception_ptr e, Result<void> r) {
      ASSERT_FALSE(e);
      ASSERT_TRUE(r) << r.error().ToString();
      done = true;
    });
    asio::co_spawn(
        io,
        [](FakeClock& clock, bool& finished) -> asio::awaitable<void> {
          while (!finished) {
            asio::steady_timer t(co_await asio::this_coro::executor, 1ms);
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            clock.Advance(1s);
          }
        }(clock_, done),
        asio::detached);
    io.run_for(30s);
    ASSERT_TRUE(done);
  }

  // The value of an integer field of the last entry's details (the final summary).
  int64_t FinalSummary(std::string_view field) {
    simdjson::dom::parser parser;
    auto summary = *json::AsObject(parser.parse(std::get<2>(Entries().back())).value());
    auto e = json::Field(summary, field);
    return e ? json::AsInt(*e).value_or(-1) : -1;
  }

  // (kind, state, details) of every entry.
  std::vector<std::tuple<std::string, std::string, std::string>> Entries() {
    std::vector<std::tuple<std::string, std::string, std::string>> out;
    auto records = journal_->ReadAll();
    EXPECT_TRUE(VerifyJournal(*records).ok);
    for (const auto& r : *records) {
      auto f = ParseEntry(r.entry);
      out.emplace_back(f->kind, f->state, f->details);
    }
    return out;
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<Journal> journal_;
};

TEST_F(WatcherTest, JournalsEachChangeOfStateWithItsDetails) {
  ScriptedNetwork network({Mode::kOnline, Mode::kOnline, Mode::kOnline, Mode::kOnline,
                           Mode::kCut, Mode::kCut, Mode::kOnline, Mode::kTelegramBlocked,
                           Mode::kTelegramBlocked, Mode::kSlow, Mode::kOnline});
  WatchOptions options = TestOptions(11);
  std::vector<std::string> said;
  WatchCallbacks callbacks;
  callbacks.state_changed = [&](const std::string& s) { said.push_back(s); };
  Watcher watcher(options, network, *journal_, clock_, nullptr, {}, callbacks);
  Run(watcher);
  using E = std::tuple<std::string, std::string, std::string>;
  auto entries = Entries();
  ASSERT_EQ(entries.size(), 7u);
  EXPECT_EQ(entries[0], (E{"start", "online", "{}"}));
  EXPECT_EQ(entries[1], (E{"state", "offline", R"({"reason":"upstream"})"}));
  EXPECT_EQ(entries[2], (E{"state", "online", R"({"throughput_percent_of_baseline":100})"}));
  EXPECT_EQ(entries[3], (E{"state", "platform-blocked",
                           R"({"platforms":["telegram"],"throughput_percent_of_baseline":100})"}));
  EXPECT_EQ(entries[4], (E{"state", "throttled", R"({"throughput_percent_of_baseline":5})"}));
  EXPECT_EQ(std::get<0>(entries[5]), "state");
  EXPECT_EQ(std::get<1>(entries[5]), "online");
  EXPECT_EQ(std::get<0>(entries[6]), "summary");  // the final one
  EXPECT_EQ(said.size(), 6u);
  EXPECT_EQ(said[1], "offline: upstream cut (the local link answers, nothing beyond it does)");
  // The summary counts every round and the time spent in each state.
  simdjson::dom::parser parser;
  auto summary = *json::AsObject(parser.parse(std::get<2>(entries[6])).value());
  EXPECT_EQ(json::AsInt(*json::Field(summary, "rounds")), 11);
  auto state_ms = *json::AsObject(*json::Field(summary, "state_ms"));
  EXPECT_TRUE(json::Field(state_ms, "offline"));
  EXPECT_TRUE(json::Field(state_ms, "throttled"));
}

TEST_F(WatcherTest, DataBudgetSkipsDownloadsThenTlsAndSlowsRounds) {
  ScriptedNetwork network({});
  WatchOptions options = TestOptions(6);
  options.budget_bytes = 60'000;  // the first round's download spends half of it
  Watcher watcher(options, network, *journal_, clock_, nullptr, {});
  Run(watcher);
  EXPECT_EQ(network.downloads, 1);
  EXPECT_LT(network.tls_calls, 6 * 2);
  EXPECT_EQ(FinalSummary("skipped_downloads"), 5);
  EXPECT_GT(FinalSummary("skipped_tls_rounds"), 0);
  EXPECT_GT(FinalSummary("bytes"), 32 * 1024);
  EXPECT_EQ(FinalSummary("reduced_rounds"), 0);
}

TEST_F(WatcherTest, SpentBudgetSlowsRoundsTenfold) {
  ScriptedNetwork network({});
  WatchOptions options = TestOptions(3);
  options.budget_bytes = 1;
  Watcher watcher(options, network, *journal_, clock_, nullptr, {});
  const auto start = clock_.MonoNow();
  Run(watcher);
  EXPECT_EQ(FinalSummary("reduced_rounds"), 2);
  EXPECT_GE(clock_.MonoNow() - start, 110s);  // 10 s, then 10 × 10 s once the budget is spent
}

}  // namespace
}  // namespace vigil::watch
