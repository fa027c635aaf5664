// StaticFiles: serves a folder (the built dashboard, web/dist) at "/". Paths are
// percent-decoded and resolved inside the folder only: "..", symlinks leading out of it
// and NUL bytes are refused (404). A path that names no file and whose last segment has no
// extension gets index.html, so the dashboard's client-side routes (/incidents/42) load;
// a missing asset (/app.js) is a 404. Content-Type comes from the extension.
// When the client accepts gzip and the build left a compressed copy beside the file
// (app.js.gz, written by the dashboard's build), that copy is sent with Content-Encoding:
// gzip (and Vary: Accept-Encoding). Files under /assets/ carry a content hash in their
// name, so they are cached as immutable for a year; index.html is revalidated.
//
// Thread-safety: Serve() only reads the file system; safe from many threads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"
#include "net/http_server.h"

namespace vigil::server {

class StaticFiles {
 public:
  // "not_found" when `dir` is not a folder.
  static Result<StaticFiles> Open(const std::string& dir);

  // `path` is the request path without the query string; `accepts_gzip` from the
  // request's Accept-Encoding (see AcceptsGzip).
  net::HttpServerResponse Serve(std::string_view path, bool accepts_gzip = false) const;
  const std::string& dir() const { return dir_; }

  static constexpr std::size_t kMaxFileBytes = std::size_t{64} << 20;

 private:
  explicit StaticFiles(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;  // canonical
};

// Whether an Accept-Encoding value allows gzip ("gzip", "gzip;q=1", "br, gzip", "*"), and
// does not refuse it with q=0.
bool AcceptsGzip(std::string_view accept_encoding);

// MIME type for a file name's extension; application/octet-stream when unknown.
std::string_view MimeType(std::string_view filename);

}  // namespace vigil::server
