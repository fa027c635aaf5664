#include "probe/probe_run.h"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "analysis/fingerprints.h"
#include "core/failure.h"
#include "core/json_read.h"
#include "core/json_writer.h"
#include "core/terminal.h"
#include "geo/geo_db.h"
#include "geo/lazy_asn.h"
#include "measure/measurement_json.h"
#include "measure/nettests/control.h"
#include "measure/nettests/platforms.h"
#include "measure/nettests/web_connectivity.h"
#include "net/address.h"
#include "net/network.h"
#include "probe/outbox.h"
#include "probe/runner.h"
#include "probe/verdict.h"

namespace vigil::probe {
namespace {

namespace asio = boost::asio;
namespace nt = measure::nettests;

// Runs f() on `pool` (blocking work: SQLite) and resumes the caller on its own executor.
template <typename F>
auto OnPool(asio::thread_pool& pool, F f) -> asio::awaitable<decltype(f())> {
  co_return co_await asio::co_spawn(
      pool, [f = std::move(f)]() -> asio::awaitable<decltype(f())> { co_return f(); },
      asio::use_awaitable);
}

std::string Settings(const ProbeRunConfig& c) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("helper").String(c.helper_url).Key("probe_cc").String(c.cc);
  w.Key("probe_asn").String(c.asn).Key("parallel").Uint(c.parallel).EndObject();
  return out;
}

std::string Eta(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "?";
  const auto s = static_cast<long>(seconds);
  return s >= 3600 ? fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60)
                   : fmt::format("{}m{:02}s", s / 60, s % 60);
}

// Runs one coroutine to completion on `io`, turning an escaping exception into an Error.
template <typename T>
Result<T> RunOn(asio::io_context& io, asio::awaitable<Result<T>> task) {
  std::optional<Result<T>> out;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, Result<T> r) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        out = Fail("internal_error", ex.what());
      } catch (...) {
        out = Fail("internal_error", "unknown exception");
      }
    } else {
      out = std::move(r);
    }
  });
  io.restart();
  io.run();
  if (!out) return Fail("internal_error", "the task did not finish");
  return std::move(*out);
}

}  // namespace

