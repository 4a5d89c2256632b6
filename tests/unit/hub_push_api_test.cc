// The hub's Web Push API through its router, in-process (a Hub started on a temporary folder):
// the VAPID key (made once, 0600, the same after a restart), subscriptions (own only, the same
// endpoint updates, at most 10, bad keys and non-https endpoints a 400, addresses the
// destination policy refuses a 403 unless push_allow lists them, writes only from a login
// session), the notification settings (defaults, patches, a bad value changes nothing), and an
// account's deletion taking its subscriptions and settings with it.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "crypto/base64.h"
#include "hub/push/p256.h"
#include "hub_fixture.h"
#include "store/sqlite_db.h"
#include "store/sqlite_query.h"

namespace latchkey::hub {
namespace {

// RFC 8291's user agent key and secret: a valid subscription's keys.
constexpr const char* kP256dh =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
constexpr const char* kAuth = "BTBZMqHH6r4Tts7J_aSIgg";

class HubPushApiTest : public testing::HubFixture {
 protected:
  void SetUp() override { Start(); }
  void Configure(HubOptions& options) override { options.push_allow = push_allow_; }

  // Starts the hub (again) with these push_allow entries, the owner logged in.
  void Start(std::vector<std::string> push_allow = {}) {
    push_allow_ = std::move(push_allow);
    StartAsOwner();
  }

  static Json Subscription(const std::string& endpoint, const std::string& name = "phone") {
    return Json{{"endpoint", endpoint}, {"keys", {{"p256dh", kP256dh}, {"auth", kAuth}}}, {"name", name}};
  }

  std::size_t Stored() {
    std::size_t n = 0;
    for (const char* who : {"owner", "ann"}) {
      auto listed = hub_->store().ListPushSubscriptions(who);
      if (listed.ok()) n += listed->size();
    }
    return n;
  }

