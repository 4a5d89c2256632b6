// Web Push end to end: a real `latchkey demo` (hub and one simulated lock) sends its
// notifications to a push service played by the test (push_receiver.h: HTTPS on 127.0.0.1,
// allowed by the hub's --push-allow and trusted through --webhook-cacert). Each request the
// receiver gets is checked as a push service and a browser would: the VAPID JWT verifies with
// the key the hub serves, `aud` is the receiver's origin, `exp` is ahead by at most a day, and
// the body decrypts with the subscription's private key (the test's own code, not the hub's)
// to the payload the contract names. Events come from the lock's simulated keypad, cover and
// API. Also: retries keep a subscription's order, a 410 deletes the subscription, a guest
// outside its window is told nothing, duress reaches owner and admins but not the accounts
// linked to whoever used the code, a loopback endpoint the allow list does not name is refused,
// and (HubPushRestart) pending notifications survive a restart while a hub without the allow
// entry refuses the connect.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>

#include "hub_harness.h"
#include "push_receiver.h"
#include "tls_harness.h"
#include "wait.h"

namespace latchkey::testing {
namespace {

using Clock = std::chrono::steady_clock;

int64_t UnixNowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string Rfc3339In(std::chrono::hours from_now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + from_now);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return text;
}

// What the tests of a demo share: the receiver, each path's subscriber keys, and helpers.
class PushFixture {
 public:
  explicit PushFixture(PushReceiver& receiver) : receiver_(receiver) {}

  // POST /push/subscriptions for https://127.0.0.1:PORT`path` with fresh keys; its id.
  std::string Subscribe(const HubDemo& demo, const std::string& token, const std::string& path) {
    auto& subscriber = subscribers_[path];
    subscriber = std::make_unique<TestSubscriber>();
    const HttpResult r = demo.Call("POST", "/api/v1/push/subscriptions",
                                   Json{{"endpoint", receiver_.Url(path)},
                                        {"keys", {{"p256dh", subscriber->p256dh()}, {"auth", subscriber->auth()}}},
                                        {"name", "test " + path}},
                                   token);
    EXPECT_EQ(r.status, 201) << r.Describe();
    return r.json.value("id", "");
  }

  // The hits of `path` with their payloads decrypted (null when one did not decrypt, which
  // fails the test), each VAPID header checked against `vapid_key`.
  std::vector<std::pair<PushReceiver::Hit, Json>> Received(const std::string& path, const std::string& vapid_key) {
    std::vector<std::pair<PushReceiver::Hit, Json>> out;
    for (const PushReceiver::Hit& hit : receiver_.Hits(path)) {
      EXPECT_EQ(VerifyVapid(hit.authorization, vapid_key, receiver_.Origin(), UnixNowS()), "") << path;
      EXPECT_EQ(hit.content_encoding, "aes128gcm");
      EXPECT_EQ(hit.content_type, "application/octet-stream");
      std::string why;
      const auto plain = subscribers_.at(path)->Decrypt(hit.body, &why);
      EXPECT_TRUE(plain.has_value()) << path << ": " << why;
      out.emplace_back(hit, plain ? Json::parse(*plain, nullptr, false) : Json());
    }
    return out;
  }
  std::size_t Count(const std::string& path) const { return receiver_.Hits(path).size(); }
  bool WaitCount(const std::string& path, std::size_t n, std::chrono::milliseconds timeout = 15s) const {
    return WaitUntil([&] { return Count(path) >= n; }, timeout);
  }

 private:
  PushReceiver& receiver_;
  std::map<std::string, std::unique_ptr<TestSubscriber>> subscribers_;
};

class HubPushTest : public SharedDemoTest<HubPushTest, 1> {
 public:
  static constexpr const char* kSubject = "mailto:ops@example.com";
  static std::vector<std::string> DemoArgs() {
    receiver_ = std::make_unique<PushReceiver>();
    return {"--push-allow", "127.0.0.1:" + std::to_string(receiver_->port()), "--webhook-cacert", receiver_->CertPath(),
            "--push-subject", kSubject};
  }
  static void TearDownTestSuite() {
    SharedDemoTest::TearDownTestSuite();
    fixture_.reset();
    receiver_.reset();
  }

