// Reading JSON: thin, exception-free helpers over simdjson's DOM.
//
// Vigil parses outside JSON (OONI measurements, API bodies) with simdjson, which is
// several times faster than general-purpose libraries. These helpers give typed,
// optional access to object fields without exceptions; a field of the wrong type is
// reported through JsonFieldError so callers can say which field was wrong.
// simdjson.h is a large header: include this file only in .cc files that parse.
//
// Thread-safety: a simdjson::dom::parser is single-threaded; use one per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace vigil::json {

using Element = simdjson::dom::element;
using Object = simdjson::dom::object;
using Array = simdjson::dom::array;

inline bool IsNull(Element e) { return e.is_null(); }

// Each As* returns nullopt when the element has another type.
inline std::optional<std::string_view> AsString(Element e) {
  std::string_view v;
  if (e.get_string().get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}
inline std::optional<int64_t> AsInt(Element e) {
  int64_t v;
  if (e.get_int64().get(v) == simdjson::SUCCESS) return v;
  uint64_t u;
  if (e.get_uint64().get(u) == simdjson::SUCCESS && u <= uint64_t(INT64_MAX))
    return static_cast<int64_t>(u);
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS && d >= -9.2e18 && d <= 9.2e18 &&
      static_cast<double>(static_cast<int64_t>(d)) == d)
    return static_cast<int64_t>(d);
  return std::nullopt;
}
inline std::optional<double> AsDouble(Element e) {
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS) return d;
  int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  uint64_t u;
  if (e.get_uint64().get(u) == simdjson::SUCCESS) return static_cast<double>(u);
  return std::nullopt;
}
inline std::optional<bool> AsBool(Element e) {
  bool b;
  if (e.get_bool().get(b) != simdjson::SUCCESS) return std::nullopt;
  return b;
}
inline std::optional<Object> AsObject(Element e) {
  Object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) return std::nullopt;
  return o;
}
inline std::optional<Array> AsArray(Element e) {
  Array a;
  if (e.get_array().get(a) != simdjson::SUCCESS) return std::nullopt;
  return a;
}

// Field lookup: nullopt when absent.
inline std::optional<Element> Field(Object o, std::string_view key) {
  Element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return std::nullopt;
  return e;
}
// String field that may be absent or null.
inline std::optional<std::string_view> StringField(Object o, std::string_view key) {
  auto e = Field(o, key);
  return e ? AsString(*e) : std::nullopt;
}

// Serializes an element back to compact JSON text.
inline std::string Minify(Element e) { return simdjson::minify(e); }

}  // namespace vigil::json
