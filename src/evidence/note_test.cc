#include "evidence/note.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vigil::evidence {
namespace {

TEST(NoteTest, VerifiesTheSpecificationsExample) {
  // c2sp.org/signed-note, "Verifier keys", Example.
  auto vkey = ParseVerifierKey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
  ASSERT_TRUE(vkey) << vkey.error().ToString();
  auto note = ParseNote(
      "This is an example message.\n\n"
      "\xe2\x80\x94 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n");
  ASSERT_TRUE(note) << note.error().ToString();
  EXPECT_EQ(note->text, "This is an example message.\n");
  auto verified = VerifyNote(*note, std::span(&*vkey, 1));
  ASSERT_TRUE(verified) << verified.error().ToString();
  EXPECT_EQ(verified->size(), 1u);
  note->text = "This is an example message!\n";
  auto tampered = VerifyNote(*note, std::span(&*vkey, 1));
  ASSERT_FALSE(tampered);
  EXPECT_EQ(tampered.error().failure, "verification_failed");
}

TEST(NoteTest, SignsCosignsAndIgnoresUnknownKeys) {
  const SigningKey log = SigningKey::Generate("vigil.example/log");
  const SigningKey witness = SigningKey::Generate("partner.example/witness");
  const SigningKey stranger = SigningKey::Generate("vigil.example/log");  // same name, other key
  Note note{"vigil.example/log\n5\nAAAA\n", {}};
  note.signatures.push_back(SignNote(stranger, note.text));
  note.signatures.push_back(SignNote(log, note.text));
  note.signatures.push_back(Cosign(witness, note.text, 1700000000));
  auto parsed = ParseNote(note.Format());
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  ASSERT_EQ(parsed->signatures.size(), 3u);
  const VerifierKey keys[] = {log.Verifier(), witness.Verifier(kTypeCosignature)};
  auto verified = VerifyNote(*parsed, keys);
  ASSERT_TRUE(verified) << verified.error().ToString();
  ASSERT_EQ(verified->size(), 2u);
  EXPECT_EQ((*verified)[1].name, "partner.example/witness");
  EXPECT_EQ((*verified)[1].timestamp, 1700000000u);
  // Only the stranger's key known: its signature verifies; the others are ignored.
  const VerifierKey only_stranger[] = {stranger.Verifier()};
  EXPECT_TRUE(VerifyNote(*parsed, only_stranger));
  // No known key at all.
  const VerifierKey nobody[] = {SigningKey::Generate("x.example/y").Verifier()};
  auto none = VerifyNote(*parsed, nobody);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().failure, "unverified");
  // A cosignature's timestamp is signed: changing it breaks the signature.
  Note moved = *parsed;
  moved.signatures[2].signature[7] ^= 1;
  auto bad = VerifyNote(moved, keys);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().failure, "verification_failed");
}

TEST(NoteTest, RefusesMalformedNotes) {
  const std::string sig = "\xe2\x80\x94 a.example/k AAAAAAAA\n";
  EXPECT_FALSE(ParseNote("no blank line\n" + sig));
  EXPECT_FALSE(ParseNote("text\n\n"));                                  // no signature
  EXPECT_FALSE(ParseNote("text\n\n-- a.example/k AAAAAAAA\n"));          // not an em dash
  EXPECT_FALSE(ParseNote("text\n\n\xe2\x80\x94 a.example/k AAAA\n"));     // shorter than a key id
  EXPECT_FALSE(ParseNote("text\n\n\xe2\x80\x94 a.example/k AAAAAAAA"));   // no final newline
  EXPECT_FALSE(ParseNote("text\n\n\xe2\x80\x94 a+b AAAAAAAA\n"));         // '+' in a key name
  EXPECT_FALSE(ParseNote("te\txt\n\n" + sig));                            // a control character
  EXPECT_FALSE(ParseNote("te\xff xt\n\n" + sig));                         // not UTF-8
  EXPECT_FALSE(ParseNote("text\n\n\xe2\x80\x94 a.example/k AAAAAAB=\n"));  // not canonical base64
  std::string many = "text\n\n";
  for (int i = 0; i < 101; ++i) many += sig;
  EXPECT_FALSE(ParseNote(many));
  EXPECT_FALSE(ParseNote(std::string(kMaxNoteBytes + 1, 'a')));
  auto ok = ParseNote("text\n\nmore text\n\n" + sig);  // the text may hold blank lines
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->text, "text\n\nmore text\n");
}

TEST(NoteTest, KeysWhoseBase64HoldsAPlusParse) {
  // Base64 uses '+': a key's text is split at the first separators, never the last ones.
  for (int i = 0; i < 200; ++i) {
    const SigningKey k = SigningKey::Generate("vigil.example/log");
    auto back = SigningKey::Parse(k.Format());
    ASSERT_TRUE(back) << k.Format() << ": " << back.error().ToString();
    EXPECT_EQ(back->public_key(), k.public_key());
    auto v = ParseVerifierKey(FormatVerifierKey(k.Verifier()));
    ASSERT_TRUE(v) << FormatVerifierKey(k.Verifier());
  }
}

TEST(NoteTest, KeyFilesArePrivateAndRoundTrip) {
  const std::string dir = ::testing::TempDir() + "/vigil-keys-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  const std::string path = dir + "/log.key";
  auto created = SigningKey::LoadOrCreate(path, "vigil.example/log");
  ASSERT_TRUE(created) << created.error().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = SigningKey::LoadOrCreate(path, "vigil.example/log");
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(again->public_key(), created->public_key());
  EXPECT_FALSE(SigningKey::LoadOrCreate(path, "other.example/log")) << "a key file holds one name's key";
  // Verifier keys round-trip, and a wrong id is refused.
  const std::string vkey = FormatVerifierKey(created->Verifier());
  auto parsed = ParseVerifierKey(vkey);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->key, created->public_key());
  std::string wrong = vkey;
  wrong[wrong.find('+') + 1] = wrong[wrong.find('+') + 1] == '0' ? '1' : '0';
  EXPECT_FALSE(ParseVerifierKey(wrong));
  std::ofstream(path) << "garbage\n";
  EXPECT_FALSE(SigningKey::LoadOrCreate(path, "vigil.example/log"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil::evidence
