// LOCK-SEMANTICS.md 5 (schedules) and the free functions of src/core/schedule.h, with the
// choices of docs/lock-choices.md where the contract is silent.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lock_fixture.h"

namespace latchkey::core {
namespace {

// Milliseconds since the epoch of a UTC civil time.
int64_t UtcMs(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  const sys_days date = year{y} / month{static_cast<unsigned>(mo)} / day{static_cast<unsigned>(d)};
  return duration_cast<milliseconds>(date.time_since_epoch()).count() +
         ((h * 60LL + mi) * 60LL + s) * 1000LL;
}

constexpr uint8_t kMon = 1 << 0;
constexpr uint8_t kTue = 1 << 1;
constexpr uint8_t kWed = 1 << 2;
constexpr uint8_t kThu = 1 << 3;
constexpr uint8_t kFri = 1 << 4;
constexpr uint8_t kSun = 1 << 6;

WeekDaySchedule Week(uint32_t index, uint8_t days, const char* start, const char* end) {
  WeekDaySchedule s;
  s.index = index;
  s.days = days;
  s.start_min = ParseTimeOfDay(start).value_or(0);
  s.end_min = ParseTimeOfDay(end).value_or(0);
  return s;
}

LocalDateTime At(const char* text) {
  auto parsed = LocalDateTime::Parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(LocalDateTime{});
}

YearDaySchedule Year(uint32_t index, const char* start, const char* end) {
  YearDaySchedule s;
  s.index = index;
  s.start = At(start);
  s.end = At(end);
  return s;
}

HolidaySchedule Holiday(uint32_t index, const char* start, const char* end, OperatingMode mode) {
  HolidaySchedule h;
  h.index = index;
  h.start = At(start);
  h.end = At(end);
  h.mode = mode;
  return h;
}

LocalTime Local(int y, int mo, int d, int h, int mi, int weekday) {
  LocalTime t;
  t.year = y;
  t.month = mo;
  t.day = d;
  t.hour = h;
  t.minute = mi;
  t.weekday = weekday;
  return t;
}

// ---------------------------------------------------------------------------------------------
// schedule.h free functions
// ---------------------------------------------------------------------------------------------

// LOCK-SEMANTICS 5: "HH:MM" 00:00..23:59; hour 24 and minute 60 are invalid.
TEST(ScheduleParseTest, ParseTimeOfDay) {
  EXPECT_EQ(ParseTimeOfDay("00:00"), 0);
  EXPECT_EQ(ParseTimeOfDay("09:05"), 9 * 60 + 5);
  EXPECT_EQ(ParseTimeOfDay("17:00"), 17 * 60);
  EXPECT_EQ(ParseTimeOfDay("23:59"), 23 * 60 + 59);
  EXPECT_EQ(ParseTimeOfDay("24:00"), std::nullopt);
  EXPECT_EQ(ParseTimeOfDay("23:60"), std::nullopt);
  EXPECT_EQ(ParseTimeOfDay("12:99"), std::nullopt);
  EXPECT_EQ(ParseTimeOfDay(""), std::nullopt);
  EXPECT_EQ(ParseTimeOfDay("ab:cd"), std::nullopt);
  EXPECT_EQ(ParseTimeOfDay("1200"), std::nullopt);
  EXPECT_EQ(ParseTimeOfDay("12:00:00"), std::nullopt);
  EXPECT_EQ(ParseTimeOfDay("-1:00"), std::nullopt);
  EXPECT_EQ(ParseTimeOfDay("12:0"), std::nullopt);
}

// schedule.h: FormatTimeOfDay is the inverse of ParseTimeOfDay.
TEST(ScheduleParseTest, FormatTimeOfDay) {
  EXPECT_EQ(FormatTimeOfDay(0), "00:00");
  EXPECT_EQ(FormatTimeOfDay(9 * 60 + 5), "09:05");
  EXPECT_EQ(FormatTimeOfDay(23 * 60 + 59), "23:59");
  for (uint16_t m = 0; m < 24 * 60; m += 7) {
    EXPECT_EQ(ParseTimeOfDay(FormatTimeOfDay(m)), m);
  }
}

// lock-choices.md (schedules): year-day and holiday times are "YYYY-MM-DDTHH:MM" local
// date-times; ":00" seconds accepted, other seconds not; the date must exist.
TEST(ScheduleParseTest, LocalDateTimeParse) {
  auto t = LocalDateTime::Parse("2026-12-24T18:30");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, (LocalDateTime{2026, 12, 24, 18, 30}));
  EXPECT_EQ(LocalDateTime::Parse("2026-12-24T18:30:00"), (LocalDateTime{2026, 12, 24, 18, 30}));
  EXPECT_EQ(LocalDateTime::Parse("2028-02-29T00:00"), (LocalDateTime{2028, 2, 29, 0, 0}));
  EXPECT_EQ(LocalDateTime::Parse("2026-01-01T00:00"), (LocalDateTime{2026, 1, 1, 0, 0}));
  EXPECT_EQ(LocalDateTime::Parse("2026-12-31T23:59"), (LocalDateTime{2026, 12, 31, 23, 59}));

