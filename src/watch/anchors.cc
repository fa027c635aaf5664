#include "watch/anchors.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/json_read.h"
#include "measure/nettests/platforms.h"
#include "net/address.h"

namespace vigil::watch {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Target HostTarget(std::string host, uint16_t port = 443, bool tls = true) {
  Target t;
  t.host = std::move(host);
  t.port = port;
  t.tls = tls;
  return t;
}

std::string HostOfUrl(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  url.remove_prefix(scheme + 3);
  auto end = url.find_first_of(":/?#");
  return std::string(url.substr(0, end));
}

Result<Target> ParseTarget(json::Element e, std::string_view where) {
  auto obj = json::AsObject(e);
  if (!obj) return Fail("parse_error", fmt::format("{}: each target is an object", where));
  Target t;
  if (auto host = json::StringField(*obj, "host")) t.host = std::string(*host);
  if (auto address = json::StringField(*obj, "address")) {
    auto ep = net::ParseEndpoint(*address);
    if (!ep) return Fail("parse_error", fmt::format("{}: bad address {}", where, *address));
    t.address = std::string(*address);
    t.port = ep->port();
  }
  if (auto port = json::Field(*obj, "port")) {
    auto v = json::AsInt(*port);
    if (!v || *v <= 0 || *v > 65535) return Fail("parse_error", fmt::format("{}: bad port", where));
    t.port = static_cast<uint16_t>(*v);
  }
  if (auto tls = json::Field(*obj, "tls")) {
    auto v = json::AsBool(*tls);
    if (!v) return Fail("parse_error", fmt::format("{}: \"tls\" is a boolean", where));
    t.tls = *v;
  }
  if (t.host.empty() && t.address.empty()) {
    return Fail("parse_error", fmt::format("{}: a target needs \"host\" or \"address\"", where));
  }
  return t;
}

Result<std::vector<Target>> ParseTargets(json::Element e, std::string_view where) {
  auto arr = json::AsArray(e);
  if (!arr) return Fail("parse_error", fmt::format("{} must be an array of targets", where));
  std::vector<Target> out;
  for (auto item : *arr) {
    auto t = ParseTarget(item, where);
    if (!t) return tl::unexpected(t.error());
    out.push_back(std::move(*t));
  }
  return out;
}

Result<std::string> EndpointField(json::Object obj, std::string_view key, std::string current) {
  auto e = json::Field(obj, key);
  if (!e) return current;
  if (json::IsNull(*e)) return std::string();
  auto s = json::AsString(*e);
  if (!s) return Fail("parse_error", fmt::format("\"{}\" must be \"ip:port\" or null", key));
  if (s->empty()) return std::string();
  if (!net::ParseEndpoint(*s)) {
    return Fail("parse_error", fmt::format("\"{}\": bad address {}", key, *s));
  }
  return std::string(*s);
}

}  // namespace

std::string Target::Label() const {
  if (!address.empty()) return host.empty() ? address : host + "@" + address;
  return fmt::format("{}:{}", host, port);
}

std::optional<std::string> GatewayFromRouteTable(std::string_view table) {
  std::istringstream in{std::string(table)};
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string iface, dest, gateway;
    if (!(fields >> iface >> dest >> gateway)) continue;
    if (dest != "00000000" || gateway == "00000000" || gateway.size() != 8) continue;
    unsigned long v = 0;
    try {
      v = std::stoul(gateway, nullptr, 16);
    } catch (...) {
      continue;
    }
    // The kernel prints the address in host (little-endian) byte order.
    return fmt::format("{}.{}.{}.{}", v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff,
                       (v >> 24) & 0xff);
  }
  return std::nullopt;
}

std::optional<std::string> NameserverFromResolvConf(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key, value;
    if (!(fields >> key >> value) || key != "nameserver") continue;
    return value;
  }
  return std::nullopt;
}

