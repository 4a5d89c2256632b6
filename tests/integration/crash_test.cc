// SECURITY.md, "The tests that show it", crash consistency (ETSI EN 303 645 provision 5.9: state
// survives power loss): the lock process is killed with SIGKILL at random moments during a long
// run of operations; after each restart the store opens, every change the lock acknowledged is
// there, the wrong-code counter and a running lockout are as they were, and the hub's copy of the
// log verifies end to end, every event exactly once, with no acknowledged event missing or
// rewritten (LOCK-SEMANTICS.md 7-9, LINK.md store and forward).
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>

#include "core/battery.h"
#include "core/event.h"
#include "crypto/sodium_crypto.h"
#include "harness.h"
#include "store/sqlite_lock_store.h"
#include "wire/json_codec.h"

namespace latchkey::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kKills = 200;
constexpr uint32_t kWrongCodeLimit = 3;
// lockout_s 1, no escalation: every lockout is this long. The lockout runs only while the lock is
// powered (LOCK-SEMANTICS.md 8: durations persist what remains), so one spans several kills.
constexpr int64_t kLockoutMs = 1000;
constexpr std::size_t kMaxPins = 40;
constexpr const char* kBadDigits = "1357913";  // stored PINs are 8 digits starting with 8

enum class Op { kAddPin, kModifyPin, kClearPin, kSettings, kWrongPin, kUnlock, kLock, kDoor, kBattery, kTime };

struct Pin {
  uint32_t user = 0;
  std::string data;
};

// What the lock acknowledged (answered before it was killed), or what it reported after a
// restart: every fact here must survive the next kill.
struct Model {
  std::map<uint32_t, Pin> pins;  // by credential index
  Json settings;                 // the whole settings object
  std::optional<std::string> door;  // "open" or "closed"
  std::optional<uint32_t> battery_mv;
  // Wrong attempts that counted. The lock keeps each one's age for its hourly budget
  // (LOCK-SEMANTICS.md 7.3), and the whole run is far less than an hour of the lock's clock, so
  // the store holds them all; the counter is what remains after the lockouts.
  uint64_t wrong_total = 0;
  std::optional<Clock::time_point> lockout_start;  // the earliest the last lockout can have begun
  // Events that acknowledged operations must have logged, by signature (see Signature).
  std::map<std::string, int> expected_events;
  std::vector<uint32_t> touched;  // PINs added or modified (acknowledged) since the last restart
};

// The one operation that was in flight when the lock died: it may or may not have happened.
struct InFlight {
  Op op = Op::kAddPin;
  uint32_t index = 0;
  std::string data;
  Json settings;  // the settings had the patch taken
  Clock::time_point sent;
};

std::string Signature(const Json& e) {
  const std::string kind = e.value("kind", "");
  if (kind == "change") return "change/" + e.value("data_type", "") + "/" + e.value("operation", "");
  if (kind == "lock_operation") return "op/" + e.value("source", "") + "/" + e.value("operation", "");
  if (kind == "lock_operation_error") return "error/" + e.value("source", "") + "/" + e.value("error", "");
  if (kind == "door_state") return e.value("door_state", "") == "closed" ? "door/closed" : "door/opened";
  if (kind == "alarm") return "alarm/" + e.value("alarm", "");
  return kind;
}

bool Unanswered(const Json& response) {
  if (response.value("ok", false)) return false;
  const std::string code = response["error"].value("code", "");
  return code == "lock_offline" || code == "lock_timeout";
}

class CrashRun {
 public:
  explicit CrashRun(uint64_t seed) : rng_(seed) {}

