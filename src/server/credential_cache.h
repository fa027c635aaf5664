// CredentialCache: the stored token and account behind an API token's hash, kept for a
// short time so that a busy probe's submissions do not each read the store for them (that
// read was ~5% of the CPU of a collector submission). Authenticate still checks expiry, the
// revocation time, the role and the account's state on every request, against what it
// holds; what the cache delays is seeing a change made elsewhere (`vigil token revoke`,
// another node): a revoked token or a disabled account is refused at most `ttl` later.
// Only tokens the store knows are kept (an unknown token is looked up every time), and at
// most `max_entries` of them: when full, the cache starts again empty.
//
// Thread-safety: Find() and Put() may be called from many threads at once (one mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/clock.h"
#include "store/store.h"

namespace vigil::server {

class CredentialCache {
 public:
  using Credentials = std::pair<store::ApiToken, store::User>;

  // `clock` must outlive the cache; a zero ttl keeps nothing.
  CredentialCache(const Clock& clock, std::chrono::milliseconds ttl, std::size_t max_entries = 10000)
      : clock_(clock), ttl_(ttl), max_entries_(max_entries) {}

  // What Put() stored for this token hash less than ttl ago.
  std::optional<Credentials> Find(const std::string& token_hash);
  void Put(const std::string& token_hash, const Credentials& credentials);

 private:
  struct Entry {
    Credentials credentials;
    Clock::MonoTime stored;
  };
  const Clock& clock_;
  const std::chrono::milliseconds ttl_;
  const std::size_t max_entries_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace vigil::server
