// libFuzzer target: what anyone who may publish on the hub's MQTT broker sends it (SMART-HOME.md
// section 2): any topic, retained or not, with any payload, to the bridge (integrations/mqtt)
// with one known lock; and the broker URL and topic prefixes of the configuration.
//
// Input: byte 0 picks the topic (a known lock's command topic, an unknown lock's, HA's status,
// a state topic, or the rest of the input's first line as the topic) and whether it came
// retained; the rest is the payload. Checks: a command reaches the hub only from the known lock's
// command topic, live (never retained), parsed, with at most a `pin` of 4..12 digits; a refusal
// moves nothing; the same text as a URL or prefix is accepted only in its grammar.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "integrations/mqtt/ha_discovery.h"
#include "integrations/mqtt/mqtt_bridge.h"

namespace {

namespace mqtt = latchkey::integrations::mqtt;
namespace http = boost::beast::http;
using Json = nlohmann::json;

class Broker : public mqtt::MqttTransport {
 public:
  void Start(Callbacks callbacks, const std::string&, const std::string&) override { callbacks_ = std::move(callbacks); }
  void Stop() override {}
  void Publish(const std::string&, const std::string&, bool) override {}
  void Subscribe(const std::string&) override {}
  Callbacks callbacks_;
};

class Hub : public latchkey::hub::HubClient {
 public:
  void Call(http::verb method, std::string path, Json body, std::function<void(Answer)> done) override {
    if (method == http::verb::get) {
      return done({200, Json::array({{{"id", "lk-front"}, {"name", "Front"}, {"online", true}, {"lock_state", "locked"}}})});
    }
    ++commands;
    FUZZ_CHECK(path == "/api/v1/locks/lk-front/lock" || path == "/api/v1/locks/lk-front/unlock" ||
                   path == "/api/v1/locks/lk-front/unlatch",
               "a command for another path");
    FUZZ_CHECK(body.is_object() && body.size() <= 1, "a command body with more than a pin");
    if (body.contains("pin")) {
      const std::string pin = body["pin"].get<std::string>();
      FUZZ_CHECK(pin.size() >= 4 && pin.size() <= 12 && pin.find_first_not_of("0123456789") == std::string::npos,
                 "a pin that is not 4..12 digits");
    }
    done({403, Json{{"error", {{"code", "denied"}, {"message", "no"}}}}});
  }
  std::shared_ptr<void> Watch(std::function<void(const Json&)>) override { return std::make_shared<int>(0); }
  const std::string& username() const override { return name_; }
  int commands = 0;

 private:
  std::string name_ = "mqtt";
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);

  mqtt::MqttOptions options;
  options.url = "mqtt://127.0.0.1";
  auto hub_client = std::make_unique<Hub>();
  auto transport = std::make_unique<Broker>();
  Hub* hub = hub_client.get();
  Broker* broker = transport.get();
  mqtt::MqttBridge bridge(options, {"hub-1", "0.1.0"}, std::move(hub_client), std::move(transport));
  bridge.Start();
  broker->callbacks_.on_connected();

  const bool retained = (data[0] & 0x80) != 0;
  std::string topic, payload = rest;
  switch (data[0] & 0x7f) {
    case 0: topic = "latchkey/lk-front/set"; break;
    case 1: topic = "latchkey/lk-back/set"; break;
    case 2: topic = "homeassistant/status"; break;
    case 3: topic = "latchkey/lk-front/state"; break;
    default: {
      const auto newline = rest.find('\n');
      topic = rest.substr(0, newline);
      payload = newline == std::string::npos ? "" : rest.substr(newline + 1);
    }
  }
  broker->callbacks_.on_message({topic, payload, retained});
  const bool command_topic = topic == "latchkey/lk-front/set";
  const bool parses = mqtt::ParseCommand(payload).ok();
  FUZZ_CHECK(hub->commands == ((command_topic && !retained && parses) ? 1 : 0),
             "a command executed where none should be, or a valid one dropped");

  // The same bytes as configuration.
  if (auto url = mqtt::ParseBrokerUrl(rest); url.ok()) {
    FUZZ_CHECK(rest.rfind("mqtt://", 0) == 0 || rest.rfind("mqtts://", 0) == 0, "a URL of another scheme");
    FUZZ_CHECK(!url->host.empty() && url->port != 0, "a URL without host or port");
  }
  if (mqtt::CheckTopicPrefix("prefix", rest).ok()) {
    FUZZ_CHECK(rest.find_first_of("+#") == std::string::npos && !rest.empty(), "a prefix with a wildcard");
  }
  return 0;
}
