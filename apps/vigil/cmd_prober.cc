// `vigil prober survey` and `vigil prober run`: active probing of /24 blocks with Trinocular's
// method (src/prober/README.md).
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "apps/vigil/commands.h"
#include "core/clock.h"
#include "core/json_writer.h"
#include "core/terminal.h"
#include "core/time_format.h"
#include "geo/geo_db.h"
#include "prober/block_list.h"
#include "prober/pinger.h"
#include "prober/probe_sender.h"
#include "prober/rounds.h"
#include "prober/signals.h"
#include "prober/sleeper.h"
#include "prober/state_file.h"
#include "prober/survey.h"

namespace vigil::app {
namespace {

namespace asio = boost::asio;
using namespace vigil::prober;  // NOLINT(google-build-using-namespace): one command's wiring

struct CommonFlags {
  std::string method;  // "icmp" or "tcp"; run: default from the state file
  int port = 80;
  double max_rate = 100;
  int timeout_ms = 0;  // 0: the subcommand's default
  std::size_t parallel = 256;
};

double UnixSeconds(Clock::WallTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

Result<std::unique_ptr<Pinger>> MakePinger(const CommonFlags& f, asio::io_context& io) {
  if (f.method == "icmp") {
    auto pinger = IcmpPinger::Create(io.get_executor());
    if (!pinger) return tl::unexpected(pinger.error());
    return std::unique_ptr<Pinger>(std::move(*pinger));
  }
  if (f.method == "tcp") {
    if (f.port < 1 || f.port > 65535) return Fail("invalid_argument", "--port must be 1-65535");
    return std::unique_ptr<Pinger>(
        std::make_unique<TcpPinger>(RealClock::Instance(), static_cast<uint16_t>(f.port)));
  }
  return Fail("invalid_argument", "--method must be icmp or tcp, got '" + f.method + "'");
}

std::optional<std::string> CheckCommon(const CommonFlags& f) {
  if (f.method != "icmp" && f.method != "tcp") return "--method must be icmp or tcp";
  if (!(f.max_rate > 0) || f.max_rate > 1e6) return "--max-rate must be in (0, 1000000]";
  if (f.timeout_ms < 1 || f.timeout_ms > 60000) return "--timeout-ms must be in [1, 60000]";
  if (f.parallel < 1 || f.parallel > 65536) return "--parallel must be in [1, 65536]";
  return std::nullopt;
}

// ---- survey -------------------------------------------------------------------------------

struct SurveyFlags {
  CommonFlags common;
  std::string blocks_path;
  std::string state_path;
  int passes = 3;
};

int Survey(SurveyFlags& f) {
  if (f.common.method.empty()) f.common.method = "icmp";
  if (f.common.timeout_ms == 0) f.common.timeout_ms = 1000;
  if (auto bad = CheckCommon(f.common)) {
    std::fprintf(stderr, "vigil prober survey: %s\n", bad->c_str());
    return 2;
  }
  if (f.passes < 1 || f.passes > 20) {
    std::fprintf(stderr, "vigil prober survey: --passes must be in [1, 20]\n");
    return 2;
  }
  auto blocks = LoadBlockList(f.blocks_path);
  if (!blocks) {
    std::fprintf(stderr, "vigil prober survey: %s\n", blocks.error().ToString().c_str());
    return 2;
  }
  if (blocks->empty()) {
    std::fprintf(stderr, "vigil prober survey: %s lists no block\n", f.blocks_path.c_str());
    return 2;
  }
  asio::io_context io;
  auto pinger = MakePinger(f.common, io);
  if (!pinger) {
    std::fprintf(stderr, "vigil prober survey: %s\n", pinger.error().ToString().c_str());
    return 1;
  }
  auto& clock = RealClock::Instance();
  ProbeRateLimit limit(f.common.max_rate);
  TimerSleeper sleeper;
  ProbeSender sender(**pinger, limit, clock, sleeper, std::chrono::milliseconds(f.common.timeout_ms));
  const uint64_t total = uint64_t{blocks->size()} * 254 * static_cast<uint64_t>(f.passes);
  spdlog::info("surveying {} blocks: {} probes, {} passes, at most {}/s (about {:.0f} s)",
               blocks->size(), total, f.passes, f.common.max_rate,
               static_cast<double>(total) / f.common.max_rate);
  ProgressLine progress(StderrIsTerminal());
  SurveyOptions options;
  options.passes = f.passes;
  options.workers = f.common.parallel;
  options.progress = [&](uint64_t done, uint64_t all) {
    progress.Update(fmt::format("survey: {}/{} probes, {} answered", done, all, sender.answered()));
  };
  const auto start = clock.MonoNow();
  std::vector<SurveyedBlock> surveyed;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    surveyed = co_await SurveyBlocks(*blocks, sender, options);
    (*pinger)->Close();
  }, asio::detached);
  io.run();
  progress.Finish();
  const double elapsed = std::chrono::duration<double>(clock.MonoNow() - start).count();

