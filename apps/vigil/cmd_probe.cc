// `vigil probe run` and `vigil probe upload`.
#include <cstdio>

#include <spdlog/spdlog.h>

#include "apps/vigil/commands.h"
#include "core/terminal.h"
#include "probe/probe_run.h"
#include "measure/test_list.h"

namespace vigil::app {
namespace {

struct ProbeFlags {
  std::vector<std::string> inputs;
  std::vector<std::string> lists;
  std::string country;
  std::string lists_dir = "data/test-lists";
  std::vector<std::string> tests;
  std::string resolver;
  bool no_system_resolver = false;
  int timeout_ms = 10000;
  int upload_backoff_ms = 500;
  probe::ProbeRunConfig config;
};

int Run(ProbeFlags& f) {
  auto& c = f.config;
  c.software_version = VIGIL_VERSION;
  c.progress = StderrIsTerminal();
  c.step_timeout = std::chrono::milliseconds(f.timeout_ms);
  c.upload_backoff = std::chrono::milliseconds(f.upload_backoff_ms);
  c.use_system_resolver = !f.no_system_resolver;
  if (!f.resolver.empty()) c.resolver = f.resolver;
  if (c.outbox_path.empty()) c.outbox_path = probe::DefaultOutboxPath();
  if (c.resume && (!f.inputs.empty() || !f.lists.empty() || !f.country.empty() || !f.tests.empty())) {
    std::fprintf(stderr, "vigil probe run: --resume continues the planned run; do not give inputs\n");
    return 2;
  }
  std::vector<measure::TestInput> inputs;
  for (const auto& url : f.inputs) inputs.push_back({url, ""});
  for (const auto& path : f.lists) {
    auto list = measure::LoadTestList(path);
    if (!list) {
      std::fprintf(stderr, "vigil probe run: %s\n", list.error().ToString().c_str());
      return 2;
    }
    inputs.insert(inputs.end(), list->begin(), list->end());
  }
  if (!f.country.empty()) {
    auto list = measure::LoadCountryTestLists(f.lists_dir, f.country);
    if (!list) {
      std::fprintf(stderr, "vigil probe run: %s\n", list.error().ToString().c_str());
      return 2;
    }
    inputs.insert(inputs.end(), list->begin(), list->end());
  }
  c.inputs = measure::Deduplicate(std::move(inputs));
  for (const auto& t : f.tests) {
    if (t == "web_connectivity") continue;  // implied by inputs
    if (t == "platforms") {
      c.platform_tests.insert(c.platform_tests.end(),
                              {"whatsapp", "telegram", "signal", "facebook_messenger"});
    } else {
      c.platform_tests.push_back(t);
    }
  }
  auto summary = probe::RunProbe(c);
  if (!summary) {
    std::fprintf(stderr, "vigil probe run: %s\n", summary.error().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr,
               "vigil probe run: run %lld: %zu/%zu measured (%zu now), %zu blocked, at most %zu "
               "at once per host; outbox %s\n",
               static_cast<long long>(summary->run_id), summary->done, summary->total,
               summary->measured_now, summary->blocked, summary->max_per_host,
               c.outbox_path.c_str());
  if (summary->upload) {
    const auto& u = *summary->upload;
    std::fprintf(stderr, "vigil probe run: uploaded %zu, %zu left in the outbox%s%s\n", u.uploaded,
                 u.left, u.last_failure.empty() ? "" : "; last failure: ", u.last_failure.c_str());
  }
  return 0;
}

struct UploadFlags {
  std::string outbox;
  std::string ca_file;
  int backoff_ms = 500;
  probe::UploadOptions options;
};

int Upload(UploadFlags& f) {
  if (f.outbox.empty()) f.outbox = probe::DefaultOutboxPath();
  f.options.software_version = VIGIL_VERSION;
  f.options.initial_backoff = std::chrono::milliseconds(f.backoff_ms);
  auto stats = probe::UploadOutbox(f.outbox, f.options, f.ca_file);
  if (!stats) {
    std::fprintf(stderr, "vigil probe upload: %s\n", stats.error().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "vigil probe upload: uploaded %zu in %zu reports, %zu left%s%s\n",
               stats->uploaded, stats->reports, stats->left,
               stats->last_failure.empty() ? "" : "; last failure: ", stats->last_failure.c_str());
  return stats->left == 0 ? 0 : 3;
}

}  // namespace

void AddProbeCommand(CLI::App& root) {
  auto* probe_cmd = root.add_subcommand("probe", "Measure censorship from this network.");
  probe_cmd->require_subcommand(1);
  AddProbeWatchSubcommands(*probe_cmd);

  auto f = std::make_shared<ProbeFlags>();
  auto* run = probe_cmd->add_subcommand(
      "run", "Run Web Connectivity over URLs (and platform tests); store in the outbox.");
  run->add_option("--input", f->inputs, "URL to measure (repeatable)");
  run->add_option("--list", f->lists, "Citizen Lab CSV test list (repeatable)");
  run->add_option("--country", f->country, "Country code: measure DIR/global.csv + DIR/<cc>.csv");
  run->add_option("--lists", f->lists_dir, "Folder of Citizen Lab lists for --country")
      ->capture_default_str();
  run->add_option("--test", f->tests,
                  "Platform test: whatsapp, telegram, signal, facebook_messenger, or platforms");
  run->add_option("--helper", f->config.helper_url, "Test helper URL (e.g. http://127.0.0.1:8080/)");
  run->add_option("--resolver", f->resolver, "UDP resolver ADDR:PORT queried besides the system one");
  run->add_flag("--no-system-resolver", f->no_system_resolver,
                "Resolve only through --resolver (not getaddrinfo)");
  run->add_option("--ca-file", f->config.ca_file, "Extra PEM CA file to trust");
  run->add_option("--platform-config", f->config.platform_config_path,
                  "JSON file overriding the platform tests' endpoints");
  run->add_option("--parallel", f->config.parallel, "Measurements at once")->capture_default_str();
  run->add_option("--per-host", f->config.per_host, "Measurements at once for one host")
      ->capture_default_str();
  run->add_option("--out", f->config.out_path, "Also write the run's measurements to FILE.jsonl");
  run->add_option("--cc", f->config.cc, "probe_cc to record")->capture_default_str();
  run->add_option("--asn", f->config.asn, "probe_asn to record (AS1234)")->capture_default_str();
  run->add_option("--outbox", f->config.outbox_path, "Outbox file (default: $VIGIL_DATA_DIR/outbox.sqlite)");
  run->add_flag("--resume", f->config.resume, "Finish the newest interrupted run");
  run->add_option("--upload", f->config.upload_url, "Collector URL to upload to after the run");
  run->add_option("--token", f->config.upload_token,
                  "Probe token of a Vigil server for --upload (better from the environment: VIGIL_PROBE_TOKEN)")
      ->envname("VIGIL_PROBE_TOKEN");
  run->add_option("--upload-attempts", f->config.upload_attempts, "Tries per upload request")
      ->capture_default_str();
  run->add_option("--upload-backoff-ms", f->upload_backoff_ms, "First retry delay (doubles)")
      ->capture_default_str();
  run->add_option("--timeout-ms", f->timeout_ms, "Timeout of each DNS/TCP/TLS/HTTP step")
      ->capture_default_str();
  run->add_option("--geo-dir", f->config.geo_dir, "Folder holding the geolocation data (ASNs)");
  run->callback([f] { ExitCode() = Run(*f); });

  auto u = std::make_shared<UploadFlags>();
  auto* upload = probe_cmd->add_subcommand(
      "upload", "Send the outbox's measurements to a collector (OONI collector protocol).");
  upload->add_option("--collector", u->options.collector_url, "Collector base URL")->required();
  upload->add_option("--token", u->options.token,
                     "Probe token of a Vigil server (`vigil token create --role probe`); better from the "
                     "environment: VIGIL_PROBE_TOKEN. OONI's collectors need none")
      ->envname("VIGIL_PROBE_TOKEN");
  upload->add_option("--outbox", u->outbox, "Outbox file (default: $VIGIL_DATA_DIR/outbox.sqlite)");
  upload->add_option("--ca-file", u->ca_file, "Extra PEM CA file to trust");
  upload->add_option("--attempts", u->options.max_attempts, "Tries per request")
      ->capture_default_str();
  upload->add_option("--backoff-ms", u->backoff_ms, "First retry delay (doubles, up to 8 s)")
      ->capture_default_str();
  upload->callback([u] { ExitCode() = Upload(*u); });
}

}  // namespace vigil::app
