// `vigil serve`: the observatory server — OONI collector, query API, metrics and the
// dashboard over the SQLite (--data) or PostgreSQL (--db) store. HTTP I/O runs on an
// io_context served by --threads threads (default one, which serializes every connection
// without a strand; with more, HttpServer runs on one strand, so they only add hand-offs);
// store work and collector submissions run on the Server's own pools, sized by the cores. SIGTERM/SIGINT: stop
// accepting, drain in-flight requests, then close the store.
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "apps/vigil/commands.h"
#include "core/private_file.h"
#include "core/clock.h"
#include "geo/geo_db.h"
#include "net/address.h"
#include "net/http_server.h"
#include "measure/nettests/http_post.h"
#include "server/credentials.h"
#include "server/monitor.h"
#include "server/server.h"
#include "store/open.h"

namespace vigil::app {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

struct ServeFlags {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = store::kDefaultDataDir;
  std::string db_url;
  bool open_collector = false;
  double rate = 10;
  double burst = 50;
  std::string web_dir;
  int threads = 0;
  int workers = 0;
  std::string report_key_file;
  std::string public_url;
  std::string geo_dir;
  bool no_geo = false;
  std::size_t max_body_mb = 16;
  std::vector<std::string> webhooks;
  int detect_every = 300;
  std::vector<std::string> mobile_asns;
  std::string webhook_ca_file;
  std::string test_lists;
};

// The report-id MAC key: read from `path`, or created there (32 random bytes, hex, 0600).
Result<std::string> LoadReportKey(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    std::ifstream in(path);
    std::string key;
    std::getline(in, key);
    if (key.size() < 16) return Fail("invalid_argument", path + ": the report key is shorter than 16 bytes");
    return key;
  }
  std::string key;
  for (char c : server::RandomBytes(32)) key += fmt::format("{:02x}", static_cast<unsigned char>(c));
  // Whole or not at all, 0600 whatever the umask; when another node created the key first,
  // theirs is kept and used.
  auto written = WritePrivateFile(path, key + "\n", ExistingFile::kKeep);
  if (!written) return tl::unexpected(written.error());
  if (!*written) return LoadReportKey(path);
  return key;
}


