// AnalyzeInputs: the engine behind `vigil analyze`. Streams measurements out of files
// (JSONL, JSON documents or arrays, gzip or not, "-" for stdin) in constant memory,
// analyses them on `jobs` threads and hands the results to a sink in input order.
//
// One reader thread cuts the input into batches of lines; worker threads analyse whole
// batches; the calling thread receives finished batches in sequence, so memory stays
// bounded by (jobs + 2) batches whatever the input size. A malformed line is reported
// through the sink (with file and line number) and the rest goes on, unless `strict`.
//
// Thread-safety: the sink is only called from the calling thread.
#pragma once

#include <any>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analyzer.h"
#include "core/result.h"

namespace vigil::analysis {

struct BatchOptions {
  std::vector<std::string> inputs;  // paths, "-" = stdin
  int jobs = 1;
  bool strict = false;              // stop at the first malformed measurement
  bool keep_records = false;        // deliver AnalysisRecords (for summaries)
  bool write_json = true;           // deliver JSON lines
  size_t batch_bytes = 4 << 20;
  // Optional per-measurement work run on the worker threads right after a measurement
  // is analysed (e.g. hashing and compressing it for a store): it gets the record and
  // the measurement's raw text exactly as read, followed by Analyzer::kPadding readable
  // bytes. Its value goes to BatchSink::Prepared, in input order; its error is reported
  // like a malformed measurement.
  std::function<Result<std::any>(const AnalysisRecord&, std::string_view raw)> prepare;
  // Optional, with prepare: run on the worker thread once a whole batch is prepared, while
  // the raw texts prepare saw are still readable. It may rewrite the batch's values (e.g.
  // compress their raw texts together); its error is reported for the batch (where: the
  // batch's first measurement) and the batch's values are dropped.
  std::function<Result<void>(std::vector<std::any>& prepared)> finish_batch;
  // Optional, with prepare: asked on the worker thread about each measurement once it is
  // parsed (`root`), before it is analysed. A value skips the analysis and prepare: it
  // takes the measurement's place among the prepared values (e.g. "the store holds this
  // one already", which makes a re-import cost little more than the parse). A skipped
  // measurement gives no JSON line and no record.
  std::function<std::optional<std::any>(simdjson::dom::element root)> before_analysis;
};

class BatchSink {
 public:
  virtual ~BatchSink() = default;
  // JSON lines (each ending in '\n') for a run of consecutive measurements.
  virtual void Json(std::string_view lines) = 0;
  virtual void Record(const AnalysisRecord& record) = 0;
  // What BatchOptions::prepare returned, one call per measurement (only when it is set).
  virtual void Prepared(std::any&& /*value*/) {}
  // A measurement that could not be read: "file:line: message".
  virtual void Error(std::string_view where, std::string_view message) = 0;
  // Called now and then with progress (bytes read so far across all inputs).
  virtual void Progress(size_t measurements, size_t bytes_read) = 0;
};

struct BatchStats {
  size_t measurements = 0;  // analysed
  size_t errors = 0;        // unreadable measurements
  size_t bytes = 0;         // input bytes (decompressed)
};

// Returns an Error only for problems that stop the run (unreadable file in strict mode,
// first malformed line in strict mode); otherwise stats with errors counted.
Result<BatchStats> AnalyzeInputs(const BatchOptions& options, const AnalysisContext& ctx,
                                 BatchSink& sink);

}  // namespace vigil::analysis
