// C2SP signed notes (c2sp.org/signed-note): a text ending in a newline, a blank line, and
// signature lines "— <key name> base64(key id || signature)". Checkpoints are notes; so are
// the cosignatures witnesses add to them.
//
// Parsing is strict and bounded (outside input: a checkpoint from a server, a witness's
// answer, a bundle): valid UTF-8, no control character but newline, at most kMaxNoteBytes and
// kMaxSignatures, canonical base64, valid key names. Verification follows the specification:
// signatures from unknown keys are ignored; one from a known key that fails rejects the note;
// a note with no verified signature from a known key is rejected.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "evidence/keys.h"

namespace vigil::evidence {

inline constexpr size_t kMaxNoteBytes = 1 << 20;
inline constexpr size_t kMaxSignatures = 100;

struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  std::string signature;  // the bytes after the key id

  std::string Line() const;  // "— name base64(...)\n"
};

struct Note {
  std::string text;  // ends in '\n'
  std::vector<NoteSignature> signatures;

  std::string Format() const;
};

// Errors: "parse_error" naming what is malformed.
Result<Note> ParseNote(std::string_view bytes);
// Signature lines alone ("— name sig\n"...), as a witness answers add-checkpoint.
Result<std::vector<NoteSignature>> ParseSignatureLines(std::string_view bytes);
// Whether `text` can be a note's text: non-empty, ends in '\n', valid UTF-8, no control
// character but '\n', within the size bound.
bool IsValidNoteText(std::string_view text);

// A note signature by `key` (type 0x01) over `text`.
NoteSignature SignNote(const SigningKey& key, std::string_view text);

// A c2sp.org/tlog-cosignature v1 (type 0x04, Ed25519): signature = big-endian u64 timestamp
// || Ed25519("cosignature/v1\ntime <t>\n" || text).
NoteSignature Cosign(const SigningKey& key, std::string_view checkpoint_text, uint64_t timestamp);
std::string CosignedMessage(std::string_view checkpoint_text, uint64_t timestamp);

struct VerifiedSignature {
  std::string name;
  uint8_t type = 0;
  uint64_t timestamp = 0;  // cosignatures only
};

// Checks `note` against the known keys. Returns the signatures that verified (from known keys
// only). Errors: "verification_failed" (a known key's signature does not verify: names it),
// "unverified" (no signature from a known key).
Result<std::vector<VerifiedSignature>> VerifyNote(const Note& note, std::span<const VerifierKey> known);

}  // namespace vigil::evidence
