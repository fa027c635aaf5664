// End to end on loopback: a local website and a fake OONI collector (HttpServer, in this
// process), `vigil helper` and `vigil probe run/upload` as child processes.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include "core/json_read.h"
#include "net/http_server.h"
#include "probe/outbox.h"

namespace vigil {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// An HttpServer on 127.0.0.1:0 running on its own thread.
class BackgroundServer {
 public:
  explicit BackgroundServer(net::HttpHandler handler) {
    auto s = net::HttpServer::Create(io_.get_executor(), "127.0.0.1:0", std::move(handler));
    EXPECT_TRUE(s.has_value());
    server_ = std::move(*s);
    server_->Start();
    thread_ = std::thread([this] {
      auto guard = asio::make_work_guard(io_);
      io_.run();
    });
  }
  ~BackgroundServer() {
    auto done = asio::co_spawn(io_, server_->Stop(), asio::use_future);
    done.wait_for(15s);
    io_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

 private:
  asio::io_context io_;
  std::unique_ptr<net::HttpServer> server_;
  std::thread thread_;
};

// A website whose pages take `delay` and which records the most concurrent requests.
struct Site {
  std::chrono::milliseconds delay{0};
  std::atomic<int> now{0}, max{0}, hits{0};
  BackgroundServer server{[this](const net::HttpServerRequest& r) -> asio::awaitable<net::HttpServerResponse> {
    int n = ++now;
    int m = max.load();
    while (n > m && !max.compare_exchange_weak(m, n)) {}
    ++hits;
    if (delay.count() > 0) {
      asio::steady_timer t(co_await asio::this_coro::executor, delay);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    --now;
    net::HttpServerResponse resp;
    resp.content_type = "text/html";
    resp.body = "<html><title>Page " + std::string(r.Path()) + "</title><body>" +
                std::string(2000, 'x') + "</body></html>";
    co_return resp;
  }};
};

// A fake OONI collector implementing the three endpoints.
struct Collector {
  std::mutex mu;
  std::map<std::string, int> inputs;  // input → times received
  int reports = 0, closed = 0;
  BackgroundServer server{[this](const net::HttpServerRequest& r) -> asio::awaitable<net::HttpServerResponse> {
    net::HttpServerResponse resp;
    const std::string path(r.Path());
    std::lock_guard lock(mu);
    if (r.method != "POST") co_return net::JsonError(405, "POST only");
    if (path == "/report") {
      ++reports;
      resp.body = R"({"backend_version":"test","report_id":"20240101T000000Z_webconnectivity_ZZ_0_n1_r)" +
                  std::to_string(reports) + R"(","supported_formats":["json"]})";
    } else if (path.size() > 6 && path.ends_with("/close")) {
      ++closed;
      resp.body = "{}";
    } else if (path.rfind("/report/", 0) == 0) {
      simdjson::dom::parser parser;
      json::Element root;
      if (parser.parse(r.body).get(root) != simdjson::SUCCESS) co_return net::JsonError(400, "json");
      std::string_view format, input;
      if (root["format"].get(format) != simdjson::SUCCESS || format != "json" ||
          root["content"]["input"].get(input) != simdjson::SUCCESS) {
        co_return net::JsonError(400, "bad submission");
      }
      ++inputs[std::string(input)];
      resp.body = R"({"measurement_uid":"uid)" + std::to_string(inputs.size()) + "\"}";
    } else {
      co_return net::JsonError(404, "no");
    }
    co_return resp;
  }};
};

struct Child {
  pid_t pid = -1;
  int out_fd = -1;
};

Child Spawn(const std::vector<std::string>& args) {
  // Built before fork: the child of a threaded process may only make async-signal-safe calls.
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execv(VIGIL_BINARY, argv.data());
    _exit(127);
  }
  close(fds[1]);
  c.out_fd = fds[0];
  return c;
}

// Waits at most `limit`; -1 on timeout (the child is then killed).
int Wait(Child& c, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(c.pid, &status, WNOHANG) == c.pid) {
      close(c.out_fd);
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(10ms);
  }
  kill(c.pid, SIGKILL);
  waitpid(c.pid, &status, 0);
  close(c.out_fd);
  return -1;
}

