#include "analysis/batch.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "core/failure.h"
#include "core/json_read.h"
#include "core/line_reader.h"

namespace vigil::analysis {
namespace {

// A run of measurements, each stored in `text` followed by padding for simdjson.
struct Batch {
  size_t seq = 0;
  std::string text;
  struct Item {
    size_t offset, size;
    size_t file;
    size_t line;  // 1-based line, or element index for JSON arrays
  };
  std::vector<Item> items;
  std::vector<std::pair<std::string, std::string>> read_errors;  // where, message
  size_t bytes_read = 0;  // cumulative input bytes when this batch was cut
  bool fatal = false;     // strict mode: stop after this batch

  // Results.
  std::string json;
  std::vector<AnalysisRecord> records;
  std::vector<std::any> prepared;
  struct ItemError {
    size_t before;  // index of the item it replaces (for ordering with records)
    std::string where, message;
  };
  std::vector<ItemError> errors;
  size_t analysed = 0;
};

void AddItem(Batch& b, std::string_view text, size_t file, size_t line) {
  size_t offset = b.text.size();
  b.text.append(text);
  b.text.append(Analyzer::kPadding, ' ');
  b.items.push_back({offset, text.size(), file, line});
}

// A bounded, closable queue.
template <typename T>
class Queue {
 public:
  explicit Queue(size_t cap) : cap_(cap) {}
  bool Push(T v) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return q_.size() < cap_ || closed_; });
    if (closed_) return false;
    q_.push_back(std::move(v));
    not_empty_.notify_one();
    return true;
  }
  std::optional<T> Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return std::nullopt;
    T v = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return v;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  size_t cap_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> q_;
  bool closed_ = false;
};

// Batch text buffers, recycled so each is allocated (and page-faulted) once per run.
class BufferPool {
 public:
  explicit BufferPool(size_t reserve) : reserve_(reserve) {}
  std::string Take() {
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        std::string s = std::move(free_.back());
        free_.pop_back();
        return s;
      }
    }
    std::string s;
    s.reserve(reserve_);
    return s;
  }
  void Give(std::string&& s) {
    s.clear();
    std::lock_guard lock(mu_);
    free_.push_back(std::move(s));
  }

 private:
  size_t reserve_;
  std::mutex mu_;
  std::vector<std::string> free_;
};

// Reads every input and calls emit(batch) for each full batch (and the last one).
class Cutter {
 public:
  Cutter(const BatchOptions& o, BufferPool& pool, std::function<bool(Batch&&)> emit)
      : options_(o), pool_(pool), emit_(std::move(emit)) {
    current_.text = pool_.Take();
  }

  void Run() {
    for (size_t f = 0; f < options_.inputs.size() && !stop_; ++f) ReadFile(f);
    if (!stop_) Flush(true);
  }

 private:
  void Flush(bool force) {
    if (!force && current_.text.size() < options_.batch_bytes) return;
    if (current_.items.empty() && current_.read_errors.empty() && !force) return;
    current_.seq = seq_++;
    current_.bytes_read = bytes_before_ + (reader_ ? reader_->bytes_consumed() : 0);
    if (!emit_(std::move(current_))) stop_ = true;
    current_ = Batch{};
    current_.text = pool_.Take();
  }

  void ReadError(std::string where, std::string message) {
    current_.read_errors.emplace_back(std::move(where), std::move(message));
    if (options_.strict) {
      current_.fatal = true;
      Flush(true);
      stop_ = true;
    }
  }

  void ReadFile(size_t f) {
    const std::string& path = options_.inputs[f];
    auto opened = LineReader::Open(path);
    if (!opened) {
      ReadError(path, opened.error().message);
      return;
    }
    reader_ = std::move(*opened);
    bool first = true;
    while (!stop_) {
      auto line = reader_->Next();
      if (!line) {
        ReadError(fmt::format("{}:{}", path, reader_->line_number()), line.error().message);
        if (line.error().message.find("corrupt or truncated") != std::string::npos) break;
        continue;
      }
      if (!*line) break;
      std::string_view text = **line;
      if (first) {
        first = false;
        if (StartsDocument(text)) {
          ReadDocument(f, text);
          break;
        }
      }
      if (IsBlank(text)) continue;
      AddItem(current_, text, f, reader_->line_number());
      Flush(false);
    }
    bytes_before_ += reader_->bytes_consumed();
    reader_.reset();
  }

