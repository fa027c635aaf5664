#include "watch/journal.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "watch/journal_verify.h"

namespace vigil::watch {
namespace {

using ::testing::HasSubstr;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vigil-journal-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "watch.sqlite").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Journal> OpenJournal() {
    auto key = ProbeKey::LoadOrCreate(KeyPathForJournal(path_));
    EXPECT_TRUE(key) << key.error().ToString();
    auto j = Journal::Open(path_, *key);
    EXPECT_TRUE(j) << j.error().ToString();
    return std::move(*j);
  }

  std::vector<JournalRecord> Write(int n) {
    auto j = OpenJournal();
    FakeClock clock;
    for (int i = 0; i < n; ++i) {
      auto seq = j->Append(clock.WallNow(), i == 0 ? "start" : "state",
                           i % 2 ? "offline" : "online", i % 2 ? R"({"reason":"upstream"})" : "{}");
      EXPECT_TRUE(seq);
      EXPECT_EQ(*seq, i);
      clock.Advance(std::chrono::seconds(30));
    }
    return *j->ReadAll();
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(JournalTest, AppendedEntriesAreCanonicalSignedAndChained) {
  auto records = Write(3);
  ASSERT_EQ(records.size(), 3u);
  auto f0 = ParseEntry(records[0].entry);
  ASSERT_TRUE(f0);
  EXPECT_EQ(records[0].entry,
            R"({"v":1,"probe_key":")" + f0->probe_key +
                R"(","seq":0,"time":"2020-01-01T00:00:00Z","kind":"start","state":"online",)"
                R"("details":{},"prev_hash":")" +
                std::string(kZeroHash) + R"("})");
  EXPECT_EQ(records[0].hash, Sha256Hex(records[0].entry));
  auto f1 = ParseEntry(records[1].entry);
  ASSERT_TRUE(f1);
  EXPECT_EQ(f1->prev_hash, records[0].hash);
  EXPECT_EQ(f1->time, "2020-01-01T00:00:30Z");
  EXPECT_EQ(f1->details, R"({"reason":"upstream"})");
  auto report = VerifyJournal(records);
  EXPECT_TRUE(report.ok) << ::testing::PrintToString(report.problems);
  EXPECT_EQ(report.entries, 3u);
  EXPECT_EQ(report.last_seq, 2);
}

TEST_F(JournalTest, ReopeningContinuesTheChainWithTheSameKey) {
  Write(2);
  {
    auto j = OpenJournal();
    EXPECT_EQ(j->last_seq(), 1);
    ASSERT_TRUE(j->Append(FakeClock().WallNow(), "start", "online", "{}"));
  }
  auto j = OpenJournal();
  auto records = j->ReadAll();
  ASSERT_TRUE(records);
  EXPECT_EQ(records->size(), 3u);
  EXPECT_TRUE(VerifyJournal(*records).ok);
}

TEST_F(JournalTest, KeyFileIsPrivateAndAJournalRefusesAnotherKey) {
  Write(1);
  struct stat st {};
  ASSERT_EQ(::stat(KeyPathForJournal(path_).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto other = Journal::Open(path_, ProbeKey::Generate());
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().failure, "wrong_key");
}

TEST_F(JournalTest, UploadedSeqOnlyGrows) {
  auto j = OpenJournal();
  EXPECT_EQ(j->uploaded_seq(), -1);
  ASSERT_TRUE(j->SetUploadedSeq(4));
  ASSERT_TRUE(j->SetUploadedSeq(2));
  EXPECT_EQ(j->uploaded_seq(), 4);
  j.reset();
  EXPECT_EQ(OpenJournal()->uploaded_seq(), 4);
}

TEST_F(JournalTest, FlippedByteFailsNamingTheSeq) {
  auto records = Write(4);
  auto pos = records[2].entry.find("\"time\":\"2020");
  ASSERT_NE(pos, std::string::npos);
  records[2].entry[pos + 11] = '1';  // 2020 → 2021
  auto report = VerifyJournal(records);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 2);
  ASSERT_FALSE(report.problems.empty());
  EXPECT_THAT(report.problems[0], HasSubstr("seq 2"));
  EXPECT_THAT(report.problems[0], HasSubstr("bad_hash"));
}

