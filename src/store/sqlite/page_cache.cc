#include "store/sqlite/page_cache.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <new>
#include <unordered_map>

namespace vigil::store::sqlite_page_cache {
namespace {

sqlite3_pcache_methods2 g_inner{};  // pcache1's methods
std::atomic<uint64_t> g_skipped{0};
std::atomic<uint64_t> g_passed{0};

// One page cache (one per connection). SQLite calls a cache's methods from one thread at a
// time (the connection's), so its fields need no lock.
struct Cache {
  sqlite3_pcache* inner = nullptr;
  // No page in the cache has a number above max_key, except those in `renumbered`.
  unsigned max_key = 0;
  std::unordered_map<sqlite3_pcache_page*, unsigned> renumbered;  // page -> its number
};

Cache* Of(sqlite3_pcache* p) { return reinterpret_cast<Cache*>(p); }

int Init(void* arg) { return g_inner.xInit(arg); }
void Shutdown(void* arg) {
  if (g_inner.xShutdown != nullptr) g_inner.xShutdown(arg);
}

sqlite3_pcache* Create(int page_size, int extra_size, int purgeable) {
  sqlite3_pcache* inner = g_inner.xCreate(page_size, extra_size, purgeable);
  if (inner == nullptr) return nullptr;
  auto* c = new (std::nothrow) Cache;
  if (c == nullptr) {
    g_inner.xDestroy(inner);
    return nullptr;
  }
  c->inner = inner;
  return reinterpret_cast<sqlite3_pcache*>(c);
}

void Cachesize(sqlite3_pcache* p, int n) { g_inner.xCachesize(Of(p)->inner, n); }
int Pagecount(sqlite3_pcache* p) { return g_inner.xPagecount(Of(p)->inner); }

sqlite3_pcache_page* Fetch(sqlite3_pcache* p, unsigned key, int create) {
  Cache* c = Of(p);
  sqlite3_pcache_page* page = g_inner.xFetch(c->inner, key, create);
  // Found or made: either way a page with this number is in the cache now. (A page object
  // pcache1 recycled keeps a stale entry in `renumbered`: that only costs a real truncate.)
  if (page != nullptr) c->max_key = std::max(c->max_key, key);
  return page;
}

void Unpin(sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
  Cache* c = Of(p);
  g_inner.xUnpin(c->inner, page, discard);
  if (discard) c->renumbered.erase(page);
}

void Rekey(sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
  Cache* c = Of(p);
  g_inner.xRekey(c->inner, page, old_key, new_key);
  c->renumbered.erase(page);
  if (new_key > c->max_key) c->renumbered[page] = new_key;
}

void Truncate(sqlite3_pcache* p, unsigned limit) {
  Cache* c = Of(p);
  bool needed = c->max_key >= limit;
  for (auto it = c->renumbered.begin(); it != c->renumbered.end();) {
    if (it->second >= limit) {
      needed = true;
      ++it;
    } else {  // below the limit: it stays, like any page up to max_key
      c->max_key = std::max(c->max_key, it->second);
      it = c->renumbered.erase(it);
    }
  }
  if (!needed) {
    g_skipped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  g_passed.fetch_add(1, std::memory_order_relaxed);
  g_inner.xTruncate(c->inner, limit);
  c->renumbered.clear();  // those at or past the limit are gone; the others were folded in
  c->max_key = limit == 0 ? 0 : std::min(c->max_key, limit - 1);
}

void Destroy(sqlite3_pcache* p) {
  Cache* c = Of(p);
  g_inner.xDestroy(c->inner);
  delete c;
}

void Shrink(sqlite3_pcache* p) { g_inner.xShrink(Of(p)->inner); }

}  // namespace

bool Install() {
  static const bool installed = [] {
    sqlite3_pcache_methods2 inner{};
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &inner) != SQLITE_OK || inner.xTruncate == nullptr) return false;
    g_inner = inner;
    sqlite3_pcache_methods2 wrapped = inner;  // iVersion and pArg as pcache1's
    wrapped.xInit = &Init;
    wrapped.xShutdown = &Shutdown;
    wrapped.xCreate = &Create;
    wrapped.xCachesize = &Cachesize;
    wrapped.xPagecount = &Pagecount;
    wrapped.xFetch = &Fetch;
    wrapped.xUnpin = &Unpin;
    wrapped.xRekey = &Rekey;
    wrapped.xTruncate = &Truncate;
    wrapped.xDestroy = &Destroy;
    wrapped.xShrink = &Shrink;
    return sqlite3_config(SQLITE_CONFIG_PCACHE2, &wrapped) == SQLITE_OK;
  }();
  return installed;
}

Counts GetCounts() { return Counts{g_skipped.load(), g_passed.load()}; }

}  // namespace vigil::store::sqlite_page_cache