  for (const char* bad : {
           "2026-12-24T18:30:30",  // seconds other than :00
           "2026-12-24T18:30:60",
           "2026-12-24T24:00",     // hour 24
           "2026-12-24T23:60",     // minute 60
           "2026-13-01T00:00",     // month 13
           "2026-00-10T00:00",     // month 0
           "2026-12-00T00:00",     // day 0
           "2026-12-32T00:00",     // day 32
           "2026-04-31T00:00",     // April has 30 days
           "2027-02-29T00:00",     // not a leap year
           "2026-12-24 18:30",     // space instead of T
           "2026-12-24T18:30Z",    // zone suffix
           "2026-12-24T18:30+01:00",
           "2026-12-24",           // date only
           "18:30",
           "",
           "26-12-24T18:30",
           "2026-1-24T18:30",
           "2026-12-24T8:30",
           "2026/12/24T18:30",
           "2026-12-24T18:30 ",
       }) {
    EXPECT_EQ(LocalDateTime::Parse(bad), std::nullopt) << bad;
  }
}

// schedule.h: ToString gives "YYYY-MM-DDTHH:MM"; order is chronological.
TEST(ScheduleParseTest, LocalDateTimeFormatAndOrder) {
  EXPECT_EQ((LocalDateTime{2026, 3, 7, 4, 5}).ToString(), "2026-03-07T04:05");
  EXPECT_EQ(LocalDateTime::Parse("2026-03-07T04:05")->ToString(), "2026-03-07T04:05");
  EXPECT_LT((LocalDateTime{2026, 12, 31, 23, 59}), (LocalDateTime{2027, 1, 1, 0, 0}));
  EXPECT_LT((LocalDateTime{2026, 2, 28, 23, 59}), (LocalDateTime{2026, 3, 1, 0, 0}));
  EXPECT_LT((LocalDateTime{2026, 3, 1, 9, 59}), (LocalDateTime{2026, 3, 1, 10, 0}));
}

// LOCK-SEMANTICS 5: a good week-day schedule validates; a bad index (above the capability),
// empty or unknown days, hour 24, start >= end are invalid.
TEST(ScheduleValidateTest, ValidateWeekDay) {
  EXPECT_TRUE(ValidateWeekDay(Week(1, kMon, "09:00", "17:00"), 10).ok());
  EXPECT_TRUE(ValidateWeekDay(Week(10, 0x7F, "00:00", "23:59"), 10).ok());
  EXPECT_TRUE(ValidateWeekDay(Week(3, kSun, "23:58", "23:59"), 10).ok());

  EXPECT_EQ(ValidateWeekDay(Week(11, kMon, "09:00", "17:00"), 10).code(), Code::kInvalid);
  EXPECT_EQ(ValidateWeekDay(Week(2, kMon, "09:00", "17:00"), 1).code(), Code::kInvalid);
  EXPECT_EQ(ValidateWeekDay(Week(1, 0, "09:00", "17:00"), 10).code(), Code::kInvalid);
  EXPECT_EQ(ValidateWeekDay(Week(1, 0x80, "09:00", "17:00"), 10).code(), Code::kInvalid);
  EXPECT_EQ(ValidateWeekDay(Week(1, kMon | 0x80, "09:00", "17:00"), 10).code(), Code::kInvalid);
  EXPECT_EQ(ValidateWeekDay(Week(1, kMon, "17:00", "17:00"), 10).code(), Code::kInvalid);
  EXPECT_EQ(ValidateWeekDay(Week(1, kMon, "17:00", "09:00"), 10).code(), Code::kInvalid);

  WeekDaySchedule hour24 = Week(1, kMon, "09:00", "17:00");
  hour24.end_min = 24 * 60;  // "24:00"
  EXPECT_EQ(ValidateWeekDay(hour24, 10).code(), Code::kInvalid);
  hour24.start_min = 24 * 60 + 1;
  hour24.end_min = 24 * 60 + 30;
  EXPECT_EQ(ValidateWeekDay(hour24, 10).code(), Code::kInvalid);
}

// LOCK-SEMANTICS 5: year-day start strictly before end; date-times must be real.
TEST(ScheduleValidateTest, ValidateYearDay) {
  EXPECT_TRUE(ValidateYearDay(Year(1, "2026-12-01T00:00", "2026-12-01T00:01"), 10).ok());
  EXPECT_TRUE(ValidateYearDay(Year(10, "2026-12-01T00:00", "2027-12-01T00:00"), 10).ok());
  EXPECT_EQ(ValidateYearDay(Year(11, "2026-12-01T00:00", "2027-12-01T00:00"), 10).code(),
            Code::kInvalid);
  EXPECT_EQ(ValidateYearDay(Year(1, "2026-12-01T10:00", "2026-12-01T10:00"), 10).code(),
            Code::kInvalid);
  EXPECT_EQ(ValidateYearDay(Year(1, "2026-12-02T00:00", "2026-12-01T23:59"), 10).code(),
            Code::kInvalid);

  YearDaySchedule bad = Year(1, "2026-12-01T00:00", "2027-12-01T00:00");
  bad.end = LocalDateTime{2027, 13, 1, 0, 0};
  EXPECT_EQ(ValidateYearDay(bad, 10).code(), Code::kInvalid);
  bad.end = LocalDateTime{2027, 2, 30, 0, 0};
  EXPECT_EQ(ValidateYearDay(bad, 10).code(), Code::kInvalid);
  bad.end = LocalDateTime{2027, 1, 1, 24, 0};
  EXPECT_EQ(ValidateYearDay(bad, 10).code(), Code::kInvalid);
  bad.end = LocalDateTime{2027, 1, 1, 23, 60};
  EXPECT_EQ(ValidateYearDay(bad, 10).code(), Code::kInvalid);
}

// LOCK-SEMANTICS 5 + lock-choices.md: a holiday may set normal, vacation, privacy, no_remote or
// passage; lockdown and unknown modes are invalid; start strictly before end.
TEST(ScheduleValidateTest, ValidateHoliday) {
  for (OperatingMode mode : {OperatingMode::kNormal, OperatingMode::kVacation,
                             OperatingMode::kPrivacy, OperatingMode::kNoRemote,
                             OperatingMode::kPassage}) {
    EXPECT_TRUE(
        ValidateHoliday(Holiday(1, "2026-12-24T00:00", "2026-12-27T00:00", mode), 10).ok())
        << ToString(mode);
  }
  EXPECT_EQ(ValidateHoliday(Holiday(1, "2026-12-24T00:00", "2026-12-27T00:00",
                                    OperatingMode::kLockdown),
                            10)
                .code(),
            Code::kInvalid);
  EXPECT_EQ(ValidateHoliday(Holiday(1, "2026-12-27T00:00", "2026-12-24T00:00",
                                    OperatingMode::kVacation),
                            10)
                .code(),
            Code::kInvalid);
  EXPECT_EQ(ValidateHoliday(Holiday(1, "2026-12-24T00:00", "2026-12-24T00:00",
                                    OperatingMode::kVacation),
                            10)
                .code(),
            Code::kInvalid);
  EXPECT_EQ(ValidateHoliday(Holiday(11, "2026-12-24T00:00", "2026-12-27T00:00",
                                    OperatingMode::kVacation),
                            10)
                .code(),
            Code::kInvalid);
}

// LOCK-SEMANTICS 5: "unknown mode: invalid" for a holiday.
TEST(ScheduleValidateTest, ValidateHolidayUnknownModeIsInvalid) {
  EXPECT_EQ(ValidateHoliday(Holiday(1, "2026-12-24T00:00", "2026-12-27T00:00",
                                    static_cast<OperatingMode>(6)),
                            10)
                .code(),
            Code::kInvalid);
  EXPECT_EQ(ValidateHoliday(Holiday(1, "2026-12-24T00:00", "2026-12-27T00:00",
                                    static_cast<OperatingMode>(200)),
                            10)
                .code(),
            Code::kInvalid);
}

// LOCK-SEMANTICS 5 + lock-choices.md: edges inclusive at minute resolution.
TEST(ScheduleContainsTest, WeekDayEdgesInclusive) {
  const WeekDaySchedule s = Week(1, kThu, "09:00", "17:00");
  EXPECT_FALSE(s.Contains(Local(2026, 11, 26, 8, 59, 3)));
  EXPECT_TRUE(s.Contains(Local(2026, 11, 26, 9, 0, 3)));
  EXPECT_TRUE(s.Contains(Local(2026, 11, 26, 12, 0, 3)));
  EXPECT_TRUE(s.Contains(Local(2026, 11, 26, 17, 0, 3)));
  EXPECT_FALSE(s.Contains(Local(2026, 11, 26, 17, 1, 3)));
  EXPECT_FALSE(s.Contains(Local(2026, 11, 27, 12, 0, 4)));  // Friday
  EXPECT_FALSE(s.Contains(Local(2026, 11, 25, 12, 0, 2)));  // Wednesday
}

// LOCK-SEMANTICS 5: year-day and holiday edges inclusive at minute resolution.
TEST(ScheduleContainsTest, YearDayAndHolidayEdgesInclusive) {
  const YearDaySchedule y = Year(1, "2026-11-26T09:00", "2026-11-27T17:00");
  EXPECT_FALSE(y.Contains(Local(2026, 11, 26, 8, 59, 3)));
  EXPECT_TRUE(y.Contains(Local(2026, 11, 26, 9, 0, 3)));
  EXPECT_TRUE(y.Contains(Local(2026, 11, 27, 3, 0, 4)));
  EXPECT_TRUE(y.Contains(Local(2026, 11, 27, 17, 0, 4)));
  EXPECT_FALSE(y.Contains(Local(2026, 11, 27, 17, 1, 4)));
  EXPECT_FALSE(y.Contains(Local(2027, 11, 26, 12, 0, 4)));

  const HolidaySchedule h =
      Holiday(1, "2026-12-24T00:00", "2026-12-26T23:59", OperatingMode::kVacation);
  EXPECT_FALSE(h.Contains(Local(2026, 12, 23, 23, 59, 2)));
  EXPECT_TRUE(h.Contains(Local(2026, 12, 24, 0, 0, 3)));
  EXPECT_TRUE(h.Contains(Local(2026, 12, 26, 23, 59, 5)));
  EXPECT_FALSE(h.Contains(Local(2026, 12, 27, 0, 0, 6)));
}

// ---------------------------------------------------------------------------------------------
// The lock: setting and clearing schedules
// ---------------------------------------------------------------------------------------------

class SchedulesTest : public LockTest {
 protected:
  // The wall clock jumps forward to `utc_ms` (never back) and the lock ticks.
  void SetWall(int64_t utc_ms) {
    ASSERT_GE(utc_ms, clock_.WallMs()) << "tests move the clock forward only";
    clock_.SetWall(utc_ms);
    ASSERT_TRUE(lock().Tick().ok());
  }
  User MustGetUser(UserIndex index) {
    auto user = lock().GetUser(index);
    EXPECT_TRUE(user.ok()) << user.status().ToString();
    return user.ok() ? user.value() : User{};
  }
  void ExpectGranted(const std::string& pin) {
    const Decision d = Keypad(pin);
    EXPECT_EQ(d.result, DecisionResult::kGranted)
        << pin << " at " << clock_.WallMs() << ": "
        << (d.reason ? ToString(*d.reason) : std::string_view("-"));
  }
  void ExpectRestricted(const std::string& pin) {
    const Decision d = Keypad(pin);
    EXPECT_EQ(d.result, DecisionResult::kDenied) << pin << " at " << clock_.WallMs();
    EXPECT_EQ(d.reason, AccessError::kRestricted) << pin << " at " << clock_.WallMs();
  }
  std::vector<Event> ChangesAfter(uint64_t seq) const {
    std::vector<Event> out;
    for (const auto& e : events()) {
      if (e.seq > seq && e.kind == EventKind::kChange) out.push_back(e);
    }
    return out;
  }
  std::vector<Event> OperationsAfter(uint64_t seq) const {
    std::vector<Event> out;
    for (const auto& e : events()) {
      if (e.seq > seq && e.kind == EventKind::kLockOperation) out.push_back(e);
    }
    return out;
  }
};

// LOCK-SEMANTICS 5: a schedule for a user that does not exist is not_found.
TEST_F(SchedulesTest, MissingUserIsNotFound) {
  EXPECT_EQ(lock().SetWeekDaySchedule(9, Week(1, kMon, "09:00", "17:00"), owner_).status().code(),
            Code::kNotFound);
  EXPECT_EQ(
      lock().SetYearDaySchedule(9, Year(1, "2026-12-01T00:00", "2026-12-02T00:00"), owner_)
          .status()
          .code(),
      Code::kNotFound);
  EXPECT_EQ(lock().ClearSchedule(9, ScheduleKind::kWeekDay, 1, owner_).code(), Code::kNotFound);
  EXPECT_EQ(lock().ClearSchedule(9, ScheduleKind::kYearDay, std::nullopt, owner_).code(),
            Code::kNotFound);
}

// LOCK-SEMANTICS 5: bad schedules are invalid at the lock and change nothing.
TEST_F(SchedulesTest, LockRefusesInvalidSchedules) {
  const UserIndex u = AddPinUser("246810", UserType::kWeekDaySchedule);
  EXPECT_EQ(lock().SetWeekDaySchedule(u, Week(11, kMon, "09:00", "17:00"), owner_).status().code(),
            Code::kInvalid);
  EXPECT_EQ(lock().SetWeekDaySchedule(u, Week(1, 0, "09:00", "17:00"), owner_).status().code(),
            Code::kInvalid);
  EXPECT_EQ(lock().SetWeekDaySchedule(u, Week(1, 0x80, "09:00", "17:00"), owner_).status().code(),
            Code::kInvalid);
  EXPECT_EQ(lock().SetWeekDaySchedule(u, Week(1, kMon, "17:00", "09:00"), owner_).status().code(),
            Code::kInvalid);
  WeekDaySchedule h24 = Week(1, kMon, "09:00", "17:00");
  h24.end_min = 24 * 60;
  EXPECT_EQ(lock().SetWeekDaySchedule(u, h24, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(lock()
                .SetYearDaySchedule(u, Year(1, "2026-12-02T00:00", "2026-12-01T00:00"), owner_)
                .status()
                .code(),
            Code::kInvalid);
  EXPECT_EQ(lock()
                .SetYearDaySchedule(u, Year(11, "2026-12-01T00:00", "2026-12-02T00:00"), owner_)
                .status()
                .code(),
            Code::kInvalid);
  const User user = MustGetUser(u);
  EXPECT_TRUE(user.week_day_schedules.empty());
  EXPECT_TRUE(user.year_day_schedules.empty());
}

// LOCK-SEMANTICS 5: setting an existing index overwrites it.
TEST_F(SchedulesTest, SetExistingIndexOverwrites) {
  const UserIndex u = AddPinUser("246810", UserType::kWeekDaySchedule);
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kMon, "09:00", "17:00"), owner_).ok());
  auto second = lock().SetWeekDaySchedule(u, Week(1, kTue, "10:00", "12:00"), owner_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  User user = MustGetUser(u);
  ASSERT_EQ(user.week_day_schedules.size(), 1u);
  EXPECT_EQ(user.week_day_schedules[0], Week(1, kTue, "10:00", "12:00"));

  ASSERT_TRUE(
      lock().SetYearDaySchedule(u, Year(2, "2026-12-01T00:00", "2026-12-02T00:00"), owner_).ok());
  ASSERT_TRUE(
      lock().SetYearDaySchedule(u, Year(2, "2027-01-01T00:00", "2027-01-02T00:00"), owner_).ok());
  user = MustGetUser(u);
  ASSERT_EQ(user.year_day_schedules.size(), 1u);
  EXPECT_EQ(user.year_day_schedules[0], Year(2, "2027-01-01T00:00", "2027-01-02T00:00"));

  ASSERT_TRUE(lock()
                  .SetHoliday(Holiday(1, "2026-12-24T00:00", "2026-12-26T00:00",
                                      OperatingMode::kVacation),
                              owner_)
                  .ok());
  ASSERT_TRUE(lock()
                  .SetHoliday(Holiday(1, "2026-12-31T00:00", "2027-01-01T12:00",
                                      OperatingMode::kNoRemote),
                              owner_)
                  .ok());
  const auto holidays = lock().ListHolidays();
  ASSERT_EQ(holidays.size(), 1u);
  EXPECT_EQ(holidays[0],
            Holiday(1, "2026-12-31T00:00", "2027-01-01T12:00", OperatingMode::kNoRemote));
}

// lock.h + lock-choices.md: index 0 takes the lowest free index of that kind.
TEST_F(SchedulesTest, IndexZeroTakesLowestFree) {
  const UserIndex u = AddPinUser("246810", UserType::kScheduleRestricted);
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kMon, "09:00", "17:00"), owner_).ok());
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(3, kMon, "09:00", "17:00"), owner_).ok());
  auto w = lock().SetWeekDaySchedule(u, Week(0, kFri, "08:00", "09:00"), owner_);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->index, 2u);
  auto w4 = lock().SetWeekDaySchedule(u, Week(0, kFri, "10:00", "11:00"), owner_);
  ASSERT_TRUE(w4.ok());
  EXPECT_EQ(w4->index, 4u);

  auto y = lock().SetYearDaySchedule(u, Year(0, "2026-12-01T00:00", "2026-12-02T00:00"), owner_);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->index, 1u) << "year-day indexes are their own space";

  auto h = lock().SetHoliday(
      Holiday(0, "2026-12-24T00:00", "2026-12-26T00:00", OperatingMode::kVacation), owner_);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->index, 1u);

  const User user = MustGetUser(u);
  ASSERT_EQ(user.week_day_schedules.size(), 4u);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(user.week_day_schedules[i].index, i + 1);
}

