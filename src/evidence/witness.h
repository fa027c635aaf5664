// A witness (c2sp.org/tlog-witness, tlog-cosignature): it cosigns a log's checkpoint only after
// checking that it is consistent with the last checkpoint it cosigned for that log, and it
// remembers that checkpoint durably, so that a log that forks (shows two different trees) is
// caught: the witness refuses, and its earlier cosignatures prove what the log had shown.
//
// AddCheckpoint implements the add-checkpoint call's checks and answers (404 unknown origin,
// 403 bad or missing log signature, 400 old size above the new one, 409 old size not the
// last cosigned one, with that size in the body, 422 a proof that does not verify or a
// same-size checkpoint with another root, 200 and the cosignature lines). The state file is
// replaced atomically (temporary file, fsync, rename) before the answer, so a kill at any
// moment keeps either the old or the new state, never a rolled-back one.
//
// Thread-safety: AddCheckpoint may be called from several threads (one mutex makes the
// check and the update atomic); one process per state file (an advisory lock refuses a
// second).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "evidence/hash.h"
#include "evidence/keys.h"

namespace vigil::evidence {

struct WitnessedLog {
  std::string origin;
  std::vector<VerifierKey> keys;  // the log's note keys (type 0x01)
};

class Witness {
 public:
  struct State {
    uint64_t size = 0;
    Hash root{};
  };
  struct Answer {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
  };

  // Errors: "io_error" (the state file cannot be read, or another process holds it),
  // "parse_error" (the state file is not one).
  static Result<std::unique_ptr<Witness>> Open(SigningKey key, std::vector<WitnessedLog> logs,
                                               const std::string& state_path, const Clock& clock);
  ~Witness();

  // `request`: "old <size>\n", proof lines (base64 hashes), "\n", then the signed checkpoint.
  Answer AddCheckpoint(std::string_view request);

  // The last cosigned state of `origin` (size 0 when none).
  State Last(const std::string& origin) const;
  const SigningKey& key() const { return key_; }

 private:
  Witness(SigningKey key, std::vector<WitnessedLog> logs, std::string path, const Clock& clock, int lock_fd);
  Result<void> Save();

  SigningKey key_;
  std::vector<WitnessedLog> logs_;
  std::string path_;
  const Clock& clock_;
  int lock_fd_;
  mutable std::mutex mu_;
  std::map<std::string, State> state_;  // under mu_
};

// The request body of add-checkpoint.
std::string FormatAddCheckpoint(uint64_t old_size, std::span<const Hash> proof, std::string_view signed_checkpoint);

}  // namespace vigil::evidence
