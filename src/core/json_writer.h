// JsonWriter: a small, fast, append-only JSON serializer into a std::string.
//
// Vigil writes JSON in one place per type (measurements, verdicts) through this class,
// so escaping and number formatting are uniform. The writer does not validate nesting;
// callers pair Begin/End calls. Raw() appends pre-serialized JSON verbatim (used for
// fields preserved from input).
//
// Thread-safety: one writer per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // Writes `"key":` (with a leading comma when needed).
  JsonWriter& Key(std::string_view key);

  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  JsonWriter& Double(double v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // Appends already-serialized JSON text as one value.
  JsonWriter& Raw(std::string_view json);

  JsonWriter& OptString(const std::optional<std::string>& s) {
    return s ? String(*s) : Null();
  }
  JsonWriter& OptBool(std::optional<bool> b) { return b ? Bool(*b) : Null(); }
  JsonWriter& OptInt(std::optional<int64_t> v) { return v ? Int(*v) : Null(); }
  JsonWriter& OptDouble(std::optional<double> v) { return v ? Double(*v) : Null(); }

 private:
  void Separator();

  std::string& out_;
  bool need_comma_ = false;
};

// Appends s to out as a JSON string literal (quotes included), escaping as RFC 8259
// requires. Invalid UTF-8 bytes are replaced with U+FFFD so the output stays valid JSON.
void AppendJsonString(std::string& out, std::string_view s);

// True when s is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF),
// i.e. when AppendJsonString writes its bytes unchanged.
bool IsValidUtf8(std::string_view s);

}  // namespace vigil
