// `vigil import mrt FILE...`: BGP-visible /24s per AS and per country in fixed bins,
// from MRT RIB dumps and update files (disruption/bgp_visibility.h), into the store as
// signal points of datasource "bgp", as JSON lines, or as a summary table.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apps/vigil/commands.h"
#include "core/terminal.h"
#include "disruption/bgp_visibility.h"
#include "disruption/mrt_reader.h"
#include "geo/slash24_countries.h"
#include "geo/geo_db.h"
#include "store/open.h"

namespace vigil::app {
namespace {

using disruption::BgpVisibility;
using disruption::EntityCount;
using disruption::MrtReader;
using disruption::MrtRecord;
using disruption::RecordKind;
using geo::Slash24Countries;
using disruption::VisibilityBin;

constexpr size_t kProblemsShown = 20;

struct MrtImportFlags {
  std::vector<std::string> files;
  int32_t bin = 300;
  std::string data_dir;
  std::string db_url;
  std::string out;
  std::string geo_dir;
  double full_feed_share = 0.75;
  size_t batch = 20000;
  bool use_store = false;
};

void Err(const std::string& text) { std::fprintf(stderr, "vigil import mrt: %s\n", text.c_str()); }

// Where the output of each bin goes.
class BinOutput {
 public:
  virtual ~BinOutput() = default;
  virtual bool Write(const VisibilityBin& bin, const Slash24Countries* countries) = 0;
  virtual bool Finish() = 0;
  virtual std::string error() const = 0;
  uint64_t points = 0;
};

std::string AsCode(uint32_t asn) { return fmt::format("AS{}", asn); }

class StoreOutput : public BinOutput {
 public:
  StoreOutput(store::Store& s, size_t batch) : store_(s), batch_(batch) { pending_.reserve(batch); }
  bool Write(const VisibilityBin& bin, const Slash24Countries* countries) override {
    const store::Seconds time{std::chrono::seconds(bin.time)};
    auto add = [&](const char* type, std::string code, uint64_t value) {
      pending_.push_back({type, std::move(code), "bgp", time, bin.step, static_cast<double>(value)});
      ++points;
    };
    for (const EntityCount& e : bin.asns) add("asn", AsCode(e.key), e.slash24s);
    for (const EntityCount& e : bin.countries) add("country", countries->codes()[e.key], e.slash24s);
    return pending_.size() < batch_ || Flush();
  }
  bool Finish() override { return Flush(); }
  std::string error() const override { return error_; }
  uint64_t stored = 0;

 private:
  bool Flush() {
    if (!error_.empty()) return false;
    if (pending_.empty()) return true;
    if (auto r = store_.PutSignals(pending_); !r) {
      error_ = r.error().ToString();
      return false;
    }
    stored += pending_.size();
    pending_.clear();
    return true;
  }
  store::Store& store_;
  size_t batch_;
  std::vector<store::SignalPoint> pending_;
  std::string error_;
};

class JsonLinesOutput : public BinOutput {
 public:
  explicit JsonLinesOutput(std::FILE* f) : f_(f) { buf_.reserve(kFlush + 4096); }
  // Hand-assembled: a million points a day is common, and the only variable parts are
  // numbers and our own entity codes ([A-Z0-9]).
  bool Write(const VisibilityBin& bin, const Slash24Countries* countries) override {
    const std::string tail = fmt::format("\",\"datasource\":\"bgp\",\"time\":{},\"step\":{},\"value\":",
                                         bin.time, bin.step);
    for (const EntityCount& e : bin.asns) {
      buf_ += "{\"entity_type\":\"asn\",\"entity_code\":\"AS";
      buf_ += fmt::format_int(e.key).c_str();
      Finish(tail, e.slash24s);
    }
    for (const EntityCount& e : bin.countries) {
      buf_ += "{\"entity_type\":\"country\",\"entity_code\":\"";
      buf_ += countries->codes()[e.key];
      Finish(tail, e.slash24s);
    }
    return buf_.size() < kFlush || Flush();
  }
  bool Finish() override { return Flush() && std::fflush(f_) == 0; }
  std::string error() const override { return "cannot write the output"; }