  static bool IsBlank(std::string_view s) {
    return s.find_first_not_of(" \t\r") == std::string_view::npos;
  }
  static std::string_view Trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r\xEF\xBB\xBF");
    if (b == std::string_view::npos) return {};
    size_t e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
  }
  // A pretty-printed object ("{" alone on the first line) or an array: read as one
  // JSON document rather than as JSON lines.
  static bool StartsDocument(std::string_view first_line) {
    std::string_view t = Trim(first_line);
    if (t.empty()) return false;
    if (t.front() == '[') return true;
    return t.front() == '{' && t.back() != '}';
  }

  void ReadDocument(size_t f, std::string_view first_line) {
    const std::string& path = options_.inputs[f];
    std::string doc(first_line);
    doc.push_back('\n');
    auto rest = reader_->ReadRest(size_t{1} << 30);
    if (!rest) {
      ReadError(path, rest.error().message);
      return;
    }
    doc += *rest;
    simdjson::dom::parser parser;
    json::Element root;
    auto err = parser.parse(doc).get(root);
    if (err != simdjson::SUCCESS) {
      ReadError(fmt::format("{}:1", path), fmt::format("invalid JSON document: {}", simdjson::error_message(err)));
      return;
    }
    if (auto arr = json::AsArray(root)) {
      size_t i = 0;
      for (json::Element e : *arr) {
        AddItem(current_, json::Minify(e), f, ++i);
        Flush(false);
      }
    } else {
      AddItem(current_, doc, f, 1);
      Flush(false);
    }
  }

  const BatchOptions& options_;
  BufferPool& pool_;
  std::function<bool(Batch&&)> emit_;
  Batch current_;
  std::unique_ptr<LineReader> reader_;
  size_t seq_ = 0;
  size_t bytes_before_ = 0;
  bool stop_ = false;
};

void AnalyzeBatch(Batch& b, Analyzer& analyzer, const BatchOptions& o) {
  if (o.write_json) b.json.reserve(b.items.size() * 512);
  for (size_t i = 0; i < b.items.size(); ++i) {
    const auto& item = b.items[i];
    const std::string_view text(b.text.data() + item.offset, item.size);
    std::optional<std::any> known;  // before_analysis's value, in place of the analysis
    auto r = [&]() -> Result<AnalysisRecord> {
      if (!o.prepare || !o.before_analysis) return analyzer.Analyze(text, true);
      auto root = analyzer.Parse(text, true);
      if (!root) return tl::unexpected(root.error());
      known = o.before_analysis(*root);
      return known ? AnalysisRecord{} : analyzer.AnalyzeParsed(*root);
    }();
    if (known) {
      b.prepared.push_back(std::move(*known));
      ++b.analysed;
      continue;
    }
    if (!r) {
      b.errors.push_back({i, fmt::format("{}:{}", o.inputs[item.file], item.line), r.error().message});
      if (o.strict) {
        b.fatal = true;
        break;
      }
      continue;
    }
    if (o.prepare) {
      auto p = o.prepare(*r, text);
      if (!p) {
        b.errors.push_back({i, fmt::format("{}:{}", o.inputs[item.file], item.line), p.error().ToString()});
        if (o.strict) {
          b.fatal = true;
          break;
        }
        continue;
      }
      b.prepared.push_back(std::move(*p));
    }
    ++b.analysed;
    if (o.write_json) {
      WriteRecordJson(*r, b.json);
      b.json.push_back('\n');
    }
    if (o.keep_records) b.records.push_back(std::move(*r));
  }
  if (o.finish_batch && !b.prepared.empty()) {
    if (auto f = o.finish_batch(b.prepared); !f) {
      const auto& first = b.items.front();
      b.errors.push_back({b.items.size(), fmt::format("{}:{}", o.inputs[first.file], first.line),
                          fmt::format("{} (the {} measurements read from here on were skipped)",
                                      f.error().ToString(), b.prepared.size())});
      b.prepared.clear();
      if (o.strict) b.fatal = true;
    }
  }
}

}  // namespace