 protected:
  void Prepare() override {
    ASSERT_TRUE(receiver_->ok()) << receiver_->error();
    fixture_ = std::make_unique<PushFixture>(*receiver_);
    lock_ = D().lock_ids()[0];
    const HttpResult key = D().Call("GET", "/api/v1/push/vapid-public-key", nullptr, D().owner_token());
    ASSERT_EQ(key.status, 200) << key.Describe();
    vapid_key_ = key.json.value("public_key", "");
    lock_name_ = D().LockObject(lock_).value("name", "");
    pat_ = AddUser("Pat", "unrestricted", kPatPin);
    duress_ = AddUser("Duress", "forced", kDuressPin);
  }

  static constexpr const char* kPatPin = "246810";
  static constexpr const char* kDuressPin = "911911";

  int AddUser(const std::string& name, const std::string& type, const std::string& pin) {
    const HttpResult user = Owner("POST", L() + "/users", Json{{"name", name}, {"type", type}});
    EXPECT_EQ(user.status, 201) << user.Describe();
    const int index = user.json.value("index", 0);
    const HttpResult pin_added = Owner("POST", L() + "/credentials", Json{{"type", "pin"}, {"data", pin}, {"user", index}});
    EXPECT_EQ(pin_added.status, 201) << pin_added.Describe();
    return index;
  }

  HttpResult Owner(const std::string& method, const std::string& target, const Json& body = nullptr) const {
    return D().Call(method, target, body, D().owner_token());
  }
  std::string L() const { return "/api/v1/locks/" + lock_; }
  std::string Account(const std::string& name, const std::string& role, const Json& extra = Json::object()) {
    Json body{{"username", name}, {"password", name + "-password-1"}, {"role", role}};
    body.update(extra);
    return D().CreateAccount(body);
  }
  void Settings(const std::string& token, const Json& patch) {
    const HttpResult r = D().Call("PATCH", "/api/v1/me/notifications", patch, token);
    ASSERT_EQ(r.status, 200) << r.Describe();
  }
  void Keypad(const std::string& pin) {
    const HttpResult r = D().SimControl(lock_, "keypad", Json{{"keys", pin + "#"}});
    ASSERT_EQ(r.status, 200) << r.Describe();
    EXPECT_EQ(r.json.value("result", ""), "granted") << r.Describe();
  }
  void LockIt() { ASSERT_EQ(Owner("POST", L() + "/lock", Json::object()).status, 200); }
  void Tamper() { ASSERT_EQ(D().SimControl(lock_, "tamper").status, 200); }
  uint64_t LastSeq() const { return D().LockObject(lock_).value("last_event_seq", uint64_t{0}); }
  // The seqs of the mirrored events after `after` that match kind/field/value.
  std::vector<uint64_t> Seqs(uint64_t after, const std::string& kind, const std::string& field, const std::string& value) {
    EXPECT_TRUE(D().WaitMirrored(lock_, 10s));
    const HttpResult r = Owner("GET", L() + "/events?limit=1000&kind=" + kind + "&after=" + std::to_string(after));
    EXPECT_EQ(r.status, 200) << r.Describe();
    std::vector<uint64_t> seqs;
    for (const Json& e : r.json["events"]) {
      if (e.value(field, "") == value) seqs.push_back(e.value("seq", uint64_t{0}));
    }
    return seqs;
  }
  std::vector<Json> Subscriptions(const std::string& token) const {
    const HttpResult r = D().Call("GET", "/api/v1/push/subscriptions", nullptr, token);
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.status == 200 ? r.json.get<std::vector<Json>>() : std::vector<Json>{};
  }
  std::string Logs() const override { return D().Log(); }

