// "A lock is offline for more than N minutes" (NOTIFICATIONS.md) end to end: a real `latchkey
// lock` process whose link the test cuts and restores through its sim control (`network`), a
// push service played by the test (push_receiver.h), and between them a hub run in this
// process on a FakeEnv (hub/env.h), so that the minutes of an outage pass when the test says
// so instead of being waited for. Everything else is the shipped hub: its HTTP API on a real
// socket, its link to the lock, its push sender with the VAPID JWT and the encrypted body.
//
// The hub runs on its own thread (its io_context); the test talks to it over HTTP and moves its
// clock on that thread (OnIo), so nothing of the hub is touched from two threads. Its offline
// recheck (HubOptions::push_offline_recheck) is 20 ms: the timer decides when the hub looks
// again, the FakeEnv's clock what is due.
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "harness.h"
#include "http_client.h"
#include "hub/hub.h"
#include "hub/testing/fake_env.h"
#include "push_receiver.h"
#include "wait.h"

namespace latchkey::testing {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr const char* kOwnerPassword = "owner-password-1";

int64_t RealNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A Hub on a FakeEnv, serving on its own thread until destroyed.
class HubOnFakeClock {
 public:
  HubOnFakeClock(const std::string& data_dir, const PushReceiver& receiver) {
    env_.clock().SetWall(RealNowMs());  // the lock accepts the hub's time on connect
    hub::HubOptions options;
    options.data_dir = data_dir;
    options.http = "127.0.0.1:0";
    options.owner_password = kOwnerPassword;
    options.push_allow = {"127.0.0.1:" + std::to_string(receiver.port())};
    options.webhook_cacert = receiver.CertPath();
    options.push_offline_recheck = std::chrono::milliseconds(20);
    hub_ = std::make_unique<hub::Hub>(io_, options, env_);
    status_ = hub_->Start();
    if (status_.ok()) thread_ = std::thread([this] { io_.run(); });
  }
  ~HubOnFakeClock() {
    if (thread_.joinable()) {
      boost::asio::post(io_, [this] { hub_->Drain([this] { io_.stop(); }); });
      thread_.join();
    }
    hub_.reset();
  }

  const core::Status& status() const { return status_; }
  uint16_t port() const { return port_ ? port_ : port_ = OnIo([this] { return hub_->http_port(); }); }
  // Time passes for the hub (both its clocks), on its own thread.
  void Advance(std::chrono::milliseconds by) {
    OnIo([&] {
      env_.clock().Advance(by.count());
      return 0;
    });
  }
  int64_t NowMs() { return OnIo([this] { return env_.NowMs(); }); }

  HttpResult Call(const std::string& method, const std::string& target, const Json& body = nullptr,
                  const std::string& token = "") const {
    HttpOptions options;
    options.token = token;
    return HttpCall(port(), method, target, body.is_null() ? "" : body.dump(), options);
  }

 private:
  template <typename F>
  auto OnIo(F&& f) const -> decltype(f()) {
    std::promise<decltype(f())> done;
    boost::asio::post(io_, [&] { done.set_value(f()); });
    return done.get_future().get();
  }

