// Offline guest codes through a real hub and a real lock (OFFLINE-CODES.md; docs/offline-codes.md):
// `latchkey hub` pairs one `latchkey lock` over the real link, which gives the lock its
// offline-code key; codes are issued through the API (and the CLI) while the lock's link is cut
// (sim `network` {connected: false}: the lock runs on, only its link to the hub is down) and typed
// on the lock's keypad through its own sim control, with its simulated clock moved by sim `clock`.
// The lock listens on fixed ports (link and sim control), so that a restarted lock process is
// found again at the address the hub paired.
#include <filesystem>
#include <fstream>
#include <functional>

#include "cli_run.h"
#include "harness.h"
#include "hub_harness.h"
#include "platform/time_format.h"
#include "tls_harness.h"
#include "wait.h"

namespace latchkey::testing {
namespace {

constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kMinuteMs = 60'000;

std::optional<std::string> FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) return std::nullopt;
  return line;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
int64_t HourFloor(int64_t ms) { return ms / kHourMs * kHourMs; }
std::string Rfc(int64_t ms) { return platform::FormatRfc3339Ms(ms); }

// A `latchkey lock` with its link and its sim control on loopback ports of its own, kept across
// restarts on the same data folder (a power cycle: the process ends and starts again).
class SimLock {
 public:
  explicit SimLock(std::string dir) : dir_(std::move(dir)), link_port_(FreeLoopbackPort()), sim_port_(FreeLoopbackPort()) {}

  void Start() {
    std::filesystem::create_directories(dir_);
    std::filesystem::remove(dir_ + "/link.addr");  // not mistaken for this run's
    std::filesystem::remove(dir_ + "/sim-control.addr");
    ProcessOptions options;
    options.stdout_path = dir_ + "/process.log";
    ASSERT_TRUE(process_.Start({LATCHKEY_BINARY, "lock", "--data", dir_, "--listen", address(), "--sim-control",
                                "127.0.0.1:" + std::to_string(sim_port_), "--motor-ms", "0"},
                               options));
    ASSERT_TRUE(WaitUntil([&] {
      return (FirstLine(dir_ + "/link.addr") && FirstLine(dir_ + "/sim-control.addr")) || !process_.Running();
    }, 10s)) << "the lock did not start:\n" << Log();
    ASSERT_TRUE(process_.Running()) << "the lock exited:\n" << Log();
    secret_ = FirstLine(dir_ + "/sim-control.secret").value_or("");
  }
  void Stop() { process_.Terminate(5s); }

  std::string address() const { return "127.0.0.1:" + std::to_string(link_port_); }
  std::string setup_code() const { return FirstLine(dir_ + "/setup-code").value_or(""); }
  std::string Log() const { return ReadFile(dir_ + "/process.log"); }

  // POST /sim/<what> on the lock itself; {"status", "body"}.
  Json Sim(const std::string& what, const Json& body = Json::object()) const { return SimHttp(sim_port_, what, body, secret_); }
  // Keys typed on the outside keypad: the lock's decision {"result", "reason"?, ...}.
  Json Type(const Json& code) const { return Type(code.get<std::string>()); }
  Json Type(const std::string& code) const {
    const Json r = Sim("keypad", Json{{"keys", code + "#"}});
    EXPECT_EQ(r.value("status", 0), 200) << r.dump();
    return r.value("body", Json::object());
  }
  // The lock's wall clock jumps to `unix_ms` (sim `clock` `set`).
  void SetClock(int64_t unix_ms) const {
    const Json r = Sim("clock", Json{{"set", platform::FormatRfc3339Ms(unix_ms)}});
    EXPECT_EQ(r.value("status", 0), 200) << r.dump();
  }
  // Cuts or restores the lock's link to the hub (sim `network`).
  void Network(bool connected) const {
    const Json r = Sim("network", Json{{"connected", connected}});
    EXPECT_EQ(r.value("status", 0), 200) << r.dump();
  }