Anchors DefaultAnchors(const std::string& public_resolver) {
  Anchors a;
  if (auto gw = GatewayFromRouteTable(ReadText("/proc/net/route"))) a.gateway = *gw + ":53";
  if (auto ns = NameserverFromResolvConf(ReadText("/etc/resolv.conf"))) {
    auto ep = net::ParseEndpoint(*ns + ":53");
    if (!ep) ep = net::ParseEndpoint("[" + *ns + "]:53");
    if (ep) a.system_resolver = net::FormatEndpoint(*ep);
  }
  a.public_resolver = public_resolver;
  a.sites = {HostTarget("www.wikipedia.org"), HostTarget("www.google.com"),
             HostTarget("www.cloudflare.com")};
  a.dns_names = {"www.wikipedia.org", "www.google.com", "web.whatsapp.com", "web.telegram.org"};
  // One or two endpoints per platform, taken from the platform nettests' own lists.
  const measure::nettests::PlatformConfig p;
  a.platforms["whatsapp"] = {HostTarget(HostOfUrl(p.whatsapp_web_https_url))};
  if (!p.whatsapp_endpoints.empty()) {
    a.platforms["whatsapp"].push_back(HostTarget(p.whatsapp_endpoints.front(), 443, false));
  }
  a.platforms["telegram"] = {HostTarget(HostOfUrl(p.telegram_web_url))};
  if (!p.telegram_datacenters.empty()) {
    Target dc;
    dc.address = p.telegram_datacenters.front() + ":443";
    dc.tls = false;  // the data centres speak MTProto, not TLS
    a.platforms["telegram"].push_back(dc);
  }
  for (const auto& url : p.signal_urls) {
    a.platforms["signal"].push_back(HostTarget(HostOfUrl(url)));
    if (a.platforms["signal"].size() == 2) break;
  }
  for (const auto& [key, host] : p.facebook_services) {
    if (key == "b_api" || key == "edge") a.platforms["facebook"].push_back(HostTarget(host));
  }
  a.download_url = "https://speed.cloudflare.com/__down?bytes=100000";
  return a;
}

Result<Anchors> ParseAnchors(std::string_view text, Anchors a) {
  simdjson::dom::parser parser;
  json::Element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) {
    return Fail("parse_error", "anchors: not JSON");
  }
  auto obj = json::AsObject(root);
  if (!obj) return Fail("parse_error", "anchors: not a JSON object");
  for (auto [key, value] : *obj) {
    static constexpr std::string_view kKnown[] = {
        "gateway", "system_resolver", "public_resolver", "dns_names", "sites", "platforms",
        "download_url", "download_address", "download_max_bytes", "timeout_ms"};
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      return Fail("parse_error", fmt::format("anchors: unknown key \"{}\"", key));
    }
  }
  for (auto [key, field] : {std::pair{"gateway", &a.gateway},
                            std::pair{"system_resolver", &a.system_resolver},
                            std::pair{"public_resolver", &a.public_resolver},
                            std::pair{"download_address", &a.download_address}}) {
    auto v = EndpointField(*obj, key, *field);
    if (!v) return tl::unexpected(v.error());
    *field = std::move(*v);
  }
  if (auto e = json::Field(*obj, "dns_names")) {
    auto arr = json::AsArray(*e);
    if (!arr) return Fail("parse_error", "\"dns_names\" must be an array of names");
    a.dns_names.clear();
    for (auto item : *arr) {
      auto s = json::AsString(item);
      if (!s) return Fail("parse_error", "\"dns_names\" must be an array of names");
      a.dns_names.emplace_back(*s);
    }
  }
  if (auto e = json::Field(*obj, "sites")) {
    auto t = ParseTargets(*e, "\"sites\"");
    if (!t) return tl::unexpected(t.error());
    a.sites = std::move(*t);
  }
  if (auto e = json::Field(*obj, "platforms")) {
    auto o = json::AsObject(*e);
    if (!o) return Fail("parse_error", "\"platforms\" must map a platform to its targets");
    a.platforms.clear();
    for (auto [name, targets] : *o) {
      auto t = ParseTargets(targets, fmt::format("\"platforms\".{}", name));
      if (!t) return tl::unexpected(t.error());
      a.platforms[std::string(name)] = std::move(*t);
    }
  }
  if (auto e = json::Field(*obj, "download_url")) {
    auto s = json::IsNull(*e) ? std::optional<std::string_view>("") : json::AsString(*e);
    if (!s) return Fail("parse_error", "\"download_url\" must be a URL or null");
    a.download_url = std::string(*s);
  }
  if (auto e = json::Field(*obj, "download_max_bytes")) {
    auto v = json::AsInt(*e);
    if (!v || *v <= 0) return Fail("parse_error", "\"download_max_bytes\" must be > 0");
    a.download_max_bytes = static_cast<uint64_t>(*v);
  }
  if (auto e = json::Field(*obj, "timeout_ms")) {
    auto v = json::AsInt(*e);
    if (!v || *v <= 0 || *v > 60000) return Fail("parse_error", "\"timeout_ms\" must be 1..60000");
    a.timeout = std::chrono::milliseconds(*v);
  }
  return a;
}

Result<Anchors> LoadAnchors(const std::string& path, Anchors defaults) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail("io_error", "cannot read anchors file " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto a = ParseAnchors(buffer.str(), std::move(defaults));
  if (!a) return Fail(a.error().failure, path + ": " + a.error().message);
  return a;
}

}  // namespace vigil::watch
