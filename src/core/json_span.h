// Finding a member's exact bytes in a JSON object's text, without parsing its values.
//
// The collector keeps a submitted measurement byte for byte: the text of the "content"
// member of the body, after a full parse has checked the body. Locating it is a scan that
// only skips strings (to the next unescaped quote, found with memchr) and counts brackets,
// instead of a second parse with simdjson's portable on-demand parser (what a build without
// AVX2 flags gets), which went byte by byte and needed a padded copy of the body.
#pragma once

#include <optional>
#include <string_view>

namespace vigil::json {

// The text of the value of the first member of the top-level object `json` named exactly
// `key` (as written: a name spelled with escapes does not match), without the whitespace
// around it. nullopt when `json` is not an object, has no such member, or is malformed on
// the way there. Meant for text a JSON parser has accepted: a value's own content is only
// skipped, not checked.
//
// Position::kLast: the caller's parser found one member named `key` in `json`, and it is
// the object's last member. Its value then ends where the object does: the end is found from
// the back of the text, without skipping through the value (most of the collector's body).
enum class Position { kAnywhere, kLast };
std::optional<std::string_view> MemberSpan(std::string_view json, std::string_view key,
                                           Position position = Position::kAnywhere);

}  // namespace vigil::json