  ProberState state;
  state.method = (*pinger)->method();
  state.created = FormatIsoTime(clock.WallNow());
  state.passes = f.passes;
  state.probes = sender.sent();
  state.seconds = elapsed;
  state.max_rate = f.common.max_rate;
  state.blocks = std::move(surveyed);
  if (auto written = WriteStateFile(f.state_path, state); !written) {
    std::fprintf(stderr, "vigil prober survey: %s\n", written.error().ToString().c_str());
    return 1;
  }
  TrinocularParams params;
  std::size_t measurable = 0;
  for (const auto& b : state.blocks) if (IsMeasurable(b.survey, params)) ++measurable;
  std::fprintf(stderr,
               "vigil prober survey: %zu blocks, %zu measurable (E(b) not empty, A(b) >= %.2f); "
               "%llu probes in %.3f s (cap %g/s: at most 1 + %g x seconds), %llu answered; state in %s\n",
               state.blocks.size(), measurable, params.min_availability,
               static_cast<unsigned long long>(sender.sent()), elapsed, f.common.max_rate,
               f.common.max_rate, static_cast<unsigned long long>(sender.answered()),
               f.state_path.c_str());
  return 0;
}

// ---- run ----------------------------------------------------------------------------------

struct RunFlags {
  CommonFlags common;
  std::string state_path;
  double round_seconds = 660;
  int rounds = 0;
  std::string out_path;
  std::string server;
  std::string token;
  std::string ca_file;
  std::string geo_dir;
};

// Writes one JSON line and flushes, so a reader following the file sees each event at once.
void WriteLine(FILE* out, const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), out);
  std::fputc('\n', out);
  std::fflush(out);
}

std::string StateLine(const StateChange& c) {
  std::string s;
  JsonWriter w(s);
  w.BeginObject();
  w.Key("type").String("state");
  w.Key("block").String(BlockName(c.prefix));
  w.Key("time").Double(UnixSeconds(c.time));
  w.Key("round").Int(c.round);
  w.Key("state").String(BlockStateName(c.outcome.state));
  w.Key("previous").String(BlockStateName(c.outcome.previous));
  w.Key("belief").Double(std::round(c.outcome.belief * 1e4) / 1e4);
  w.Key("probes").Int(c.outcome.probes);
  w.Key("availability").Double(std::round(c.availability * 1e4) / 1e4);
  w.EndObject();
  return s;
}

std::string RoundLine(const RoundSummary& r, uint64_t probes_total, double max_rate) {
  std::string s;
  JsonWriter w(s);
  w.BeginObject();
  w.Key("type").String("round");
  w.Key("round").Int(r.round);
  w.Key("start").Double(UnixSeconds(r.start));
  w.Key("duration").Double(std::chrono::duration<double>(r.duration).count());
  w.Key("up").Int(r.up);
  w.Key("down").Int(r.down);
  w.Key("uncertain").Int(r.uncertain);
  w.Key("unmeasurable").Int(r.unmeasurable);
  w.Key("probes").Uint(r.probes);
  w.Key("max_block_probes").Int(r.max_block_probes);
  w.Key("probes_total").Uint(probes_total);
  w.Key("max_rate").Double(max_rate);
  w.Key("overran").Bool(r.overran);
  w.EndObject();
  return s;
}

