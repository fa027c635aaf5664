#include "measure/binary_value.h"

#include <fmt/format.h>

#include "core/base64.h"
#include "core/failure.h"

namespace vigil::measure {

Result<std::string> DecodeMaybeBinary(json::Element v) {
  if (auto s = json::AsString(v)) return std::string(*s);
  auto fail = [](std::string_view what) { return Fail(std::string(failure::kParseError), std::string(what)); };
  auto o = json::AsObject(v);
  if (!o) return fail("expected a string or a binary value {\"format\":\"base64\",\"data\":...}");
  auto format = json::Field(*o, "format");
  if (!format) return fail("binary value: no \"format\" (OONI's binary values are {\"format\":\"base64\",\"data\":...})");
  auto format_name = json::AsString(*format);
  if (!format_name) return fail("binary value: \"format\" must be the string \"base64\"");
  if (*format_name != "base64") {
    // The name is outside input: quote at most a few dozen characters of it.
    return fail(fmt::format("binary value: unknown format \"{}\" (OONI's only format is \"base64\")",
                            format_name->substr(0, 40)));
  }
  auto data = json::Field(*o, "data");
  auto text = data ? json::AsString(*data) : std::nullopt;
  if (!text) return fail("binary value: \"data\" must be a base64 string");
  auto bytes = Base64Decode(*text);
  if (!bytes) return fail("binary value: invalid base64 in \"data\"");
  return std::move(*bytes);
}

bool LooksBinary(json::Element v) {
  auto o = json::AsObject(v);
  return o && json::Field(*o, "format").has_value();
}

}  // namespace vigil::measure