// LOCK-SEMANTICS 5: clearing one index leaves the other indexes and the other kind.
TEST_F(SchedulesTest, ClearOneIndexLeavesOtherKind) {
  const UserIndex u = AddPinUser("246810", UserType::kScheduleRestricted);
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kMon, "09:00", "17:00"), owner_).ok());
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(2, kTue, "09:00", "17:00"), owner_).ok());
  ASSERT_TRUE(
      lock().SetYearDaySchedule(u, Year(1, "2026-12-01T00:00", "2026-12-02T00:00"), owner_).ok());
  ASSERT_TRUE(lock().ClearSchedule(u, ScheduleKind::kWeekDay, 1, owner_).ok());
  const User user = MustGetUser(u);
  ASSERT_EQ(user.week_day_schedules.size(), 1u);
  EXPECT_EQ(user.week_day_schedules[0].index, 2u);
  ASSERT_EQ(user.year_day_schedules.size(), 1u);
  EXPECT_EQ(user.credentials.size(), 1u);
}

// LOCK-SEMANTICS 5: clearing all of a kind leaves the other kind.
TEST_F(SchedulesTest, ClearAllOfKindLeavesOtherKind) {
  const UserIndex u = AddPinUser("246810", UserType::kScheduleRestricted);
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kMon, "09:00", "17:00"), owner_).ok());
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(2, kTue, "09:00", "17:00"), owner_).ok());
  ASSERT_TRUE(
      lock().SetYearDaySchedule(u, Year(1, "2026-12-01T00:00", "2026-12-02T00:00"), owner_).ok());
  ASSERT_TRUE(
      lock().SetYearDaySchedule(u, Year(2, "2026-12-05T00:00", "2026-12-06T00:00"), owner_).ok());

  ASSERT_TRUE(lock().ClearSchedule(u, ScheduleKind::kYearDay, std::nullopt, owner_).ok());
  User user = MustGetUser(u);
  EXPECT_TRUE(user.year_day_schedules.empty());
  EXPECT_EQ(user.week_day_schedules.size(), 2u);

  ASSERT_TRUE(
      lock().SetYearDaySchedule(u, Year(1, "2026-12-01T00:00", "2026-12-02T00:00"), owner_).ok());
  ASSERT_TRUE(lock().ClearSchedule(u, ScheduleKind::kWeekDay, std::nullopt, owner_).ok());
  user = MustGetUser(u);
  EXPECT_TRUE(user.week_day_schedules.empty());
  EXPECT_EQ(user.year_day_schedules.size(), 1u);
}

