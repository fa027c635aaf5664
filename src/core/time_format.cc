#include "core/time_format.h"

#include <charconv>

#include <date/date.h>
#include <fmt/format.h>

namespace vigil {
namespace {

struct Parts {
  int year;
  unsigned month, day;
  long hours, minutes, seconds;
};

Parts Split(WallTime t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto days = std::chrono::floor<date::days>(secs);
  date::year_month_day ymd{days};
  date::hh_mm_ss<std::chrono::seconds> hms{secs - days};
  return {int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()),
          static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
          static_cast<long>(hms.seconds().count())};
}

bool ReadInt(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  const char* b = s.data() + pos;
  auto [p, ec] = std::from_chars(b, b + len, out);
  return ec == std::errc() && p == b + len;
}

}  // namespace

std::string FormatOoniTime(WallTime t) {
  Parts p = Split(t);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", p.year, p.month, p.day, p.hours,
                     p.minutes, p.seconds);
}

std::string FormatCompactTime(WallTime t) {
  Parts p = Split(t);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", p.year, p.month, p.day, p.hours,
                     p.minutes, p.seconds);
}

std::string FormatIsoTime(WallTime t) {
  Parts p = Split(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", p.year, p.month, p.day, p.hours,
                     p.minutes, p.seconds);
}

std::optional<WallTime> ParseTime(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  if (!ReadInt(s, 0, 4, y) || !ReadInt(s, 5, 2, mo) || !ReadInt(s, 8, 2, d)) return std::nullopt;
  if (s.size() > 10) {
    if ((s[10] != ' ' && s[10] != 'T') || s.size() < 19 || s[13] != ':' || s[16] != ':')
      return std::nullopt;
    if (!ReadInt(s, 11, 2, h) || !ReadInt(s, 14, 2, mi) || !ReadInt(s, 17, 2, se))
      return std::nullopt;
    std::string_view rest = s.substr(19);
    if (!rest.empty() && rest[0] == '.') {
      size_t i = 1;
      while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
      rest = rest.substr(i);
    }
    if (!(rest.empty() || rest == "Z" || rest == "+00:00")) return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  date::year_month_day ymd{date::year{y}, date::month{unsigned(mo)}, date::day{unsigned(d)}};
  if (!ymd.ok()) return std::nullopt;
  return WallTime(date::sys_days{ymd}) + std::chrono::hours(h) + std::chrono::minutes(mi) +
         std::chrono::seconds(se);
}

}  // namespace vigil