 private:
  std::string dir_;
  uint16_t link_port_;
  uint16_t sim_port_;
  std::string secret_;
  Process process_;
};

::testing::AssertionResult Granted(const Json& decision) {
  if (decision.value("result", "") == "granted") return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "refused: " << decision.dump();
}
::testing::AssertionResult Refused(const Json& decision, const std::string& reason) {
  if (decision.value("result", "") == "denied" && decision.value("reason", "") == reason) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "not refused with " << reason << ": " << decision.dump();
}

class HubOfflineCodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = FreeLoopbackPort();
    hub_.Spawn({"hub", "--data", hub_.dir() + "/data", "--http", "127.0.0.1:" + std::to_string(port_)});
    ASSERT_TRUE(WaitUntil([&] { return HttpCall(port_, "GET", "/healthz").status == 200; }, 20s, 50ms)) << hub_.Log();
    owner_ = Login("owner", HubDemo::kOwnerPassword);
    ASSERT_FALSE(owner_.empty());
    lock_ = std::make_unique<SimLock>(hub_.dir() + "/lock");
    ASSERT_NO_FATAL_FAILURE(lock_->Start());
    const HttpResult paired = Call(
        "POST", "/api/v1/locks", Json{{"address", lock_->address()}, {"setup_code", lock_->setup_code()}, {"name", "Front door"}},
        owner_);
    ASSERT_EQ(paired.status, 201) << paired.Describe() << "\n" << hub_.Log();
    id_ = paired.json["id"].get<std::string>();
    // Pairing (the first connect) gave the lock its offline-code key: it recorded the change.
    ASSERT_TRUE(WaitUntil([&] { return HasChange("offline_key"); }, 15s, 50ms)) << "the lock got no offline-code key";
  }

  void TearDown() override {
    if (!HasFailure()) return;
    std::cerr << "--- hub log ---\n" << hub_.Log() << "\n--- lock log ---\n" << lock_->Log() << "\n";
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
    const HttpResult r = Call("POST", "/api/v1/accounts",
                              Json{{"username", name}, {"password", name + "-password"}, {"role", role}}, owner_);
    EXPECT_EQ(r.status, 201) << r.Describe();
    return Login(name, name + "-password");
  }

  std::string Codes(const std::string& rest = "") const { return "/api/v1/locks/" + id_ + "/offline-codes" + rest; }
  // POST .../offline-codes as the owner; the new code (its 201 checked).
  Json Issue(Json body) const {
    const HttpResult r = Call("POST", Codes(), body, owner_);
    EXPECT_EQ(r.status, 201) << r.Describe();
    return r.json;
  }
  Json Window(int64_t from_ms, int64_t until_ms, bool one_time = false) const {
    Json body{{"starts_at", Rfc(from_ms)}, {"ends_at", Rfc(until_ms)}};
    if (one_time) body["one_time"] = true;
    return Issue(body);
  }
  // The owner's view of code `id` (null when absent).
  Json Listed(const std::string& id) const {
    const HttpResult r = Call("GET", Codes(), nullptr, owner_);
    for (const Json& c : r.json.is_array() ? r.json : Json::array()) {
      if (c.value("id", "") == id) return c;
    }
    return Json();
  }
  Json Listed(const Json& id) const { return Listed(id.get<std::string>()); }
  bool WaitStatus(const Json& id, const std::string& status, std::chrono::seconds timeout) const {
    return WaitUntil([&] { return Listed(id).value("status", "") == status; }, timeout, 50ms);
  }
  bool HasChange(const std::string& data_type) const {
    const HttpResult r = Call("GET", "/api/v1/locks/" + id_ + "/events?kind=change&limit=1000", nullptr, owner_);
    for (const Json& e : r.json.value("events", Json::array())) {
      if (e.value("data_type", "") == data_type) return true;
    }
    return false;
  }
  bool WaitOnline(bool online) const {
    return WaitUntil([&] { return Call("GET", "/api/v1/locks/" + id_, nullptr, owner_).json.value("online", !online) == online; },
                     20s, 50ms);
  }
  // `latchkey ARGS...` against the hub as the owner, in UTC.
  CliRun Cli(std::vector<std::string> args) const {
    return RunCli(hub_.dir(), std::move(args),
                  {"LATCHKEY_URL=http://127.0.0.1:" + std::to_string(port_), "LATCHKEY_TOKEN=" + owner_,
                   "XDG_CONFIG_HOME=" + hub_.dir(), "HOME=" + hub_.dir(), "TZ=UTC"});
  }

  LatchkeyProcess hub_;
  uint16_t port_ = 0;
  std::string owner_;
  std::unique_ptr<SimLock> lock_;
  std::string id_;
};

