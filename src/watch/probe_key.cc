#include "watch/probe_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/private_file.h"
#include "watch/journal_verify.h"

namespace vigil::watch {
namespace {

static_assert(crypto_sign_SECRETKEYBYTES == 64);
static_assert(crypto_sign_PUBLICKEYBYTES == 32);

void InitSodium() {
  // Fails only without an entropy source, which makes every key and signature impossible.
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

Result<std::string> ReadSmallFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail("io_error", Errno("cannot open " + path));
  std::string text;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Fail("io_error", Errno("cannot read " + path));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > 4096) break;
  }
  ::close(fd);
  return text;
}

}  // namespace

std::string KeyPathForJournal(const std::string& journal_path) { return journal_path + ".key"; }

ProbeKey ProbeKey::Generate() {
  InitSodium();
  ProbeKey key;
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pk{};
  crypto_sign_keypair(pk.data(), key.secret_.data());
  key.public_hex_ = ToHex(pk.data(), pk.size());
  return key;
}

Result<ProbeKey> ProbeKey::LoadOrCreate(const std::string& path) {
  InitSodium();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Fail("io_error", Errno("cannot stat " + path));
    ProbeKey key = Generate();
    // Whole or not at all (a kill at any moment leaves no half key), 0600 whatever the umask;
    // a key another process wrote meanwhile is kept and read below.
    auto written = WritePrivateFile(path, ToHex(key.secret_.data(), key.secret_.size()) + "\n",
                                    ExistingFile::kKeep);
    if (!written) return tl::unexpected(written.error());
    if (*written) return key;
  }
  auto text = ReadSmallFile(path);
  if (!text) return tl::unexpected(text.error());
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
  ProbeKey key;
  if (!FromHex(*text, key.secret_.data(), key.secret_.size())) {
    return Fail("parse_error", path + " is not a probe key (128 hex digits)");
  }
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pk{};
  crypto_sign_ed25519_sk_to_pk(pk.data(), key.secret_.data());
  key.public_hex_ = ToHex(pk.data(), pk.size());
  return key;
}

std::string ProbeKey::Sign(std::string_view message) const {
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_.data());
  return ToHex(sig.data(), sig.size());
}

}  // namespace vigil::watch