// lock-choices.md (schedules): clearing an index that holds nothing succeeds, changes nothing.
TEST_F(SchedulesTest, ClearEmptyIndexSucceedsChangesNothing) {
  const UserIndex u = AddPinUser("246810", UserType::kWeekDaySchedule);
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kMon, "09:00", "17:00"), owner_).ok());
  const User before = MustGetUser(u);
  const uint64_t seq = lock().last_seq();
  EXPECT_TRUE(lock().ClearSchedule(u, ScheduleKind::kWeekDay, 5, owner_).ok());
  EXPECT_TRUE(lock().ClearSchedule(u, ScheduleKind::kYearDay, 1, owner_).ok());
  EXPECT_TRUE(lock().ClearHoliday(3, owner_).ok());
  EXPECT_EQ(MustGetUser(u), before);
  EXPECT_EQ(lock().last_seq(), seq);
}

// LOCK-SEMANTICS 5: holidays: index range, lockdown refused, clear one / all.
TEST_F(SchedulesTest, HolidaysSetListClear) {
  EXPECT_EQ(lock()
                .SetHoliday(Holiday(1, "2026-12-24T00:00", "2026-12-26T00:00",
                                    OperatingMode::kLockdown),
                            owner_)
                .status()
                .code(),
            Code::kInvalid);
  EXPECT_EQ(lock()
                .SetHoliday(Holiday(11, "2026-12-24T00:00", "2026-12-26T00:00",
                                    OperatingMode::kVacation),
                            owner_)
                .status()
                .code(),
            Code::kInvalid);
  EXPECT_EQ(lock()
                .SetHoliday(Holiday(1, "2026-12-26T00:00", "2026-12-24T00:00",
                                    OperatingMode::kVacation),
                            owner_)
                .status()
                .code(),
            Code::kInvalid);
  EXPECT_TRUE(lock().ListHolidays().empty());

  ASSERT_TRUE(lock()
                  .SetHoliday(Holiday(2, "2026-12-24T00:00", "2026-12-26T00:00",
                                      OperatingMode::kVacation),
                              owner_)
                  .ok());
  ASSERT_TRUE(lock()
                  .SetHoliday(Holiday(10, "2027-01-01T00:00", "2027-01-02T00:00",
                                      OperatingMode::kPassage),
                              owner_)
                  .ok());
  ASSERT_TRUE(lock()
                  .SetHoliday(Holiday(5, "2027-02-01T00:00", "2027-02-02T00:00",
                                      OperatingMode::kNoRemote),
                              owner_)
                  .ok());
  auto list = lock().ListHolidays();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].index, 2u);
  EXPECT_EQ(list[1].index, 5u);
  EXPECT_EQ(list[2].index, 10u);

  ASSERT_TRUE(lock().ClearHoliday(5, owner_).ok());
  list = lock().ListHolidays();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].index, 2u);
  EXPECT_EQ(list[1].index, 10u);

  ASSERT_TRUE(lock().ClearHoliday(std::nullopt, owner_).ok());
  EXPECT_TRUE(lock().ListHolidays().empty());
}

