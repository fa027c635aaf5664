#include "server/credentials.h"

#include <cstdlib>
#include <mutex>

#include <sodium.h>

namespace vigil::server {
namespace {

void InitSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    // sodium_init fails only when the system has no usable randomness source; nothing
    // secure can be done then.
    if (sodium_init() < 0) std::abort();
  });
}

std::string Hex(const unsigned char* data, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, n);
  out.pop_back();
  return out;
}

}  // namespace

Result<std::string> HashPassword(std::string_view password) {
  InitSodium();
  if (password.empty()) return Fail("invalid_argument", "the password is empty");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Fail("crypto_error", "Argon2id hashing failed (out of memory?)");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  InitSodium();
  std::string h(hash);  // crypto_pwhash_str_verify wants a NUL-terminated string
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

std::string NewApiToken() {
  InitSodium();
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(sizeof bytes, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, sizeof bytes, variant);
  out.resize(out.find('\0'));
  return out;
}

std::string TokenHash(std::string_view token) {
  InitSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return Hex(digest, sizeof digest);
}

std::string RandomBytes(size_t n) {
  InitSodium();
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

std::string Mac(std::string_view key, std::string_view message) {
  InitSodium();
  unsigned char k[crypto_auth_KEYBYTES];
  crypto_generichash(k, sizeof k, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                     nullptr, 0);
  unsigned char mac[crypto_auth_BYTES];
  crypto_auth(mac, reinterpret_cast<const unsigned char*>(message.data()), message.size(), k);
  return Hex(mac, sizeof mac);
}

}  // namespace vigil::server
