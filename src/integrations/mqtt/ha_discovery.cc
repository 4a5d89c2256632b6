#include "integrations/mqtt/ha_discovery.h"

#include <algorithm>

namespace latchkey::integrations::mqtt {
namespace {

bool HasFeature(const Json& lock, const char* feature) {
  const Json* caps = lock.contains("capabilities") ? &lock["capabilities"] : nullptr;
  if (caps == nullptr || !caps->is_object() || !caps->contains("features") || !(*caps)["features"].is_array()) return false;
  const Json& features = (*caps)["features"];
  return std::find(features.begin(), features.end(), Json(feature)) != features.end();
}

std::string Text(const Json& j, const char* key, const std::string& fallback = "") {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : fallback;
}

unsigned Number(const Json& j, const char* key, unsigned fallback) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer()) return fallback;
  const int64_t n = j[key].get<int64_t>();
  return n >= 0 && n <= 1000 ? static_cast<unsigned>(n) : fallback;
}

}  // namespace

bool UsableLockId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string LockTopic(const MqttOptions& options, const std::string& lock, const char* leaf) {
  return options.base_topic + "/" + lock + "/" + leaf;
}
std::string HubStatusTopic(const MqttOptions& options) { return options.base_topic + "/status"; }
std::string DiscoveryTopic(const MqttOptions& options, const std::string& lock) {
  return options.discovery_prefix + "/device/latchkey_" + lock + "/config";
}
std::string HomeAssistantStatusTopic(const MqttOptions& options) { return options.discovery_prefix + "/status"; }

Json DiscoveryConfig(const MqttOptions& options, const HubIdentity& hub, const Json& lock) {
  const std::string id = Text(lock, "id");
  const std::string uid = "latchkey_" + id;
  const std::string attributes = LockTopic(options, id, "attributes");
  Json lock_entity{
      {"p", "lock"},
      {"unique_id", uid + "_lock"},
      {"name", nullptr},  // the device's name
      {"command_topic", LockTopic(options, id, "set")},
      {"state_topic", LockTopic(options, id, "state")},
      // HA renders a missing code as None; the bridge reads both forms (ParseCommand).
      {"command_template", R"({"action": "{{ value }}", "code": "{{ code }}"})"},
      {"payload_lock", "LOCK"},
      {"payload_unlock", "UNLOCK"},
      {"optimistic", false},
  };
  if (HasFeature(lock, "unlatch")) lock_entity["payload_open"] = "OPEN";
  const Json settings = lock.contains("settings") ? lock["settings"] : Json::object();
  if (settings.is_object() && settings.value("require_pin_for_remote", false)) {
    const Json caps = lock.contains("capabilities") ? lock["capabilities"] : Json::object();
    lock_entity["code_format"] = "^\\d{" + std::to_string(Number(caps, "min_pin_length", 6)) + "," +
                                 std::to_string(Number(caps, "max_pin_length", 12)) + "}$";
  }
  Json components{
      {"lock", lock_entity},
      {"battery",
       {{"p", "sensor"}, {"unique_id", uid + "_battery"}, {"name", "Battery"}, {"device_class", "battery"},
        {"unit_of_measurement", "%"}, {"state_class", "measurement"}, {"entity_category", "diagnostic"},
        {"state_topic", attributes}, {"value_template", "{{ value_json.battery }}"}}},
      {"battery_low",
       {{"p", "binary_sensor"}, {"unique_id", uid + "_battery_low"}, {"name", "Battery low"}, {"device_class", "battery"},
        {"entity_category", "diagnostic"}, {"state_topic", attributes}, {"value_template", "{{ value_json.battery_low }}"}}},
      {"tamper",
       {{"p", "binary_sensor"}, {"unique_id", uid + "_tamper"}, {"name", "Tamper"}, {"device_class", "tamper"},
        {"state_topic", LockTopic(options, id, "tamper")}, {"off_delay", 300}}},
      {"access",
       {{"p", "event"}, {"unique_id", uid + "_access"}, {"name", "Access"},
        {"event_types", {"unlocked", "locked", "denied", "alarm"}}, {"state_topic", LockTopic(options, id, "event")}}},
      {"last_user",
       {{"p", "sensor"}, {"unique_id", uid + "_last_user"}, {"name", "Last user"}, {"icon", "mdi:account-key"},
        {"state_topic", attributes}, {"value_template", "{{ value_json.last_user }}"}}},
  };
  if (HasFeature(lock, "door_sensor")) {
    components["door"] = {{"p", "binary_sensor"}, {"unique_id", uid + "_door"}, {"name", "Door"},
                          {"device_class", "door"}, {"state_topic", attributes},
                          {"value_template", "{{ value_json.door }}"}};
  }
  return Json{
      {"dev",
       {{"ids", {uid}}, {"name", Text(lock, "name", id)}, {"mf", "latchkey"},
        {"mdl", lock.value("simulated", false) ? "Simulated lock" : "Door lock"}, {"sw", hub.version},
        {"via_device", "latchkey_hub_" + hub.id}}},
      {"o", {{"name", "latchkey"}, {"sw", hub.version}, {"url", "https://github.com/latchkey"}}},
      {"cmps", components},
      {"availability", {{{"topic", HubStatusTopic(options)}}, {{"topic", LockTopic(options, id, "availability")}}}},
      {"availability_mode", "all"},
      {"qos", 1},
  };
}