int RunVigil(std::vector<std::string> args, std::chrono::milliseconds limit = 120s) {
  args.insert(args.begin(), "vigil");
  auto c = Spawn(args);
  return Wait(c, limit);
}

// `vigil helper` on an ephemeral port.
struct Helper {
  Child child;
  std::string url;
  Helper() {
    child = Spawn({"vigil", "helper", "--listen", "127.0.0.1:0", "--timeout-ms", "3000",
                   "--geo-dir", "/nonexistent"});
    std::string line;
    char ch;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    fcntl(child.out_fd, F_SETFL, O_NONBLOCK);
    while (std::chrono::steady_clock::now() < deadline && line.find('\n') == std::string::npos) {
      if (read(child.out_fd, &ch, 1) == 1) line += ch;
      else std::this_thread::sleep_for(10ms);
    }
    auto pos = line.rfind(' ');
    EXPECT_NE(pos, std::string::npos) << line;
    url = "http://" + line.substr(pos + 1, line.size() - pos - 2) + "/";
  }
  ~Helper() {
    kill(child.pid, SIGTERM);
    Wait(child, 15s);
  }
};

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("vigil-e2e-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(ProbeE2E, MeasuresALocalSiteThroughTheHelper) {
  Site site;
  Helper helper;
  TempDir dir;
  std::vector<std::string> args = {"probe", "run", "--helper", helper.url, "--outbox",
                                   dir / "outbox.sqlite", "--out", dir / "out.jsonl", "--cc", "CM",
                                   "--asn", "AS30992", "--geo-dir", "/nonexistent"};
  for (int i = 0; i < 3; ++i) {
    args.push_back("--input");
    args.push_back(site.server.url() + "/page" + std::to_string(i));
  }
  ASSERT_EQ(RunVigil(args), 0);
  auto lines = Lines(dir / "out.jsonl");
  ASSERT_EQ(lines.size(), 3u);
  simdjson::dom::parser parser;
  for (const auto& line : lines) {
    json::Element m;
    ASSERT_EQ(parser.parse(line).get(m), simdjson::SUCCESS) << line;
    EXPECT_EQ(std::string_view(m["software_name"]), "vigil");
    EXPECT_EQ(std::string_view(m["test_name"]), "web_connectivity");
    EXPECT_EQ(std::string_view(m["probe_cc"]), "CM");
    EXPECT_EQ(std::string_view(m["probe_asn"]), "AS30992");
    EXPECT_EQ(std::string_view(m["probe_ip"]), "127.0.0.1");
    EXPECT_EQ(bool(m["test_keys"]["blocking"]), false) << line;
    EXPECT_EQ(bool(m["test_keys"]["accessible"]), true) << line;
    EXPECT_TRUE(m["test_keys"]["control"]["http_request"]["status_code"].get_int64().value() == 200)
        << line;
    EXPECT_FALSE(m["test_keys"]["x_download_speed_bps"].is_null()) << line;
  }
}

TEST(ProbeE2E, EnforcesTwoConnectionsPerHost) {
  Site site;
  site.delay = 100ms;
  TempDir dir;
  std::vector<std::string> args = {"probe", "run", "--parallel", "16", "--outbox",
                                   dir / "outbox.sqlite", "--geo-dir", "/nonexistent"};
  for (int i = 0; i < 10; ++i) {
    args.push_back("--input");
    args.push_back(site.server.url() + "/p" + std::to_string(i));
  }
  ASSERT_EQ(RunVigil(args), 0);
  EXPECT_EQ(site.hits.load(), 10);
  EXPECT_LE(site.max.load(), 2);
  EXPECT_EQ(site.max.load(), 2);  // and the cap was actually reached
}