  static inline std::unique_ptr<PushReceiver> receiver_;
  static inline std::unique_ptr<PushFixture> fixture_;
  static inline std::string lock_, vapid_key_, lock_name_;
  static inline int pat_ = 0, duress_ = 0;
};

TEST_F(HubPushTest, AnUnlockAndAnAlarmArriveSignedAndEncrypted) {
  PushFixture& f = *fixture_;
  const std::string owner = D().owner_token();
  const std::string id = f.Subscribe(D(), owner, "/first");
  Settings(owner, Json{{"unlocks", "all"}});
  const uint64_t mark = LastSeq();
  ASSERT_NO_FATAL_FAILURE(Keypad(kPatPin));
  ASSERT_TRUE(f.WaitCount("/first", 1)) << "no push for the unlock";
  const auto unlocks = Seqs(mark, "lock_operation", "operation", "unlock");
  ASSERT_EQ(unlocks.size(), 1u);
  auto received = f.Received("/first", vapid_key_);
  ASSERT_EQ(received.size(), 1u);
  const auto& [hit, payload] = received[0];
  EXPECT_EQ(hit.urgency, "normal");
  EXPECT_EQ(hit.ttl, "3600");
  std::string subject;
  EXPECT_EQ(VerifyVapid(hit.authorization, vapid_key_, receiver_->Origin(), UnixNowS(), &subject), "");
  EXPECT_EQ(subject, kSubject) << "the hub's --push-subject";
  EXPECT_EQ(payload, (Json{{"title", lock_name_ + " unlocked"},
                           {"body", "Unlocked at the keypad by user " + std::to_string(pat_) + "."},
                           {"lock", lock_},
                           {"seq", unlocks[0]},
                           {"kind", "lock_operation"},
                           {"url", "/#/locks/" + lock_ + "/events/" + std::to_string(unlocks[0])}}));

  const uint64_t before_alarm = LastSeq();
  ASSERT_NO_FATAL_FAILURE(Tamper());
  ASSERT_TRUE(f.WaitCount("/first", 2)) << "no push for the tamper alarm";
  const auto tampers = Seqs(before_alarm, "alarm", "alarm", "tamper");
  ASSERT_EQ(tampers.size(), 1u);
  received = f.Received("/first", vapid_key_);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[1].first.urgency, "high");
  EXPECT_EQ(received[1].first.ttl, "86400");
  EXPECT_EQ(received[1].second.value("kind", ""), "alarm");
  EXPECT_EQ(received[1].second.value("seq", uint64_t{0}), tampers[0]);
  EXPECT_EQ(received[1].second.value("title", ""), lock_name_ + ": tamper alarm");
  // The lock's own events that no setting asks for (the lock operation, the door) sent nothing.
  ASSERT_NO_FATAL_FAILURE(LockIt());
  EXPECT_EQ(f.Count("/first"), 2u);
  EXPECT_EQ(Owner("DELETE", "/api/v1/push/subscriptions/" + id).status, 204);
  Settings(owner, Json{{"unlocks", "off"}});
}

