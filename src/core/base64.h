// Standard base64 (RFC 4648, with padding), as OONI uses for binary HTTP bodies
// ({"format": "base64", "data": "..."}). Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vigil {

std::string Base64Encode(std::string_view bytes);
// Returns nullopt on a character outside the alphabet or a bad length. Whitespace
// (which some encoders insert) is skipped.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace vigil