 private:
  static constexpr size_t kFlush = size_t{1} << 20;
  void Finish(const std::string& tail, uint64_t value) {
    buf_ += tail;
    buf_ += fmt::format_int(value).c_str();
    buf_ += "}\n";
    ++points;
  }
  bool Flush() {
    bool ok = std::fwrite(buf_.data(), 1, buf_.size(), f_) == buf_.size();
    buf_.clear();
    return ok;
  }
  std::FILE* f_;
  std::string buf_;
};

std::string UtcTime(int64_t t) {
  return fmt::format("{:%Y-%m-%d %H:%M:%S}", fmt::gmtime(static_cast<std::time_t>(t)));
}

// Without a store or --out: one row per bin, then the largest entities of the last bin.
class SummaryOutput : public BinOutput {
 public:
  bool Write(const VisibilityBin& bin, const Slash24Countries* countries) override {
    size_t asns = 0, ccs = 0;
    for (const EntityCount& e : bin.asns) asns += e.slash24s > 0;
    for (const EntityCount& e : bin.countries) ccs += e.slash24s > 0;
    rows_.push_back(fmt::format("{:<20} {:>6} {:>9} {:>10} {:>11} {:>7} {:>9}", UtcTime(bin.time),
                                bin.peers, bin.full_feed_peers, bin.visible_prefixes,
                                bin.visible_slash24s, asns, ccs));
    top_asns_.assign(bin.asns.begin(), bin.asns.end());
    top_countries_.clear();
    if (countries != nullptr) {
      for (const EntityCount& e : bin.countries) top_countries_.emplace_back(countries->codes()[e.key], e.slash24s);
    }
    return true;
  }
  bool Finish() override {
    if (rows_.empty()) return true;
    std::printf("%-20s %6s %9s %10s %11s %7s %9s\n", "bin (UTC)", "peers", "full-feed", "prefixes",
                "/24s", "ASes", "countries");
    const size_t n = rows_.size();
    for (size_t i = 0; i < n; ++i) {
      if (n > 40 && i == 20) std::printf("... %zu bins ...\n", n - 40);
      if (n > 40 && i >= 20 && i < n - 20) continue;
      std::printf("%s\n", rows_[i].c_str());
    }
    auto by_value = [](const auto& a, const auto& b) { return a.second > b.second || (a.second == b.second && a.first < b.first); };
    std::vector<std::pair<std::string, uint64_t>> asns;
    for (const EntityCount& e : top_asns_) asns.emplace_back(AsCode(e.key), e.slash24s);
    std::sort(asns.begin(), asns.end(), by_value);
    std::sort(top_countries_.begin(), top_countries_.end(), by_value);
    auto print_top = [](const char* title, const std::vector<std::pair<std::string, uint64_t>>& v) {
      if (v.empty()) return;
      std::printf("\n%s\n", title);
      for (size_t i = 0; i < v.size() && i < 10; ++i) std::printf("  %-10s %10llu\n", v[i].first.c_str(), static_cast<unsigned long long>(v[i].second));
    };
    print_top("Largest origin ASes in the last bin (visible /24s):", asns);
    print_top("Largest countries in the last bin (visible /24s):", top_countries_);
    return std::fflush(stdout) == 0;
  }
  std::string error() const override { return "cannot write the summary"; }

