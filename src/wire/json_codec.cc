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

std::optional<core::IndexOrAll> IndexOrAllFrom(JsonFields& f, const Json& json, std::string_view key) {
  if (!f.Has(key)) return std::nullopt;
  const Json& v = json.at(std::string(key));
  if (v.is_string() && v.get<std::string>() == "all") return core::IndexOrAll::All();
  const auto n = f.Uint(key, 0, UINT32_MAX, true);
  if (!n) return std::nullopt;
  return core::IndexOrAll{static_cast<uint32_t>(*n), false};
}

}  // namespace

// --- the event envelope (the events themselves: event_forms.h) -------------------------------

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

// --- settings and capabilities ---------------------------------------------------------------

Json CapabilitiesToJson(const core::Capabilities& c) {
  Json types = Json::array();
  for (auto t : {core::CredentialType::kProgrammingPin, core::CredentialType::kPin, core::CredentialType::kRfid,
                 core::CredentialType::kFingerprint, core::CredentialType::kFace}) {
    types.push_back(std::string(core::ToString(t)));
  }
  return Json{
      {"max_users", c.max_users},
      {"credentials_per_user", c.credentials_per_user},
      {"min_pin_length", c.min_pin_length},
      {"max_pin_length", c.max_pin_length},
      {"rfid_min_bytes", c.rfid_min_bytes},
      {"rfid_max_bytes", c.rfid_max_bytes},
      {"max_user_name_length", c.max_user_name_length},
      {"week_day_schedules_per_user", c.week_day_schedules_per_user},
      {"year_day_schedules_per_user", c.year_day_schedules_per_user},
      {"holiday_schedules", c.holiday_schedules},
      {"credential_types", types},
      {"credential_rules", {"single", "dual", "tri"}},
      {"features", {"door_sensor", "unlatch", "keypad", "rfid", "fingerprint", "face", "auto_relock", "tamper",
                    "battery", "external_power"}},
  };
}

// --- status, decisions -----------------------------------------------------------------------

Json StatusToJson(const core::LockStatus& s) {
  return Json{
      {"lock_state", std::string(core::ToString(s.lock_state))},
      {"door_state", std::string(core::ToString(s.door_state))},
      {"battery", {{"percent", s.battery.percent}, {"millivolts", s.battery.millivolts}, {"low", s.battery.low},
                   {"critical", s.battery.critical}, {"external_power", s.battery.external_power}}},
      {"operating_mode", std::string(core::ToString(s.operating_mode))},
      {"clock_trusted", s.clock_trusted},
      {"lockout_remaining_ms", s.lockout_remaining_ms},
      {"remote_lockout_remaining_ms", s.remote_lockout_remaining_ms},
      {"door_budget_wait_ms", s.door_budget_wait_ms},
      {"remote_budget_wait_ms", s.remote_budget_wait_ms},
      {"last_event_seq", s.last_seq},
  };
}

Json DecisionToJson(const core::Decision& d) {
  Json j{{"result", std::string(core::ToString(d.result))},
         {"operation", std::string(core::ToString(d.operation))},
         {"lock_state", std::string(core::ToString(d.lock_state))}};
  if (d.reason) j["reason"] = std::string(core::ToString(*d.reason));
  if (d.user) j["user"] = *d.user;
  if (d.credential) j["credential"] = CredentialRefToJson(*d.credential);
  return j;
}

}  // namespace latchkey::wire
