// SECURITY.md "Clocks can be wrong" (issue 9 item 10) through real processes: once a lock's clock
// read 2035, the hub's right time was refused as a rollback for ever. Now the owner's
// `POST /locks/{id}/clock {"force": true}` sets it, the lock records it, and the hub's history
// shows it; a lock refuses a hub time more than a day ahead of its own estimate, also after a
// restart. And (item 14) an RFC 3339 time that an offset moves before year 1 is a 400.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

#include "harness.h"
#include "hub_harness.h"

namespace latchkey::testing {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class HubClockTest : public SharedDemoTest<HubClockTest, 1> {
 protected:
  void Prepare() override {
    lock_ = D().lock_ids()[0];
    admin_ = D().CreateAccount(Json{{"username", "clock-admin"}, {"password", "admin-password-1"}, {"role", "admin"}});
    ASSERT_FALSE(admin_.empty());
  }
  static HttpResult Owner(const std::string& method, const std::string& target, const Json& body = nullptr) {
    return D().Call(method, target, body, D().owner_token());
  }
  static std::string L() { return "/api/v1/locks/" + lock_; }
  // Every event of the lock the hub holds after `after`, once the mirror caught up.
  static std::vector<Json> History(uint64_t after) {
    EXPECT_TRUE(D().WaitMirrored(lock_, 10s));
    const HttpResult r = Owner("GET", L() + "/events?limit=1000&after=" + std::to_string(after));
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.json.contains("events") ? r.json["events"].get<std::vector<Json>>() : std::vector<Json>{};
  }
  static uint64_t LastSeq() {
    EXPECT_TRUE(D().WaitMirrored(lock_, 10s)) << "the hub did not mirror every event";
    return D().LockObject(lock_).value("last_event_seq", uint64_t{0});
  }

