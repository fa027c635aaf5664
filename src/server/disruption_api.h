// The disruption routes of `vigil serve`:
//   POST /api/v1/signals                        store signal points (prober, importers)
//   GET  /api/v1/signals/{entity_type}/{code}   series in IODA's shape (signals.h)
//   GET  /api/v1/events                         detected disruptions (monitor.h)
//   POST /api/v1/watch/checkin                  a watching probe's heartbeat
//   POST /api/v1/watch/journal                  its signed, hash-chained journal entries
// The watch protocol is src/watch/README.md's; uploaded entries are verified
// (signature, hash, chain continuity with what is stored) before anything is kept, and
// a bad one rejects the request with 400 naming its seq.
//
// Thread-safety: stateless apart from the Store and Clock it borrows; handlers may run
// concurrently.
#pragma once

#include <string_view>

#include "core/clock.h"
#include "net/http_server.h"
#include "server/query_api.h"
#include "store/store.h"

namespace vigil::server {

class DisruptionApi {
 public:
  DisruptionApi(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  net::HttpServerResponse PostSignals(std::string_view body);
  net::HttpServerResponse GetSignals(std::string_view entity_type, std::string_view entity_code,
                                     const QueryParams& q);
  net::HttpServerResponse GetEvents(const QueryParams& q);
  net::HttpServerResponse Checkin(std::string_view body);
  net::HttpServerResponse Journal(std::string_view body);

  static constexpr size_t kMaxPoints = 10000;
  static constexpr size_t kMaxEntries = 500;

 private:
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace vigil::server