// LOCK-SEMANTICS 5: a holiday with an unknown mode is invalid at the lock too.
TEST_F(SchedulesTest, LockRefusesHolidayWithUnknownMode) {
  EXPECT_EQ(lock()
                .SetHoliday(Holiday(1, "2026-12-24T00:00", "2026-12-26T00:00",
                                    static_cast<OperatingMode>(6)),
                            owner_)
                .status()
                .code(),
            Code::kInvalid);
  EXPECT_TRUE(lock().ListHolidays().empty());
}

// LOCK-SEMANTICS 9 for section 5: schedule changes record change events of their data type.
TEST_F(SchedulesTest, ScheduleChangesRecordChangeEvents) {
  const UserIndex u = AddPinUser("246810", UserType::kScheduleRestricted);
  uint64_t seq = lock().last_seq();
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kMon, "09:00", "17:00"), owner_).ok());
  auto changes = ChangesAfter(seq);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].data_type, DataType::kWeekDaySchedule);
  EXPECT_EQ(changes[0].change, ChangeOperation::kAdd);
  EXPECT_EQ(changes[0].user, (IndexOrAll{u, false}));
  EXPECT_EQ(changes[0].index, (IndexOrAll{1, false}));
  EXPECT_EQ(changes[0].actor, std::string(kOwner));

  seq = lock().last_seq();
  ASSERT_TRUE(
      lock().SetYearDaySchedule(u, Year(1, "2026-12-01T00:00", "2026-12-02T00:00"), owner_).ok());
  changes = ChangesAfter(seq);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].data_type, DataType::kYearDaySchedule);
  EXPECT_EQ(changes[0].user, (IndexOrAll{u, false}));

  seq = lock().last_seq();
  ASSERT_TRUE(lock().ClearSchedule(u, ScheduleKind::kWeekDay, 1, owner_).ok());
  changes = ChangesAfter(seq);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].data_type, DataType::kWeekDaySchedule);
  EXPECT_EQ(changes[0].change, ChangeOperation::kClear);

  seq = lock().last_seq();
  ASSERT_TRUE(lock()
                  .SetHoliday(Holiday(1, "2026-12-24T00:00", "2026-12-26T00:00",
                                      OperatingMode::kVacation),
                              owner_)
                  .ok());
  changes = ChangesAfter(seq);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].data_type, DataType::kHolidaySchedule);
  EXPECT_EQ(changes[0].index, (IndexOrAll{1, false}));
}

// LOCK-SEMANTICS 5: schedules survive a power cycle.
TEST_F(SchedulesTest, SchedulesSurvivePowerCycle) {
  const UserIndex u = AddPinUser("246810", UserType::kScheduleRestricted);
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kMon | kWed, "09:00", "17:00"), owner_).ok());
  ASSERT_TRUE(
      lock().SetYearDaySchedule(u, Year(1, "2026-12-01T00:00", "2026-12-02T00:00"), owner_).ok());
  ASSERT_TRUE(lock()
                  .SetHoliday(Holiday(1, "2026-12-24T00:00", "2026-12-26T00:00",
                                      OperatingMode::kVacation),
                              owner_)
                  .ok());
  const User before = MustGetUser(u);
  const auto holidays = lock().ListHolidays();
  Reboot();
  EXPECT_EQ(MustGetUser(u), before);
  EXPECT_EQ(lock().ListHolidays(), holidays);
}

// ---------------------------------------------------------------------------------------------
// The lock: evaluation (LOCK-SEMANTICS 3 user types, 5, 7 step 4)
// ---------------------------------------------------------------------------------------------

// LOCK-SEMANTICS 3 (week_day_schedule) + 5: opens inside its week-day schedule, refused
// `restricted` outside; edges inclusive at minute resolution (end 17:00 admits 17:00:59).
TEST_F(SchedulesTest, WeekDayUserInsideAndOutside) {
  const UserIndex u = AddPinUser("246810", UserType::kWeekDaySchedule);
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kThu, "09:00", "17:00"), owner_).ok());

  SetWall(UtcMs(2026, 11, 26, 8, 59, 59));  // Thursday, UTC
  ExpectRestricted("246810");
  SetWall(UtcMs(2026, 11, 26, 9, 0, 0));
  ExpectGranted("246810");
  SetWall(UtcMs(2026, 11, 26, 12, 30, 0));
  ExpectGranted("246810");
  SetWall(UtcMs(2026, 11, 26, 17, 0, 59));
  ExpectGranted("246810");
  SetWall(UtcMs(2026, 11, 26, 17, 1, 0));
  ExpectRestricted("246810");
  SetWall(UtcMs(2026, 11, 27, 12, 0, 0));  // Friday
  ExpectRestricted("246810");
  SetWall(UtcMs(2026, 12, 3, 12, 0, 0));  // next Thursday
  ExpectGranted("246810");

  // A refusal for the schedule is not a wrong code.
  EXPECT_EQ(lock().status().wrong_attempts, 0u);
}

