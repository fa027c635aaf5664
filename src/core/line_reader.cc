#include "core/line_reader.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/failure.h"

namespace vigil {

struct LineReader::Impl {
  gzFile gz = nullptr;
  ~Impl() {
    if (gz != nullptr) gzclose(gz);
  }
};

LineReader::LineReader(std::string path, Options options, std::unique_ptr<Impl> impl)
    : path_(std::move(path)), options_(options), impl_(std::move(impl)) {
  buf_.resize(options_.buffer_bytes);
}

LineReader::~LineReader() = default;

Result<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path, Options options) {
  int fd = path == "-" ? dup(STDIN_FILENO) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Fail(std::string(failure::kIoError),
                fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  auto impl = std::make_unique<Impl>();
  // gzdopen reads gzip streams and, transparently, plain data.
  impl->gz = gzdopen(fd, "rb");
  if (impl->gz == nullptr) {
    close(fd);
    return Fail(std::string(failure::kIoError), fmt::format("cannot read {}", path));
  }
  gzbuffer(impl->gz, 256 * 1024);
  if (options.buffer_bytes < 4096) options.buffer_bytes = 4096;
  return std::unique_ptr<LineReader>(new LineReader(path, options, std::move(impl)));
}

Result<size_t> LineReader::Fill() {
  // Compact, then grow if the pending line already fills the buffer.
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
  size_t want = buf_.size() - end_;
  if (want > (1u << 30)) want = 1u << 30;
  int n = gzread(impl_->gz, buf_.data() + end_, static_cast<unsigned>(want));
  if (n < 0) {
    int err = 0;
    const char* msg = gzerror(impl_->gz, &err);
    return Fail(std::string(failure::kIoError),
                fmt::format("{}: read error: {}", path_, msg != nullptr ? msg : "unknown"));
  }
  if (n == 0) {
    // gzread returns 0 both at a clean end and at a truncated gzip stream.
    int err = 0;
    const char* msg = gzerror(impl_->gz, &err);
    eof_ = true;
    if (err != Z_OK && err != Z_STREAM_END) {
      return Fail(std::string(failure::kIoError),
                  fmt::format("{}: corrupt or truncated input: {}", path_, msg));
    }
  }
  end_ += static_cast<size_t>(n);
  return static_cast<size_t>(n);
}

Result<std::optional<std::string_view>> LineReader::Next() {
  bool skipping = false;  // inside an over-long line we are discarding
  size_t scan_from = begin_;
  for (;;) {
    const char* start = buf_.data() + scan_from;
    const void* nl = std::memchr(start, '\n', end_ - scan_from);
    if (nl != nullptr) {
      size_t pos = static_cast<size_t>(static_cast<const char*>(nl) - buf_.data());
      size_t len = pos - begin_;
      std::string_view line(buf_.data() + begin_, len);
      consumed_ += len + 1;
      begin_ = pos + 1;
      ++line_number_;
      if (skipping) {
        return Fail(std::string(failure::kParseError),
                    fmt::format("line longer than {} bytes skipped", options_.max_line_bytes));
      }
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return std::optional<std::string_view>(line);
    }
    if (end_ - begin_ >= options_.max_line_bytes) {
      consumed_ += end_ - begin_;
      begin_ = end_ = 0;
      skipping = true;
    }
    if (eof_) {
      if (begin_ == end_) {
        if (skipping) {
          ++line_number_;
          return Fail(std::string(failure::kParseError),
                      fmt::format("line longer than {} bytes skipped", options_.max_line_bytes));
        }
        return std::optional<std::string_view>();
      }
      std::string_view line(buf_.data() + begin_, end_ - begin_);
      consumed_ += line.size();
      begin_ = end_;
      ++line_number_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return std::optional<std::string_view>(line);
    }
    size_t pending = end_ - begin_;
    auto filled = Fill();
    if (!filled) return tl::unexpected(filled.error());
    scan_from = begin_ + pending;
  }
}

Result<std::string> LineReader::ReadRest(size_t max_bytes) {
  std::string out(buf_.data() + begin_, end_ - begin_);
  consumed_ += end_ - begin_;
  begin_ = end_ = 0;
  while (!eof_) {
    if (out.size() > max_bytes) {
      return Fail(std::string(failure::kParseError),
                  fmt::format("{}: document larger than {} bytes", path_, max_bytes));
    }
    auto filled = Fill();
    if (!filled) return tl::unexpected(filled.error());
    out.append(buf_.data(), end_);
    consumed_ += end_;
    end_ = 0;
  }
  return out;
}

}  // namespace vigil
