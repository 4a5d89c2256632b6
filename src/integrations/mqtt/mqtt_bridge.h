// Home Assistant over MQTT (SMART-HOME.md section 2): every lock the integration's account sees
// appears in HA by device discovery, with its state, battery, door, tamper, access events and
// last user, and takes LOCK, UNLOCK and OPEN (with a code when the lock asks for one). The
// bridge is a client of the hub (hub_client.h) with its own account, so the lock's own decision,
// the hub's limits and the history apply to it as to anyone; and a client of the broker
// (mqtt_transport.h). Topics and payloads: ha_discovery.h.
//
//   MqttBridge bridge(options, {.id = hub_id, .version = "0.3.0"}, std::move(hub_client),
//                     std::make_unique<MosquittoTransport>(io, options, client_id));
//   bridge.Start();
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "hub/hub_client.h"
#include "integrations/mqtt/ha_discovery.h"
#include "integrations/mqtt/mqtt_options.h"
#include "integrations/mqtt/mqtt_transport.h"

namespace latchkey::integrations::mqtt {

class MqttBridge {
 public:
  MqttBridge(MqttOptions options, HubIdentity hub, std::unique_ptr<hub::HubClient> client,
             std::unique_ptr<MqttTransport> transport);
  ~MqttBridge();

  void Start();
  // Publishes `offline` for the hub (a clean stop: the will is for crashes) and disconnects.
  void Stop();

  // For tests and /metrics: commands executed, refused before reaching the hub, ignored.
  struct Counters {
    uint64_t commands = 0, malformed = 0, ignored = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  void OnConnected();
  void OnMessage(const MqttMessage& message);
  void OnStream(const Json& message);
  // Lists the locks (GET /api/v1/locks) and announces each, clearing those no longer listed.
  void Refresh();
  void Announce(const Json& lock);
  void PublishLock(const Json& lock);
  void Forget(const std::string& lock);
  void Execute(const std::string& lock, const Command& command);
  void Result(const std::string& lock, const Json& result);

  MqttOptions options_;
  HubIdentity hub_;
  std::unique_ptr<hub::HubClient> client_;
  std::unique_ptr<MqttTransport> transport_;
  std::shared_ptr<void> watch_;
  bool connected_ = false;
  std::map<std::string, Json> locks_;       // the last lock object of each announced lock
  std::map<std::string, Json> last_user_;   // the last "last user" of each lock
  std::map<std::string, std::string> announced_;  // the discovery document last published
  Counters counters_;
  // Refresh answers may arrive after the bridge is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace latchkey::integrations::mqtt
