#include "server/static_files.h"

#include <array>
#include <filesystem>
#include <fstream>
#include <optional>
#include <utility>

namespace vigil::server {
namespace {

namespace fs = std::filesystem;

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> Decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = Hex(s[i + 1]), lo = Hex(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

net::HttpServerResponse NotFound() { return net::JsonError(404, "not found"); }

std::optional<std::string> ReadFile(const fs::path& p) {
  std::error_code ec;
  auto size = fs::file_size(p, ec);
  if (ec || size > StaticFiles::kMaxFileBytes) return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::string out(size, '\0');
  in.read(out.data(), static_cast<std::streamsize>(size));
  if (static_cast<size_t>(in.gcount()) != size) return std::nullopt;
  return out;
}

// Whether `p` (canonical) is `root` or inside it.
bool Inside(const fs::path& p, const fs::path& root) {
  auto r = root.begin();
  auto q = p.begin();
  for (; r != root.end(); ++r, ++q) {
    if (q == p.end() || *q != *r) return false;
  }
  return true;
}

}  // namespace

std::string_view MimeType(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
      {".csv", "text/csv; charset=utf-8"},
      {".pdf", "application/pdf"},
      {".wasm", "application/wasm"},
      {".xml", "application/xml"},
  }};
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string ext(name.substr(dot));
  for (char& c : ext) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  for (const auto& [e, type] : kTypes) {
    if (e == ext) return type;
  }
  return "application/octet-stream";
}

Result<StaticFiles> StaticFiles::Open(const std::string& dir) {
  std::error_code ec;
  auto canonical = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(canonical, ec)) {
    return Fail("not_found", "not a folder: " + dir);
  }
  return StaticFiles(canonical.string());
}

bool AcceptsGzip(std::string_view v) {
  while (!v.empty()) {
    auto comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
    auto semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && coding.front() == ' ') coding.remove_prefix(1);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != "gzip" && coding != "*") continue;
    std::string_view params = semi == std::string_view::npos ? std::string_view() : item.substr(semi + 1);
    // "q=0" (or 0.0, 0.00, 0.000) refuses it.
    auto q = params.find("q=");
    if (q != std::string_view::npos) {
      std::string_view value = params.substr(q + 2);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      if (!value.empty() && value.find_first_not_of("0.") == std::string_view::npos) continue;
    }
    return true;
  }
  return false;
}

net::HttpServerResponse StaticFiles::Serve(std::string_view path, bool accepts_gzip) const {
  auto decoded = Decode(path);
  if (!decoded || decoded->find('\0') != std::string::npos || decoded->empty() ||
      decoded->front() != '/') {
    return NotFound();
  }
  // Refuse dot segments outright rather than normalising them.
  std::string_view rest = std::string_view(*decoded).substr(1);
  std::string_view last;
  while (true) {
    auto slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    if (seg == ".." || seg == "." || seg.find('\\') != std::string_view::npos) return NotFound();
    last = seg;
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  const fs::path root(dir_);
  fs::path target = root / fs::path(decoded->substr(1));
  std::error_code ec;
  if (fs::is_directory(target, ec)) target /= "index.html";
  bool fallback = false;
  if (!fs::is_regular_file(target, ec)) {
    if (last.find('.') != std::string_view::npos) return NotFound();
    target = root / "index.html";
    fallback = true;
  }
  auto canonical = fs::canonical(target, ec);
  if (ec || !Inside(canonical, root) || !fs::is_regular_file(canonical, ec)) return NotFound();
  // A compressed copy made by the build, inside the folder like the file itself.
  std::optional<std::string> gz;
  if (accepts_gzip) {
    fs::path gz_path = canonical;
    gz_path += ".gz";
    auto gz_canonical = fs::canonical(gz_path, ec);
    if (!ec && Inside(gz_canonical, root) && fs::is_regular_file(gz_canonical, ec)) {
      if (auto g = ReadFile(gz_canonical)) gz = std::move(*g);
    }
  }
  const bool compressed = gz.has_value();
  std::optional<std::string> body = compressed ? std::move(gz) : ReadFile(canonical);
  if (!body) return NotFound();
  net::HttpServerResponse r;
  r.content_type = std::string(MimeType(canonical.filename().string()));
  r.body = std::move(*body);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (compressed) r.headers.emplace_back("Content-Encoding", "gzip");
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (fallback || canonical.filename() == "index.html") {
    r.headers.emplace_back("Cache-Control", "no-cache");
  } else if (decoded->starts_with("/assets/")) {
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  }
  return r;
}

}  // namespace vigil::server
