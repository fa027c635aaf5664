#include "watch/upload.h"

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/json_read.h"
#include "net/http_server.h"
#include "watch/journal_verify.h"

namespace vigil::watch {
namespace {

namespace asio = boost::asio;
using ::testing::HasSubstr;

template <typename T>
T RunTask(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> out;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);
    out.emplace(std::move(value));
    io.stop();
  });
  io.restart();
  io.run_for(std::chrono::seconds(60));
  if (!out) throw std::runtime_error("task did not finish within 60 s");
  return std::move(*out);
}

// A stand-in for the server's two watch endpoints, checking what a real server checks:
// the token, then each entry with VerifyNext against what it holds.
class FakeWatchServer {
 public:
  explicit FakeWatchServer(asio::io_context& io) {
    auto s = net::HttpServer::Create(
        io.get_executor(), "127.0.0.1:0",
        [this](const net::HttpServerRequest& r) -> asio::awaitable<net::HttpServerResponse> {
          co_return Handle(r);
        });
    EXPECT_TRUE(s);
    server_ = std::move(*s);
    server_->Start();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  int fail_next = 0;          // answer this many requests with 503
  int reject_journal = 0;     // answer this many journal uploads with 400
  std::vector<std::string> paths;
  std::vector<std::size_t> batch_sizes;
  std::vector<JournalRecord> held;
  std::string last_checkin;

  asio::awaitable<void> Stop() { co_await server_->Stop(); }

 private:
  net::HttpServerResponse Handle(const net::HttpServerRequest& r) {
    paths.push_back(std::string(r.Path()));
    if (fail_next > 0) {
      --fail_next;
      return net::JsonError(503, "busy");
    }
    auto auth = r.Header("Authorization");
    if (!auth || *auth != "Bearer secret-token") return net::JsonError(401, "bad token");
    simdjson::dom::parser parser;
    json::Element root;
    if (parser.parse(r.body).get(root) != simdjson::SUCCESS) return net::JsonError(400, "json");
    auto obj = *json::AsObject(root);
    const int64_t last = static_cast<int64_t>(held.size()) - 1;
    if (r.Path() == "/api/v1/watch/checkin") {
      last_checkin = r.body;
      return {200, "application/json", {}, "{\"last_seq\":" + std::to_string(last) + "}"};
    }
    if (r.Path() != "/api/v1/watch/journal") return net::JsonError(404, "no route");
    if (reject_journal > 0) {
      --reject_journal;
      return net::JsonError(400, "seq 3: bad_signature");
    }
    const std::string key(*json::StringField(obj, "probe_key"));
    auto entries = *json::AsArray(*json::Field(obj, "entries"));
    int64_t accepted = 0, duplicates = 0;
    std::size_t n = 0;
    for (auto e : entries) {
      ++n;
      auto eo = *json::AsObject(e);
      JournalRecord rec{std::string(*json::StringField(eo, "entry")),
                        std::string(*json::StringField(eo, "hash")),
                        std::string(*json::StringField(eo, "signature"))};
      auto f = ParseEntry(rec.entry);
      if (!f) return net::JsonError(400, f.error().ToString());
      if (f->seq < static_cast<int64_t>(held.size())) {
        ++duplicates;
        continue;
      }
      ChainTip tip{static_cast<int64_t>(held.size()) - 1,
                   held.empty() ? std::string(kZeroHash) : held.back().hash};
      auto ok = VerifyNext(rec, key, tip);
      if (!ok) return net::JsonError(400, ok.error().ToString());
      held.push_back(rec);
      ++accepted;
    }
    batch_sizes.push_back(n);
    return {200, "application/json", {},
            "{\"accepted\":" + std::to_string(accepted) + ",\"duplicates\":" +
                std::to_string(duplicates) + ",\"last_seq\":" +
                std::to_string(static_cast<int64_t>(held.size()) - 1) + "}"};
  }

  std::unique_ptr<net::HttpServer> server_;
};

class UploadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vigil-upload-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto j = Journal::Open((dir_ / "watch.sqlite").string(), ProbeKey::Generate());
    ASSERT_TRUE(j);
    journal_ = std::move(*j);
    auto p = measure::nettests::HttpPoster::Create();
    ASSERT_TRUE(p);
    poster_ = std::move(*p);
    server_.emplace(io_);
  }
  void TearDown() override {
    RunTask(io_, [](FakeWatchServer& s) -> asio::awaitable<bool> {
      co_await s.Stop();
      co_return true;
    }(*server_));
    std::filesystem::remove_all(dir_);
  }
  void AppendEntries(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(journal_->Append(clock_.WallNow(), journal_->last_seq() < 0 ? "start" : "state",
                                   i % 2 ? "offline" : "online", "{}"));
      clock_.Advance(std::chrono::seconds(30));
    }
  }
  UploadConfig Config() {
    UploadConfig c;
    c.server = server_->url();
    c.token = "secret-token";
    c.cc = "CM";
    c.asn = "AS30987";
    c.region = "CM-NW";
    c.initial_backoff = std::chrono::milliseconds(10);
    c.max_backoff = std::chrono::milliseconds(40);
    c.request_timeout = std::chrono::milliseconds(5000);
    return c;
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  asio::io_context io_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<measure::nettests::HttpPoster> poster_;
  std::optional<FakeWatchServer> server_;
};