  void Run() {
    crypto::InitSodium();
    lock_.Start();
    ASSERT_TRUE(hub_.Pair(lock_.host(), lock_.link_port(), lock_.setup_code()));
    const Json settings = hub_.Request(
        "set_settings", HubLink::As({{"settings",
                                      {{"wrong_code_limit", kWrongCodeLimit},
                                       {"lockout_s", kLockoutMs / 1000},
                                       {"lockout_escalation", false},
                                       // The most the hourly budget allows, so that the run
                                       // keeps counting wrong codes for longer.
                                       {"max_wrong_per_hour", 60}}}}));
    ASSERT_TRUE(settings["ok"].get<bool>()) << settings.dump();
    model_.settings = settings["result"];
    ++model_.expected_events["change/settings/modify"];

    std::uniform_int_distribution<int> delay_ms(0, 50);
    for (kill_ = 1; kill_ <= kKills; ++kill_) {
      RunOneKill(std::chrono::milliseconds(delay_ms(rng_)));
      if (::testing::Test::HasFailure()) {
        ADD_FAILURE() << "stopped at kill " << kill_ << " of " << kKills;
        return;
      }
    }
    // The whole log once more, from seq 1.
    const auto events = hub_.events();
    std::vector<core::Event> all;
    for (const Json& e : events) {
      auto event = wire::EventFromJson(e);
      ASSERT_TRUE(event.ok()) << e.dump();
      all.push_back(std::move(event).value());
    }
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(all.front().seq, 1u);
    EXPECT_EQ(core::VerifyChain(crypto_, core::Digest{}, all), std::nullopt);
    static const char* const kNames[] = {"add",  "modify", "clear", "settings", "wrong-pin",
                                         "unlock", "lock", "door", "battery", "time"};
    std::cout << "[ crash    ] " << kKills << " kills, " << acked_ops_ << " operations acknowledged, " << lost_ops_
              << " cut by a kill (";
    const char* separator = "";
    for (const auto& [op, n] : cut_by_op_) {
      std::cout << separator << kNames[static_cast<int>(op)] << " " << n;
      separator = ", ";
    }
    std::cout << "), " << model_.wrong_total / kWrongCodeLimit << " lockouts, " << lockout_kills_
              << " kills during a lockout, " << all.size() << " events" << std::endl;
  }

