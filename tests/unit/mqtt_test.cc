// Home Assistant over MQTT (integrations/mqtt): the broker URL and options, every key of the
// discovery document HA reads, the state, attribute and event payloads, the commands, and the
// bridge's rules against a fake broker and a fake hub client (a retained or malformed command
// moves nothing; a command is executed through the hub and answered on the result topic; a lock
// that appears or goes is announced or cleared).
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "integrations/mqtt/ha_discovery.h"
#include "integrations/mqtt/mqtt_bridge.h"

namespace latchkey::integrations::mqtt {
namespace {

namespace http = boost::beast::http;

Json SomeLock(const std::string& id = "lk-front", bool require_pin = true) {
  return Json{{"id", id},
              {"name", "Front door"},
              {"online", true},
              {"simulated", true},
              {"lock_state", "locked"},
              {"door_state", "closed"},
              {"battery", {{"percent", 80}, {"low", false}, {"critical", false}}},
              {"settings", {{"require_pin_for_remote", require_pin}}},
              {"capabilities",
               {{"min_pin_length", 6}, {"max_pin_length", 12}, {"features", {"door_sensor", "unlatch", "keypad"}}}}};
}

TEST(MqttOptionsTest, BrokerUrls) {
  auto a = ParseBrokerUrl("mqtt://127.0.0.1:1884");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_FALSE(a->tls);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 1884);
  EXPECT_EQ(ParseBrokerUrl("mqtts://broker.lan")->port, 8883);
  EXPECT_TRUE(ParseBrokerUrl("mqtts://broker.lan")->tls);
  EXPECT_EQ(ParseBrokerUrl("mqtt://broker.lan/")->port, 1883);
  EXPECT_EQ(ParseBrokerUrl("mqtt://[::1]:1883")->host, "::1");
  for (const char* bad : {"http://x", "mqtt://", "mqtt://u:p@host", "mqtt://host:0", "mqtt://host:99999",
                          "mqtt://host/topic", "mqtt://host:12ab"}) {
    EXPECT_FALSE(ParseBrokerUrl(bad).ok()) << bad;
  }
  MqttOptions options;
  options.url = "mqtt://127.0.0.1";
  EXPECT_TRUE(Validate(options).ok());
  for (const char* bad : {"", "a/#", "a/+/b", "/a", "a/", "a//b"}) {
    options.base_topic = bad;
    EXPECT_FALSE(Validate(options).ok()) << bad;
  }
}

TEST(HaDiscoveryTest, TheDocumentHasEveryKeyHomeAssistantReads) {
  MqttOptions options;
  const Json config = DiscoveryConfig(options, {"hub-1", "0.1.0"}, SomeLock());
  EXPECT_EQ(DiscoveryTopic(options, "lk-front"), "homeassistant/device/latchkey_lk-front/config");
  EXPECT_EQ(config["dev"]["ids"], Json({"latchkey_lk-front"}));
  EXPECT_EQ(config["dev"]["name"], "Front door");
  EXPECT_EQ(config["dev"]["mf"], "latchkey");
  EXPECT_EQ(config["dev"]["via_device"], "latchkey_hub_hub-1");
  EXPECT_EQ(config["o"]["name"], "latchkey");
  EXPECT_EQ(config["availability"],
            Json::parse(R"([{"topic": "latchkey/status"}, {"topic": "latchkey/lk-front/availability"}])"));
  EXPECT_EQ(config["availability_mode"], "all");

  const Json& lock = config["cmps"]["lock"];
  EXPECT_EQ(lock["p"], "lock");
  EXPECT_EQ(lock["unique_id"], "latchkey_lk-front_lock");
  EXPECT_EQ(lock["command_topic"], "latchkey/lk-front/set");
  EXPECT_EQ(lock["state_topic"], "latchkey/lk-front/state");
  EXPECT_EQ(lock["code_format"], "^\\d{6,12}$");
  EXPECT_EQ(lock["payload_open"], "OPEN");
  EXPECT_EQ(lock["payload_lock"], "LOCK");
  EXPECT_EQ(lock["payload_unlock"], "UNLOCK");

  std::map<std::string, std::pair<std::string, std::string>> expected{
      {"battery", {"sensor", "battery"}},       {"battery_low", {"binary_sensor", "battery"}},
      {"door", {"binary_sensor", "door"}},      {"tamper", {"binary_sensor", "tamper"}},
      {"access", {"event", ""}},                {"last_user", {"sensor", ""}}};
  for (const auto& [name, want] : expected) {
    ASSERT_TRUE(config["cmps"].contains(name)) << name;
    const Json& c = config["cmps"][name];
    EXPECT_EQ(c["p"], want.first) << name;
    EXPECT_EQ(c.value("device_class", ""), want.second) << name;
    EXPECT_EQ(c["unique_id"], "latchkey_lk-front_" + name);
    EXPECT_TRUE(c.contains("state_topic")) << name;
  }
  EXPECT_EQ(config["cmps"]["access"]["event_types"], Json({"unlocked", "locked", "denied", "alarm"}));

  // No code asked when the lock does not require one; no OPEN without unlatching; no door
  // sensor, no door.
  Json plain = SomeLock("lk-back", false);
  plain["capabilities"]["features"] = Json::array({"keypad"});
  const Json other = DiscoveryConfig(options, {"hub-1", "0.1.0"}, plain);
  EXPECT_FALSE(other["cmps"]["lock"].contains("code_format"));
  EXPECT_FALSE(other["cmps"]["lock"].contains("payload_open"));
  EXPECT_FALSE(other["cmps"].contains("door"));
}

TEST(HaDiscoveryTest, StateAttributesAndEvents) {
  Json lock = SomeLock();
  for (const auto& [state, payload] : std::map<std::string, std::string>{
           {"locked", "LOCKED"}, {"unlocked", "UNLOCKED"}, {"unlatched", "OPEN"}, {"locking", "LOCKING"},
           {"unlocking", "UNLOCKING"}, {"jammed", "JAMMED"}, {"unknown", "None"}}) {
    lock["lock_state"] = state;
    EXPECT_EQ(StatePayload(lock), payload) << state;
  }
  lock["door_state"] = "ajar";
  lock["battery"]["low"] = true;
  EXPECT_EQ(Attributes(lock, "Mia"), Json::parse(R"({"battery": 80, "battery_low": "ON", "door": "ON", "last_user": "Mia"})"));

  const Json unlock{{"kind", "lock_operation"}, {"operation", "unlock"}, {"source", "keypad"}, {"user", 3}};
  EXPECT_EQ((*AccessEvent(unlock))["event_type"], "unlocked");
  EXPECT_EQ(OpenedBy(unlock), "user 3");
  EXPECT_EQ(OpenedBy(Json{{"kind", "lock_operation"}, {"operation", "unlock"}, {"actor", "ana"}}), "ana");
  EXPECT_EQ((*AccessEvent(Json{{"kind", "lock_operation_error"}, {"error", "invalid_credential"}}))["event_type"],
            "denied");
  // Duress looks like any unlock, and its alarm is not shown.
  const Json duress{{"kind", "lock_operation"}, {"operation", "forced_user"}, {"source", "keypad"}, {"user", 3}};
  EXPECT_EQ(*AccessEvent(duress), *AccessEvent(unlock));
  EXPECT_FALSE(AccessEvent(Json{{"kind", "alarm"}, {"alarm", "forced_user"}}));
  EXPECT_EQ((*AccessEvent(Json{{"kind", "alarm"}, {"alarm", "tamper"}}))["event_type"], "alarm");
  EXPECT_TRUE(IsTamperAlarm(Json{{"kind", "alarm"}, {"alarm", "tamper"}}));
  EXPECT_FALSE(AccessEvent(Json{{"kind", "door_state"}, {"door_state", "open"}}));
}

TEST(HaDiscoveryTest, Commands) {
  EXPECT_EQ(ParseCommand("UNLOCK")->action, Action::kUnlock);
  EXPECT_FALSE(ParseCommand("UNLOCK")->code);
  auto c = ParseCommand(R"({"action": "OPEN", "code": "123456"})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->action, Action::kOpen);
  EXPECT_EQ(c->code, "123456");
  EXPECT_FALSE(ParseCommand(R"({"action": "LOCK", "code": "None"})")->code) << "HA renders no code as None";
  EXPECT_FALSE(ParseCommand(R"({"action": "LOCK", "code": ""})")->code);
  for (const char* bad : {"unlock", "", "{}", R"({"action": "FLY"})", R"({"action": "LOCK", "code": "12"})",
                          R"({"action": "LOCK", "code": "12345a"})", R"({"action": "LOCK", "code": 123456})",
                          R"({"action": "LOCK", "x": 1})", "[1]"}) {
    EXPECT_FALSE(ParseCommand(bad).ok()) << bad;
  }
  EXPECT_FALSE(ParseCommand(std::string(300, 'x')).ok());
}

// --- the bridge against fakes --------------------------------------------------------------

class FakeTransport : public MqttTransport {
 public:
  struct Published {
    std::string topic, payload;
    bool retain;
  };
  void Start(Callbacks callbacks, const std::string& will_topic, const std::string& will_payload) override {
    callbacks_ = std::move(callbacks);
    will = will_topic + "=" + will_payload;
  }
  void Stop() override {}
  void Publish(const std::string& topic, const std::string& payload, bool retain) override {
    published.push_back({topic, payload, retain});
  }
  void Subscribe(const std::string& pattern) override { subscribed.push_back(pattern); }

  std::vector<Published> On(const std::string& topic) const {
    std::vector<Published> out;
    for (const auto& p : published) {
      if (p.topic == topic) out.push_back(p);
    }
    return out;
  }
  Callbacks callbacks_;
  std::string will;
  std::vector<Published> published;
  std::vector<std::string> subscribed;
};

class FakeHub : public hub::HubClient {
 public:
  struct Call_ {
    http::verb method;
    std::string path;
    Json body;
  };
  void Call(http::verb method, std::string path, Json body, std::function<void(Answer)> done) override {
    calls.push_back({method, path, body});
    if (method == http::verb::get && path == "/api/v1/locks") return done({200, locks});
    done(answer);
  }
  std::shared_ptr<void> Watch(std::function<void(const Json&)> on_message) override {
    stream = std::move(on_message);
    return std::make_shared<int>(0);
  }
  const std::string& username() const override { return name; }

  Json locks = Json::array({SomeLock()});
  Answer answer{200, Json{{"result", "ok"}, {"lock_state", "unlocked"}}};
  std::vector<Call_> calls;
  std::function<void(const Json&)> stream;
  std::string name = "mqtt";
};

class MqttBridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto hub_client = std::make_unique<FakeHub>();
    auto transport = std::make_unique<FakeTransport>();
    hub_ = hub_client.get();
    broker_ = transport.get();
    MqttOptions options;
    options.url = "mqtt://127.0.0.1";
    bridge_ = std::make_unique<MqttBridge>(options, HubIdentity{"hub-1", "0.1.0"}, std::move(hub_client),
                                           std::move(transport));
    bridge_->Start();
    broker_->callbacks_.on_connected();
  }
  void Send(const std::string& topic, const std::string& payload, bool retained = false) {
    broker_->callbacks_.on_message({topic, payload, retained});
  }
  std::size_t CommandsSent() const {
    std::size_t n = 0;
    for (const auto& c : hub_->calls) n += c.method == http::verb::post;
    return n;
  }