TEST_F(HubPushTest, RetriesKeepTheOrderAndA410DeletesTheSubscription) {
  PushFixture& f = *fixture_;
  const std::string rita = Account("rita", "member");
  f.Subscribe(D(), rita, "/retry");
  Settings(rita, Json{{"unlocks", "all"}});
  receiver_->Script("/retry", {500});
  const uint64_t mark = LastSeq();
  for (int i = 0; i < 3; ++i) {
    ASSERT_NO_FATAL_FAILURE(Keypad(kPatPin));
    ASSERT_NO_FATAL_FAILURE(LockIt());
  }
  ASSERT_TRUE(f.WaitCount("/retry", 4)) << "the three unlocks, the first twice";
  const auto unlocks = Seqs(mark, "lock_operation", "operation", "unlock");
  ASSERT_EQ(unlocks.size(), 3u);
  const auto received = f.Received("/retry", vapid_key_);
  ASSERT_EQ(received.size(), 4u);
  std::vector<uint64_t> seqs;
  std::vector<unsigned> answers;
  for (const auto& [hit, payload] : received) {
    seqs.push_back(payload.value("seq", uint64_t{0}));
    answers.push_back(hit.answered);
  }
  EXPECT_EQ(seqs, (std::vector<uint64_t>{unlocks[0], unlocks[0], unlocks[1], unlocks[2]}))
      << "the refused one again first, then the rest in order";
  EXPECT_EQ(answers, (std::vector<unsigned>{500, 201, 201, 201}));
  EXPECT_GE(received[1].first.at - received[0].first.at, 900ms) << "after the back-off";
  // Delivered at last: the subscription shows no error.
  ASSERT_TRUE(WaitUntil([&] {
    const auto subs = Subscriptions(rita);
    return subs.size() == 1 && !subs[0].contains("last_error");
  }, 5s));

  // The push service says the browser's subscription is gone: so is the hub's.
  const std::string gone = f.Subscribe(D(), rita, "/gone");
  receiver_->Script("/gone", {410});
  ASSERT_NO_FATAL_FAILURE(Keypad(kPatPin));
  ASSERT_NO_FATAL_FAILURE(LockIt());
  ASSERT_TRUE(f.WaitCount("/gone", 1));
  ASSERT_TRUE(WaitUntil([&] { return Subscriptions(rita).size() == 1; }, 5s)) << "the 410 deleted it";
  EXPECT_EQ(Subscriptions(rita)[0].value("endpoint", ""), receiver_->Url("/retry"));
  EXPECT_EQ(D().Call("DELETE", "/api/v1/push/subscriptions/" + gone, nullptr, rita).status, 404);
  ASSERT_NO_FATAL_FAILURE(Keypad(kPatPin));
  ASSERT_NO_FATAL_FAILURE(LockIt());
  ASSERT_TRUE(f.WaitCount("/retry", 6)) << "the live subscription goes on";
  EXPECT_EQ(f.Count("/gone"), 1u) << "nothing more to the deleted one";
}

TEST_F(HubPushTest, AGuestOutsideItsWindowIsToldNothing) {
  PushFixture& f = *fixture_;
  const std::string later = Account("gil", "guest", Json{{"locks", {lock_}}, {"valid_from", Rfc3339In(24h)}});
  const std::string now = Account("gwen", "guest", Json{{"locks", {lock_}}, {"valid_until", Rfc3339In(24h)}});
  const std::string owner = D().owner_token();
  f.Subscribe(D(), later, "/guest-later");
  f.Subscribe(D(), now, "/guest-now");
  const std::string control = f.Subscribe(D(), owner, "/guest-control");
  for (const std::string& token : {later, now}) Settings(token, Json{{"unlocks", "all"}, {"alarms", true}});
  Settings(owner, Json{{"unlocks", "all"}});
  // Gwen, inside her window, unlocks remotely: her own doing, so she is told.
  ASSERT_EQ(D().Call("POST", L() + "/unlock", Json::object(), now).status, 200);
  ASSERT_NO_FATAL_FAILURE(LockIt());
  ASSERT_NO_FATAL_FAILURE(Keypad(kPatPin));  // someone else's unlock
  ASSERT_NO_FATAL_FAILURE(LockIt());
  ASSERT_NO_FATAL_FAILURE(Tamper());          // an alarm
  ASSERT_TRUE(f.WaitCount("/guest-control", 3)) << "the owner hears of all three";
  ASSERT_TRUE(f.WaitCount("/guest-now", 1));
  std::this_thread::sleep_for(1500ms);  // anything else for the guests would have come by now
  const auto gwen = f.Received("/guest-now", vapid_key_);
  ASSERT_EQ(gwen.size(), 1u) << "only her own unlock";
  EXPECT_EQ(gwen[0].second.value("body", ""), "Unlocked remotely by gwen.");
  EXPECT_EQ(f.Count("/guest-later"), 0u) << "outside its window: nothing at all";
  EXPECT_EQ(Owner("DELETE", "/api/v1/push/subscriptions/" + control).status, 204);
  Settings(owner, Json{{"unlocks", "off"}});
}