 private:
  void RunOneKill(std::chrono::milliseconds delay) {
    std::atomic<bool> stop{false};
    std::optional<InFlight> in_flight;
    const uint64_t op_seed = rng_();
    std::thread worker([&] { Operate(op_seed, stop, in_flight); });
    std::this_thread::sleep_for(delay);
    lock_.Kill(SIGKILL);
    stop = true;
    worker.join();
    CheckStore(in_flight);
    if (::testing::Test::HasFailure()) return;
    restart_at_ = Clock::now();
    lock_.Start();
    bool connected = false;
    for (int attempt = 0; attempt < 20 && !connected; ++attempt) {
      connected = hub_.Connect(lock_.host(), lock_.link_port(), 3s);
      if (!connected) std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(connected) << "kill " << kill_ << ": the hub cannot reconnect";
    CheckLock(in_flight);
    CheckEvents();
  }

  // The stream of operations, until the lock dies under it.
  void Operate(uint64_t seed, const std::atomic<bool>& stop, std::optional<InFlight>& in_flight) {
    std::mt19937_64 rng(seed);
    std::discrete_distribution<int> pick({14, 10, 8, 10, 16, 7, 7, 12, 6, 3});
    while (!stop) {
      InFlight f;
      f.op = static_cast<Op>(pick(rng));
      if ((f.op == Op::kModifyPin || f.op == Op::kClearPin) && model_.pins.empty()) f.op = Op::kAddPin;
      if (f.op == Op::kAddPin && model_.pins.size() >= kMaxPins) f.op = Op::kClearPin;
      if (f.op == Op::kModifyPin || f.op == Op::kClearPin) {
        auto it = model_.pins.begin();
        std::advance(it, static_cast<long>(rng() % model_.pins.size()));
        f.index = it->first;
      }
      f.sent = Clock::now();
      in_flight = f;
      if (!Do(*in_flight, rng)) return;  // cut by the kill: stays in flight
      in_flight.reset();
      ++acked_ops_;
    }
  }

  // One operation; false when it got no answer.
  bool Do(InFlight& f, std::mt19937_64& rng) {
    const auto actor = [](Json args) { return HubLink::As(std::move(args)); };
    switch (f.op) {
      case Op::kAddPin: {
        f.data = NextPin();
        const Json r = hub_.Request("set_credential", actor({{"type", "pin"}, {"data", f.data}}));
        if (Unanswered(r)) return false;
        EXPECT_TRUE(r["ok"].get<bool>()) << r.dump();
        if (!r["ok"].get<bool>()) return true;
        const auto index = r["result"]["index"].get<uint32_t>();
        model_.pins[index] = Pin{r["result"]["user"].get<uint32_t>(), f.data};
        model_.touched.push_back(index);
        ++model_.expected_events["change/pin/add"];
        return true;
      }
      case Op::kModifyPin: {
        f.data = NextPin();
        const Json r = hub_.Request("set_credential",
                                    actor({{"action", "modify"}, {"type", "pin"}, {"index", f.index}, {"data", f.data}}));
        if (Unanswered(r)) return false;
        EXPECT_TRUE(r["ok"].get<bool>()) << r.dump();
        if (!r["ok"].get<bool>()) return true;
        model_.pins[f.index].data = f.data;
        model_.touched.push_back(f.index);
        ++model_.expected_events["change/pin/modify"];
        return true;
      }
      case Op::kClearPin: {
        const Json r = hub_.Request("clear_credential", actor({{"type", "pin"}, {"index", f.index}}));
        if (Unanswered(r)) return false;
        EXPECT_TRUE(r["ok"].get<bool>()) << r.dump();
        if (!r["ok"].get<bool>()) return true;
        model_.pins.erase(f.index);
        ++model_.expected_events["change/pin/clear"];
        return true;
      }
      case Op::kSettings: {
        static const char* const kVolumes[] = {"silent", "low", "medium", "high"};
        Json patch{{"name", "door-" + std::to_string(++settings_writes_)},
                   {"sound_volume", kVolumes[rng() % 4]},
                   {"door_ajar_s", static_cast<uint32_t>(rng() % 3601)},
                   {"expiring_user_timeout_min", static_cast<uint32_t>(1 + rng() % 2880)},
                   {"multi_factor_window_s", static_cast<uint32_t>(1 + rng() % 60)},
                   {"one_touch_locking", rng() % 2 == 0}};
        f.settings = model_.settings;
        f.settings.update(patch);
        const Json r = hub_.Request("set_settings", actor({{"settings", patch}}));
        if (Unanswered(r)) return false;
        EXPECT_TRUE(r["ok"].get<bool>()) << r.dump();
        if (!r["ok"].get<bool>()) return true;
        EXPECT_EQ(r["result"], f.settings);
        model_.settings = r["result"];
        ++model_.expected_events["change/settings/modify"];
        return true;
      }
      case Op::kWrongPin: {
        const auto r = Sim("keypad", {{"keys", std::string(kBadDigits) + "#"}});
        if (!r) return false;
        const std::string reason = (*r).value("reason", "");
        if (reason == "invalid_credential") {
          ++model_.wrong_total;
          ++model_.expected_events["error/keypad/invalid_credential"];
          if (model_.wrong_total % kWrongCodeLimit == 0) {
            model_.lockout_start = f.sent;
            ++model_.expected_events["alarm/wrong_code_limit"];
          }
        } else {
          EXPECT_EQ(reason, "lockout") << r->dump();
        }
        return true;
      }
      case Op::kUnlock:
      case Op::kLock: {
        const bool unlock = f.op == Op::kUnlock;
        const Json r = hub_.Request(unlock ? "unlock" : "lock", actor(Json::object()));
        if (Unanswered(r)) return false;
        EXPECT_TRUE(r["ok"].get<bool>()) << r.dump();
        if (r["ok"].get<bool>()) ++model_.expected_events[unlock ? "op/remote/unlock" : "op/remote/lock"];
        return true;
      }
      case Op::kDoor: {
        f.data = rng() % 2 == 0 ? "open" : "closed";
        const auto r = Sim("door", {{"state", f.data}});
        if (!r) return false;
        if (model_.door != f.data) ++model_.expected_events[f.data == "closed" ? "door/closed" : "door/opened"];
        model_.door = f.data;
        return true;
      }
      case Op::kBattery: {
        // Above the low-battery line, so that nothing else changes with it.
        const uint32_t low = core::BatteryMillivolts(30), high = 6000;
        f.index = low + static_cast<uint32_t>(rng() % (high - low + 1));
        const auto r = Sim("battery", {{"millivolts", f.index}});
        if (!r) return false;
        model_.battery_mv = f.index;
        return true;
      }
      case Op::kTime: {
        // A second passes on the lock's clocks (sim-control), so that lockouts end now and then
        // and wrong attempts count again; the lockout's lower bound no longer holds after it.
        const auto r = Sim("clock", {{"advance_s", 1}});
        if (!r) return false;
        model_.lockout_start.reset();
        return true;
      }
    }
    return true;
  }

  // A sim-control input; nullopt when it got no answer (the process died under it).
  std::optional<Json> Sim(const std::string& what, const Json& body) {
    Json r;
    try {
      r = SimHttp(lock_.sim_port(), what, body);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    EXPECT_EQ(r["status"], 200) << what << ": " << r.dump();
    return r["body"];
  }

  std::string NextPin() { return "8" + std::to_string(1000000 + ++pins_made_); }

  // The store exactly as the kill left it, opened by the test before the lock restarts.
  void CheckStore(const std::optional<InFlight>& in_flight) {
    if (in_flight) {
      ++lost_ops_;
      ++cut_by_op_[in_flight->op];
    }
    auto store = store::SqliteLockStore::Open(lock_.data_dir() + "/lock.db");
    ASSERT_TRUE(store.ok()) << "kill " << kill_ << ": the store does not open: " << store.status().ToString();
    core::PersistentState state;
    const core::Status loaded = (*store)->Load(&state);
    ASSERT_TRUE(loaded.ok()) << "kill " << kill_ << ": the store does not load: " << loaded.ToString();
    const core::RuntimeState& rt = state.runtime;

    // LINK.md: a lock sends an event only once it is stored, so it holds every event the hub has.
    const uint64_t hub_seq = hub_.acked_seq();
    EXPECT_GE(rt.last_seq, hub_seq) << "kill " << kill_ << ": the hub has events the lock lost";
    // Every event the hub holds is the lock's own (same hash); the whole log every 20 kills.
    const uint64_t from = kill_ % 20 == 0 || hub_seq < 64 ? 0 : hub_seq - 64;
    std::vector<core::Event> stored;
    ASSERT_TRUE((*store)->ReadEvents(from, 1000000, &stored).ok());
    const auto hub_events = hub_.events();
    for (const core::Event& e : stored) {
      if (e.seq > hub_events.size()) break;
      EXPECT_EQ(hub_events[e.seq - 1]["hash"].get<std::string>(), wire::EventToJson(e)["hash"].get<std::string>())
          << "kill " << kill_ << ": event " << e.seq << " differs between the lock and the hub";
    }
    if (!stored.empty()) {
      EXPECT_EQ(stored.back().seq, rt.last_seq);
      // The lock's own log chains too, from the hash before its first event read here.
      const uint64_t first = stored.front().seq;
      if (first == 1 || first - 1 <= hub_events.size()) {
        const core::Digest prev = first == 1 ? core::Digest{} : HashOf(hub_events[first - 2]);
        EXPECT_EQ(core::VerifyChain(crypto_, prev, stored), std::nullopt) << "kill " << kill_ << ": the lock's log";
      }
    }

    // LOCK-SEMANTICS.md 7: the wrong-code counter persists; it never goes back behind what was
    // acknowledged, and is ahead by at most the one attempt in flight.
    const uint64_t total = rt.door_wrong_ages_ms.size();
    EXPECT_EQ(rt.wrong_attempts, total % kWrongCodeLimit) << "kill " << kill_ << ": the counter disagrees";
    const bool wrong_in_flight = in_flight && in_flight->op == Op::kWrongPin;
    if (in_flight && in_flight->op == Op::kTime) model_.lockout_start.reset();
    EXPECT_GE(total, model_.wrong_total) << "kill " << kill_ << ": the wrong-code counter went backwards";
    EXPECT_LE(total, model_.wrong_total + (wrong_in_flight ? 1 : 0)) << "kill " << kill_;
    if (wrong_in_flight && total > model_.wrong_total && total % kWrongCodeLimit == 0) {
      model_.lockout_start = in_flight->sent;  // the attempt in flight began a lockout
    }
    model_.wrong_total = total;

    // LOCK-SEMANTICS.md 7-8: a running lockout persists with what remains of it: never longer
    // than it began, never shorter than its length less the time since it began (the time the
    // lock was dead does not count), never longer than at the last kill unless a new one began.
    const int64_t remaining = rt.lockout_remaining_ms;
    EXPECT_GE(remaining, 0);
    EXPECT_LE(remaining, kLockoutMs) << "kill " << kill_;
    ExpectLockoutStillRunning(remaining, "in the store");
    if (last_total_ && *last_total_ == total) {
      EXPECT_LE(remaining, last_remaining_) << "kill " << kill_ << ": the lockout grew";
    }
    if (remaining > 0) ++lockout_kills_;
    last_total_ = total;
    last_remaining_ = remaining;
  }

  void ExpectLockoutStillRunning(int64_t remaining, const char* where) {
    if (!model_.lockout_start) return;
    const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *model_.lockout_start).count();
    if (since >= kLockoutMs) return;
    // 5 ms for the lock's millisecond clock.
    EXPECT_GE(remaining, kLockoutMs - since - 5) << "kill " << kill_ << ": the lockout ended early (" << where << ")";
  }

  static core::Digest HashOf(const Json& event) {
    auto e = wire::EventFromJson(event);
    return e.ok() ? e->hash : core::Digest{};
  }

  // The restarted lock: every acknowledged change is there; the one in flight happened whole or
  // not at all. Then the model takes what the lock reports, which must survive the next kill.
  void CheckLock(const std::optional<InFlight>& in_flight) {
    const auto is = [&](Op op) { return in_flight && in_flight->op == op; };
    const Json state = hub_.Request("get_state");
    ASSERT_TRUE(state["ok"].get<bool>()) << state.dump();
    const Json& s = state["result"];

    // Settings (LOCK-SEMANTICS.md 2): all of a write or nothing of it.
    if (is(Op::kSettings)) {
      EXPECT_TRUE(s["settings"] == model_.settings || s["settings"] == in_flight->settings)
          << "kill " << kill_ << ": settings half written: " << s["settings"].dump();
    } else {
      EXPECT_EQ(s["settings"], model_.settings) << "kill " << kill_ << ": acknowledged settings lost";
    }
    model_.settings = s["settings"];

    // Door and battery (LOCK-SEMANTICS.md 8), as last reported to the lock.
    const std::string door = s["door_state"].get<std::string>();
    if (model_.door && !is(Op::kDoor)) {
      if (*model_.door == "closed") {
        EXPECT_EQ(door, "closed") << "kill " << kill_;
      } else {
        EXPECT_TRUE(door == "open" || door == "ajar" || door == "forced_open") << "kill " << kill_ << ": door " << door;
      }
    }
    if (door == "closed") model_.door = "closed";
    else if (door == "open" || door == "ajar" || door == "forced_open") model_.door = "open";
    const auto mv = s["battery"]["millivolts"].get<uint32_t>();
    if (is(Op::kBattery)) {
      EXPECT_TRUE(mv == model_.battery_mv.value_or(mv) || mv == in_flight->index) << "kill " << kill_;
    } else if (model_.battery_mv) {
      EXPECT_EQ(mv, *model_.battery_mv) << "kill " << kill_;
    }
    model_.battery_mv = mv;

    // The lockout as the running lock reports it: resumed with what the store kept, less only
    // the time the lock has been up since.
    const auto remaining = s["lockout_remaining_ms"].get<int64_t>();
    const auto up = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - restart_at_).count();
    EXPECT_LE(remaining, last_remaining_) << "kill " << kill_ << ": the lockout grew over the restart";
    EXPECT_GE(remaining, last_remaining_ - up - 5) << "kill " << kill_ << ": the lockout was cut short by the restart";
    ExpectLockoutStillRunning(remaining, "after the restart");

    // Credentials (LOCK-SEMANTICS.md 4): every acknowledged one, with its owner.
    const Json listed = hub_.Request("list_credentials", {{"type", "pin"}});
    ASSERT_TRUE(listed["ok"].get<bool>()) << listed.dump();
    std::map<uint32_t, uint32_t> on_lock;
    for (const Json& c : listed["result"]) on_lock[c["index"].get<uint32_t>()] = c["user"].get<uint32_t>();
    for (auto it = model_.pins.begin(); it != model_.pins.end();) {
      const auto found = on_lock.find(it->first);
      const bool target = in_flight && (is(Op::kClearPin) || is(Op::kModifyPin)) && in_flight->index == it->first;
      if (found == on_lock.end()) {
        EXPECT_TRUE(target && is(Op::kClearPin)) << "kill " << kill_ << ": acknowledged PIN " << it->first << " lost";
        it = model_.pins.erase(it);
        continue;
      }
      EXPECT_EQ(found->second, it->second.user) << "kill " << kill_ << ": PIN " << it->first << " changed owner";
      ++it;
    }
    for (const auto& [index, user] : on_lock) {
      if (model_.pins.contains(index)) continue;
      // Only the add in flight may have left a PIN the hub never heard of.
      EXPECT_TRUE(is(Op::kAddPin)) << "kill " << kill_ << ": PIN " << index << " appeared from nowhere";
      model_.pins[index] = Pin{user, in_flight ? in_flight->data : std::string()};
      if (is(Op::kAddPin)) model_.touched.push_back(index);
    }
    // The data of every PIN added or changed with an answer is what the lock holds: adding the
    // same digits again is refused as a duplicate (and stores nothing).
    if (is(Op::kModifyPin) && model_.pins.contains(in_flight->index)) {
      // Unknown whether the change took: the new digits either are there or go in afresh.
      const Json probe = hub_.Request("set_credential", HubLink::As({{"type", "pin"}, {"data", in_flight->data}}));
      if (probe["ok"].get<bool>()) {
        model_.pins[probe["result"]["index"].get<uint32_t>()] = Pin{probe["result"]["user"].get<uint32_t>(), in_flight->data};
        ++model_.expected_events["change/pin/add"];
      } else {
        EXPECT_EQ(probe["error"]["code"], "duplicate") << probe.dump();
        model_.pins[in_flight->index].data = in_flight->data;
      }
    }
    for (const uint32_t index : model_.touched) {
      const auto it = model_.pins.find(index);
      if (it == model_.pins.end() || it->second.data.empty()) continue;
      const Json probe = hub_.Request("set_credential", HubLink::As({{"type", "pin"}, {"data", it->second.data}}));
      EXPECT_FALSE(probe["ok"].get<bool>()) << "kill " << kill_ << ": the digits of PIN " << index << " are gone";
      if (probe["ok"].get<bool>()) return;
      EXPECT_EQ(probe["error"]["code"], "duplicate") << probe.dump();
    }
    model_.touched.clear();
    last_event_seq_ = s["last_event_seq"].get<uint64_t>();
  }

