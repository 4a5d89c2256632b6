#include "platform/time_format.h"

#include <date/date.h>

#include <chrono>

namespace latchkey::platform {
namespace {

std::optional<int> Digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::string FormatRfc3339Ms(int64_t unix_ms) {
  const date::sys_time<std::chrono::milliseconds> t{std::chrono::milliseconds(unix_ms)};
  if (unix_ms < kMinRfc3339Ms || unix_ms > kMaxRfc3339Ms) return date::format("%FT%TZ", t);
  // Every event of a history page has a time or three: digits by hand, not through a stream
  // and its locale (the answer is the same: TimeFormatRangeTest.TheFastFormatterAgreesWithDateFormat).
  const auto day = date::floor<date::days>(t);
  const date::year_month_day ymd{day};
  const int64_t ms_of_day = (t - day).count();
  std::string out = "0000-00-00T00:00:00.000Z";
  const auto put = [&out](std::size_t at, int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  put(0, static_cast<int>(ymd.year()), 4);
  put(5, static_cast<unsigned>(ymd.month()), 2);
  put(8, static_cast<unsigned>(ymd.day()), 2);
  put(11, ms_of_day / 3'600'000, 2);
  put(14, ms_of_day / 60'000 % 60, 2);
  put(17, ms_of_day / 1000 % 60, 2);
  put(20, ms_of_day % 1000, 3);
  return out;
}

// YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
std::optional<int64_t> ParseRfc3339Ms(std::string_view s) {
  if (s.size() < 20 || s.size() > 40) return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':') return std::nullopt;
  const auto y = Digits(s, 0, 4), mo = Digits(s, 5, 2), d = Digits(s, 8, 2);
  const auto h = Digits(s, 11, 2), mi = Digits(s, 14, 2), sec = Digits(s, 17, 2);
  if (!y || !mo || !d || !h || !mi || !sec || *h > 23 || *mi > 59 || *sec > 60) return std::nullopt;
  const date::year_month_day ymd{date::year(*y), date::month(static_cast<unsigned>(*mo)),
                                 date::day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) return std::nullopt;
  std::size_t pos = 19;
  int64_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) ms = ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) ms *= 10;
  }
  int64_t offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    const auto oh = Digits(s, pos + 1, 2), om = Digits(s, pos + 4, 2);
    if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
    offset_min = (*oh * 60 + *om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const int64_t days = date::sys_days(ymd).time_since_epoch().count();
  const int64_t seconds = days * 86400 + *h * 3600 + *mi * 60 + std::min(*sec, 59) - offset_min * 60;
  const int64_t instant = seconds * 1000 + ms;
  // The offset can carry a year-0000 or year-9999 text across the range's ends (time_format.h).
  if (instant < kMinRfc3339Ms || instant > kMaxRfc3339Ms) return std::nullopt;
  return instant;
}

}  // namespace latchkey::platform
