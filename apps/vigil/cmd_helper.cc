// `vigil helper`: the Web Connectivity test helper (control server).
#include <csignal>
#include <cstdio>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>

#include "apps/vigil/commands.h"
#include "geo/geo_db.h"
#include "helper/helper.h"
#include "net/address.h"
#include "net/http_server.h"
#include "net/network.h"

namespace vigil::app {
namespace {

namespace asio = boost::asio;

struct HelperFlags {
  std::string listen = "127.0.0.1:8080";
  std::string resolver;
  std::string ca_file;
  std::string geo_dir;
  std::size_t max_concurrent = 64;
  std::size_t max_body = 64 * 1024;
  int timeout_ms = 10000;
};

int RunHelper(const HelperFlags& f) {
  net::NetworkOptions net_options;
  net_options.extra_ca_file = f.ca_file;
  net_options.system_lookup_timeout = std::chrono::milliseconds(f.timeout_ms);
  net_options.tcp_connect_timeout = std::chrono::milliseconds(f.timeout_ms);
  auto network = net::RealNetwork::Create(net_options);
  if (!network) {
    std::fprintf(stderr, "vigil helper: %s\n", network.error().ToString().c_str());
    return 1;
  }
  helper::HelperOptions options;
  options.step_timeout = std::chrono::milliseconds(f.timeout_ms);
  options.http_timeout = std::chrono::milliseconds(f.timeout_ms * 3);
  if (!f.resolver.empty()) {
    auto ep = net::ParseEndpoint(f.resolver);
    if (!ep) {
      std::fprintf(stderr, "vigil helper: --resolver: %s\n", ep.error().ToString().c_str());
      return 2;
    }
    options.resolver = asio::ip::udp::endpoint(ep->address(), ep->port());
  }
  std::unique_ptr<geo::GeoDb> geo;
  auto dir = f.geo_dir.empty() ? geo::DefaultGeoDir() : Result<std::string>(f.geo_dir);
  if (dir) {
    if (auto db = geo::GeoDb::Load(*dir)) geo = std::move(*db);
    else spdlog::warn("no ASNs in ip_info: {}", db.error().ToString());
  } else {
    spdlog::info("no IP-to-ASN data ({}); ip_info will carry ASN 0", dir.error().message);
  }
  helper::TestHelper th(**network, RealClock::Instance(),
                        [&geo](std::string_view ip) -> std::optional<uint32_t> {
                          if (!geo) return std::nullopt;
                          auto info = geo->Lookup(ip);
                          if (!info) return std::nullopt;
                          return info->asn;
                        },
                        options);

  asio::io_context io;
  auto strand = asio::make_strand(io);
  net::HttpServerOptions server_options;
  server_options.max_body_bytes = f.max_body;
  server_options.max_in_flight = f.max_concurrent;
  auto server = net::HttpServer::Create(
      strand, f.listen, [&th](const net::HttpServerRequest& r) { return th.Handle(r); },
      server_options);
  if (!server) {
    std::fprintf(stderr, "vigil helper: %s\n", server.error().ToString().c_str());
    return 1;
  }
  (*server)->Start();
  // The bound address on stdout, so callers that asked for port 0 learn the port.
  std::printf("vigil helper listening on %s\n", net::FormatEndpoint((*server)->local_endpoint()).c_str());
  std::fflush(stdout);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    spdlog::info("vigil helper: stopping");
    asio::co_spawn(strand, (*server)->Stop(), [&io](std::exception_ptr) { io.stop(); });
  });
  io.run();
  return 0;
}

}  // namespace

void AddHelperCommand(CLI::App& root) {
  auto flags = std::make_shared<HelperFlags>();
  auto* cmd = root.add_subcommand(
      "helper", "Run the Web Connectivity test helper (OONI's control protocol) on ADDR:PORT.");
  cmd->add_option("--listen", flags->listen, "Address and port to listen on (port 0: any)")
      ->capture_default_str();
  cmd->add_option("--resolver", flags->resolver,
                  "UDP resolver ADDR:PORT to use instead of the system resolver");
  cmd->add_option("--ca-file", flags->ca_file, "Extra PEM CA file to trust (besides the system's)");
  cmd->add_option("--max-concurrent", flags->max_concurrent,
                  "Requests handled at once; more get 503")
      ->capture_default_str();
  cmd->add_option("--max-body", flags->max_body, "Largest request body accepted, bytes (413 above)")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", flags->timeout_ms, "Timeout of each DNS/TCP/TLS/HTTP step")
      ->capture_default_str();
  cmd->add_option("--geo-dir", flags->geo_dir, "Folder holding the geolocation data (ASNs)");
  cmd->callback([flags] { ExitCode() = RunHelper(*flags); });
}

}  // namespace vigil::app
