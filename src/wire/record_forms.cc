#include "wire/record_forms.h"

#include <array>

#include "platform/time_format.h"
#include "wire/json_codec.h"
#include "wire/json_fields.h"

namespace latchkey::wire {
namespace {

// One list of settings fields for both shapes: S is core::Settings (whole) or
// core::SettingsPatch (every member optional), so the two cannot drift apart.
template <typename S>
FieldTable<S> SettingsTable() {
  return FieldTable<S>("settings")
      .RefuseNulls()
      .Field("auto_relock_s", &S::auto_relock_s)
      .Field("wrong_code_limit", &S::wrong_code_limit)
      .Field("lockout_s", &S::lockout_s)
      .Field("lockout_escalation", &S::lockout_escalation)
      .Field("lockout_max_s", &S::lockout_max_s)
      .Field("max_wrong_per_hour", &S::max_wrong_per_hour, {.may_be_absent = true})  // added in wave 2
      .Field("expiring_user_timeout_min", &S::expiring_user_timeout_min)
      .Field("require_pin_for_remote", &S::require_pin_for_remote)
      .Field("one_touch_locking", &S::one_touch_locking)
      .Field("multi_factor_window_s", &S::multi_factor_window_s)
      .Field("door_ajar_s", &S::door_ajar_s)
      .Field("sound_volume", &S::sound_volume)
      .Field("operating_mode", &S::operating_mode)
      .Field("timezone", &S::timezone, {.max_bytes = 64})
      .Field("name", &S::name, {.max_bytes = 256});
}

// A list of JSON values decoded one by one into `out`.
template <typename V, typename From>
core::Status ListFromJson(const Json& list, std::string_view what, From from, std::vector<V>& out) {
  if (!list.is_array()) return core::Status::Invalid(std::string(what) + ": must be a list");
  for (const Json& item : list) {
    auto parsed = from(item);
    LATCHKEY_TRY(parsed);
    out.push_back(*parsed);
  }
  return core::Status::Ok();
}

template <typename V, typename To>
Json ListToJson(const std::vector<V>& list, To to) {
  Json out = Json::array();
  for (const V& item : list) out.push_back(to(item));
  return out;
}

// A credential ref in a list: an item that is not an object is named by the list (`what`).
core::Result<core::CredentialRef> CredentialRefIn(Form form, const Json& item, std::string_view what) {
  if (!item.is_object()) return core::Status::Invalid(std::string(what) + " must be a JSON object");
  return DecodeCredentialRef(form, item);
}

core::Status CredentialRefsFrom(Form form, const Json& list, std::string_view what,
                                std::vector<core::CredentialRef>& out) {
  return ListFromJson(list, what, [&](const Json& item) { return CredentialRefIn(form, item, what); }, out);
}

// A list member of a user in `form`: its name, its member and that form's codec of an item.
template <typename V, typename Encode, typename Decode>
FieldTable<core::User>&& UserList(FieldTable<core::User>&& table, Form form, const char* name,
                                  std::vector<V> core::User::*member, Encode encode, Decode decode) {
  return std::move(table).Custom(
      name,
      [=](const Json& v, core::User& u) {
        return ListFromJson(v, name, [=](const Json& item) { return decode(form, item); }, u.*member);
      },
      [=](const core::User& u, Json& j) {
        j[name] = ListToJson(u.*member, [=](const V& item) { return encode(form, item); });
      });
}

// The user's sub-records are in the user's form.
FieldTable<core::User> UserTable(Form form) {
  using core::User;
  const auto credential = [](Form f, const Json& item) { return CredentialRefIn(f, item, "credentials"); };
  auto table = FieldTable<User>("user")
                   .Lenient()
                   .Field("index", &User::index, {.lo = 1, .hi = 65534})
                   .Field("name", &User::name, {.max_bytes = 1024, .may_be_absent = true})
                   .Field("unique_id", &User::unique_id, {.null_when_absent = true})
                   .Field("status", &User::status)
                   .Field("type", &User::type)
                   .Field("credential_rule", &User::credential_rule)
                   .Field("created_by", &User::created_by, {.max_bytes = 256, .may_be_absent = true})
                   .Field("modified_by", &User::modified_by, {.max_bytes = 256, .may_be_absent = true})
                   .Field("created_at", &User::created_at_ms, {.may_be_absent = true})
                   .Field("modified_at", &User::modified_at_ms, {.may_be_absent = true})
                   .Field("expires_at", &User::expires_at_ms);
  return UserList(UserList(UserList(std::move(table), form, "credentials", &User::credentials, EncodeCredentialRef,
                                    credential),
                           form, "week_day_schedules", &User::week_day_schedules,
                           EncodeWeekDay, DecodeWeekDay),
                  form, "year_day_schedules", &User::year_day_schedules, EncodeYearDay, DecodeYearDay);
}

// An offline code's window rides along: "start" as Unix seconds in the store and link forms,
// as RFC 3339 text in the API form, and "duration" in hours (both absent for other types).
FieldTable<core::CredentialRef> CredentialRefTable(Form form) {
  using core::CredentialRef;
  auto table = FieldTable<CredentialRef>("credential")
                   .Lenient()
                   .Field("type", &CredentialRef::type)
                   .Field("index", &CredentialRef::index)
                   .Field("serial", &CredentialRef::serial, {.may_be_absent = true, .omit_default = true})
                   .Field("duration", &CredentialRef::window_hours, {.hi = 999, .may_be_absent = true, .omit_default = true});
  if (form != Form::kApi) {
    return std::move(table).Field("start", &CredentialRef::window_start_s, {.may_be_absent = true, .omit_default = true});
  }
  return std::move(table).Custom(
      "start",
      [](const Json& v, CredentialRef& ref) -> core::Status {
        Json one = Json::object();
        one["start"] = v;
        JsonFields f(one);
        const auto text = f.Str("start", true, 64);
        LATCHKEY_TRY(f);
        const auto ms = platform::ParseRfc3339Ms(*text);
        if (!ms || *ms % 1000 != 0) return core::Status::Invalid("start: must be an RFC 3339 time in whole seconds");
        ref.window_start_s = *ms / 1000;
        return core::Status::Ok();
      },
      [](const CredentialRef& ref, Json& j) {
        if (ref.window_start_s != 0) j["start"] = platform::FormatRfc3339Ms(ref.window_start_s * 1000);
      });
}

// A member written as text (a time of day, a local date-time): read with the checks and messages
// of a string field of at most `max_bytes`, then parsed; `format` says what it must be.
template <typename S, typename M, typename Parse, typename Print>
FieldTable<S>&& Text(FieldTable<S>&& table, const char* name, M S::*member, std::size_t max_bytes, Parse parse,
                     Print print, const char* format) {
  return std::move(table).Custom(
      name,
      [=](const Json& v, S& out) -> core::Status {
        Json one = Json::object();
        one[name] = v;
        JsonFields f(one);
        const auto text = f.Str(name, true, max_bytes);
        LATCHKEY_TRY(f);
        const auto parsed = parse(*text);
        if (!parsed) return core::Status::Invalid(std::string(name) + ": must be " + format);
        out.*member = *parsed;
        return core::Status::Ok();
      },
      [=](const S& in, Json& j) { j[name] = print(in.*member); }, /*required=*/true);
}

// "kind" is written for whoever reads a schedule without knowing its form (it picks the form).
template <typename S>
FieldTable<S> ScheduleTable(const char* what, const char* kind) {
  auto table = FieldTable<S>(what).Lenient().Field(
      "index", &S::index, {.lo = 1, .hi = 255, .may_be_absent = true, .omit_default = true});
  if (kind == nullptr) return table;
  return std::move(table).Custom(
      "kind", [](const Json&, S&) { return core::Status::Ok(); }, [=](const S&, Json& j) { j["kind"] = kind; });
}

// A year-day schedule's and a holiday's start and end.
template <typename S>
FieldTable<S> DateRange(FieldTable<S>&& table) {
  const auto parse = [](const std::string& text) { return core::LocalDateTime::Parse(text); };
  const auto print = [](const core::LocalDateTime& t) { return t.ToString(); };
  constexpr const char* kFormat = "a local date-time YYYY-MM-DDTHH:MM";
  return Text(Text(std::move(table), "start", &S::start, 32, parse, print, kFormat), "end", &S::end, 32, parse, print,
              kFormat);
}

FieldTable<core::WeekDaySchedule> WeekDayTable() {
  using core::WeekDaySchedule;
  const auto parse = [](const std::string& text) { return core::ParseTimeOfDay(text); };
  const auto print = [](uint16_t minutes) { return core::FormatTimeOfDay(minutes); };
  constexpr const char* kFormat = "HH:MM, 00:00..23:59";
  // (start and end before days: a missing one is named first, as before.)
  return Text(Text(ScheduleTable<WeekDaySchedule>("schedule", "week_day"), "start", &WeekDaySchedule::start_min, 16,
                   parse, print, kFormat),
              "end", &WeekDaySchedule::end_min, 16, parse, print, kFormat)
      .Custom(
      "days",
      [](const Json& days, WeekDaySchedule& s) -> core::Status {
        if (!days.is_array() || days.empty() || days.size() > 7) {
          return core::Status::Invalid("days: must list 1..7 of mon..sun");
        }
        s.days = 0;
        for (const Json& d : days) {
          const auto day = d.is_string() ? core::Parse<core::Weekday>(d.get<std::string>()) : std::nullopt;
          if (!day) return core::Status::Invalid("days: each is one of mon..sun");
          s.days = static_cast<uint8_t>(s.days | 1u << static_cast<int>(*day));
        }
        return core::Status::Ok();
      },
      [](const WeekDaySchedule& s, Json& j) {
        Json days = Json::array();
        for (int d = 0; d < 7; ++d) {
          if (s.days & (1u << d)) days.push_back(std::string(core::ToString(static_cast<core::Weekday>(d))));
        }
        j["days"] = days;
      },
      /*required=*/true);
}

}  // namespace

// The forms are one document today: each returns the same table (users: one table per form,
// so that each reads and writes its credentials and schedules in its own form).
const FieldTable<core::Settings>& SettingsFields(Form) {
  static const auto table = SettingsTable<core::Settings>();
  return table;
}

const FieldTable<core::SettingsPatch>& SettingsPatchFields(Form) {
  static const auto table = SettingsTable<core::SettingsPatch>();
  return table;
}

const FieldTable<core::User>& UserFields(Form form) {
  static const std::array<FieldTable<core::User>, 3> tables{UserTable(Form::kStore), UserTable(Form::kLink),
                                                            UserTable(Form::kApi)};
  return tables[static_cast<std::size_t>(form)];
}

const FieldTable<core::CredentialRef>& CredentialRefFields(Form form) {
  static const std::array<FieldTable<core::CredentialRef>, 3> tables{
      CredentialRefTable(Form::kStore), CredentialRefTable(Form::kLink), CredentialRefTable(Form::kApi)};
  return tables[static_cast<std::size_t>(form)];
}

const FieldTable<core::WeekDaySchedule>& WeekDayFields(Form) {
  static const auto table = WeekDayTable();
  return table;
}

const FieldTable<core::YearDaySchedule>& YearDayFields(Form) {
  static const auto table = DateRange(ScheduleTable<core::YearDaySchedule>("schedule", "year_day"));
  return table;
}

const FieldTable<core::HolidaySchedule>& HolidayFields(Form) {
  static const auto table = DateRange(
      ScheduleTable<core::HolidaySchedule>("holiday", nullptr).Field("operating_mode", &core::HolidaySchedule::mode));
  return table;
}

// Each record's Encode<Name> and Decode<Name> (its form's table, both ways), and the formless
// <Name>ToJson and <Name>FromJson of json_codec.h: the link form, the one document all forms
// share today.
#define LATCHKEY_RECORD(Name, T)                                                                          \
  Json Encode##Name(Form form, const T& record) { return Name##Fields(form).Encode(record); }           \
  core::Result<T> Decode##Name(Form form, const Json& json) { return Name##Fields(form).Decode(json); } \
  Json Name##ToJson(const T& record) { return Encode##Name(Form::kLink, record); }                     \
  core::Result<T> Name##FromJson(const Json& json) { return Decode##Name(Form::kLink, json); }
LATCHKEY_RECORD(Settings, core::Settings)
LATCHKEY_RECORD(User, core::User)
LATCHKEY_RECORD(CredentialRef, core::CredentialRef)
LATCHKEY_RECORD(WeekDay, core::WeekDaySchedule)
LATCHKEY_RECORD(YearDay, core::YearDaySchedule)
LATCHKEY_RECORD(Holiday, core::HolidaySchedule)
#undef LATCHKEY_RECORD

Json EncodeSettingsPatch(Form form, const core::SettingsPatch& patch) { return SettingsPatchFields(form).Encode(patch); }
core::Result<core::SettingsPatch> DecodeSettingsPatch(Form form, const Json& json) {
  return SettingsPatchFields(form).Decode(json);
}
core::Result<core::SettingsPatch> SettingsPatchFromJson(const Json& json) {
  return DecodeSettingsPatch(Form::kLink, json);
}
core::Status CredentialRefsFromJson(const Json& list, std::string_view what, std::vector<core::CredentialRef>* out) {
  return CredentialRefsFrom(Form::kLink, list, what, *out);
}

}  // namespace latchkey::wire