  mutable boost::asio::io_context io_;
  hub::testing::FakeEnv env_;
  std::unique_ptr<hub::Hub> hub_;
  core::Status status_;
  std::thread thread_;
  mutable uint16_t port_ = 0;
};

class HubPushOfflineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(receiver_.ok()) << receiver_.error();
    lock_ = std::make_unique<LockProcess>(dir_.path() + "/lock");
    ASSERT_NO_FATAL_FAILURE(lock_->Start());
    hub_ = std::make_unique<HubOnFakeClock>(dir_.path() + "/hub", receiver_);
    ASSERT_TRUE(hub_->status().ok()) << hub_->status().ToString();
    owner_ = Login("owner", kOwnerPassword);
    const HttpResult paired = hub_->Call("POST", "/api/v1/locks",
                                         Json{{"address", "127.0.0.1:" + std::to_string(lock_->link_port())},
                                              {"setup_code", lock_->setup_code()},
                                              {"name", "Front door"}},
                                         owner_);
    ASSERT_EQ(paired.status, 201) << paired.Describe();
    lock_id_ = paired.json.value("id", "");
    ASSERT_TRUE(WaitOnline(true)) << "the lock did not come online";
    const HttpResult key = hub_->Call("GET", "/api/v1/push/vapid-public-key", nullptr, owner_);
    ASSERT_EQ(key.status, 200) << key.Describe();
    vapid_key_ = key.json.value("public_key", "");
  }

  std::string Login(const std::string& username, const std::string& password) {
    const HttpResult r = hub_->Call("POST", "/api/v1/auth/login", Json{{"username", username}, {"password", password}});
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.json.value("token", "");
  }
  // A new account's login session.
  std::string Account(const std::string& name, const std::string& role, const Json& extra = Json::object()) {
    Json body{{"username", name}, {"password", name + "-password-1"}, {"role", role}};
    body.update(extra);
    const HttpResult r = hub_->Call("POST", "/api/v1/accounts", body, owner_);
    EXPECT_EQ(r.status, 201) << r.Describe();
    return Login(name, name + "-password-1");
  }
  // Subscribes `token`'s account at the receiver's `path` and sets its offline minutes.
  void Subscribe(const std::string& token, const std::string& path, int offline_minutes) {
    auto& subscriber = subscribers_[path];
    subscriber = std::make_unique<TestSubscriber>();
    const HttpResult r = hub_->Call("POST", "/api/v1/push/subscriptions",
                                    Json{{"endpoint", receiver_.Url(path)},
                                         {"keys", {{"p256dh", subscriber->p256dh()}, {"auth", subscriber->auth()}}},
                                         {"name", path}},
                                    token);
    ASSERT_EQ(r.status, 201) << r.Describe();
    const HttpResult s = hub_->Call("PATCH", "/api/v1/me/notifications", Json{{"offline_minutes", offline_minutes}}, token);
    ASSERT_EQ(s.status, 200) << s.Describe();
  }
  // The payloads `path` received, each request checked as a push service would.
  std::vector<Json> Received(const std::string& path) {
    std::vector<Json> out;
    for (const PushReceiver::Hit& hit : receiver_.Hits(path)) {
      EXPECT_EQ(VerifyVapid(hit.authorization, vapid_key_, receiver_.Origin(), hub_->NowMs() / 1000), "") << path;
      EXPECT_EQ(hit.urgency, "normal") << path;  // high is for alarms
      EXPECT_EQ(hit.ttl, "86400") << path;
      std::string why;
      const auto plain = subscribers_.at(path)->Decrypt(hit.body, &why);
      EXPECT_TRUE(plain.has_value()) << path << ": " << why;
      out.push_back(plain ? Json::parse(*plain, nullptr, false) : Json());
    }
    return out;
  }
  bool WaitCount(const std::string& path, std::size_t n) {
    return WaitUntil([&] { return receiver_.Hits(path).size() >= n; }, 15s);
  }
  bool WaitOnline(bool online) {
    return WaitUntil([&] {
      const HttpResult r = hub_->Call("GET", "/api/v1/locks/" + lock_id_, nullptr, owner_);
      return r.status == 200 && r.json.value("online", !online) == online;
    }, 30s, 20ms);
  }
  void Network(bool connected) {
    const Json r = SimHttp(lock_->sim_port(), "network", Json{{"connected", connected}});
    ASSERT_EQ(r.value("status", 0), 200) << r.dump();
    ASSERT_TRUE(WaitOnline(connected)) << "the hub did not see the link go " << (connected ? "up" : "down");
  }
  // The hub's notifier looks every 20 ms; 300 ms of real time are 15 of its looks, so a notice
  // that was due would have been sent (and is awaited by WaitCount where one is expected).
  void LetTheHubLook() { std::this_thread::sleep_for(std::chrono::milliseconds(300)); }

  // The hub's clock moves `after` on in two steps: a second before it, `path` has had only
  // `told - 1` notices; at it, notice number `told` arrives.
  void ExpectToldAt(const std::string& path, std::chrono::milliseconds after, std::size_t told) {
    hub_->Advance(after - seconds(1));
    LetTheHubLook();
    EXPECT_EQ(receiver_.Hits(path).size(), told - 1) << path << " was told a second early";
    hub_->Advance(seconds(1));
    ASSERT_TRUE(WaitCount(path, told)) << path << " was not told on time";
  }

  Json Expected(int after_minutes) const {
    return Json{{"title", "Front door is offline"},
                {"body", "The hub has not reached the lock for " + std::to_string(after_minutes) + " minutes."},
                {"lock", lock_id_},
                {"seq", 0},
                {"kind", "offline"},
                {"url", "/#/locks/" + lock_id_}};
  }

  TempDir dir_{"latchkey-push-offline"};
  PushReceiver receiver_;
  std::unique_ptr<LockProcess> lock_;
  std::unique_ptr<HubOnFakeClock> hub_;
  std::map<std::string, std::unique_ptr<TestSubscriber>> subscribers_;
  std::string owner_, lock_id_, vapid_key_;
};

