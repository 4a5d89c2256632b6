#include "hub/stream_filter.h"

namespace latchkey::hub {

namespace {
bool SeesEverything(const Principal& p) { return p.role == Role::kOwner || p.role == Role::kAdmin; }

std::string Text(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}
}  // namespace

bool IsDuressEvent(const nlohmann::json& event) {
  const std::string kind = Text(event, "kind");
  if (kind == "alarm") return Text(event, "alarm") == "forced_user";
  if (kind == "lock_operation" || kind == "lock_operation_error") return Text(event, "operation") == "forced_user";
  return false;
}

bool StreamMaySend(const Principal& viewer, const nlohmann::json& message, int64_t now_ms) {
  if (!message.is_object()) return false;
  const std::string lock = Text(message, "lock");
  if (lock.empty() || !viewer.SeesLock(lock, now_ms)) return false;
  const bool everything = SeesEverything(viewer);
  const std::string type = Text(message, "type");
  if (type == "state") return everything || (!message.contains("address") && !message.contains("sim_control_url"));
  if (type != "event") return everything;  // hub_alarm, and any type added later
  const auto event = message.find("event");
  if (event == message.end() || !event->is_object()) return false;
  if (IsDuressEvent(*event)) return everything;
  if (everything || viewer.role == Role::kMember) return true;
  // A guest.
  const std::string kind = Text(*event, "kind");
  if (kind == "door_state" || kind == "power") return true;
  if (kind == "lock_operation" || kind == "lock_operation_error") {
    return !viewer.username.empty() && Text(*event, "actor") == viewer.username;
  }
  return false;
}

}  // namespace latchkey::hub
