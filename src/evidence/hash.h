// SHA-256 and the Merkle tree hashing of RFC 6962 / RFC 9162 (section 2.1), the one hashing
// every part of the evidence log uses: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 ||
// left || right), and the empty tree's root = SHA-256 of nothing.
//
// Thread-safety: plain functions; safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::evidence {

using Hash = std::array<uint8_t, 32>;

Hash Sha256(std::string_view bytes);
Hash LeafHash(std::string_view entry);
Hash NodeHash(const Hash& left, const Hash& right);
Hash EmptyTreeHash();

// Lower-case hex and standard base64 (RFC 4648, section 4) of a hash, and back.
std::string HexOf(const Hash& h);
std::string Base64Of(const Hash& h);
std::optional<Hash> HashFromHex(std::string_view hex);
std::optional<Hash> HashFromBase64(std::string_view b64);

}  // namespace vigil::evidence
