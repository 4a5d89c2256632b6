// The forms of schedules, holidays and credential refs (wire/record_forms.h): each form
// round-trips and writes the document the hand-written codec wrote; a bad field is refused by
// name; unknown fields pass the record (a request carries it beside its own fields) and are
// refused by the request's table. The answers of link/op_answers.h likewise.
#include <gtest/gtest.h>

#include <string>

#include "link/op_answers.h"
#include "link/op_requests.h"
#include "wire/json_codec.h"
#include "wire/record_forms.h"

namespace latchkey::wire {
namespace {

constexpr Form kForms[] = {Form::kStore, Form::kLink, Form::kApi};

core::WeekDaySchedule Weekdays() {
  core::WeekDaySchedule s;
  s.index = 2;
  s.days = 0b10001;  // mon, fri
  s.start_min = 8 * 60;
  s.end_min = 17 * 60 + 30;
  return s;
}

core::YearDaySchedule Christmas() {
  core::YearDaySchedule s;
  s.index = 1;
  s.start = *core::LocalDateTime::Parse("2026-12-24T00:00");
  s.end = *core::LocalDateTime::Parse("2026-12-27T00:00");
  return s;
}

core::HolidaySchedule Away() {
  core::HolidaySchedule h;
  h.index = 3;
  h.start = *core::LocalDateTime::Parse("2026-08-01T00:00");
  h.end = *core::LocalDateTime::Parse("2026-08-15T12:30");
  h.mode = core::OperatingMode::kVacation;
  return h;
}

// `json` decoded by `decode`, refused with `message`.
template <typename Decode>
void ExpectRefused(Decode decode, const Json& json, const std::string& message) {
  auto r = decode(Form::kLink, json);
  ASSERT_FALSE(r.ok()) << json.dump();
  EXPECT_EQ(r.status().message(), message) << json.dump();
}

TEST(RecordFormsTest, SchedulesRoundTripInEveryFormAsTheyWereWritten) {
  const Json week{{"kind", "week_day"}, {"index", 2}, {"days", {"mon", "fri"}}, {"start", "08:00"}, {"end", "17:30"}};
  const Json year{{"kind", "year_day"}, {"index", 1}, {"start", "2026-12-24T00:00"}, {"end", "2026-12-27T00:00"}};
  const Json holiday{
      {"index", 3}, {"start", "2026-08-01T00:00"}, {"end", "2026-08-15T12:30"}, {"operating_mode", "vacation"}};
  for (Form form : kForms) {
    EXPECT_EQ(EncodeWeekDay(form, Weekdays()), week);
    EXPECT_EQ(EncodeYearDay(form, Christmas()), year);
    EXPECT_EQ(EncodeHoliday(form, Away()), holiday);
    EXPECT_EQ(*DecodeWeekDay(form, week), Weekdays());
    EXPECT_EQ(*DecodeYearDay(form, year), Christmas());
    EXPECT_EQ(*DecodeHoliday(form, holiday), Away());
  }
  // The formless names of json_codec.h are the same document.
  EXPECT_EQ(WeekDayToJson(Weekdays()), week);
  EXPECT_EQ(HolidayToJson(Away()), holiday);
}

TEST(RecordFormsTest, AnIndexNotChosenYetIsLeftOut) {
  core::WeekDaySchedule s = Weekdays();
  s.index = 0;
  const Json j = EncodeWeekDay(Form::kLink, s);
  EXPECT_FALSE(j.contains("index"));
  EXPECT_EQ(*DecodeWeekDay(Form::kLink, j), s);
  core::HolidaySchedule h = Away();
  h.index = 0;
  EXPECT_FALSE(EncodeHoliday(Form::kStore, h).contains("index"));
}

TEST(RecordFormsTest, SchedulesNameTheFieldTheyRefuse) {
  const Json week = EncodeWeekDay(Form::kLink, Weekdays());
  const auto with = [](Json j, const char* key, Json value) {
    j[key] = std::move(value);
    return j;
  };
  ExpectRefused(DecodeWeekDay, with(week, "index", 0), "index: must be in 1..255");
  ExpectRefused(DecodeWeekDay, with(week, "index", "2"), "index: must be a whole number");
  ExpectRefused(DecodeWeekDay, with(week, "start", 800), "start: must be a string");
  ExpectRefused(DecodeWeekDay, with(week, "end", "24:00"), "end: must be HH:MM, 00:00..23:59");
  ExpectRefused(DecodeWeekDay, with(week, "days", Json::array()), "days: must list 1..7 of mon..sun");
  ExpectRefused(DecodeWeekDay, with(week, "days", {"mon", "someday"}), "days: each is one of mon..sun");
  Json no_days = week;
  no_days.erase("days");
  ExpectRefused(DecodeWeekDay, no_days, "days: is required");
  ExpectRefused(DecodeWeekDay, Json::array(), "schedule must be a JSON object");

  const Json year = EncodeYearDay(Form::kLink, Christmas());
  ExpectRefused(DecodeYearDay, with(year, "start", "2026-12-24"), "start: must be a local date-time YYYY-MM-DDTHH:MM");
  const Json holiday = EncodeHoliday(Form::kLink, Away());
  ExpectRefused(DecodeHoliday, with(holiday, "operating_mode", "party"),
                "operating_mode: 'party' is not a known value");
  ExpectRefused(DecodeHoliday, with(holiday, "end", nullptr), "end: is required");
}

TEST(RecordFormsTest, CredentialRefsRoundTripAndNameTheFieldTheyRefuse) {
  const core::CredentialRef pin{core::CredentialType::kPin, 7};
  for (Form form : kForms) {
    EXPECT_EQ(EncodeCredentialRef(form, pin), (Json{{"type", "pin"}, {"index", 7}}));
    EXPECT_EQ(*DecodeCredentialRef(form, EncodeCredentialRef(form, pin)), pin);
  }
  ExpectRefused(DecodeCredentialRef, Json{{"type", "pen"}, {"index", 1}}, "type: 'pen' is not a known value");
  ExpectRefused(DecodeCredentialRef, Json{{"type", "pin"}, {"index", -1}}, "index: must be in 0..4294967295");
  // In a list, an item that is not an object is named by the list.
  std::vector<core::CredentialRef> refs;
  const core::Status s = CredentialRefsFromJson(Json{1}, "credentials", &refs);
  EXPECT_EQ(s.message(), "credentials must be a JSON object");
}

TEST(RecordFormsTest, AUserCarriesItsSchedulesInItsForm) {
  core::User u;
  u.index = 1;
  u.credentials.push_back({core::CredentialType::kRfid, 4});
  u.week_day_schedules.push_back(Weekdays());
  u.year_day_schedules.push_back(Christmas());
  for (Form form : kForms) {
    const Json j = EncodeUser(form, u);
    EXPECT_EQ(j.at("week_day_schedules").at(0), EncodeWeekDay(form, Weekdays()));
    EXPECT_EQ(j.at("year_day_schedules").at(0), EncodeYearDay(form, Christmas()));
    EXPECT_EQ(*DecodeUser(form, j), u);
  }
  Json bad = EncodeUser(Form::kStore, u);
  bad["week_day_schedules"][0]["start"] = "8am";
  auto r = DecodeUser(Form::kStore, bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "start: must be HH:MM, 00:00..23:59");
}

// The record lets unknown fields pass; the request that carries it does not.
TEST(RecordFormsTest, UnknownFieldsAreTheRequestsToRefuse) {
  Json args = EncodeWeekDay(Form::kLink, Weekdays());
  args["user"] = 1;
  args["colour"] = "red";
  EXPECT_TRUE(DecodeWeekDay(Form::kLink, args).ok());
  auto r = link::DecodeRequest<link::SetScheduleRequest>(args);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "colour: is not a known field");
  args.erase("colour");
  r = link::DecodeRequest<link::SetScheduleRequest>(args);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(std::get<core::WeekDaySchedule>(r->schedule), Weekdays());
  EXPECT_EQ(link::EncodeRequest(*r), args);
}

// The answers of link/op_answers.h keep the documents the lock wrote by hand.
TEST(OpAnswersTest, AnswersRoundTripAsTheyWereWritten) {
  const link::RemoteAnswer remote{.result = "ok", .lock_state = core::LockState::kLocked};
  const Json written = link::RemoteAnswer::Fields().Encode(remote);
  EXPECT_EQ(written, (Json{{"result", "ok"}, {"lock_state", "locked"}}));
  EXPECT_EQ(link::RemoteAnswer::Fields().Decode(written)->lock_state, core::LockState::kLocked);
  EXPECT_EQ(link::SetTimeAnswer::Fields().Encode({.time = 42}), (Json{{"time", 42}}));
  const link::CredentialResultAnswer added{.type = core::CredentialType::kPin, .index = 3, .user = 2};
  EXPECT_EQ(link::CredentialResultAnswer::Fields().Encode(added),
            (Json{{"type", "pin"}, {"index", 3}, {"user", 2}, {"next_free_index", nullptr}}));
  auto bad = link::RemoteAnswer::Fields().Decode(Json{{"result", "ok"}, {"lock_state", "ajar"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "lock_state: 'ajar' is not a known value");
  auto unknown = link::SetTimeAnswer::Fields().Decode(Json{{"time", 1}, {"tme", 2}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "tme: is not a known field");
}

}  // namespace
}  // namespace latchkey::wire