  // The hub's log (LOCK-SEMANTICS.md 9, LINK.md): contiguous from seq 1, exactly once, the chain
  // verifying across every restart, and an event for every acknowledged operation.
  void CheckEvents() {
    ASSERT_TRUE(hub_.WaitForSeq(last_event_seq_, 5s))
        << "kill " << kill_ << ": the hub has " << hub_.acked_seq() << " of " << last_event_seq_;
    const auto events = hub_.events();
    std::vector<core::Event> fresh;
    for (std::size_t i = verified_; i < events.size(); ++i) {
      auto event = wire::EventFromJson(events[i]);
      ASSERT_TRUE(event.ok()) << events[i].dump();
      ASSERT_EQ(event->seq, i + 1) << "kill " << kill_ << ": the hub's log has a gap or a repeat";
      ++seen_events_[Signature(events[i])];
      fresh.push_back(std::move(event).value());
    }
    if (!fresh.empty()) {
      ASSERT_EQ(core::VerifyChain(crypto_, last_hash_, fresh), std::nullopt) << "kill " << kill_ << ": the chain breaks";
      last_hash_ = fresh.back().hash;
      verified_ = events.size();
    }
    // One power_cycled alarm per power-up, no more, no less.
    EXPECT_EQ(seen_events_["alarm/power_cycled"], kill_) << "kill " << kill_;
    for (const auto& [signature, count] : model_.expected_events) {
      EXPECT_GE(seen_events_[signature], count) << "kill " << kill_ << ": an acknowledged " << signature << " has no event";
    }
  }

