// `vigil probe watch` and `vigil probe journal verify`: wiring of src/watch.
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "apps/vigil/commands.h"
#include "geo/lazy_asn.h"
#include "measure/nettests/http_post.h"
#include "net/network.h"
#include "watch/anchors.h"
#include "watch/journal.h"
#include "watch/journal_verify.h"
#include "watch/upload.h"
#include "watch/watch.h"

namespace vigil::app {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnStopSignal(int) { g_stop.store(true); }

struct WatchFlags {
  std::string journal;
  std::string interval = "30s";
  std::string anchors;
  std::string server;
  std::string token;
  std::string cc = "ZZ";
  std::string asn = "AS0";
  std::string region;
  double budget_mb = 5;
  std::string summary_every = "10m";
  std::string checkin_every = "5m";
  std::string ca_file;
  std::string resolver = "9.9.9.9:53";
  int64_t rounds = 0;
  int tls_every = 10;
  int download_every = 240;
  std::string geo_dir;
};

std::string DefaultJournalPath() {
  if (const char* d = std::getenv("VIGIL_DATA_DIR"); d != nullptr && *d != 0) {
    return std::string(d) + "/watch.sqlite";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.local/share/vigil/watch.sqlite";
}

// "30s", "50ms", "10m", "1h" or a number of seconds.
std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  double ms = 0;
  if (unit.empty() || unit == "s") {
    ms = value * 1000;
  } else if (unit == "ms") {
    ms = value;
  } else if (unit == "m") {
    ms = value * 60'000;
  } else if (unit == "h") {
    ms = value * 3'600'000;
  } else {
    return std::nullopt;
  }
  if (!(ms >= 1) || ms > 7 * 24 * 3'600'000.0) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

int Fail2(const std::string& message) {
  std::fprintf(stderr, "vigil probe watch: %s\n", message.c_str());
  return 2;
}

int RunWatch(WatchFlags& f) {
  if (f.journal.empty()) f.journal = DefaultJournalPath();
  watch::WatchOptions options;
  auto interval = ParseDuration(f.interval);
  auto summary = ParseDuration(f.summary_every);
  auto checkin = ParseDuration(f.checkin_every);
  if (!interval) return Fail2("--interval: use e.g. 30s, 500ms, 5m");
  if (!summary) return Fail2("--summary-every: use e.g. 10m, 30s");
  if (!checkin) return Fail2("--checkin-every: use e.g. 5m, 30s");
  if (f.budget_mb <= 0) return Fail2("--budget-mb must be > 0");
  if (f.server.empty() && !f.token.empty()) return Fail2("--token needs --server");
  if (!f.server.empty() && f.token.empty()) {
    return Fail2("--server needs --token (a probe token from `vigil token create --role probe`)");
  }
  options.interval = *interval;
  options.summary_every = *summary;
  options.checkin_every = *checkin;
  options.budget_bytes = static_cast<uint64_t>(f.budget_mb * 1e6);
  options.rounds = f.rounds;
  options.tls_every = f.tls_every;
  options.download_every = f.download_every;
  options.anchors = watch::DefaultAnchors(f.resolver);
  if (!f.anchors.empty()) {
    auto a = watch::LoadAnchors(f.anchors, options.anchors);
    if (!a) return Fail2(a.error().ToString());
    options.anchors = std::move(*a);
  }
  std::string asn = f.asn;
  if (!asn.empty() && asn[0] >= '0' && asn[0] <= '9') asn = "AS" + asn;

  auto key = watch::ProbeKey::LoadOrCreate(watch::KeyPathForJournal(f.journal));
  if (!key) return Fail2(key.error().ToString());
  auto journal = watch::Journal::Open(f.journal, *key);
  if (!journal) return Fail2(journal.error().ToString());

  net::NetworkOptions net_options;
  net_options.system_lookup_timeout = options.anchors.timeout;
  net_options.udp.timeout = options.anchors.timeout;
  net_options.udp.collect_window =
      std::min(std::chrono::milliseconds(500), options.anchors.timeout / 4);
  net_options.udp.tcp_timeout = options.anchors.timeout;
  net_options.tcp_connect_timeout = options.anchors.timeout;
  net_options.extra_ca_file = f.ca_file;
  net_options.resolver_threads = 2;
  auto network = net::RealNetwork::Create(net_options);
  if (!network) return Fail2(network.error().ToString());

  std::unique_ptr<measure::nettests::HttpPoster> poster;
  std::unique_ptr<watch::JournalUploader> uploader;
  if (!f.server.empty()) {
    auto p = measure::nettests::HttpPoster::Create(f.ca_file, 1);
    if (!p) return Fail2(p.error().ToString());
    poster = std::move(*p);
    watch::UploadConfig up;
    up.server = f.server;
    up.token = f.token;
    up.cc = f.cc;
    up.asn = asn;
    up.region = f.region;
    uploader = std::make_unique<watch::JournalUploader>(**journal, *poster, up,
                                                        RealClock::Instance());
  }

  geo::LazyAsnLookup asn_lookup(f.geo_dir);
  watch::AsnOf asn_of = [&asn_lookup](std::string_view ip) { return asn_lookup.Lookup(ip); };
  watch::WatchCallbacks callbacks;
  callbacks.committed = [](int64_t seq, const std::string& kind) {
    std::fprintf(stderr, "journal seq %lld committed (%s)\n", static_cast<long long>(seq),
                 kind.c_str());
    std::fflush(stderr);
  };
  callbacks.state_changed = [](const std::string& description) {
    std::fprintf(stderr, "vigil probe watch: now %s\n", description.c_str());
    std::fflush(stderr);
  };
  watch::Watcher watcher(options, **network, **journal, RealClock::Instance(), uploader.get(),
                         asn_of, callbacks);

  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  std::fprintf(stderr,
               "vigil probe watch: journal %s, probe key %s, every %lld ms%s\n",
               f.journal.c_str(), (*journal)->probe_key().c_str(),
               static_cast<long long>(options.interval.count()),
               f.server.empty() ? " (no server: nothing is sent)" : "");
  boost::asio::io_context io;
  std::optional<Result<void>> outcome;
  boost::asio::co_spawn(io, watcher.Run(g_stop),
                        [&](std::exception_ptr e, Result<void> r) {
                          if (e) {
                            outcome = Fail("internal_error", "the watch loop threw");
                          } else {
                            outcome = std::move(r);
                          }
                        });
  io.run();
  if (!outcome || !*outcome) {
    std::fprintf(stderr, "vigil probe watch: %s\n",
                 outcome ? outcome->error().ToString().c_str() : "the watch loop did not finish");
    return 1;
  }
  std::fprintf(stderr, "vigil probe watch: stopped; journal at seq %lld (server holds %lld)\n",
               static_cast<long long>((*journal)->last_seq()),
               static_cast<long long>((*journal)->uploaded_seq()));
  return 0;
}

int VerifyJournalFile(const std::string& path) {
  auto journal = watch::Journal::OpenReadOnly(path);
  if (!journal) {
    std::fprintf(stderr, "vigil probe journal verify: %s\n", journal.error().ToString().c_str());
    return 2;
  }
  auto records = (*journal)->ReadAll();
  if (!records) {
    std::fprintf(stderr, "vigil probe journal verify: %s\n", records.error().ToString().c_str());
    return 2;
  }
  auto report = watch::VerifyJournal(*records);
  std::printf("journal: %s\n", path.c_str());
  std::printf("entries: %zu\n", report.entries);
  if (!report.probe_key.empty()) std::printf("probe key: %s\n", report.probe_key.c_str());
  if (report.ok) {
    if (report.entries == 0) {
      std::printf("OK: the journal is empty\n");
    } else {
      std::printf("OK: seq 0 to %lld: every hash and signature verifies, no gap, no fork\n",
                  static_cast<long long>(report.last_seq));
    }
    return 0;
  }
  std::printf("FAILED at seq %lld (%zu problem%s):\n",
              static_cast<long long>(report.first_bad_seq), report.problems.size(),
              report.problems.size() == 1 ? "" : "s");
  for (const auto& p : report.problems) std::printf("  %s\n", p.c_str());
  return 1;
}

constexpr char kWatchFooter[] = R"(
Every --interval the watch checks the gateway and the local resolver, DNS through the system
and the public resolver, TCP (and every --tls-every rounds TLS) to major sites and to
WhatsApp, Telegram, Signal and Facebook, and every --download-every rounds one small HTTPS
download. From them it derives a state:
  online            everything answers
  offline           nothing beyond the local network answers; the reason says "local-link"
                    (the gateway is silent too) or "upstream" (the local link is fine)
  platform-blocked  every endpoint of a platform fails while other sites work
  dns-tampered      the local resolver lies: private/bogon answers, NXDOMAIN, racing
                    answers, or addresses in no common ASN with the public resolver's
  throttled         the download runs below 30% of this probe's own median
Each change of state, and a summary every --summary-every, is appended to the journal
(SQLite, fsynced), signed with this probe's ed25519 key (<journal>.key, created 0600) and
hash-chained. Check it with `vigil probe journal verify FILE`.
With --server and --token (a probe token), the watch checks in while online and uploads the
entries the server lacks. Nothing is sent anywhere otherwise. Your IP address is never
recorded or sent: --cc, --asn and --region are all the server learns about where you are.
The data budget counts the watch's own traffic per UTC day: past 50% the download stops, past
80% the TLS checks stop, past 100% rounds run ten times less often until the day ends.
Stop with Ctrl-C or SIGTERM: a final summary is written.

Examples:
  vigil probe watch
  vigil probe watch --cc CM --asn AS30987 --region CM-NW \
      --server https://vigil.example.org --token TOKEN
  vigil probe watch --anchors anchors.json --interval 10s --budget-mb 20
)";

}  // namespace

