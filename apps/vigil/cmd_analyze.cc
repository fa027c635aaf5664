// `vigil analyze`: recompute verdicts for OONI measurements offline.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "analysis/batch.h"
#include "analysis/fingerprints.h"
#include "analysis/summary.h"
#include "apps/vigil/commands.h"
#include "core/log.h"
#include "core/terminal.h"
#include "geo/geo_db.h"
#include "geo/lazy_asn.h"

namespace vigil::app {
namespace {

struct AnalyzeFlags {
  std::vector<std::string> inputs;
  int jobs = 0;
  bool summary = false;
  bool strict = false;
  std::string geo_dir;
};

class CommandSink : public analysis::BatchSink {
 public:
  CommandSink(bool summary, bool progress) : summary_mode_(summary), progress_(progress) {
    std::setvbuf(stdout, nullptr, _IOFBF, 1 << 20);
    start_ = std::chrono::steady_clock::now();
  }
  void Json(std::string_view lines) override { std::fwrite(lines.data(), 1, lines.size(), stdout); }
  void Record(const analysis::AnalysisRecord& r) override { summary_.Add(r); }
  void Error(std::string_view where, std::string_view message) override {
    progress_.Finish();
    std::fprintf(stderr, "vigil analyze: %.*s: %.*s\n", static_cast<int>(where.size()), where.data(),
                 static_cast<int>(message.size()), message.data());
    if (summary_mode_) summary_.AddError();
  }
  void Progress(size_t measurements, size_t bytes) override {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    progress_.Update(fmt::format("analysed {} measurements, {:.0f} MB ({:.0f} MB/s)", measurements,
                                 static_cast<double>(bytes) / 1e6,
                                 secs > 0 ? static_cast<double>(bytes) / 1e6 / secs : 0.0));
  }
  void Finish() {
    progress_.Finish();
    if (summary_mode_) std::fputs(summary_.Render().c_str(), stdout);
    std::fflush(stdout);
  }

 private:
  bool summary_mode_;
  ProgressLine progress_;
  analysis::Summary summary_;
  std::chrono::steady_clock::time_point start_;
};

bool LargeInput(const std::vector<std::string>& inputs) {
  size_t total = 0;
  for (const auto& p : inputs) {
    struct stat st {};
    if (p == "-" || stat(p.c_str(), &st) != 0) return true;
    total += static_cast<size_t>(st.st_size);
  }
  return total > (size_t{32} << 20);
}

int Run(const AnalyzeFlags& flags) {
  std::vector<std::string> inputs = flags.inputs;
  if (inputs.empty()) {
    if (isatty(STDIN_FILENO)) {
      std::fprintf(stderr,
                   "vigil analyze: no input. Give measurement files (JSON, JSONL, .gz) or '-' to read "
                   "standard input; see vigil analyze --help.\n");
      return 2;
    }
    inputs.push_back("-");
  }
  geo::LazyAsnLookup asn(flags.geo_dir);
  analysis::AnalysisContext ctx;
  ctx.fingerprints = &analysis::FingerprintDb::Builtin();
  ctx.asn_lookup = [&asn](std::string_view ip) { return asn.Lookup(ip); };

  analysis::BatchOptions options;
  options.inputs = inputs;
  options.jobs = flags.jobs > 0 ? flags.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.strict = flags.strict;
  options.keep_records = flags.summary;
  options.write_json = !flags.summary;
  CommandSink sink(flags.summary, StderrIsTerminal() && LargeInput(inputs));
  auto stats = analysis::AnalyzeInputs(options, ctx, sink);
  sink.Finish();
  if (!stats) {
    std::fprintf(stderr, "vigil analyze: stopped at the first error (--strict)\n");
    return 1;
  }
  if (stats->errors > 0) {
    std::fprintf(stderr, "vigil analyze: %zu input(s) could not be read (see above); %zu measurement(s) analysed\n",
                 stats->errors, stats->measurements);
    return 1;
  }
  return 0;
}

}  // namespace

void AddAnalyzeCommand(CLI::App& root) {
  auto flags = std::make_shared<AnalyzeFlags>();
  CLI::App* cmd = root.add_subcommand(
      "analyze",
      "Recompute verdicts for OONI measurements offline.\n"
      "Reads JSON, JSONL and .gz files (or '-' for standard input), streaming in constant memory, and\n"
      "writes one JSON line per measurement: measurement_uid, report_id, input, test_name, probe_cc,\n"
      "probe_asn, blocking, accessible, anomaly, confirmed, failure, fingerprint, probe_blocking, why.\n"
      "Web Connectivity verdicts are recomputed from the observations (never copied from the probe);\n"
      "docs/methodology.md explains every rule. A malformed line is reported on stderr with its file\n"
      "and line number and the rest goes on; the exit status is 1 if any line failed.");
  cmd->add_option("files", flags->inputs, "Measurement files; '-' reads standard input");
  cmd->add_option("-j,--jobs", flags->jobs, "Threads to analyse with (default: all cores); output keeps input order");
  cmd->add_flag("--summary", flags->summary,
                "Print a table (counts per test, verdict, country and domain) instead of JSON lines");
  cmd->add_flag("--strict", flags->strict, "Stop at the first malformed measurement");
  cmd->add_option("--geo-dir", flags->geo_dir,
                  "Folder with the IP-to-ASN data (default: found automatically; installed by scripts/setup)");
  cmd->callback([flags] { ExitCode() = Run(*flags); });
}

}  // namespace vigil::app
