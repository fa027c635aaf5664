// Kill test of `vigil probe watch`: the watch runs against loopback anchors made here (a TCP
// listener and a DNS responder on 127.0.0.1), is SIGKILLed at random moments 100 times and
// restarted each time. After every kill, each entry the process reported as committed
// ("journal seq N committed", printed after the fsync) must be in the journal, and the whole
// journal must verify (hashes, signatures, chain). Nothing here leaves 127.0.0.1.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "watch/journal.h"
#include "watch/journal_verify.h"

extern char** environ;

namespace vigil::watch {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

int BindLoopback(int type, uint16_t* port) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

// A TCP listener that accepts and closes, and a DNS responder that answers every query with
// NXDOMAIN (enough for "the resolver answers"), both on 127.0.0.1, until destroyed.
class LoopbackAnchors {
 public:
  LoopbackAnchors() {
    tcp_ = BindLoopback(SOCK_STREAM, &tcp_port_);
    udp_ = BindLoopback(SOCK_DGRAM, &udp_port_);
    EXPECT_GE(tcp_, 0);
    EXPECT_GE(udp_, 0);
    ::listen(tcp_, 64);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackAnchors() {
    stop_ = true;
    thread_.join();
    ::close(tcp_);
    ::close(udp_);
  }
  std::string tcp() const { return "127.0.0.1:" + std::to_string(tcp_port_); }
  std::string udp() const { return "127.0.0.1:" + std::to_string(udp_port_); }

 private:
  void Serve() {
    while (!stop_) {
      pollfd fds[2] = {{tcp_, POLLIN, 0}, {udp_, POLLIN, 0}};
      if (::poll(fds, 2, 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int c = ::accept4(tcp_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) ::close(c);
      }
      if (fds[1].revents & POLLIN) {
        unsigned char buf[512];
        sockaddr_in from{};
        socklen_t len = sizeof from;
        const ssize_t n = ::recvfrom(udp_, buf, sizeof buf, 0,
                                     reinterpret_cast<sockaddr*>(&from), &len);
        if (n >= 12) {
          buf[2] = static_cast<unsigned char>(buf[2] | 0x80);               // QR
          buf[3] = static_cast<unsigned char>((buf[3] & 0xf0) | 0x80 | 3);  // RA, NXDOMAIN
          ::sendto(udp_, buf, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from),
                   len);
        }
      }
    }
  }

  int tcp_ = -1, udp_ = -1;
  uint16_t tcp_port_ = 0, udp_port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Child {
  pid_t pid = -1;
  int err_fd = -1;  // read end of the child's stderr
};

Child Spawn(const std::vector<std::string>& args) {
  int pipefd[2];
  EXPECT_EQ(::pipe2(pipefd, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Child c;
  EXPECT_EQ(::posix_spawn(&c.pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipefd[1]);
  c.err_fd = pipefd[0];
  return c;
}

// Reads what is available from fd into out, waiting at most `wait`; false at EOF.
bool ReadSome(int fd, std::string& out, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return true;
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n <= 0) return false;
  out.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::vector<int64_t> CommittedSeqs(const std::string& text) {
  static const std::regex re(R"(journal seq (\d+) committed)");
  std::vector<int64_t> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    out.push_back(std::stoll((*it)[1].str()));
  }
  return out;
}

class WatchKillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vigil-watch-kill-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    journal_ = (dir_ / "watch.sqlite").string();
    anchors_file_ = (dir_ / "anchors.json").string();
    std::ofstream(anchors_file_) << R"({"gateway":")" << anchors_.tcp()
                                 << R"(","system_resolver":")" << anchors_.udp()
                                 << R"(","public_resolver":")" << anchors_.udp()
                                 << R"(","dns_names":["watch.test"],)"
                                 << R"("sites":[{"host":"site.test","address":")"
                                 << anchors_.tcp()
                                 << R"(","tls":false}],"platforms":{"telegram":[{"address":")"
                                 << anchors_.tcp()
                                 << R"(","tls":false}]},"download_url":null,"timeout_ms":200})";
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::vector<std::string> WatchArgs() const {
    return {VIGIL_BINARY, "probe",       "watch",         "--journal", journal_,
            "--anchors",  anchors_file_, "--interval",    "20ms",      "--summary-every",
            "30ms",       "--resolver",  anchors_.udp()};
  }

  std::vector<JournalRecord> ReadJournal() {
    auto j = Journal::OpenReadOnly(journal_);
    if (!j) return {};
    auto records = (*j)->ReadAll();
    EXPECT_TRUE(records) << records.error().ToString();
    return records ? *records : std::vector<JournalRecord>{};
  }

  LoopbackAnchors anchors_;
  std::filesystem::path dir_;
  std::string journal_;
  std::string anchors_file_;
};

