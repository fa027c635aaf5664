// LineReader: streams lines out of a file, a gzip file or standard input.
//
// gzip is detected from the content, not the name, so `.jsonl.gz`, `.gz` and plain
// files (and a gzip stream on stdin) all read the same way, in constant memory: the
// reader keeps one buffer, which grows only to hold the longest line seen (bounded by
// max_line_bytes; a longer line is reported as an error and skipped).
//
// Thread-safety: one reader per thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace vigil {

class LineReader {
 public:
  struct Options {
    size_t buffer_bytes = 1 << 20;
    size_t max_line_bytes = size_t{256} << 20;
  };

  // path "-" reads standard input.
  static Result<std::unique_ptr<LineReader>> Open(const std::string& path, Options options);
  static Result<std::unique_ptr<LineReader>> Open(const std::string& path) {
    return Open(path, Options{});
  }
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line without its "\n" (and "\r\n"), valid until the next call; nullopt at
  // the end of input. An I/O error, corrupt gzip data or an over-long line is returned as
  // an Error; reading may continue after an over-long line.
  Result<std::optional<std::string_view>> Next();

  // Reads everything not yet consumed (for whole-document JSON files), up to max bytes.
  Result<std::string> ReadRest(size_t max_bytes);

  // 1-based number of the line last returned by Next().
  size_t line_number() const { return line_number_; }
  // Bytes of (decompressed) input consumed so far.
  size_t bytes_consumed() const { return consumed_; }
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  LineReader(std::string path, Options options, std::unique_ptr<Impl> impl);
  Result<size_t> Fill();

  std::string path_;
  Options options_;
  std::unique_ptr<Impl> impl_;
  std::string buf_;
  size_t begin_ = 0, end_ = 0;
  size_t line_number_ = 0;
  size_t consumed_ = 0;
  bool eof_ = false;
};

}  // namespace vigil
