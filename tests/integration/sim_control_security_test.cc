// Issue 9, item 12 (SECURITY.md "The simulation is no backdoor"): a simulated lock's sim-control
// server answers only requests with this run's secret, a JSON body and no browser origin; the
// hub's sim routes refuse guests.
#include <sys/stat.h>

#include <csignal>

#include "harness.h"
#include "hub_harness.h"

namespace latchkey::testing {
namespace {

class SimControlSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lock_ = std::make_unique<LockProcess>(dir_.path() + "/lock");
    ASSERT_NO_FATAL_FAILURE(lock_->Start());
    EXPECT_EQ(lock_->sim_secret().size(), 64u) << "256 bits in hex in DATA/sim-control.secret";
    // A PIN to type, as the web page would.
    ASSERT_TRUE(hub_.Pair(lock_->host(), lock_->link_port(), lock_->setup_code()));
    const Json pin = hub_.Request("set_credential", HubLink::As(Json{{"type", "pin"}, {"data", "246810"}}));
    ASSERT_TRUE(pin.value("ok", false)) << pin.dump();
  }
  std::string LockState() { return SimHttp(lock_->sim_port(), "")["body"].value("lock_state", ""); }
  uint64_t LastSeq() { return SimHttp(lock_->sim_port(), "")["body"].value("last_event_seq", uint64_t{0}); }
  // A raw POST /sim/keypad with the right PIN, as anything on the machine could send it.
  HttpResult Keypad(const HttpOptions& options) {
    return HttpCall(lock_->sim_port(), "POST", "/sim/keypad", R"({"keys":"246810#"})", options);
  }

  TempDir dir_;
  std::unique_ptr<LockProcess> lock_;
  HubLink hub_;
};

TEST_F(SimControlSecurityTest, SecretFileIsPrivateAndNewEachRun) {
  struct stat st {};
  ASSERT_EQ(::stat((lock_->data_dir() + "/sim-control.secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string first = lock_->sim_secret();
  lock_->Kill(SIGTERM);
  ASSERT_NO_FATAL_FAILURE(lock_->Start());
  EXPECT_NE(lock_->sim_secret(), first) << "a per-run secret";
  EXPECT_EQ(SimHttp(lock_->sim_port(), "", Json::object(), first)["status"], 401) << "the last run's secret still works";
}

TEST_F(SimControlSecurityTest, TextPlainPostWithoutSecretIsRefusedAndTheLockDoesNotMove) {
  ASSERT_EQ(LockState(), "locked");
  const uint64_t before = LastSeq();
  // What a web page can send anywhere without asking first: text/plain, no custom header.
  HttpOptions page;
  page.content_type = "text/plain";
  const HttpResult r = Keypad(page);
  EXPECT_EQ(r.status, 401) << r.Describe();
  EXPECT_EQ(r.error_code(), "unauthorized");
  // Even with the secret, text/plain is refused.
  HttpOptions text_with_secret = page;
  text_with_secret.headers["X-Sim-Secret"] = lock_->sim_secret();
  const HttpResult t = Keypad(text_with_secret);
  EXPECT_EQ(t.status, 415) << t.Describe();
  // And a form.
  HttpOptions form = text_with_secret;
  form.content_type = "application/x-www-form-urlencoded";
  EXPECT_EQ(Keypad(form).status, 415);
  EXPECT_EQ(LockState(), "locked") << "the bolt moved";
  EXPECT_EQ(LastSeq(), before) << "a refused request reached the lock's world";
}

TEST_F(SimControlSecurityTest, WrongOrMissingSecretIsRefused) {
  HttpOptions json;  // application/json
  EXPECT_EQ(Keypad(json).status, 401);
  std::string wrong = lock_->sim_secret();
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  json.headers["X-Sim-Secret"] = wrong;
  EXPECT_EQ(Keypad(json).status, 401);
  json.headers["X-Sim-Secret"] = lock_->sim_secret().substr(0, 32);
  EXPECT_EQ(Keypad(json).status, 401) << "a prefix of the secret";
  json.headers["X-Sim-Secret"] = "";
  EXPECT_EQ(Keypad(json).status, 401);
  // GET /state needs it too (the lock's state is not for every page to read).
  EXPECT_EQ(HttpCall(lock_->sim_port(), "GET", "/state").status, 401);
  EXPECT_EQ(LockState(), "locked");
}

TEST_F(SimControlSecurityTest, BrowserOriginIsRefusedEvenWithTheSecret) {
  HttpOptions browser;
  browser.headers["X-Sim-Secret"] = lock_->sim_secret();
  browser.headers["Origin"] = "https://evil.example";
  const HttpResult r = Keypad(browser);
  EXPECT_EQ(r.status, 403) << r.Describe();
  EXPECT_EQ(r.error_code(), "forbidden");
  browser.headers["Origin"] = "null";
  EXPECT_EQ(Keypad(browser).status, 403);
  browser.headers.erase("Origin");
  browser.headers["Sec-Fetch-Site"] = "same-site";
  EXPECT_EQ(Keypad(browser).status, 403);
  EXPECT_EQ(LockState(), "locked");
}

TEST_F(SimControlSecurityTest, SecretAndJsonWork) {
  HttpOptions ok;
  ok.headers["X-Sim-Secret"] = lock_->sim_secret();
  ok.content_type = "application/json; charset=utf-8";
  const HttpResult r = Keypad(ok);
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.json.value("result", ""), "granted");
  // The hub, not anybody else, is told the secret over the link.
  EXPECT_EQ(hub_.last_state().value("sim_control_secret", ""), lock_->sim_secret());
  const Json state = hub_.Request("get_state");
  EXPECT_FALSE(state["result"].contains("sim_control_secret")) << "get_state answers carry no secret";
  EXPECT_FALSE(SimHttp(lock_->sim_port(), "")["body"].contains("sim_control_secret"));
}

// Through the hub: guests cannot use sim inputs; members can; the hub forwards with the secret
// while the link is cut.
class HubSimSecurityTest : public SharedDemoTest<HubSimSecurityTest, 1> {};

TEST_F(HubSimSecurityTest, GuestGets403MemberAndOwnerWork) {
  const std::string id = D().lock_ids()[0];
  const std::string L = "/api/v1/locks/" + id;
  const std::string guest = D().CreateAccount(
      Json{{"username", "sim-guest"}, {"password", "guest-password-1"}, {"role", "guest"}, {"locks", {id}}});
  const std::string member = D().CreateAccount(
      Json{{"username", "sim-member"}, {"password", "member-password-1"}, {"role", "member"}, {"locks", {id}}});
  ASSERT_FALSE(guest.empty() || member.empty());
  HttpResult r = D().Call("POST", L + "/sim/door", Json{{"state", "open"}}, guest);
  EXPECT_EQ(r.status, 403) << r.Describe();
  EXPECT_EQ(r.error_code(), "forbidden");
  r = D().Call("POST", L + "/sim/keypad", Json{{"keys", "000000#"}}, guest);
  EXPECT_EQ(r.status, 403) << r.Describe();
  r = D().Call("POST", L + "/sim/door", Json{{"state", "closed"}}, member);
  EXPECT_EQ(r.status, 200) << r.Describe();

  // The link cut: the hub reaches the lock's sim-control server with the secret it was told.
  r = D().Call("POST", L + "/sim/network", Json{{"connected", false}}, D().owner_token());
  ASSERT_EQ(r.status, 200) << r.Describe();
  ASSERT_TRUE(D().WaitOnline(id, false, 5s));
  r = D().Call("POST", L + "/sim/door", Json{{"state", "closed"}}, guest);
  EXPECT_EQ(r.status, 403) << "a guest through the forward: " << r.Describe();
  r = D().Call("POST", L + "/sim/network", Json{{"connected", true}}, D().owner_token());
  EXPECT_EQ(r.status, 200) << "the forward with the secret: " << r.Describe();
  EXPECT_TRUE(D().WaitOnline(id, true, 10s));
}

}  // namespace
}  // namespace latchkey::testing