  std::vector<std::string> push_allow_;
};

TEST_F(HubPushApiTest, TheVapidKeyIsMadeOnceAndServedToEveryAccount) {
  const std::string guest = MakeAccount("gus", "guest", Json{{"locks", Json::array()}});
  const Answer a = Call("GET", "/api/v1/push/vapid-public-key", nullptr, guest);
  ASSERT_EQ(a.status, 200u) << a.Describe();
  const std::string key = a.json.value("public_key", "");
  const auto point = crypto::Base64UrlDecode(key, 65);
  ASSERT_TRUE(point && point->size() == 65) << key;
  EXPECT_TRUE(push::P256FromPublic(*point).ok());
  EXPECT_EQ(Call("GET", "/api/v1/push/vapid-public-key").status, 401u);
  const std::string path = dir_ + "/vapid-key";
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_EQ(Call("GET", "/api/v1/push/vapid-public-key", nullptr, owner_).json.value("public_key", ""), key);
}

TEST_F(HubPushApiTest, SubscriptionsAreTheAccountsOwn) {
  const std::string ann = MakeAccount("ann", "member");
  const Answer made = Call("POST", "/api/v1/push/subscriptions", Subscription("https://push.example.net/a1"), ann);
  ASSERT_EQ(made.status, 201u) << made.Describe();
  const std::string id = made.json.value("id", "");
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(made.json.value("endpoint", ""), "https://push.example.net/a1");
  EXPECT_EQ(made.json.value("name", ""), "phone");
  EXPECT_TRUE(made.json.contains("created_at"));
  EXPECT_FALSE(made.json.contains("keys")) << "the keys stay in the hub";
  // The same browser again: the same subscription, updated.
  Json again = Subscription("https://push.example.net/a1", "pixel");
  again["expirationTime"] = nullptr;  // as PushSubscription.toJSON() writes it
  const Answer updated = Call("POST", "/api/v1/push/subscriptions", again, ann);
  ASSERT_EQ(updated.status, 200u) << updated.Describe();
  EXPECT_EQ(updated.json.value("id", ""), id);
  EXPECT_EQ(updated.json.value("name", ""), "pixel");
  // Another account's endpoint may be the same browser: its own subscription.
  const Answer owners = Call("POST", "/api/v1/push/subscriptions", Subscription("https://push.example.net/a1"), owner_);
  ASSERT_EQ(owners.status, 201u) << owners.Describe();
  EXPECT_NE(owners.json.value("id", ""), id);

  const Answer listed = Call("GET", "/api/v1/push/subscriptions", nullptr, ann);
  ASSERT_EQ(listed.status, 200u);
  ASSERT_EQ(listed.json.size(), 1u);
  EXPECT_EQ(listed.json[0].value("id", ""), id);
  EXPECT_EQ(listed.json[0].value("name", ""), "pixel");
  // Another's is not found, not forbidden.
  EXPECT_EQ(Call("DELETE", "/api/v1/push/subscriptions/" + id, nullptr, owner_).status, 404u);
  EXPECT_EQ(Call("DELETE", "/api/v1/push/subscriptions/nope", nullptr, ann).status, 404u);
  EXPECT_EQ(Call("DELETE", "/api/v1/push/subscriptions/" + id, nullptr, ann).status, 204u);
  EXPECT_TRUE(Call("GET", "/api/v1/push/subscriptions", nullptr, ann).json.empty());
  EXPECT_EQ(Call("GET", "/api/v1/push/subscriptions", nullptr, owner_).json.size(), 1u);
}

TEST_F(HubPushApiTest, BadSubscriptionsAreRefusedAndChangeNothing) {
  const std::string ok_endpoint = "https://push.example.net/x";
  auto with = [&](const std::function<void(Json&)>& change) {
    Json body = Subscription(ok_endpoint);
    change(body);
    return body;
  };
  std::string off_curve = kP256dh;
  off_curve[10] = off_curve[10] == 'A' ? 'B' : 'A';
  const std::vector<std::pair<Json, std::string>> bad = {
      {with([](Json& b) { b["endpoint"] = "http://push.example.net/x"; }), "endpoint"},
      {with([](Json& b) { b["endpoint"] = "push.example.net/x"; }), "endpoint"},
      {with([](Json& b) { b["endpoint"] = "https://user@push.example.net/x"; }), "endpoint"},
      {with([](Json& b) { b["endpoint"] = 7; }), "endpoint"},
      {with([](Json& b) { b.erase("endpoint"); }), "endpoint"},
      {with([](Json& b) { b.erase("keys"); }), "keys"},
      {with([&](Json& b) { b["keys"]["p256dh"] = off_curve; }), "keys.p256dh"},
      {with([](Json& b) { b["keys"]["p256dh"] = std::string(kP256dh).substr(0, 80); }), "keys.p256dh"},
      {with([](Json& b) { b["keys"]["p256dh"] = "BCVx+r7N/eNg"; }), "keys.p256dh"},
      {with([](Json& b) { b["keys"]["auth"] = "BTBZMqHH6r4Tts7J"; }), "keys.auth"},
      {with([](Json& b) { b["keys"].erase("auth"); }), "keys.auth"},
      {with([](Json& b) { b["keys"]["extra"] = 1; }), "keys"},
      {with([](Json& b) { b["name"] = std::string(65, 'n'); }), "name"},
      {with([](Json& b) { b["expirationTime"] = "soon"; }), "expirationTime"},
      {with([](Json& b) { b["owner"] = "ann"; }), "owner"},
  };
  for (const auto& [body, field] : bad) {
    const Answer a = Call("POST", "/api/v1/push/subscriptions", body, owner_);
    EXPECT_EQ(a.status, 400u) << body.dump() << ": " << a.Describe();
    EXPECT_EQ(a.json["error"].value("code", ""), "invalid");
    EXPECT_NE(a.json["error"].value("message", "").find(field), std::string::npos) << a.Describe();
  }
  EXPECT_EQ(Stored(), 0u);
}

TEST_F(HubPushApiTest, TheDestinationPolicyRefusesLocalEndpointsUnlessAllowListed) {
  for (const char* endpoint : {"https://127.0.0.1:9443/push", "https://localhost:9443/push", "https://[::1]/push",
                               "https://10.1.2.3/push", "https://192.168.1.20/push", "https://169.254.169.254/push",
                               "https://0.0.0.0/push", "https://[::ffff:127.0.0.1]/push"}) {
    const Answer a = Call("POST", "/api/v1/push/subscriptions", Subscription(endpoint), owner_);
    EXPECT_EQ(a.status, 403u) << endpoint << ": " << a.Describe();
    EXPECT_EQ(a.json["error"].value("code", ""), "forbidden");
    EXPECT_NE(a.json["error"].value("message", "").find("destination policy"), std::string::npos) << a.Describe();
  }
  EXPECT_EQ(Stored(), 0u);
  EXPECT_EQ(Call("POST", "/api/v1/push/subscriptions", Subscription("https://203.0.113.7/push"), owner_).status, 201u)
      << "a public address";
  ASSERT_NO_FATAL_FAILURE(Start({"127.0.0.1:9443"}));
  EXPECT_EQ(Call("POST", "/api/v1/push/subscriptions", Subscription("https://127.0.0.1:9443/push"), owner_).status, 201u);
  EXPECT_EQ(Call("POST", "/api/v1/push/subscriptions", Subscription("https://127.0.0.1:9444/push"), owner_).status, 403u)
      << "only the listed port";
  EXPECT_EQ(Call("POST", "/api/v1/push/subscriptions", Subscription("http://127.0.0.1:9443/push"), owner_).status, 400u)
      << "never plain http";
}

TEST_F(HubPushApiTest, AtMostTenPerAccount) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(Call("POST", "/api/v1/push/subscriptions", Subscription("https://push.example.net/" + std::to_string(i)),
                   owner_)
                  .status,
              201u);
  }
  const Answer full = Call("POST", "/api/v1/push/subscriptions", Subscription("https://push.example.net/10"), owner_);
  EXPECT_EQ(full.status, 409u);
  EXPECT_EQ(full.json["error"].value("code", ""), "resource_exhausted");
  EXPECT_EQ(Call("POST", "/api/v1/push/subscriptions", Subscription("https://push.example.net/3", "renamed"), owner_).status,
            200u)
      << "an update is not a new one";
}

