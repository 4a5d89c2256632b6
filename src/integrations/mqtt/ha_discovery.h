// Home Assistant's view of a lock over MQTT (SMART-HOME.md section 2; docs/integrations.md):
// the topics, the device discovery document, the state and attribute payloads, the access
// events and the commands. Pure functions of the lock object and events of API.md, so that each
// key HA reads is checked by unit tests; mqtt_bridge.h does the publishing.
//
//   <base>/status                   online | offline (retained; offline is the last will)
//   <base>/<lock>/availability      online | offline (retained; the hub's link to the lock)
//   <base>/<lock>/state             LOCKED UNLOCKED LOCKING UNLOCKING JAMMED OPEN None (retained)
//   <base>/<lock>/attributes        {"battery", "battery_low", "door", "last_user"} (retained)
//   <base>/<lock>/event             {"event_type": "unlocked"|"locked"|"denied"|"alarm", ...}
//   <base>/<lock>/tamper            ON (on a tamper alarm; HA turns it off after 5 minutes)
//   <base>/<lock>/set               LOCK | UNLOCK | OPEN, or {"action": ..., "code": "123456"}
//   <base>/<lock>/result            {"action", "ok", "lock_state" | "error", "message"}
//   <discovery>/device/latchkey_<lock>/config   the device discovery document (retained)
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "integrations/mqtt/mqtt_options.h"

namespace latchkey::integrations::mqtt {

using Json = nlohmann::json;

// Whether `id` can be a topic level and part of HA's object id: 1..64 of [A-Za-z0-9_-].
bool UsableLockId(const std::string& id);

std::string LockTopic(const MqttOptions& options, const std::string& lock, const char* leaf);
std::string HubStatusTopic(const MqttOptions& options);
std::string DiscoveryTopic(const MqttOptions& options, const std::string& lock);
std::string HomeAssistantStatusTopic(const MqttOptions& options);

struct HubIdentity {
  std::string id;       // stable per hub (its link key's first bytes)
  std::string version;  // latchkey's
};

// The device discovery document for `lock` (API.md's lock object as the integration sees it).
Json DiscoveryConfig(const MqttOptions& options, const HubIdentity& hub, const Json& lock);

// The state topic's payload for the lock object's lock_state.
std::string StatePayload(const Json& lock);
// The attributes document; `last_user` as last published (null: none yet).
Json Attributes(const Json& lock, const Json& last_user);

// What an event of the lock's history shows in HA: the access event (nullopt: none), and who
// opened, for the "last user" sensor. A duress unlock is an ordinary "unlocked" event and the
// duress alarm is not shown: anyone may watch a home's dashboard, including whoever forced the
// door open (the alarm goes to owner and admin through the hub's own channels).
std::optional<Json> AccessEvent(const Json& event);
std::optional<std::string> OpenedBy(const Json& event);
bool IsTamperAlarm(const Json& event);

enum class Action { kLock, kUnlock, kOpen };
struct Command {
  Action action = Action::kLock;
  std::optional<std::string> code;
};
// "LOCK", "UNLOCK", "OPEN", or {"action": one of those, "code": "123456"} (HA's command
// template renders a missing code as "None" or ""). kInvalid with the reason otherwise.
core::Result<Command> ParseCommand(const std::string& payload);
// The API path's last segment for an action: lock, unlock, unlatch.
const char* ApiOperation(Action action);
const char* ActionName(Action action);

}  // namespace latchkey::integrations::mqtt
