#include "prober/signals.h"

#include <algorithm>
#include <map>

#include "core/failure.h"
#include "core/json_writer.h"
#include "core/url.h"

namespace vigil::prober {

namespace asio = boost::asio;

std::vector<SignalPoint> UpBlocksPerEntity(const std::vector<BlockTracker>& trackers,
                                           const std::vector<std::vector<Entity>>& entities,
                                           int64_t time, int64_t step) {
  std::map<Entity, int64_t> up;
  for (std::size_t i = 0; i < trackers.size() && i < entities.size(); ++i) {
    if (trackers[i].state() == BlockState::kUnmeasurable) continue;
    const int64_t is_up = trackers[i].state() == BlockState::kUp ? 1 : 0;
    for (const auto& e : entities[i]) up[e] += is_up;
  }
  std::vector<SignalPoint> out;
  out.reserve(up.size());
  for (const auto& [entity, value] : up) out.push_back({entity, time, step, value});
  return out;
}

std::string SignalsBody(const std::vector<SignalPoint>& points) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("points").BeginArray();
  for (const auto& p : points) {
    w.BeginObject();
    w.Key("entity_type").String(p.entity.type);
    w.Key("entity_code").String(p.entity.code);
    w.Key("datasource").String(kDatasource);
    w.Key("time").Int(p.time);
    w.Key("step").Int(p.step);
    w.Key("value").Int(p.value);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

std::size_t AddGeoEntities(std::vector<SurveyedBlock>& blocks, const geo::GeoDb& geo) {
  std::size_t placed = 0;
  for (auto& b : blocks) {
    if (!b.entities.empty()) continue;
    const uint32_t host = b.survey.ever_responsive.empty() ? 1 : b.survey.ever_responsive.front();
    auto info = geo.Lookup(geo::IpAddress::FromV4(b.survey.prefix | host));
    if (!info || info->bogon) continue;
    if (info->asn != 0) b.entities.push_back({"asn", "AS" + std::to_string(info->asn)});
    if (!info->country_code.empty()) b.entities.push_back({"country", info->country_code});
    if (!b.entities.empty()) ++placed;
  }
  return placed;
}

Result<std::string> SignalsUrl(std::string_view server) {
  auto url = ParseUrl(server);
  if (!url || (url->scheme != "http" && url->scheme != "https") || url->host.empty() ||
      server.find("://") == std::string_view::npos || server.find('@') != std::string_view::npos) {
    return Fail(std::string(failure::kInvalidArgument),
                "--server must be an http(s) URL without credentials, got '" + std::string(server) + "'");
  }
  std::string base(server);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/api/v1/signals";
}

asio::awaitable<Result<void>> SignalPoster::Post(const std::vector<SignalPoint>& points) {
  measure::nettests::PostOptions options;
  options.timeout = std::chrono::seconds(20);
  options.connect_timeout = std::chrono::seconds(5);
  if (!token_.empty()) options.headers.push_back("Authorization: Bearer " + token_);
  for (std::size_t at = 0; at < points.size(); at += kMaxPointsPerPost) {
    const auto end = std::min(points.size(), at + kMaxPointsPerPost);
    const std::vector<SignalPoint> chunk(points.begin() + static_cast<std::ptrdiff_t>(at),
                                         points.begin() + static_cast<std::ptrdiff_t>(end));
    auto response = co_await poster_.Post(url_, SignalsBody(chunk), options);
    if (!response) co_return tl::unexpected(response.error());
    if (response->status < 200 || response->status >= 300) {
      co_return Fail("http_request_failed", "the server answered " +
                                                std::to_string(response->status) + ": " +
                                                response->body.substr(0, 200));
    }
  }
  co_return Result<void>{};
}

}  // namespace vigil::prober
