// The three JSON forms of the lock's records: what the lock keeps on disk (kStore), what the
// link carries (kLink) and what the hub's API shows and takes (kApi). Each form of a record has
// one FieldTable (field_table.h) driving both directions, so that a form can change without
// copying another's code; every call site says which form it reads or writes:
//
//   store:  wire::EncodeSettings(wire::Form::kStore, settings)
//   lock:   wire::EncodeUser(wire::Form::kLink, user)
//   hub:    wire::DecodeSettingsPatch(wire::Form::kApi, body)
//
// Today the three forms of each record are the same document, so each form's table is the one
// table, shared by reference (record_forms.cc); to make one differ, give it its own table there.
// (Events and the runtime record: event_forms.h; docs/link.md "Typed ops" lists what is not typed yet.)
#pragma once

#include <nlohmann/json.hpp>

#include "core/schedule.h"
#include "core/settings.h"
#include "core/status.h"
#include "core/user.h"
#include "wire/field_table.h"

namespace latchkey::wire {

enum class Form { kStore, kLink, kApi };

// Whole settings; may_be_absent only for fields added after the first stored version.
const FieldTable<core::Settings>& SettingsFields(Form form);
// A partial write: no field may be null (none can be cleared), unknown fields are refused.
const FieldTable<core::SettingsPatch>& SettingsPatchFields(Form form);
// A user with its credentials and schedules. Unknown fields pass (a later version's store).
const FieldTable<core::User>& UserFields(Form form);
// A credential's {"type": "pin", "index": 3} (in a user, an event, a decision). Unknown fields pass.
// A phone key adds its "serial"; an offline code its window, "start" and "duration" (hours):
//   store, link: {"type": "offline_code", "index": 0, "start": 1795600800, "duration": 4}
//   API:         {"type": "offline_code", "index": 0, "start": "2026-11-25T10:00:00.000Z", "duration": 4}
const FieldTable<core::CredentialRef>& CredentialRefFields(Form form);
// Schedules, each with its "index" (left out while 0: the lock takes the lowest free) and its
// times as text. Unknown fields pass: a request carries the schedule beside its own fields.
//   week day: {"kind": "week_day", "days": ["mon", "tue"], "start": "08:00", "end": "17:30"}
//   year day: {"kind": "year_day", "start": "2026-12-24T00:00", "end": "2026-12-27T00:00"}
//   holiday:  {"start": ..., "end": ... (as year day), "operating_mode": "vacation", "index": 2}
// ("kind" is written, and read by whoever picks the form: a user's lists, set_schedule.)
const FieldTable<core::WeekDaySchedule>& WeekDayFields(Form form);
const FieldTable<core::YearDaySchedule>& YearDayFields(Form form);
const FieldTable<core::HolidaySchedule>& HolidayFields(Form form);

nlohmann::json EncodeSettings(Form form, const core::Settings& settings);
core::Result<core::Settings> DecodeSettings(Form form, const nlohmann::json& json);
nlohmann::json EncodeSettingsPatch(Form form, const core::SettingsPatch& patch);
core::Result<core::SettingsPatch> DecodeSettingsPatch(Form form, const nlohmann::json& json);
nlohmann::json EncodeUser(Form form, const core::User& user);
core::Result<core::User> DecodeUser(Form form, const nlohmann::json& json);
nlohmann::json EncodeCredentialRef(Form form, const core::CredentialRef& ref);
core::Result<core::CredentialRef> DecodeCredentialRef(Form form, const nlohmann::json& json);
nlohmann::json EncodeWeekDay(Form form, const core::WeekDaySchedule& schedule);
core::Result<core::WeekDaySchedule> DecodeWeekDay(Form form, const nlohmann::json& json);
nlohmann::json EncodeYearDay(Form form, const core::YearDaySchedule& schedule);
core::Result<core::YearDaySchedule> DecodeYearDay(Form form, const nlohmann::json& json);
nlohmann::json EncodeHoliday(Form form, const core::HolidaySchedule& holiday);
core::Result<core::HolidaySchedule> DecodeHoliday(Form form, const nlohmann::json& json);

}  // namespace latchkey::wire
