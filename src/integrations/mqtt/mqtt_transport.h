// The bridge's narrow view of an MQTT client session, so that its logic runs against a real
// broker (mosquitto_transport.h) or a test's fake alike. Everything happens on the hub's io
// thread: the transport posts its callbacks there.
#pragma once

#include <functional>
#include <string>

namespace latchkey::integrations::mqtt {

struct MqttMessage {
  std::string topic;
  std::string payload;
  bool retained = false;  // delivered from the broker's store, not published just now
};

class MqttTransport {
 public:
  struct Callbacks {
    std::function<void()> on_connected;  // every (re)connection, once the broker accepted it
    std::function<void(const std::string& why)> on_disconnected;
    std::function<void(MqttMessage)> on_message;
  };
  virtual ~MqttTransport() = default;
  // Connects (and reconnects with back-off, 1 s doubling to 60 s) until Stop; the last will is
  // `will_topic` = `will_payload`, retained.
  virtual void Start(Callbacks callbacks, const std::string& will_topic, const std::string& will_payload) = 0;
  virtual void Stop() = 0;
  // QoS 1. Dropped (with a log line) while disconnected: the bridge publishes everything again
  // on each connection.
  virtual void Publish(const std::string& topic, const std::string& payload, bool retain) = 0;
  virtual void Subscribe(const std::string& pattern) = 0;
};

}  // namespace latchkey::integrations::mqtt