TEST_F(WatchKillTest, EveryCommittedEntrySurvivesSigkillAndTheJournalVerifies) {
  // A first run to its end measures how long the watch takes to commit its first entry on
  // this machine now, so that the kills below land before, during and after it.
  const auto deadline = Steady::now() + 240s;
  int64_t highest_committed = -1;
  int first_commit_ms = 0;
  {
    auto args = WatchArgs();
    args.insert(args.end(), {"--rounds", "3"});
    const auto started = Steady::now();
    Child child = Spawn(args);
    std::string err;
    while (Steady::now() < started + 30s && ReadSome(child.err_fd, err, 20ms)) {
      if (first_commit_ms == 0 && !CommittedSeqs(err).empty()) {
        first_commit_ms = static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - started)
                .count());
      }
    }
    ::kill(child.pid, SIGKILL);  // in case it overran the bound
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    ::close(child.err_fd);
    ASSERT_GT(first_commit_ms, 0) << err;
    const auto committed = CommittedSeqs(err);
    ASSERT_FALSE(committed.empty());
    highest_committed = committed.back();
  }
  std::mt19937 rng(20261128);
  std::uniform_int_distribution<int> delay_ms(0, first_commit_ms * 2 + 400);
  int kills_after_commits = 0;
  // Meanwhile other processes open the journal the ways the docs allow (the verifier, the
  // sqlite3 shell's integrity check and backup): a process that drops its own SQLite locks
  // lets such an opener delete the WAL it goes on writing, and the kills then lose entries.
  std::atomic<bool> stop_openers{false};
  std::atomic<int> openings{0};
  std::atomic<int> opener_failures{0};
  std::string last_opener_failure;
  std::thread openers([&] {
    const std::string out = (dir_ / "opener.txt").string();
    const std::string commands[] = {
        std::string(VIGIL_BINARY) + " probe journal verify " + journal_ + " > " + out + " 2>&1",
        "sqlite3 -cmd '.timeout 10000' " + journal_ + " 'PRAGMA integrity_check;' '.backup " + (dir_ / "backup.sqlite").string() +
            "' > " + out + " 2>&1 && head -c 2 " + out + " | grep -q ok"};
    for (int i = 0; i < 5000 && !stop_openers; ++i) {
      if (!std::filesystem::exists(journal_)) {
        std::this_thread::sleep_for(20ms);
        continue;
      }
      const int rc = std::system(commands[i % 2].c_str());
      ++openings;
      if (rc != 0) {
        std::ifstream in(out);
        last_opener_failure = commands[i % 2] + ": " + std::string(std::istreambuf_iterator<char>(in), {});
        ++opener_failures;
      }
      std::this_thread::sleep_for(10ms);
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
  for (int run = 0; run < 100; ++run) {
    ASSERT_LT(Steady::now(), deadline) << "the kill test exceeded its time bound at run " << run;
    Child child = Spawn(WatchArgs());
    std::string err;
    const auto kill_at = Steady::now() + std::chrono::milliseconds(delay_ms(rng));
    while (Steady::now() < kill_at) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(kill_at - Steady::now());
      if (!ReadSome(child.err_fd, err, std::min(left, 20ms))) break;
    }
    ::kill(child.pid, SIGKILL);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    // Drain what the process wrote before it died.
    while (ReadSome(child.err_fd, err, 100ms)) {
    }
    ::close(child.err_fd);
    ASSERT_EQ(err.find("vigil probe watch: io_error"), std::string::npos) << err;

    const auto committed = CommittedSeqs(err);
    if (!committed.empty()) ++kills_after_commits;
    for (std::size_t i = 0; i < committed.size(); ++i) {
      // Sequence numbers only grow across restarts: none is reused. (One may be committed by
      // a process killed before it could report it; the journal check below covers it.)
      ASSERT_GT(committed[i], highest_committed) << "run " << run << ":\n" << err;
      if (i > 0) {
        ASSERT_EQ(committed[i], committed[i - 1] + 1) << "run " << run << ":\n" << err;
      }
      highest_committed = committed[i];
    }
    auto records = ReadJournal();
    const auto report = VerifyJournal(records);
    ASSERT_TRUE(report.ok) << "run " << run << ": "
                           << ::testing::PrintToString(report.problems);
    ASSERT_GE(report.last_seq, highest_committed)
        << "run " << run << ": an entry reported as committed is missing";
  }
  stop_openers = true;
  openers.join();
  EXPECT_GT(openings.load(), 20) << "the journal was hardly opened by other processes";
  EXPECT_EQ(opener_failures.load(), 0) << last_opener_failure;
  {
    sqlite3* check = nullptr;
    ASSERT_EQ(sqlite3_open_v2(journal_.c_str(), &check, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(check, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
    sqlite3_finalize(st);
    sqlite3_close(check);
  }
  // Most kills land after the process has committed something (the others, during startup).
  EXPECT_GE(kills_after_commits, 40) << "first commit after " << first_commit_ms << " ms";
  EXPECT_GT(highest_committed, 100);
  std::printf("%d of 100 kills after commits; first commit after %d ms; %lld entries; %d openings by other processes\n",
              kills_after_commits, first_commit_ms, static_cast<long long>(highest_committed + 1), openings.load());

  // The command-line verifier agrees, and catches a tampered entry.
  const std::string verify = std::string(VIGIL_BINARY) + " probe journal verify " + journal_ +
                             " > " + (dir_ / "verify.txt").string();
  EXPECT_EQ(std::system(verify.c_str()), 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(journal_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE entries SET entry = replace(entry, '\"v\":1,', '\"v\": 1,') "
                         "WHERE seq = 5",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const int rc = std::system(verify.c_str());
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
  std::ifstream in(dir_ / "verify.txt");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("FAILED at seq 5"), std::string::npos) << text;
}

}  // namespace
}  // namespace vigil::watch
