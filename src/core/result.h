// Result<T> and Error: how Vigil's functions report operational failure.
//
// A Result<T> holds either a T or an Error. Error::failure is a stable string in
// OONI's failure vocabulary ("connection_refused", "dns_nxdomain_error", ...) or one of
// Vigil's own operational codes ("invalid_argument", "io_error", ...); Error::message
// is for humans. Keep three things apart: a blocked connection is a *successful*
// measurement whose data records a failure string; a bad config or malformed input is
// an Error returned here; a bug is an assertion.
//
// Thread-safety: plain values, safe to move between threads.
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace vigil {

struct Error {
  std::string failure;  // stable, machine-readable code
  std::string message;  // human explanation, may be empty

  std::string ToString() const {
    return message.empty() ? failure : failure + ": " + message;
  }
};

template <typename T>
class [[nodiscard]] Result : public tl::expected<T, Error> {
 public:
  using tl::expected<T, Error>::expected;
  Result(tl::expected<T, Error> e) : tl::expected<T, Error>(std::move(e)) {}  // NOLINT
};

// Makes the error side of a Result: `return Fail("io_error", "cannot open " + path);`
inline tl::unexpected<Error> Fail(std::string failure, std::string message = {}) {
  return tl::unexpected<Error>(Error{std::move(failure), std::move(message)});
}

}  // namespace vigil