  std::mt19937_64 rng_;
  TempDir dir_;
  LockProcess lock_{dir_.path() + "/lock", {"--motor-ms", "0"}};
  HubLink hub_;
  crypto::SodiumCrypto crypto_{crypto::SecretKey{}};  // the chain hash is unkeyed
  Model model_;
  int kill_ = 0;
  int pins_made_ = 0;
  int settings_writes_ = 0;
  int acked_ops_ = 0;
  int lost_ops_ = 0;
  int lockout_kills_ = 0;
  std::map<Op, int> cut_by_op_;
  uint64_t last_event_seq_ = 0;
  std::size_t verified_ = 0;
  core::Digest last_hash_{};
  std::map<std::string, int> seen_events_;
  std::optional<uint64_t> last_total_;  // no new lockout can begin without a new wrong attempt
  int64_t last_remaining_ = 0;
  Clock::time_point restart_at_;
};

uint64_t Seed() {
  if (const char* env = std::getenv("LATCHKEY_CRASH_SEED")) return std::strtoull(env, nullptr, 10);
  return std::random_device{}();
}

// SECURITY.md crash consistency; LOCK-SEMANTICS.md 7 (counter and lockout persist across power
// loss), 8 ("nothing stored is lost"), 9 (hash chain); LINK.md store and forward. kKills SIGKILLs
// at random moments (0-50 ms into a stream of operations); set LATCHKEY_CRASH_SEED to replay.
TEST(CrashTest, RandomKillsLoseNothingAcknowledged) {
  const uint64_t seed = Seed();
  std::cout << "[ crash    ] seed " << seed << " (LATCHKEY_CRASH_SEED=" << seed << " replays it)" << std::endl;
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  CrashRun run(seed);
  run.Run();
}

