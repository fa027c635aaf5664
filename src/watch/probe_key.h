// ProbeKey: the watching probe's ed25519 key pair (libsodium), which signs every journal entry.
//
// The key lives in a file beside the journal: 64 bytes of libsodium's secret key (seed and
// public key) as 128 hex digits and a newline, mode 0600. LoadOrCreate makes it on first use,
// atomically (temporary file, fsync, rename, fsync of the folder), so a kill at any moment
// leaves either no key or a whole one.
//
// Thread-safety: immutable after creation; Sign may be called from any thread.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "core/result.h"

namespace vigil::watch {

class ProbeKey {
 public:
  // Reads the key at `path`, or creates it when the file does not exist. io_error when it
  // cannot be read or written; parse_error when the file is not a key.
  static Result<ProbeKey> LoadOrCreate(const std::string& path);
  // A fresh key held in memory only (tests).
  static ProbeKey Generate();

  // 64 lowercase hex digits.
  const std::string& public_hex() const { return public_hex_; }
  // The hex detached signature (128 digits) of `message`.
  std::string Sign(std::string_view message) const;

 private:
  ProbeKey() = default;
  std::array<unsigned char, 64> secret_{};
  std::string public_hex_;
};

// The key file that goes with a journal: "<journal>.key".
std::string KeyPathForJournal(const std::string& journal_path);

}  // namespace vigil::watch
