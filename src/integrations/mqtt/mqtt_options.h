// The hub's MQTT connection for Home Assistant ([mqtt] in hub.toml, `--mqtt URL`;
// docs/integrations.md). Parsed strictly: a bad URL stops the hub at start with its reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace latchkey::integrations::mqtt {

struct MqttOptions {
  std::string url;  // mqtt://HOST[:PORT] (1883) or mqtts://HOST[:PORT] (8883)
  std::string username, password;
  std::string ca_file;  // mqtts: the broker's CA (PEM); empty: the system's store
  std::string base_topic = "latchkey";
  std::string discovery_prefix = "homeassistant";
  // Only these locks (by id); absent: every lock the integration's account sees.
  std::optional<std::vector<std::string>> locks;
};

struct BrokerAddress {
  bool tls = false;
  std::string host;
  uint16_t port = 0;
};

// "mqtt://127.0.0.1:1883" -> {false, "127.0.0.1", 1883}; kInvalid naming what is wrong.
core::Result<BrokerAddress> ParseBrokerUrl(const std::string& url);
// A topic prefix: non-empty, at most 64 bytes, no wildcard (+ #), no empty level, no NUL.
core::Status CheckTopicPrefix(const std::string& what, const std::string& prefix);
// All of the above.
core::Status Validate(const MqttOptions& options);

}  // namespace latchkey::integrations::mqtt
