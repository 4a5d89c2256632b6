// Phone keys through a real hub and real locks (PHONE-KEYS.md 1 and 5; docs/phone-keys.md
// "Issuing and revoking (hub)"): `latchkey hub` pairs two `latchkey lock` processes over the
// real link and gives each its home key right after pairing; the CLI phone enrolls and opens a
// lock with the hub's certificate; keys are issued and listed by role; a revocation reaches a
// connected lock at once, and a lock that was stopped during it when it comes back (both then
// refuse the phone); revoke-all raises the epoch on every lock. The locks' links listen on fixed
// ports so that a restarted lock is found again at the address the hub paired.
#include <signal.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <functional>

#include "cli_run.h"
#include "crypto/base64.h"
#include "hub_harness.h"
#include "tls_harness.h"
#include "wait.h"

namespace latchkey::testing {
namespace {

std::optional<std::string> FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) return std::nullopt;
  return line;
}

// `latchkey ARGS...` as a client of the hub at `port` with `token`, its output in files under `dir`.
CliRun HubCli(const std::string& dir, uint16_t port, const std::string& token, std::vector<std::string> args) {
  return RunCli(dir, std::move(args),
                {"LATCHKEY_URL=http://127.0.0.1:" + std::to_string(port), "LATCHKEY_TOKEN=" + token,
                 "XDG_CONFIG_HOME=" + dir, "HOME=" + dir});
}

// A `latchkey lock` on a loopback port of its own, kept across restarts on the same data folder.
class LockOnPort {
 public:
  explicit LockOnPort(std::string dir) : dir_(std::move(dir)), port_(FreeLoopbackPort()) {}

  void Start() {
    std::filesystem::create_directories(dir_);
    std::filesystem::remove(dir_ + "/link.addr");  // not mistaken for this run's
    std::filesystem::remove(dir_ + "/phone.addr");
    ProcessOptions options;
    options.stdout_path = dir_ + "/process.log";
    ASSERT_TRUE(process_.Start({LATCHKEY_BINARY, "lock", "--data", dir_, "--listen", address(), "--motor-ms", "0",
                                "--phone-listen", "127.0.0.1:0"},
                               options));
    ASSERT_TRUE(WaitUntil([&] { return FirstLine(dir_ + "/link.addr").has_value() || !process_.Running(); }, 10s))
        << "the lock did not start:\n" << Log();
    ASSERT_TRUE(process_.Running()) << "the lock exited:\n" << Log();
  }
  void Stop() { process_.Terminate(5s); }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string setup_code() const { return FirstLine(dir_ + "/setup-code").value_or(""); }
  // This run's phone listener (a new port each run).
  std::string phone_address() const { return FirstLine(dir_ + "/phone.addr").value_or(""); }
  std::string Log() const { return ReadFile(dir_ + "/process.log"); }

 private:
  std::string dir_;
  uint16_t port_;
  Process process_;
};

class HubPhoneKeysLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = FreeLoopbackPort();
    hub_.Spawn({"hub", "--data", hub_.dir() + "/data", "--http", "127.0.0.1:" + std::to_string(port_)});
    ASSERT_TRUE(WaitUntil([&] { return HttpCall(port_, "GET", "/healthz").status == 200; }, 20s, 50ms)) << hub_.Log();
    owner_ = Login("owner", HubDemo::kOwnerPassword);
    ASSERT_FALSE(owner_.empty());
    for (int i = 0; i < 2; ++i) {
      locks_.push_back(std::make_unique<LockOnPort>(hub_.dir() + "/lock-" + std::to_string(i + 1)));
      ASSERT_NO_FATAL_FAILURE(locks_.back()->Start());
      const HttpResult paired = Call("POST", "/api/v1/locks",
                                     Json{{"address", locks_.back()->address()},
                                          {"setup_code", locks_.back()->setup_code()},
                                          {"name", "door " + std::to_string(i + 1)}},
                                     owner_);
      ASSERT_EQ(paired.status, 201) << paired.Describe() << "\n" << hub_.Log();
      ids_.push_back(paired.json["id"].get<std::string>());
    }
  }

  void TearDown() override {
    if (!HasFailure()) return;
    std::cerr << "--- hub log ---\n" << hub_.Log() << "\n";
    for (const auto& lock : locks_) std::cerr << "--- lock log ---\n" << lock->Log() << "\n";
  }

  HttpResult Call(const std::string& method, const std::string& target, const Json& body, const std::string& token) const {
    HttpOptions options;
    options.token = token;
    return HttpCall(port_, method, target, body.is_null() ? "" : body.dump(), options);
  }

  std::string Login(const std::string& username, const std::string& password) const {
    const HttpResult r = Call("POST", "/api/v1/auth/login", Json{{"username", username}, {"password", password}}, "");
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.json.value("token", "");
  }

  std::string Account(const std::string& name, const std::string& role) const {
    const HttpResult r =
        Call("POST", "/api/v1/accounts", Json{{"username", name}, {"password", name + "-password"}, {"role", role}}, owner_);
    EXPECT_EQ(r.status, 201) << r.Describe();
    return Login(name, name + "-password");
  }

  // POST /phone-keys with a phone key of 32 bytes of `fill`.
  HttpResult Issue(const std::string& token, Json body, uint8_t fill) const {
    std::array<uint8_t, 32> phone;
    phone.fill(fill);
    body["phone_public_key"] = crypto::Base64Encode(phone);
    return Call("POST", "/api/v1/phone-keys", body, token);
  }

  // The owner's view of key `serial` (null when absent).
  Json Key(uint64_t serial) const {
    const HttpResult r = Call("GET", "/api/v1/phone-keys", nullptr, owner_);
    for (const Json& key : r.json.is_array() ? r.json : Json::array()) {
      if (key.value("serial", uint64_t{0}) == serial) return key;
    }
    return Json();
  }
  bool WaitApplied(uint64_t serial, const Json& applied, std::chrono::seconds timeout) const {
    return WaitUntil([&] { return Key(serial).value("applied", Json()) == applied; }, timeout, 50ms);
  }

  // `latchkey phone ...` with the phone's folder in the test's, as the owner.
  CliRun Phone(std::vector<std::string> args) const {
    args.insert(args.begin(), "phone");
    args.insert(args.end(), {"--phone-dir", hub_.dir() + "/phone", "--json"});
    return HubCli(hub_.dir(), port_, owner_, args);
  }

  // Lock `id`'s mirrored event that `match` takes (null when none).
  Json FindEvent(const std::string& id, const std::function<bool(const Json&)>& match) const {
    const HttpResult r = Call("GET", "/api/v1/locks/" + id + "/events?limit=1000", nullptr, owner_);
    for (const Json& e : r.json.value("events", Json::array())) {
      if (match(e)) return e;
    }
    return Json();
  }

  // Whether lock `id`'s mirrored history has a change of `data_type`.
  bool HasChange(const std::string& id, const std::string& data_type) const {
    const HttpResult r = Call("GET", "/api/v1/locks/" + id + "/events?kind=change&limit=1000", nullptr, owner_);
    for (const Json& e : r.json.value("events", Json::array())) {
      if (e.value("data_type", "") == data_type) return true;
    }
    return false;
  }

  LatchkeyProcess hub_;
  uint16_t port_ = 0;
  std::string owner_;
  std::vector<std::unique_ptr<LockOnPort>> locks_;
  std::vector<std::string> ids_;
};

