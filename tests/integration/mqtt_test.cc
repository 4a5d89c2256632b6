// Home Assistant over MQTT against a real `mosquitto` broker on a free loopback port, started by
// the test, and a real `latchkey demo --mqtt`: discovery, state, commands with and without a code
// (the lock decides and counts), a retained command never replayed, malformed payloads moving
// nothing, and the broker killed and restarted (the hub reconnects and publishes everything again).
#include <mosquitto.h>
#include <pwd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/temp_dir.h"
#include "hub_harness.h"
#include "process.h"
#include "tls_harness.h"
#include "wait.h"

namespace latchkey::testing {
namespace {

using namespace std::chrono_literals;

// The broker: Debian's mosquitto, on loopback only, anonymous, no persistence.
class Broker {
 public:
  explicit Broker(std::string dir) : dir_(std::move(dir)), port_(FreeLoopbackPort()) {}
  // mqtts:// with this certificate and key (PEM) from the next Start.
  void UseTls(std::string cert, std::string key) {
    cert_ = std::move(cert);
    key_ = std::move(key);
  }
  void Start() {
    const std::string conf = dir_ + "/mosquitto.conf";
    std::ofstream out(conf);
    out << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\n";
    // Run as whoever runs the test (as root, mosquitto would switch to its own user, which
    // cannot read the test's key file).
    if (const passwd* me = ::getpwuid(::geteuid())) out << "user " << me->pw_name << "\n";
    if (!cert_.empty()) out << "certfile " << cert_ << "\nkeyfile " << key_ << "\n";
    out.close();
    const std::string binary = "/usr/sbin/mosquitto";
    ASSERT_EQ(::access(binary.c_str(), X_OK), 0) << binary << " is missing: run scripts/install-deps (package mosquitto)";
    ProcessOptions options;
    options.stdout_path = dir_ + "/broker.log";
    ASSERT_TRUE(process_.Start({binary, "-c", conf}, options));
    // Up once it accepts a connection.
    ASSERT_TRUE(WaitUntil([&] { return Accepts(); }, 5s)) << "mosquitto did not start";
  }
  void Kill() { process_.Kill(9); }
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }
  uint16_t port() const { return port_; }

 private:
  bool Accepts() const {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    boost::system::error_code ec;
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    return !ec;
  }
  std::string dir_;
  uint16_t port_;
  std::string cert_, key_;
  Process process_;
};

// What Home Assistant would be: a client that subscribes to everything and publishes commands.
class HomeAssistant {
 public:
  struct Message {
    std::string topic, payload;
    bool retained;
  };
  // `ca_file`: connect with TLS, trusting only it.
  explicit HomeAssistant(uint16_t port, const std::string& ca_file = "") {
    mosquitto_lib_init();
    mosq_ = mosquitto_new(nullptr, true, this);
    if (!ca_file.empty()) {
      EXPECT_EQ(mosquitto_tls_set(mosq_, ca_file.c_str(), nullptr, nullptr, nullptr, nullptr), MOSQ_ERR_SUCCESS);
    }
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m) {
      auto* ha = static_cast<HomeAssistant*>(self);
      std::lock_guard lock(ha->mutex_);
      ha->messages_.push_back({m->topic, std::string(static_cast<const char*>(m->payload), m->payloadlen), m->retain});
    });
    mosquitto_connect_callback_set(mosq_, [](mosquitto* m, void*, int rc) {
      if (rc == 0) mosquitto_subscribe(m, nullptr, "#", 1);
    });
    mosquitto_reconnect_delay_set(mosq_, 1, 1, false);
    EXPECT_EQ(mosquitto_connect(mosq_, "127.0.0.1", port, 30), MOSQ_ERR_SUCCESS);
    mosquitto_loop_start(mosq_);
  }
  ~HomeAssistant() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, true);
    mosquitto_destroy(mosq_);
  }
  void Publish(const std::string& topic, const std::string& payload, bool retain = false) {
    ASSERT_EQ(mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, retain),
              MOSQ_ERR_SUCCESS);
  }
  // The first message on `topic` after `from` (an index into everything received) that `match`
  // accepts; nullopt after `timeout`.
  std::optional<Message> WaitFor(const std::string& topic, std::size_t from,
                                 const std::function<bool(const Message&)>& match = {},
                                 std::chrono::milliseconds timeout = 5s) {
    std::optional<Message> found;
    WaitUntil(
        [&] {
          std::lock_guard lock(mutex_);
          for (std::size_t i = from; i < messages_.size(); ++i) {
            if (messages_[i].topic == topic && (!match || match(messages_[i]))) {
              found = messages_[i];
              return true;
            }
          }
          return false;
        },
        timeout);
    return found;
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return messages_.size();
  }

 private:
  mosquitto* mosq_ = nullptr;
  std::mutex mutex_;
  std::vector<Message> messages_;
};

class MqttTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_.Start();
    if (HasFatalFailure()) return;
    demo_ = std::make_unique<HubDemo>(1, std::vector<std::string>{"--mqtt", broker_.url(), "--motor-ms", "0"});
    ASSERT_NO_FATAL_FAILURE(demo_->Start());
    lock_ = demo_->lock_ids().at(0);
    ha_ = std::make_unique<HomeAssistant>(broker_.port());
  }
  void TearDown() override {
    if (HasFailure() && demo_) std::cerr << "--- demo log ---\n" << demo_->Log() << "--- end ---\n";
  }
  std::string T(const char* leaf) const { return "latchkey/" + lock_ + "/" + leaf; }
  Json Result(std::size_t from) {
    auto m = ha_->WaitFor(T("result"), from);
    EXPECT_TRUE(m) << "no result";
    return m ? Json::parse(m->payload) : Json();
  }
  std::string State() {
    return demo_->LockObject(lock_).value("lock_state", "");
  }

  TempDir dir_{"latchkey-mqtt"};
  Broker broker_{dir_.path()};
  std::unique_ptr<HubDemo> demo_;
  std::unique_ptr<HomeAssistant> ha_;
  std::string lock_;
};

TEST_F(MqttTest, DiscoveryStateAndCommandsEndToEnd) {
  // A lock the hub lists before its first state arrived is announced without what it can do,
  // and again once its features are known (the demo pairs, then the lock connects): wait for the
  // announcement with the lock's unlatch.
  const auto config = ha_->WaitFor("homeassistant/device/latchkey_" + lock_ + "/config", 0, [](auto& m) {
    const Json doc = Json::parse(m.payload, nullptr, false);
    return doc.is_object() && doc.contains(Json::json_pointer("/cmps/lock/payload_open"));
  });
  ASSERT_TRUE(config) << "no discovery document with the lock's unlatch";
  // It is kept by the broker: a Home Assistant that starts now gets it at once, retained (the
  // one above may have come live, and live messages never carry the retain flag).
  {
    HomeAssistant later(broker_.port());
    const auto kept = later.WaitFor("homeassistant/device/latchkey_" + lock_ + "/config", 0);
    ASSERT_TRUE(kept) << "the broker kept no discovery document";
    EXPECT_TRUE(kept->retained);
    EXPECT_EQ(kept->payload, config->payload);
  }
  const Json doc = Json::parse(config->payload);
  EXPECT_EQ(doc["cmps"]["lock"]["p"], "lock");
  EXPECT_EQ(doc["cmps"]["lock"]["command_topic"], T("set"));
  EXPECT_EQ(doc["cmps"]["lock"]["state_topic"], T("state"));
  EXPECT_EQ(doc["cmps"]["lock"]["payload_open"], "OPEN");
  EXPECT_FALSE(doc["cmps"]["lock"].contains("code_format")) << "the demo lock needs no PIN for remote commands yet";
  EXPECT_EQ(doc["cmps"]["battery"]["device_class"], "battery");
  EXPECT_EQ(doc["availability"][1]["topic"], T("availability"));
  ASSERT_TRUE(ha_->WaitFor(T("state"), 0, [](auto& m) { return m.payload == "LOCKED"; }));
  ASSERT_TRUE(ha_->WaitFor("latchkey/status", 0, [](auto& m) { return m.payload == "online"; }));

  // UNLOCK: the bolt moves, the result and the state follow within a second.
  std::size_t from = ha_->count();
  const auto sent = std::chrono::steady_clock::now();
  ha_->Publish(T("set"), "UNLOCK");
  Json result = Result(from);
  EXPECT_EQ(result["ok"], true) << result.dump();
  ASSERT_TRUE(ha_->WaitFor(T("state"), from, [](auto& m) { return m.payload == "UNLOCKED"; }, 1s));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent).count();
  std::cout << "[ measure ] UNLOCK over MQTT -> state UNLOCKED published: " << ms << " ms\n";
  const auto event = ha_->WaitFor(T("event"), from);
  ASSERT_TRUE(event);
  EXPECT_EQ(Json::parse(event->payload)["event_type"], "unlocked");
  EXPECT_EQ(Json::parse(event->payload)["actor"], "mqtt") << "the history names the integration";

  // The owner requires a PIN for remote commands: HA is told (code_format), a command without
  // the code or with a wrong one is refused by the lock and counted.
  from = ha_->count();
  ASSERT_EQ(demo_->Call("PATCH", "/api/v1/locks/" + lock_ + "/settings", Json{{"require_pin_for_remote", true}},
                        demo_->owner_token()).status, 200);
  const auto again = ha_->WaitFor("homeassistant/device/latchkey_" + lock_ + "/config", from, [](auto& m) {
    return Json::parse(m.payload)["cmps"]["lock"].contains("code_format");
  });
  ASSERT_TRUE(again) << "the discovery document was not sent again";
  from = ha_->count();
  ha_->Publish(T("set"), "LOCK");
  result = Result(from);
  EXPECT_EQ(result["ok"], false) << result.dump();
  from = ha_->count();
  ha_->Publish(T("set"), R"({"action": "LOCK", "code": "999999"})");
  result = Result(from);
  EXPECT_EQ(result["ok"], false);
  EXPECT_EQ(result["reason"], "invalid_credential") << result.dump();
  const auto denied = ha_->WaitFor(T("event"), from);
  ASSERT_TRUE(denied);
  EXPECT_EQ(Json::parse(denied->payload)["event_type"], "denied");
  EXPECT_EQ(State(), "unlocked");
  const HttpResult history = demo_->Call("GET", "/api/v1/locks/" + lock_ + "/events?limit=100", nullptr, demo_->owner_token());
  bool counted = false;
  for (const Json& e : history.json["events"]) {
    counted = counted || (e.value("kind", "") == "lock_operation_error" && e.value("actor", "") == "mqtt");
  }
  EXPECT_TRUE(counted) << history.body;

  // Malformed payloads and stray topics: nothing moves.
  from = ha_->count();
  ha_->Publish(T("set"), "PLEASE OPEN");
  ha_->Publish("latchkey/no-such-lock/set", "UNLOCK");
  ha_->Publish(T("set"), R"({"action": "UNLOCK", "code": "12"})");
  ASSERT_TRUE(WaitUntil([&] { return demo_->Log().find("ignored a malformed command") != std::string::npos; }, 5s));
  EXPECT_EQ(State(), "unlocked");
}