TEST_F(HubPushTest, DuressReachesOwnerAndAdminsButNeverThoseLinkedToTheCode) {
  PushFixture& f = *fixture_;
  const std::string owner = D().owner_token();
  const std::string ada = Account("ada", "admin");  // holds a phone key acting as the duress user
  const std::string abe = Account("abe", "admin");
  const std::string ace = Account("ace", "admin");  // will use the duress PIN remotely
  const std::string mia = Account("mia", "member");
  // Any 32 bytes are an X25519 public key; the phone-key API takes them in standard base64.
  unsigned char phone[32];
  ASSERT_EQ(RAND_bytes(phone, sizeof phone), 1);
  unsigned char phone_b64[48] = {};
  EVP_EncodeBlock(phone_b64, phone, sizeof phone);
  const HttpResult key = Owner("POST", "/api/v1/phone-keys",
                               Json{{"phone_public_key", reinterpret_cast<const char*>(phone_b64)},
                                    {"lock", lock_},
                                    {"user", duress_},
                                    {"account", "ada"}});
  ASSERT_EQ(key.status, 201) << key.Describe();
  const std::map<std::string, std::string> tokens = {
      {"/duress-owner", owner}, {"/duress-ada", ada}, {"/duress-abe", abe}, {"/duress-ace", ace}, {"/duress-mia", mia}};
  std::map<std::string, std::string> ids;
  for (const auto& [path, token] : tokens) ids[path] = f.Subscribe(D(), token, path);

  // At the keypad: ada is linked by her phone key.
  uint64_t mark = LastSeq();
  ASSERT_NO_FATAL_FAILURE(Keypad(kDuressPin));
  ASSERT_TRUE(f.WaitCount("/duress-owner", 1) && f.WaitCount("/duress-abe", 1) && f.WaitCount("/duress-ace", 1));
  const auto alarms = Seqs(mark, "alarm", "alarm", "forced_user");
  ASSERT_EQ(alarms.size(), 1u);
  for (const char* path : {"/duress-owner", "/duress-abe", "/duress-ace"}) {
    const auto got = f.Received(path, vapid_key_);
    ASSERT_EQ(got.size(), 1u) << path;
    EXPECT_EQ(got[0].second.value("seq", uint64_t{0}), alarms[0]) << path;
    EXPECT_EQ(got[0].second.value("title", ""), lock_name_ + ": duress code used") << path;
    EXPECT_EQ(got[0].first.urgency, "high");
  }
  ASSERT_NO_FATAL_FAILURE(LockIt());
  // Remotely, by ace: ace is linked as the one who sent it, ada still by her key.
  mark = LastSeq();
  const HttpResult remote = D().Call("POST", L() + "/unlock", Json{{"pin", kDuressPin}}, ace);
  ASSERT_EQ(remote.status, 200) << remote.Describe();
  ASSERT_TRUE(f.WaitCount("/duress-owner", 2) && f.WaitCount("/duress-abe", 2));
  ASSERT_EQ(Seqs(mark, "alarm", "alarm", "forced_user").size(), 1u);
  ASSERT_NO_FATAL_FAILURE(LockIt());
  // A plain alarm reaches the member too, and after it nothing else is on its way.
  ASSERT_NO_FATAL_FAILURE(Tamper());
  for (const auto& [path, token] : tokens) ASSERT_TRUE(f.WaitCount(path, 1)) << path;
  ASSERT_TRUE(f.WaitCount("/duress-owner", 3) && f.WaitCount("/duress-abe", 3) && f.WaitCount("/duress-ace", 2));
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(f.Count("/duress-owner"), 3u);
  EXPECT_EQ(f.Count("/duress-abe"), 3u);
  EXPECT_EQ(f.Count("/duress-ace"), 2u) << "the keypad duress and the tamper, not its own remote duress";
  EXPECT_EQ(f.Count("/duress-ada"), 1u) << "only the tamper: linked to the duress user";
  EXPECT_EQ(f.Count("/duress-mia"), 1u) << "only the tamper: a member is never told of duress";
  for (const char* path : {"/duress-ada", "/duress-mia"}) {
    const auto got = f.Received(path, vapid_key_);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].second.value("title", ""), lock_name_ + ": tamper alarm") << path;
  }
  EXPECT_EQ(Owner("DELETE", "/api/v1/push/subscriptions/" + ids["/duress-owner"]).status, 204);
}

