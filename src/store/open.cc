#include "store/open.h"

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "store/postgres/pg_store.h"

namespace vigil::store {

std::string SqlitePath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / kSqliteFileName).string();
}

Result<std::unique_ptr<Store>> OpenStore(const OpenOptions& options) {
  if (!options.db_url.empty()) {
    if (!options.db_url.starts_with("postgresql://") && !options.db_url.starts_with("postgres://")) {
      return Fail("invalid_argument", "--db takes a postgresql:// URL");
    }
    auto pg = PgStore::Open(options.db_url);
    if (!pg) return tl::unexpected(pg.error());
    return std::unique_ptr<Store>(std::move(*pg));
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return Fail("io_error", fmt::format("cannot create {}: {}", options.data_dir, ec.message()));
  SqliteOptions so;
  so.durability = options.sqlite_durability;
  auto s = SqliteStore::Open(SqlitePath(options.data_dir), so);
  if (!s) return tl::unexpected(s.error());
  return std::unique_ptr<Store>(std::move(*s));
}

}  // namespace vigil::store
