#include "hub/api_json.h"

#include "platform/time_format.h"

namespace latchkey::hub {

Json ApiEventJson(Json event, const std::string& lock) {
  // Times as the API writes them; "from" and "to" are those of a clock change.
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
