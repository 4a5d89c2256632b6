#include "core/schedule.h"

#include <cstdio>
#include <string>

namespace latchkey::core {
namespace {

// Parses exactly `width` ASCII digits.
std::optional<int> Digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool IsLeap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

Status CheckIndex(uint32_t index, uint32_t max_index, const char* kind) {
  if (index < 1 || index > max_index) {
    return Status::Invalid("index: " + std::string(kind) + " index " + std::to_string(index) + " is outside 1.." +
                           std::to_string(max_index));
  }
  return Status::Ok();
}

// The local date-times of a year-day or holiday schedule: each a real date, start first.
Status CheckStartEnd(const LocalDateTime& start, const LocalDateTime& end) {
  if (!LocalDateTime::Parse(start.ToString())) return Status::Invalid("start: must be a valid local date-time");
  if (!LocalDateTime::Parse(end.ToString())) return Status::Invalid("end: must be a valid local date-time");
  if (!(start < end)) return Status::Invalid("start: must be before end");
  return Status::Ok();
}

bool InRange(const LocalDateTime& start, const LocalDateTime& end, const LocalTime& now) {
  const LocalDateTime t = LocalDateTime::From(now);
  return start <= t && t <= end;
}

}  // namespace

std::optional<LocalDateTime> LocalDateTime::Parse(std::string_view text) {
  // YYYY-MM-DDTHH:MM[:00]
  if (text.size() != 16 && text.size() != 19) return std::nullopt;
  if (text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':') return std::nullopt;
  if (text.size() == 19 && (text[16] != ':' || text.substr(17) != "00")) return std::nullopt;
  const auto y = Digits(text, 0, 4), mo = Digits(text, 5, 2), d = Digits(text, 8, 2);
  const auto h = Digits(text, 11, 2), mi = Digits(text, 14, 2);
  if (!y || !mo || !d || !h || !mi) return std::nullopt;
  if (*y < 1970 || *mo < 1 || *mo > 12 || *d < 1 || *d > DaysInMonth(*y, *mo) || *h > 23 || *mi > 59) {
    return std::nullopt;
  }
  return LocalDateTime{*y, *mo, *d, *h, *mi};
}

std::string LocalDateTime::ToString() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d", year, month, day, hour, minute);
  return buf;
}

std::optional<uint16_t> ParseTimeOfDay(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  const auto h = Digits(text, 0, 2), m = Digits(text, 3, 2);
  if (!h || !m || *h > 23 || *m > 59) return std::nullopt;
  return static_cast<uint16_t>(*h * 60 + *m);
}

std::string FormatTimeOfDay(uint16_t minutes) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02u:%02u", minutes / 60u % 100u, minutes % 60u);
  return buf;
}

bool WeekDaySchedule::Contains(const LocalTime& now) const {
  if ((days & (1u << now.weekday)) == 0) return false;
  const int minute = now.hour * 60 + now.minute;
  return start_min <= minute && minute <= end_min;
}

bool YearDaySchedule::Contains(const LocalTime& now) const { return InRange(start, end, now); }
bool HolidaySchedule::Contains(const LocalTime& now) const { return InRange(start, end, now); }

Status ValidateWeekDay(const WeekDaySchedule& s, uint32_t max_index) {
  LATCHKEY_TRY(CheckIndex(s.index, max_index, "week_day schedule"));
  if (s.days == 0 || s.days > 0x7F) return Status::Invalid("days: must name at least one of mon..sun");
  if (s.start_min >= 24 * 60) return Status::Invalid("start: must be 00:00..23:59");
  if (s.end_min >= 24 * 60) return Status::Invalid("end: must be 00:00..23:59");
  if (s.start_min >= s.end_min) return Status::Invalid("start: must be before end");
  return Status::Ok();
}

Status ValidateYearDay(const YearDaySchedule& s, uint32_t max_index) {
  LATCHKEY_TRY(CheckIndex(s.index, max_index, "year_day schedule"));
  LATCHKEY_TRY(CheckStartEnd(s.start, s.end));
  return Status::Ok();
}

Status ValidateHoliday(const HolidaySchedule& s, uint32_t max_index) {
  LATCHKEY_TRY(CheckIndex(s.index, max_index, "holiday schedule"));
  LATCHKEY_TRY(CheckStartEnd(s.start, s.end));
  if (!IsValid(s.mode)) return Status::Invalid("operating_mode: is not a known value");
  if (s.mode == OperatingMode::kLockdown) {
    return Status::Invalid("operating_mode: lockdown cannot be scheduled");
  }
  return Status::Ok();
}

}  // namespace latchkey::core
