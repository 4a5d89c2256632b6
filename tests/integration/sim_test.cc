// API.md "Simulated hardware": every row of the sim table drives the lock's physical world, both
// through the hub's link (`sim` request) and through the lock's own sim-control HTTP server, and
// answers with what the lock did. Each test runs once per way in (…/link and …/http) and checks
// what a person at the door or at the hub would notice: the answer, the lock's state, and the
// events the hub receives.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <set>

#include "harness.h"

namespace latchkey::testing {
namespace {

// SimHttp, but a lock that hangs up without answering (it crashed?) is a test failure, not an
// exception that ends the test.
Json SimHttpOrFail(uint16_t port, const std::string& what, const Json& body = Json::object()) {
  try {
    return SimHttp(port, what, body);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "sim-control " << (what.empty() ? "GET /state" : "POST /sim/" + what)
                  << " got no answer (did the lock process die?): " << e.what();
    return Json{{"status", 0}, {"body", {{"error", {{"code", "no_answer"}, {"message", e.what()}}}}}};
  }
}

enum class Via { kLink, kHttp };
void PrintTo(Via via, std::ostream* os) { *os << (via == Via::kLink ? "link" : "http"); }

// Every key of `pattern` is in `event` with the same value.
bool Matches(const Json& event, const Json& pattern) {
  for (const auto& [key, value] : pattern.items()) {
    if (!event.contains(key) || event[key] != value) return false;
  }
  return true;
}

// The HTTP status the hub's API gives a link error code (API.md, Errors).
int HttpStatusOf(const std::string& code) {
  if (code == "invalid") return 400;
  if (code == "denied" || code == "forbidden") return 403;
  if (code == "not_found") return 404;
  if (code == "duplicate" || code == "occupied" || code == "resource_exhausted" || code == "jammed") return 409;
  if (code == "lock_offline") return 503;
  if (code == "lock_timeout") return 504;
  return 500;
}

struct SimReply {
  int status = 0;
  Json body;  // the result on 200, {"error": {...}} otherwise
};

class SimTest : public PairedLockTest<::testing::TestWithParam<Via>> {
 protected:
  void SetUp() override { StartLock(); }

  // One row of the sim table, through the way this test instance uses.
  SimReply Sim(const std::string& what, Json body = Json::object()) { return SimVia(GetParam(), what, std::move(body)); }

  SimReply SimVia(Via via, const std::string& what, Json body) {
    if (via == Via::kHttp) {
      const Json r = SimHttpOrFail(lock_->sim_port(), what, body);
      return {r["status"].get<int>(), r["body"]};
    }
    body["what"] = what;
    const Json r = hub_.Request("sim", std::move(body));
    if (r.value("ok", false)) return {200, r["result"]};
    const std::string code = r.contains("error") ? r["error"].value("code", "") : "";
    return {HttpStatusOf(code), Json{{"error", r.value("error", Json::object())}}};
  }

  // A link request that must succeed; returns its result.
  Json Req(const std::string& op, Json args = Json::object()) {
    const Json r = hub_.Request(op, HubLink::As(args));
    EXPECT_TRUE(r.value("ok", false)) << op << " " << args.dump() << " -> " << r.dump();
    return r.value("result", Json::object());
  }

  // The lock's state as sim-control reports it (works while the link is cut).
  Json State() { return SimHttpOrFail(lock_->sim_port(), "")["body"]; }
  uint64_t LastSeq() { return State().value("last_event_seq", uint64_t{0}); }

  // Every event logged after `after`, once the hub has received all the lock has logged.
  std::vector<Json> EventsAfter(uint64_t after) {
    const uint64_t last = LastSeq();
    EXPECT_TRUE(hub_.WaitForSeq(last)) << "the hub did not receive events up to " << last;
    std::vector<Json> out;
    for (const Json& e : hub_.events()) {
      if (e["seq"].get<uint64_t>() > after) out.push_back(e);
    }
    return out;
  }