// LOCK-SEMANTICS 7, step 4: the refusal is recorded as lock_operation_error `restricted`.
TEST_F(SchedulesTest, RestrictedRefusalIsRecorded) {
  const UserIndex u = AddPinUser("246810", UserType::kWeekDaySchedule);
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kMon, "09:00", "17:00"), owner_).ok());
  const uint64_t seq = lock().last_seq();
  ExpectRestricted("246810");
  bool found = false;
  for (const auto& e : events()) {
    if (e.seq > seq && e.kind == EventKind::kLockOperationError &&
        e.error == AccessError::kRestricted) {
      found = true;
      EXPECT_EQ(e.user, (IndexOrAll{u, false}));
      EXPECT_EQ(e.source, Source::kKeypad);
    }
  }
  EXPECT_TRUE(found);
}

// LOCK-SEMANTICS 3 (week_day_schedule): several schedules: inside any one of them opens.
TEST_F(SchedulesTest, WeekDayUserAnyScheduleOpens) {
  const UserIndex u = AddPinUser("246810", UserType::kWeekDaySchedule);
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kThu, "06:00", "07:00"), owner_).ok());
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(2, kThu | kFri, "18:00", "19:00"), owner_).ok());
  SetWall(UtcMs(2026, 11, 26, 6, 30));
  ExpectGranted("246810");
  SetWall(UtcMs(2026, 11, 26, 12, 0));
  ExpectRestricted("246810");
  SetWall(UtcMs(2026, 11, 26, 18, 30));
  ExpectGranted("246810");
  SetWall(UtcMs(2026, 11, 27, 18, 0));
  ExpectGranted("246810");
}

// LOCK-SEMANTICS 3 (week_day_schedule): with no week-day schedule it never opens, and a
// year-day schedule does not count for it.
TEST_F(SchedulesTest, WeekDayUserWithoutWeekDaySchedulesNeverOpens) {
  const UserIndex u = AddPinUser("246810", UserType::kWeekDaySchedule);
  ExpectRestricted("246810");
  ASSERT_TRUE(
      lock().SetYearDaySchedule(u, Year(1, "2026-01-01T00:00", "2027-12-31T23:59"), owner_).ok());
  ExpectRestricted("246810");
}

// LOCK-SEMANTICS 5: week-day schedules are in the lock's timezone.
TEST_F(SchedulesTest, WeekDayScheduleFollowsTimezone) {
  const UserIndex u = AddPinUser("246810", UserType::kWeekDaySchedule);
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kThu, "09:00", "09:30"), owner_).ok());
  SettingsPatch tz;
  tz.timezone = "Europe/Berlin";  // CET = UTC+1 in November
  Patch(tz);
  SetWall(UtcMs(2026, 11, 26, 7, 59, 59));  // 08:59:59 in Berlin
  ExpectRestricted("246810");
  SetWall(UtcMs(2026, 11, 26, 8, 0, 0));  // 09:00 in Berlin (but 08:00 UTC)
  ExpectGranted("246810");
  SetWall(UtcMs(2026, 11, 26, 8, 30, 59));  // 09:30:59
  ExpectGranted("246810");
  SetWall(UtcMs(2026, 11, 26, 9, 0, 0));  // 10:00 in Berlin (09:00 UTC: inside in UTC)
  ExpectRestricted("246810");
}

// LOCK-SEMANTICS 5: local time follows the zone's daylight-saving rules: in Berlin on
// 2027-03-28 the clock jumps from 02:00 CET to 03:00 CEST at 01:00 UTC.
TEST_F(SchedulesTest, WeekDayScheduleAcrossDstStart) {
  const UserIndex u = AddPinUser("246810", UserType::kWeekDaySchedule);
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kSun, "03:00", "03:30"), owner_).ok());
  SettingsPatch tz;
  tz.timezone = "Europe/Berlin";
  Patch(tz);
  SetWall(UtcMs(2027, 3, 28, 0, 59, 59));  // 01:59:59 CET
  ExpectRestricted("246810");
  SetWall(UtcMs(2027, 3, 28, 1, 0, 0));  // 03:00 CEST
  ExpectGranted("246810");
  SetWall(UtcMs(2027, 3, 28, 1, 30, 59));  // 03:30:59 CEST
  ExpectGranted("246810");
  SetWall(UtcMs(2027, 3, 28, 1, 31, 0));  // 03:31 CEST
  ExpectRestricted("246810");
  SetWall(UtcMs(2027, 3, 28, 2, 15, 0));  // 04:15 CEST (03:15 at the old offset)
  ExpectRestricted("246810");
}

// LOCK-SEMANTICS 3 (year_day_schedule) + 5: opens only inside a year-day schedule, edges
// inclusive at minute resolution.
TEST_F(SchedulesTest, YearDayUserInsideAndOutside) {
  const UserIndex u = AddPinUser("246810", UserType::kYearDaySchedule);
  ASSERT_TRUE(
      lock().SetYearDaySchedule(u, Year(1, "2026-11-26T09:00", "2026-11-27T17:00"), owner_).ok());
  SetWall(UtcMs(2026, 11, 26, 8, 59, 59));
  ExpectRestricted("246810");
  SetWall(UtcMs(2026, 11, 26, 9, 0, 0));
  ExpectGranted("246810");
  SetWall(UtcMs(2026, 11, 27, 3, 0, 0));
  ExpectGranted("246810");
  SetWall(UtcMs(2026, 11, 27, 17, 0, 59));
  ExpectGranted("246810");
  SetWall(UtcMs(2026, 11, 27, 17, 1, 0));
  ExpectRestricted("246810");
}

// LOCK-SEMANTICS 5: year-day schedules are local date-times of the lock (its timezone).
TEST_F(SchedulesTest, YearDayFollowsTimezone) {
  const UserIndex u = AddPinUser("246810", UserType::kYearDaySchedule);
  ASSERT_TRUE(
      lock().SetYearDaySchedule(u, Year(1, "2026-12-01T00:00", "2026-12-01T06:00"), owner_).ok());
  SettingsPatch tz;
  tz.timezone = "Europe/Berlin";
  Patch(tz);
  SetWall(UtcMs(2026, 11, 30, 23, 0, 0));  // 2026-12-01T00:00 in Berlin
  ExpectGranted("246810");
  SetWall(UtcMs(2026, 12, 1, 5, 1, 0));  // 06:01 in Berlin
  ExpectRestricted("246810");
}

// LOCK-SEMANTICS 3 (year_day_schedule): week-day schedules do not count for it; none: never.
TEST_F(SchedulesTest, YearDayUserIgnoresWeekDaySchedules) {
  const UserIndex u = AddPinUser("246810", UserType::kYearDaySchedule);
  ExpectRestricted("246810");
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, 0x7F, "00:00", "23:59"), owner_).ok());
  ExpectRestricted("246810");
}