TEST_F(JournalTest, RecomputedHashStillFailsTheSignature) {
  auto records = Write(3);
  auto pos = records[1].entry.find("upstream");
  records[1].entry.replace(pos, 8, "local-li");
  records[1].hash = Sha256Hex(records[1].entry);
  auto report = VerifyJournal(records);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 1);
  EXPECT_THAT(report.problems[0], HasSubstr("bad_signature"));
}

TEST_F(JournalTest, DroppedEntryIsAGap) {
  auto records = Write(5);
  records.erase(records.begin() + 3);
  auto report = VerifyJournal(records);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 3);
  EXPECT_THAT(report.problems[0], HasSubstr("seq 4"));
  EXPECT_THAT(report.problems[0], HasSubstr("expected seq 3"));
}

TEST_F(JournalTest, ReorderedEntriesFail) {
  auto records = Write(4);
  std::swap(records[1], records[2]);
  auto report = VerifyJournal(records);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 1);
  EXPECT_THAT(report.problems[0], HasSubstr("gap"));
}

TEST_F(JournalTest, ForkIsDetected) {
  // A second journal with the same key: its seq 1 names another seq 0.
  auto key = ProbeKey::Generate();
  auto a = EntryText(key.public_hex(), 0, "2020-01-01T00:00:00Z", "start", "online", "{}",
                     kZeroHash);
  auto b = EntryText(key.public_hex(), 0, "2020-01-01T00:00:01Z", "start", "online", "{}",
                     kZeroHash);
  auto c = EntryText(key.public_hex(), 1, "2020-01-01T00:00:02Z", "state", "offline",
                     R"({"reason":"upstream"})", Sha256Hex(b));
  std::vector<JournalRecord> records = {{a, Sha256Hex(a), key.Sign(a)},
                                        {c, Sha256Hex(c), key.Sign(c)}};
  auto report = VerifyJournal(records);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 1);
  EXPECT_THAT(report.problems[0], HasSubstr("fork"));
}

TEST_F(JournalTest, VerifyNextContinuesAServersChain) {
  auto records = Write(3);
  auto f0 = ParseEntry(records[0].entry);
  ChainTip tip{0, records[0].hash};
  EXPECT_TRUE(VerifyNext(records[1], f0->probe_key, tip));
  auto wrong = VerifyNext(records[2], f0->probe_key, tip);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().failure, "gap");
  auto other = VerifyNext(records[1], ProbeKey::Generate().public_hex(), tip);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().failure, "wrong_key");
}

TEST(ParseEntryTest, RejectsMalformedEntries) {
  auto key = ProbeKey::Generate();
  EXPECT_FALSE(ParseEntry("not json"));
  EXPECT_FALSE(ParseEntry(EntryText(key.public_hex(), 0, "2020-01-01 00:00:00", "start",
                                    "online", "{}", kZeroHash)));
  EXPECT_FALSE(ParseEntry(EntryText(key.public_hex(), 0, "2020-01-01T00:00:00Z", "start",
                                    "sleepy", "{}", kZeroHash)));
  EXPECT_FALSE(ParseEntry(EntryText(key.public_hex(), 0, "2020-01-01T00:00:00Z", "start",
                                    "online", "[]", kZeroHash)));
  EXPECT_FALSE(ParseEntry(EntryText("abc", 0, "2020-01-01T00:00:00Z", "start", "online", "{}",
                                    kZeroHash)));
  EXPECT_TRUE(ParseEntry(EntryText(key.public_hex(), 0, "2020-01-01T00:00:00Z", "start",
                                   "online", "{}", kZeroHash)));
}

}  // namespace
}  // namespace vigil::watch
