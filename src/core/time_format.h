// Time formatting in the shapes OONI uses.
//
// OONI's data format writes UTC times as "2023-08-24 14:35:29" (measurement_start_time)
// and report ids and measurement uids as "20230824T143529Z". All functions here are
// pure and thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace vigil {

using WallTime = std::chrono::system_clock::time_point;

// "YYYY-MM-DD HH:MM:SS" in UTC.
std::string FormatOoniTime(WallTime t);
// "YYYYMMDDTHHMMSSZ" in UTC.
std::string FormatCompactTime(WallTime t);
// "YYYY-MM-DDTHH:MM:SSZ" (ISO 8601, RFC 3339) in UTC.
std::string FormatIsoTime(WallTime t);

// Parses "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DDTHH:MM:SS[.fff]Z" or "YYYY-MM-DD" as UTC.
std::optional<WallTime> ParseTime(std::string_view s);

}  // namespace vigil
