// Anchors: what the watch checks each round, from a JSON file (`--anchors FILE`) or built-in
// defaults read from this machine (/proc/net/route, /etc/resolv.conf) and platforms.h's hosts.
//
// The file's keys, all optional (a key given replaces its default):
//   {"gateway": "192.168.1.1:53",            // TCP; a refused connection still proves it is up
//    "system_resolver": "192.168.1.1:53",    // UDP
//    "public_resolver": "9.9.9.9:53",
//    "dns_names": ["www.wikipedia.org"],
//    "sites": [{"host": "www.wikipedia.org", "address": "IP:PORT", "port": 443, "tls": true}],
//    "platforms": {"telegram": [{"host": "web.telegram.org"}, {"address": "149.154.167.51:443",
//                                                                "tls": false}]},
//    "download_url": "https://.../100kB", "download_address": "IP:PORT",
//    "download_max_bytes": 131072, "timeout_ms": 5000}
// A target without "address" is resolved through the system resolver (getaddrinfo) when it is
// checked; "port" defaults to 443 and "tls" to true; "host" is the TLS server name.
//
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace vigil::watch {

struct Target {
  std::string host;     // DNS name and TLS server name; may be empty when address is set
  std::string address;  // "ip:port"; empty: resolve host
  uint16_t port = 443;
  bool tls = true;

  // "host:port" or the address.
  std::string Label() const;
};

struct Anchors {
  std::string gateway;          // "ip:port" (TCP); empty: none
  std::string system_resolver;  // "ip:port" (UDP); empty: none
  std::string public_resolver;  // "ip:port" (UDP); empty: none
  std::vector<std::string> dns_names;
  std::vector<Target> sites;
  std::map<std::string, std::vector<Target>> platforms;
  std::string download_url;      // empty: no throughput check
  std::string download_address;  // "ip:port" for the download's first hop; empty: resolve
  uint64_t download_max_bytes = 128 * 1024;
  std::chrono::milliseconds timeout{5000};
};

// The defaults: this machine's gateway and resolver, `public_resolver`, a few major sites, the
// four messaging platforms (hosts from measure/nettests/platforms.h) and a 100 kB download.
Anchors DefaultAnchors(const std::string& public_resolver = "9.9.9.9:53");

// Reads an anchors file over `defaults`. parse_error/io_error with the reason.
Result<Anchors> LoadAnchors(const std::string& path, Anchors defaults);
Result<Anchors> ParseAnchors(std::string_view json, Anchors defaults);

// The default gateway in /proc/net/route's format (first default route), as dotted IPv4.
std::optional<std::string> GatewayFromRouteTable(std::string_view proc_net_route);
// The first "nameserver" in resolv.conf's format.
std::optional<std::string> NameserverFromResolvConf(std::string_view resolv_conf);

}  // namespace vigil::watch
