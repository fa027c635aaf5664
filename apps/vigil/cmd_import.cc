// `vigil import ooni`: bulk-load OONI measurements (JSON, JSONL, .gz, OONI's bucket
// layout) into the store, analysing them on the way. Re-running it changes nothing:
// every measurement is stored once (see store/store.h).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "analysis/batch.h"
#include "analysis/fingerprints.h"
#include "apps/vigil/commands.h"
#include "core/json_read.h"
#include "measure/measurement_dom.h"
#include "measure/test_list.h"
#include "core/terminal.h"
#include "store/open.h"
#include "store/prepare.h"

namespace vigil::app {
namespace {

namespace fs = std::filesystem;

struct ImportFlags {
  std::vector<std::string> paths;
  std::string data_dir = store::kDefaultDataDir;
  std::string db_url;
  int jobs = 0;
  size_t batch_rows = 1000;
  int max_errors_shown = 50;
  std::string test_lists;
};

bool IsMeasurementFile(const fs::path& p) {
  std::string name = p.filename().string();
  for (const char* ext : {".jsonl", ".json", ".jsonl.gz", ".json.gz"}) {
    if (name.ends_with(ext)) return true;
  }
  return false;
}

// Files named on the command line are taken as they are; folders (e.g. OONI's
// raw/YYYYMMDD/HH/CC/testname/ tree) are walked recursively for .json[l][.gz], sorted.
Result<std::vector<std::string>> ExpandPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (p == "-" || !fs::is_directory(p, ec)) {
      out.push_back(p);
      continue;
    }
    std::vector<std::string> found;
    fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
    if (ec) return Fail("io_error", fmt::format("cannot read {}: {}", p, ec.message()));
    for (; it != end; it.increment(ec)) {
      if (ec) return Fail("io_error", fmt::format("cannot read {}: {}", p, ec.message()));
      if (it->is_regular_file(ec) && IsMeasurementFile(it->path())) found.push_back(it->path().string());
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

// A measurement prepared on a worker, its raw text still in the worker's batch.
struct Prepared {
  store::StoredMeasurement m;
  std::string_view raw;
};
// What a worker hands over for one batch (BatchOptions::finish_batch).
struct Chunk {
  std::vector<store::StoredMeasurement> rows;  // new to the store, as far as the worker knows
  std::vector<store::RawBlock> blocks;         // their raw texts
  size_t already_stored = 0;
};

// Packs a worker's batch: the raw texts of its new measurements go into zstd blocks
// (store::PackBlocks), compressed here on the worker rather than one by one.
Result<void> PackChunk(std::vector<std::any>& prepared) {
  Chunk chunk;
  std::vector<std::string_view> raws;
  chunk.rows.reserve(prepared.size());
  raws.reserve(prepared.size());
  for (auto& value : prepared) {
    auto& p = std::any_cast<Prepared&>(value);
    if (p.m.already_stored) {
      ++chunk.already_stored;
      continue;
    }
    chunk.rows.push_back(std::move(p.m));
    raws.push_back(p.raw);
  }
  std::vector<store::StoredMeasurement*> rows;
  rows.reserve(chunk.rows.size());
  for (auto& m : chunk.rows) rows.push_back(&m);
  auto blocks = store::PackBlocks(rows, raws);
  if (!blocks) return tl::unexpected(blocks.error());
  chunk.blocks = std::move(*blocks);
  prepared.clear();
  prepared.emplace_back(std::move(chunk));
  return {};
}

class ImportSink : public analysis::BatchSink {
 public:
  ImportSink(store::Store& s, const ImportFlags& flags, bool progress)
      : store_(s), flags_(flags), progress_(progress), start_(std::chrono::steady_clock::now()) {
    pending_.reserve(flags.batch_rows);
  }

  void Json(std::string_view) override {}
  void Record(const analysis::AnalysisRecord&) override {}
  // One worker batch: its new measurements, their raw texts packed into blocks.
  void Prepared(std::any&& value) override {
    if (failed_) return;
    auto chunk = std::any_cast<Chunk&&>(std::move(value));
    duplicates_ += chunk.already_stored;
    recent_duplicates_ += chunk.already_stored;
    const auto base = static_cast<uint32_t>(pending_blocks_.size());
    for (auto& m : chunk.rows) {
      if (m.raw_block) *m.raw_block += base;
      pending_.push_back(std::move(m));
    }
    for (auto& b : chunk.blocks) pending_blocks_.push_back(std::move(b));
    if (pending_.size() + recent_duplicates_ >= flags_.batch_rows) Flush();
  }
  void Error(std::string_view where, std::string_view message) override {
    ++malformed_;
    if (malformed_ <= static_cast<size_t>(flags_.max_errors_shown)) {
      progress_.Finish();
      std::fprintf(stderr, "vigil import: skipped %.*s: %.*s\n", static_cast<int>(where.size()), where.data(),
                   static_cast<int>(message.size()), message.data());
    }
  }
  void Progress(size_t measurements, size_t bytes) override {
    bytes_ = bytes;
    progress_.Update(fmt::format("read {} measurements, {:.0f} MB ({:.0f} MB/s); stored {}, duplicates {}",
                                 measurements, static_cast<double>(bytes) / 1e6,
                                 static_cast<double>(bytes) / 1e6 / Seconds(), stored_, duplicates_));
  }

  // Writes what is pending; false once the store has failed.
  bool Flush() {
    if (failed_) return false;
    if (!pending_.empty()) {
      auto r = store_.InsertBatch(pending_, pending_blocks_);
      if (!r) {
        failed_ = true;
        error_ = r.error().ToString();
      } else {
        for (const auto& o : *r) {
          if (o.inserted) {
            ++stored_;
          } else {
            ++duplicates_;
            ++recent_duplicates_;
          }
        }
      }
      pending_.clear();
      pending_blocks_.clear();
    }
    // While the input overlaps the store, workers look each measurement up before
    // compressing it (a re-import then costs little more than the analysis); into new
    // ground, they stop asking.
    check_existing_.store(recent_duplicates_ > 0, std::memory_order_relaxed);
    recent_duplicates_ = 0;
    return !failed_;
  }

  std::atomic<bool>& check_existing() { return check_existing_; }

  double Seconds() const {
    return std::max(1e-9, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
  void FinishProgress() { progress_.Finish(); }
  // Replaces the progress line now (Update alone skips a line that comes within 200 ms).
  void ShowProgress(std::string_view text) {
    progress_.Finish();
    progress_.Update(text);
  }

  size_t stored_ = 0, duplicates_ = 0, malformed_ = 0, bytes_ = 0, recent_duplicates_ = 0;
  bool failed_ = false;
  std::string error_;

 private:
  store::Store& store_;
  const ImportFlags& flags_;
  std::vector<store::StoredMeasurement> pending_;
  std::vector<store::RawBlock> pending_blocks_;
  std::atomic<bool> check_existing_{false};
  ProgressLine progress_;
  std::chrono::steady_clock::time_point start_;
};

int RunOoni(const ImportFlags& flags) {
  auto inputs = ExpandPaths(flags.paths);
  if (!inputs) {
    std::fprintf(stderr, "vigil import: %s\n", inputs.error().ToString().c_str());
    return 1;
  }
  if (inputs->empty()) {
    std::fprintf(stderr, "vigil import: no measurement files (.json, .jsonl, .gz) under the given paths\n");
    return 2;
  }
  store::OpenOptions open;
  open.data_dir = flags.data_dir;
  open.db_url = flags.db_url;
  // One fsync at the end (Sync below) instead of one per batch: a crash of the process
  // loses nothing committed, a power cut loses at most this run (re-run it: it is
  // idempotent). The summary below is printed after Sync.
  open.sqlite_durability = store::Durability::kNormal;
  auto st = store::OpenStore(open);
  if (!st) {
    std::fprintf(stderr, "vigil import: cannot open the store: %s\n", st.error().ToString().c_str());
    return 1;
  }
  analysis::AnalysisContext ctx;
  ctx.fingerprints = &analysis::FingerprintDb::Builtin();
  analysis::BatchOptions options;
  options.inputs = *inputs;
  options.jobs = flags.jobs > 0 ? flags.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.write_json = false;
  options.keep_records = false;
  std::shared_ptr<const measure::CategoryIndex> categories;
  const std::string lists =
      flags.test_lists.empty() ? FindShipped("data/test-lists", "global.csv") : flags.test_lists;
  if (!lists.empty()) {
    auto index = measure::CategoryIndex::LoadDir(lists);
    if (!index) {
      std::fprintf(stderr, "vigil import: %s\n", index.error().ToString().c_str());
      return 1;
    }
    categories = std::make_shared<const measure::CategoryIndex>(std::move(*index));
  }
  ImportSink sink(**st, flags, StderrIsTerminal());
  {  // a store that already holds measurements may hold these: look them up at first
    store::MeasurementFilter any;
    any.limit = 1;
    auto some = (*st)->ListMeasurements(any);
    sink.check_existing().store(some && !some->empty());
  }
  // Into an empty store, the query indexes are built once at the end (Store::BeginBulkLoad).
  auto bulk = (*st)->BeginBulkLoad();
  if (!bulk) {
    std::fprintf(stderr, "vigil import: %s\n", bulk.error().ToString().c_str());
    return 1;
  }
  std::function<bool(std::string_view)> already_stored = [&sink, &store = **st](std::string_view key) {
    if (!sink.check_existing().load(std::memory_order_relaxed)) return false;
    auto found = store.FindKey(key);
    return found && found->has_value();  // on a lookup error, compress and let the insert decide
  };
  options.prepare = [categories, &already_stored](const analysis::AnalysisRecord& r,
                                                  std::string_view raw) -> Result<std::any> {
    store::PrepareOptions prepare;
    // A measurement with a uid was looked up by before_analysis already (below).
    if (!r.measurement_uid || r.measurement_uid->empty()) prepare.already_stored = already_stored;
    prepare.compress = false;  // PackChunk compresses the batch's measurements together
    if (categories && r.input) prepare.category_code = categories->Lookup(*r.input, r.probe_cc);
    auto m = store::PrepareMeasurement(r, raw, prepare, /*padded=*/true);
    if (!m) return tl::unexpected(m.error());
    if (!m->already_stored) {
      if (auto v = store::ValidateMeasurement(*m); !v) return tl::unexpected(v.error());
    }
    return std::any(Prepared{std::move(*m), raw});
  };
  options.finish_batch = PackChunk;
  // A measurement with a measurement_uid is keyed by it: when the store holds that uid,
  // the measurement is a duplicate whatever the analysis would say, so skip the analysis.
  options.before_analysis = [&sink, &store = **st](json::Element root) -> std::optional<std::any> {
    if (!sink.check_existing().load(std::memory_order_relaxed)) return std::nullopt;
    auto obj = json::AsObject(measure::UnwrapEnvelope(root));
    auto uid = obj ? json::StringField(*obj, "measurement_uid") : std::nullopt;
    if (!uid || uid->empty()) return std::nullopt;
    auto found = store.FindKey(*uid);
    if (!found || !found->has_value()) return std::nullopt;  // on a lookup error, analyse as usual
    Prepared p;
    p.m.idempotency_key = std::string(*uid);
    p.m.already_stored = true;
    return std::any(std::move(p));
  };
  auto stats = analysis::AnalyzeInputs(options, ctx, sink);
  sink.Flush();
  if (*bulk) {  // also after a failure: what was stored gets its indexes now, not at the next open
    sink.ShowProgress(fmt::format("stored {} measurements; building the query indexes...", sink.stored_));
    if (auto built = (*st)->EndBulkLoad(); !built && !sink.failed_) {
      sink.failed_ = true;
      sink.error_ = built.error().ToString();
    }
  }
  // Also after a failed batch: what was committed before it is reported as stored.
  if (auto synced = (*st)->Sync(); !synced && !sink.failed_) {
    sink.failed_ = true;
    sink.error_ = synced.error().ToString();
  }
  sink.FinishProgress();
  double secs = sink.Seconds();
  size_t read = stats ? stats->measurements + stats->errors : sink.stored_ + sink.duplicates_ + sink.malformed_;
  size_t bytes = stats ? stats->bytes : sink.bytes_;
  std::fprintf(stderr,
               "vigil import: %zu file(s), %zu measurement(s) read (%.1f MB) in %.1f s (%.0f measurements/s, %.1f MB/s)\n"
               "  stored:     %zu\n"
               "  duplicates: %zu (already in the store, skipped)\n"
               "  malformed:  %zu (skipped%s)\n",
               inputs->size(), read, static_cast<double>(bytes) / 1e6, secs, static_cast<double>(read) / secs,
               static_cast<double>(bytes) / 1e6 / secs, sink.stored_, sink.duplicates_, sink.malformed_,
               sink.malformed_ > static_cast<size_t>(flags.max_errors_shown)
                   ? fmt::format("; the first {} are listed above", flags.max_errors_shown).c_str()
                   : (sink.malformed_ ? "; listed above with file:line" : ""));
  if (sink.failed_) {
    std::fprintf(stderr, "vigil import: stopped: the store failed: %s\n"
                         "  (everything reported stored above is committed; re-run to continue)\n",
                 sink.error_.c_str());
    return 1;
  }
  if (!stats) {
    std::fprintf(stderr, "vigil import: %s\n", stats.error().ToString().c_str());
    return 1;
  }
  return sink.malformed_ > 0 ? 1 : 0;
}

}  // namespace

void AddImportCommand(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand("import", "Bulk-load data into the store");
  cmd->require_subcommand(1);
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* ooni = cmd->add_subcommand(
      "ooni",
      "Import OONI measurements: JSON, JSONL and .gz files, or folders walked recursively (OONI's bucket\n"
      "layout raw/YYYYMMDD/HH/CC/testname/*.jsonl.gz). Each measurement is analysed (verdict, fingerprint)\n"
      "and stored with its raw JSON, once: re-importing the same files stores nothing new, and is fast (a\n"
      "measurement whose measurement_uid the store holds is not analysed or compressed again). Malformed\n"
      "measurements are skipped and reported with file:line; the exit status is then 1. Interrupted, it\n"
      "keeps every batch it committed: run it again to finish. Into an empty SQLite store, the query\n"
      "indexes are built once at the end (queries answer meanwhile, more slowly; an interrupted import\n"
      "gets them when the store next opens). The summary is printed once everything stored is flushed\n"
      "to disk.");
  ooni->add_option("paths", flags->paths, "Files or folders; '-' reads standard input")->required();
  auto* data = ooni->add_option("--data", flags->data_dir, "Data folder of the embedded SQLite store")
                   ->capture_default_str();
  ooni->add_option("--db", flags->db_url, "PostgreSQL URL (postgresql://...) instead of the SQLite store")
      ->excludes(data);
  ooni->add_option("-j,--jobs", flags->jobs, "Analysis threads (default: all cores)");
  ooni->add_option("--test-lists", flags->test_lists,
                   "Folder of Citizen Lab lists giving measurements their category (default: data/test-lists)");
  ooni->add_option("--batch", flags->batch_rows, "Measurements per transaction")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  ooni->callback([flags] { ExitCode() = RunOoni(*flags); });
  AddImportMrtCommand(*cmd);
}

}  // namespace vigil::app
