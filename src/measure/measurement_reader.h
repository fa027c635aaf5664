// The typed reader under the measurement parser (measurement_parse.cc): reads JSON values
// into model types, keeps the first error with the path of its field, and knows OONI's
// shapes shared by several structs (header lists and maps, bodies, binary values).
// Internal to vigil_measure. Includes simdjson: use only in .cc files.
//
// Thread-safety: a Reader is used by one parse at a time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/json_read.h"
#include "measure/binary_value.h"
#include "measure/measurement.h"
#include "measure/measurement_json.h"

namespace vigil::measure::internal {

using json::Element;
using json::Object;

// Where a field is: spelled out only when an error is reported. (Building the path of
// every field read, as strings, was a tenth of `vigil analyze`'s time.)
struct Where {
  Where(const char* b) : base(b) {}  // NOLINT(google-explicit-constructor): a plain path
  Where(std::string_view b) : base(b) {}  // NOLINT(google-explicit-constructor)
  Where(const std::string& b) : base(b) {}  // NOLINT(google-explicit-constructor)
  Where(std::string_view b, size_t i) : base(b), index(i) {}
  // Appends a ".field" suffix (two at most: "…[i].request.method").
  Where operator+(std::string_view field) const {
    Where w = *this;
    (w.f1.empty() ? w.f1 : w.f2) = field;
    return w;
  }
  std::string ToString() const {
    std::string out(base);
    if (index != std::string_view::npos) out += fmt::format("[{}]", index);
    out += f1;
    out += f2;
    return out;
  }
  std::string_view base;
  size_t index = std::string_view::npos;
  std::string_view f1, f2;
};

// Parsing state: options, and the first error met (with the path of the field).
class Reader {
 public:
  explicit Reader(const ParseOptions& o) : options_(o) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const ParseOptions& options() const { return options_; }

  void Fail(const Where& path, std::string_view what) {
    if (error_.empty()) error_ = fmt::format("{}: {}", path.ToString(), what);
  }

  void Keep(ExtraFields& extra, std::string_view key, Element v) {
    if (options_.keep_unknown) extra.emplace_back(std::string(key), json::Minify(v));
  }

  std::string Str(Element v, const Where& path) {
    auto s = json::AsString(v);
    if (!s) {
      if (!v.is_null()) Fail(path, NotAString(v, "expected a string"));
      return {};
    }
    return std::string(*s);
  }
  std::optional<std::string> OptStr(Element v, const Where& path) {
    if (v.is_null()) return std::nullopt;
    auto s = json::AsString(v);
    if (!s) {
      Fail(path, NotAString(v, "expected a string or null"));
      return std::nullopt;
    }
    return std::string(*s);
  }
  std::optional<int64_t> OptInt(Element v, const Where& path) {
    if (v.is_null()) return std::nullopt;
    auto i = json::AsInt(v);
    if (!i) Fail(path, "expected an integer");
    return i;
  }
  int64_t Int(Element v, const Where& path, int64_t fallback) {
    auto i = OptInt(v, path);
    return i ? *i : fallback;
  }
  double Double(Element v, const Where& path) {
    if (v.is_null()) return 0;
    auto d = json::AsDouble(v);
    if (!d) Fail(path, "expected a number");
    return d.value_or(0);
  }
  std::optional<bool> OptBool(Element v, const Where& path) {
    if (v.is_null()) return std::nullopt;
    auto b = json::AsBool(v);
    if (!b) Fail(path, "expected true or false");
    return b;
  }
  std::vector<std::string> Strings(Element v, const Where& path) {
    std::vector<std::string> out;
    if (v.is_null()) return out;
    auto a = json::AsArray(v);
    if (!a) {
      Fail(path, "expected an array of strings");
      return out;
    }
    for (Element e : *a) {
      auto s = json::AsString(e);
      if (!s) {
        Fail(path, "expected an array of strings");
        return out;
      }
      out.emplace_back(*s);
    }
    return out;
  }
  std::optional<Object> Obj(Element v, const Where& path) {
    auto o = json::AsObject(v);
    if (!o) Fail(path, "expected an object");
    return o;
  }

