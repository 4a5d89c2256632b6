#include "wire/record_forms.h"

#include "wire/json_codec.h"

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
core::Status ListFromJson(const Json& list, const char* what, From from, std::vector<V>& out) {
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

FieldTable<core::User> UserTable() {
  using core::User;
  return FieldTable<User>("user")
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
      .Field("expires_at", &User::expires_at_ms)
      .Custom(
          "credentials",
          [](const Json& v, User& u) { return CredentialRefsFromJson(v, "credentials", &u.credentials); },
          [](const User& u, Json& j) { j["credentials"] = ListToJson(u.credentials, CredentialRefToJson); })
      .Custom(
          "week_day_schedules",
          [](const Json& v, User& u) {
            return ListFromJson(v, "week_day_schedules", WeekDayFromJson, u.week_day_schedules);
          },
          [](const User& u, Json& j) { j["week_day_schedules"] = ListToJson(u.week_day_schedules, WeekDayToJson); })
      .Custom(
          "year_day_schedules",
          [](const Json& v, User& u) {
            return ListFromJson(v, "year_day_schedules", YearDayFromJson, u.year_day_schedules);
          },
          [](const User& u, Json& j) { j["year_day_schedules"] = ListToJson(u.year_day_schedules, YearDayToJson); });
}

}  // namespace

// The forms are one document today: each returns the same table.
const FieldTable<core::Settings>& SettingsFields(Form) {
  static const auto table = SettingsTable<core::Settings>();
  return table;
}

const FieldTable<core::SettingsPatch>& SettingsPatchFields(Form) {
  static const auto table = SettingsTable<core::SettingsPatch>();
  return table;
}

const FieldTable<core::User>& UserFields(Form) {
  static const auto table = UserTable();
  return table;
}

Json EncodeSettings(Form form, const core::Settings& settings) { return SettingsFields(form).Encode(settings); }
core::Result<core::Settings> DecodeSettings(Form form, const Json& json) { return SettingsFields(form).Decode(json); }
Json EncodeSettingsPatch(Form form, const core::SettingsPatch& patch) { return SettingsPatchFields(form).Encode(patch); }
core::Result<core::SettingsPatch> DecodeSettingsPatch(Form form, const Json& json) {
  return SettingsPatchFields(form).Decode(json);
}
Json EncodeUser(Form form, const core::User& user) { return UserFields(form).Encode(user); }
core::Result<core::User> DecodeUser(Form form, const Json& json) { return UserFields(form).Decode(json); }

// The formless functions of json_codec.h: the one document all forms share today.
Json SettingsToJson(const core::Settings& settings) { return EncodeSettings(Form::kLink, settings); }
core::Result<core::Settings> SettingsFromJson(const Json& json) { return DecodeSettings(Form::kLink, json); }
core::Result<core::SettingsPatch> SettingsPatchFromJson(const Json& json) {
  return DecodeSettingsPatch(Form::kLink, json);
}
Json UserToJson(const core::User& user) { return EncodeUser(Form::kLink, user); }
core::Result<core::User> UserFromJson(const Json& json) { return DecodeUser(Form::kLink, json); }

}  // namespace latchkey::wire