int Run(RunFlags& f) {
  auto state = ReadStateFile(f.state_path);
  if (!state) {
    std::fprintf(stderr, "vigil prober run: %s\n", state.error().ToString().c_str());
    return 2;
  }
  const std::string surveyed_by = state->method.substr(0, state->method.find(':'));
  if (f.common.method.empty()) f.common.method = surveyed_by.empty() ? "icmp" : surveyed_by;
  if (f.common.timeout_ms == 0) f.common.timeout_ms = 3000;
  if (auto bad = CheckCommon(f.common)) {
    std::fprintf(stderr, "vigil prober run: %s\n", bad->c_str());
    return 2;
  }
  if (!(f.round_seconds >= 0.1) || f.round_seconds > 86400 || f.rounds < 0) {
    std::fprintf(stderr, "vigil prober run: --round-seconds must be in [0.1, 86400], --rounds >= 0\n");
    return 2;
  }
  if (!surveyed_by.empty() && surveyed_by != f.common.method) {
    spdlog::warn("the state was surveyed with {}, probing with {}: E(b) may not answer",
                 state->method, f.common.method);
  }
  std::optional<std::string> signals_url;
  if (!f.server.empty()) {
    auto url = SignalsUrl(f.server);
    if (!url) {
      std::fprintf(stderr, "vigil prober run: %s\n", url.error().ToString().c_str());
      return 2;
    }
    signals_url = std::move(*url);
    const bool need_geo = std::any_of(state->blocks.begin(), state->blocks.end(),
                                      [](const SurveyedBlock& b) { return b.entities.empty(); });
    if (need_geo) {
      auto dir = f.geo_dir.empty() ? geo::DefaultGeoDir() : Result<std::string>(f.geo_dir);
      auto db = dir ? geo::GeoDb::Load(*dir) : Result<std::unique_ptr<geo::GeoDb>>(
                                                   tl::unexpected(dir.error()));
      if (db) {
        const auto placed = AddGeoEntities(state->blocks, **db);
        spdlog::info("geolocation placed {} blocks without entities", placed);
      } else {
        spdlog::warn("blocks without entities count for none ({})", db.error().ToString());
      }
    }
  }
  FILE* out = stdout;
  std::unique_ptr<FILE, int (*)(FILE*)> out_file(nullptr, std::fclose);
  if (!f.out_path.empty()) {
    out_file.reset(std::fopen(f.out_path.c_str(), "a"));
    if (!out_file) {
      std::fprintf(stderr, "vigil prober run: cannot open %s\n", f.out_path.c_str());
      return 1;
    }
    out = out_file.get();
  }

  asio::io_context io;
  auto pinger = MakePinger(f.common, io);
  if (!pinger) {
    std::fprintf(stderr, "vigil prober run: %s\n", pinger.error().ToString().c_str());
    return 1;
  }
  std::unique_ptr<measure::nettests::HttpPoster> poster;
  if (signals_url) {
    auto created = measure::nettests::HttpPoster::Create(f.ca_file, 1);
    if (!created) {
      std::fprintf(stderr, "vigil prober run: %s\n", created.error().ToString().c_str());
      return 2;
    }
    poster = std::move(*created);
  }
  auto& clock = RealClock::Instance();
  TrinocularParams params;
  std::vector<BlockTracker> trackers;
  std::vector<std::vector<Entity>> entities;
  trackers.reserve(state->blocks.size());
  std::size_t measurable = 0;
  for (const auto& b : state->blocks) {
    trackers.emplace_back(b.survey, params, 0x76696769ULL);
    entities.push_back(b.entities);
    if (IsMeasurable(b.survey, params)) ++measurable;
  }
  ProbeRateLimit limit(f.common.max_rate);
  TimerSleeper sleeper;
  ProbeSender sender(**pinger, limit, clock, sleeper, std::chrono::milliseconds(f.common.timeout_ms));
  RoundOptions options;
  options.round_length = std::chrono::milliseconds(static_cast<int64_t>(f.round_seconds * 1000));
  options.rounds = f.rounds;
  options.workers = f.common.parallel;
  RoundRunner runner(trackers, sender, options);

  const auto start_wall = clock.WallNow();
  const auto start_mono = clock.MonoNow();
  {
    std::string s;
    JsonWriter w(s);
    w.BeginObject().Key("type").String("start").Key("time").Double(UnixSeconds(start_wall));
    w.Key("blocks").Uint(trackers.size()).Key("measurable").Uint(measurable);
    w.Key("method").String((*pinger)->method()).Key("max_rate").Double(f.common.max_rate);
    w.Key("round_seconds").Double(f.round_seconds).Key("timeout_ms").Int(f.common.timeout_ms);
    w.EndObject();
    WriteLine(out, s);
  }
  spdlog::info("probing {} measurable blocks of {} by {} every {} s, at most {} probes/s",
               measurable, trackers.size(), (*pinger)->method(), f.round_seconds,
               f.common.max_rate);
  if (measurable == 0) spdlog::warn("no block is measurable: run a survey that finds addresses");

  ProgressLine progress(StderrIsTerminal());
  std::optional<SignalPoster> signal_poster;
  if (poster) signal_poster.emplace(*poster, *signals_url, f.token);
  int failed_posts = 0;
  auto on_change = [&](const StateChange& c) { WriteLine(out, StateLine(c)); };
  auto on_round = [&](const RoundSummary& r) -> asio::awaitable<void> {
    WriteLine(out, RoundLine(r, sender.sent(), f.common.max_rate));
    const std::string text =
        fmt::format("round {}: {} up, {} down, {} uncertain, {} unmeasurable; {} probes in {:.1f} s",
                    r.round, r.up, r.down, r.uncertain, r.unmeasurable, r.probes,
                    std::chrono::duration<double>(r.duration).count());
    if (StderrIsTerminal()) {
      progress.Update(text);
    } else {
      spdlog::info("{}", text);
    }
    if (r.overran) spdlog::warn("round {} took longer than --round-seconds", r.round);
    if (signal_poster) {
      const auto time = std::chrono::duration_cast<std::chrono::seconds>(r.start.time_since_epoch());
      auto points = UpBlocksPerEntity(trackers, entities, time.count(),
                                      static_cast<int64_t>(std::llround(f.round_seconds)));
      if (!points.empty()) {
        auto posted = co_await signal_poster->Post(points);
        if (!posted) {
          ++failed_posts;
          spdlog::warn("round {}: signals not posted: {}", r.round, posted.error().ToString());
        }
      }
    }
  };

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) {
      spdlog::info("stopping after the blocks being probed");
      runner.Stop();
    }
  });
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await runner.Run(on_change, on_round);
    boost::system::error_code ignored;
    signals.cancel(ignored);
    (*pinger)->Close();
  }, asio::detached);
  io.run();
  progress.Finish();

  const double elapsed = std::chrono::duration<double>(clock.MonoNow() - start_mono).count();
  std::string s;
  JsonWriter w(s);
  w.BeginObject().Key("type").String("end").Key("time").Double(UnixSeconds(clock.WallNow()));
  w.Key("elapsed").Double(elapsed).Key("probes_total").Uint(sender.sent());
  w.Key("answered").Uint(sender.answered()).Key("failed_posts").Int(failed_posts);
  w.EndObject();
  WriteLine(out, s);
  std::fprintf(stderr, "vigil prober run: %llu probes in %.1f s (%.2f/s, cap %.2f/s)\n",
               static_cast<unsigned long long>(sender.sent()), elapsed,
               elapsed > 0 ? static_cast<double>(sender.sent()) / elapsed : 0.0,
               f.common.max_rate);
  return 0;
}

