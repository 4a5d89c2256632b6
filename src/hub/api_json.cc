#include "hub/api_json.h"

#include "platform/time_format.h"
#include "wire/event_forms.h"

namespace latchkey::hub {

namespace {

// Whether `event` (with or without its "lock") is exactly the link form of `decoded`: then the
// API form of `decoded` shows all of it. Not so for a known kind with a field of a newer lock,
// which the decoder lets pass and the encoder would leave out.
bool IsLinkFormOf(const Json& event, const core::Event& decoded) {
  const Json link = wire::EncodeEvent(wire::Form::kLink, decoded);
  if (link.size() + (event.contains("lock") ? 1 : 0) != event.size()) return false;
  for (const auto& [key, value] : link.items()) {
    const auto it = event.find(key);
    if (it == event.end() || *it != value) return false;
  }
  return true;
}

}  // namespace

Json ApiEventJson(Json event, const std::string& lock) {
  // An event this build knows is written in the API form of its table (wire/event_forms.h).
  if (auto decoded = wire::DecodeEvent(wire::Form::kLink, event); decoded.ok() && IsLinkFormOf(event, *decoded)) {
    Json api = wire::EncodeEvent(wire::Form::kApi, *decoded);
    api["lock"] = lock;
    return api;
  }
  // Any other (a newer lock's kind or field) as it came, with its times converted as the API form
  // writes them, so that it shows all the lock sent. "from" and "to" are those of a clock change.
  for (const char* key : {"time", "from", "to"}) {
    if (event.contains(key) && event[key].is_number_integer()) {
      event[key] = platform::FormatRfc3339Ms(event[key].get<int64_t>());
    }
  }
  event["lock"] = lock;
  return event;
}

Json LockJson(const LockRecord& record, bool online) {
  const Json& s = record.state;
  Json lock{
      {"id", record.id},
      {"name", s.contains("name") ? s["name"] : Json(record.name)},
      {"simulated", s.value("simulated", record.simulated)},
      {"online", online},
      {"lock_state", s.value("lock_state", "unknown")},
      {"door_state", s.value("door_state", "unknown")},
      {"battery", s.contains("battery") ? s["battery"] : Json::object()},
      {"operating_mode", s.value("operating_mode", "normal")},
      {"last_event_seq", record.acked_seq},
      {"capabilities", s.contains("capabilities") ? s["capabilities"] : Json::object()},
      {"settings", s.contains("settings") ? s["settings"] : Json::object()},
      {"address", record.address},
  };
  if (s.contains("sim_control_url")) lock["sim_control_url"] = s["sim_control_url"];
  return lock;
}

Json LockJson(const LockRecord& record, bool online, const Principal& viewer) {
  Json lock = LockJson(record, online);
  if (!viewer.MayManageLock()) {
    lock.erase("address");
    lock.erase("sim_control_url");
  }
  return lock;
}

}  // namespace latchkey::hub