// LOCK-SEMANTICS.md 7: "The counter and a running lockout persist across power loss": wrong
// attempts made before a kill count towards the lockout after it, and a lockout running at a
// kill is still running after the restart, with no more time left than it began with.
TEST(CrashTest, WrongCodeCounterAndLockoutSurviveAKill) {
  TempDir dir;
  LockProcess lock(dir.path() + "/lock", {"--motor-ms", "0"});
  lock.Start();
  HubLink hub;
  ASSERT_TRUE(hub.Pair(lock.host(), lock.link_port(), lock.setup_code()));
  const Json set = hub.Request("set_settings", HubLink::As({{"settings", {{"wrong_code_limit", 3}, {"lockout_s", 30}}}}));
  ASSERT_TRUE(set["ok"].get<bool>()) << set.dump();
  const auto wrong = [&] { return SimHttp(lock.sim_port(), "keypad", {{"keys", "1357913#"}})["body"]; };
  ASSERT_EQ(wrong()["reason"], "invalid_credential");
  ASSERT_EQ(wrong()["reason"], "invalid_credential");
  lock.Kill(SIGKILL);
  lock.Start();
  // The third wrong attempt, after the power loss, reaches the limit.
  ASSERT_EQ(wrong()["reason"], "invalid_credential");
  EXPECT_EQ(wrong()["reason"], "lockout") << "two attempts before the kill must still count";
  const auto before = SimHttp(lock.sim_port(), "")["body"]["lockout_remaining_ms"].get<int64_t>();
  EXPECT_GT(before, 0);
  lock.Kill(SIGKILL);
  lock.Start();
  const auto after = SimHttp(lock.sim_port(), "")["body"]["lockout_remaining_ms"].get<int64_t>();
  EXPECT_GT(after, 25000) << "the lockout must survive the kill";
  EXPECT_LE(after, 30000) << "the lockout must not grow";
  EXPECT_EQ(wrong()["reason"], "lockout");
}

// LOCK-SEMANTICS.md 8 ("Power-up after a power loss ... nothing stored is lost"; the bolt is read
// from its sensor) and SECURITY.md crash consistency ("the lock's state ... as they were"): a
// power loss does not move the bolt, so a lock killed while unlocked comes back unlocked.
TEST(CrashTest, BoltPositionIsTheSameAfterAKill) {
  TempDir dir;
  LockProcess lock(dir.path() + "/lock", {"--motor-ms", "0"});
  lock.Start();
  HubLink hub;
  ASSERT_TRUE(hub.Pair(lock.host(), lock.link_port(), lock.setup_code()));
  const Json unlocked = hub.Request("unlock", HubLink::As({}));
  ASSERT_TRUE(unlocked["ok"].get<bool>()) << unlocked.dump();
  ASSERT_EQ(SimHttp(lock.sim_port(), "")["body"]["lock_state"], "unlocked");
  lock.Kill(SIGKILL);
  lock.Start();
  EXPECT_EQ(SimHttp(lock.sim_port(), "")["body"]["lock_state"], "unlocked")
      << "the lock came back from a power loss in another bolt position, with no event for the move";
}

}  // namespace
}  // namespace latchkey::testing
