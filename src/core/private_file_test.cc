#include "core/private_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace vigil {
namespace {

namespace fs = std::filesystem;

mode_t ModeOf(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class PrivateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("vigil-private-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // The loosest umask: whatever is created must still be private.
    old_umask_ = ::umask(0);
  }
  void TearDown() override {
    ::umask(old_umask_);
    fs::remove_all(dir_);
  }
  fs::path dir_;
  mode_t old_umask_ = 0;
};

TEST_F(PrivateFileTest, ANewSqliteFileAndItsFoldersArePrivateWhateverTheUmask) {
  const fs::path db = dir_ / "a" / "b" / "vigil.sqlite";
  ASSERT_TRUE(PrepareSqliteFile(db.string()));
  EXPECT_EQ(ModeOf(db), 0600u);
  EXPECT_EQ(fs::file_size(db), 0u);
  EXPECT_EQ(ModeOf(dir_ / "a"), 0700u);
  EXPECT_EQ(ModeOf(dir_ / "a" / "b"), 0700u);
}

TEST_F(PrivateFileTest, AnExistingSqliteFileAndItsCompanionsLoseGroupAndOtherBits) {
  const fs::path db = dir_ / "vigil.sqlite";
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::ofstream(db.string() + suffix) << "x";
    ::chmod((db.string() + suffix).c_str(), 0664);
  }
  ASSERT_TRUE(PrepareSqliteFile(db.string()));
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    EXPECT_EQ(ModeOf(db.string() + suffix), 0600u) << suffix;
    EXPECT_EQ(Read(db.string() + suffix), "x") << "the content is untouched";
  }
}

TEST_F(PrivateFileTest, WritePrivateFileReplacesOrKeeps) {
  const fs::path key = dir_ / "keys" / "report.key";
  auto first = WritePrivateFile(key.string(), "one\n");
  ASSERT_TRUE(first);
  EXPECT_TRUE(*first);
  EXPECT_EQ(ModeOf(key), 0600u);
  EXPECT_EQ(ModeOf(dir_ / "keys"), 0700u);
  auto kept = WritePrivateFile(key.string(), "two\n", ExistingFile::kKeep);
  ASSERT_TRUE(kept);
  EXPECT_FALSE(*kept);
  EXPECT_EQ(Read(key), "one\n");
  auto replaced = WritePrivateFile(key.string(), "three\n", ExistingFile::kReplace);
  ASSERT_TRUE(replaced);
  EXPECT_EQ(Read(key), "three\n");
  EXPECT_EQ(ModeOf(key), 0600u);
  for (const auto& e : fs::directory_iterator(dir_ / "keys")) {
    EXPECT_EQ(e.path().filename(), "report.key") << "no temporary file is left behind";
  }
}

TEST_F(PrivateFileTest, AFolderInTheWayIsAClearError) {
  const fs::path file = dir_ / "plain";
  std::ofstream(file) << "x";
  auto r = PrepareSqliteFile((file / "vigil.sqlite").string());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().failure, "io_error");
  EXPECT_NE(r.error().message.find("plain"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace vigil
