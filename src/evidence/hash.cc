#include "evidence/hash.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

#include "core/base64.h"

namespace vigil::evidence {
namespace {

// One fetched implementation for the process and one context per thread: EVP_Digest with
// EVP_sha256() looks the algorithm up in OpenSSL's provider tables on every call.
EVP_MD_CTX* ThreadContext() {
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, Free> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

const EVP_MD* Md() {
  static EVP_MD* const fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return fetched != nullptr ? fetched : EVP_sha256();
}

Hash Digest(std::initializer_list<std::string_view> parts) {
  Hash out{};
  unsigned int len = 0;
  EVP_MD_CTX* ctx = ThreadContext();
  bool ok = ctx != nullptr && EVP_DigestInit_ex2(ctx, Md(), nullptr) == 1;
  for (std::string_view p : parts) ok = ok && EVP_DigestUpdate(ctx, p.data(), p.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == out.size();
  // SHA-256 cannot fail but for lack of memory: a wrong hash would be worse than stopping.
  if (!ok) std::abort();
  return out;
}

std::string_view View(const Hash& h) { return {reinterpret_cast<const char*>(h.data()), h.size()}; }

}  // namespace

Hash Sha256(std::string_view bytes) { return Digest({bytes}); }
Hash LeafHash(std::string_view entry) { return Digest({std::string_view("\x00", 1), entry}); }
Hash NodeHash(const Hash& left, const Hash& right) { return Digest({"\x01", View(left), View(right)}); }
Hash EmptyTreeHash() { return Digest({}); }

std::string HexOf(const Hash& h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : h) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::string Base64Of(const Hash& h) { return Base64Encode(View(h)); }

std::optional<Hash> HashFromHex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Hash h{};
  for (size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    h[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return h;
}

std::optional<Hash> HashFromBase64(std::string_view b64) {
  auto bytes = Base64Decode(b64);
  // Only the canonical spelling: a hash has one text, so two texts never name one hash.
  if (!bytes || bytes->size() != 32 || Base64Encode(*bytes) != b64) return std::nullopt;
  Hash h{};
  for (size_t i = 0; i < 32; ++i) h[i] = static_cast<uint8_t>((*bytes)[i]);
  return h;
}

}  // namespace vigil::evidence
