// MqttTransport over libmosquitto (Debian's libmosquitto-dev): MQTT 3.1.1, TLS for mqtts://,
// a username and password when given, the last will, and reconnection with back-off. The
// library's network thread only posts to the hub's io thread, where everything else happens.
#pragma once

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "core/status.h"
#include "integrations/mqtt/mqtt_options.h"
#include "integrations/mqtt/mqtt_transport.h"

struct mosquitto;
struct mosquitto_message;

namespace latchkey::integrations::mqtt {

class MosquittoTransport : public MqttTransport {
 public:
  // kInvalid for options that do not validate; kIoError when the library cannot start.
  static core::Result<std::unique_ptr<MosquittoTransport>> Create(boost::asio::io_context& io, const MqttOptions& options,
                                                                  const std::string& client_id);
  ~MosquittoTransport() override;

  void Start(Callbacks callbacks, const std::string& will_topic, const std::string& will_payload) override;
  void Stop() override;
  void Publish(const std::string& topic, const std::string& payload, bool retain) override;
  void Subscribe(const std::string& pattern) override;

 private:
  MosquittoTransport(boost::asio::io_context& io, MqttOptions options, BrokerAddress address);
  static void OnConnect(struct mosquitto*, void* self, int rc);
  static void OnDisconnect(struct mosquitto*, void* self, int rc);
  static void OnMessage(struct mosquitto*, void* self, const struct mosquitto_message* message);

  boost::asio::io_context& io_;
  MqttOptions options_;
  BrokerAddress address_;
  struct mosquitto* mosq_ = nullptr;
  Callbacks callbacks_;
  bool started_ = false;
  // Callbacks posted by the network thread check this before touching the transport.
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace latchkey::integrations::mqtt