std::string DefaultOutboxPath() {
  if (const char* d = std::getenv("VIGIL_DATA_DIR"); d != nullptr && *d != 0) {
    return std::string(d) + "/outbox.sqlite";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.local/share/vigil/outbox.sqlite";
}

Result<ProbeRunSummary> RunProbe(const ProbeRunConfig& config) {
  ProbeRunConfig c = config;
  auto outbox_or = Outbox::Open(c.outbox_path);
  if (!outbox_or) return tl::unexpected(outbox_or.error());
  Outbox& outbox = **outbox_or;

  ProbeRunSummary summary;
  if (c.resume) {
    auto latest = outbox.LatestUnfinishedRun();
    if (!latest) return tl::unexpected(latest.error());
    if (!*latest) {
      return Fail(std::string(failure::kNotFound),
                  "no unfinished run to resume in " + c.outbox_path);
    }
    summary.run_id = (*latest)->first;
    // Settings the interrupted run was started with fill in what this invocation leaves out.
    simdjson::dom::parser parser;
    json::Element saved;
    if (parser.parse((*latest)->second).get(saved) == simdjson::SUCCESS) {
      if (auto o = json::AsObject(saved)) {
        auto helper = json::StringField(*o, "helper");
        if (c.helper_url.empty() && helper) c.helper_url = std::string(*helper);
        auto cc = json::StringField(*o, "probe_cc");
        if (c.cc == "ZZ" && cc) c.cc = std::string(*cc);
        auto asn = json::StringField(*o, "probe_asn");
        if (c.asn == "AS0" && asn) c.asn = std::string(*asn);
      }
    }
  } else {
    std::vector<PlannedItem> plan;
    for (const auto& in : c.inputs) plan.push_back({0, "web_connectivity", in.url});
    for (const auto& t : c.platform_tests) {
      if (!nt::IsPlatformTest(t)) {
        return Fail(std::string(failure::kInvalidArgument), "unknown test '" + t + "'");
      }
      plan.push_back({0, t, ""});
    }
    if (plan.empty()) {
      return Fail(std::string(failure::kInvalidArgument),
                  "nothing to measure: give --input, --list, --country or --test");
    }
    if (auto old = outbox.LatestUnfinishedRun(); old && *old) {
      spdlog::warn("run {} in {} was interrupted; `vigil probe run --resume` finishes it",
                   (*old)->first, c.outbox_path);
    }
    auto id = outbox.CreateRun(plan, Settings(c));
    if (!id) return tl::unexpected(id.error());
    summary.run_id = *id;
  }
  auto pending = outbox.PendingItems(summary.run_id);
  if (!pending) return tl::unexpected(pending.error());
  auto counts = outbox.Counts(summary.run_id);
  if (!counts) return tl::unexpected(counts.error());

  // What the nettests need.
  net::NetworkOptions net_options;
  net_options.extra_ca_file = c.ca_file;
  net_options.system_lookup_timeout = c.step_timeout;
  net_options.tcp_connect_timeout = c.step_timeout;
  auto network = net::RealNetwork::Create(net_options);
  if (!network) return tl::unexpected(network.error());
  // One control request per measurement in flight: size the (blocking) POST pool to the
  // parallelism, or control requests queue behind each other and cap the probe's speed.
  auto poster = nt::HttpPoster::Create(c.ca_file, std::max<std::size_t>(4, c.parallel));
  if (!poster) return tl::unexpected(poster.error());
  nt::PlatformConfig platforms;
  if (!c.platform_config_path.empty()) {
    auto loaded = nt::LoadPlatformConfig(c.platform_config_path);
    if (!loaded) return tl::unexpected(loaded.error());
    platforms = std::move(*loaded);
  }
  nt::WebConnectivityConfig wc;
  wc.use_system_resolver = c.use_system_resolver;
  wc.step_timeout = c.step_timeout;
  if (c.resolver) {
    auto ep = net::ParseEndpoint(*c.resolver);
    if (!ep) return Fail(std::string(failure::kInvalidArgument), "--resolver: " + ep.error().message);
    wc.udp_resolver = asio::ip::udp::endpoint(ep->address(), ep->port());
  } else if (!c.use_system_resolver) {
    return Fail(std::string(failure::kInvalidArgument),
                "without the system resolver, --resolver is required");
  }
  std::unique_ptr<nt::HttpControlClient> control;
  if (!c.helper_url.empty()) {
    control = std::make_unique<nt::HttpControlClient>(**poster, c.helper_url);
  } else if (!c.inputs.empty() || c.resume) {
    spdlog::warn("no --helper: web_connectivity measurements will have no control data");
  }
  geo::LazyAsnLookup geo(c.geo_dir);
  analysis::AnalysisContext analysis_context;
  analysis_context.fingerprints = &analysis::FingerprintDb::Builtin();
  analysis_context.asn_lookup = [&geo](std::string_view ip) { return geo.Lookup(ip); };
  VerdictWriter verdicts(analysis_context);

  nt::NettestEnv env;
  env.network = network->get();
  env.clock = &RealClock::Instance();
  env.probe = {c.cc, c.asn};
  env.software_version = c.software_version;
  env.test_start = env.clock->WallNow();

  std::vector<RunItem> items;
  for (const auto& p : *pending) {
    items.push_back({p.item_id, p.test_name, p.input, HostKey(p.test_name, p.input)});
  }
  summary.total = counts->total;
  std::size_t done = counts->done, blocked = counts->blocked, now = 0;
  ProgressLine progress(c.progress);
  const auto start = std::chrono::steady_clock::now();
  asio::thread_pool db_pool(1);
  Runner runner({c.parallel, c.per_host});
  const int64_t run_id = summary.run_id;

  Runner::MeasureFn measure = [&](const RunItem& item) -> asio::awaitable<Result<bool>> {
    measure::Measurement m;
    if (item.test_name == "web_connectivity") {
      m = co_await nt::RunWebConnectivity(env, control.get(), item.input, wc);
    } else if (item.test_name == "whatsapp") {
      m = co_await nt::RunWhatsapp(env, platforms);
    } else if (item.test_name == "telegram") {
      m = co_await nt::RunTelegram(env, platforms);
    } else if (item.test_name == "signal") {
      m = co_await nt::RunSignal(env, platforms);
    } else if (item.test_name == "facebook_messenger") {
      m = co_await nt::RunFacebookMessenger(env, platforms,
                                            [&geo](std::string_view ip) { return geo.Lookup(ip); });
    } else {
      co_return Fail(std::string(failure::kInvalidArgument),
                     "the outbox plans an unknown test '" + item.test_name + "'");
    }
    const bool is_blocked = verdicts.Apply(m);
    MeasurementMeta meta{m.test_name, m.test_version, m.probe_cc, m.probe_asn, m.test_start_time,
                         is_blocked};
    std::string json = measure::WriteMeasurementJson(m);
    auto committed = co_await OnPool(db_pool, [&outbox, run_id, &item, &meta, &json] {
      return outbox.Commit(run_id, item.item_id, meta, json);
    });
    if (!committed) co_return tl::unexpected(committed.error());
    ++done;
    ++now;
    if (is_blocked) ++blocked;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress.Update(fmt::format("{}/{} measured, {} blocked so far, ETA {}", done, summary.total,
                                blocked,
                                Eta(elapsed / static_cast<double>(now) *
                                    static_cast<double>(summary.total - done))));
    co_return is_blocked;
  };

  asio::io_context io;
  auto ran = RunOn<std::size_t>(io, runner.Run(std::move(items), measure));
  progress.Finish();
  db_pool.join();
  summary.done = done;
  summary.blocked = blocked;
  summary.measured_now = now;
  summary.max_per_host = runner.limiter().max_seen_per_host();
  if (!ran) return tl::unexpected(ran.error());
  if (auto f = outbox.FinishRun(run_id); !f) return tl::unexpected(f.error());

  if (!c.out_path.empty()) {
    auto all = outbox.RunMeasurements(run_id);
    if (!all) return tl::unexpected(all.error());
    std::ofstream out(c.out_path, std::ios::binary | std::ios::trunc);
    for (const auto& line : *all) out << line << '\n';
    out.flush();
    if (!out) return Fail(std::string(failure::kIoError), "cannot write " + c.out_path);
  }
  if (!c.upload_url.empty()) {
    UploadOptions u;
    u.collector_url = c.upload_url;
    u.token = c.upload_token;
    u.software_version = c.software_version;
    u.max_attempts = c.upload_attempts;
    u.initial_backoff = c.upload_backoff;
    Uploader uploader(outbox, **poster, u);
    auto stats = RunOn<UploadStats>(io, uploader.Upload());
    if (!stats) return tl::unexpected(stats.error());
    summary.upload = *stats;
  }
  return summary;
}

Result<UploadStats> UploadOutbox(const std::string& outbox_path, const UploadOptions& options,
                                 const std::string& ca_file) {
  auto outbox = Outbox::Open(outbox_path);
  if (!outbox) return tl::unexpected(outbox.error());
  auto poster = nt::HttpPoster::Create(ca_file);
  if (!poster) return tl::unexpected(poster.error());
  Uploader uploader(**outbox, **poster, options);
  asio::io_context io;
  return RunOn<UploadStats>(io, uploader.Upload());
}

}  // namespace vigil::probe
