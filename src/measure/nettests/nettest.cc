#include "measure/nettests/nettest.h"

#include "core/time_format.h"

namespace vigil::measure::nettests {

Measurement NewMeasurement(const NettestEnv& env, std::string test_name, std::string test_version,
                           std::optional<std::string> input) {
  Measurement m;
  m.data_format_version = "0.2.0";
  m.input = std::move(input);
  m.test_name = std::move(test_name);
  m.test_version = std::move(test_version);
  m.measurement_start_time = FormatOoniTime(env.clock->WallNow());
  m.test_start_time = FormatOoniTime(env.test_start);
  m.probe_cc = env.probe.cc;
  m.probe_asn = env.probe.asn;
  m.probe_ip = kScrubbedProbeIp;
  m.software_name = kSoftwareName;
  m.software_version = env.software_version;
  return m;
}

}  // namespace vigil::measure::nettests