std::string StatePayload(const Json& lock) {
  const std::string state = Text(lock, "lock_state", "unknown");
  if (state == "locked") return "LOCKED";
  if (state == "unlocked") return "UNLOCKED";
  if (state == "unlatched") return "OPEN";
  if (state == "locking") return "LOCKING";
  if (state == "unlocking") return "UNLOCKING";
  if (state == "jammed") return "JAMMED";
  return "None";  // HA's payload_reset: unknown
}

Json Attributes(const Json& lock, const Json& last_user) {
  const Json battery = lock.contains("battery") && lock["battery"].is_object() ? lock["battery"] : Json::object();
  const std::string door = Text(lock, "door_state", "unknown");
  Json j{{"battery", battery.contains("percent") ? battery["percent"] : Json(nullptr)},
         {"battery_low", battery.value("low", false) || battery.value("critical", false) ? "ON" : "OFF"},
         {"door", door == "closed" ? Json("OFF") : door == "unknown" ? Json(nullptr) : Json("ON")},
         {"last_user", last_user}};
  return j;
}

std::optional<Json> AccessEvent(const Json& event) {
  const std::string kind = Text(event, "kind");
  std::string type;
  if (kind == "lock_operation") {
    const std::string op = Text(event, "operation");
    if (op == "lock") type = "locked";
    else if (op == "unlock" || op == "unlatch" || op == "forced_user") type = "unlocked";
    else return std::nullopt;  // non_access
  } else if (kind == "lock_operation_error") {
    type = "denied";
  } else if (kind == "alarm") {
    if (Text(event, "alarm") == "forced_user") return std::nullopt;
    type = "alarm";
  } else {
    return std::nullopt;
  }
  Json out{{"event_type", type}};
  for (const char* key : {"source", "user", "actor", "error", "alarm", "time"}) {
    if (event.contains(key)) out[key] = event[key];
  }
  if (Text(event, "operation") == "forced_user") out["operation"] = "unlock";
  else if (event.contains("operation")) out["operation"] = event["operation"];
  return out;
}

std::optional<std::string> OpenedBy(const Json& event) {
  if (Text(event, "kind") != "lock_operation") return std::nullopt;
  const std::string op = Text(event, "operation");
  if (op != "unlock" && op != "unlatch" && op != "forced_user") return std::nullopt;
  if (const std::string actor = Text(event, "actor"); !actor.empty()) return actor;
  if (event.contains("user") && event["user"].is_number_integer() && event["user"].get<int64_t>() >= 0) {
    return "user " + std::to_string(event["user"].get<int64_t>());
  }
  return Text(event, "source", "unknown");
}

bool IsTamperAlarm(const Json& event) { return Text(event, "kind") == "alarm" && Text(event, "alarm") == "tamper"; }

core::Result<Command> ParseCommand(const std::string& payload) {
  if (payload.size() > 256) return core::Status::Invalid("longer than 256 bytes");
  const auto action_of = [](const std::string& word) -> std::optional<Action> {
    if (word == "LOCK") return Action::kLock;
    if (word == "UNLOCK") return Action::kUnlock;
    if (word == "OPEN") return Action::kOpen;
    return std::nullopt;
  };
  if (auto action = action_of(payload)) return Command{*action, std::nullopt};
  const Json j = Json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return core::Status::Invalid("not LOCK, UNLOCK, OPEN or a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key != "action" && key != "code") return core::Status::Invalid(key + ": is not a known field");
  }
  const auto action = j.contains("action") && j["action"].is_string() ? action_of(j["action"].get<std::string>())
                                                                      : std::nullopt;
  if (!action) return core::Status::Invalid("action: must be LOCK, UNLOCK or OPEN");
  Command command{*action, std::nullopt};
  if (j.contains("code") && !j["code"].is_null()) {
    if (!j["code"].is_string()) return core::Status::Invalid("code: must be text");
    const std::string code = j["code"].get<std::string>();
    if (!code.empty() && code != "None") {
      if (code.size() < 4 || code.size() > 12 ||
          !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return core::Status::Invalid("code: must be 4..12 digits");
      }
      command.code = code;
    }
  }
  return command;
}

const char* ApiOperation(Action action) {
  switch (action) {
    case Action::kLock: return "lock";
    case Action::kUnlock: return "unlock";
    case Action::kOpen: return "unlatch";
  }
  return "lock";
}

const char* ActionName(Action action) {
  switch (action) {
    case Action::kLock: return "LOCK";
    case Action::kUnlock: return "UNLOCK";
    case Action::kOpen: return "OPEN";
  }
  return "LOCK";
}

}  // namespace latchkey::integrations::mqtt
