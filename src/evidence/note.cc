#include "evidence/note.h"

#include <fmt/format.h>

#include "core/base64.h"

namespace vigil::evidence {
namespace {

constexpr std::string_view kDash = "\xe2\x80\x94 ";  // U+2014 and a space

bool ValidUtf8NoControls(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      if ((b < 0x20 && b != '\n') || b == 0x7f) return false;
      ++i;
      continue;
    }
    const size_t n = (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 2 ? b & 0x1fu : n == 3 ? b & 0x0fu : b & 0x07u;
    for (size_t k = 1; k < n; ++k) {
      const auto c = static_cast<uint8_t>(s[i + k]);
      if ((c >> 6) != 2) return false;
      cp = cp << 6 | (c & 0x3fu);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n;
  }
  return true;
}

Result<NoteSignature> ParseSignatureLine(std::string_view line) {
  if (!line.starts_with(kDash)) return Fail("parse_error", "a signature line starts with an em dash and a space");
  line.remove_prefix(kDash.size());
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) return Fail("parse_error", "a signature line is '— name signature'");
  NoteSignature s;
  s.name = std::string(line.substr(0, space));
  if (!IsValidKeyName(s.name)) return Fail("parse_error", fmt::format("'{}' is not a valid key name", s.name));
  const std::string_view b64 = line.substr(space + 1);
  auto bytes = Base64Decode(b64);
  if (!bytes || Base64Encode(*bytes) != b64 || bytes->size() < 5) {
    return Fail("parse_error", fmt::format("the signature of {} is not canonical base64 of a key id and a signature", s.name));
  }
  s.key_id = uint32_t{static_cast<uint8_t>((*bytes)[0])} << 24 | uint32_t{static_cast<uint8_t>((*bytes)[1])} << 16 |
             uint32_t{static_cast<uint8_t>((*bytes)[2])} << 8 | uint32_t{static_cast<uint8_t>((*bytes)[3])};
  s.signature = bytes->substr(4);
  return s;
}

}  // namespace

std::string NoteSignature::Line() const {
  std::string raw;
  for (int shift = 24; shift >= 0; shift -= 8) raw += static_cast<char>((key_id >> shift) & 0xff);
  raw += signature;
  return fmt::format("{}{} {}\n", kDash, name, Base64Encode(raw));
}

std::string Note::Format() const {
  std::string out = text + "\n";
  for (const auto& s : signatures) out += s.Line();
  return out;
}

bool IsValidNoteText(std::string_view text) {
  return !text.empty() && text.back() == '\n' && text.size() <= kMaxNoteBytes && ValidUtf8NoControls(text);
}

Result<std::vector<NoteSignature>> ParseSignatureLines(std::string_view bytes) {
  if (bytes.size() > kMaxNoteBytes) return Fail("parse_error", "the signatures are over 1 MiB");
  if (!ValidUtf8NoControls(bytes)) return Fail("parse_error", "not UTF-8 text without control characters");
  if (bytes.empty() || bytes.back() != '\n') return Fail("parse_error", "signature lines end in a newline");
  std::vector<NoteSignature> out;
  for (size_t at = 0; at < bytes.size();) {
    const size_t nl = bytes.find('\n', at);
    if (out.size() == kMaxSignatures) return Fail("parse_error", fmt::format("more than {} signatures", kMaxSignatures));
    auto s = ParseSignatureLine(bytes.substr(at, nl - at));
    if (!s) return tl::unexpected(s.error());
    out.push_back(std::move(*s));
    at = nl + 1;
  }
  return out;
}

Result<Note> ParseNote(std::string_view bytes) {
  if (bytes.size() > kMaxNoteBytes) return Fail("parse_error", "the note is over 1 MiB");
  if (!ValidUtf8NoControls(bytes)) return Fail("parse_error", "a note is UTF-8 text without control characters but newline");
  // The text ends at the last blank line: "\n\n" followed by the signature lines.
  const size_t split = bytes.rfind("\n\n");
  if (split == std::string_view::npos) return Fail("parse_error", "a note has a blank line before its signatures");
  Note note;
  note.text = std::string(bytes.substr(0, split + 1));
  auto sigs = ParseSignatureLines(bytes.substr(split + 2));
  if (!sigs) return tl::unexpected(sigs.error());
  note.signatures = std::move(*sigs);
  return note;
}

NoteSignature SignNote(const SigningKey& key, std::string_view text) {
  return {key.name(), KeyId(key.name(), kTypeEd25519, key.public_key()), key.Sign(text)};
}

std::string CosignedMessage(std::string_view checkpoint_text, uint64_t timestamp) {
  return fmt::format("cosignature/v1\ntime {}\n{}", timestamp, checkpoint_text);
}

NoteSignature Cosign(const SigningKey& key, std::string_view checkpoint_text, uint64_t timestamp) {
  std::string sig;
  for (int shift = 56; shift >= 0; shift -= 8) sig += static_cast<char>((timestamp >> shift) & 0xff);
  sig += key.Sign(CosignedMessage(checkpoint_text, timestamp));
  return {key.name(), KeyId(key.name(), kTypeCosignature, key.public_key()), sig};
}

Result<std::vector<VerifiedSignature>> VerifyNote(const Note& note, std::span<const VerifierKey> known) {
  if (!IsValidNoteText(note.text)) return Fail("parse_error", "the note's text is malformed");
  std::vector<VerifiedSignature> out;
  for (const auto& s : note.signatures) {
    for (const auto& k : known) {
      if (k.name != s.name || k.key_id != s.key_id) continue;
      bool ok = false;
      VerifiedSignature v{k.name, k.type, 0};
      if (k.type == kTypeEd25519) {
        ok = VerifyEd25519(k.key, note.text, s.signature);
      } else if (k.type == kTypeCosignature && s.signature.size() == 8 + 64) {
        for (int i = 0; i < 8; ++i) v.timestamp = v.timestamp << 8 | static_cast<uint8_t>(s.signature[static_cast<size_t>(i)]);
        ok = v.timestamp <= (uint64_t{1} << 63) - 1 &&
             VerifyEd25519(k.key, CosignedMessage(note.text, v.timestamp), std::string_view(s.signature).substr(8));
      }
      if (!ok) return Fail("verification_failed", fmt::format("the signature of {} does not verify", s.name));
      out.push_back(v);
    }
  }
  if (out.empty()) return Fail("unverified", "no signature from a known key");
  return out;
}

}  // namespace vigil::evidence