void AddProbeWatchSubcommands(CLI::App& probe_cmd) {
  auto f = std::make_shared<WatchFlags>();
  auto* watch = probe_cmd.add_subcommand(
      "watch", "Watch this network for shutdowns and blocking; keep a signed journal.");
  watch->footer(kWatchFooter);
  watch->add_option("--journal", f->journal,
                    "Journal file (default: $VIGIL_DATA_DIR/watch.sqlite, else "
                    "~/.local/share/vigil/watch.sqlite)");
  watch->add_option("--interval", f->interval, "Time between rounds of checks (30s, 500ms, 5m)")
      ->capture_default_str();
  watch->add_option("--anchors", f->anchors,
                    "JSON file of what to check (see src/watch/README.md; default: this "
                    "machine's gateway and resolver, major sites, messaging platforms)");
  watch->add_option("--server", f->server, "Vigil server URL to check in with and upload to");
  watch->add_option("--token", f->token,
                    "Probe token for --server (better from the environment: VIGIL_PROBE_TOKEN)")
      ->envname("VIGIL_PROBE_TOKEN");
  watch->add_option("--cc", f->cc, "Country code to report (never looked up)")
      ->capture_default_str();
  watch->add_option("--asn", f->asn, "Network to report, e.g. AS30987 (never looked up)")
      ->capture_default_str();
  watch->add_option("--region", f->region, "Region to report, e.g. CM-NW");
  watch->add_option("--budget-mb", f->budget_mb, "Data budget of the watch per UTC day, in MB")
      ->capture_default_str();
  watch->add_option("--summary-every", f->summary_every, "Time between summary entries")
      ->capture_default_str();
  watch->add_option("--checkin-every", f->checkin_every, "Time between check-ins while online")
      ->capture_default_str();
  watch->add_option("--ca-file", f->ca_file, "Extra PEM CA file to trust (TLS checks, server)");
  watch->add_option("--resolver", f->resolver, "Public resolver IP:PORT to compare DNS with")
      ->capture_default_str();
  watch->add_option("--tls-every", f->tls_every, "Rounds between TLS handshake rounds")
      ->capture_default_str();
  watch->add_option("--download-every", f->download_every,
                    "Rounds between throughput downloads")
      ->capture_default_str();
  watch->add_option("--rounds", f->rounds, "Stop after N rounds (0: run until stopped)")
      ->capture_default_str();
  watch->add_option("--geo-dir", f->geo_dir, "Folder of the geolocation data (ASN rule)");
  watch->callback([f] { ExitCode() = RunWatch(*f); });

  auto* journal = probe_cmd.add_subcommand("journal", "Inspect the watch's journal.");
  journal->require_subcommand(1);
  auto path = std::make_shared<std::string>();
  auto* verify = journal->add_subcommand(
      "verify", "Check every signature, hash and the chain of a watch journal (exit 0 or 1).");
  verify->add_option("FILE", *path, "Journal file")->required();
  verify->callback([path] { ExitCode() = VerifyJournalFile(*path); });
}

}  // namespace vigil::app
