#include "watch/probe_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

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

Result<void> WriteAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Fail("io_error", Errno("cannot create " + tmp));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Fail("io_error", Errno("cannot write " + tmp));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return Fail("io_error", Errno("cannot fsync " + tmp));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Fail("io_error", Errno("cannot rename " + tmp));
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
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
    if (auto parent = std::filesystem::path(path).parent_path(); !parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);  // a failure shows when writing
    }
    ProbeKey key = Generate();
    auto written = WriteAtomically(path, ToHex(key.secret_.data(), key.secret_.size()) + "\n");
    if (!written) return tl::unexpected(written.error());
    return key;
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
