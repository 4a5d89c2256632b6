// The hub's guards in front of a lock (docs/hub.md "Remote PIN attempts" and "Requests in flight
// to a lock"), on a real `latchkey demo`:
// - remote PIN guessing is bounded per account and per lock: past the budget, PIN commands get 429
//   `rate_limited` with `retry_after_s` without reaching the lock, a grant in between resets
//   nothing, another account is held back only by the lock's budget, and the owner (not the guest)
//   gets a `hub_alarm` on the stream;
// - (HubInFlightTest) any number of parallel commands to one lock is answered (by the lock, or
//   429 `busy`) and the link to the lock stays up.
// Regressions (issue 9 items 2 and 8): every remote PIN went to the lock (a PIN fell after 793
// guesses in 14 s, no alarm); more than 32 parallel commands made the lock drop the hub's link
// (180 of 200 got 503).
#include <atomic>
#include <thread>

#include "hub_harness.h"

namespace latchkey::testing {
namespace {

class HubLimitsTest : public SharedDemoTest<HubLimitsTest, 1> {
 protected:
  void Prepare() override {
    a_ = D().lock_ids()[0];
    // The PIN everybody of this test knows (a household member's).
    ASSERT_EQ(Owner("POST", L() + "/users", Json{{"index", 4}, {"name", "household"}}).status, 201);
    ASSERT_EQ(Owner("POST", L() + "/credentials", Json{{"type", "pin"}, {"data", kPin}, {"user", 4}}).status, 201);
  }

  static constexpr const char* kPin = "731946";
  static std::string L() { return "/api/v1/locks/" + a_; }
  static HttpResult Owner(const std::string& method, const std::string& target, const Json& body = nullptr) {
    return D().Call(method, target, body, D().owner_token());
  }
  static std::string Stream(const std::string& token) { return "/api/v1/stream?token=" + UrlEncode(token); }
  static uint64_t LockSeq() { return D().SimControl(a_, "").json.value("last_event_seq", uint64_t{0}); }
  static bool IsPinAlarm(const Json& m, const std::string& scope) {
    return m.value("type", "") == "hub_alarm" && m.value("alarm", "") == "remote_pin_limit" && m.value("scope", "") == scope;
  }

