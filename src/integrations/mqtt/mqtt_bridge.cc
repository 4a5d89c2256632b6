#include "integrations/mqtt/mqtt_bridge.h"

#include <spdlog/spdlog.h>

namespace latchkey::integrations::mqtt {

namespace http = boost::beast::http;

MqttBridge::MqttBridge(MqttOptions options, HubIdentity hub, std::unique_ptr<hub::HubClient> client,
                       std::unique_ptr<MqttTransport> transport)
    : options_(std::move(options)), hub_(std::move(hub)), client_(std::move(client)),
      transport_(std::move(transport)) {}

MqttBridge::~MqttBridge() {
  *alive_ = false;
  if (transport_) transport_->Stop();
}

void MqttBridge::Start() {
  watch_ = client_->Watch([this](const Json& message) { OnStream(message); });
  if (!watch_) spdlog::warn("mqtt: the hub's stream refuses the integration's token; state will not follow");
  MqttTransport::Callbacks callbacks;
  callbacks.on_connected = [this] { OnConnected(); };
  callbacks.on_disconnected = [this](const std::string& why) {
    connected_ = false;
    spdlog::warn("mqtt: disconnected from {}: {} (reconnecting)", options_.url, why);
  };
  callbacks.on_message = [this](MqttMessage m) { OnMessage(m); };
  transport_->Start(std::move(callbacks), HubStatusTopic(options_), "offline");
}

void MqttBridge::Stop() {
  if (connected_) transport_->Publish(HubStatusTopic(options_), "offline", true);
  transport_->Stop();
  connected_ = false;
  watch_.reset();
}

void MqttBridge::OnConnected() {
  connected_ = true;
  spdlog::info("mqtt: connected to {}", options_.url);
  transport_->Subscribe(options_.base_topic + "/+/set");
  transport_->Subscribe(HomeAssistantStatusTopic(options_));
  transport_->Publish(HubStatusTopic(options_), "online", true);
  // Everything again: the broker may have lost its retained messages (a restart without
  // persistence), and state changed while the link was down.
  Refresh();
}

void MqttBridge::Refresh() {
  client_->Call(http::verb::get, "/api/v1/locks", nullptr, [this, alive = alive_](hub::HubClient::Answer answer) {
    if (!*alive) return;
    if (answer.status != 200 || !answer.body.is_array()) {
      spdlog::warn("mqtt: cannot list the locks ({}): {}", answer.status, answer.body.dump());
      return;
    }
    std::set<std::string> listed;
    for (const Json& lock : answer.body) {
      const std::string id = lock.value("id", "");
      if (!UsableLockId(id)) {
        spdlog::warn("mqtt: lock '{}' is left out: its id cannot be an MQTT topic level", id);
        continue;
      }
      listed.insert(id);
      Announce(lock);
    }
    for (auto it = locks_.begin(); it != locks_.end();) {
      const std::string id = it->first;
      ++it;
      if (!listed.contains(id)) Forget(id);
    }
  });
}

void MqttBridge::Announce(const Json& lock) {
  const std::string id = lock.value("id", "");
  locks_[id] = lock;
  if (!connected_) return;
  std::string config = DiscoveryConfig(options_, hub_, lock).dump();
  transport_->Publish(DiscoveryTopic(options_, id), config, true);
  announced_[id] = std::move(config);
  PublishLock(lock);
}

void MqttBridge::PublishLock(const Json& lock) {
  if (!connected_) return;
  const std::string id = lock.value("id", "");
  transport_->Publish(LockTopic(options_, id, "availability"), lock.value("online", false) ? "online" : "offline", true);
  transport_->Publish(LockTopic(options_, id, "state"), StatePayload(lock), true);
  const auto last = last_user_.find(id);
  transport_->Publish(LockTopic(options_, id, "attributes"),
                      Attributes(lock, last == last_user_.end() ? Json(nullptr) : last->second).dump(), true);
}

void MqttBridge::Forget(const std::string& lock) {
  locks_.erase(lock);
  announced_.erase(lock);
  last_user_.erase(lock);
  if (!connected_) return;
  spdlog::info("mqtt: lock {} is gone: its device is removed from Home Assistant", lock);
  // An empty retained message clears what the broker keeps (HA removes the device).
  for (const std::string& topic : {DiscoveryTopic(options_, lock), LockTopic(options_, lock, "state"),
                                   LockTopic(options_, lock, "availability"), LockTopic(options_, lock, "attributes")}) {
    transport_->Publish(topic, "", true);
  }
}

void MqttBridge::OnStream(const Json& message) {
  const std::string type = message.value("type", "");
  const std::string lock = message.value("lock", "");
  if (!UsableLockId(lock)) return;
  if (type == "state") {
    Json object = message;
    object.erase("type");
    object.erase("lock");
    const bool known = locks_.contains(lock);
    // A lock new to the bridge (paired now, or newly in the account's list) is announced whole.
    if (!known) return Announce(object);
    // A change HA must know of (a name, a PIN now required) is announced again.
    if (connected_ && DiscoveryConfig(options_, hub_, object).dump() != announced_[lock]) return Announce(object);
    locks_[lock] = object;
    PublishLock(object);
  } else if (type == "lock_removed") {
    Forget(lock);
  } else if (type == "event" && message.contains("event")) {
    const Json& event = message["event"];
    if (!connected_) return;
    if (auto access = AccessEvent(event)) transport_->Publish(LockTopic(options_, lock, "event"), access->dump(), false);
    if (IsTamperAlarm(event)) transport_->Publish(LockTopic(options_, lock, "tamper"), "ON", false);
    if (auto who = OpenedBy(event); who && locks_.contains(lock)) {
      last_user_[lock] = *who;
      PublishLock(locks_[lock]);
    }
  }
}

void MqttBridge::OnMessage(const MqttMessage& message) {
  if (message.topic == HomeAssistantStatusTopic(options_)) {
    if (message.payload == "online") {
      spdlog::info("mqtt: Home Assistant is online: announcing the locks again");
      Refresh();
    }
    return;
  }
  const std::string prefix = options_.base_topic + "/";
  const std::string suffix = "/set";
  const bool shaped = message.topic.size() > prefix.size() + suffix.size() && message.topic.rfind(prefix, 0) == 0 &&
                      message.topic.compare(message.topic.size() - suffix.size(), suffix.size(), suffix) == 0;
  const std::string lock =
      shaped ? message.topic.substr(prefix.size(), message.topic.size() - prefix.size() - suffix.size()) : "";
  if (!shaped || !locks_.contains(lock)) {
    ++counters_.ignored;
    spdlog::warn("mqtt: ignored a message on {}: not a command topic of a known lock", message.topic.substr(0, 200));
    return;
  }
  // A command kept by the broker was meant for some moment in the past: opening the door
  // because a retained UNLOCK is still there when the hub connects would be a disaster.
  if (message.retained) {
    ++counters_.ignored;
    spdlog::warn("mqtt: ignored a retained command on {}: commands are never replayed", message.topic);
    return;
  }
  auto command = ParseCommand(message.payload);
  if (!command.ok()) {
    ++counters_.malformed;
    spdlog::warn("mqtt: ignored a malformed command on {}: {}", message.topic, command.status().message());
    Result(lock, Json{{"ok", false}, {"error", "invalid"}, {"message", command.status().message()}});
    return;
  }
  Execute(lock, *command);
}

void MqttBridge::Execute(const std::string& lock, const Command& command) {
  ++counters_.commands;
  Json body = Json::object();
  if (command.code) body["pin"] = *command.code;
  const std::string action = ActionName(command.action);
  client_->Call(http::verb::post, "/api/v1/locks/" + lock + "/" + ApiOperation(command.action), body,
                [this, alive = alive_, lock, action](hub::HubClient::Answer answer) {
                  if (!*alive) return;
                  Json result{{"action", action}, {"ok", answer.status == 200}};
                  if (answer.status == 200) {
                    result["result"] = answer.body.value("result", "ok");
                    result["lock_state"] = answer.body.value("lock_state", "unknown");
                  } else {
                    const Json error = answer.body.is_object() && answer.body.contains("error") ? answer.body["error"]
                                                                                               : Json::object();
                    result["error"] = error.value("code", "internal");
                    result["message"] = error.value("message", "");
                    if (error.contains("reason")) result["reason"] = error["reason"];
                    spdlog::info("mqtt: {} of lock {} refused: {}", action, lock, result["error"].get<std::string>());
                  }
                  Result(lock, result);
                });
}

void MqttBridge::Result(const std::string& lock, const Json& result) {
  if (connected_) transport_->Publish(LockTopic(options_, lock, "result"), result.dump(), false);
}

}  // namespace latchkey::integrations::mqtt