TEST_F(MqttTest, ARetainedCommandIsNeverReplayedAndABrokerRestartIsSurvived) {
  ASSERT_TRUE(ha_->WaitFor(T("state"), 0, [](auto& m) { return m.payload == "LOCKED"; }));
  // The hub is away while someone leaves a retained UNLOCK on the broker.
  demo_->Stop();
  ha_->Publish(T("set"), "UNLOCK", /*retain=*/true);
  std::this_thread::sleep_for(200ms);  // (nothing to await: the broker keeps it)
  ASSERT_NO_FATAL_FAILURE(demo_->Start());
  ASSERT_TRUE(WaitUntil([&] { return demo_->Log().find("commands are never replayed") != std::string::npos; }, 5s))
      << "the retained command was not seen";
  EXPECT_EQ(State(), "locked");
  ha_->Publish(T("set"), "", /*retain=*/true);  // cleared
  // The hub gets the empty message too (and refuses it as a command) before the broker dies:
  // one still in flight would be sent again after the restart, and its refusal taken below for
  // the answer to the UNLOCK.
  ASSERT_TRUE(WaitUntil([&] { return demo_->Log().find("ignored a malformed command") != std::string::npos; }, 5s))
      << "the hub did not get the cleared command";

  // The broker dies (losing every retained message) and comes back: the hub reconnects and
  // publishes its status, the discovery document and the state again.
  broker_.Kill();
  broker_.Start();
  ASSERT_FALSE(HasFatalFailure());
  const std::size_t from = ha_->count();
  ASSERT_TRUE(ha_->WaitFor("homeassistant/device/latchkey_" + lock_ + "/config", from, {}, 90s))
      << "not announced again after the broker restarted";
  ASSERT_TRUE(ha_->WaitFor(T("state"), from, [](auto& m) { return m.payload == "LOCKED"; }));
  ASSERT_TRUE(ha_->WaitFor("latchkey/status", from, [](auto& m) { return m.payload == "online"; }));
  // And commands work again.
  const std::size_t before = ha_->count();
  ha_->Publish(T("set"), "UNLOCK");
  EXPECT_EQ(Result(before)["ok"], true);
}

