#include "geo/lazy_asn.h"

#include "core/log.h"

namespace vigil::geo {

std::optional<uint32_t> LazyAsnLookup::Lookup(std::string_view ip) {
  std::call_once(once_, [&] {
    auto dir = dir_.empty() ? DefaultGeoDir() : Result<std::string>(dir_);
    if (!dir) {
      spdlog::info("no IP-to-ASN data ({}); DNS consistency will compare addresses only",
                   dir.error().message);
      return;
    }
    auto db = GeoDb::Load(*dir);
    if (!db) {
      spdlog::warn("cannot load geolocation data from {}: {}", *dir, db.error().ToString());
      return;
    }
    db_ = std::move(*db);
  });
  if (!db_) return std::nullopt;
  auto info = db_->Lookup(ip);
  if (!info || info->asn == 0) return std::nullopt;
  return info->asn;
}

}  // namespace vigil::geo