// A code issued while the lock's link is cut opens inside its window, and not before or after.
TEST_F(HubOfflineCodesTest, ACodeIssuedWhileTheLockIsCutOffOpensOnlyInItsWindow) {
  lock_->Network(false);
  ASSERT_TRUE(WaitOnline(false));
  const int64_t from = HourFloor(NowMs()) + 2 * kHourMs;
  const Json code = Window(from + 15 * kMinuteMs, from + 2 * kHourMs - 15 * kMinuteMs);  // rounded to from..from+2h
  ASSERT_TRUE(code.contains("code")) << code.dump();
  EXPECT_EQ(code["starts_at"], Rfc(from));
  EXPECT_EQ(code["ends_at"], Rfc(from + 2 * kHourMs));
  EXPECT_EQ(code["lock_has_key"], true);
  const std::string digits = code["code"].get<std::string>();

  EXPECT_TRUE(Refused(lock_->Type(digits), "restricted")) << "before its window";
  lock_->SetClock(from - kMinuteMs);
  EXPECT_TRUE(Refused(lock_->Type(digits), "restricted")) << "a minute before its window";
  lock_->SetClock(from + kMinuteMs);
  EXPECT_TRUE(Granted(lock_->Type(digits))) << "inside its window";
  lock_->SetClock(from + 2 * kHourMs - kMinuteMs);
  EXPECT_TRUE(Granted(lock_->Type(digits))) << "a window code opens again inside its window";
  lock_->SetClock(from + 2 * kHourMs);
  EXPECT_TRUE(Refused(lock_->Type(digits), "restricted")) << "its window has ended";

  // Back online, the hub learns from the lock's history that the code was used.
  lock_->Network(true);
  ASSERT_TRUE(WaitOnline(true));
  EXPECT_TRUE(WaitUntil([&] { return Listed(code["id"]).contains("used_at"); }, 15s, 50ms)) << Listed(code["id"]).dump();
}

// A one-time code opens once, and once only even after the lock's process was restarted.
TEST_F(HubOfflineCodesTest, AOneTimeCodeOpensOnceEvenAcrossAPowerCycle) {
  const int64_t now = NowMs();
  const Json code = Window(now, now + 2 * kHourMs, /*one_time=*/true);
  EXPECT_EQ(code["type"], "one_time");
  const std::string digits = code["code"].get<std::string>();
  EXPECT_TRUE(Granted(lock_->Type(digits)));
  EXPECT_TRUE(Refused(lock_->Type(digits), "disabled_user")) << "used";
  EXPECT_TRUE(WaitStatus(code["id"], "used", 15s)) << Listed(code["id"]).dump();

  lock_->Stop();
  ASSERT_NO_FATAL_FAILURE(lock_->Start());
  EXPECT_TRUE(Refused(lock_->Type(digits), "disabled_user")) << "used, after a power cycle";
  ASSERT_TRUE(WaitOnline(true));
  // The same window and kind would be the same 12 digits, used already: refused. An hour longer
  // is another code, and it opens once too.
  const HttpResult same = Call("POST", Codes(), Json{{"starts_at", Rfc(now)}, {"ends_at", Rfc(now + 2 * kHourMs)},
                                                      {"one_time", true}}, owner_);
  EXPECT_EQ(same.status, 409) << same.Describe();
  EXPECT_EQ(same.error_code(), "duplicate");
  const Json other = Window(now, now + 3 * kHourMs, /*one_time=*/true);
  EXPECT_NE(other["code"], code["code"]);
  EXPECT_TRUE(Granted(lock_->Type(other["code"])));
  EXPECT_TRUE(Refused(lock_->Type(other["code"]), "disabled_user"));
}

// A revocation reaches a connected lock at once, an offline one when it connects; the API says
// which, and the code opens until the revocation reached the lock.
TEST_F(HubOfflineCodesTest, ARevokedCodeIsRefusedOnceTheRevocationReachedTheLock) {
  const int64_t now = NowMs();
  const Json a = Window(now, now + 3 * kHourMs);
  const Json b = Window(now, now + 4 * kHourMs);
  const HttpResult at_once = Call("DELETE", Codes("/" + a["id"].get<std::string>()), nullptr, owner_);
  ASSERT_EQ(at_once.status, 200) << at_once.Describe();
  EXPECT_EQ(at_once.json["status"], "revoked");
  EXPECT_EQ(at_once.json["delivered"], true);
  EXPECT_TRUE(Refused(lock_->Type(a["code"]), "disabled_user"));

  lock_->Network(false);
  ASSERT_TRUE(WaitOnline(false));
  const HttpResult queued = Call("DELETE", Codes("/" + b["id"].get<std::string>()), nullptr, owner_);
  ASSERT_EQ(queued.status, 200) << queued.Describe();
  EXPECT_EQ(queued.json["status"], "revocation_pending");
  EXPECT_EQ(queued.json["delivered"], false);
  EXPECT_TRUE(Granted(lock_->Type(b["code"]))) << "the lock has not heard of it yet";

  lock_->Network(true);
  ASSERT_TRUE(WaitStatus(b["id"], "revoked", 20s)) << Listed(b["id"]).dump();
  EXPECT_EQ(Listed(b["id"])["delivered"], true);
  EXPECT_TRUE(Refused(lock_->Type(b["code"]), "disabled_user"));
  EXPECT_TRUE(HasChange("offline_revocations"));
}

