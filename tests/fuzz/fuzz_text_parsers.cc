// libFuzzer target: the small text parsers that read outside input: the setup code a person
// types at pairing (link::ParseSetupCode), RFC 3339 times of the API (platform::ParseRfc3339Ms)
// and the local times of schedules (core::LocalDateTime::Parse, core::ParseTimeOfDay).
//
// Input: any bytes, given to every parser as text. Each parser accepts only what its grammar
// allows, and what it accepts formats back to a text that parses to the same value. The input's
// bytes are also used as a value (a setup code, a time) that must survive format -> parse.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/schedule.h"
#include "fuzz_check.h"
#include "link/setup_code.h"
#include "platform/time_format.h"

namespace {

namespace core = latchkey::core;
namespace link = latchkey::link;
namespace platform = latchkey::platform;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return false;
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(pos),
                     s.begin() + static_cast<std::ptrdiff_t>(pos + n), IsDigit);
}

int Num(std::string_view s, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// --- the setup code --------------------------------------------------------------------------

void CheckSetupCode(std::string_view text, const uint8_t* data, std::size_t size) {
  const auto parsed = link::ParseSetupCode(text);
  if (parsed.ok()) {
    // Only the alphabet and separators, 26 symbols (the text may go on past them).
    std::size_t symbols = 0;
    for (char c : text) {
      if (c == '-' || c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
      if (++symbols > 26) break;
      const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      FUZZ_CHECK((u >= 'A' && u <= 'Z') || (u >= '2' && u <= '7'), "a setup code symbol outside base32");
    }
    FUZZ_CHECK(symbols >= 26, "a setup code of fewer than 26 symbols");
    const std::string formatted = link::FormatSetupCode(*parsed);
    FUZZ_CHECK(formatted.size() == 32, "a formatted setup code is 26 symbols in groups of four");
    const auto again = link::ParseSetupCode(formatted);
    FUZZ_CHECK(again.ok() && *again == *parsed, "a formatted setup code parses back to another");
  } else {
    FUZZ_CHECK(parsed.status().code() == core::Code::kInvalid, "ParseSetupCode status");
  }

  // The input's first 16 bytes as a code: formatted, then typed in the ways people type it.
  link::SetupCode code{};
  std::copy_n(data, std::min(size, code.size()), code.begin());
  const std::string formatted = link::FormatSetupCode(code);
  std::string lower = formatted, spaced, bare;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  for (char c : formatted) {
    spaced.push_back(c == '-' ? ' ' : c);
    if (c != '-') bare.push_back(c);
  }
  for (const std::string& typed : {formatted, lower, spaced, bare, " " + formatted + "\r\n"}) {
    const auto back = link::ParseSetupCode(typed);
    FUZZ_CHECK(back.ok() && *back == code, "a setup code does not survive format -> parse");
  }
  // The pairing key depends on the whole code.
  link::SetupCode other = code;
  other[size % other.size()] ^= static_cast<uint8_t>(1u << (size % 8));
  FUZZ_CHECK(link::PairingPsk(other) != link::PairingPsk(code), "two setup codes share a pairing key");
}

// --- RFC 3339 ----------------------------------------------------------------------------------

// YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), the grammar of time_format.h; returns the
// value it denotes (leap second 60 read as 59, fraction truncated to ms), or nullopt. At most 40
// characters (time_format.h); the range check is the caller's.
std::optional<int64_t> ReferenceRfc3339(std::string_view s) {
  if (s.size() < 20 || s.size() > 40 || !AllDigits(s, 0, 4) || s[4] != '-' || !AllDigits(s, 5, 2) || s[7] != '-' ||
      !AllDigits(s, 8, 2) || (s[10] != 'T' && s[10] != 't') || !AllDigits(s, 11, 2) || s[13] != ':' ||
      !AllDigits(s, 14, 2) || s[16] != ':' || !AllDigits(s, 17, 2)) {
    return std::nullopt;
  }
  const int y = Num(s, 0, 4), mo = Num(s, 5, 2), d = Num(s, 8, 2);
  const int h = Num(s, 11, 2), mi = Num(s, 14, 2), sec = Num(s, 17, 2);
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::size_t pos = 19;
  int64_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == start) return std::nullopt;
    const std::string digits = std::string(s.substr(start, std::min<std::size_t>(pos - start, 3))) + "000";
    ms = Num(digits, 0, 3);
  }
  int64_t offset_min = 0;
  if (pos + 1 == s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    // UTC
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && AllDigits(s, pos + 1, 2) &&
             s[pos + 3] == ':' && AllDigits(s, pos + 4, 2)) {
    const int oh = Num(s, pos + 1, 2), om = Num(s, pos + 4, 2);
    if (oh > 23 || om > 59) return std::nullopt;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  const int64_t seconds = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + std::min(sec, 59) - offset_min * 60;
  return seconds * 1000 + ms;
}

void CheckRfc3339(std::string_view text, const uint8_t* data, std::size_t size) {
  const auto parsed = platform::ParseRfc3339Ms(text);
  const auto reference = ReferenceRfc3339(text);
  // Exactly the texts of the grammar whose instant is in 0001..9999 (time_format.h) are accepted.
  const bool in_range =
      reference && *reference >= platform::kMinRfc3339Ms && *reference <= platform::kMaxRfc3339Ms;
  FUZZ_CHECK(parsed.has_value() == in_range, "ParseRfc3339Ms accepts another set of texts than its grammar and range");
  if (parsed) {
    FUZZ_CHECK(*parsed == *reference, "ParseRfc3339Ms read another instant than the text says");
    const std::string formatted = platform::FormatRfc3339Ms(*parsed);
    const auto again = platform::ParseRfc3339Ms(formatted);
    FUZZ_CHECK(again && *again == *parsed, "a formatted RFC 3339 time parses back to another");
    // The API's own form (UTC, milliseconds, no leap second) comes back byte for byte.
    if (text.size() == 24 && text[10] == 'T' && text[19] == '.' && text[23] == 'Z' && Num(text, 17, 2) < 60) {
      FUZZ_CHECK(formatted == text, "FormatRfc3339Ms does not give back the canonical text");
    }
  }

  // The input's first 8 bytes as an instant in 0001..9999: format -> parse is the identity.
  if (size >= 8) {
    uint64_t raw = 0;
    for (std::size_t i = 0; i < 8; ++i) raw = raw << 8 | data[i];
    const int64_t lo = DaysFromCivil(1, 1, 1) * 86400000, hi = DaysFromCivil(10000, 1, 1) * 86400000 - 1;
    FUZZ_CHECK(lo == platform::kMinRfc3339Ms && hi == platform::kMaxRfc3339Ms, "the RFC 3339 range's ends");
    const int64_t ms = lo + static_cast<int64_t>(raw % static_cast<uint64_t>(hi - lo + 1));
    const std::string formatted = platform::FormatRfc3339Ms(ms);
    const auto back = platform::ParseRfc3339Ms(formatted);
    FUZZ_CHECK(back && *back == ms, "an instant does not survive FormatRfc3339Ms -> ParseRfc3339Ms");
  }
}

// --- schedule times ----------------------------------------------------------------------------

void CheckScheduleTimes(std::string_view text, const uint8_t* data, std::size_t size) {
  if (const auto t = core::LocalDateTime::Parse(text)) {
    FUZZ_CHECK(text.size() == 16 || (text.size() == 19 && text.substr(16) == ":00"), "LocalDateTime length");
    FUZZ_CHECK(t->year >= 1970 && t->year <= 9999 && t->month >= 1 && t->month <= 12 && t->day >= 1 &&
                   t->day <= DaysInMonth(t->year, t->month) && t->hour >= 0 && t->hour <= 23 &&
                   t->minute >= 0 && t->minute <= 59,
               "LocalDateTime out of range");
    FUZZ_CHECK(t->ToString() == text.substr(0, 16), "LocalDateTime::ToString differs from the text");
    const auto again = core::LocalDateTime::Parse(t->ToString());
    FUZZ_CHECK(again && *again == *t, "LocalDateTime does not survive ToString -> Parse");
  }
  if (const auto m = core::ParseTimeOfDay(text)) {
    FUZZ_CHECK(*m < 24 * 60, "a time of day past 23:59");
    FUZZ_CHECK(core::FormatTimeOfDay(*m) == text, "FormatTimeOfDay differs from the text");
  }
  // Values from the input's bytes, formatted and parsed back.
  if (size >= 6) {
    core::LocalDateTime t;
    t.year = 1970 + (data[0] << 8 | data[1]) % 8030;
    t.month = 1 + data[2] % 12;
    t.day = 1 + data[3] % DaysInMonth(t.year, t.month);
    t.hour = data[4] % 24;
    t.minute = data[5] % 60;
    const auto back = core::LocalDateTime::Parse(t.ToString());
    FUZZ_CHECK(back && *back == t, "a LocalDateTime does not survive ToString -> Parse");
    const auto minutes = static_cast<uint16_t>((data[4] << 8 | data[5]) % (24 * 60));
    const auto tod = core::ParseTimeOfDay(core::FormatTimeOfDay(minutes));
    FUZZ_CHECK(tod && *tod == minutes, "a time of day does not survive Format -> Parse");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size > 256) return 0;  // every one of these texts is short; longer ones only repeat work
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckSetupCode(text, data, size);
  CheckRfc3339(text, data, size);
  CheckScheduleTimes(text, data, size);
  return 0;
}