int RunServe(const ServeFlags& f) {
  store::OpenOptions open;
  open.data_dir = f.data_dir;
  open.db_url = f.db_url;
  auto st = store::OpenStore(open);
  if (!st) {
    std::fprintf(stderr, "vigil serve: cannot open the store: %s\n", st.error().ToString().c_str());
    return 1;
  }
  auto key = LoadReportKey(f.report_key_file.empty() ? (fs::path(f.data_dir) / "report.key").string()
                                                     : f.report_key_file);
  if (!key) {
    std::fprintf(stderr, "vigil serve: %s\n", key.error().ToString().c_str());
    return 1;
  }
  std::unique_ptr<geo::GeoDb> geo;
  if (!f.no_geo) {
    auto dir = f.geo_dir.empty() ? geo::DefaultGeoDir() : Result<std::string>(f.geo_dir);
    if (dir) {
      if (auto db = geo::GeoDb::Load(*dir)) geo = std::move(*db);
      else spdlog::warn("no country/ASN enrichment: {}", db.error().ToString());
    } else {
      spdlog::info("no country/ASN enrichment ({})", dir.error().message);
    }
  }
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = f.threads > 0 ? f.threads : 1;
  server::ServerOptions options;
  options.open_collector = f.open_collector;
  options.open_collector_rate = server::RateLimit{f.rate, f.burst, 100000};
  options.web_dir = f.web_dir.empty() ? FindShipped("web/dist", "index.html") : f.web_dir;
  const std::string lists = f.test_lists.empty() ? FindShipped("data/test-lists", "global.csv") : f.test_lists;
  if (!lists.empty()) {
    auto index = measure::CategoryIndex::LoadDir(lists);
    if (!index) {
      std::fprintf(stderr, "vigil serve: %s\n", index.error().ToString().c_str());
      return 1;
    }
    options.categories = std::make_shared<const measure::CategoryIndex>(std::move(*index));
  } else {
    spdlog::info("no test lists found: measurements get no category_code (use --test-lists DIR)");
  }
  options.report_key = *key;
  options.public_url = f.public_url;
  // Queries and account lookups block on the store, so many workers are cheap; collector
  // submissions have their own pool, one thread per core (see server.h).
  options.worker_threads = static_cast<std::size_t>(f.workers > 0 ? f.workers : std::max(64, 8 * cores));
  options.submit_threads = static_cast<std::size_t>(cores);
  options.version = VIGIL_VERSION;
  auto server = server::Server::Create(**st, RealClock::Instance(), geo.get(), options);
  if (!server) {
    std::fprintf(stderr, "vigil serve: %s\n", server.error().ToString().c_str());
    return 1;
  }

  std::unique_ptr<measure::nettests::HttpPoster> poster;
  if (!f.webhooks.empty()) {
    auto p = measure::nettests::HttpPoster::Create(f.webhook_ca_file, 2);
    if (!p) {
      std::fprintf(stderr, "vigil serve: %s\n", p.error().ToString().c_str());
      return 1;
    }
    poster = std::move(*p);
  }
  server::MonitorOptions monitor_options;
  monitor_options.every = std::chrono::seconds(f.detect_every);
  monitor_options.webhooks = f.webhooks;
  for (const auto& a : f.mobile_asns) {
    auto n = store::ParseAsn(a);
    if (!n) {
      std::fprintf(stderr, "vigil serve: --mobile-asn %s: not an AS number\n", a.c_str());
      return 1;
    }
    monitor_options.fusion.mobile_asns.insert(fmt::format("AS{}", *n));
  }
  server::DisruptionMonitor monitor(
      **st, RealClock::Instance(), monitor_options,
      [&poster](const std::string& url, const std::string& body, const std::vector<std::string>& headers) -> Result<int> {
        measure::nettests::PostOptions o;
        o.headers = headers;
        o.timeout = std::chrono::seconds(15);
        auto r = poster->PostBlocking(url, body, o);
        if (!r) return tl::unexpected(r.error());
        return static_cast<int>(r->status);
      });
  monitor.Start();

  asio::io_context io(threads);
  // HttpServer's state is touched from its executor only: with one thread the io_context
  // itself serializes it; a strand would only add its own queue and locking.
  const asio::any_io_executor http_executor =
      threads == 1 ? asio::any_io_executor(io.get_executor()) : asio::any_io_executor(asio::make_strand(io));
  net::HttpServerOptions http_options;
  http_options.max_body_bytes = f.max_body_mb << 20;
  http_options.max_in_flight = 256;
  http_options.max_connections = 1024;
  server::Server* s = server->get();
  auto http = net::HttpServer::Create(
      http_executor, f.listen, [s](const net::HttpServerRequest& r) { return s->Handle(r); }, http_options);
  if (!http) {
    std::fprintf(stderr, "vigil serve: %s\n", http.error().ToString().c_str());
    return 1;
  }
  (*http)->Start();
  auto health = (*st)->Health();
  std::printf("vigil serve listening on http://%s (%s store%s%s)\n",
              net::FormatEndpoint((*http)->local_endpoint()).c_str(),
              health ? health->backend.c_str() : "?",
              f.open_collector ? ", open collector" : "",
              options.web_dir.empty() ? "" : (", dashboard from " + options.web_dir).c_str());
  std::fflush(stdout);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("vigil serve: signal {}: draining in-flight requests", signo);
    asio::co_spawn(http_executor, (*http)->Stop(), [&io](std::exception_ptr) { io.stop(); });
  });
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  monitor.Stop();
  (*server)->Shutdown();
  server->reset();
  http->reset();
  st->reset();
  spdlog::info("vigil serve: stopped; store closed");
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& root) {
  auto f = std::make_shared<ServeFlags>();
  auto* cmd = root.add_subcommand(
      "serve", "Run the observatory server: OONI collector, query API, metrics, dashboard.");
  cmd->add_option("--listen", f->listen, "ADDR:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  auto* data = cmd->add_option("--data", f->data_dir, "Data folder of the embedded SQLite store")
                   ->capture_default_str();
  cmd->add_option("--db", f->db_url, "PostgreSQL URL (postgresql://...) instead of SQLite")
      ->excludes(data);
  cmd->add_flag("--open-collector", f->open_collector,
                "Accept anonymous submissions (rate-limited per address) besides probe tokens");
  cmd->add_option("--rate", f->rate, "Open collector: submissions per second per address")
      ->capture_default_str();
  cmd->add_option("--burst", f->burst, "Open collector: burst per address")->capture_default_str();
  cmd->add_option("--web", f->web_dir, "Folder of the dashboard to serve at / (default: web/dist when built)");
  cmd->add_option("--threads", f->threads,
                  "HTTP I/O threads (default 1; with more, every connection runs on one strand, so they "
                  "only add hand-offs between threads; requests are handled on pools sized by the cores)");
  cmd->add_option("--workers", f->workers,
                  "Threads for routes that block on the store (default: 8 per core, at least 64); "
                  "collector submissions use one thread per core");
  cmd->add_option("--report-key", f->report_key_file,
                  "File with the report-id key (default DATA/report.key; nodes sharing a database share it)");
  cmd->add_option("--public-url", f->public_url, "Base URL in next_url/measurement_url (default: from Host)");
  cmd->add_option("--geo-dir", f->geo_dir, "Folder holding the geolocation data");
  cmd->add_flag("--no-geo", f->no_geo, "Do not load geolocation data (no country/ASN enrichment)");
  cmd->add_option("--max-body-mb", f->max_body_mb, "Largest request body, MiB (413 above)")
      ->capture_default_str();
  cmd->add_option("--test-lists", f->test_lists,
                  "Folder of Citizen Lab lists (global.csv, cm.csv, ...) giving measurements their category "
                  "(default: data/test-lists)");
  cmd->add_option("--webhook", f->webhooks,
                  "URL to POST to when a disruption starts or ends (repeatable; retried, sent once)");
  cmd->add_option("--webhook-ca-file", f->webhook_ca_file, "Extra PEM CA file trusted for webhook URLs");
  cmd->add_option("--detect-every", f->detect_every, "Seconds between disruption detection runs (0: off)")
      ->capture_default_str();
  cmd->add_option("--mobile-asn", f->mobile_asns,
                  "AS number of a mobile network (repeatable): its outages are reported as kind mobile");
  cmd->callback([f] { ExitCode() = RunServe(*f); });
}

}  // namespace vigil::app