// A clear code typed at the door ends every code issued before it, without the hub.
TEST_F(HubOfflineCodesTest, AClearCodeRevokesEveryEarlierOne) {
  lock_->Network(false);
  ASSERT_TRUE(WaitOnline(false));
  const int64_t now = NowMs();
  const Json before = Window(now, now + 3 * kHourMs);
  const Json clear = Issue(Json{{"clear", true}});
  EXPECT_EQ(clear["type"], "clear");
  EXPECT_EQ(clear["delivered"], false);
  const Json after = Window(now, now + 3 * kHourMs);
  EXPECT_EQ(Listed(before["id"])["status"], "cleared");
  EXPECT_EQ(Listed(after["id"])["status"], "issued");

  EXPECT_TRUE(Granted(lock_->Type(before["code"]))) << "the lock has not seen the clear code yet";
  EXPECT_TRUE(Granted(lock_->Type(clear["code"])));
  EXPECT_TRUE(Refused(lock_->Type(before["code"]), "disabled_user")) << "cleared at the door";
  EXPECT_TRUE(Granted(lock_->Type(after["code"]))) << "issued after the clear code";
  EXPECT_TRUE(Refused(lock_->Type(clear["code"]), "disabled_user")) << "a clear code opens once";

  // Back online: the hub hears the lock's generation, so the clear is delivered.
  lock_->Network(true);
  EXPECT_TRUE(WaitUntil([&] { return Listed(before["id"]).value("delivered", false); }, 20s, 50ms))
      << Listed(before["id"]).dump();
  EXPECT_TRUE(WaitStatus(clear["id"], "used", 15s)) << Listed(clear["id"]).dump();
  // The lock now takes a second clear at once.
  const Json again = Issue(Json{{"clear", true}});
  EXPECT_EQ(again["delivered"], true) << again.dump();
  EXPECT_TRUE(Refused(lock_->Type(after["code"]), "disabled_user")) << "cleared over the link";
}