  FakeHub* hub_ = nullptr;
  FakeTransport* broker_ = nullptr;
  std::unique_ptr<MqttBridge> bridge_;
};

TEST_F(MqttBridgeTest, ConnectingAnnouncesEveryLockWithItsState) {
  EXPECT_EQ(broker_->will, "latchkey/status=offline");
  EXPECT_EQ(broker_->subscribed, (std::vector<std::string>{"latchkey/+/set", "homeassistant/status"}));
  ASSERT_EQ(broker_->On("latchkey/status").size(), 1u);
  EXPECT_EQ(broker_->On("latchkey/status")[0].payload, "online");
  const auto config = broker_->On("homeassistant/device/latchkey_lk-front/config");
  ASSERT_EQ(config.size(), 1u);
  EXPECT_TRUE(config[0].retain);
  EXPECT_EQ(broker_->On("latchkey/lk-front/state").at(0).payload, "LOCKED");
  EXPECT_EQ(broker_->On("latchkey/lk-front/availability").at(0).payload, "online");

  // HA coming back online gets everything again.
  Send("homeassistant/status", "online");
  EXPECT_EQ(broker_->On("homeassistant/device/latchkey_lk-front/config").size(), 2u);
}

TEST_F(MqttBridgeTest, ACommandGoesThroughTheHubAndItsResultIsPublished) {
  Send("latchkey/lk-front/set", R"({"action": "UNLOCK", "code": "123456"})");
  ASSERT_EQ(CommandsSent(), 1u);
  EXPECT_EQ(hub_->calls.back().path, "/api/v1/locks/lk-front/unlock");
  EXPECT_EQ(hub_->calls.back().body, (Json{{"pin", "123456"}}));
  auto result = broker_->On("latchkey/lk-front/result");
  ASSERT_EQ(result.size(), 1u);
  EXPECT_FALSE(result[0].retain);
  EXPECT_EQ(Json::parse(result[0].payload), Json::parse(R"({"action": "UNLOCK", "ok": true, "result": "ok",
      "lock_state": "unlocked"})"));

  hub_->answer = {403, Json{{"error", {{"code", "denied"}, {"message", "wrong PIN"}, {"reason", "invalid_credential"}}}}};
  Send("latchkey/lk-front/set", "OPEN");
  EXPECT_EQ(hub_->calls.back().path, "/api/v1/locks/lk-front/unlatch");
  result = broker_->On("latchkey/lk-front/result");
  EXPECT_EQ(Json::parse(result.back().payload)["reason"], "invalid_credential");
  EXPECT_EQ(Json::parse(result.back().payload)["ok"], false);
}

