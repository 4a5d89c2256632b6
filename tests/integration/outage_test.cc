// SECURITY.md, "The tests that show it", outage (ETSI EN 303 645 provision 5.9, resilience to
// outages), and LINK.md, store and forward: the link is cut while the lock produces events;
// afterwards the hub holds every event exactly once, in seq order, with no gap, and the hash
// chain verifies end to end. The lock keeps deciding on its own while the hub cannot reach it.
#include <atomic>
#include <random>

#include "core/event.h"
#include "crypto/sodium_crypto.h"
#include "harness.h"
#include "wire/json_codec.h"

namespace latchkey::testing {
namespace {

constexpr const char* kPin = "24681357";
constexpr const char* kWrongPin = "11223344";

// The hub's log: seq 1..N each once, in order, no gap, and the chain verifies from the zero
// hash (LOCK-SEMANTICS.md 9).
::testing::AssertionResult HubLogIsWhole(const std::vector<Json>& log, uint64_t expected_last) {
  crypto::InitSodium();
  const crypto::SodiumCrypto crypto(crypto::SecretKey{});  // the chain hash is unkeyed
  std::vector<core::Event> events;
  events.reserve(log.size());
  for (std::size_t i = 0; i < log.size(); ++i) {
    auto event = wire::EventFromJson(log[i]);
    if (!event.ok()) return ::testing::AssertionFailure() << "event " << i << " does not decode: " << log[i].dump();
    if (event->seq != i + 1) {
      return ::testing::AssertionFailure() << "position " << i << " holds seq " << event->seq << " (gap, repeat or disorder)";
    }
    events.push_back(std::move(event).value());
  }
  if (events.size() != expected_last) {
    return ::testing::AssertionFailure() << "the hub holds " << events.size() << " events, the lock logged " << expected_last;
  }
  if (const auto bad = core::VerifyChain(crypto, core::Digest{}, events)) {
    return ::testing::AssertionFailure() << "the chain breaks at seq " << *bad;
  }
  return ::testing::AssertionSuccess();
}

uint64_t LockLastSeq(uint16_t sim_port) {
  return SimHttp(sim_port, "")["body"]["last_event_seq"].get<uint64_t>();
}

// Connects, retrying while the lock refuses (network still settling, handshake rate limit).
bool ConnectRetry(HubLink& hub, const LockProcess& lock, std::chrono::milliseconds budget = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  while (std::chrono::steady_clock::now() < deadline) {
    if (hub.Connect(lock.host(), lock.link_port(), 3s)) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// Drives the simulated world from its own thread: each step logs at least one event. Runs
// `steps` steps, or (steps 0) until stopped; `pace` between steps.
class Producer {
 public:
  Producer(uint16_t sim_port, int steps, std::chrono::milliseconds pace = 0ms)
      : sim_port_(sim_port), steps_(steps), pace_(pace) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Producer() { Stop(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  void Stop() {
    stop_ = true;
    Join();
  }
  int done() const { return done_.load(); }
  bool WaitFor(int steps, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (done_.load() < steps) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(2ms);
    }
    return true;
  }
  int failures() const { return failures_.load(); }

 private:
  void Run() {
    for (int i = 0; steps_ == 0 ? !stop_.load() : i < steps_; ++i) {
      if (pace_.count() > 0) std::this_thread::sleep_for(pace_);
      Json r;
      switch (i % 5) {
        case 0: r = SimHttp(sim_port_, "keypad", {{"keys", std::string(kPin) + "#"}}); break;  // unlock
        case 1: r = SimHttp(sim_port_, "door", {{"state", "open"}}); break;
        case 2: r = SimHttp(sim_port_, "door", {{"state", "closed"}}); break;
        case 3: r = SimHttp(sim_port_, "thumbturn", {{"action", "lock"}}); break;
        // A wrong code only every 50th step: past the hourly budget (max_wrong_per_hour, 10) the
        // lock refuses a wrong code without an event, and every step here must log one.
        default:
          r = i % 50 == 4 ? SimHttp(sim_port_, "keypad", {{"keys", std::string(kWrongPin) + "#"}})
                          : SimHttp(sim_port_, "thumbturn", {{"action", "unlock"}});
          break;
      }
      if (r["status"] != 200) ++failures_;
      ++done_;
    }
  }

  uint16_t sim_port_;
  int steps_;
  std::chrono::milliseconds pace_;
  std::atomic<bool> stop_{false};
  std::atomic<int> done_{0};
  std::atomic<int> failures_{0};
  std::thread thread_;
};

class OutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lock_.Start();
    ASSERT_TRUE(hub_.Pair(lock_.host(), lock_.link_port(), lock_.setup_code()));
    const Json added = hub_.Request("set_credential", HubLink::As({{"type", "pin"}, {"data", kPin}}));
    ASSERT_TRUE(added["ok"].get<bool>()) << added.dump();
  }
  Json Network(bool connected) { return SimHttp(lock_.sim_port(), "network", {{"connected", connected}}); }

  TempDir dir_;
  LockProcess lock_{dir_.path() + "/lock", {"--motor-ms", "0"}};
  HubLink hub_;
};

// SECURITY.md 5.9 / LINK.md store and forward: the link is cut during traffic (the lock logs
// several hundred events, most of them while the hub cannot reach it); afterwards the hub holds
// every event exactly once, in order, no gap, and the chain verifies from seq 1.
TEST_F(OutageTest, EveryEventReachesTheHubExactlyOnceAfterTheLinkIsCut) {
  constexpr int kSteps = 400;
  Producer producer(lock_.sim_port(), kSteps);
  ASSERT_TRUE(producer.WaitFor(80, 30s));
  ASSERT_EQ(Network(false)["status"], 200);
  EXPECT_TRUE(hub_.WaitClosed(5s)) << "cutting the network must drop the hub's link";
  const uint64_t seen_at_cut = hub_.acked_seq();
  // While the cable is cut the lock refuses connections.
  EXPECT_FALSE(hub_.Connect(lock_.host(), lock_.link_port(), 1s));
  ASSERT_TRUE(producer.WaitFor(320, 60s));
  ASSERT_EQ(Network(true)["status"], 200);
  producer.Join();
  EXPECT_EQ(producer.failures(), 0);
  ASSERT_TRUE(ConnectRetry(hub_, lock_));
  const uint64_t last = LockLastSeq(lock_.sim_port());
  EXPECT_GE(last, static_cast<uint64_t>(kSteps));
  EXPECT_GT(last, seen_at_cut + 200) << "most events must have been logged while the link was cut";
  ASSERT_TRUE(hub_.WaitForSeq(last, 20s)) << "the hub has " << hub_.acked_seq() << " of " << last;
  EXPECT_TRUE(HubLogIsWhole(hub_.events(), last));
  // The lock learnt that the hub has them all (it would resend otherwise).
  const Json state = hub_.Request("get_state");
  ASSERT_TRUE(state["ok"].get<bool>()) << state.dump();
  EXPECT_EQ(state["result"]["acked_seq"].get<uint64_t>(), last);
}

// LINK.md store and forward: a hub that drops and re-opens its link 20 times while the lock is
// logging (sessions end with events in flight, unacknowledged) still ends with every event
// exactly once, in order, and a chain that verifies.
TEST_F(OutageTest, HubThatReconnectsRepeatedlyStillGetsEveryEventExactlyOnce) {
  constexpr int kMinSteps = 300;
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> pause_ms(0, 60);
  Producer producer(lock_.sim_port(), 0, 5ms);
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    hub_.Disconnect();
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    // Mid-stream, every other time the network drops as well (a session cut from the lock side).
    if (i % 2 == 1) {
      ASSERT_EQ(Network(false)["status"], 200);
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
      ASSERT_EQ(Network(true)["status"], 200);
    }
    ASSERT_TRUE(ConnectRetry(hub_, lock_)) << "reconnect " << i;
    // The lock allows only a few handshakes per second.
    std::this_thread::sleep_for(200ms);
  }
  // The stream goes on through every reconnect, and a little past the last one.
  ASSERT_TRUE(producer.WaitFor(std::max(producer.done() + 20, kMinSteps), 30s));
  producer.Stop();
  EXPECT_EQ(producer.failures(), 0);
  const uint64_t last = LockLastSeq(lock_.sim_port());
  EXPECT_GE(last, static_cast<uint64_t>(kMinSteps));
  ASSERT_TRUE(hub_.WaitForSeq(last, 20s)) << "the hub has " << hub_.acked_seq() << " of " << last;
  EXPECT_TRUE(HubLogIsWhole(hub_.events(), last));
}

// SECURITY.md: "the lock decides from its own store" and 5.9 "the lock works with no hub": with
// the link cut, a valid PIN opens, a PIN revoked before the outage stays refused, and both
// decisions reach the hub once the link is back.
TEST_F(OutageTest, LockKeepsDecidingWhileOffline) {
  const Json revoked = hub_.Request("set_credential", HubLink::As({{"type", "pin"}, {"data", "97531864"}}));
  ASSERT_TRUE(revoked["ok"].get<bool>()) << revoked.dump();
  const Json cleared = hub_.Request(
      "clear_credential", HubLink::As({{"type", "pin"}, {"index", revoked["result"]["index"]}}));
  ASSERT_TRUE(cleared["ok"].get<bool>()) << cleared.dump();
  const uint64_t before = LockLastSeq(lock_.sim_port());
  ASSERT_TRUE(hub_.WaitForSeq(before));

  ASSERT_EQ(Network(false)["status"], 200);
  ASSERT_TRUE(hub_.WaitClosed(5s));
  ASSERT_EQ(SimHttp(lock_.sim_port(), "")["body"]["lock_state"], "locked");

  const Json refused = SimHttp(lock_.sim_port(), "keypad", {{"keys", "97531864#"}});
  ASSERT_EQ(refused["status"], 200) << refused.dump();
  EXPECT_EQ(refused["body"]["result"], "denied");
  EXPECT_EQ(refused["body"]["reason"], "invalid_credential");
  EXPECT_EQ(SimHttp(lock_.sim_port(), "")["body"]["lock_state"], "locked");

  const Json opened = SimHttp(lock_.sim_port(), "keypad", {{"keys", std::string(kPin) + "#"}});
  ASSERT_EQ(opened["status"], 200) << opened.dump();
  EXPECT_EQ(opened["body"]["result"], "granted");
  EXPECT_EQ(SimHttp(lock_.sim_port(), "")["body"]["lock_state"], "unlocked");
  EXPECT_FALSE(hub_.Connect(lock_.host(), lock_.link_port(), 1s)) << "the network is cut";

  ASSERT_EQ(Network(true)["status"], 200);
  ASSERT_TRUE(ConnectRetry(hub_, lock_));
  const uint64_t last = LockLastSeq(lock_.sim_port());
  ASSERT_TRUE(hub_.WaitForSeq(last, 5s));
  EXPECT_TRUE(HubLogIsWhole(hub_.events(), last));
  bool saw_refusal = false, saw_unlock = false;
  for (const Json& e : hub_.events()) {
    if (e["seq"].get<uint64_t>() <= before) continue;
    if (e["kind"] == "lock_operation_error" && e.value("source", "") == "keypad" &&
        e.value("error", "") == "invalid_credential") {
      saw_refusal = true;
    }
    if (e["kind"] == "lock_operation" && e.value("source", "") == "keypad" && e.value("operation", "") == "unlock") {
      saw_unlock = true;
    }
  }
  EXPECT_TRUE(saw_refusal) << "the offline refusal must reach the hub";
  EXPECT_TRUE(saw_unlock) << "the offline unlock must reach the hub";
}

}  // namespace
}  // namespace latchkey::testing
