// Progress display on a terminal: a single line rewritten in place on stderr, only when
// stderr is a TTY and at most a few times a second. Thread-safety: one per thread.
#pragma once

#include <chrono>
#include <string_view>

namespace vigil {

bool StderrIsTerminal();

class ProgressLine {
 public:
  // enabled=false makes every call a no-op (non-terminal, or small input).
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  ~ProgressLine() { Finish(); }
  // Shows text unless the previous update was less than 200 ms ago.
  void Update(std::string_view text);
  // Clears the line.
  void Finish();

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace vigil
