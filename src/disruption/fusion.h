// Fusion: the server's view of one entity (a country, a region, an ASN) from all its
// signals at once, as events with a `kind` that says what happened:
//   full        the entity's address space or probes went dark (≥ 90% drop)
//   regional    part of it did: a partial drop of a country's or ASN's signals, or any
//               outage of a region entity
//   mobile      an outage of an ASN the coalition lists as a mobile network, or of a
//               country where every outaged ASN is mobile (see FusionOptions)
//   platform    watching probes report platforms blocked, or platform tests
//               (whatsapp, telegram, signal, facebook_messenger) mostly anomalous
//   dns         watching probes see DNS tampering
//   throttling  watching probes measure throughput far below their own baseline
//
// Each signal is read by the rule that fits it: volume signals (BGP-visible /24s,
// actively probed up /24s, probes checking in) by Vigil's seasonal CUSUM detector
// (detect_vigil.h), fractions (share of watching probes online or in a state, anomaly
// rate of measurements) by a threshold held for `min_bins` bins. Events of one kind that
// overlap or touch are merged into one, listing every datasource that saw it.
// docs/methodology-detectors.md states the rules and their sources.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/time_format.h"
#include "disruption/detect_vigil.h"
#include "disruption/series.h"

namespace vigil::disruption {

// How a signal is read.
enum class SignalRule {
  kVolume,         // counts with daily/weekly cycles: the Vigil detector
  kOnlineShare,    // share of watching probes online: an outage below `low`
  kStateShare,     // share of watching probes in a state (platform-blocked, ...): above `high`
  kAnomalyRate,    // anomaly rate of platform tests: above `high`
};

struct NamedSeries {
  std::string datasource;  // "bgp", "active-probing", "watch-checkins", "watch-online", ...
  std::string subtype;     // "platform-blocked", "whatsapp", ... ("" when none)
  SignalRule rule = SignalRule::kVolume;
  Series series;
};

struct FusionOptions {
  VigilOptions vigil;
  double online_low = 0.5;    // watch-online below this = outage
  double full_online = 0.1;   // ... at or below this = full
  double state_high = 0.5;    // share in a state / anomaly rate at or above this
  int min_bins = 2;           // bins a threshold must hold (1 for daily series)
  std::set<std::string> mobile_asns;  // "AS30987", ...
};

struct FusedEvent {
  std::string kind;
  WallTime start;
  std::optional<WallTime> end;  // unset while it lasts
  double score = 0;             // 0..1: the deepest median drop (or share) seen
  std::vector<std::string> datasources;  // "bgp", "watch-online", "measurements/whatsapp"
};

// entity_type is "country", "region" or "asn"; entity_code "CM", "CM-NW", "AS30987".
// `outaged_asns`, for a country, lists its ASNs that have an outage at the same time
// (to call it mobile when all of them are); may be empty. Events ordered by start.
std::vector<FusedEvent> Fuse(const std::string& entity_type, const std::string& entity_code,
                             const std::vector<NamedSeries>& signals, const FusionOptions& options,
                             const std::vector<std::string>& outaged_asns = {});

}  // namespace vigil::disruption
