#include "wire/state_forms.h"

#include <array>

namespace latchkey::wire {
namespace {

using Json = nlohmann::json;

FieldTable<core::BatteryStatus> BatteryTable() {
  using core::BatteryStatus;
  return FieldTable<BatteryStatus>("battery")
      .Lenient()
      .Field("percent", &BatteryStatus::percent)
      .Field("millivolts", &BatteryStatus::millivolts)
      .Field("low", &BatteryStatus::low)
      .Field("critical", &BatteryStatus::critical)
      .Field("external_power", &BatteryStatus::external_power);
}

FieldTable<core::LockStatus> StatusTable() {
  using core::LockStatus;
  static const auto battery = BatteryTable();
  return FieldTable<LockStatus>("state")
      .Lenient()
      .Field("lock_state", &LockStatus::lock_state)
      .Field("door_state", &LockStatus::door_state)
      .Record("battery", &LockStatus::battery, battery)
      .Field("operating_mode", &LockStatus::operating_mode)
      .Field("clock_trusted", &LockStatus::clock_trusted)
      .Field("lockout_remaining_ms", &LockStatus::lockout_remaining_ms)
      .Field("remote_lockout_remaining_ms", &LockStatus::remote_lockout_remaining_ms)
      .Field("door_budget_wait_ms", &LockStatus::door_budget_wait_ms)
      .Field("remote_budget_wait_ms", &LockStatus::remote_budget_wait_ms)
      .Field("last_event_seq", &LockStatus::last_seq);
}

// A list of names that is the same for every lock of this version: written whole, and on reading
// only checked to be a list of names (at most 64 of at most 64 bytes).
FieldTable<core::Capabilities>&& Names(FieldTable<core::Capabilities>&& table, const char* name, Json names) {
  return std::move(table).Custom(
      name,
      [name](const Json& v, core::Capabilities&) -> core::Status {
        bool ok = v.is_array() && v.size() <= 64;
        for (std::size_t i = 0; ok && i < v.size(); ++i) {
          ok = v[i].is_string() && v[i].get_ref<const std::string&>().size() <= kMaxEnumBytes;
        }
        return ok ? core::Status::Ok() : core::Status::Invalid(std::string(name) + ": must be a list of names");
      },
      [name, names = std::move(names)](const core::Capabilities&, Json& j) { j[name] = names; });
}

FieldTable<core::Capabilities> CapabilitiesTable() {
  using core::Capabilities;
  Json types = Json::array();
  for (std::size_t i = 0; i < core::EnumNames<core::CredentialType>::kNames.size(); ++i) {
    const auto type = static_cast<core::CredentialType>(i);
    if (Capabilities::SupportsType(type)) types.push_back(std::string(core::ToString(type)));
  }
  auto table = FieldTable<Capabilities>("capabilities")
                   .Lenient()
                   .Field("max_users", &Capabilities::max_users)
                   .Field("credentials_per_user", &Capabilities::credentials_per_user)
                   .Field("min_pin_length", &Capabilities::min_pin_length)
                   .Field("max_pin_length", &Capabilities::max_pin_length)
                   .Field("rfid_min_bytes", &Capabilities::rfid_min_bytes)
                   .Field("rfid_max_bytes", &Capabilities::rfid_max_bytes)
                   .Field("max_user_name_length", &Capabilities::max_user_name_length)
                   .Field("week_day_schedules_per_user", &Capabilities::week_day_schedules_per_user)
                   .Field("year_day_schedules_per_user", &Capabilities::year_day_schedules_per_user)
                   .Field("holiday_schedules", &Capabilities::holiday_schedules);
  return Names(Names(Names(std::move(table), "credential_types", std::move(types)), "credential_rules",
                     Json{"single", "dual", "tri"}),
               "features",
               Json{"door_sensor", "unlatch", "keypad", "rfid", "fingerprint", "face", "auto_relock", "tamper",
                    "battery", "external_power"})
      .Whole([](const Json&, Capabilities& c) { return c.Validate(); }, [](const Capabilities&, Json&) {});
}

FieldTable<core::Decision> DecisionTable() {
  using core::Decision;
  return FieldTable<Decision>("decision")
      .Lenient()
      .Field("result", &Decision::result)
      .Field("operation", &Decision::operation)
      .Field("lock_state", &Decision::lock_state)
      .Field("reason", &Decision::reason)
      .Field("user", &Decision::user)
      .Custom(
          "credential",
          [](const Json& v, Decision& d) -> core::Status {
            if (!v.is_object()) return core::Status::Invalid("credential: must be a JSON object");
            auto ref = DecodeCredentialRef(Form::kLink, v);
            LATCHKEY_TRY(ref);
            d.credential = *ref;
            return core::Status::Ok();
          },
          [](const Decision& d, Json& j) {
            if (d.credential) j["credential"] = EncodeCredentialRef(Form::kLink, *d.credential);
          });
}

}  // namespace

const FieldTable<core::LockStatus>& StatusFields(Form) {
  static const auto table = StatusTable();
  return table;
}

const FieldTable<core::Capabilities>& CapabilitiesFields(Form) {
  static const auto table = CapabilitiesTable();
  return table;
}

const FieldTable<core::Decision>& DecisionFields(Form) {
  static const auto table = DecisionTable();
  return table;
}

#define LATCHKEY_RECORD(Name, T)                                                                          \
  Json Encode##Name(Form form, const T& record) { return Name##Fields(form).Encode(record); }           \
  core::Result<T> Decode##Name(Form form, const Json& json) { return Name##Fields(form).Decode(json); }
LATCHKEY_RECORD(Status, core::LockStatus)
LATCHKEY_RECORD(Capabilities, core::Capabilities)
LATCHKEY_RECORD(Decision, core::Decision)
#undef LATCHKEY_RECORD

}  // namespace latchkey::wire