void AddCommonFlags(CLI::App* cmd, CommonFlags& f, const char* timeout_default) {
  cmd->add_option("--method", f.method,
                  "icmp (echo over a raw socket: root or CAP_NET_RAW) or tcp (connect to --port: "
                  "a SYN-ACK or a RST means the address is there; no privilege)");
  cmd->add_option("--port", f.port, "TCP port for --method tcp")->capture_default_str();
  cmd->add_option("--max-rate", f.max_rate,
                  "Hard cap on probes per second, all blocks together (never exceeded)")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", f.timeout_ms,
                  std::string("How long to wait for each probe's answer (default ") +
                      timeout_default + ")");
  cmd->add_option("--parallel", f.parallel, "Probes (survey) or blocks (run) in flight at most")
      ->capture_default_str();
}

}  // namespace

void AddProberCommand(CLI::App& root) {
  auto* prober = root.add_subcommand(
      "prober",
      "Find /24 blocks going down by active probing, with Trinocular's method (Quan, Heidemann,\n"
      "Pradkin, SIGCOMM 2013): `survey` finds each block's ever-responsive addresses E(b) and\n"
      "their availability A(b); `run` probes every block each round (11 min by default), 1 to 15\n"
      "probes chosen adaptively from a Bayesian belief that the block is up, and reports each\n"
      "block's state (up/down/uncertain) as JSON lines. Probe only networks you may probe.");
  prober->require_subcommand(1);

  auto s = std::make_shared<SurveyFlags>();
  auto* survey = prober->add_subcommand(
      "survey",
      "Probe .1-.254 of every block --passes times and write E(b), A(b) to --state.\n"
      "--blocks FILE: one block a line, a /24 or a larger range (up to a /8), optionally\n"
      "followed by entities: 10.1.2.0/24,asn,AS64500 or 10.1.4.0/22,country,CM ('#' comments).");
  survey->add_option("--blocks", s->blocks_path, "File of blocks to survey")->required();
  survey->add_option("--state", s->state_path, "State file to write (JSON)")->required();
  survey->add_option("--passes", s->passes, "Times each address is probed")->capture_default_str();
  AddCommonFlags(survey, s->common, "1000");
  survey->callback([s] { ExitCode() = Survey(*s); });

  auto r = std::make_shared<RunFlags>();
  auto* run = prober->add_subcommand(
      "run",
      "Probe the surveyed blocks in rounds. Writes JSON lines: {\"type\":\"state\",...} when a\n"
      "block changes state, {\"type\":\"round\",...} after each round (counts, probes), plus\n"
      "start and end lines. With --server, posts the number of up blocks per entity after\n"
      "each round to {server}/api/v1/signals (datasource active-probing).");
  run->add_option("--state", r->state_path, "State file written by `vigil prober survey`")
      ->required();
  run->add_option("--round-seconds", r->round_seconds, "Length of a round")->capture_default_str();
  run->add_option("--rounds", r->rounds, "Rounds to run (0: until SIGINT/SIGTERM)")
      ->capture_default_str();
  run->add_option("--out", r->out_path, "Append the JSON lines to FILE (default: stdout)");
  run->add_option("--server", r->server, "Vigil server URL to post signals to (nothing is sent without it)");
  run->add_option("--token", r->token, "Token for --server (a role that may write signals)");
  run->add_option("--ca-file", r->ca_file, "Extra PEM CA file to trust for --server");
  run->add_option("--geo-dir", r->geo_dir,
                  "Geolocation data for blocks without entities (default: the installed data)");
  AddCommonFlags(run, r->common, "3000");
  run->callback([r] { ExitCode() = Run(*r); });
}

}  // namespace vigil::app