  static inline std::string lock_, admin_;
};

TEST_F(HubClockTest, TheOwnerForcesTheClockBackFromTheFutureAndItIsRecorded) {
  // The real-time clock jumps to 2035 (the hardware: the sim table's `clock set`), and the lock
  // notes it as the latest time seen.
  HttpResult r = Owner("POST", L() + "/sim/clock", Json{{"set", "2035-01-01T00:00:00Z"}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  const uint64_t before = LastSeq();
  ASSERT_EQ(Owner("POST", L() + "/sim/door", Json{{"state", "open"}}).status, 200);
  ASSERT_EQ(Owner("POST", L() + "/sim/door", Json{{"state", "closed"}}).status, 200);

  // The hub's right time is a rollback now, for the owner and for an admin.
  r = Owner("POST", L() + "/clock");
  EXPECT_EQ(r.status, 400) << r.Describe();
  EXPECT_EQ(r.error_code(), "invalid");
  EXPECT_NE(r.error_message().find("earlier than the latest time"), std::string::npos) << r.Describe();
  r = D().Call("POST", L() + "/clock", Json::object(), admin_);
  EXPECT_EQ(r.status, 400) << "an admin without force: as before " << r.Describe();
  // Only the owner may confirm it.
  r = D().Call("POST", L() + "/clock", Json{{"force", true}}, admin_);
  EXPECT_EQ(r.status, 403) << r.Describe();
  r = Owner("POST", L() + "/clock", Json{{"force", "yes"}});
  EXPECT_EQ(r.status, 400) << r.Describe();
  r = Owner("POST", L() + "/clock", Json{{"force", true}, {"time", 0}});
  EXPECT_EQ(r.status, 400) << "the time is always the hub's: " << r.Describe();

  const int64_t forced_at = NowMs();
  r = Owner("POST", L() + "/clock", Json{{"force", true}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  ASSERT_TRUE(r.json.contains("time")) << r.Describe();
  EXPECT_NEAR(static_cast<double>(r.json["time"].get<int64_t>()), static_cast<double>(forced_at), 10000);

  // The lock's clock is the hub's again, and the way back is in the history.
  const std::vector<Json> events = History(before);
  const auto forced = std::find_if(events.begin(), events.end(), [](const Json& e) {
    return e.value("kind", "") == "change" && e.value("data_type", "") == "clock" && e.value("forced", false);
  });
  ASSERT_NE(forced, events.end()) << "no forced clock change in the history";
  EXPECT_EQ(forced->value("from", "").substr(0, 10), "2035-01-01") << forced->dump();
  EXPECT_EQ(forced->value("to", ""), forced->value("time", "")) << forced->dump();
  EXPECT_EQ(forced->value("actor", ""), "owner") << forced->dump();
  EXPECT_EQ(forced->value("operation", ""), "modify") << forced->dump();
  EXPECT_LT(forced->value("to", ""), std::string("2030")) << forced->dump();
  EXPECT_EQ(Owner("GET", L() + "/events/verify").json.value("ok", false), true) << "the chain still verifies";

  // Not a one-off: later sets without force work again, for the admin too.
  r = D().Call("POST", L() + "/clock", Json::object(), admin_);
  EXPECT_EQ(r.status, 200) << r.Describe();
  r = Owner("POST", L() + "/clock");
  EXPECT_EQ(r.status, 200) << r.Describe();

  // The history across locks pages by (time, seq): every event comes exactly once, though
  // the lock's times went back (the 2035 ones sort first, as the lock stamped them).
  const uint64_t last = LastSeq();
  ASSERT_TRUE(D().WaitMirrored(lock_, 10s));
  std::multiset<uint64_t> seen;
  std::string cursor;
  for (int page = 0; page < 1000; ++page) {
    r = Owner("GET", "/api/v1/events?lock=" + lock_ + "&limit=7" + (cursor.empty() ? "" : "&before=" + UrlEncode(cursor)));
    ASSERT_EQ(r.status, 200) << r.Describe();
    for (const Json& e : r.json["events"]) seen.insert(e["seq"].get<uint64_t>());
    if (!r.json.contains("next_before")) break;
    cursor = r.json["next_before"];
  }
  const uint64_t first = Owner("GET", L() + "/events?limit=1").json["events"][0]["seq"].get<uint64_t>();
  EXPECT_EQ(seen.size(), last - first + 1);
  for (uint64_t seq = first; seq <= last; ++seq) EXPECT_EQ(seen.count(seq), 1u) << "seq " << seq;
}

// Item 14: the API answers 400 for a time that an offset moves out of 0001..9999, where it used
// to take it (and would write it back as a text that does not parse).
TEST_F(HubClockTest, AnRfc3339TimeOutsideYears1To9999Is400) {
  for (const char* bad : {"0000-01-01T08:00:00+21:00", "9999-12-31T23:59:59.999-00:01"}) {
    HttpResult r = Owner("GET", std::string("/api/v1/events?before_time=") + UrlEncode(bad));
    EXPECT_EQ(r.status, 400) << bad << ": " << r.Describe();
    r = Owner("POST", "/api/v1/accounts",
              Json{{"username", std::string("clock-guest-") + bad[0]}, {"password", "guest-password-1"}, {"role", "guest"},
                   {"locks", {lock_}}, {"valid_from", bad}});
    EXPECT_EQ(r.status, 400) << bad << ": " << r.Describe();
  }
  EXPECT_EQ(Owner("GET", "/api/v1/events?limit=1&before_time=" + UrlEncode("0001-01-01T00:00:00+00:00")).status, 200);
}

// A lock process and a hub whose clock is wrong (the test's own link client plays the hub).
class LockClockTest : public PairedLockTest<> {
 protected:
  void SetUp() override { StartLock(); }
  Json SetTime(int64_t time, bool force = false) {
    Json args{{"time", time}};
    if (force) args["force"] = true;
    return hub_.Request("set_time", HubLink::As(args));
  }
};

TEST_F(LockClockTest, AHubTimeFarAheadOfTheLocksEstimateIsRefusedUnlessForced) {
  constexpr int64_t kDay = 24 * 3600 * 1000LL;
  const int64_t now = NowMs();
  Json reply = SetTime(now);
  ASSERT_TRUE(reply.value("ok", false)) << reply.dump();
  reply = SetTime(now + 2 * kDay);
  EXPECT_FALSE(reply.value("ok", true)) << "a hub two days ahead: " << reply.dump();
  EXPECT_EQ(reply["error"].value("code", ""), "invalid") << reply.dump();
  EXPECT_NE(reply["error"].value("message", "").find("ahead"), std::string::npos) << reply.dump();

  // The estimate is stored: a crash and a restart (the simulated real-time clock starts again
  // from the real time) do not let the wrong hub in.
  hub_.Disconnect();
  lock_->Kill();
  lock_->Start();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(hub_.Connect(lock_->host(), lock_->link_port()));
  reply = SetTime(NowMs() + 2 * kDay);
  EXPECT_FALSE(reply.value("ok", true)) << "after a restart: " << reply.dump();

  // Forced, it is taken and recorded.
  reply = SetTime(now + 2 * kDay, /*force=*/true);
  ASSERT_TRUE(reply.value("ok", false)) << reply.dump();
  EXPECT_TRUE(hub_.WaitForEvent([&](const Json& e) {
    return e.value("data_type", "") == "clock" && e.value("forced", false) && e.value("to", int64_t{0}) == now + 2 * kDay;
  })) << "no forced clock event";
  // The sim-control clock (the hardware) still jumps freely, forward and back.
  EXPECT_EQ(SimHttp(lock_->sim_port(), "clock", Json{{"set", "2040-01-01T00:00:00Z"}})["status"], 200);
  EXPECT_EQ(SimHttp(lock_->sim_port(), "clock", Json{{"set", "2020-01-01T00:00:00Z"}})["status"], 200);
}

}  // namespace
}  // namespace latchkey::testing
