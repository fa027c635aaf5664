// The prober's signal for the server: after each round, the number of /24 blocks up per entity
// (IODA's "active probing" signal), posted as
//
//   POST {server}/api/v1/signals   Authorization: Bearer T
//   {"points":[{"entity_type":"asn","entity_code":"AS64500","datasource":"active-probing",
//               "time":<round start, unix seconds>,"step":<round seconds>,"value":<up blocks>}]}
//
// Every entity of a measurable block gets a point each round, 0 included: a shutdown is the
// value falling to 0, not the point disappearing. A block's entities come from the blocks file,
// else from the geolocation data (its AS number and country).
//
// Thread-safety: pure functions, except SignalPoster (one io thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "geo/geo_db.h"
#include "measure/nettests/http_post.h"
#include "prober/block_list.h"
#include "prober/state_file.h"
#include "prober/trinocular.h"

namespace vigil::prober {

inline constexpr std::string_view kDatasource = "active-probing";

struct SignalPoint {
  Entity entity;
  int64_t time = 0;  // unix seconds
  int64_t step = 0;  // seconds
  int64_t value = 0;
};

// One point per entity of the measurable blocks: how many of its blocks are up.
// entities[i] are the entities of trackers[i]. Sorted by (type, code).
std::vector<SignalPoint> UpBlocksPerEntity(const std::vector<BlockTracker>& trackers,
                                           const std::vector<std::vector<Entity>>& entities,
                                           int64_t time, int64_t step);

std::string SignalsBody(const std::vector<SignalPoint>& points);

// For blocks without entities: the AS number and country of the block's first ever-responsive
// address (of .1 when it has none). Blocks the data does not place (bogons) stay without.
// Returns how many blocks got entities.
std::size_t AddGeoEntities(std::vector<SurveyedBlock>& blocks, const geo::GeoDb& geo);

// The signals endpoint of `server` ("http://host:port", or with a path prefix).
// "invalid_argument" for what is not an http(s) URL, or one carrying credentials.
Result<std::string> SignalsUrl(std::string_view server);

// At most this many points in one request (the server's limit).
inline constexpr std::size_t kMaxPointsPerPost = 10000;

class SignalPoster {
 public:
  // token: sent as "Authorization: Bearer token" (none when empty).
  SignalPoster(measure::nettests::HttpPoster& poster, std::string url, std::string token)
      : poster_(poster), url_(std::move(url)), token_(std::move(token)) {}
  // Posts the points (in requests of at most kMaxPointsPerPost); an Error when the server cannot
  // be reached or does not answer 2xx.
  boost::asio::awaitable<Result<void>> Post(const std::vector<SignalPoint>& points);

 private:
  measure::nettests::HttpPoster& poster_;
  std::string url_;
  std::string token_;
};

}  // namespace vigil::prober