TEST_F(UploadTest, ChecksInThenUploadsInBatchesInOrder) {
  AppendEntries(12);
  auto config = Config();
  config.batch = 5;
  JournalUploader up(*journal_, *poster_, config, clock_);
  auto stats = RunTask(io_, up.Sync("online"));
  EXPECT_EQ(stats.failure, "");
  EXPECT_EQ(stats.accepted, 12);
  EXPECT_EQ(stats.server_last_seq, 11);
  EXPECT_EQ(server_->batch_sizes, (std::vector<std::size_t>{5, 5, 2}));
  EXPECT_EQ(server_->held.size(), 12u);
  EXPECT_EQ(journal_->uploaded_seq(), 11);
  // The check-in names the probe by its key and configured place, never by an address.
  EXPECT_EQ(server_->last_checkin,
            R"({"probe_key":")" + journal_->probe_key() +
                R"(","time":"2020-01-01T00:06:00Z","state":"online","cc":"CM","asn":"AS30987",)"
                R"("region":"CM-NW","last_seq":11})");
}

TEST_F(UploadTest, RetriesAfter503) {
  AppendEntries(3);
  server_->fail_next = 2;  // the check-in's first two attempts
  JournalUploader up(*journal_, *poster_, Config(), clock_);
  auto stats = RunTask(io_, up.Sync("online"));
  EXPECT_EQ(stats.failure, "");
  EXPECT_EQ(stats.accepted, 3);
  EXPECT_EQ(server_->paths.size(), 4u);  // 503, 503, check-in, journal
}

TEST_F(UploadTest, GivesUpAfterBoundedAttemptsAndLosesNothing) {
  AppendEntries(3);
  server_->fail_next = 100;
  auto config = Config();
  config.max_attempts = 3;
  JournalUploader up(*journal_, *poster_, config, clock_);
  auto stats = RunTask(io_, up.Sync("online"));
  EXPECT_THAT(stats.failure, HasSubstr("503"));
  EXPECT_EQ(server_->paths.size(), 3u);
  EXPECT_EQ(journal_->last_seq(), 2);
  EXPECT_EQ(journal_->uploaded_seq(), -1);
  server_->fail_next = 0;
  stats = RunTask(io_, up.Sync("online"));
  EXPECT_EQ(stats.failure, "");
  EXPECT_EQ(server_->held.size(), 3u);
  EXPECT_TRUE(VerifyJournal(server_->held).ok);
}

TEST_F(UploadTest, ResumesFromTheServersLastSeq) {
  AppendEntries(4);
  JournalUploader up(*journal_, *poster_, Config(), clock_);
  ASSERT_EQ(RunTask(io_, up.Sync("online")).accepted, 4);
  AppendEntries(3);
  server_->batch_sizes.clear();
  auto stats = RunTask(io_, up.Sync("online"));
  EXPECT_EQ(stats.failure, "");
  EXPECT_EQ(stats.accepted, 3);
  EXPECT_EQ(stats.duplicates, 0);
  EXPECT_EQ(server_->batch_sizes, std::vector<std::size_t>{3});
  EXPECT_EQ(server_->held.size(), 7u);
  EXPECT_TRUE(VerifyJournal(server_->held).ok);
}

TEST_F(UploadTest, RejectedBatchIsReportedAndKeptForLater) {
  AppendEntries(2);
  server_->reject_journal = 1;
  JournalUploader up(*journal_, *poster_, Config(), clock_);
  auto stats = RunTask(io_, up.Sync("online"));
  EXPECT_THAT(stats.failure, HasSubstr("HTTP 400: seq 3: bad_signature"));
  EXPECT_EQ(server_->held.size(), 0u);
  stats = RunTask(io_, up.Sync("online"));
  EXPECT_EQ(stats.failure, "");
  EXPECT_EQ(server_->held.size(), 2u);
}

TEST_F(UploadTest, NothingToSendIsJustACheckin) {
  JournalUploader up(*journal_, *poster_, Config(), clock_);
  auto stats = RunTask(io_, up.Sync("online"));
  EXPECT_EQ(stats.failure, "");
  EXPECT_EQ(stats.server_last_seq, -1);
  EXPECT_EQ(server_->paths, std::vector<std::string>{"/api/v1/watch/checkin"});
}

}  // namespace
}  // namespace vigil::watch