  // Applies parse_one to each element of an array (null gives nullopt).
  template <typename T, typename F>
  std::optional<std::vector<T>> List(Element v, const Where& path, F parse_one) {
    if (v.is_null()) return std::nullopt;
    auto a = json::AsArray(v);
    if (!a) {
      Fail(path, "expected an array");
      return std::nullopt;
    }
    std::vector<T> out;
    out.reserve(a->size());
    size_t i = 0;
    for (Element e : *a) {
      auto o = json::AsObject(e);
      if (!o) {
        Fail(fmt::format("{}[{}]", path.ToString(), i), "expected an object");
        return out;
      }
      out.push_back(parse_one(*o, i));
      if (!ok()) return out;
      ++i;
    }
    return out;
  }

  // OONI's MaybeBinaryData (binary_value.h) into *out (nullptr: check only). `what` names
  // the value in an error ("header \"Server\""; empty when the path says it).
  bool MaybeBinary(Element v, const Where& path, std::string_view what, std::string* out) {
    if (auto s = json::AsString(v)) {
      if (out != nullptr) out->assign(*s);
      return true;
    }
    auto bytes = DecodeMaybeBinary(v);
    if (!bytes) {
      Fail(path, what.empty() ? bytes.error().message : fmt::format("{}: {}", what, bytes.error().message));
      return false;
    }
    if (out != nullptr) *out = std::move(*bytes);
    return true;
  }

  // Header lists: [[name, value], ...]; header maps: {name: value or [values]}. Values
  // may be binary (df-001), names may not.
  Headers HeaderList(Element v, const Where& path) {
    Headers out;
    if (v.is_null()) return out;
    auto a = json::AsArray(v);
    if (!a) {
      Fail(path, "expected an array of [name, value] pairs");
      return out;
    }
    for (Element e : *a) {
      auto pair = json::AsArray(e);
      if (!pair || pair->size() != 2) {
        Fail(path, "expected [name, value] pairs");
        return out;
      }
      Element name_e = pair->at(0).value_unsafe();
      auto name = json::AsString(name_e);
      if (!name) {
        Fail(path, LooksBinary(name_e)
                       ? "header names must be strings (df-001-httpt allows binary data only in header values)"
                       : "expected string header names");
        return out;
      }
      std::string value;
      if (!MaybeBinary(pair->at(1).value_unsafe(), path, HeaderWhat(*name), &value)) return out;
      out.emplace_back(std::string(*name), std::move(value));
    }
    return out;
  }
  // copy=false checks the values only. binary=false refuses binary values (the test
  // helper's answer, whose header values are strings).
  Headers HeaderMap(Element v, const Where& path, bool copy = true, bool binary = true) {
    Headers out;
    if (v.is_null()) return out;
    auto o = json::AsObject(v);
    if (!o) {
      Fail(path, "expected an object of headers");
      return out;
    }
    std::string value;
    auto one = [&](std::string_view key, Element e) {
      if (!binary && !json::AsString(e)) {
        Fail(path, LooksBinary(e) ? fmt::format("{}: expected a string ({})", HeaderWhat(key), kNoBinaryHere)
                                  : fmt::format("{}: expected a string", HeaderWhat(key)));
        return false;
      }
      if (!MaybeBinary(e, path, HeaderWhat(key), copy ? &value : nullptr)) return false;
      if (copy) out.emplace_back(std::string(key), std::move(value));
      return true;
    };
    for (auto [key, val] : *o) {
      if (val.is_null()) continue;
      if (auto a = json::AsArray(val)) {
        // Legacy shape: {"Name": ["v1", "v2"]}.
        for (Element e : *a) {
          if (!one(key, e)) return out;
        }
      } else if (!one(key, val)) {
        return out;
      }
    }
    return out;
  }
  HttpBody Body(Element v, const Where& path, std::string_view what = {}) {
    HttpBody body;
    if (v.is_null()) return body;
    std::string bytes;
    if (!MaybeBinary(v, path, what, &bytes)) return body;
    body.base64 = !v.is_string();
    body.bytes = std::move(bytes);
    return body;
  }

 private:
  static std::string HeaderWhat(std::string_view name) {
    return fmt::format("header \"{}\"", name.substr(0, 100));
  }
  // The error for a value that should have been a string; a binary value is named as one.
  static std::string NotAString(Element v, std::string_view expected) {
    if (!LooksBinary(v)) return std::string(expected);
    return fmt::format("{} ({})", expected, kNoBinaryHere);
  }

  const ParseOptions& options_;
  std::string error_;
};

}  // namespace vigil::measure::internal