TEST_F(MqttTest, HomeAssistantOnlineOpenUnpairAndTheLastWill) {
  const std::string config_topic = "homeassistant/device/latchkey_" + lock_ + "/config";
  ASSERT_TRUE(ha_->WaitFor(config_topic, 0));
  // Home Assistant restarted: it says so, and gets every lock again.
  std::size_t from = ha_->count();
  ha_->Publish("homeassistant/status", "online");
  ASSERT_TRUE(ha_->WaitFor(config_topic, from)) << "not announced again when HA came online";

  from = ha_->count();
  ha_->Publish(T("set"), "OPEN");
  const Json result = Result(from);
  EXPECT_EQ(result["ok"], true) << result.dump();
  EXPECT_EQ(result["action"], "OPEN");
  ASSERT_TRUE(ha_->WaitFor(T("state"), from, [](auto& m) { return m.payload == "OPEN"; }, 1s));

  // Unpaired: its device is removed from HA (an empty retained document).
  from = ha_->count();
  ASSERT_EQ(demo_->Call("DELETE", "/api/v1/locks/" + lock_, nullptr, demo_->owner_token()).status, 200);
  ASSERT_TRUE(ha_->WaitFor(config_topic, from, [](auto& m) { return m.payload.empty(); })) << "the device stayed";

  // The hub dies without a goodbye: the broker publishes its last will.
  from = ha_->count();
  demo_->Kill();
  ASSERT_TRUE(ha_->WaitFor("latchkey/status", from, [](auto& m) { return m.payload == "offline"; })) << "no last will";
}

// mqtts:// with the broker's CA given in [mqtt] ca_file of `latchkey hub --config`: connected and
// announced; without it (the system's store does not know this CA) the hub never connects.
TEST(MqttTlsTest, MqttsVerifiesTheBrokerAgainstTheConfiguredCa) {
  TempDir dir("latchkey-mqtts");
  const std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
                              "/CN=broker -addext subjectAltName=IP:127.0.0.1 -keyout " +
                              dir.path() + "/broker.key -out " + dir.path() + "/broker.pem 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  Broker broker(dir.path());
  broker.UseTls(dir.path() + "/broker.pem", dir.path() + "/broker.key");
  ASSERT_NO_FATAL_FAILURE(broker.Start());
  HomeAssistant ha(broker.port(), dir.path() + "/broker.pem");
  const std::string url = "mqtts://127.0.0.1:" + std::to_string(broker.port());

  const auto run_hub = [&](const std::string& name, const std::string& ca_line) {
    auto hub = std::make_unique<LatchkeyProcess>();
    const std::string config = hub->dir() + "/hub.toml";
    std::ofstream(config) << "[mqtt]\nurl = \"" << url << "\"\nbase_topic = \"" << name << "\"\n" << ca_line;
    hub->Spawn({"hub", "--data", hub->dir() + "/data", "--http", "127.0.0.1:" + std::to_string(FreeLoopbackPort()),
                "--config", config});
    return hub;
  };
  auto good = run_hub("trusted", "ca_file = \"" + dir.path() + "/broker.pem\"\n");
  EXPECT_TRUE(ha.WaitFor("trusted/status", 0, [](auto& m) { return m.payload == "online"; }, 10s)) << good->Log();

  auto bad = run_hub("untrusted", "");
  EXPECT_FALSE(ha.WaitFor("untrusted/status", 0, {}, 3s)) << "connected to a broker whose certificate it cannot verify";
  EXPECT_TRUE(WaitUntil([&] { return bad->Log().find("certificate verify failed") != std::string::npos; }, 5s))
      << "the refusal is not in the log:\n" << bad->Log();
}

}  // namespace
}  // namespace latchkey::testing