// Wrong 12-digit codes count as wrong codes: the lockout stops guessing, a good code included.
TEST_F(HubOfflineCodesTest, GuessingIsCountedByTheLockout) {
  const int64_t now = NowMs();
  const Json code = Window(now, now + 2 * kHourMs);
  const int limit = Call("GET", "/api/v1/locks/" + id_, nullptr, owner_).json["settings"].value("wrong_code_limit", 5);
  for (int i = 0; i < limit; ++i) {
    const std::string guess = std::to_string(100'000'000'000 + int64_t{i} * 7'919'001);  // 12 digits, each another
    const Json decision = lock_->Type(guess);
    EXPECT_EQ(decision.value("result", ""), "denied") << "guess " << i << ": " << decision.dump();
    EXPECT_NE(decision.value("reason", ""), "lockout") << "guess " << i << " came too early into the lockout";
  }
  EXPECT_TRUE(Refused(lock_->Type(code["code"]), "lockout")) << "after " << limit << " wrong codes";
  EXPECT_TRUE(WaitUntil([&] {
    const HttpResult r = Call("GET", "/api/v1/locks/" + id_ + "/events?kind=alarm&limit=100", nullptr, owner_);
    for (const Json& e : r.json.value("events", Json::array())) {
      if (e.value("alarm", "") == "wrong_code_limit") return true;
    }
    return false;
  }, 15s, 50ms)) << "no wrong_code_limit alarm";
}

// `latchkey code add|list|rm` against the real hub.
TEST_F(HubOfflineCodesTest, TheCommandLineIssuesListsAndRevokes) {
  const int64_t from = HourFloor(NowMs());
  const CliRun added = Cli({"code", "add", "Front door", "--from", Rfc(from + 5 * kMinuteMs), "--until",
                            Rfc(from + 3 * kHourMs), "--one-time", "--name", "Cleaner", "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.out << added.err;
  const Json code = Json::parse(added.out, nullptr, false);
  ASSERT_TRUE(code.is_object() && code.contains("code")) << added.out;
  EXPECT_EQ(code["type"], "one_time");
  EXPECT_EQ(code["starts_at"], Rfc(from));
  EXPECT_EQ(code["name"], "Cleaner");

  // Human output: the code in groups, the window in local time (UTC here).
  const std::string local = platform::FormatRfc3339Ms(from + 24 * kHourMs).substr(0, 10);
  const CliRun human = Cli({"code", "add", id_, "--from", local + " 08:00", "--until", local + " 12:30"});
  ASSERT_EQ(human.exit_code, 0) << human.out << human.err;
  EXPECT_NE(human.out.find("then #"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find(local + " 08:00 – 13:00 (+00:00)"), std::string::npos) << human.out;

  const CliRun listed = Cli({"code", "list", "Front door"});
  ASSERT_EQ(listed.exit_code, 0) << listed.out << listed.err;
  const std::string id = code["id"].get<std::string>();
  const std::string digits = code["code"].get<std::string>();
  EXPECT_NE(listed.out.find(id), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find(digits.substr(0, 4) + " " + digits.substr(4, 4) + " " + digits.substr(8)), std::string::npos)
      << listed.out;
  EXPECT_NE(listed.out.find("Cleaner"), std::string::npos) << listed.out;

  EXPECT_TRUE(Granted(lock_->Type(digits)));
  const CliRun removed = Cli({"code", "rm", "Front door", id});
  ASSERT_EQ(removed.exit_code, 0) << removed.out << removed.err;
  EXPECT_NE(removed.out.find("revoked"), std::string::npos) << removed.out;
  EXPECT_EQ(Listed(id)["status"], "revoked");

  const CliRun bad = Cli({"code", "add", "Front door", "--from", "tomorrow", "--until", "later"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  const CliRun ended = Cli({"code", "add", "Front door", "--from", Rfc(from - 5 * kHourMs), "--until",
                            Rfc(from - 4 * kHourMs)});
  EXPECT_EQ(ended.exit_code, 1) << ended.out << ended.err;
  EXPECT_NE(ended.err.find("ends_at"), std::string::npos) << ended.err;
  const CliRun unknown = Cli({"code", "rm", "Front door", "0123456789abcdef"});
  EXPECT_EQ(unknown.exit_code, 1);
}

// Members and guests may not issue or list codes; an unknown lock is not found; a bad window is
// refused naming the field, and nothing is stored.
TEST_F(HubOfflineCodesTest, OnlyOwnersAndAdminsIssueAndBadWindowsStoreNothing) {
  const int64_t now = NowMs();
  const Json window{{"starts_at", Rfc(now)}, {"ends_at", Rfc(now + kHourMs)}};
  for (const auto& [name, role] : {std::pair{"mel", "member"}, std::pair{"gil", "guest"}}) {
    const std::string token = Account(name, role);
    EXPECT_EQ(Call("POST", Codes(), window, token).status, 403) << role;
    EXPECT_EQ(Call("GET", Codes(), nullptr, token).status, 403) << role;
  }
  EXPECT_EQ(Call("POST", "/api/v1/locks/lk-0000000000000000/offline-codes", window, owner_).status, 404);
  const std::vector<std::pair<Json, std::string>> bad = {
      {Json{{"starts_at", Rfc(now + kHourMs)}, {"ends_at", Rfc(now)}}, "ends_at"},
      {Json{{"starts_at", Rfc(now)}, {"ends_at", Rfc(now + 1000 * kHourMs)}}, "ends_at"},
      {Json{{"starts_at", Rfc(now - 48 * kHourMs)}, {"ends_at", Rfc(now + kHourMs)}}, "starts_at"},
      {Json{{"starts_at", Rfc(now - 5 * kHourMs)}, {"ends_at", Rfc(now - 4 * kHourMs)}}, "ends_at"},
      {Json{{"starts_at", "soon"}, {"ends_at", Rfc(now + kHourMs)}}, "starts_at"},
      {Json{{"starts_at", Rfc(now)}, {"ends_at", Rfc(now + kHourMs)}, {"one_time", 1}}, "one_time"},
  };
  for (const auto& [body, field] : bad) {
    const HttpResult r = Call("POST", Codes(), body, owner_);
    EXPECT_EQ(r.status, 400) << body.dump() << " -> " << r.Describe();
    EXPECT_EQ(r.error_message().rfind(field + ":", 0), 0u) << r.Describe();
  }
  const HttpResult listed = Call("GET", Codes(), nullptr, owner_);
  ASSERT_EQ(listed.status, 200) << listed.Describe();
  EXPECT_EQ(listed.json, Json::array()) << "nothing stored";
}

}  // namespace
}  // namespace latchkey::testing