  std::size_t Count(uint64_t after, const Json& pattern) {
    const auto events = EventsAfter(after);
    return static_cast<std::size_t>(
        std::count_if(events.begin(), events.end(), [&](const Json& e) { return Matches(e, pattern); }));
  }

  // Waits for an event matching `pattern` logged after `after`; returns it (null if none came).
  Json WaitEvent(uint64_t after, const Json& pattern) {
    Json found = Json::object();
    const bool ok = hub_.WaitForEvent(
        [&](const Json& e) {
          if (e["seq"].get<uint64_t>() <= after || !Matches(e, pattern)) return false;
          found = e;
          return true;
        },
        5s);
    EXPECT_TRUE(ok) << "the hub got no event like " << pattern.dump() << " after seq " << after << "; got "
                    << Json(hub_.events()).dump();
    return found;
  }

  int AddUserWith(const std::string& type, const std::string& data) {
    const Json r = Req("set_credential", {{"action", "add"}, {"type", type}, {"data", data}});
    return r.value("user", 0);
  }
};

std::string ViaName(const ::testing::TestParamInfo<Via>& info) { return info.param == Via::kLink ? "link" : "http"; }

INSTANTIATE_TEST_SUITE_P(SimVia, SimTest, ::testing::Values(Via::kLink, Via::kHttp), ViaName);

// Sim `keypad`: digits are buffered until '#' submits them, '*' clears what was typed, keys left
// without '#' are forgotten after 10 s; a right PIN opens, a wrong one is refused.
TEST_P(SimTest, KeypadBuffersDigitsStarClearsHashSubmits) {
  const int user = AddUserWith("pin", "135790");
  const uint64_t mark = LastSeq();

  SimReply r = Sim("keypad", {{"keys", "1357"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["result"], "pending");
  EXPECT_EQ(r.body["input"], "buffered");
  EXPECT_EQ(r.body["lock_state"], "locked");

  r = Sim("keypad", {{"keys", "90#"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["result"], "granted");
  EXPECT_EQ(r.body["user"], user);
  EXPECT_EQ(r.body["lock_state"], "unlocked");
  const Json opened = WaitEvent(mark, {{"kind", "lock_operation"}, {"operation", "unlock"}, {"source", "keypad"}});
  EXPECT_EQ(opened["user"], user);
  EXPECT_EQ(opened["credential"], (Json{{"type", "pin"}, {"index", 1}}));

  Req("lock");
  // "999" is cleared by '*': only the PIN after it is submitted.
  r = Sim("keypad", {{"keys", "999*135790#"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["result"], "granted");
  EXPECT_EQ(r.body["lock_state"], "unlocked");

  Req("lock");
  const uint64_t before_wrong = LastSeq();
  r = Sim("keypad", {{"keys", "000000#"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["result"], "denied");
  EXPECT_EQ(r.body["reason"], "invalid_credential");
  EXPECT_EQ(r.body["lock_state"], "locked");
  WaitEvent(before_wrong, {{"kind", "lock_operation_error"}, {"source", "keypad"}, {"error", "invalid_credential"}});

  // Keys typed without '#' are forgotten after 10 s.
  r = Sim("keypad", {{"keys", "1357"}});
  EXPECT_EQ(r.body["input"], "buffered");
  ASSERT_EQ(Sim("clock", {{"advance_s", 11}}).status, 200);
  r = Sim("keypad", {{"keys", "90#"}});
  EXPECT_EQ(r.body["result"], "denied");
  EXPECT_EQ(r.body["lock_state"], "locked");
}

// Sim `rfid`: a card held to the reader is the stored RFID credential (hex, any case).
TEST_P(SimTest, RfidCardOpensUnknownCardIsRefused) {
  const int user = AddUserWith("rfid", "04A1B2C3D4E5F6");
  const uint64_t mark = LastSeq();
  SimReply r = Sim("rfid", {{"uid", "04a1b2c3d4e5f6"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["result"], "granted");
  EXPECT_EQ(r.body["user"], user);
  EXPECT_EQ(r.body["lock_state"], "unlocked");
  const Json e = WaitEvent(mark, {{"kind", "lock_operation"}, {"operation", "unlock"}, {"source", "rfid"}});
  EXPECT_EQ(e["credential"]["type"], "rfid");

  Req("lock");
  r = Sim("rfid", {{"uid", "DEADBEEF"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["result"], "denied");
  EXPECT_EQ(r.body["reason"], "invalid_credential");
  EXPECT_EQ(r.body["lock_state"], "locked");
}

// Sim `finger`: a finger on the sensor matches its fingerprint template.
TEST_P(SimTest, FingerOnTheSensorOpens) {
  const int user = AddUserWith("fingerprint", "alice-right-index");
  const uint64_t mark = LastSeq();
  SimReply r = Sim("finger", {{"template", "alice-right-index"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["result"], "granted");
  EXPECT_EQ(r.body["user"], user);
  EXPECT_EQ(r.body["lock_state"], "unlocked");
  const Json e = WaitEvent(mark, {{"kind", "lock_operation"}, {"operation", "unlock"}, {"source", "fingerprint"}});
  EXPECT_EQ(e["credential"]["type"], "fingerprint");

  Req("lock");
  r = Sim("finger", {{"template", "mallory-thumb"}});
  EXPECT_EQ(r.body["result"], "denied");
  EXPECT_EQ(r.body["lock_state"], "locked");
}

// Sim `face`: a face in front of the camera matches its face template.
TEST_P(SimTest, FaceInFrontOfTheCameraOpens) {
  const int user = AddUserWith("face", "alice");
  const uint64_t mark = LastSeq();
  SimReply r = Sim("face", {{"template", "alice"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["result"], "granted");
  EXPECT_EQ(r.body["user"], user);
  EXPECT_EQ(r.body["lock_state"], "unlocked");
  const Json e = WaitEvent(mark, {{"kind", "lock_operation"}, {"operation", "unlock"}, {"source", "face"}});
  EXPECT_EQ(e["credential"]["type"], "face");

  Req("lock");
  r = Sim("face", {{"template", "bob"}});
  EXPECT_EQ(r.body["result"], "denied");
  EXPECT_EQ(r.body["lock_state"], "locked");
}

// Sim `button`: with one_touch_locking (default) the outside button locks without a credential
// (source button); with it off, the button alone does not lock.
TEST_P(SimTest, ButtonLocksWithOneTouch) {
  Req("unlock");
  uint64_t mark = LastSeq();
  SimReply r = Sim("button");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["result"], "granted");
  EXPECT_EQ(r.body["lock_state"], "locked");
  WaitEvent(mark, {{"kind", "lock_operation"}, {"operation", "lock"}, {"source", "button"}});

  Req("set_settings", {{"settings", {{"one_touch_locking", false}}}});
  Req("unlock");
  mark = LastSeq();
  r = Sim("button");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_NE(r.body["result"], "granted");
  EXPECT_EQ(r.body["lock_state"], "unlocked");
  EXPECT_EQ(Count(mark, {{"kind", "lock_operation"}, {"source", "button"}}), 0u);
}

// Sim `thumbturn`: the inside knob locks and unlocks; the lock records source manual.
TEST_P(SimTest, ThumbturnLocksAndUnlocksAsManual) {
  const uint64_t mark = LastSeq();
  SimReply r = Sim("thumbturn", {{"action", "unlock"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["lock_state"], "unlocked");
  const Json unlocked = WaitEvent(mark, {{"kind", "lock_operation"}, {"operation", "unlock"}, {"source", "manual"}});

  r = Sim("thumbturn", {{"action", "lock"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["lock_state"], "locked");
  WaitEvent(unlocked.value("seq", mark), {{"kind", "lock_operation"}, {"operation", "lock"}, {"source", "manual"}});
  EXPECT_EQ(Req("get_state")["lock_state"], "locked");
}

// Sim `key`: the mechanical key from outside works and is recorded with source key.
TEST_P(SimTest, MechanicalKeyIsRecordedAsKey) {
  const uint64_t mark = LastSeq();
  SimReply r = Sim("key", {{"action", "unlock"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["lock_state"], "unlocked");
  const Json unlocked = WaitEvent(mark, {{"kind", "lock_operation"}, {"operation", "unlock"}, {"source", "key"}});

  r = Sim("key", {{"action", "lock"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["lock_state"], "locked");
  WaitEvent(unlocked.value("seq", mark), {{"kind", "lock_operation"}, {"operation", "lock"}, {"source", "key"}});
}

// Sim `door`: door_state events; a door opened while the bolt is locked is forced_open and raises
// door_forced_open; opened while unlocked it is just open.
TEST_P(SimTest, DoorOpenedWhileLockedIsForcedOpen) {
  const uint64_t mark = LastSeq();
  SimReply r = Sim("door", {{"state", "open"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["door_state"], "forced_open");
  WaitEvent(mark, {{"kind", "door_state"}, {"door_state", "forced_open"}});
  WaitEvent(mark, {{"kind", "alarm"}, {"alarm", "door_forced_open"}});

  r = Sim("door", {{"state", "closed"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["door_state"], "closed");
  WaitEvent(mark, {{"kind", "door_state"}, {"door_state", "closed"}});

  Req("unlock");
  r = Sim("door", {{"state", "open"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["door_state"], "open");
  WaitEvent(mark, {{"kind", "door_state"}, {"door_state", "open"}});
  EXPECT_EQ(Count(mark, {{"kind", "alarm"}, {"alarm", "door_forced_open"}}), 1u);
  EXPECT_EQ(Req("get_state")["door_state"], "open");
}

// Sim `battery`: millivolts or percent; crossing 20 % raises low_battery once, crossing 5 % raises
// critical_battery once; the state reports percent, millivolts, low and critical.
TEST_P(SimTest, BatteryRaisesLowAndCriticalOnce) {
  const uint64_t mark = LastSeq();
  SimReply r = Sim("battery", {{"percent", 50}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["battery"]["percent"], 50);
  EXPECT_EQ(r.body["battery"]["low"], false);

  r = Sim("battery", {{"percent", 15}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["battery"]["percent"], 15);
  EXPECT_EQ(r.body["battery"]["low"], true);
  EXPECT_EQ(r.body["battery"]["critical"], false);
  r = Sim("battery", {{"percent", 10}});
  ASSERT_EQ(r.status, 200) << r.body.dump();

  r = Sim("battery", {{"millivolts", 4550}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["battery"]["millivolts"], 4550);
  EXPECT_EQ(r.body["battery"]["critical"], true);
  EXPECT_LE(r.body["battery"]["percent"].get<int>(), 5);
  r = Sim("battery", {{"millivolts", 4500}});
  ASSERT_EQ(r.status, 200) << r.body.dump();

  EXPECT_EQ(Count(mark, {{"kind", "alarm"}, {"alarm", "low_battery"}}), 1u);
  EXPECT_EQ(Count(mark, {{"kind", "alarm"}, {"alarm", "critical_battery"}}), 1u);
  const Json state = Req("get_state");
  EXPECT_EQ(state["battery"]["millivolts"], 4500);
  EXPECT_EQ(state["battery"]["critical"], true);
}

// Sim `external_power`: a power bank at the outside connector is a power event, and lets a dead
// lock open for a valid credential that it refused with insufficient_battery before.
TEST_P(SimTest, ExternalPowerLetsADeadLockOpen) {
  AddUserWith("pin", "246810");
  ASSERT_EQ(Sim("battery", {{"percent", 0}}).status, 200);
  SimReply r = Sim("keypad", {{"keys", "246810#"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["result"], "denied");
  EXPECT_EQ(r.body["reason"], "insufficient_battery");
  EXPECT_EQ(r.body["lock_state"], "locked");

  const uint64_t mark = LastSeq();
  r = Sim("external_power", {{"connected", true}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["battery"]["external_power"], true);
  WaitEvent(mark, {{"kind", "power"}, {"external_power", true}});

  r = Sim("keypad", {{"keys", "246810#"}});
  EXPECT_EQ(r.body["result"], "granted");
  EXPECT_EQ(r.body["lock_state"], "unlocked");

  r = Sim("external_power", {{"connected", false}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["battery"]["external_power"], false);
  WaitEvent(mark, {{"kind", "power"}, {"external_power", false}});
}

// Sim `tamper`: the outside cover pried off raises the tamper alarm.
TEST_P(SimTest, TamperRaisesAnAlarm) {
  const uint64_t mark = LastSeq();
  const SimReply r = Sim("tamper");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["lock_state"], "locked");
  WaitEvent(mark, {{"kind", "alarm"}, {"alarm", "tamper"}});
  EXPECT_EQ(Count(mark, {{"kind", "alarm"}, {"alarm", "tamper"}}), 1u);
}

// Sim `jam`: the next motor movement stalls; the remote unlock is answered with error jammed, a
// lock_jammed alarm arrives, and the next good movement clears the jam.
TEST_P(SimTest, JamNextMakesRemoteUnlockAnswerJammed) {
  const uint64_t mark = LastSeq();
  const SimReply r = Sim("jam", {{"next", true}});
  ASSERT_EQ(r.status, 200) << r.body.dump();

  const Json unlock = hub_.Request("unlock", HubLink::As({}));
  ASSERT_FALSE(unlock.value("ok", true)) << unlock.dump();
  EXPECT_EQ(unlock["error"]["code"], "jammed");
  WaitEvent(mark, {{"kind", "alarm"}, {"alarm", "lock_jammed"}});
  EXPECT_EQ(Req("get_state")["lock_state"], "jammed");

  const Json again = Req("unlock");
  EXPECT_EQ(again["lock_state"], "unlocked");
}

// Sim `clock` advance_s: time passes and every timer due fires: the auto-relock locks (source
// auto) and a running lockout ends.
TEST_P(SimTest, ClockAdvanceFiresRelockAndEndsLockout) {
  AddUserWith("pin", "112233");
  Req("set_settings", {{"settings", {{"auto_relock_s", 30}, {"wrong_code_limit", 1}, {"lockout_s", 60}}}});
  Req("unlock");
  uint64_t mark = LastSeq();
  SimReply r = Sim("clock", {{"advance_s", 31}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["lock_state"], "locked");
  WaitEvent(mark, {{"kind", "lock_operation"}, {"operation", "lock"}, {"source", "auto"}});

  // One wrong code starts a 60 s lockout: the right code is refused until time has passed.
  mark = LastSeq();
  EXPECT_EQ(Sim("keypad", {{"keys", "999999#"}}).body["reason"], "invalid_credential");
  WaitEvent(mark, {{"kind", "alarm"}, {"alarm", "wrong_code_limit"}});
  EXPECT_EQ(Sim("keypad", {{"keys", "112233#"}}).body["reason"], "lockout");
  r = Sim("clock", {{"advance_s", 61}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["lockout_remaining_ms"], 0);
  r = Sim("keypad", {{"keys", "112233#"}});
  EXPECT_EQ(r.body["result"], "granted");
  EXPECT_EQ(r.body["lock_state"], "unlocked");
}

// Sim `clock` set: the wall clock jumps (forward or back; events carry the new time) while a
// running lockout keeps its remaining time.
TEST_P(SimTest, ClockSetJumpsWallClockButLockoutKeepsItsTime) {
  AddUserWith("pin", "445566");
  Req("set_settings", {{"settings", {{"wrong_code_limit", 1}, {"lockout_s", 60}, {"lockout_escalation", false}}}});

  const int64_t t1 = 1812009600000;  // 2027-06-03T08:00:00Z
  SimReply r = Sim("clock", {{"set", "2027-06-03T08:00:00Z"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  uint64_t mark = LastSeq();
  Sim("tamper");
  Json e = WaitEvent(mark, {{"kind", "alarm"}, {"alarm", "tamper"}});
  EXPECT_GE(e.value("time", int64_t{0}), t1);
  EXPECT_LT(e.value("time", int64_t{0}), t1 + 60'000);

  EXPECT_EQ(Sim("keypad", {{"keys", "000000#"}}).body["reason"], "invalid_credential");
  const int64_t before = State()["lockout_remaining_ms"].get<int64_t>();
  EXPECT_GT(before, 55'000);

  // A day forward: the lockout does not end with it.
  r = Sim("clock", {{"set", "2027-06-04T08:00:00Z"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_GT(r.body["lockout_remaining_ms"].get<int64_t>(), 50'000);
  EXPECT_EQ(Sim("keypad", {{"keys", "445566#"}}).body["reason"], "lockout");
  mark = LastSeq();
  Sim("tamper");
  e = WaitEvent(mark, {{"kind", "alarm"}, {"alarm", "tamper"}});
  EXPECT_GE(e.value("time", int64_t{0}), t1 + 86'400'000);

  // An hour back: the lockout is not extended either.
  r = Sim("clock", {{"set", "2027-06-04T07:00:00Z"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_GT(r.body["lockout_remaining_ms"].get<int64_t>(), 50'000);
  EXPECT_LE(r.body["lockout_remaining_ms"].get<int64_t>(), 60'000);
  EXPECT_EQ(Sim("keypad", {{"keys", "445566#"}}).body["reason"], "lockout");

  ASSERT_EQ(Sim("clock", {{"advance_s", 61}}).status, 200);
  EXPECT_EQ(Sim("keypad", {{"keys", "445566#"}}).body["result"], "granted");
}

// Sim `power_cycle`: the lock boots again, raises power_cycled, and nothing stored is lost: users,
// credentials and their working PINs are all still there.
TEST_P(SimTest, PowerCycleRaisesPowerCycledAndLosesNothing) {
  const int user = AddUserWith("pin", "778899");
  Req("set_credential", {{"action", "add"}, {"type", "rfid"}, {"data", "0A0B0C0D"}, {"user", user}});
  Req("set_settings", {{"settings", {{"name", "Front door"}, {"auto_relock_s", 45}}}});
  const Json users_before = Req("list_users");
  const Json credentials_before = Req("list_credentials");
  const uint64_t mark = LastSeq();

  const SimReply r = Sim("power_cycle");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["lock_state"], "locked");
  const Json e = WaitEvent(mark, {{"kind", "alarm"}, {"alarm", "power_cycled"}});
  EXPECT_EQ(e["seq"], mark + 1);  // the log goes on where it was

  EXPECT_EQ(Req("list_users"), users_before);
  EXPECT_EQ(Req("list_credentials"), credentials_before);
  const Json state = Req("get_state");
  EXPECT_EQ(state["settings"]["name"], "Front door");
  EXPECT_EQ(state["settings"]["auto_relock_s"], 45);
  EXPECT_EQ(Sim("keypad", {{"keys", "778899#"}}).body["result"], "granted");
  Req("lock");
  EXPECT_EQ(Sim("rfid", {{"uid", "0A0B0C0D"}}).body["result"], "granted");
}

// Sim `network`: {connected:false} drops the hub's link and reconnecting fails; sim-control still
// drives the lock; after {connected:true} the hub reconnects and receives every event logged
// meanwhile exactly once, in order.
TEST_P(SimTest, NetworkCutDropsTheLinkAndEventsArriveOnceAfterwards) {
  AddUserWith("pin", "314159");
  const uint64_t mark = LastSeq();
  ASSERT_TRUE(hub_.WaitForSeq(mark));

  const SimReply cut = Sim("network", {{"connected", false}});
  EXPECT_EQ(cut.status, 200) << "cutting the network is answered before the link drops: " << cut.body.dump();
  EXPECT_TRUE(hub_.WaitClosed(5s));
  EXPECT_FALSE(hub_.connected());
  EXPECT_FALSE(hub_.Connect(lock_->host(), lock_->link_port(), 2s));
  EXPECT_EQ(hub_.Request("get_state")["error"]["code"], "lock_offline");

  // The physical world goes on while the hub cannot see it.
  SimReply r = SimVia(Via::kHttp, "keypad", {{"keys", "000000#"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["result"], "denied");
  r = SimVia(Via::kHttp, "keypad", {{"keys", "314159#"}});
  EXPECT_EQ(r.body["result"], "granted");
  EXPECT_EQ(r.body["lock_state"], "unlocked");
  EXPECT_EQ(SimVia(Via::kHttp, "door", {{"state", "open"}}).body["door_state"], "open");
  EXPECT_EQ(SimVia(Via::kHttp, "door", {{"state", "closed"}}).body["door_state"], "closed");
  EXPECT_EQ(SimVia(Via::kHttp, "thumbturn", {{"action", "lock"}}).body["lock_state"], "locked");
  EXPECT_EQ(SimVia(Via::kHttp, "tamper", Json::object()).status, 200);
  const uint64_t last = LastSeq();
  EXPECT_GE(last, mark + 6);
  EXPECT_LE(hub_.acked_seq(), mark) << "the hub saw events through a cut link";

  r = SimVia(Via::kHttp, "network", {{"connected", true}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  ASSERT_TRUE(hub_.Connect(lock_->host(), lock_->link_port()));
  ASSERT_TRUE(hub_.WaitForSeq(last));

  const auto events = hub_.events();
  std::set<uint64_t> seen;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const uint64_t seq = events[i]["seq"].get<uint64_t>();
    EXPECT_EQ(seq, i + 1) << "events arrive once each, in order, without gaps";
    EXPECT_TRUE(seen.insert(seq).second) << "seq " << seq << " arrived twice";
  }
  std::vector<Json> meanwhile;
  for (const Json& e : events) {
    if (e["seq"].get<uint64_t>() > mark && e["seq"].get<uint64_t>() <= last) meanwhile.push_back(e);
  }
  const std::vector<Json> expected = {
      {{"kind", "lock_operation_error"}, {"source", "keypad"}, {"error", "invalid_credential"}},
      {{"kind", "lock_operation"}, {"source", "keypad"}, {"operation", "unlock"}},
      {{"kind", "door_state"}, {"door_state", "open"}},
      {{"kind", "door_state"}, {"door_state", "closed"}},
      {{"kind", "lock_operation"}, {"source", "manual"}, {"operation", "lock"}},
      {{"kind", "alarm"}, {"alarm", "tamper"}},
  };
  std::size_t next = 0;
  for (const Json& e : meanwhile) {
    if (next < expected.size() && Matches(e, expected[next])) ++next;
  }
  EXPECT_EQ(next, expected.size()) << "missing or out of order: " << Json(meanwhile).dump();

  // The link works again, and new events still arrive once.
  const Json state = Req("get_state");
  EXPECT_EQ(state["lock_state"], "locked");
  const uint64_t after = LastSeq();
  Sim("tamper");
  WaitEvent(after, {{"kind", "alarm"}, {"alarm", "tamper"}});
  EXPECT_EQ(Count(after, {{"kind", "alarm"}, {"alarm", "tamper"}}), 1u);
}

// Sim input validation: an unknown row, a wrong type, a missing field, or both millivolts and
// percent is a 400 (code invalid) whose message names the problem, and changes nothing.
TEST_P(SimTest, BadSimInputIs400AndChangesNothing) {
  AddUserWith("pin", "123789");
  const Json before = State();
  ASSERT_TRUE(hub_.WaitForSeq(before["last_event_seq"].get<uint64_t>()));
  const std::size_t events_before = hub_.events().size();

  struct Case {
    std::string what;
    Json body;
    std::string message_mentions;
  };
  const std::vector<Case> cases = {
      {"teleport", Json::object(), "teleport"},
      {"keypad", {{"keys", 123789}}, "keys"},
      {"keypad", Json::object(), "keys"},
      {"keypad", {{"keys", "12a3#"}}, "keys"},
      {"rfid", Json::object(), "uid"},
      {"rfid", {{"uid", true}}, "uid"},
      {"finger", {{"template", 7}}, "template"},
      {"face", Json::object(), "template"},
      {"thumbturn", {{"action", "open"}}, "action"},
      {"thumbturn", Json::object(), "action"},
      {"key", {{"action", 1}}, "action"},
      {"door", {{"state", "ajar"}}, "state"},
      {"door", Json::object(), "state"},
      {"battery", {{"millivolts", 4700}, {"percent", 10}}, "millivolts"},
      {"battery", Json::object(), "percent"},
      {"battery", {{"percent", 101}}, "percent"},
      {"battery", {{"millivolts", "4700"}}, "millivolts"},
      {"external_power", Json::object(), "connected"},
      {"external_power", {{"connected", "yes"}}, "connected"},
      {"jam", {{"next", 1}}, "next"},
      {"clock", {{"advance_s", 60}, {"set", "2027-06-07T08:00:00Z"}}, "advance_s"},
      {"clock", Json::object(), "advance_s"},
      {"clock", {{"advance_s", -5}}, "advance_s"},
      {"clock", {{"set", "tomorrow"}}, "set"},
      {"network", {{"connected", "no"}}, "connected"},
      {"network", Json::object(), "connected"},
  };
  for (const Case& c : cases) {
    const SimReply r = Sim(c.what, c.body);
    EXPECT_EQ(r.status, 400) << c.what << " " << c.body.dump() << " -> " << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], "invalid") << c.what << " " << c.body.dump();
    const std::string message = r.body["error"].value("message", "");
    EXPECT_NE(message.find(c.message_mentions), std::string::npos)
        << c.what << " " << c.body.dump() << ": message '" << message << "' does not name " << c.message_mentions;
  }
  if (GetParam() == Via::kHttp) {
    const Json r = SimHttpOrFail(lock_->sim_port(), "keypad", Json::array({"123789#"}));
    EXPECT_EQ(r["status"], 400) << r.dump();
  } else {
    const Json r = hub_.Request("sim", Json{{"keys", "123789#"}});
    EXPECT_EQ(r["error"]["code"], "invalid") << r.dump();
    EXPECT_NE(r["error"].value("message", "").find("what"), std::string::npos) << r.dump();
  }

  // Nothing changed: not the bolt, the door, the battery, the lockout, the clock or the log.
  const Json after = State();
  for (const char* field : {"lock_state", "door_state", "battery", "operating_mode", "lockout_remaining_ms",
                            "last_event_seq", "settings"}) {
    EXPECT_EQ(after[field], before[field]) << field;
  }
  EXPECT_TRUE(hub_.connected());
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(hub_.events().size(), events_before);
  // The keypad buffer holds nothing from the refused keys: the PIN alone still works.
  EXPECT_EQ(Sim("keypad", {{"keys", "123789#"}}).body["result"], "granted");
  // And the clock did not move: a tamper event now carries about the real time.
  const uint64_t mark = LastSeq();
  Sim("tamper");
  const Json e = WaitEvent(mark, {{"kind", "alarm"}, {"alarm", "tamper"}});
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LT(std::abs(e.value("time", int64_t{0}) - now_ms), 5'000);
}

}  // namespace
}  // namespace latchkey::testing
