// Credentials: password hashing (Argon2id through libsodium's crypto_pwhash_str), API
// tokens (256 random bits, base64url, shown once) and the SHA-256 hex digest under which a
// token is stored. The store never sees a password or a token, only these hashes.
//
// Thread-safety: every function is safe to call from many threads (libsodium is
// initialised once, on first use).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace vigil::server {

// An Argon2id hash string ("$argon2id$v=19$m=...") of `password`, with libsodium's
// interactive limits. "invalid_argument" for an empty password, "crypto_error" when
// libsodium fails (out of memory).
Result<std::string> HashPassword(std::string_view password);
// Whether `password` matches `hash` (false for a malformed hash).
bool VerifyPassword(std::string_view hash, std::string_view password);

// A fresh API token: 32 random bytes in base64url without padding (43 characters).
std::string NewApiToken();
// What the store keeps for a token: lower-case hex SHA-256 of its text.
std::string TokenHash(std::string_view token);

// Random bytes for keys (report ids' MAC key).
std::string RandomBytes(size_t n);
// HMAC-SHA-512-256 of `message` under `key` (any length; hashed to 32 bytes), hex.
std::string Mac(std::string_view key, std::string_view message);

}  // namespace vigil::server