TEST_F(HubPushTest, ALoopbackEndpointTheAllowListDoesNotNameIsRefused) {
  const std::string owner = D().owner_token();
  TestSubscriber keys;
  const auto post = [&](const std::string& endpoint) {
    return D().Call("POST", "/api/v1/push/subscriptions",
                    Json{{"endpoint", endpoint}, {"keys", {{"p256dh", keys.p256dh()}, {"auth", keys.auth()}}}}, owner);
  };
  const uint16_t other = static_cast<uint16_t>(receiver_->port() == 65535 ? 1 : receiver_->port() + 1);
  const HttpResult refused = post("https://127.0.0.1:" + std::to_string(other) + "/p");
  EXPECT_EQ(refused.status, 403) << refused.Describe();
  EXPECT_EQ(refused.error_code(), "forbidden");
  EXPECT_NE(refused.error_message().find("destination policy"), std::string::npos) << refused.Describe();
  EXPECT_EQ(post("https://[::1]:" + std::to_string(receiver_->port()) + "/p").status, 403);
  EXPECT_EQ(post(receiver_->Url("/p").replace(0, 5, "http")).status, 400) << "https only";
  const HttpResult allowed = post(receiver_->Url("/policy-allowed"));
  EXPECT_EQ(allowed.status, 201) << allowed.Describe();
  EXPECT_EQ(Owner("DELETE", "/api/v1/push/subscriptions/" + allowed.json.value("id", "")).status, 204);
}

// A hub of its own, restarted: what is pending is sent after the restart, and a hub whose
// configuration no longer allows the receiver refuses to connect (the check at each connect).
TEST(HubPushRestart, PendingNotificationsSurviveARestartAndThePolicyHoldsAtConnect) {
  PushReceiver receiver;
  ASSERT_TRUE(receiver.ok()) << receiver.error();
  const std::vector<std::string> trust = {"--webhook-cacert", receiver.CertPath()};
  std::vector<std::string> allowed = trust;
  allowed.insert(allowed.end(), {"--push-allow", "127.0.0.1:" + std::to_string(receiver.port())});
  HubDemo demo(1, allowed);
  ASSERT_NO_FATAL_FAILURE(demo.Start());
  const std::string lock = demo.lock_ids()[0];
  PushFixture f(receiver);
  const std::string vapid_key =
      demo.Call("GET", "/api/v1/push/vapid-public-key", nullptr, demo.owner_token()).json.value("public_key", "");
  f.Subscribe(demo, demo.owner_token(), "/pending");
  receiver.Script("/pending", {503, 503, 503, 503, 503, 503, 503, 503});
  ASSERT_EQ(demo.SimControl(lock, "tamper").status, 200);
  ASSERT_TRUE(f.WaitCount("/pending", 1));
  ASSERT_TRUE(WaitUntil([&] {
    const HttpResult subs = demo.Call("GET", "/api/v1/push/subscriptions", nullptr, demo.owner_token());
    return subs.status == 200 && subs.json.size() == 1 && subs.json[0].value("last_error", "") == "HTTP 503";
  }, 5s)) << "the failed attempt shows";
  demo.Stop();
  const std::size_t before = f.Count("/pending");
  receiver.Script("/pending", {});
  ASSERT_NO_FATAL_FAILURE(demo.Start());
  ASSERT_TRUE(f.WaitCount("/pending", before + 1, 20s)) << "resumed after the restart";
  const auto received = f.Received("/pending", vapid_key);
  EXPECT_EQ(received.back().first.answered, 201u);
  EXPECT_EQ(received.back().second.value("seq", uint64_t{0}), received.front().second.value("seq", uint64_t{0}));
  EXPECT_NE(received.back().second.value("title", "").find(": tamper alarm"), std::string::npos);
  ASSERT_TRUE(WaitUntil([&] {
    const HttpResult subs = demo.Call("GET", "/api/v1/push/subscriptions", nullptr, demo.owner_token());
    return subs.status == 200 && subs.json.size() == 1 && !subs.json[0].contains("last_error");
  }, 5s));

  // The same subscription, but this hub's configuration does not allow the receiver any more.
  demo.Stop();
  demo.set_extra_args(trust);
  ASSERT_NO_FATAL_FAILURE(demo.Start());
  const int accepted = receiver.accepted();
  const std::size_t hits = receiver.HitCount();
  ASSERT_EQ(demo.SimControl(lock, "tamper").status, 200);
  EXPECT_TRUE(WaitUntil([&] {
    const HttpResult subs = demo.Call("GET", "/api/v1/push/subscriptions", nullptr, demo.owner_token());
    return subs.status == 200 && subs.json.size() == 1 && subs.json[0].value("last_error", "") == "refused by policy";
  }, 10s)) << demo.Log();
  EXPECT_EQ(receiver.accepted(), accepted) << "never connected";
  EXPECT_EQ(receiver.HitCount(), hits);
}