  static inline std::string a_;
};

TEST_F(HubLimitsTest, RemotePinGuessingIsRateLimitedAndTheOwnerIsAlarmed) {
  const std::string guest = D().CreateAccount(
      Json{{"username", "l-guest"}, {"password", "guest-password-1"}, {"role", "guest"}, {"locks", {a_}}});
  const std::string member = D().CreateAccount(
      Json{{"username", "l-member"}, {"password", "member-password-1"}, {"role", "member"}, {"locks", {a_}}});
  ASSERT_FALSE(guest.empty());
  ASSERT_FALSE(member.empty());
  WsClient owner_ws, guest_ws;
  ASSERT_EQ(owner_ws.Connect(D().port(), Stream(D().owner_token())), 101) << owner_ws.refusal_body();
  ASSERT_EQ(guest_ws.Connect(D().port(), Stream(guest)), 101) << guest_ws.refusal_body();

  // The attack of issue 9: two wrong PINs, the guest's known PIN (granted), one more wrong PIN.
  const auto unlock = [&](const std::string& token, const std::string& pin) {
    return D().Call("POST", L() + "/unlock", Json{{"pin", pin}}, token);
  };
  HttpResult r = unlock(guest, "000001");
  ASSERT_EQ(r.status, 403) << r.Describe();
  EXPECT_EQ(r.json["error"].value("reason", ""), "invalid_credential") << r.body;
  ASSERT_EQ(unlock(guest, "000002").status, 403);
  r = unlock(guest, kPin);
  ASSERT_EQ(r.status, 200) << "a right PIN between wrong ones is granted: " << r.Describe();
  ASSERT_EQ(Owner("POST", L() + "/lock").status, 200);
  ASSERT_EQ(unlock(guest, "000003").status, 403) << "the third wrong PIN still reaches the lock";

  // The account's budget (3 wrong an hour) is spent: refused at the hub, even with the right PIN.
  const uint64_t seq_before = LockSeq();
  for (const std::string pin : {"000004", kPin}) {
    r = unlock(guest, pin);
    ASSERT_EQ(r.status, 429) << "PIN " << pin << ": " << r.Describe();
    EXPECT_EQ(r.error_code(), "rate_limited") << r.body;
    const int64_t retry = r.json["error"].value("retry_after_s", int64_t{0});
    EXPECT_GT(retry, 3000) << r.body;
    EXPECT_LE(retry, 3600) << r.body;
    EXPECT_EQ(r.header("retry-after"), std::to_string(retry));
  }
  EXPECT_EQ(D().Call("POST", L() + "/unlatch", Json{{"pin", kPin}}, guest).status, 429) << "every PIN command";
  EXPECT_EQ(LockSeq(), seq_before) << "a refused PIN command reached the lock";

  // The owner hears of it; the guest does not.
  const auto alarm = owner_ws.WaitFor([](const Json& m) { return IsPinAlarm(m, "account"); }, 5s);
  ASSERT_TRUE(alarm.has_value()) << "no alarm for the owner: " << Json(owner_ws.All()).dump();
  EXPECT_EQ((*alarm)["lock"], a_);
  EXPECT_EQ((*alarm)["account"], "l-guest");
  EXPECT_EQ((*alarm)["wrong_attempts"], 3);
  EXPECT_EQ((*alarm)["blocked_for_s"], 3600);
  EXPECT_TRUE((*alarm)["blocked_until"].is_string());

  // Another account is not held back by the guest's block: the member's right PIN opens.
  r = unlock(member, kPin);
  EXPECT_EQ(r.status, 200) << "the guest's guessing blocked another account: " << r.Describe();
  ASSERT_EQ(Owner("POST", L() + "/lock").status, 200);

  // Two wrong PINs of the member make five for the lock within the hour: the lock's budget is
  // spent, for every account's PIN commands (not for commands without a PIN).
  ASSERT_EQ(unlock(member, "000005").status, 403);
  ASSERT_EQ(unlock(member, "000006").status, 403);
  r = D().Call("POST", L() + "/unlock", Json{{"pin", kPin}}, D().owner_token());
  EXPECT_EQ(r.status, 429) << r.Describe();
  EXPECT_GE(r.json["error"].value("retry_after_s", int64_t{0}), 3500) << r.body;
  EXPECT_EQ(Owner("POST", L() + "/unlock").status, 200) << "a command without a PIN is not limited";
  ASSERT_EQ(Owner("POST", L() + "/lock").status, 200);
  const auto lock_alarm = owner_ws.WaitFor([](const Json& m) { return IsPinAlarm(m, "lock"); }, 5s);
  ASSERT_TRUE(lock_alarm.has_value()) << Json(owner_ws.All()).dump();
  EXPECT_EQ((*lock_alarm)["account"], "l-member");

  for (const Json& m : guest_ws.Settle()) {
    EXPECT_NE(m.value("type", ""), "hub_alarm") << "a guest got the hub's alarm: " << m.dump();
  }
}

// Its own demo, with a bolt that takes a second to travel (the shared demos' bolt is instant, so
// commands never pile up at the lock there): 200 alternating lock/unlock commands arrive while the
// bolt moves, and each waits for it to stop.
class HubInFlightTest : public ::testing::Test {
 protected:
  void SetUp() override {
    demo_ = std::make_unique<HubDemo>(1, std::vector<std::string>{"--motor-ms", "1000"});
    ASSERT_NO_FATAL_FAILURE(demo_->Start());
    a_ = demo_->lock_ids()[0];
  }
  void TearDown() override {
    if (HasFailure() && demo_) std::cerr << demo_->Log() << "\n";
  }
  HubDemo& D() { return *demo_; }
  std::string L() const { return "/api/v1/locks/" + a_; }
  HttpResult Owner(const std::string& method, const std::string& target) {
    return demo_->Call(method, target, nullptr, demo_->owner_token());
  }
  std::unique_ptr<HubDemo> demo_;
  std::string a_;
};

TEST_F(HubInFlightTest, TwoHundredParallelCommandsNeverDropTheLink) {
  ASSERT_TRUE(D().WaitOnline(a_, true, 10s));
  const std::size_t offline_lines_before = [&] {
    const std::string log = D().Log();
    std::size_t n = 0;
    for (std::size_t at = log.find("offline:"); at != std::string::npos; at = log.find("offline:", at + 1)) ++n;
    return n;
  }();
  constexpr int kCalls = 200;
  std::vector<HttpResult> results(kCalls);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready < kCalls) std::this_thread::yield();  // all at once
      // From eight loopback addresses (25 each): the HTTP server's per-address cap (64) is not
      // what this test is about; the hub's per-lock cap is.
      HttpOptions options;
      options.token = D().owner_token();
      options.source_address = "127.0.1." + std::to_string(2 + i % 8);
      // Alternating, so that each waits for the bolt (an unlock of an unlocked lock answers at
      // once and never piles up at the lock).
      results[i] = HttpCall(D().port(), "POST", L() + (i % 2 == 0 ? "/unlock" : "/lock"), "", options);
    });
  }
  for (auto& t : threads) t.join();
  std::map<std::string, int> outcomes;
  for (const HttpResult& r : results) {
    const std::string key = std::to_string(r.status) + (r.error_code().empty() ? "" : " " + r.error_code());
    ++outcomes[key];
    if (r.status == 200) continue;
    if (r.status == 429) {
      EXPECT_EQ(r.error_code(), "busy") << r.Describe();
      EXPECT_GE(r.json["error"].value("retry_after_s", int64_t{0}), 1) << r.body;
      EXPECT_FALSE(r.header("retry-after").empty());
      continue;
    }
    ADD_FAILURE() << "neither the lock's answer nor 429: " << r.Describe() << " " << r.transport_error;
  }
  std::string summary;
  for (const auto& [k, n] : outcomes) summary += k + ": " + std::to_string(n) + "; ";
  std::cout << "200 parallel commands to one lock: " << summary << "\n";
  // At least what the hub sends at once and queues (16 + 64) is answered by the lock.
  EXPECT_GE(outcomes["200"], 80) << summary;
  // The link stayed up all along: the lock is online and the hub never saw it go offline.
  EXPECT_TRUE(D().LockObject(a_).value("online", false));
  const std::string log = D().Log();
  std::size_t offline_lines = 0;
  for (std::size_t at = log.find("offline:"); at != std::string::npos; at = log.find("offline:", at + 1)) ++offline_lines;
  EXPECT_EQ(offline_lines, offline_lines_before) << "the link dropped: " << log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
  // And it still works.
  EXPECT_EQ(Owner("POST", L() + "/lock").status, 200);
}

}  // namespace
}  // namespace latchkey::testing