// LOCK-SEMANTICS 3 (schedule_restricted): with no schedules it never opens.
TEST_F(SchedulesTest, ScheduleRestrictedWithNoneNeverOpens) {
  AddPinUser("246810", UserType::kScheduleRestricted);
  ExpectRestricted("246810");
  SetWall(UtcMs(2026, 11, 26, 12, 0));
  ExpectRestricted("246810");
  SetWall(UtcMs(2027, 6, 1, 3, 0));
  ExpectRestricted("246810");
}

// LOCK-SEMANTICS 3 (schedule_restricted): with only week-day schedules, those decide.
TEST_F(SchedulesTest, ScheduleRestrictedWithOnlyWeekDay) {
  const UserIndex u = AddPinUser("246810", UserType::kScheduleRestricted);
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kThu, "09:00", "17:00"), owner_).ok());
  SetWall(UtcMs(2026, 11, 26, 10, 0));
  ExpectGranted("246810");
  SetWall(UtcMs(2026, 11, 26, 18, 0));
  ExpectRestricted("246810");
}

// LOCK-SEMANTICS 3 (schedule_restricted): with only year-day schedules, those decide.
TEST_F(SchedulesTest, ScheduleRestrictedWithOnlyYearDay) {
  const UserIndex u = AddPinUser("246810", UserType::kScheduleRestricted);
  ASSERT_TRUE(
      lock().SetYearDaySchedule(u, Year(1, "2026-11-26T09:00", "2026-11-26T17:00"), owner_).ok());
  SetWall(UtcMs(2026, 11, 26, 10, 0));
  ExpectGranted("246810");
  SetWall(UtcMs(2026, 11, 26, 18, 0));
  ExpectRestricted("246810");
}

// LOCK-SEMANTICS 3 (schedule_restricted): with both kinds, both must be satisfied.
TEST_F(SchedulesTest, ScheduleRestrictedWithBothKindsNeedsBoth) {
  const UserIndex u = AddPinUser("246810", UserType::kScheduleRestricted);
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kThu, "09:00", "17:00"), owner_).ok());
  ASSERT_TRUE(
      lock().SetYearDaySchedule(u, Year(1, "2026-11-27T00:00", "2026-11-28T00:00"), owner_).ok());
  SetWall(UtcMs(2026, 11, 26, 10, 0));  // Thursday: week-day inside, year-day outside
  ExpectRestricted("246810");
  SetWall(UtcMs(2026, 11, 27, 10, 0));  // Friday: year-day inside, week-day outside
  ExpectRestricted("246810");
  // Both inside once the week-day schedule covers Friday too.
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kThu | kFri, "09:00", "17:00"), owner_).ok());
  ExpectGranted("246810");
  SetWall(UtcMs(2026, 11, 27, 17, 1));  // year-day inside, week-day outside
  ExpectRestricted("246810");
}

// LOCK-SEMANTICS 3: unrestricted users open at any time, schedules or not.
TEST_F(SchedulesTest, UnrestrictedIgnoresSchedules) {
  const UserIndex u = AddPinUser("246810", UserType::kUnrestricted);
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, Week(1, kMon, "09:00", "09:01"), owner_).ok());
  SetWall(UtcMs(2026, 11, 26, 3, 0));
  ExpectGranted("246810");
}

// LOCK-SEMANTICS 5 + 6: while now is inside a holiday, the lock's effective mode is the
// holiday's; the configured mode is unchanged and the lock returns to it at the end.
TEST_F(SchedulesTest, HolidaySetsEffectiveModeWhileInside) {
  AddPinUser("246810");
  ASSERT_TRUE(lock()
                  .SetHoliday(Holiday(1, "2026-11-26T09:00", "2026-11-26T10:00",
                                      OperatingMode::kVacation),
                              owner_)
                  .ok());
  SetWall(UtcMs(2026, 11, 26, 8, 59, 58));
  EXPECT_EQ(lock().status().operating_mode, OperatingMode::kNormal);
  Advance(2000);  // 09:00:00
  EXPECT_EQ(lock().status().operating_mode, OperatingMode::kVacation);
  EXPECT_EQ(lock().settings().operating_mode, OperatingMode::kNormal);
  // Vacation: the keypad works only for the programming PIN.
  const Decision d = Keypad("246810");
  EXPECT_EQ(d.result, DecisionResult::kDenied);
  EXPECT_EQ(d.reason, AccessError::kMode);

  SetWall(UtcMs(2026, 11, 26, 10, 0, 58));  // end inclusive at minute resolution
  EXPECT_EQ(lock().status().operating_mode, OperatingMode::kVacation);
  Advance(2000);  // 10:01:00
  EXPECT_EQ(lock().status().operating_mode, OperatingMode::kNormal);
  ExpectGranted("246810");
}

// LOCK-SEMANTICS 5: holidays are in the lock's timezone.
TEST_F(SchedulesTest, HolidayFollowsTimezone) {
  SettingsPatch tz;
  tz.timezone = "Europe/Berlin";
  Patch(tz);
  ASSERT_TRUE(lock()
                  .SetHoliday(Holiday(1, "2026-11-26T09:00", "2026-11-26T10:00",
                                      OperatingMode::kNoRemote),
                              owner_)
                  .ok());
  SetWall(UtcMs(2026, 11, 26, 7, 59, 59));
  EXPECT_EQ(lock().status().operating_mode, OperatingMode::kNormal);
  Advance(1000);  // 08:00 UTC = 09:00 Berlin
  EXPECT_EQ(lock().status().operating_mode, OperatingMode::kNoRemote);
  SetWall(UtcMs(2026, 11, 26, 9, 1, 0));  // 10:01 Berlin
  EXPECT_EQ(lock().status().operating_mode, OperatingMode::kNormal);
}

