#include "evidence/keys.h"

#include <sodium.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/base64.h"
#include "core/private_file.h"
#include "evidence/hash.h"

namespace vigil::evidence {
namespace {

void InitSodium() {
  // Fails only without an entropy source, which makes every key and signature impossible.
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();
}

constexpr std::string_view kPrivatePrefix = "PRIVATE+KEY+";

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when malformed.
size_t Utf8Length(std::string_view s, size_t i, uint32_t& cp) {
  const auto b = static_cast<uint8_t>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  cp = n == 1 ? b : n == 2 ? b & 0x1fu : n == 3 ? b & 0x0fu : b & 0x07u;
  for (size_t k = 1; k < n; ++k) {
    const auto c = static_cast<uint8_t>(s[i + k]);
    if ((c >> 6) != 2) return 0;
    cp = cp << 6 | (c & 0x3fu);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

bool IsUnicodeSpace(uint32_t cp) {
  return cp == 0x20 || (cp >= 0x09 && cp <= 0x0d) || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
         cp == 0x3000;
}

std::string_view View(const uint8_t* p, size_t n) { return {reinterpret_cast<const char*>(p), n}; }

}  // namespace

bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size();) {
    uint32_t cp = 0;
    const size_t n = Utf8Length(name, i, cp);
    if (n == 0 || cp == '+' || cp < 0x20 || cp == 0x7f || IsUnicodeSpace(cp)) return false;
    i += n;
  }
  return true;
}

uint32_t KeyId(std::string_view name, uint8_t type, const PublicKey& key) {
  std::string msg(name);
  msg += '\n';
  msg += static_cast<char>(type);
  msg += View(key.data(), key.size());
  const Hash h = Sha256(msg);
  return uint32_t{h[0]} << 24 | uint32_t{h[1]} << 16 | uint32_t{h[2]} << 8 | uint32_t{h[3]};
}

std::string FormatVerifierKey(const VerifierKey& v) {
  std::string material(1, static_cast<char>(v.type));
  material += View(v.key.data(), v.key.size());
  return fmt::format("{}+{:08x}+{}", v.name, v.key_id, Base64Encode(material));
}

Result<VerifierKey> ParseVerifierKey(std::string_view text) {
  // Split from the left: a name holds no '+', but base64 may.
  const size_t mid = text.find('+');
  const size_t last = mid == std::string_view::npos ? mid : text.find('+', mid + 1);
  if (last == std::string_view::npos) return Fail("parse_error", "a verifier key is name+keyid+base64(key)");
  VerifierKey v;
  v.name = std::string(text.substr(0, mid));
  const std::string_view id = text.substr(mid + 1, last - mid - 1);
  if (!IsValidKeyName(v.name)) return Fail("parse_error", "the verifier key's name is not a valid key name");
  if (id.size() != 8 || id.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return Fail("parse_error", "the verifier key's id is not 8 lower-case hex digits");
  }
  v.key_id = static_cast<uint32_t>(std::strtoul(std::string(id).c_str(), nullptr, 16));
  const std::string_view b64 = text.substr(last + 1);
  auto material = Base64Decode(b64);
  if (!material || Base64Encode(*material) != b64 || material->size() != 33) {
    return Fail("parse_error", "the verifier key's material is not base64 of a type byte and a 32-byte key");
  }
  v.type = static_cast<uint8_t>((*material)[0]);
  if (v.type != kTypeEd25519 && v.type != kTypeCosignature) {
    return Fail("parse_error", fmt::format("unsupported verifier key type 0x{:02x}", v.type));
  }
  for (size_t i = 0; i < 32; ++i) v.key[i] = static_cast<uint8_t>((*material)[i + 1]);
  if (KeyId(v.name, v.type, v.key) != v.key_id) return Fail("parse_error", "the verifier key's id does not match its key");
  return v;
}

SigningKey SigningKey::Generate(std::string name) {
  InitSodium();
  SigningKey k;
  k.name_ = std::move(name);
  crypto_sign_keypair(k.public_.data(), k.secret_.data());
  return k;
}

Result<SigningKey> SigningKey::Parse(std::string_view line) {
  InitSodium();
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (!line.starts_with(kPrivatePrefix)) return Fail("parse_error", "not a Vigil key file (PRIVATE+KEY+name+id+key)");
  const std::string_view rest = line.substr(kPrivatePrefix.size());
  const size_t mid = rest.find('+');
  const size_t last = mid == std::string_view::npos ? mid : rest.find('+', mid + 1);
  if (last == std::string_view::npos) return Fail("parse_error", "a key file line is PRIVATE+KEY+name+id+key");
  SigningKey k;
  k.name_ = std::string(rest.substr(0, mid));
  auto material = Base64Decode(rest.substr(last + 1));
  if (!IsValidKeyName(k.name_) || !material || material->size() != 33 ||
      static_cast<uint8_t>((*material)[0]) != kTypeEd25519) {
    return Fail("parse_error", "the key file does not hold an Ed25519 key");
  }
  std::array<uint8_t, 32> seed{};
  for (size_t i = 0; i < 32; ++i) seed[i] = static_cast<uint8_t>((*material)[i + 1]);
  crypto_sign_seed_keypair(k.public_.data(), k.secret_.data(), seed.data());
  sodium_memzero(seed.data(), seed.size());
  const std::string id = fmt::format("{:08x}", KeyId(k.name_, kTypeEd25519, k.public_));
  if (rest.substr(mid + 1, last - mid - 1) != id) return Fail("parse_error", "the key file's id does not match its key");
  return k;
}

Result<SigningKey> SigningKey::LoadOrCreate(const std::string& path, const std::string& name) {
  if (!IsValidKeyName(name)) return Fail("invalid_argument", fmt::format("'{}' is not a valid key name", name));
  std::ifstream in(path);
  if (!in) {
    SigningKey k = Generate(name);
    auto written = WritePrivateFile(path, k.Format() + "\n", ExistingFile::kKeep);
    if (!written) return tl::unexpected(written.error());
    if (*written) return k;
    in.open(path);  // another process created it meanwhile: use theirs
  }
  std::string line;
  if (!std::getline(in, line)) return Fail("io_error", "cannot read " + path);
  auto k = Parse(line);
  if (!k) return Fail(k.error().failure, path + ": " + k.error().message);
  if (k->name() != name) {
    return Fail("parse_error", fmt::format("{} holds the key of '{}', not of '{}'", path, k->name(), name));
  }
  return k;
}

VerifierKey SigningKey::Verifier(uint8_t type) const { return {name_, KeyId(name_, type, public_), type, public_}; }

std::string SigningKey::Sign(std::string_view message) const {
  std::array<uint8_t, crypto_sign_BYTES> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_.data());
  return std::string(View(sig.data(), sig.size()));
}

std::string SigningKey::Format() const {
  std::string material(1, static_cast<char>(kTypeEd25519));
  material += View(secret_.data(), 32);  // the seed
  return fmt::format("{}{}+{:08x}+{}", kPrivatePrefix, name_, KeyId(name_, kTypeEd25519, public_),
                     Base64Encode(material));
}

bool VerifyEd25519(const PublicKey& key, std::string_view message, std::string_view signature) {
  InitSodium();
  if (signature.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                     key.data()) == 0;
}

}  // namespace vigil::evidence
