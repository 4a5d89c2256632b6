// Schedules (LOCK-SEMANTICS.md 5): week-day and year-day schedules of a user, and the
// lock-wide holiday schedules. Times are the lock's local civil time; edges are inclusive at
// minute resolution (a schedule ending 17:00 still admits 17:00:59).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/env.h"
#include "core/status.h"
#include "core/types.h"

namespace latchkey::core {

// A local date and time to the minute, ordered chronologically.
struct LocalDateTime {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0;

  // Accepts "YYYY-MM-DDTHH:MM" (seconds ":SS" are accepted only as ":00").
  static std::optional<LocalDateTime> Parse(std::string_view text);
  static LocalDateTime From(const LocalTime& t) { return {t.year, t.month, t.day, t.hour, t.minute}; }
  std::string ToString() const;  // "YYYY-MM-DDTHH:MM"
  friend auto operator<=>(const LocalDateTime&, const LocalDateTime&) = default;
};

// Minutes since local midnight from "HH:MM" (00:00..23:59).
std::optional<uint16_t> ParseTimeOfDay(std::string_view text);
std::string FormatTimeOfDay(uint16_t minutes);

struct WeekDaySchedule {
  uint32_t index = 0;
  uint8_t days = 0;        // bit i set: Weekday(i) (bit 0 = mon)
  uint16_t start_min = 0;  // minutes since local midnight
  uint16_t end_min = 0;
  bool Contains(const LocalTime& now) const;
  friend bool operator==(const WeekDaySchedule&, const WeekDaySchedule&) = default;
};

struct YearDaySchedule {
  uint32_t index = 0;
  LocalDateTime start, end;
  bool Contains(const LocalTime& now) const;
  friend bool operator==(const YearDaySchedule&, const YearDaySchedule&) = default;
};

struct HolidaySchedule {
  uint32_t index = 0;
  LocalDateTime start, end;
  OperatingMode mode = OperatingMode::kNormal;
  bool Contains(const LocalTime& now) const;
  friend bool operator==(const HolidaySchedule&, const HolidaySchedule&) = default;
};

// Range checks shared by the lock and by anything that builds schedules (index limit is the
// capability for that kind).
Status ValidateWeekDay(const WeekDaySchedule& s, uint32_t max_index);
Status ValidateYearDay(const YearDaySchedule& s, uint32_t max_index);
// A holiday may put the lock in normal, vacation, privacy, no_remote or passage; lockdown is
// an emergency command, never a calendar entry.
Status ValidateHoliday(const HolidaySchedule& s, uint32_t max_index);

}  // namespace latchkey::core