// "First unlock of the day" in the lock's own time zone (a fixed-offset zone chosen so that the
// lock's local time is about noon: the test does not run across its midnight), remembered across
// a restart of the hub (read back from the history), and told again on the lock's next day.
TEST(HubPushFirstOfDay, OnlyTheFirstUnlockOfEachLocalDayAlsoAfterARestart) {
  PushReceiver receiver;
  ASSERT_TRUE(receiver.ok()) << receiver.error();
  HubDemo demo(1, {"--webhook-cacert", receiver.CertPath(), "--push-allow", "127.0.0.1:" + std::to_string(receiver.port())});
  ASSERT_NO_FATAL_FAILURE(demo.Start());
  const std::string lock = demo.lock_ids()[0];
  const std::string l = "/api/v1/locks/" + lock;
  const auto owner = [&](const std::string& method, const std::string& target, const Json& body = nullptr) {
    return demo.Call(method, target, body, demo.owner_token());
  };
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  const int offset = 12 - utc.tm_hour;  // -11..12 hours east of UTC
  const std::string zone = offset >= 0 ? "Etc/GMT-" + std::to_string(offset) : "Etc/GMT+" + std::to_string(-offset);
  ASSERT_EQ(owner("PATCH", l + "/settings", Json{{"timezone", zone}}).status, 200) << zone;
  const HttpResult user = owner("POST", l + "/users", Json{{"name", "Pat"}});
  ASSERT_EQ(user.status, 201) << user.Describe();
  ASSERT_EQ(owner("POST", l + "/credentials", Json{{"type", "pin"}, {"data", "246810"}, {"user", user.json["index"]}}).status, 201);
  PushFixture f(receiver);
  const std::string vapid_key = owner("GET", "/api/v1/push/vapid-public-key").json.value("public_key", "");
  f.Subscribe(demo, demo.owner_token(), "/first-of-day");
  ASSERT_EQ(owner("PATCH", "/api/v1/me/notifications", Json{{"unlocks", "first_of_day"}}).status, 200);
  const auto unlock_at_keypad = [&] {
    const HttpResult r = demo.SimControl(lock, "keypad", Json{{"keys", "246810#"}});
    ASSERT_EQ(r.status, 200) << r.Describe();
    ASSERT_TRUE(demo.WaitMirrored(lock, 10s));
    ASSERT_EQ(owner("POST", l + "/lock", Json::object()).status, 200);
  };
  // A tamper alarm after each step: once its push has come, nothing else is on its way.
  std::size_t alarms = 0;
  const auto settle = [&] {
    ASSERT_EQ(demo.SimControl(lock, "tamper").status, 200);
    ++alarms;
    ASSERT_TRUE(WaitUntil([&] {
      std::size_t seen = 0;
      for (const auto& [hit, payload] : f.Received("/first-of-day", vapid_key)) seen += payload.value("kind", "") == "alarm";
      return seen >= alarms;
    }, 15s));
  };
  const auto unlocks_told = [&] {
    std::vector<std::string> bodies;
    for (const auto& [hit, payload] : f.Received("/first-of-day", vapid_key)) {
      if (payload.value("kind", "") == "lock_operation") bodies.push_back(payload.value("body", ""));
    }
    return bodies;
  };
  ASSERT_NO_FATAL_FAILURE(unlock_at_keypad());
  ASSERT_NO_FATAL_FAILURE(unlock_at_keypad());
  ASSERT_NO_FATAL_FAILURE(settle());
  EXPECT_EQ(unlocks_told(), std::vector<std::string>{"First today: unlocked at the keypad by user " +
                                                     std::to_string(user.json["index"].get<int>()) + "."});
  // After a restart the hub reads the day's earlier unlock back from the history.
  demo.Stop();
  ASSERT_NO_FATAL_FAILURE(demo.Start());
  ASSERT_NO_FATAL_FAILURE(unlock_at_keypad());
  ASSERT_NO_FATAL_FAILURE(settle());
  EXPECT_EQ(unlocks_told().size(), 1u) << "the same day";
  // The lock's next day.
  ASSERT_EQ(demo.SimControl(lock, "clock", Json{{"advance_s", 24 * 3600}}).status, 200);
  ASSERT_NO_FATAL_FAILURE(unlock_at_keypad());
  ASSERT_NO_FATAL_FAILURE(unlock_at_keypad());
  ASSERT_NO_FATAL_FAILURE(settle());
  EXPECT_EQ(unlocks_told().size(), 2u) << "the next day's first, and only it";
}

