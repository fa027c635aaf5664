// `vigil detect series`: run a disruption detector over time series kept as CSV.
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "apps/vigil/commands.h"
#include "disruption/detect_ioda.h"
#include "disruption/detect_vigil.h"
#include "disruption/series.h"

namespace vigil::app {
namespace {

struct DetectSeriesFlags {
  std::string path;
  std::string method = "vigil";
  long step_seconds = 0;
};

int RunDetectSeries(const DetectSeriesFlags& flags) {
  disruption::SeriesCsvOptions options;
  if (flags.step_seconds > 0) options.step = std::chrono::seconds(flags.step_seconds);
  auto csv = disruption::ReadSeriesCsv(flags.path, options);
  if (!csv) {
    std::fprintf(stderr, "vigil detect series: %s: %s\n", flags.path.c_str(),
                 csv.error().ToString().c_str());
    return 1;
  }
  for (const disruption::CsvProblem& p : csv->problems) {
    std::fprintf(stderr, "%s:%zu: skipped: %s\n", flags.path.c_str(), p.line, p.message.c_str());
  }
  std::string out;
  for (const disruption::Series& series : csv->series) {
    auto events = flags.method == "ioda" ? disruption::DetectIoda(series, {})
                                         : disruption::DetectVigil(series, {});
    for (const disruption::Event& e : events) {
      disruption::AppendEventJson(out, e);
      out += '\n';
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void AddDetectCommand(CLI::App& root) {
  CLI::App* detect = root.add_subcommand("detect", "Find disruptions in signals");
  detect->require_subcommand(1);
  auto flags = std::make_shared<DetectSeriesFlags>();
  CLI::App* series = detect->add_subcommand(
      "series",
      "Read time series from CSV and print one JSON line per event\n"
      "({entity, start, end (null if ongoing), kind: full|partial, score}).\n"
      "The CSV needs a header naming the columns time,value[,entity]; times are ISO 8601,\n"
      "\"YYYY-MM-DD HH:MM:SS\" or unix seconds. Malformed rows are reported and skipped.\n\n"
      "--method vigil (default): a seasonal baseline (median of the same time of week over\n"
      "  the past 4 weeks, same time of day as a fallback, scaled by the recent level)\n"
      "  that learns only from bins outside events; robust scale (MAD); a CUSUM for the\n"
      "  onset and another for the end; no cap on an event's length. Needs a week of data\n"
      "  before it detects. score = baseline-hours of signal lost.\n"
      "--method ioda: IODA's rule: value / median of the previous 7 days < 0.8, values in\n"
      "  alert replaced by the prediction for up to 7 days; an event is a run of alerting\n"
      "  bins. score = IODA's alert area (% drop x minutes).\n"
      "See docs/methodology-detectors.md.");
  series->add_option("FILE", flags->path, "CSV file (plain or gzip; - for standard input)")
      ->required();
  series->add_option("--method", flags->method, "vigil or ioda")
      ->check(CLI::IsMember({"vigil", "ioda"}))
      ->capture_default_str();
  series->add_option("--step", flags->step_seconds,
                     "bin width in seconds (default: the most common gap between timestamps)")
      ->check(CLI::PositiveNumber);
  series->callback([flags] { ExitCode() = RunDetectSeries(*flags); });
}

}  // namespace vigil::app