Result<BatchStats> AnalyzeInputs(const BatchOptions& options, const AnalysisContext& ctx,
                                 BatchSink& sink) {
  BatchStats stats;
  std::optional<Error> fatal;
  // Lines can be longer than a batch; the reserve covers the common case.
  BufferPool pool(options.batch_bytes + (options.batch_bytes >> 2));
  auto deliver = [&](Batch& b) {
    pool.Give(std::move(b.text));
    for (const auto& [where, message] : b.read_errors) {
      sink.Error(where, message);
      ++stats.errors;
      if (options.strict && !fatal) fatal = Error{std::string(failure::kParseError), where + ": " + message};
    }
    if (!b.json.empty()) sink.Json(b.json);
    for (const auto& r : b.records) sink.Record(r);
    for (auto& p : b.prepared) sink.Prepared(std::move(p));
    for (const auto& e : b.errors) {
      sink.Error(e.where, e.message);
      ++stats.errors;
      if (options.strict && !fatal) fatal = Error{std::string(failure::kParseError), e.where + ": " + e.message};
    }
    stats.measurements += b.analysed;
    stats.bytes = b.bytes_read;
    sink.Progress(stats.measurements, stats.bytes);
    return !fatal.has_value();
  };

  if (options.jobs <= 1) {
    Analyzer analyzer(ctx);
    Cutter cutter(options, pool, [&](Batch&& b) {
      AnalyzeBatch(b, analyzer, options);
      return deliver(b);
    });
    cutter.Run();
  } else {
    size_t jobs = static_cast<size_t>(options.jobs);
    Queue<Batch> todo(jobs + 1);
    std::mutex done_mu;
    std::condition_variable done_cv;
    std::map<size_t, Batch> done;
    std::atomic<bool> stop{false};
    size_t workers_left = jobs;
    std::vector<std::thread> workers;
    for (size_t i = 0; i < jobs; ++i) {
      workers.emplace_back([&] {
        Analyzer analyzer(ctx);
        while (auto b = todo.Pop()) {
          if (!stop) AnalyzeBatch(*b, analyzer, options);
          std::lock_guard lock(done_mu);
          done.emplace(b->seq, std::move(*b));
          // notify_all: the deliverer and the reader wait on this one condition for
          // different things; waking only one could wake the reader, leave the deliverer
          // asleep beside the batch it waits for, and hang the pipeline.
          done_cv.notify_all();
        }
        std::lock_guard lock(done_mu);
        --workers_left;
        done_cv.notify_all();
      });
    }
    // Bound the number of finished-but-undelivered batches so memory stays constant.
    std::thread reader([&] {
      Cutter cutter(options, pool, [&](Batch&& b) {
        {
          std::unique_lock lock(done_mu);
          done_cv.wait(lock, [&] { return done.size() < 2 * jobs + 2 || stop; });
        }
        return !stop && todo.Push(std::move(b));
      });
      cutter.Run();
      todo.Close();
    });
    size_t next = 0;
    for (;;) {
      std::unique_lock lock(done_mu);
      done_cv.wait(lock, [&] { return done.count(next) || workers_left == 0; });
      auto it = done.find(next);
      if (it == done.end()) break;
      Batch b = std::move(it->second);
      done.erase(it);
      done_cv.notify_all();
      lock.unlock();
      ++next;
      if (!stop && !deliver(b)) {
        stop = true;
        todo.Close();
        done_cv.notify_all();
      }
    }
    reader.join();
    for (auto& w : workers) w.join();
  }
  if (fatal) return tl::unexpected(*fatal);
  return stats;
}

}  // namespace vigil::analysis