// push_allow and push_subject are checked at start, from the flags or the config file: a bad one
// stops the hub with a message naming it; good ones run.
TEST(HubPushConfig, BadEntriesStopTheStartAndGoodOnesRun) {
  const auto start = [](const std::vector<std::string>& args, LatchkeyProcess& hub) {
    const uint16_t port = FreeLoopbackPort();
    std::vector<std::string> all = {"hub", "--data", hub.dir() + "/data", "--http", "127.0.0.1:" + std::to_string(port)};
    all.insert(all.end(), args.begin(), args.end());
    hub.Spawn(all);
    return port;
  };
  const auto refused = [&](const std::vector<std::string>& args, const std::string& words) {
    LatchkeyProcess hub;
    start(args, hub);
    const auto status = hub.WaitExit(20s);
    ASSERT_TRUE(status.has_value()) << "the hub kept running:\n" << hub.Log();
    EXPECT_NE(*status, 0) << hub.Log();
    EXPECT_NE(hub.Log().find(words), std::string::npos) << words << "\n" << hub.Log();
  };
  refused({"--push-allow", "10.0.0.1/8"}, "push_allow '10.0.0.1/8': the address has bits set");
  refused({"--push-subject", "ops@example.com"}, "push_subject: must be a mailto: or https:// URL");
  LatchkeyProcess folder;  // not started: a folder of the test's own
  const auto config = [&](const std::string& name, const std::string& text) {
    const std::string path = folder.dir() + "/" + name;
    std::ofstream(path) << text;
    return path;
  };
  refused({"--config", config("bad-entry.toml", "push_allow = [\"127.0.0.1:9000\", \"receiver_lan\"]\n")},
          "push_allow 'receiver_lan'");
  refused({"--config", config("not-a-list.toml", "push_allow = \"127.0.0.1\"\n")}, "push_allow must be a list of strings");
  refused({"--config", config("http-subject.toml", "push_subject = \"http://example.com\"\n")}, "push_subject");
  refused({"--config", config("number-subject.toml", "push_subject = 7\n")}, "push_subject must be a string");
  // Good ones: the hub runs.
  LatchkeyProcess hub;
  const uint16_t port = start(
      {"--config", config("good.toml", "push_allow = [\"127.0.0.1:9443\"]\npush_subject = \"mailto:ops@example.com\"\n")}, hub);
  EXPECT_TRUE(WaitUntil([&] { return HttpCall(port, "GET", "/healthz").status == 200; }, 10s, 50ms)) << hub.Log();
}

}  // namespace
}  // namespace latchkey::testing
