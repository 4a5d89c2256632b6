#include "wire/json_codec.h"

#include <limits>

#include "core/battery.h"
#include "wire/json_fields.h"

namespace latchkey::wire {

using core::Result;
using core::Status;

std::string ToHex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

bool FromHex(std::string_view hex, std::span<uint8_t> out) {
  if (hex.size() != out.size() * 2) return false;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

namespace {

Json IndexOrAllToJson(const core::IndexOrAll& v) { return v.all ? Json("all") : Json(v.index); }

std::optional<core::IndexOrAll> IndexOrAllFrom(JsonFields& f, const Json& json, std::string_view key) {
  if (!f.Has(key)) return std::nullopt;
  const Json& v = json.at(std::string(key));
  if (v.is_string() && v.get<std::string>() == "all") return core::IndexOrAll::All();
  const auto n = f.Uint(key, 0, UINT32_MAX, true);
  if (!n) return std::nullopt;
  return core::IndexOrAll{static_cast<uint32_t>(*n), false};
}

template <typename E>
void PutEnum(Json& j, const char* key, const std::optional<E>& v) {
  if (v) j[key] = std::string(core::ToString(*v));
}

}  // namespace

// --- events ----------------------------------------------------------------------------------

Json EventToJson(const core::Event& e) {
  Json j = Json::object();
  j["seq"] = e.seq;
  j["time"] = e.time_ms;
  j["kind"] = std::string(core::ToString(e.kind));
  if (e.operation) j["operation"] = std::string(core::ToString(*e.operation));
  else PutEnum(j, "operation", e.change);
  PutEnum(j, "source", e.source);
  if (e.user) j["user"] = IndexOrAllToJson(*e.user);
  if (e.credential) j["credential"] = CredentialRefToJson(*e.credential);
  if (e.actor) j["actor"] = *e.actor;
  PutEnum(j, "error", e.error);
  PutEnum(j, "alarm", e.alarm);
  PutEnum(j, "door_state", e.door_state);
  PutEnum(j, "data_type", e.data_type);
  if (e.index) j["index"] = IndexOrAllToJson(*e.index);
  if (e.external_power) j["external_power"] = *e.external_power;
  if (e.count) j["count"] = *e.count;
  if (e.from_ms) j["from"] = *e.from_ms;
  if (e.to_ms) j["to"] = *e.to_ms;
  if (e.forced) j["forced"] = *e.forced;
  j["hash"] = ToHex(e.hash);
  return j;
}

Result<core::Event> EventFromJson(const Json& json) {
  JsonFields f(json, "event");
  core::Event e;
  e.seq = f.Uint("seq", 1, UINT64_MAX, true).value_or(0);
  e.time_ms = f.Int("time", true).value_or(0);
  e.kind = f.Enum<core::EventKind>("kind", true).value_or(core::EventKind::kAlarm);
  LATCHKEY_TRY(f);
  if (e.kind == core::EventKind::kChange) {
    e.change = f.Enum<core::ChangeOperation>("operation", false);
  } else {
    e.operation = f.Enum<core::Operation>("operation", false);
  }
  e.source = f.Enum<core::Source>("source", false);
  e.user = IndexOrAllFrom(f, json, "user");
  if (const Json* c = f.Child("credential", false)) {
    auto ref = CredentialRefFromJson(*c);
    LATCHKEY_TRY(ref);
    e.credential = *ref;
  }
  e.actor = f.Str("actor", false, 256);
  e.error = f.Enum<core::AccessError>("error", false);
  e.alarm = f.Enum<core::AlarmKind>("alarm", false);
  e.door_state = f.Enum<core::DoorState>("door_state", false);
  e.data_type = f.Enum<core::DataType>("data_type", false);
  e.index = IndexOrAllFrom(f, json, "index");
  e.external_power = f.Bool("external_power", false);
  e.count = f.Uint("count", 0, UINT64_MAX, false);
  e.from_ms = f.Int("from", false);
  e.to_ms = f.Int("to", false);
  e.forced = f.Bool("forced", false);
  const auto hash = f.Str("hash", true, 64);
  LATCHKEY_TRY(f);
  if (!FromHex(*hash, e.hash)) return Status::Invalid("hash: must be 64 hex digits");
  return e;
}

Result<EventEnvelope> EventEnvelopeFromJson(const Json& json) {
  JsonFields f(json, "event");
  EventEnvelope e;
  e.seq = f.Uint("seq", 1, INT64_MAX, true).value_or(0);
  e.time_ms = f.Int("time", true).value_or(0);
  const auto kind = f.Str("kind", true, std::numeric_limits<std::size_t>::max());
  if (!f.ok()) return f.status();
  if (kind->empty()) return Status::Invalid("kind: must not be empty");
  e.kind = *kind;
  // A null user is refused (the accessors would read it as absent).
  if (const auto user = json.find("user"); user != json.end() && user->is_null()) {
    return Status::Invalid("user: must be a user index or \"all\"");
  }
  e.user = IndexOrAllFrom(f, json, "user");
  if (!f.ok()) return f.status();
  return e;
}

// --- runtime --------------------------------------------------------------

Json RuntimeToJson(const core::RuntimeState& r) {
  return Json{
      {"lock_state", std::string(core::ToString(r.lock_state))},
      {"door_state", std::string(core::ToString(r.door_state))},
      {"wrong_attempts", r.wrong_attempts},
      {"lockout_level", r.lockout_level},
      {"lockout_remaining_ms", r.lockout_remaining_ms},
      {"remote_wrong_attempts", r.remote_wrong_attempts},
      {"remote_lockout_level", r.remote_lockout_level},
      {"remote_lockout_remaining_ms", r.remote_lockout_remaining_ms},
      {"door_wrong_ages_ms", r.door_wrong_ages_ms},
      {"remote_wrong_ages_ms", r.remote_wrong_ages_ms},
      {"door_budget_alarm_quiet_ms", r.door_budget_alarm_quiet_ms},
      {"remote_budget_alarm_quiet_ms", r.remote_budget_alarm_quiet_ms},
      {"relock_remaining_ms", r.relock_remaining_ms},
      {"relock_waiting_for_door", r.relock_waiting_for_door},
      {"battery_mv", r.battery_mv},
      {"external_power", r.external_power},
      {"low_battery_raised", r.low_battery_raised},
      {"critical_battery_raised", r.critical_battery_raised},
      {"door_ajar_raised", r.door_ajar_raised},
      {"door_open_ms", r.door_open_ms},
      {"pending_user", r.pending_user},
      {"pending_credentials", [&] {
         Json list = Json::array();
         for (const auto& c : r.pending_credentials) list.push_back(CredentialRefToJson(c));
         return list;
       }()},
      {"pending_remaining_ms", r.pending_remaining_ms},
      {"pending_source", std::string(core::ToString(r.pending_source))},
      {"pending_operation", std::string(core::ToString(r.pending_operation))},
      {"clock_trusted", r.clock_trusted},
      {"latest_wall_ms", r.latest_wall_ms},
      {"wall_estimate_ms", r.wall_estimate_ms},
      {"last_seq", r.last_seq},
      {"last_hash", ToHex(r.last_hash)},
      {"acked_seq", r.acked_seq},
      {"first_seq", r.first_seq},
  };
}

namespace {

// A rolling budget's ages (absent: none); at most 60, the largest max_wrong_per_hour.
Status AgesFromJson(JsonFields& f, const char* key, std::vector<int64_t>* out) {
  const Json* ages = f.Child(key, false);
  LATCHKEY_TRY(f);
  if (ages == nullptr) return Status::Ok();
  if (!ages->is_array() || ages->size() > 60) return Status::Invalid(std::string(key) + ": must be a list of at most 60");
  for (const Json& age : *ages) {
    if (!age.is_number_integer() || (age.is_number_unsigned() && age.get<uint64_t>() > INT64_MAX)) {
      return Status::Invalid(std::string(key) + ": each is a whole number");
    }
    out->push_back(age.get<int64_t>());
  }
  return Status::Ok();
}

}  // namespace

Result<core::RuntimeState> RuntimeFromJson(const Json& json) {
  JsonFields f(json, "runtime");
  core::RuntimeState r;
  r.lock_state = f.Enum<core::LockState>("lock_state", true).value_or(core::LockState::kUnknown);
  r.door_state = f.Enum<core::DoorState>("door_state", true).value_or(core::DoorState::kUnknown);
  r.wrong_attempts = static_cast<uint32_t>(f.Uint("wrong_attempts", 0, UINT32_MAX, true).value_or(0));
  r.lockout_level = static_cast<uint32_t>(f.Uint("lockout_level", 0, UINT32_MAX, true).value_or(0));
  r.lockout_remaining_ms = f.Int("lockout_remaining_ms", true).value_or(0);
  // The remote class and the budgets came with wave 2: a store from before has none of them
  // (nothing counted yet, which is what it means).
  r.remote_wrong_attempts = static_cast<uint32_t>(f.Uint("remote_wrong_attempts", 0, UINT32_MAX, false).value_or(0));
  r.remote_lockout_level = static_cast<uint32_t>(f.Uint("remote_lockout_level", 0, UINT32_MAX, false).value_or(0));
  r.remote_lockout_remaining_ms = f.Int("remote_lockout_remaining_ms", false).value_or(0);
  r.door_budget_alarm_quiet_ms = f.Int("door_budget_alarm_quiet_ms", false).value_or(0);
  r.remote_budget_alarm_quiet_ms = f.Int("remote_budget_alarm_quiet_ms", false).value_or(0);
  LATCHKEY_TRY(AgesFromJson(f, "door_wrong_ages_ms", &r.door_wrong_ages_ms));
  LATCHKEY_TRY(AgesFromJson(f, "remote_wrong_ages_ms", &r.remote_wrong_ages_ms));
  r.relock_remaining_ms = f.Int("relock_remaining_ms", true).value_or(0);
  r.relock_waiting_for_door = f.Bool("relock_waiting_for_door", true).value_or(false);
  r.battery_mv = static_cast<uint32_t>(f.Uint("battery_mv", 0, UINT32_MAX, true).value_or(0));
  r.external_power = f.Bool("external_power", true).value_or(false);
  r.low_battery_raised = f.Bool("low_battery_raised", true).value_or(false);
  r.critical_battery_raised = f.Bool("critical_battery_raised", true).value_or(false);
  r.door_ajar_raised = f.Bool("door_ajar_raised", true).value_or(false);
  r.door_open_ms = f.Int("door_open_ms", true).value_or(0);
  r.pending_user = static_cast<core::UserIndex>(f.Uint("pending_user", 0, 65534, false).value_or(0));
  r.pending_remaining_ms = f.Int("pending_remaining_ms", false).value_or(0);
  r.pending_source = f.Enum<core::Source>("pending_source", false).value_or(core::Source::kKeypad);
  r.pending_operation = f.Enum<core::Operation>("pending_operation", false).value_or(core::Operation::kUnlock);
  if (const Json* pending = f.Child("pending_credentials", false)) {
    LATCHKEY_TRY(CredentialRefsFromJson(*pending, "pending_credentials", &r.pending_credentials));
  }
  r.clock_trusted = f.Bool("clock_trusted", true).value_or(false);
  r.latest_wall_ms = f.Int("latest_wall_ms", true).value_or(0);
  // Optional: a lock stored before the estimate existed has none until its next accepted time.
  r.wall_estimate_ms = f.Int("wall_estimate_ms", false).value_or(0);
  r.last_seq = f.Uint("last_seq", 0, UINT64_MAX, true).value_or(0);
  r.acked_seq = f.Uint("acked_seq", 0, UINT64_MAX, true).value_or(0);
  r.first_seq = f.Uint("first_seq", 1, UINT64_MAX, true).value_or(1);
  const auto hash = f.Str("last_hash", true, 64);
  LATCHKEY_TRY(f);
  if (!FromHex(*hash, r.last_hash)) return Status::Invalid("last_hash: must be 64 hex digits");
  return r;
}

}  // namespace latchkey::wire
