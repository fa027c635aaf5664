// `vigil probe run` and `vigil probe upload` as library functions: everything the commands do
// besides parsing flags, so tests and the testbed can drive them. RunProbe plans a run (or
// resumes the newest unfinished one), measures through RealNetwork with the Runner's bounds,
// commits each measurement with its verdict to the Outbox, shows a progress line on a terminal,
// exports the run to a JSONL file and optionally uploads.
//
// Thread-safety: each call runs its own io_context on the calling thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "measure/test_list.h"
#include "probe/uploader.h"

namespace vigil::probe {

struct ProbeRunConfig {
  std::vector<measure::TestInput> inputs;            // web_connectivity inputs
  std::vector<std::string> platform_tests;  // whatsapp, telegram, signal, facebook_messenger
  // Continue the newest unfinished run instead; its saved helper URL, probe_cc and probe_asn
  // apply unless given here.
  bool resume = false;

  std::string outbox_path;
  std::string out_path;  // JSONL export of the run; empty for none
  std::string helper_url;
  std::optional<std::string> resolver;  // "ip:port" UDP resolver
  bool use_system_resolver = true;
  std::string ca_file;
  std::string platform_config_path;
  std::string geo_dir;  // empty: geo::DefaultGeoDir(), and no ASNs when absent
  std::string cc = "ZZ";
  std::string asn = "AS0";
  std::size_t parallel = 16;
  std::size_t per_host = 2;
  std::chrono::milliseconds step_timeout{10000};
  std::string software_version;
  bool progress = false;

  std::string upload_url;  // empty: keep everything in the outbox
  std::string upload_token;  // see UploadOptions::token
  int upload_attempts = 5;
  std::chrono::milliseconds upload_backoff{500};
};

struct ProbeRunSummary {
  int64_t run_id = 0;
  std::size_t total = 0;
  std::size_t done = 0;
  std::size_t measured_now = 0;
  std::size_t blocked = 0;
  std::size_t max_per_host = 0;  // the Runner's HostLimiter counter
  std::optional<UploadStats> upload;
};

Result<ProbeRunSummary> RunProbe(const ProbeRunConfig& config);

// Uploads the outbox's pending measurements.
Result<UploadStats> UploadOutbox(const std::string& outbox_path, const UploadOptions& options,
                                 const std::string& ca_file);

// The default outbox: $VIGIL_DATA_DIR/outbox.sqlite, else ~/.local/share/vigil/outbox.sqlite.
std::string DefaultOutboxPath();

}  // namespace vigil::probe
