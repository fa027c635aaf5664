#include "server/credential_cache.h"

namespace vigil::server {

std::optional<CredentialCache::Credentials> CredentialCache::Find(const std::string& token_hash) {
  const auto now = clock_.MonoNow();
  std::lock_guard lock(mu_);
  auto it = entries_.find(token_hash);
  if (it == entries_.end()) return std::nullopt;
  if (now - it->second.stored >= ttl_) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.credentials;
}

void CredentialCache::Put(const std::string& token_hash, const Credentials& credentials) {
  if (ttl_.count() <= 0 || max_entries_ == 0) return;
  const auto now = clock_.MonoNow();
  std::lock_guard lock(mu_);
  if (entries_.size() >= max_entries_ && !entries_.contains(token_hash)) entries_.clear();
  entries_.insert_or_assign(token_hash, Entry{credentials, now});
}

}  // namespace vigil::server
