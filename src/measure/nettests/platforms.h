// The messaging-platform reachability nettests, in OONI's formats and with the endpoint lists of
// OONI's specifications: whatsapp (ts-018), facebook_messenger (ts-019), telegram (ts-020) and
// signal (ts-029). Their test keys use exactly OONI's names, so analysis/other_tests.cc scores
// them with OONI's pipeline rules.
//
// PlatformConfig holds the default endpoints; a JSON file (LoadPlatformConfig) may replace any
// list and map hostnames to addresses ("hosts"), so a testbed can stand in for a platform
// without touching the system resolver. A hostname mapped that way is not looked up and no DNS
// query is recorded for it; the mapping is written into test_keys as "x_host_overrides".
//
// Differences from OONI Probe, each deliberate:
//   - telegram's data-centre HTTP checks are GETs (OONI POSTs an empty body): both establish
//     whether an HTTP exchange with the data centre completes.
//   - signal verifies certificates against the system store (plus the configured CA file)
//     rather than Signal's pinned CA, whose rotation made OONI's results untrustworthy
//     (ooni/probe#2344).
//
// Thread-safety: each Run* call is independent; see NettestEnv.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "measure/measurement.h"
#include "measure/nettests/nettest.h"

namespace vigil::measure::nettests {

struct PlatformConfig {
  // hostname → IP address used instead of resolving it.
  std::map<std::string, std::string> hosts;
  // IP → AS number, consulted before the AsnLookup (facebook_messenger's DNS consistency).
  std::map<std::string, int64_t> asn_overrides;

  std::vector<std::string> whatsapp_endpoints;  // e1..e16.whatsapp.net
  std::vector<uint16_t> whatsapp_ports = {443, 5222};
  std::string whatsapp_registration_url = "https://v.whatsapp.net/v2/register";
  std::string whatsapp_web_https_url = "https://web.whatsapp.com/";
  std::string whatsapp_web_http_url = "http://web.whatsapp.com/";

  std::vector<std::string> telegram_datacenters = {"149.154.175.50", "149.154.167.51",
                                                   "149.154.175.100", "149.154.167.91",
                                                   "149.154.171.5", "95.161.76.100"};
  std::vector<uint16_t> telegram_ports = {80, 443};
  std::string telegram_web_url = "https://web.telegram.org/";

  std::vector<std::string> signal_urls = {
      "https://textsecure-service.whispersystems.org/", "https://storage.signal.org/",
      "https://api.directory.signal.org/",              "https://cdn.signal.org/",
      "https://cdn2.signal.org/",                       "https://sfu.voip.signal.org/"};

  // (key used in test_keys, hostname): facebook_<key>_dns_consistent / _reachable.
  std::vector<std::pair<std::string, std::string>> facebook_services = {
      {"stun", "stun.fbsbx.com"},
      {"b_api", "b-api.facebook.com"},
      {"b_graph", "b-graph.facebook.com"},
      {"edge", "edge-mqtt.facebook.com"},
      {"external_cdn", "external.xx.fbcdn.net"},
      {"scontent_cdn", "scontent.xx.fbcdn.net"},
      {"star", "star.c10r.facebook.com"}};
  int64_t facebook_asn = 32934;

  std::chrono::milliseconds step_timeout{10000};

  PlatformConfig();
};

// Reads a JSON object whose keys (all optional) are PlatformConfig's field names, e.g.
//   {"hosts": {"web.whatsapp.com": "10.0.2.2"}, "telegram_datacenters": ["10.0.2.3"],
//    "telegram_ports": [80], "signal_urls": ["https://signal.test/"],
//    "facebook_services": {"b_api": "b-api.facebook.com"}, "asn_overrides": {"10.0.2.4": 32934},
//    "step_timeout_ms": 2000}
// Fields not given keep their defaults. parse_error/io_error when the file is unusable.
Result<PlatformConfig> LoadPlatformConfig(const std::string& path);
Result<PlatformConfig> ParsePlatformConfig(std::string_view json);

using AsnLookup = std::function<std::optional<uint32_t>(std::string_view ip)>;

inline constexpr char kWhatsappVersion[] = "0.11.0";
inline constexpr char kTelegramVersion[] = "0.3.0";
inline constexpr char kSignalVersion[] = "0.2.3";
inline constexpr char kFacebookMessengerVersion[] = "0.2.0";

boost::asio::awaitable<Measurement> RunWhatsapp(const NettestEnv& env, PlatformConfig config);
boost::asio::awaitable<Measurement> RunTelegram(const NettestEnv& env, PlatformConfig config);
boost::asio::awaitable<Measurement> RunSignal(const NettestEnv& env, PlatformConfig config);
boost::asio::awaitable<Measurement> RunFacebookMessenger(const NettestEnv& env,
                                                         PlatformConfig config,
                                                         AsnLookup asn_lookup);

// True for the four test names above.
bool IsPlatformTest(std::string_view test_name);

}  // namespace vigil::measure::nettests
