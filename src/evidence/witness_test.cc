#include "evidence/witness.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <unistd.h>

#include "evidence/checkpoint.h"
#include "evidence/merkle.h"
#include "evidence/note.h"

namespace vigil::evidence {
namespace {

// A log for the test: a tree, its key, and signed checkpoints of it.
struct TestLog {
  std::string origin = "vigil.example/log";
  SigningKey key = SigningKey::Generate(origin);
  MemoryTree tree;
  void Grow(int n, const std::string& tag = "") {
    for (int i = 0; i < n; ++i) tree.Append(LeafHash(tag + std::to_string(tree.size())));
  }
  std::string Signed(uint64_t size) {
    Checkpoint c{origin, size, *TreeHash(tree, size), {}};
    Note note{c.Body(), {SignNote(key, c.Body())}};
    return note.Format();
  }
  std::string Request(uint64_t old_size, uint64_t size) {
    std::vector<Hash> proof;
    if (old_size > 0) proof = *ConsistencyProof(tree, old_size, size);
    return FormatAddCheckpoint(old_size, proof, Signed(size));
  }
};

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/vigil-witness-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    state_ = dir_ + "/state";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<Witness> Open() {
    auto w = Witness::Open(witness_key_, {{log_.origin, {log_.key.Verifier()}}}, state_, clock_);
    EXPECT_TRUE(w) << w.error().ToString();
    return w ? std::move(*w) : nullptr;
  }
  std::string dir_, state_;
  FakeClock clock_;
  TestLog log_;
  SigningKey witness_key_ = SigningKey::Generate("partner.example/witness");
};

TEST_F(WitnessTest, CosignsAConsistentlyGrowingLogAndRemembersIt) {
  auto w = Open();
  log_.Grow(10);
  auto first = w->AddCheckpoint(log_.Request(0, 10));
  ASSERT_EQ(first.status, 200) << first.body;
  // The answer is a cosignature line that verifies over the checkpoint with the witness's key.
  auto note = ParseNote(log_.Signed(10) + first.body);
  ASSERT_TRUE(note) << note.error().ToString();
  const VerifierKey keys[] = {witness_key_.Verifier(kTypeCosignature)};
  auto verified = VerifyNote(*note, keys);
  ASSERT_TRUE(verified) << verified.error().ToString();
  EXPECT_EQ((*verified)[0].timestamp, 1577836800u);

  log_.Grow(300);
  EXPECT_EQ(w->AddCheckpoint(log_.Request(10, 310)).status, 200);
  EXPECT_EQ(w->Last(log_.origin).size, 310u);
  // The state survives a restart of the witness.
  w.reset();
  w = Open();
  EXPECT_EQ(w->Last(log_.origin).size, 310u);
  log_.Grow(5);
  EXPECT_EQ(w->AddCheckpoint(log_.Request(310, 315)).status, 200);
}

TEST_F(WitnessTest, RefusesAForkedLog) {
  auto w = Open();
  log_.Grow(20);
  ASSERT_EQ(w->AddCheckpoint(log_.Request(0, 20)).status, 200);
  // The same log key shows another tree: the first 20 leaves differ from what was cosigned.
  TestLog fork;
  fork.key = log_.key;
  fork.Grow(30, "fork ");
  auto answer = w->AddCheckpoint(fork.Request(20, 30));
  EXPECT_EQ(answer.status, 422) << answer.body;
  EXPECT_NE(answer.body.find("forked"), std::string::npos);
  EXPECT_EQ(w->Last(log_.origin).size, 20u) << "a refused checkpoint changes nothing";
  // Same size, another root.
  TestLog same_size;
  same_size.key = log_.key;
  same_size.Grow(20, "other ");
  EXPECT_EQ(w->AddCheckpoint(FormatAddCheckpoint(20, {}, same_size.Signed(20))).status, 422);
}

TEST_F(WitnessTest, AnswersEachBadRequestAsTheProtocolSays) {
  auto w = Open();
  log_.Grow(8);
  ASSERT_EQ(w->AddCheckpoint(log_.Request(0, 4)).status, 200);
  // A stale old size: 409 with the size the witness holds.
  auto stale = w->AddCheckpoint(log_.Request(0, 8));
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.content_type, "text/x.tlog.size");
  EXPECT_EQ(stale.body, "4\n");
  // Unknown origin.
  TestLog other;
  other.origin = "other.example/log";
  other.key = SigningKey::Generate(other.origin);
  other.Grow(3);
  EXPECT_EQ(w->AddCheckpoint(other.Request(0, 3)).status, 404);
  // Signed by another key under the log's name.
  TestLog impostor;
  impostor.Grow(8);
  EXPECT_EQ(w->AddCheckpoint(impostor.Request(4, 8)).status, 403);
  // Old size above the new one; garbage; a proof from the empty tree.
  EXPECT_EQ(w->AddCheckpoint(FormatAddCheckpoint(9, {}, log_.Signed(8))).status, 400);
  EXPECT_EQ(w->AddCheckpoint("hello").status, 400);
  EXPECT_EQ(w->AddCheckpoint("old 4\nnot base64\n\n" + log_.Signed(8)).status, 400);
  EXPECT_EQ(w->AddCheckpoint("old 04\n\n" + log_.Signed(8)).status, 400);
  // A proof that does not verify.
  auto proof = *ConsistencyProof(log_.tree, 4, 8);
  proof[0][0] ^= 1;
  EXPECT_EQ(w->AddCheckpoint(FormatAddCheckpoint(4, proof, log_.Signed(8))).status, 422);
  EXPECT_EQ(w->Last(log_.origin).size, 4u);
}

TEST_F(WitnessTest, OneProcessPerStateFile) {
  auto w = Open();
  auto second = Witness::Open(witness_key_, {}, state_, clock_);
  EXPECT_FALSE(second);
}

}  // namespace
}  // namespace vigil::evidence