TEST(ProbeE2E, ResumesAfterSigkillWithEveryUrlExactlyOnce) {
  Site site;
  site.delay = 60ms;  // a full run takes over a second: kills land mid-run
  TempDir dir;
  const std::string outbox = dir / "outbox.sqlite";
  std::vector<std::string> urls;
  std::vector<std::string> first = {"vigil", "probe", "run", "--parallel", "4", "--outbox",
                                    outbox, "--geo-dir", "/nonexistent"};
  for (int i = 0; i < 40; ++i) {
    urls.push_back(site.server.url() + "/r" + std::to_string(i));
    first.push_back("--input");
    first.push_back(urls.back());
  }
  const std::vector<std::string> resume = {"vigil", "probe", "run", "--resume", "--parallel", "4",
                                           "--outbox", outbox, "--geo-dir", "/nonexistent"};
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> when(150, 700);
  bool planned = false, finished = false;
  int kills = 0;
  // Meanwhile other processes open the outbox the ways the docs allow: `vigil probe upload`
  // (to a collector that is down, so it keeps everything) and the sqlite3 shell's integrity
  // check and backup. A probe that dropped its own SQLite locks would let them delete the WAL
  // it goes on writing, and a kill would then lose committed measurements.
  std::string dead_url;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    dead_url = "http://127.0.0.1:" + std::to_string(a.local_endpoint().port());
  }
  std::atomic<bool> stop_openers{false};
  std::atomic<int> openings{0}, opener_failures{0};
  std::thread openers([&] {
    const std::string out = dir / "opener.txt";
    const std::string commands[] = {
        std::string(VIGIL_BINARY) + " probe upload --collector " + dead_url + " --token t --attempts 1 --outbox " +
            outbox + " > " + out + " 2>&1; rc=$?; test $rc -eq 3 -o $rc -eq 0",
        "sqlite3 -cmd '.timeout 10000' " + outbox + " 'PRAGMA integrity_check;' '.backup " +
            std::string(dir / "backup.sqlite") + "' > " + out + " 2>&1 && head -c 2 " + out + " | grep -q ok"};
    for (int i = 0; i < 2000 && !stop_openers; ++i) {
      if (!std::filesystem::exists(outbox)) {
        std::this_thread::sleep_for(20ms);
        continue;
      }
      if (std::system(commands[i % 2].c_str()) != 0) ++opener_failures;
      ++openings;
      std::this_thread::sleep_for(20ms);
    }
  });
  struct JoinOpeners {
    std::atomic<bool>& stop;
    std::thread& t;
    ~JoinOpeners() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } join_openers{stop_openers, openers};
  for (int round = 0; round < 6 && !finished; ++round) {
    auto child = Spawn(planned ? resume : first);
    int rc = Wait(child, std::chrono::milliseconds(when(rng)));  // SIGKILL on timeout
    if (rc == 0) finished = true;
    if (rc == -1) ++kills;
    auto o = probe::Outbox::Open(outbox);
    ASSERT_TRUE(o.has_value());
    auto latest = (*o)->LatestUnfinishedRun();
    planned = planned || (latest && latest->has_value()) || finished;
  }
  stop_openers = true;
  openers.join();
  EXPECT_GT(openings.load(), 3) << "the outbox was hardly opened by other processes";
  EXPECT_EQ(opener_failures.load(), 0) << "an opener failed beside the probe (see " << (dir / "opener.txt") << ")";
  if (!planned) {
    // Every kill landed before the run was even planned (a slow, loaded machine): the
    // kills proved nothing was half-written; now run it through.
    std::vector<std::string> args(first.begin() + 1, first.end());
    ASSERT_EQ(RunVigil(args), 0);
  }
  bool unfinished = false;
  {
    auto o = probe::Outbox::Open(outbox);
    ASSERT_TRUE(o.has_value());
    auto latest = (*o)->LatestUnfinishedRun();
    ASSERT_TRUE(latest.has_value());
    unfinished = latest->has_value();
  }
  // A kill can also land after the run was marked finished (while exporting or exiting).
  if (unfinished) {
    ASSERT_EQ(RunVigil({"probe", "run", "--resume", "--outbox", outbox, "--geo-dir", "/nonexistent"}), 0);
  }
  auto o = probe::Outbox::Open(outbox);
  ASSERT_TRUE(o.has_value());
  EXPECT_GE(kills, 1);
  auto all = (*o)->AllMeasurements();
  ASSERT_TRUE(all.has_value());
  std::multiset<std::string> got;
  for (const auto& [input, uploaded] : *all) got.insert(input);
  EXPECT_EQ(got.size(), urls.size());
  for (const auto& u : urls) EXPECT_EQ(got.count(u), 1u) << u;
}

