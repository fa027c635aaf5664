// Signals: the time series the server keeps or derives for an entity (a country "CM", a
// region "CM-NW", an ASN "AS30987"), binned on a fixed step. Served by
// GET /api/v1/signals/{entity_type}/{code} and read by the disruption monitor.
//
// Datasources:
//   stored points (PutSignals): "bgp" (visible /24s, `vigil import mrt`), "active-probing"
//     (up /24s, `vigil prober`), or any other name a client posts;
//   "watch-checkins"  distinct watching probes of the entity that checked in during the bin;
//   "watch-online"    share of the entity's watching probes (those with a record in the two
//                     hours before the bin's end) whose latest state was not "offline";
//   "watch-state"     share of them in the state named by the subtype
//                     ("platform-blocked", "dns-tampered", "throttled");
//   "measurements"    share of measurements with anomaly or confirmed, per day, for the
//                     test or domain named by the subtype (all tests when none).
// A probe's state comes from its signed journal (every state change, summaries) and its
// check-ins (online); the journal wins where both exist, since check-ins stop during an
// outage and the journal does not.
//
// Thread-safety: pure functions over a Store (which is thread-safe).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "disruption/fusion.h"
#include "store/store.h"

namespace vigil::server {

struct SignalRequest {
  std::string entity_type;  // "country", "region", "asn"
  std::string entity_code;
  std::string datasource;
  std::string subtype;  // "" when none
  store::Seconds from{};
  store::Seconds until{};
  std::chrono::seconds step{300};  // requested; a datasource with a longer native step keeps it
};

struct SignalSeries {
  std::string datasource;
  std::string subtype;
  std::chrono::seconds native_step{300};
  disruption::Series series;  // NaN = no data in the bin
};

// The derived datasources this server computes, in a stable order.
const std::vector<std::string>& DerivedDatasources();
// The subtypes of "watch-state".
const std::vector<std::string>& WatchStates();

// One datasource's series ("invalid_parameter" for an unknown entity type or datasource).
Result<SignalSeries> ComputeSignal(store::Store& store, const SignalRequest& r);

// Every series the monitor reads for an entity over [from, until): stored datasources,
// watch-online and watch-state shares (when the entity has watching probes), and
// platform-test anomaly rates (countries and ASNs), each tagged with its SignalRule.
Result<std::vector<disruption::NamedSeries>> EntitySignals(store::Store& store, const std::string& entity_type,
                                                           const std::string& entity_code, store::Seconds from,
                                                           store::Seconds until, std::chrono::seconds step);

}  // namespace vigil::server