// lock-choices.md (schedules): a passage holiday unlocks the lock (source schedule) when it
// starts and locks it again (source schedule) when it ends.
TEST_F(SchedulesTest, PassageHolidayUnlocksAndRelocks) {
  ASSERT_TRUE(lock()
                  .SetHoliday(Holiday(1, "2026-11-26T09:00", "2026-11-26T09:30",
                                      OperatingMode::kPassage),
                              owner_)
                  .ok());
  SetWall(UtcMs(2026, 11, 26, 8, 59, 58));
  Advance(1000);
  ASSERT_EQ(lock().status().lock_state, LockState::kLocked);
  const uint64_t seq = lock().last_seq();

  Advance(2000);  // 09:00:00 and the motor time
  EXPECT_EQ(lock().status().operating_mode, OperatingMode::kPassage);
  EXPECT_EQ(lock().status().lock_state, LockState::kUnlocked);
  auto ops = OperationsAfter(seq);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].operation, Operation::kUnlock);
  EXPECT_EQ(ops[0].source, Source::kSchedule);

  // Still unlocked (and no auto relock) through the last minute.
  SetWall(UtcMs(2026, 11, 26, 9, 30, 58));
  EXPECT_EQ(lock().status().lock_state, LockState::kUnlocked);
  const uint64_t seq2 = lock().last_seq();
  Advance(3000);  // 09:31:01
  EXPECT_EQ(lock().status().operating_mode, OperatingMode::kNormal);
  EXPECT_EQ(lock().status().lock_state, LockState::kLocked);
  auto relock = OperationsAfter(seq2);
  ASSERT_EQ(relock.size(), 1u);
  EXPECT_EQ(relock[0].operation, Operation::kLock);
  EXPECT_EQ(relock[0].source, Source::kSchedule);
}

// lock-choices.md (schedules): a configured lockdown wins over any holiday.
TEST_F(SchedulesTest, ConfiguredLockdownWinsOverHoliday) {
  ASSERT_TRUE(lock()
                  .SetHoliday(Holiday(1, "2026-11-26T09:00", "2026-11-26T10:00",
                                      OperatingMode::kPassage),
                              owner_)
                  .ok());
  SettingsPatch lockdown;
  lockdown.operating_mode = OperatingMode::kLockdown;
  Patch(lockdown);
  SetWall(UtcMs(2026, 11, 26, 9, 0, 30));
  Advance(1000);
  EXPECT_EQ(lock().status().operating_mode, OperatingMode::kLockdown);
  EXPECT_EQ(lock().status().lock_state, LockState::kLocked);
}

// AcceptClock: the hub sets a clock later than what the lock has seen; rollback protection
// refuses a time earlier than the latest seen minus 5 minutes (lock-choices.md).
TEST_F(SchedulesTest, AcceptClockRollbackProtection) {
  const int64_t w = clock_.WallMs();
  const int64_t tolerance = 5 * 60 * 1000;
  EXPECT_EQ(lock().AcceptClock(w - tolerance - 1, owner_).code(), Code::kInvalid);
  EXPECT_TRUE(lock().AcceptClock(w - tolerance, owner_).ok());
  EXPECT_TRUE(lock().AcceptClock(w, owner_).ok());
  EXPECT_TRUE(lock().AcceptClock(w + 3'600'000, owner_).ok());
  clock_.SetWall(w + 3'600'000);
  ASSERT_TRUE(lock().Tick().ok());
  EXPECT_EQ(lock().AcceptClock(w, owner_).code(), Code::kInvalid)
      << "earlier than the latest seen (w + 1 h) minus 5 minutes";
  EXPECT_TRUE(lock().AcceptClock(w + 3'600'000 - tolerance, owner_).ok());
  EXPECT_TRUE(lock().status().clock_trusted);
}

// AcceptClock: the latest time seen survives a power cycle.
TEST_F(SchedulesTest, AcceptClockRollbackSurvivesPowerCycle) {
  const int64_t w = clock_.WallMs();
  SetWall(w + 86'400'000);
  Reboot();
  EXPECT_EQ(lock().AcceptClock(w, owner_).code(), Code::kInvalid);
}

// LOCK-SEMANTICS 5 (beyond) + AcceptClock: after a total power loss that reset the real-time
// clock, the clock is untrusted and a time earlier than the latest the lock had seen (minus
// the tolerance) is still refused; a good time makes schedule-bound users open again.
TEST_F(SchedulesTest, RtcLostInPowerLossRollbackStillRefused) {
  const UserIndex week = AddPinUser("111111", UserType::kWeekDaySchedule);
  ASSERT_TRUE(lock().SetWeekDaySchedule(week, Week(1, 0x7F, "00:00", "23:59"), owner_).ok());
  const int64_t latest = UtcMs(2026, 11, 26, 12, 0);
  SetWall(latest);
  ExpectGranted("111111");

  config_.rtc_valid = false;
  clock_.SetWall(UtcMs(2000, 1, 1, 0, 0));  // the RTC restarted from its reset value
  Reboot();
  EXPECT_FALSE(lock().status().clock_trusted);
  ExpectRestricted("111111");

  EXPECT_EQ(lock().AcceptClock(UtcMs(2000, 1, 1, 0, 0), owner_).code(), Code::kInvalid);
  EXPECT_EQ(lock().AcceptClock(latest - 10 * 60 * 1000, owner_).code(), Code::kInvalid);
  EXPECT_FALSE(lock().status().clock_trusted);
  ExpectRestricted("111111");

  ASSERT_TRUE(lock().AcceptClock(latest + 60'000, owner_).ok());
  clock_.SetWall(latest + 60'000);
  EXPECT_TRUE(lock().status().clock_trusted);
  ExpectGranted("111111");
}

// A lock whose real-time clock lost power (rtc_valid = false): the clock is not trusted until
// it is set.
class UntrustedClockTest : public SchedulesTest {
 protected:
  void SetUp() override {
    config_.rtc_valid = false;
    SchedulesTest::SetUp();
  }
};

// LOCK-SEMANTICS 5 (beyond): with an untrusted clock every schedule-bound user is refused
// `restricted` while unrestricted users still open; once the clock is set they open again.
TEST_F(UntrustedClockTest, ScheduleBoundUsersRestrictedUntilClockAccepted) {
  EXPECT_FALSE(lock().status().clock_trusted);
  const UserIndex week = AddPinUser("111111", UserType::kWeekDaySchedule);
  const UserIndex year = AddPinUser("222222", UserType::kYearDaySchedule);
  const UserIndex both = AddPinUser("333333", UserType::kScheduleRestricted);
  AddPinUser("444444", UserType::kUnrestricted);
  const int64_t now = clock_.WallMs();
  ASSERT_TRUE(lock().SetWeekDaySchedule(week, Week(1, 0x7F, "00:00", "23:59"), owner_).ok());
  ASSERT_TRUE(
      lock().SetYearDaySchedule(year, Year(1, "2026-01-01T00:00", "2027-12-31T23:59"), owner_).ok());
  ASSERT_TRUE(lock().SetWeekDaySchedule(both, Week(1, 0x7F, "00:00", "23:59"), owner_).ok());

  ExpectRestricted("111111");
  ExpectRestricted("222222");
  ExpectRestricted("333333");
  ExpectGranted("444444");

  ASSERT_TRUE(lock().AcceptClock(now, owner_).ok());
  EXPECT_TRUE(lock().status().clock_trusted);
  ExpectGranted("111111");
  ExpectGranted("222222");
  ExpectGranted("333333");
}

}  // namespace
}  // namespace latchkey::core
