// The whole demo killed with SIGKILL at random moments (SECURITY.md crash consistency, ETSI EN
// 303 645 5.9, seen from the API): a real `latchkey demo` (the hub and a simulated lock as its
// child) takes mixed traffic through the hub (accounts, users, PINs, cards, schedules, settings,
// remote lock/unlock, keypad entries right and wrong, door events, history reads), and is killed
// many times, some kills landing mid-request. The lock dies with the demo (PR_SET_PDEATHSIG):
// no process of the demo survives. After each restart on the same folder:
// - every acknowledged (2xx) account, user, credential (as listed), schedule and setting is
//   there, and nothing else changed; only the one request in flight at the kill may or may not
//   have happened;
// - every event the hub had served in history before the kill is still there, unchanged;
// - the lock's events, once it has reconnected, continue the hub's mirror with no gap and no
//   duplicate (seqs 1..N), the hash chain verifies, and the owner's login still works.
#include <dirent.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>

#include "hub_harness.h"
#include "wait.h"

namespace latchkey::testing {
namespace {

constexpr int kRounds = 20;
constexpr const char* kWrongPin = "1357913";  // stored PINs are 8 digits starting with 8
// The settings the traffic changes, with the values it picks from.
const std::map<std::string, std::vector<Json>>& SettingChoices() {
  static const std::map<std::string, std::vector<Json>> choices = {
      {"sound_volume", {"silent", "low", "medium", "high"}},
      {"door_ajar_s", {0, 600, 900, 1800}},
      {"multi_factor_window_s", {5, 10, 20, 30}},
      {"expiring_user_timeout_min", {30, 60, 120}},
      {"one_touch_locking", {true, false}},
  };
  return choices;
}

// Every live process (not a zombie) whose command line mentions `text`.
std::vector<pid_t> ProcessesMentioning(const std::string& text) {
  std::vector<pid_t> found;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return found;
  while (dirent* entry = ::readdir(proc)) {
    const std::string name = entry->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream cmdline("/proc/" + name + "/cmdline");
    std::stringstream args;
    args << cmdline.rdbuf();
    if (args.str().find(text) == std::string::npos) continue;
    std::ifstream stat("/proc/" + name + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto paren = line.rfind(')');
    if (paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] == 'Z') continue;
    found.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  ::closedir(proc);
  return found;
}

// The observable state the test manages, by key ("account/NAME", "user/I", "sched/U/I",
// "cred/TYPE/I", "setting/NAME"); an absent key is an absent thing.
using State = std::map<std::string, Json>;

// The request in flight when the demo died: it may or may not have taken effect. `prefix` names
// the keys it may have changed (one of them at most); `value` what such a key then holds
// (null: removed; absent: anything); `cascade` the keys it removes along with it.
struct Pending {
  std::string prefix;
  std::optional<Json> value;
  std::vector<std::string> cascade;
};

bool Cascades(const std::vector<std::string>& cascade, const std::string& key) {
  for (const std::string& c : cascade) {
    if (c.back() == '/' ? key.rfind(c, 0) == 0 : key == c) return true;
  }
  return false;
}

class DemoCrashTest : public ::testing::Test {
 protected:
  DemoCrashTest() : demo_(1), rng_(std::random_device{}()), kill_rng_(std::random_device{}()) {}
  void TearDown() override {
    if (HasFailure()) std::cerr << demo_.Log() << "\n" << demo_.LockLog(1) << "\n";
  }

  std::string L() const { return "/api/v1/locks/" + lock_; }
  HttpResult Owner(const std::string& method, const std::string& target, const Json& body = nullptr) const {
    return demo_.Call(method, target, body, demo_.owner_token());
  }
  int Pick(int from, int to) { return std::uniform_int_distribution<int>(from, to)(rng_); }

  // The state as the hub and the lock show it now.
  State Read() const {
    State state;
    const HttpResult accounts = Owner("GET", "/api/v1/accounts");
    EXPECT_EQ(accounts.status, 200) << accounts.Describe();
    for (const Json& a : accounts.json) state["account/" + a["username"].get<std::string>()] = a["role"];
    const HttpResult users = Owner("GET", L() + "/users");
    EXPECT_EQ(users.status, 200) << users.Describe();
    for (const Json& u : users.json) {
      const std::string index = std::to_string(u["index"].get<int>());
      state["user/" + index] = Json{{"name", u["name"]}};
      for (const Json& s : u["week_day_schedules"]) {
        state["sched/" + index + "/" + std::to_string(s["index"].get<int>())] =
            Json{{"days", s["days"]}, {"start", s["start"]}, {"end", s["end"]}};
      }
    }
    const HttpResult creds = Owner("GET", L() + "/credentials");
    EXPECT_EQ(creds.status, 200) << creds.Describe();
    for (const Json& c : creds.json) {
      if (c["type"] == "programming_pin") continue;
      state["cred/" + c["type"].get<std::string>() + "/" + std::to_string(c["index"].get<int>())] =
          Json{{"user", c["user"]}};
    }
    const Json lock = demo_.LockObject(lock_);
    EXPECT_TRUE(lock.is_object() && lock.contains("settings")) << lock.dump();
    for (const auto& [name, values] : SettingChoices()) {
      if (lock.is_object() && lock["settings"].contains(name)) state["setting/" + name] = lock["settings"][name];
    }
    state["setting/wrong_code_limit"] = lock.is_object() ? lock["settings"].value("wrong_code_limit", Json()) : Json();
    return state;
  }

  // Every event of the lock in the hub's mirror, by seq, paged; a duplicate seq fails the test.
  std::map<uint64_t, Json> History() const {
    std::map<uint64_t, Json> events;
    uint64_t after = 0;
    while (true) {
      const HttpResult page = Owner("GET", L() + "/events?limit=1000&after=" + std::to_string(after));
      EXPECT_EQ(page.status, 200) << page.Describe();
      if (page.status != 200 || page.json["events"].empty()) break;
      for (const Json& e : page.json["events"]) {
        const uint64_t seq = e["seq"].get<uint64_t>();
        EXPECT_GT(seq, after) << "history out of order or repeated: " << e.dump();
        EXPECT_TRUE(events.emplace(seq, e).second) << "seq " << seq << " served twice";
        after = std::max(after, seq);
      }
    }
    return events;
  }

  // One request of the traffic, chosen at random; what it changes goes to `model_` when it is
  // acknowledged, to `pending_` while it is in flight. False once the demo does not answer.
  bool OneRequest() {
    const int kind = Pick(0, 99);
    std::string method, target, key;
    Json body = nullptr;
    std::optional<Json> effect;  // the key's value once acknowledged (null: removed)
    std::optional<std::string> pin_data;
    bool any_value = false;     // the key is only known from the answer (a schedule's index)
    std::vector<std::string> cascade;  // what goes with it (keys; "prefix/" for all below)
    std::string schedule_user;  // for a schedule
    std::vector<int> users;
    for (const auto& [k, v] : model_) {
      if (k.rfind("user/", 0) == 0) users.push_back(std::stoi(k.substr(5)));
    }
    if (kind < 12 || users.empty()) {
      const int index = Pick(1, 20);
      const std::string name = "u" + std::to_string(Pick(0, 99999));
      std::tie(method, target, body) = std::tuple("POST", L() + "/users", Json{{"index", index}, {"name", name}});
      key = "user/" + std::to_string(index);
      effect = Json{{"name", name}};
    } else if (kind < 18) {
      const int user = users[static_cast<std::size_t>(Pick(0, static_cast<int>(users.size()) - 1))];
      const std::string name = "r" + std::to_string(Pick(0, 99999));
      std::tie(method, target, body) = std::tuple("PATCH", L() + "/users/" + std::to_string(user), Json{{"name", name}});
      key = "user/" + std::to_string(user);
      effect = Json{{"name", name}};
    } else if (kind < 32) {
      const bool pin = kind < 26;
      const int user = users[static_cast<std::size_t>(Pick(0, static_cast<int>(users.size()) - 1))];
      const int index = Pick(1, 30);
      std::string data = "8";
      if (pin) {
        for (int i = 0; i < 7; ++i) data += static_cast<char>('0' + Pick(0, 9));
      } else {
        data.clear();
        for (int i = 0; i < 16; ++i) data += "0123456789abcdef"[Pick(0, 15)];
      }
      std::tie(method, target, body) = std::tuple(
          "POST", L() + "/credentials", Json{{"type", pin ? "pin" : "rfid"}, {"index", index}, {"data", data}, {"user", user}});
      key = std::string("cred/") + (pin ? "pin/" : "rfid/") + std::to_string(index);
      effect = Json{{"user", user}};
      if (pin) pin_data = data;
    } else if (kind < 36) {
      std::vector<std::string> creds;
      for (const auto& [k, v] : model_) {
        if (k.rfind("cred/", 0) == 0) creds.push_back(k);
      }
      if (creds.empty()) return Door();
      key = creds[static_cast<std::size_t>(Pick(0, static_cast<int>(creds.size()) - 1))];
      method = "DELETE";
      target = L() + "/credentials/" + key.substr(5);
      effect = Json();
      // LOCK-SEMANTICS.md 4: a user whose last credential is cleared is deleted with its schedules.
      const Json owner = model_[key]["user"];
      const bool last = std::none_of(creds.begin(), creds.end(), [&](const std::string& k) { return k != key && model_[k]["user"] == owner; });
      if (last && owner.is_number()) {
        cascade = {"user/" + owner.dump(), "sched/" + owner.dump() + "/"};
      }
    } else if (kind < 42) {
      const int user = users[static_cast<std::size_t>(Pick(0, static_cast<int>(users.size()) - 1))];
      const int start = Pick(0, 11);
      Json days = Json::array();
      for (const char* d : {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}) {
        if (Pick(0, 1) == 1) days.push_back(d);
      }
      if (days.empty()) days.push_back("sun");
      char start_text[8], end_text[8];
      std::snprintf(start_text, sizeof start_text, "%02d:00", start);
      std::snprintf(end_text, sizeof end_text, "%02d:30", start + Pick(1, 12));
      schedule_user = std::to_string(user);
      std::tie(method, target, body) =
          std::tuple("POST", L() + "/users/" + schedule_user + "/schedules",
                     Json{{"kind", "week_day"}, {"days", days}, {"start", start_text}, {"end", end_text}});
      key = "sched/" + schedule_user + "/";
      any_value = true;
    } else if (kind < 50) {
      auto it = SettingChoices().begin();
      std::advance(it, Pick(0, static_cast<int>(SettingChoices().size()) - 1));
      const Json value = it->second[static_cast<std::size_t>(Pick(0, static_cast<int>(it->second.size()) - 1))];
      std::tie(method, target, body) = std::tuple("PATCH", L() + "/settings", Json{{it->first, value}});
      key = "setting/" + it->first;
      effect = value;
    } else if (kind < 53) {
      const std::string name = "acct-" + std::to_string(++accounts_made_) + "-" + std::to_string(Pick(0, 999999));
      std::tie(method, target, body) = std::tuple(
          "POST", "/api/v1/accounts", Json{{"username", name}, {"password", "member-password-1"}, {"role", "member"}});
      key = "account/" + name;
      effect = "member";
    } else if (kind < 62) {
      std::tie(method, target, body) = std::tuple("POST", L() + (Pick(0, 1) ? "/unlock" : "/lock"), Json::object());
    } else if (kind < 72) {
      std::string keys = kWrongPin;
      if (!pins_.empty() && Pick(0, 2) > 0) {
        auto it = pins_.begin();
        std::advance(it, Pick(0, static_cast<int>(pins_.size()) - 1));
        keys = it->second;
      }
      std::tie(method, target, body) = std::tuple("POST", L() + "/sim/keypad", Json{{"keys", keys + "#"}});
    } else if (kind < 84) {
      return Door();
    } else {
      return ReadHistory();
    }

    if (!key.empty()) {
      std::lock_guard lock(mu_);
      pending_ = Pending{key, any_value ? std::nullopt : effect, cascade};
    }
    const HttpResult r = demo_.Call(method, target, body, demo_.owner_token());
    std::lock_guard lock(mu_);
    if (r.status == 0) {
      // Refused at connect: the request never reached the demo.
      if (r.transport_error.rfind("connect", 0) == 0) pending_.reset();
      return false;
    }
    pending_.reset();
    ++answered_;
    EXPECT_LT(r.status, 500) << method << " " << target << " " << body.dump() << " -> " << r.Describe();
    if (r.status < 200 || r.status >= 300 || key.empty()) return true;
    ++acknowledged_;
    if (any_value) {
      model_[key + std::to_string(r.json["index"].get<int>())] =
          Json{{"days", r.json["days"]}, {"start", r.json["start"]}, {"end", r.json["end"]}};
    } else if (effect->is_null()) {
      model_.erase(key);
      std::erase_if(model_, [&](const auto& entry) { return Cascades(cascade, entry.first); });
      if (key.rfind("cred/pin/", 0) == 0) pins_.erase(std::stoi(key.substr(9)));
    } else {
      model_[key] = *effect;
      if (pin_data) pins_[std::stoi(key.substr(9))] = *pin_data;
    }
    return true;
  }

  bool Door() {
    door_open_ = !door_open_;
    const HttpResult r = Owner("POST", L() + "/sim/door", Json{{"state", door_open_ ? "open" : "closed"}});
    EXPECT_TRUE(r.status == 0 || r.status == 200) << r.Describe();
    return r.status != 0;
  }

  // Reads the history past what was served before; what the hub serves is remembered.
  bool ReadHistory() {
    uint64_t after = 0;
    {
      std::lock_guard lock(mu_);
      if (!served_.empty()) after = served_.rbegin()->first;
    }
    const HttpResult page = Owner("GET", L() + "/events?limit=1000&after=" + std::to_string(after));
    if (page.status == 0) return false;
    EXPECT_EQ(page.status, 200) << page.Describe();
    std::lock_guard lock(mu_);
    for (const Json& e : page.json["events"]) served_[e["seq"].get<uint64_t>()] = e;
    return true;
  }

  // After a restart: the acknowledged state, the served history and the mirror's chain.
  void CheckAfterRestart(int round) {
    SCOPED_TRACE("after kill " + std::to_string(round));
    const State actual = Read();
    std::set<std::string> keys;
    for (const auto& [k, v] : model_) keys.insert(k);
    for (const auto& [k, v] : actual) keys.insert(k);
    int uncertain = 0;
    for (const std::string& key : keys) {
      const auto m = model_.find(key);
      const auto a = actual.find(key);
      const Json want = m == model_.end() ? Json() : m->second;
      const Json got = a == actual.end() ? Json() : a->second;
      if (want == got) continue;
      // Only the request in flight at the kill may have changed something unacknowledged.
      const bool maybe = pending_ && key.rfind(pending_->prefix, 0) == 0 && (!pending_->value || *pending_->value == got);
      if (maybe && ++uncertain == 1) continue;
      if (pending_ && got.is_null() && Cascades(pending_->cascade, key)) continue;
      ADD_FAILURE() << key << ": acknowledged " << want.dump() << ", after the restart " << got.dump()
                    << (pending_ ? " (in flight at the kill: " + pending_->prefix + ")" : "");
    }
    model_ = actual;  // the in-flight request is now settled one way or the other
    for (auto it = pins_.begin(); it != pins_.end();) {
      it = model_.contains("cred/pin/" + std::to_string(it->first)) ? std::next(it) : pins_.erase(it);
    }
    pending_.reset();

    // The lock reconnected and sent what the hub had not stored: its mirror is complete.
    ASSERT_TRUE(demo_.WaitMirrored(lock_, 20s)) << "the mirror did not catch up with the lock";
    const std::map<uint64_t, Json> history = History();
    ASSERT_FALSE(history.empty());
    EXPECT_EQ(history.begin()->first, 1u);
    EXPECT_EQ(history.rbegin()->first, history.size()) << "a gap in the seqs (1.." << history.rbegin()->first << ")";
    const HttpResult sim = demo_.SimControl(lock_, "");
    EXPECT_EQ(sim.json.value("last_event_seq", uint64_t{0}), history.rbegin()->first) << sim.Describe();
    for (const auto& [seq, event] : served_) {
      const auto it = history.find(seq);
      if (it == history.end()) {
        ADD_FAILURE() << "served event " << seq << " is gone: " << event.dump();
      } else {
        EXPECT_EQ(it->second, event) << "served event " << seq << " changed";
      }
    }
    const HttpResult verify = Owner("GET", L() + "/events/verify");
    EXPECT_EQ(verify.status, 200) << verify.Describe();
    EXPECT_EQ(verify.json.value("ok", false), true) << verify.Describe();
    EXPECT_EQ(verify.json.value("last_seq", uint64_t{0}), history.rbegin()->first) << verify.Describe();
    // Everything now in the mirror counts as served from here on.
    served_ = history;
  }

  HubDemo demo_;
  std::mt19937 rng_;       // the traffic thread's
  std::mt19937 kill_rng_;  // the killer's
  std::string lock_;
  std::mutex mu_;  // the traffic thread and the killer share what was acknowledged
  State model_;
  std::optional<Pending> pending_;
  std::map<int, std::string> pins_;  // PIN credential index -> its digits (acknowledged)
  std::map<uint64_t, Json> served_;
  bool door_open_ = false;
  int accounts_made_ = 0;
  int answered_ = 0, acknowledged_ = 0;
};

TEST_F(DemoCrashTest, AcknowledgedStateAndServedHistorySurviveSigkillOfTheWholeDemo) {
  ASSERT_NO_FATAL_FAILURE(demo_.Start());
  lock_ = demo_.lock_ids()[0];
  // Many wrong keypad entries are part of the traffic: no lockout in the way of the right ones.
  ASSERT_EQ(Owner("PATCH", L() + "/settings", Json{{"wrong_code_limit", 255}}).status, 200);
  model_ = Read();
  int mid_request = 0;
  for (int round = 1; round <= kRounds; ++round) {
    // The demo's own processes (the hub is the demo; the lock is its child).
    const std::vector<pid_t> before = ProcessesMentioning(demo_.data_dir());
    EXPECT_GE(before.size(), 2u) << "the demo and its lock";

    std::atomic<bool> stop{false};
    std::thread traffic([&] {
      while (!stop && OneRequest()) {
      }
    });
    const bool between_requests = round % 4 == 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(150, 1200)(kill_rng_)));
    if (between_requests) {
      stop = true;
      traffic.join();
    }
    {
      std::lock_guard lock(mu_);
      demo_.Kill();
      mid_request += pending_ ? 1 : 0;
    }
    stop = true;
    if (traffic.joinable()) traffic.join();

    // PR_SET_PDEATHSIG: the lock ends with the demo. Nothing of the demo survives.
    (void)latchkey::testing::WaitUntil([&] { return ProcessesMentioning(demo_.data_dir()).empty(); }, 10s);
    ASSERT_TRUE(ProcessesMentioning(demo_.data_dir()).empty()) << "a process of the killed demo survived";

    ASSERT_NO_FATAL_FAILURE(demo_.Start()) << "restart after kill " << round;  // logs the owner in
    ASSERT_EQ(demo_.lock_ids()[0], lock_);
    ASSERT_NO_FATAL_FAILURE(CheckAfterRestart(round));
  }
  // The traffic was real: most requests were answered and many acknowledged, and kills landed
  // while a request was under way.
  std::cerr << "demo crash test: " << kRounds << " kills (" << mid_request << " mid-request), " << answered_
            << " requests answered, " << acknowledged_ << " state changes acknowledged, " << served_.size() << " events\n";
  EXPECT_GT(acknowledged_, 3 * kRounds);
  EXPECT_GT(mid_request, 0);
  // An account made in the traffic logs in after all the kills.
  for (const auto& [key, role] : model_) {
    if (key.rfind("account/acct-", 0) != 0) continue;
    EXPECT_FALSE(demo_.Login(key.substr(8), "member-password-1").empty());
    break;
  }
}

}  // namespace
}  // namespace latchkey::testing