TEST_F(HubPushApiTest, WritesNeedALoginSessionNotAnApiToken) {
  const Answer minted = Call("POST", "/api/v1/tokens", Json{{"name", "script"}, {"locks", Json::array()}}, owner_);
  ASSERT_EQ(minted.status, 201u) << minted.Describe();
  const std::string token = minted.json.value("token", "");
  const Answer post = Call("POST", "/api/v1/push/subscriptions", Subscription("https://push.example.net/t"), token);
  EXPECT_EQ(post.status, 403u) << post.Describe();
  EXPECT_EQ(Call("PATCH", "/api/v1/me/notifications", Json{{"alarms", false}}, token).status, 403u);
  EXPECT_EQ(Call("GET", "/api/v1/push/subscriptions", nullptr, token).status, 200u);
  EXPECT_EQ(Call("GET", "/api/v1/me/notifications", nullptr, token).status, 200u);
  EXPECT_EQ(Stored(), 0u);
}

TEST_F(HubPushApiTest, NotificationSettings) {
  LockRecord lock;
  lock.id = "lk-1";
  lock.name = "front";
  lock.address = "127.0.0.1:1";
  ASSERT_TRUE(hub_->store().PutLock(lock).ok());
  lock.id = "lk-2";
  ASSERT_TRUE(hub_->store().PutLock(lock).ok());
  const std::string ann = MakeAccount("ann", "member", Json{{"locks", {"lk-1"}}});
  const Json defaults{{"alarms", true}, {"unlocks", "off"}, {"people", Json::array()}, {"offline_minutes", 0}};
  EXPECT_EQ(Call("GET", "/api/v1/me/notifications", nullptr, ann).json, defaults);
  const Answer patched = Call("PATCH", "/api/v1/me/notifications",
                              Json{{"unlocks", "people"}, {"people", {{{"lock", "lk-1"}, {"user", 2}}}}}, ann);
  ASSERT_EQ(patched.status, 200u) << patched.Describe();
  Json expected = defaults;
  expected["unlocks"] = "people";
  expected["people"] = Json{{{"lock", "lk-1"}, {"user", 2}}};
  EXPECT_EQ(patched.json, expected);
  EXPECT_EQ(Call("GET", "/api/v1/me/notifications", nullptr, ann).json, expected);
  // A bad field refuses the whole patch.
  for (const Json& bad : {Json{{"alarms", false}, {"offline_minutes", 2}}, Json{{"alarms", false}, {"unlocks", "some"}},
                          Json{{"alarms", false}, {"people", {{{"lock", "lk-2"}, {"user", 1}}}}},
                          Json{{"alarms", false}, {"people", {{{"lock", "lk-9"}, {"user", 1}}}}}, Json{{"volume", 3}}}) {
    const Answer a = Call("PATCH", "/api/v1/me/notifications", bad, ann);
    EXPECT_EQ(a.status, 400u) << bad.dump() << ": " << a.Describe();
  }
  EXPECT_EQ(Call("GET", "/api/v1/me/notifications", nullptr, ann).json, expected) << "nothing changed";
  EXPECT_EQ(Call("GET", "/api/v1/me/notifications", nullptr, owner_).json, defaults) << "per account";
}

TEST_F(HubPushApiTest, DeletingAnAccountDeletesItsSubscriptionsAndSettings) {
  const std::string ann = MakeAccount("ann", "member");
  ASSERT_EQ(Call("POST", "/api/v1/push/subscriptions", Subscription("https://push.example.net/ann"), ann).status, 201u);
  ASSERT_EQ(Call("PATCH", "/api/v1/me/notifications", Json{{"unlocks", "all"}}, ann).status, 200u);
  ASSERT_EQ(Stored(), 1u);
  ASSERT_EQ(Call("DELETE", "/api/v1/accounts/ann", nullptr, owner_).status, 200u);
  EXPECT_EQ(Stored(), 0u);
  auto settings = store::Exists(hub_->store().database(), "SELECT 1 FROM notification_settings WHERE account = 'ann'");
  ASSERT_TRUE(settings.ok());
  EXPECT_FALSE(*settings);
}

}  // namespace
}  // namespace latchkey::hub