TEST_F(HubPhoneKeysLinkTest, KeysAreIssuedByRoleAndRevocationsReachEveryLock) {
  // Pairing gave each lock the hub's home key: the lock recorded it.
  for (const std::string& id : ids_) {
    EXPECT_TRUE(WaitUntil([&] { return HasChange(id, "home_key"); }, 10s, 50ms)) << id << ": no home_key change";
  }

  // The owner's phone (the CLI) enrolls for every lock and opens lock 1 with the hub's
  // certificate; the lock's history names the key.
  const CliRun init = Phone({"init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const CliRun enrolled = Phone({"enroll", "--lock", "*"});
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.out << enrolled.err;
  const Json owners = Json::parse(enrolled.out, nullptr, false);
  ASSERT_TRUE(owners.is_object() && owners.contains("serial")) << enrolled.out;
  EXPECT_EQ(owners["lock"], "*");
  EXPECT_EQ(owners["carries_revocations"], true);
  const uint64_t owner_serial = owners["serial"].get<uint64_t>();
  const CliRun unlocked = Phone({"unlock", "--at", locks_[0]->phone_address()});
  ASSERT_EQ(unlocked.exit_code, 0) << unlocked.out << unlocked.err;
  Json phone_event;
  EXPECT_TRUE(WaitUntil([&] {
    phone_event = FindEvent(ids_[0], [&](const Json& e) {
      return e.value("kind", "") == "lock_operation" && e.value("source", "") == "phone";
    });
    return !phone_event.is_null();
  }, 10s, 50ms));
  EXPECT_EQ(phone_event.value("credential", Json()), (Json{{"type", "phone_key"}, {"index", 0}, {"serial", owner_serial}}))
      << phone_event.dump();

  // A member enrolls its own phone, not another account's, and sees only its own keys.
  const std::string alice = Account("alice", "member");
  Account("bob", "member");
  const HttpResult for_bob = Issue(alice, Json{{"account", "bob"}}, 'a');
  EXPECT_EQ(for_bob.status, 403) << for_bob.Describe();
  EXPECT_EQ(for_bob.json["error"]["code"], "forbidden");
  const HttpResult alices = Issue(alice, Json{{"lock", ids_[0]}}, 'a');
  ASSERT_EQ(alices.status, 201) << alices.Describe();
  const HttpResult mine = Call("GET", "/api/v1/phone-keys", nullptr, alice);
  ASSERT_EQ(mine.status, 200);
  ASSERT_EQ(mine.json.size(), 1u) << mine.Describe();
  EXPECT_EQ(mine.json[0]["account"], "alice");

  // Lock 2 is stopped; the owner's key is revoked: lock 1 applies it at once, lock 2 not yet.
  locks_[1]->Stop();
  ASSERT_TRUE(WaitUntil([&] { return !Call("GET", "/api/v1/locks/" + ids_[1], nullptr, owner_).json.value("online", true); },
                        10s, 50ms));
  const HttpResult revoked = Call("DELETE", "/api/v1/phone-keys/" + std::to_string(owner_serial), nullptr, owner_);
  ASSERT_EQ(revoked.status, 200) << revoked.Describe();
  EXPECT_EQ(revoked.json["revoked"], true);
  EXPECT_TRUE(WaitApplied(owner_serial, Json{{ids_[0], true}, {ids_[1], false}}, 10s)) << Key(owner_serial).dump();
  EXPECT_TRUE(WaitUntil([&] { return HasChange(ids_[0], "phone_revocations"); }, 10s, 50ms));
  const CliRun refused = Phone({"unlock", "--at", locks_[0]->phone_address()});
  EXPECT_NE(refused.exit_code, 0) << "a revoked key opened lock 1: " << refused.out;
  // Lock 2 comes back on the same folder and port: the hub gives it the list when it connects.
  ASSERT_NO_FATAL_FAILURE(locks_[1]->Start());
  EXPECT_TRUE(WaitApplied(owner_serial, Json{{ids_[0], true}, {ids_[1], true}}, 20s)) << Key(owner_serial).dump();
  const CliRun refused_too = Phone({"unlock", "--at", locks_[1]->phone_address()});
  EXPECT_NE(refused_too.exit_code, 0) << "a revoked key opened lock 2: " << refused_too.out;

  // Revoke-all: a new epoch, and alice's key (issued before) counts as revoked once applied.
  const HttpResult all = Call("POST", "/api/v1/phone-keys/revoke-all", nullptr, owner_);
  ASSERT_EQ(all.status, 200) << all.Describe();
  EXPECT_EQ(all.json["epoch"], 1);
  EXPECT_EQ(all.json["version"], 2);
  const uint64_t alice_serial = alices.json["serial"].get<uint64_t>();
  EXPECT_TRUE(WaitApplied(alice_serial, Json{{ids_[0], true}}, 10s)) << Key(alice_serial).dump();
  const HttpResult list = Call("GET", "/api/v1/phone-keys/revocations", nullptr, owner_);
  EXPECT_EQ(list.json["epoch"], 1);
  EXPECT_EQ(list.json["revoked"], Json::array());
  EXPECT_EQ(Issue(owner_, Json{{"lock", ids_[1]}}, 'n').json["epoch"], 1);

  // The phone enrolls again, then the hub goes away: the door still opens (PHONE-KEYS.md: the
  // lock checks everything itself, offline).
  const CliRun again = Phone({"enroll", "--lock", ids_[0]});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  hub_.Stop();
  const CliRun offline = Phone({"unlock", "--at", locks_[0]->phone_address()});
  ASSERT_EQ(offline.exit_code, 0) << offline.out << offline.err;
  EXPECT_EQ(Json::parse(offline.out, nullptr, false).value("lock_state", ""), "unlocked") << offline.out;
}

}  // namespace
}  // namespace latchkey::testing