TEST(ProbeE2E, KeepsMeasurementsWhileTheCollectorIsDownThenUploadsEachOnce) {
  Site site;
  TempDir dir;
  const std::string outbox = dir / "outbox.sqlite";
  std::string dead_url;
  {
    // A port nothing listens on any more.
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    dead_url = "http://127.0.0.1:" + std::to_string(a.local_endpoint().port());
  }
  std::vector<std::string> args = {"probe", "run", "--outbox", outbox, "--upload", dead_url,
                                   "--upload-attempts", "2", "--upload-backoff-ms", "10",
                                   "--geo-dir", "/nonexistent"};
  for (int i = 0; i < 5; ++i) {
    args.push_back("--input");
    args.push_back(site.server.url() + "/u" + std::to_string(i));
  }
  ASSERT_EQ(RunVigil(args), 0);
  {
    auto o = probe::Outbox::Open(outbox);
    ASSERT_TRUE(o.has_value());
    EXPECT_EQ(*(*o)->CountPendingUploads(), 5u);
  }
  EXPECT_EQ(RunVigil({"probe", "upload", "--collector", dead_url, "--outbox", outbox, "--attempts",
                      "2", "--backoff-ms", "10"}),
            3);
  Collector collector;
  ASSERT_EQ(RunVigil({"probe", "upload", "--collector", collector.server.url(), "--outbox", outbox}), 0);
  ASSERT_EQ(RunVigil({"probe", "upload", "--collector", collector.server.url(), "--outbox", outbox}), 0);
  std::lock_guard lock(collector.mu);
  EXPECT_EQ(collector.inputs.size(), 5u);
  for (const auto& [input, n] : collector.inputs) EXPECT_EQ(n, 1) << input;
  EXPECT_EQ(collector.reports, 1);
  EXPECT_EQ(collector.closed, 1);
  auto o = probe::Outbox::Open(outbox);
  EXPECT_EQ(*(*o)->CountPendingUploads(), 0u);
}

TEST(ProbeE2E, RunsTelegramAgainstStandInsFromThePlatformConfig) {
  Site site;
  TempDir dir;
  const std::string port = site.server.url().substr(site.server.url().rfind(':') + 1);
  std::string closed_port;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed_port = std::to_string(a.local_endpoint().port());
  }
  std::ofstream(dir / "up.json") << R"({"telegram_datacenters":["127.0.0.1"],"telegram_ports":[)" << port
                                 << R"(],"telegram_web_url":")" << site.server.url() << R"(/web"})";
  std::ofstream(dir / "down.json") << R"({"telegram_datacenters":["127.0.0.1"],"telegram_ports":[)"
                                   << closed_port << R"(],"telegram_web_url":"http://127.0.0.1:)"
                                   << closed_port << R"(/"})";
  simdjson::dom::parser parser;
  for (const char* name : {"up", "down"}) {
    const std::string out = dir / (std::string(name) + ".jsonl");
    ASSERT_EQ(RunVigil({"probe", "run", "--test", "telegram", "--platform-config",
                        dir / (std::string(name) + ".json"), "--outbox", dir / "outbox.sqlite",
                        "--out", out, "--timeout-ms", "2000", "--geo-dir", "/nonexistent"}),
              0);
    auto lines = Lines(out);
    ASSERT_EQ(lines.size(), 1u);
    json::Element m;
    ASSERT_EQ(parser.parse(lines[0]).get(m), simdjson::SUCCESS);
    EXPECT_EQ(std::string_view(m["test_name"]), "telegram");
    EXPECT_TRUE(m["input"].is_null());
    const bool up = std::string_view(name) == "up";
    EXPECT_EQ(bool(m["test_keys"]["telegram_tcp_blocking"]), !up) << lines[0];
    EXPECT_EQ(bool(m["test_keys"]["telegram_http_blocking"]), !up) << lines[0];
    EXPECT_EQ(std::string_view(m["test_keys"]["telegram_web_status"]), up ? "ok" : "blocked");
  }
}

}  // namespace
}  // namespace vigil
