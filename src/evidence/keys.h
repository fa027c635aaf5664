// Ed25519 keys (libsodium) for the evidence log, witnesses and probes, and their text forms.
//
// A key file holds one line in the form Go's golang.org/x/mod/sumdb/note uses for signer keys:
//   PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || 32-byte seed)>
// and is created 0600 on first use (core/private_file.h); it is never written into a store or
// a bundle. The public side is a C2SP signed-note verifier key ("vkey"):
//   <name>+<hex key id>+<base64(type || 32-byte public key)>
// where the key id is SHA-256(name || 0x0A || type || public key)[:4], type 0x01 for note
// signatures and 0x04 for checkpoint cosignatures (c2sp.org/signed-note, tlog-cosignature).
//
// Thread-safety: a SigningKey is immutable after creation; Sign may be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace vigil::evidence {

inline constexpr uint8_t kTypeEd25519 = 0x01;
inline constexpr uint8_t kTypeCosignature = 0x04;

using PublicKey = std::array<uint8_t, 32>;

// Whether `name` may name a key: non-empty, valid UTF-8, no Unicode space, no '+'.
bool IsValidKeyName(std::string_view name);

uint32_t KeyId(std::string_view name, uint8_t type, const PublicKey& key);

struct VerifierKey {
  std::string name;
  uint32_t key_id = 0;
  uint8_t type = 0;
  PublicKey key{};
};
std::string FormatVerifierKey(const VerifierKey& v);
// Errors: "parse_error" naming what is wrong; the key id must match the key.
Result<VerifierKey> ParseVerifierKey(std::string_view text);

class SigningKey {
 public:
  static SigningKey Generate(std::string name);
  // Reads the key file at `path`, or creates it (0600, atomically) with a new key named
  // `name`. Errors: "io_error", "parse_error" (not a key file, or a key of another name).
  static Result<SigningKey> LoadOrCreate(const std::string& path, const std::string& name);
  static Result<SigningKey> Parse(std::string_view line);

  const std::string& name() const { return name_; }
  const PublicKey& public_key() const { return public_; }
  // The verifier key for signatures of `type` (kTypeEd25519 or kTypeCosignature).
  VerifierKey Verifier(uint8_t type = kTypeEd25519) const;
  // The 64-byte Ed25519 signature of `message`.
  std::string Sign(std::string_view message) const;
  std::string Format() const;  // the key file's line

 private:
  std::string name_;
  std::array<uint8_t, 64> secret_{};  // libsodium's secret key: seed then public key
  PublicKey public_{};
};

bool VerifyEd25519(const PublicKey& key, std::string_view message, std::string_view signature);

}  // namespace vigil::evidence
