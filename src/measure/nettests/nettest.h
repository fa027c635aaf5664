// What every nettest needs: the network to measure through, the clock, and the probe's
// identity as it goes into measurements. The probe never records the volunteer's IP address:
// probe_ip is "127.0.0.1", as OONI writes it after scrubbing, and nothing else identifying is
// written.
//
// Thread-safety: NettestEnv only refers to objects that must outlive the nettests using it;
// the referenced Network and Clock are safe for concurrent use.
#pragma once

#include <optional>
#include <string>

#include "core/clock.h"
#include "measure/measurement.h"
#include "net/network.h"

namespace vigil::measure::nettests {

inline constexpr char kSoftwareName[] = "vigil";
inline constexpr char kScrubbedProbeIp[] = "127.0.0.1";

struct ProbeIdentity {
  std::string cc = "ZZ";    // OONI's "unknown country"
  std::string asn = "AS0";  // OONI's "unknown network"
};

struct NettestEnv {
  net::Network* network = nullptr;  // not owned
  const Clock* clock = nullptr;     // not owned
  ProbeIdentity probe;
  std::string software_version;
  // When the run started (test_start_time); measurement_start_time is taken per measurement.
  Clock::WallTime test_start{};
};

// The df-000 envelope for one measurement started now: data_format_version 0.2.0,
// software_name "vigil", the probe's cc/asn, probe_ip scrubbed, an empty report_id (the
// uploader fills it in).
Measurement NewMeasurement(const NettestEnv& env, std::string test_name, std::string test_version,
                           std::optional<std::string> input);

}  // namespace vigil::measure::nettests
