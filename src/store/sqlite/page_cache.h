// SQLite's own page cache (pcache1) behind a thin wrapper that spares commits a scan of the
// whole cache.
//
// Why: at the end of every write transaction SQLite asks its page cache to drop the pages
// past the end of the database (xTruncate). pcache1 decides whether it holds any by the
// largest page number it has ever been given since the last truncation. When a B-tree page
// splits, SQLite swaps the new pages' numbers through a temporary number far past the end
// (the page of the lock byte, 1 GiB into the file), so on a database under 1 GiB that mark
// stays beyond the end and every commit walks the whole cache: with the writer's 64 MiB
// cache, 16,000 pages and ~4% of a collector submission's CPU.
//
// The wrapper tracks the page numbers that can be in the cache itself (the API says pages
// get numbers only through xFetch and xRekey): the largest number fetched, plus the pages
// renumbered past it, which a temporary number leaves again. xTruncate reaches pcache1 only
// when one of those may be at or past the limit; otherwise nothing has to go, and nothing
// is scanned. Everything else goes straight through to pcache1.
//
// Install() must run before SQLite initializes (before any connection opens in the
// process); SqliteStore::Open calls it. It returns false, and SQLite keeps its plain cache,
// when that is too late.
#pragma once

#include <cstdint>

namespace vigil::store::sqlite_page_cache {

bool Install();  // the same answer on every call

// For tests: truncations the wrapper answered itself, and those it passed on.
struct Counts {
  uint64_t skipped = 0;
  uint64_t passed = 0;
};
Counts GetCounts();

}  // namespace vigil::store::sqlite_page_cache