TEST_F(MqttBridgeTest, RetainedMalformedAndStrayMessagesMoveNothing) {
  Send("latchkey/lk-front/set", "UNLOCK", /*retained=*/true);
  Send("latchkey/lk-front/set", "PLEASE");
  Send("latchkey/lk-front/set", R"({"action": "UNLOCK", "code": "12"})");
  Send("latchkey/lk-other/set", "UNLOCK");
  Send("latchkey/lk-front/state", "UNLOCK");
  Send("elsewhere", "UNLOCK");
  EXPECT_EQ(CommandsSent(), 0u);
  EXPECT_EQ(bridge_->counters().malformed, 2u);
  EXPECT_EQ(bridge_->counters().ignored, 4u);
}

TEST_F(MqttBridgeTest, StreamMessagesFollowWithinTheTurn) {
  Json state = SomeLock();
  state["type"] = "state";
  state["lock"] = "lk-front";
  state["lock_state"] = "unlocked";
  hub_->stream(state);
  EXPECT_EQ(broker_->On("latchkey/lk-front/state").back().payload, "UNLOCKED");

  hub_->stream(Json{{"type", "event"}, {"lock", "lk-front"},
                    {"event", {{"kind", "lock_operation"}, {"operation", "unlock"}, {"source", "keypad"}, {"user", 2}}}});
  EXPECT_EQ(Json::parse(broker_->On("latchkey/lk-front/event").back().payload)["source"], "keypad");
  EXPECT_EQ(Json::parse(broker_->On("latchkey/lk-front/attributes").back().payload)["last_user"], "user 2");
  hub_->stream(Json{{"type", "event"}, {"lock", "lk-front"}, {"event", {{"kind", "alarm"}, {"alarm", "tamper"}}}});
  EXPECT_EQ(broker_->On("latchkey/lk-front/tamper").back().payload, "ON");

  // A lock paired now is announced; an unpaired one is cleared.
  Json added = SomeLock("lk-back");
  added["type"] = "state";
  added["lock"] = "lk-back";
  hub_->stream(added);
  EXPECT_EQ(broker_->On("homeassistant/device/latchkey_lk-back/config").size(), 1u);
  hub_->stream(Json{{"type", "lock_removed"}, {"lock", "lk-back"}});
  const auto cleared = broker_->On("homeassistant/device/latchkey_lk-back/config");
  ASSERT_EQ(cleared.size(), 2u);
  EXPECT_EQ(cleared.back().payload, "");
  EXPECT_TRUE(cleared.back().retain);
  Send("latchkey/lk-back/set", "UNLOCK");
  EXPECT_EQ(CommandsSent(), 0u) << "a removed lock takes no command";
}

}  // namespace
}  // namespace latchkey::integrations::mqtt
