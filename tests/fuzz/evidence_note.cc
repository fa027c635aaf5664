// libFuzzer target for the evidence log's text formats from outside (a server's checkpoint, a
// witness's answer, a bundle's files, a tile request): signed notes, checkpoint bodies,
// signature lines, verifier keys, tile paths, entry bundles and witness add-checkpoint
// requests. Each either parses or is an Error; whatever parses formats back to what parses
// the same (no crash, no unbounded work).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <unistd.h>

#include "core/clock.h"
#include "evidence/checkpoint.h"
#include "evidence/note.h"
#include "evidence/witness.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::evidence;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto note = ParseNote(in)) {
    auto again = ParseNote(note->Format());
    Check(again && again->text == note->text && again->signatures.size() == note->signatures.size());
    if (auto c = ParseCheckpointBody(note->text)) {
      auto back = ParseCheckpointBody(c->Body());
      Check(back && back->size == c->size && back->root == c->root && back->origin == c->origin);
    }
    static const SigningKey key = SigningKey::Generate("fuzz.example/log");
    const VerifierKey known[] = {key.Verifier(), key.Verifier(kTypeCosignature)};
    (void)VerifyNote(*note, known);
  }
  (void)ParseSignatureLines(in);
  (void)ParseVerifierKey(in);
  if (auto t = ParseTilePath(in)) {
    auto back = ParseTilePath(t->Format());
    Check(back && back->index == t->index && back->level == t->level && back->width == t->width);
  }
  (void)DecodeEntryBundle(in);
  // The witness's request parser: a witness that knows the fuzz log.
  static vigil::FakeClock clock;
  static const SigningKey log_key = SigningKey::Generate("fuzz.example/log");
  static auto witness = Witness::Open(SigningKey::Generate("fuzz.example/witness"),
                                      {{"fuzz.example/log", {log_key.Verifier()}}},
                                      "/tmp/vigil-fuzz-witness-" + std::to_string(::getpid()) + "/state", clock);
  if (witness) (void)(*witness)->AddCheckpoint(in);
  return 0;
}
