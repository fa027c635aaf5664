// The SQLite store and the locks other processes rely on (docs/deployment.md, "Other
// processes on the same store"). On Linux, closing any descriptor of a file drops every POSIX
// lock the process holds on it; a store that did so (its fsync used to open and close the
// database file) let the next process to open the store believe itself alone, checkpoint and
// delete the WAL that the server went on writing: acknowledged measurements were lost.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "store/prepare.h"
#include "store/sqlite/sqlite_store.h"

namespace vigil::store {
namespace {

namespace fs = std::filesystem;

StoredMeasurement LockRow(int i) {
  StoredMeasurement m;
  const std::string raw = fmt::format(R"({{"lock_test":{}}})", i);
  m.idempotency_key = ContentKey(raw);
  m.measurement_start_time = Seconds(std::chrono::seconds(1700000000 + i));
  m.probe_cc = "CM";
  m.probe_asn = 30992;
  m.test_name = "telegram";
  m.measurement_uid = MakeMeasurementUid(m.measurement_start_time, m.probe_cc, m.test_name, Sha256Hex(raw));
  m.report_id = "lock-test";
  m.verdict.why = "synthetic";
  m.raw_size = raw.size();
  m.raw_zstd = *ZstdCompress(raw, 1);
  return m;
}

// Whether another process sees a lock of this one on `path` (F_GETLK reports the first
// lock that would conflict with a write lock over the whole file). The child makes only
// system calls before _exit: nothing of SQLite runs in it.
bool AnotherProcessSeesOurLock(const std::string& path) {
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child == 0) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) ::_exit(2);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd, F_GETLK, &fl) != 0) ::_exit(2);
    ::_exit(fl.l_type != F_UNLCK && fl.l_pid == parent ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 2) << "the probe process failed";
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Runs the sqlite3 shell (another process, as `vigil user list` or a backup would be) and
// returns what it printed.
std::string Shell(const std::string& db, const std::string& sql) {
  const std::string cmd = fmt::format("sqlite3 -cmd '.timeout 10000' '{}' '{}' 2>&1", db, sql);
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return "popen failed";
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  ::pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

class SqliteLocksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil-sqlite-locks-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    db_ = (dir_ / "data" / "vigil.sqlite").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string db_;
};

TEST_F(SqliteLocksTest, FlushingTheWalKeepsTheLocksSoAnotherProcessCannotDeleteIt) {
  auto opened = SqliteStore::Open(db_);
  ASSERT_TRUE(opened) << opened.error().ToString();
  SqliteStore& store = **opened;
  std::vector<StoredMeasurement> first{LockRow(0), LockRow(1)};
  ASSERT_TRUE(store.InsertBatchUnflushed(first));
  ASSERT_TRUE(store.SyncCommitted());  // the group commit's flush
  ASSERT_TRUE(store.Sync());           // the import's flush
  ASSERT_TRUE(store.Insert(LockRow(2)));
  ASSERT_TRUE(store.Sync());
  EXPECT_TRUE(AnotherProcessSeesOurLock(db_)) << "a flush dropped the store's locks on its database file";

  // Another process opens and closes the store: with our locks gone it would checkpoint and
  // delete the WAL, and what we commit next would go into a deleted file.
  EXPECT_EQ(Shell(db_, "SELECT COUNT(*) FROM measurements"), "3");
  ASSERT_TRUE(fs::exists(db_ + "-wal")) << "another process deleted the WAL the store is using";
  for (int i = 3; i < 40; i += 2) {
    std::vector<StoredMeasurement> two{LockRow(i), LockRow(i + 1)};
    ASSERT_TRUE(store.InsertBatchUnflushed(two));
    ASSERT_TRUE(store.SyncCommitted());
    if (i % 10 == 3) {
      EXPECT_EQ(Shell(db_, "PRAGMA integrity_check"), "ok");
    }
  }
  // What the store acknowledged is what a new process reads, while the store is still open
  // (a SIGKILL now would leave exactly this).
  EXPECT_EQ(Shell(db_, "SELECT COUNT(*) FROM measurements"), "41");
  EXPECT_TRUE(AnotherProcessSeesOurLock(db_));
}

TEST_F(SqliteLocksTest, TheStoreAndTheFilesSqliteMakesBesideItArePrivateWhateverTheUmask) {
  const mode_t old_umask = ::umask(0);
  auto opened = SqliteStore::Open(db_);
  ::umask(old_umask);
  ASSERT_TRUE(opened) << opened.error().ToString();
  ASSERT_TRUE((*opened)->Insert(LockRow(0)));
  EXPECT_EQ(ModeOf(db_), 0600u);
  EXPECT_EQ(ModeOf(db_ + "-wal"), 0600u);
  EXPECT_EQ(ModeOf(db_ + "-shm"), 0600u);
  EXPECT_EQ(ModeOf((dir_ / "data").string()), 0700u);
}

}  // namespace
}  // namespace vigil::store