 private:
  std::vector<std::string> rows_;
  std::vector<EntityCount> top_asns_;
  std::vector<std::pair<std::string, uint64_t>> top_countries_;
};

// Files are replayed in the order of their first record's time; at equal times RIB dumps
// come first (a bview and the updates that follow it share their first timestamp).
struct InputFile {
  std::string path;
  uint32_t first_time = 0;
  bool rib = false;
  // Standard input cannot be read twice: its reader stays open, its first record pending.
  std::unique_ptr<MrtReader> reader;
  const MrtRecord* pending = nullptr;
};

std::vector<InputFile> OrderInputs(const std::vector<std::string>& paths, bool& clean) {
  std::vector<InputFile> inputs;
  for (const std::string& path : paths) {
    auto reader = MrtReader::Open(path);
    if (!reader) {
      Err(reader.error().ToString());
      clean = false;
      continue;
    }
    auto first = (*reader)->Next();
    if (!first) {
      Err(first.error().ToString() + " (nothing read from this file)");
      clean = false;
      continue;
    }
    if (*first == nullptr) {
      Err(path + ": empty, skipped");
      continue;
    }
    const MrtRecord& r = **first;
    InputFile& input = inputs.emplace_back();
    input.path = path;
    input.first_time = r.timestamp;
    input.rib = r.kind == RecordKind::kPeerIndexTable || r.kind == RecordKind::kRib ||
                r.kind == RecordKind::kTableDump;
    if (path == "-") {
      input.reader = std::move(*reader);
      input.pending = *first;
    }
  }
  std::stable_sort(inputs.begin(), inputs.end(), [](const InputFile& a, const InputFile& b) {
    return a.first_time < b.first_time || (a.first_time == b.first_time && a.rib && !b.rib);
  });
  return inputs;
}

std::optional<Slash24Countries> LoadCountries(const MrtImportFlags& flags, bool& failed) {
  std::string dir = flags.geo_dir;
  if (dir.empty()) {
    auto found = geo::DefaultGeoDir();
    if (!found) {
      Err("no geolocation data (" + found.error().message +
          "); counting per AS only. Run scripts/setup or pass --geo-dir.");
      return std::nullopt;
    }
    dir = *found;
  }
  auto loaded = Slash24Countries::LoadMmdb(dir + "/" + std::string(geo::GeoDb::kCountryMmdb));
  if (!loaded) {
    Err(loaded.error().ToString());
    // An explicit --geo-dir that does not work is an error; the default is best effort.
    if (!flags.geo_dir.empty()) failed = true;
    return std::nullopt;
  }
  return std::move(*loaded);
}

int RunImportMrt(const MrtImportFlags& flags) {
  bool geo_failed = false;
  const auto start = std::chrono::steady_clock::now();
  std::optional<Slash24Countries> countries = LoadCountries(flags, geo_failed);
  if (geo_failed) return 1;

  std::unique_ptr<store::Store> st;
  std::unique_ptr<BinOutput> output;
  std::FILE* out_file = nullptr;
  StoreOutput* store_output = nullptr;
  if (flags.use_store) {
    store::OpenOptions open;
    if (!flags.data_dir.empty()) open.data_dir = flags.data_dir;
    open.db_url = flags.db_url;
    auto opened = store::OpenStore(open);
    if (!opened) {
      Err("cannot open the store: " + opened.error().ToString());
      return 1;
    }
    st = std::move(*opened);
    auto so = std::make_unique<StoreOutput>(*st, flags.batch);
    store_output = so.get();
    output = std::move(so);
  } else if (!flags.out.empty()) {
    out_file = flags.out == "-" ? stdout : std::fopen(flags.out.c_str(), "wb");
    if (out_file == nullptr) {
      Err(fmt::format("cannot write {}: {}", flags.out, std::strerror(errno)));
      return 1;
    }
    output = std::make_unique<JsonLinesOutput>(out_file);
  } else {
    output = std::make_unique<SummaryOutput>();
  }

  bool clean = true;
  std::vector<InputFile> inputs = OrderInputs(flags.files, clean);

  disruption::VisibilityOptions options;
  options.bin_seconds = flags.bin;
  options.full_feed_share = flags.full_feed_share;
  const Slash24Countries* geo = countries ? &*countries : nullptr;
  bool output_failed = false;
  BgpVisibility visibility(options, geo, [&](const VisibilityBin& bin) {
    if (!output_failed && !output->Write(bin, geo)) output_failed = true;
  });

  ProgressLine progress(StderrIsTerminal());
  uint64_t bytes = 0, problems_shown = 0, stopped_files = 0;
  for (InputFile& input : inputs) {
    Result<std::unique_ptr<MrtReader>> reader =
        input.reader ? std::move(input.reader) : MrtReader::Open(input.path);
    if (!reader) {
      Err(reader.error().ToString());
      clean = false;
      continue;
    }
    visibility.StartInput();
    uint64_t records = 0;
    for (;;) {
      Result<const MrtRecord*> next = input.pending;
      if (input.pending != nullptr) {
        input.pending = nullptr;
      } else {
        next = (*reader)->Next();
      }
      if (!next) {
        progress.Finish();
        Err(fmt::format("{}\n  stopped there: the {} record(s) read before offset {} are counted, the "
                        "rest of this file is not",
                        next.error().ToString(), records, (*reader)->bytes_consumed()));
        clean = false;
        ++stopped_files;
        break;
      }
      const MrtRecord* record = *next;
      if (record == nullptr) break;
      ++records;
      if (record->malformed()) {
        clean = false;
        for (const std::string& problem : record->problems) {
          if (++problems_shown > kProblemsShown) break;
          progress.Finish();
          Err(fmt::format("{}: offset {}: malformed MRT type {} subtype {}: {}", input.path,
                          record->offset, record->type, record->subtype, problem));
        }
      }
      visibility.Apply(*record);
      if (output_failed) break;
      if ((records & 0x3fff) == 0) {
        const auto& s = visibility.stats();
        progress.Update(fmt::format("{}: {} records, {:.0f} MB; {} bins, {} peers, {} prefixes",
                                    input.path, records,
                                    static_cast<double>(bytes + (*reader)->bytes_consumed()) / 1e6,
                                    s.bins, s.peers, s.prefixes));
      }
    }
    bytes += (*reader)->bytes_consumed();
    if (output_failed) break;
  }
  visibility.Finish();
  progress.Finish();
  if (!output_failed && !output->Finish()) output_failed = true;
  if (out_file != nullptr && out_file != stdout && std::fclose(out_file) != 0) output_failed = true;

  const auto& s = visibility.stats();
  const double secs =
      std::max(1e-9, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  std::string where = store_output != nullptr ? fmt::format("{} points stored (datasource \"bgp\")", store_output->stored)
                      : !flags.out.empty()   ? fmt::format("{} points written to {}", output->points, flags.out)
                                             : std::string("summary above");
  std::fprintf(stderr,
               "vigil import mrt: %zu file(s), %llu records (%.1f MB of MRT) in %.2f s; %s\n"
               "  records:   %llu RIB routes, %llu announcements, %llu withdrawals, %llu peer downs, "
               "%llu dumps\n"
               "  skipped:   %llu IPv6 routes, %llu prefixes shorter than /%d, %llu malformed records, "
               "%llu late records%s%s\n"
               "  peers:     %u (%u full-feed in the last bin, share >= %.2f of the largest table)\n"
               "  bins:      %llu of %d s; %u IPv4 prefixes seen\n"
               "  entities:  %zu ASes, %zu countries%s\n",
               inputs.size(), static_cast<unsigned long long>(s.records), static_cast<double>(bytes) / 1e6, secs,
               where.c_str(), static_cast<unsigned long long>(s.rib_routes),
               static_cast<unsigned long long>(s.announcements), static_cast<unsigned long long>(s.withdrawals),
               static_cast<unsigned long long>(s.peer_downs), static_cast<unsigned long long>(s.dumps),
               static_cast<unsigned long long>(s.ipv6_skipped),
               static_cast<unsigned long long>(s.short_prefixes_skipped), 6,
               static_cast<unsigned long long>(s.malformed_records),
               static_cast<unsigned long long>(s.late_records),
               s.peers_refused > 0
                   ? fmt::format(", {} records of peers past the first {}", s.peers_refused, options.max_peers).c_str()
                   : "",
               stopped_files > 0 ? fmt::format("; {} file(s) stopped early (see above)", stopped_files).c_str() : "",
               s.peers, visibility.last_full_feed_peers(), flags.full_feed_share,
               static_cast<unsigned long long>(s.bins), flags.bin, s.prefixes, visibility.asns_seen(),
               visibility.countries_seen(), geo == nullptr ? " (no geolocation data)" : "");
  if (output_failed) {
    Err("stopped: " + output->error() +
        (store_output != nullptr ? " (the points reported stored are committed; re-running replaces them)" : ""));
    return 1;
  }
  return clean ? 0 : 1;
}

}  // namespace

void AddImportMrtCommand(CLI::App& import) {
  auto flags = std::make_shared<MrtImportFlags>();
  CLI::App* cmd = import.add_subcommand(
      "mrt",
      "Compute BGP-visible IPv4 /24s per origin AS and per country, in fixed time bins, from MRT\n"
      "files (RIPE RIS / RouteViews RIB dumps and updates; gzip or plain), as IODA's BGP signal.\n"
      "Files are replayed in time order: a RIB dump sets each peer's table, updates change it, a\n"
      "peer leaving Established drops its routes. At the end of each bin, full-feed peers are those\n"
      "carrying at least --full-feed-share of the largest peer's IPv4 prefix count; a prefix is\n"
      "visible when more than half of them carry it. An AS counts the distinct /24s of the visible\n"
      "prefixes it originates (last AS of the path), a country the distinct visible /24s that\n"
      "geolocate to it. IPv6 is ignored. Rules and sources: docs/methodology-detectors.md.\n"
      "Output: signal points (datasource \"bgp\", entity_type \"asn\"/\"country\") into the store with\n"
      "--data/--db, JSON lines with --out, otherwise a summary table. Malformed or truncated files\n"
      "are reported with the offset where reading stopped; what was read before counts; the exit\n"
      "status is then 1.");
  cmd->add_option("FILE", flags->files, "MRT files (\"-\" reads standard input)")->required();
  cmd->add_option("--bin", flags->bin, "Bin length in seconds")
      ->capture_default_str()
      ->check(CLI::Range(60, 86400));
  auto* data = cmd->add_option("--data", flags->data_dir, "Store the points in the SQLite store of this data folder");
  auto* db = cmd->add_option("--db", flags->db_url, "Store the points in PostgreSQL (postgresql://...)")->excludes(data);
  cmd->add_option("--out", flags->out, "Write JSON lines to FILE ('-': standard output) instead of a store")
      ->excludes(data)
      ->excludes(db);
  cmd->add_option("--geo-dir", flags->geo_dir,
                  "Folder holding node_modules/@ip-location-db (default: as `vigil analyze` finds it)");
  cmd->add_option("--full-feed-share", flags->full_feed_share,
                  "A peer is full-feed when it carries at least this share of the largest peer's prefixes")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 1.0));
  cmd->add_option("--batch", flags->batch, "Points per store transaction")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1000000}));
  cmd->callback([flags, data, db] {
    flags->use_store = data->count() > 0 || db->count() > 0;
    ExitCode() = RunImportMrt(*flags);
  });
}

}  // namespace vigil::app