TEST_F(HubPushOfflineTest, EachAccountIsToldOncePerOutageAfterItsMinutes) {
  Subscribe(owner_, "/owner", 5);
  Subscribe(Account("mia", "member"), "/mia", 15);
  Subscribe(Account("max", "member"), "/max", 0);                              // off (the default)
  Subscribe(Account("gus", "guest", Json{{"locks", Json::array()}}), "/gus", 5);  // cannot see the lock

  // Online for an hour: nobody is told anything.
  hub_->Advance(minutes(60));
  LetTheHubLook();
  EXPECT_EQ(receiver_.HitCount(), 0u);

  ASSERT_NO_FATAL_FAILURE(Network(false));
  ASSERT_NO_FATAL_FAILURE(ExpectToldAt("/owner", minutes(5), 1));
  EXPECT_EQ(Received("/owner"), std::vector<Json>{Expected(5)});
  EXPECT_EQ(receiver_.HitCount(), 1u);

  ASSERT_NO_FATAL_FAILURE(ExpectToldAt("/mia", minutes(10), 1));  // 15 minutes into the outage
  EXPECT_EQ(Received("/mia"), std::vector<Json>{Expected(15)});

  // The same outage goes on: nobody is told again, and max and gus were never told.
  hub_->Advance(minutes(120));
  LetTheHubLook();
  EXPECT_EQ(receiver_.Hits("/owner").size(), 1u);
  EXPECT_EQ(receiver_.Hits("/mia").size(), 1u);
  EXPECT_EQ(receiver_.Hits("/max").size(), 0u);
  EXPECT_EQ(receiver_.Hits("/gus").size(), 0u);

  // Back online the outage ends; a short cut afterwards is not reported, a long one again.
  ASSERT_NO_FATAL_FAILURE(Network(true));
  hub_->Advance(minutes(30));
  LetTheHubLook();
  ASSERT_NO_FATAL_FAILURE(Network(false));
  hub_->Advance(minutes(4));
  LetTheHubLook();
  ASSERT_NO_FATAL_FAILURE(Network(true));
  hub_->Advance(minutes(30));
  LetTheHubLook();
  EXPECT_EQ(receiver_.HitCount(), 2u) << "a 4-minute cut was reported, or the ended outage was";

  ASSERT_NO_FATAL_FAILURE(Network(false));
  ASSERT_NO_FATAL_FAILURE(ExpectToldAt("/owner", minutes(5), 2));  // the next outage, told again
  EXPECT_EQ(Received("/owner"), (std::vector<Json>{Expected(5), Expected(5)}));
  EXPECT_EQ(receiver_.Hits("/mia").size(), 1u);
}

TEST_F(HubPushOfflineTest, TurningTheSettingOnDuringAnOutageCountsFromItsStart) {
  Subscribe(owner_, "/owner", 0);
  ASSERT_NO_FATAL_FAILURE(Network(false));
  hub_->Advance(minutes(20));
  LetTheHubLook();
  EXPECT_EQ(receiver_.HitCount(), 0u);
  // Twenty minutes into the outage the owner asks for 10: told at the next look.
  const HttpResult s = hub_->Call("PATCH", "/api/v1/me/notifications", Json{{"offline_minutes", 10}}, owner_);
  ASSERT_EQ(s.status, 200) << s.Describe();
  ASSERT_TRUE(WaitCount("/owner", 1)) << "the setting turned on mid-outage was not followed";
  EXPECT_EQ(Received("/owner"), std::vector<Json>{Expected(10)});
}

TEST_F(HubPushOfflineTest, AHubStartedWhileTheLockIsUnreachableCountsFromItsStart) {
  Subscribe(owner_, "/owner", 5);
  ASSERT_NO_FATAL_FAILURE(Network(false));
  hub_->Advance(minutes(3));
  // A new hub process on the same data: the lock is offline until its session connects, and
  // the outage starts with the hub (the one before was three minutes old).
  hub_.reset();
  hub_ = std::make_unique<HubOnFakeClock>(dir_.path() + "/hub", receiver_);
  ASSERT_TRUE(hub_->status().ok()) << hub_->status().ToString();
  ASSERT_NO_FATAL_FAILURE(ExpectToldAt("/owner", minutes(5), 1));
  EXPECT_EQ(Received("/owner"), std::vector<Json>{Expected(5)});
}

}  // namespace
}  // namespace latchkey::testing
