#include "core/json_span.h"

#include <cstring>

namespace vigil::json {
namespace {

constexpr size_t kNone = std::string_view::npos;

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && IsSpace(s[i])) ++i;
  return i;
}

// Past the string whose opening quote is s[i]; kNone when it does not close.
size_t SkipString(std::string_view s, size_t i) {
  for (size_t from = i + 1; from < s.size();) {
    const void* hit = std::memchr(s.data() + from, '"', s.size() - from);
    if (hit == nullptr) return kNone;
    const size_t quote = static_cast<size_t>(static_cast<const char*>(hit) - s.data());
    size_t backslashes = 0;
    while (quote - backslashes > i + 1 && s[quote - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return quote + 1;
    from = quote + 1;
  }
  return kNone;
}

// Past the value that starts at s[i]; kNone when it does not end.
size_t SkipValue(std::string_view s, size_t i) {
  if (i >= s.size()) return kNone;
  if (s[i] == '"') return SkipString(s, i);
  if (s[i] == '{' || s[i] == '[') {
    size_t depth = 0;
    for (size_t j = i; j < s.size();) {
      const char c = s[j];
      if (c == '"') {
        j = SkipString(s, j);
        if (j == kNone) return kNone;
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return j + 1;
      }
      ++j;
    }
    return kNone;
  }
  size_t j = i;  // a number, true, false or null: up to the next delimiter
  while (j < s.size() && s[j] != ',' && s[j] != '}' && s[j] != ']' && !IsSpace(s[j])) ++j;
  return j == i ? kNone : j;
}

// The end of the last member's value of the object `json`: before its closing brace and
// the whitespace around it; kNone when `json` does not end with a brace.
size_t LastValueEnd(std::string_view json) {
  size_t j = json.size();
  while (j > 0 && IsSpace(json[j - 1])) --j;
  if (j == 0 || json[j - 1] != '}') return kNone;
  --j;
  while (j > 0 && IsSpace(json[j - 1])) --j;
  return j;
}

}  // namespace

std::optional<std::string_view> MemberSpan(std::string_view json, std::string_view key, Position position) {
  size_t i = SkipSpace(json, 0);
  if (i >= json.size() || json[i] != '{') return std::nullopt;
  i = SkipSpace(json, i + 1);
  if (i < json.size() && json[i] == '}') return std::nullopt;
  while (i < json.size() && json[i] == '"') {
    const size_t name_end = SkipString(json, i);
    if (name_end == kNone) return std::nullopt;
    const std::string_view name = json.substr(i + 1, name_end - i - 2);
    i = SkipSpace(json, name_end);
    if (i >= json.size() || json[i] != ':') return std::nullopt;
    i = SkipSpace(json, i + 1);
    const bool last = position == Position::kLast && name == key;
    const size_t value_end = last ? LastValueEnd(json) : SkipValue(json, i);
    if (value_end == kNone || value_end <= i) return std::nullopt;
    if (name == key) return json.substr(i, value_end - i);
    i = SkipSpace(json, value_end);
    if (i >= json.size() || json[i] != ',') return std::nullopt;
    i = SkipSpace(json, i + 1);
  }
  return std::nullopt;
}

}  // namespace vigil::json
