// API.md "History and live events": GET /api/v1/stream (WebSocket, ?token=) sends
// {"type":"event","lock","event"} for each new event and {"type":"state","lock",...} for each
// change of lock state, for the locks the account may see; ?after=<lock>:<seq>,... replays
// what a reconnecting client missed, exactly once.
#include <atomic>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <set>

#include "hub_harness.h"
#include "platform/time_format.h"
#include "wait.h"

namespace latchkey::testing {
namespace {

class HubStreamTest : public SharedDemoTest<HubStreamTest, 2> {
 protected:
  void Prepare() override {
    a_ = D().lock_ids()[0];
    b_ = D().lock_ids()[1];
    ASSERT_EQ(Owner("POST", L(a_) + "/users", Json{{"index", 5}, {"name", "streamer"}}).status, 201);
    ASSERT_EQ(Owner("POST", L(a_) + "/credentials", Json{{"type", "pin"}, {"data", "582046"}, {"user", 5}}).status, 201);
    ASSERT_EQ(Owner("POST", L(a_) + "/lock").status, 200);
  }

  static std::string L(const std::string& lock) { return "/api/v1/locks/" + lock; }
  static HttpResult Owner(const std::string& method, const std::string& target, const Json& body = nullptr) {
    return D().Call(method, target, body, D().owner_token());
  }
  static std::string Stream(const std::string& token, const std::string& after = "") {
    return "/api/v1/stream?token=" + UrlEncode(token) + (after.empty() ? "" : "&after=" + UrlEncode(after));
  }
  static void Door(const std::string& lock, const std::string& state) {
    const HttpResult r = Owner("POST", L(lock) + "/sim/door", Json{{"state", state}});
    EXPECT_EQ(r.status, 200) << r.Describe();
  }
  static uint64_t Mirrored(const std::string& lock, std::chrono::milliseconds timeout = 10s) {
    EXPECT_TRUE(D().WaitMirrored(lock, timeout)) << "the hub did not mirror every event of " << lock << " in time";
    return D().LockObject(lock).value("last_event_seq", uint64_t{0});
  }
  static bool IsEvent(const Json& m, const std::string& lock) { return m.value("type", "") == "event" && m.value("lock", "") == lock; }

  static inline std::string a_, b_;
};

TEST_F(HubStreamTest, KeypadEventAndStateChangeArrive) {
  WsClient ws;
  ASSERT_EQ(ws.Connect(D().port(), Stream(D().owner_token())), 101) << ws.refusal_body();
  const HttpResult press = Owner("POST", L(a_) + "/sim/keypad", Json{{"keys", "582046#"}});
  ASSERT_EQ(press.status, 200) << press.Describe();
  ASSERT_EQ(press.json["result"], "granted") << press.body;

  const auto event = ws.WaitFor([&](const Json& m) {
    return IsEvent(m, a_) && m["event"].value("kind", "") == "lock_operation" && m["event"].value("source", "") == "keypad";
  }, 5s);
  ASSERT_TRUE(event.has_value()) << "no keypad event; got: " << Json(ws.All()).dump();
  EXPECT_EQ((*event)["event"]["lock"], a_);
  EXPECT_EQ((*event)["event"]["operation"], "unlock");
  EXPECT_EQ((*event)["event"]["user"], 5);
  EXPECT_TRUE((*event)["event"]["time"].is_string()) << "times are RFC 3339 in the stream too: " << event->dump();
  // The same event as history has it.
  const uint64_t seq = (*event)["event"]["seq"];
  Mirrored(a_);
  const HttpResult history = Owner("GET", L(a_) + "/events?limit=1&after=" + std::to_string(seq - 1));
  ASSERT_EQ(history.status, 200);
  ASSERT_EQ(history.json["events"].size(), 1u);
  EXPECT_EQ(history.json["events"][0], (*event)["event"]);

  const auto unlocked = ws.WaitFor([&](const Json& m) {
    return m.value("type", "") == "state" && m.value("lock", "") == a_ && m.value("lock_state", "") == "unlocked";
  }, 5s);
  EXPECT_TRUE(unlocked.has_value()) << "no state message for the unlock; got: " << Json(ws.All()).dump();

  // A remote lock: a state message with the new lock_state.
  ASSERT_EQ(Owner("POST", L(a_) + "/lock").status, 200);
  const auto locked = ws.WaitFor([&](const Json& m) {
    return m.value("type", "") == "state" && m.value("lock", "") == a_ && m.value("lock_state", "") == "locked";
  }, 5s);
  ASSERT_TRUE(locked.has_value()) << "no state message for the lock; got: " << Json(ws.All()).dump();
  for (const char* key : {"online", "door_state", "battery", "operating_mode"}) {
    EXPECT_TRUE(locked->contains(key)) << key << " missing in " << locked->dump();
  }
  // Every event message arrives once.
  const std::vector<uint64_t> seqs = EventSeqs(ws.Settle(), a_);
  EXPECT_EQ(std::set<uint64_t>(seqs.begin(), seqs.end()).size(), seqs.size()) << "duplicate events in the stream";
}

TEST_F(HubStreamTest, RefusedWithoutAValidToken) {
  WsClient none;
  EXPECT_EQ(none.Connect(D().port(), "/api/v1/stream"), 401);
  EXPECT_NE(none.refusal_body().find("unauthorized"), std::string::npos) << none.refusal_body();
  WsClient bad;
  EXPECT_EQ(bad.Connect(D().port(), "/api/v1/stream?token=lk_" + std::string(64, '0')), 401);
  // A revoked token is refused too.
  const HttpResult t = Owner("POST", "/api/v1/tokens", Json{{"name", "ws"}});
  ASSERT_EQ(t.status, 201);
  ASSERT_EQ(Owner("DELETE", "/api/v1/tokens/" + t.json["id"].get<std::string>()).status, 200);
  WsClient revoked;
  EXPECT_EQ(revoked.Connect(D().port(), Stream(t.json["token"])), 401);
  // A malformed after= is a 400; another path a 404.
  WsClient bad_after;
  EXPECT_EQ(bad_after.Connect(D().port(), Stream(D().owner_token(), a_ + ":x")), 400);
  WsClient bad_after2;
  EXPECT_EQ(bad_after2.Connect(D().port(), Stream(D().owner_token(), "nocolon")), 400);
  WsClient elsewhere;
  EXPECT_EQ(elsewhere.Connect(D().port(), "/api/v1/streams?token=" + D().owner_token()), 404);
}

TEST_F(HubStreamTest, ReconnectWithAfterGetsWhatItMissedExactlyOnce) {
  uint64_t seen_a = 0;
  {
    WsClient first;
    ASSERT_EQ(first.Connect(D().port(), Stream(D().owner_token())), 101);
    Door(a_, "open");
    const auto e = first.WaitFor([&](const Json& m) { return IsEvent(m, a_) && m["event"]["kind"] == "door_state"; }, 5s);
    ASSERT_TRUE(e.has_value()) << Json(first.All()).dump();
    seen_a = (*e)["event"]["seq"];
    first.Close();
  }
  const uint64_t seen_b = Mirrored(b_);
  // Missed while away: 3 on lock A, 2 on lock B.
  Door(a_, "closed");
  Door(a_, "open");
  Door(a_, "closed");
  Door(b_, "open");
  Door(b_, "closed");
  const uint64_t last_a = Mirrored(a_), last_b = Mirrored(b_);
  ASSERT_GE(last_a, seen_a + 3);
  ASSERT_GE(last_b, seen_b + 2);

  WsClient again;
  ASSERT_EQ(again.Connect(D().port(), Stream(D().owner_token(), a_ + ":" + std::to_string(seen_a) + "," + b_ + ":" +
                                                                     std::to_string(seen_b))),
            101);
  // Then one more, live.
  const auto caught_up = again.WaitFor([&](const Json& m) { return IsEvent(m, a_) && m["event"]["seq"] == last_a; }, 5s);
  ASSERT_TRUE(caught_up.has_value()) << "the missed events did not arrive: " << Json(again.All()).dump();
  Door(a_, "open");
  const uint64_t live = Mirrored(a_);
  ASSERT_TRUE(again.WaitFor([&](const Json& m) { return IsEvent(m, a_) && m["event"]["seq"] == live; }, 5s).has_value());
  const std::vector<Json> all = again.Settle();

  std::vector<uint64_t> expected_a, expected_b;
  for (uint64_t s = seen_a + 1; s <= live; ++s) expected_a.push_back(s);
  for (uint64_t s = seen_b + 1; s <= last_b; ++s) expected_b.push_back(s);
  EXPECT_EQ(EventSeqs(all, a_), expected_a) << "lock A: every missed event once, in order, then the live one";
  EXPECT_EQ(EventSeqs(all, b_), expected_b) << "lock B: every missed event once, in order";
}

// Revoking access reaches streams that are already open: a narrowed lock list applies at once,
// and a deleted account's or revoked token's stream is closed.
TEST_F(HubStreamTest, RevokedAccessReachesOpenStreams) {
  const std::string member = D().CreateAccount(
      Json{{"username", "s-member"}, {"password", "member-password-1"}, {"role", "member"}, {"locks", {a_, b_}}});
  ASSERT_FALSE(member.empty());
  WsClient ws;
  ASSERT_EQ(ws.Connect(D().port(), Stream(member)), 101) << ws.refusal_body();
  Door(a_, "open");
  Door(a_, "closed");
  ASSERT_TRUE(ws.WaitFor([&](const Json& m) { return IsEvent(m, a_); }, 5s)) << Json(ws.All()).dump();

  HttpResult r = Owner("PATCH", "/api/v1/accounts/s-member", Json{{"locks", {b_}}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  ws.Settle();
  const std::size_t before = ws.All().size();
  Door(a_, "open");
  Door(a_, "closed");
  Door(b_, "open");
  Door(b_, "closed");
  ASSERT_TRUE(ws.WaitFor([&](const Json& m) { return IsEvent(m, b_) && m["event"]["kind"] == "door_state"; }, 5s));
  const std::vector<Json> after = ws.Settle();
  for (std::size_t i = before; i < after.size(); ++i) {
    EXPECT_NE(after[i].value("lock", ""), a_) << "lock A was taken from the account: " << after[i].dump();
  }
  EXPECT_FALSE(ws.closed());

  r = Owner("DELETE", "/api/v1/accounts/s-member");
  ASSERT_EQ(r.status, 200) << r.Describe();
  (void)latchkey::testing::WaitUntil([&] { return ws.closed(); }, std::chrono::milliseconds(5000), std::chrono::milliseconds(100));
  EXPECT_TRUE(ws.closed()) << "the deleted account's stream stays open";

  // A token revoked by DELETE /tokens/{id} likewise.
  r = Owner("POST", "/api/v1/tokens", Json{{"name", "stream-token"}});
  ASSERT_EQ(r.status, 201) << r.Describe();
  const std::string id = r.json.value("id", ""), token = r.json.value("token", "");
  WsClient second;
  ASSERT_EQ(second.Connect(D().port(), Stream(token)), 101) << second.refusal_body();
  ASSERT_EQ(Owner("DELETE", "/api/v1/tokens/" + id).status, 200);
  (void)latchkey::testing::WaitUntil([&] { return second.closed(); }, std::chrono::milliseconds(5000), std::chrono::milliseconds(100));
  EXPECT_TRUE(second.closed()) << "the revoked token's stream stays open";
}

TEST_F(HubStreamTest, GuestSeesOnlyItsLock) {
  const auto now = std::chrono::system_clock::now();
  const auto rfc = [](std::chrono::system_clock::time_point t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    return std::string(text);
  };
  const std::string guest = D().CreateAccount(Json{{"username", "s-guest"},
                                                   {"password", "guest-password-1"},
                                                   {"role", "guest"},
                                                   {"locks", {a_}},
                                                   {"valid_from", rfc(now - std::chrono::minutes(1))},
                                                   {"valid_until", rfc(now + std::chrono::hours(1))}});
  ASSERT_FALSE(guest.empty());
  Door(a_, "closed");
  Door(b_, "closed");
  WsClient ws;
  // A guest does not read history: its after= for lock B (or A) replays nothing.
  ASSERT_EQ(ws.Connect(D().port(), Stream(guest, b_ + ":0," + a_ + ":0")), 101) << ws.refusal_body();
  Door(b_, "open");
  Door(b_, "closed");
  ASSERT_EQ(Owner("POST", L(b_) + "/unlock").status, 200);
  ASSERT_EQ(Owner("POST", L(b_) + "/lock").status, 200);
  Door(a_, "open");
  Door(a_, "closed");
  const auto from_a = ws.WaitFor([&](const Json& m) { return IsEvent(m, a_) && m["event"]["kind"] == "door_state"; }, 5s);
  EXPECT_TRUE(from_a.has_value()) << "the guest's lock's events reach it: " << Json(ws.All()).dump();
  const std::vector<Json> all = ws.Settle();
  ASSERT_FALSE(all.empty());
  for (const Json& m : all) {
    EXPECT_EQ(m.value("lock", ""), a_) << "a guest got another lock's message: " << m.dump();
    if (m.value("type", "") == "event") {
      EXPECT_NE(m["event"].value("seq", uint64_t{0}), 1u) << "nothing replayed for a guest";
    }
  }
  std::size_t doors = 0;
  for (const Json& m : all) doors += IsEvent(m, a_) && m["event"]["kind"] == "door_state" ? 1 : 0;
  EXPECT_EQ(doors, 2u) << "exactly the two live door events of lock A: " << Json(all).dump();
}

// Least knowledge on the stream (docs/hub.md "What each account receives"): a guest gets its own
// remote operations and the lock's state, not someone else's keypad entry, not credential
// changes, not alarms; owner and admin get everything.
// Regression (issue 9 item 9): the stream sent guests every event of their locks.
TEST_F(HubStreamTest, GuestGetsItsOwnOperationsAndStateOnly) {
  const std::string guest = D().CreateAccount(
      Json{{"username", "s-guest2"}, {"password", "guest-password-1"}, {"role", "guest"}, {"locks", {a_}}});
  ASSERT_FALSE(guest.empty());
  Door(a_, "closed");
  Mirrored(a_);
  WsClient guest_ws, owner_ws;
  ASSERT_EQ(guest_ws.Connect(D().port(), Stream(guest)), 101) << guest_ws.refusal_body();
  ASSERT_EQ(owner_ws.Connect(D().port(), Stream(D().owner_token())), 101) << owner_ws.refusal_body();

  // The guest's own unlock, then someone's keypad entry, a credential change and a tamper alarm,
  // then a door event to know that everything before it was published.
  HttpResult r = D().Call("POST", L(a_) + "/unlock", nullptr, guest);
  ASSERT_EQ(r.status, 200) << r.Describe();
  ASSERT_EQ(Owner("POST", L(a_) + "/lock").status, 200);
  r = Owner("POST", L(a_) + "/sim/keypad", Json{{"keys", "582046#"}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  ASSERT_EQ(r.json["result"], "granted") << r.body;
  ASSERT_EQ(Owner("POST", L(a_) + "/lock").status, 200);
  r = Owner("POST", L(a_) + "/credentials", Json{{"type", "pin"}, {"data", "640213"}, {"user", 5}});
  ASSERT_EQ(r.status, 201) << r.Describe();
  ASSERT_EQ(Owner("POST", L(a_) + "/sim/tamper", Json::object()).status, 200);
  Door(a_, "open");
  Door(a_, "closed");
  const auto door_closed = [&](const Json& m) {
    return IsEvent(m, a_) && m["event"]["kind"] == "door_state" && m["event"]["door_state"] == "closed";
  };
  ASSERT_TRUE(owner_ws.WaitFor(door_closed, 5s)) << Json(owner_ws.All()).dump();
  ASSERT_TRUE(guest_ws.WaitFor(door_closed, 5s)) << "the guest gets the door's state: " << Json(guest_ws.All()).dump();
  const std::vector<Json> seen = guest_ws.Settle();

  bool own_unlock = false, state = false;
  for (const Json& m : seen) {
    if (m.value("type", "") == "state") {
      state = true;
      EXPECT_FALSE(m.contains("address")) << "a guest got the lock's address: " << m.dump();
      EXPECT_FALSE(m.contains("sim_control_url")) << "a guest got the sim URL: " << m.dump();
      continue;
    }
    ASSERT_EQ(m.value("type", ""), "event") << m.dump();
    const Json& e = m["event"];
    const std::string kind = e.value("kind", "");
    if (kind == "door_state") continue;
    if (kind == "lock_operation" && e.value("actor", "") == "s-guest2" && e.value("operation", "") == "unlock") {
      own_unlock = true;
      continue;
    }
    ADD_FAILURE() << "a guest got an event that is not its own operation nor the lock's state: " << m.dump();
  }
  EXPECT_TRUE(own_unlock) << "the guest's own unlock did not reach it: " << Json(seen).dump();
  EXPECT_TRUE(state) << "no state message for the guest";

  // The owner got all of it.
  std::set<std::string> owner_kinds;
  for (const Json& m : owner_ws.All()) {
    if (!IsEvent(m, a_)) continue;
    const Json& e = m["event"];
    owner_kinds.insert(e.value("kind", ""));
    owner_kinds.insert(e.value("kind", "") + "/" + e.value("source", e.value("alarm", "")));
  }
  for (const char* expected : {"lock_operation/keypad", "lock_operation/remote", "change", "alarm/tamper"}) {
    EXPECT_TRUE(owner_kinds.contains(expected)) << expected << " missing for the owner: " << Json(owner_ws.All()).dump();
  }
}

// Duress reaches owner and admin only (SECURITY.md "Least knowledge"): the forced_user alarm and
// operation are not sent to members or guests, whoever used the code.
// Regression (issue 9 item 9): the duress alarm was toasted on every app.
TEST_F(HubStreamTest, DuressReachesOwnerAndAdminOnly) {
  HttpResult r = Owner("POST", L(a_) + "/users", Json{{"index", 9}, {"name", "duress"}, {"type", "forced"}});
  ASSERT_EQ(r.status, 201) << r.Describe();
  r = Owner("POST", L(a_) + "/credentials", Json{{"type", "pin"}, {"data", "911911"}, {"user", 9}});
  ASSERT_EQ(r.status, 201) << r.Describe();
  const std::string admin = D().CreateAccount(
      Json{{"username", "s-admin"}, {"password", "admin-password-1"}, {"role", "admin"}});
  const std::string member = D().CreateAccount(
      Json{{"username", "s-member2"}, {"password", "member-password-1"}, {"role", "member"}, {"locks", {a_}}});
  const std::string guest = D().CreateAccount(
      Json{{"username", "s-guest3"}, {"password", "guest-password-1"}, {"role", "guest"}, {"locks", {a_}}});
  ASSERT_FALSE(admin.empty());
  ASSERT_FALSE(member.empty());
  ASSERT_FALSE(guest.empty());
  ASSERT_EQ(Owner("POST", L(a_) + "/lock").status, 200);
  WsClient owner_ws, admin_ws, member_ws, guest_ws;
  ASSERT_EQ(owner_ws.Connect(D().port(), Stream(D().owner_token())), 101);
  ASSERT_EQ(admin_ws.Connect(D().port(), Stream(admin)), 101);
  ASSERT_EQ(member_ws.Connect(D().port(), Stream(member)), 101);
  ASSERT_EQ(guest_ws.Connect(D().port(), Stream(guest)), 101);

  // At the door, and from afar by the guest and the member with the duress PIN.
  r = Owner("POST", L(a_) + "/sim/keypad", Json{{"keys", "911911#"}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  ASSERT_EQ(r.json["result"], "granted") << r.body;
  ASSERT_EQ(Owner("POST", L(a_) + "/lock").status, 200);
  r = D().Call("POST", L(a_) + "/unlock", Json{{"pin", "911911"}}, guest);
  ASSERT_EQ(r.status, 200) << r.Describe();
  ASSERT_EQ(Owner("POST", L(a_) + "/lock").status, 200);
  r = D().Call("POST", L(a_) + "/unlock", Json{{"pin", "911911"}}, member);
  ASSERT_EQ(r.status, 200) << r.Describe();
  ASSERT_EQ(Owner("POST", L(a_) + "/lock").status, 200);
  Door(a_, "open");
  Door(a_, "closed");
  const auto door_closed = [&](const Json& m) {
    return IsEvent(m, a_) && m["event"]["kind"] == "door_state" && m["event"]["door_state"] == "closed";
  };
  const auto duress_count = [&](const std::vector<Json>& all) {
    int n = 0;
    for (const Json& m : all) {
      if (!IsEvent(m, a_)) continue;
      const Json& e = m["event"];
      if ((e.value("kind", "") == "alarm" && e.value("alarm", "") == "forced_user") ||
          e.value("operation", "") == "forced_user") {
        ++n;
      }
    }
    return n;
  };
  for (WsClient* ws : {&owner_ws, &admin_ws, &member_ws, &guest_ws}) {
    ASSERT_TRUE(ws->WaitFor(door_closed, 5s)) << Json(ws->All()).dump();
  }
  EXPECT_EQ(duress_count(owner_ws.Settle()), 6) << "three forced_user operations and three alarms: " << Json(owner_ws.All()).dump();
  EXPECT_EQ(duress_count(admin_ws.Settle()), 6) << Json(admin_ws.All()).dump();
  EXPECT_EQ(duress_count(member_ws.Settle()), 0) << "a member got the duress alarm: " << Json(member_ws.All()).dump();
  EXPECT_EQ(duress_count(guest_ws.Settle()), 0) << "the guest under duress got the alarm: " << Json(guest_ws.All()).dump();

  // Nor in a member's replay of what it missed.
  const uint64_t last = Mirrored(a_);
  WsClient replay;
  ASSERT_EQ(replay.Connect(D().port(), Stream(member, a_ + ":0")), 101);
  ASSERT_TRUE(replay.WaitFor([&](const Json& m) { return IsEvent(m, a_) && m["event"]["seq"] == last; }, 10s))
      << "the replay did not reach seq " << last;
  EXPECT_EQ(duress_count(replay.Settle()), 0) << "a member's replay has the duress events";
}

// Lock addresses and sim URLs only for owner and admin (SECURITY.md "Least knowledge").
// Regression (issue 9 item 9): every account's /locks showed them.
TEST_F(HubStreamTest, OnlyOwnerAndAdminSeeTheLocksAddress) {
  const std::string guest = D().CreateAccount(
      Json{{"username", "s-guest4"}, {"password", "guest-password-1"}, {"role", "guest"}, {"locks", {a_}}});
  const std::string member = D().CreateAccount(
      Json{{"username", "s-member3"}, {"password", "member-password-1"}, {"role", "member"}});
  ASSERT_FALSE(guest.empty());
  ASSERT_FALSE(member.empty());
  const HttpResult owner_list = Owner("GET", "/api/v1/locks");
  ASSERT_EQ(owner_list.status, 200);
  ASSERT_FALSE(owner_list.json.empty());
  EXPECT_TRUE(owner_list.json[0].contains("address")) << owner_list.body;
  EXPECT_TRUE(owner_list.json[0].contains("sim_control_url")) << owner_list.body;
  for (const std::string& token : {guest, member}) {
    const HttpResult list = D().Call("GET", "/api/v1/locks", nullptr, token);
    ASSERT_EQ(list.status, 200) << list.Describe();
    ASSERT_FALSE(list.json.empty());
    for (const Json& lock : list.json) {
      EXPECT_FALSE(lock.contains("address")) << lock.dump();
      EXPECT_FALSE(lock.contains("sim_control_url")) << lock.dump();
      EXPECT_TRUE(lock.contains("lock_state")) << lock.dump();
    }
    const HttpResult one = D().Call("GET", L(a_), nullptr, token);
    ASSERT_EQ(one.status, 200) << one.Describe();
    EXPECT_FALSE(one.json.contains("address")) << one.body;
    EXPECT_FALSE(one.json.contains("sim_control_url")) << one.body;
  }
  // On the stream too: the member's state messages have neither, the owner's have both.
  WsClient member_ws, owner_ws;
  ASSERT_EQ(member_ws.Connect(D().port(), Stream(member)), 101);
  ASSERT_EQ(owner_ws.Connect(D().port(), Stream(D().owner_token())), 101);
  Door(a_, "open");
  Door(a_, "closed");
  const auto state = [&](const Json& m) { return m.value("type", "") == "state" && m.value("lock", "") == a_; };
  const auto member_state = member_ws.WaitFor(state, 5s);
  ASSERT_TRUE(member_state.has_value()) << Json(member_ws.All()).dump();
  EXPECT_FALSE(member_state->contains("address")) << member_state->dump();
  EXPECT_FALSE(member_state->contains("sim_control_url")) << member_state->dump();
  const auto owner_state = owner_ws.WaitFor(state, 5s);
  ASSERT_TRUE(owner_state.has_value());
  EXPECT_TRUE(owner_state->contains("address")) << owner_state->dump();
}

// A client that reconnects while its locks are busy still gets every event exactly once, in
// seq order: the replay and the live events must neither overlap nor interleave.
// Regression (fixed): the client is registered for live events before its handshake completes
// and the replay runs after it, so events published in between are sent live first and then
// again by the replay (stream.cc Stream::Accept / Client::Start).
TEST_F(HubStreamTest, ReconnectDuringTrafficHasNoDuplicates) {
  const uint64_t start = Mirrored(a_);
  std::atomic<bool> stop{false};
  // Paced: unpaced, the lock makes about 1000 events a second, more than the hub stores on a
  // busy machine (one durable commit each), and the backlog left behind floods the next tests.
  std::thread traffic([&] {
    bool open = true;
    while (!stop) {
      D().SimControl(a_, "door", Json{{"state", open ? "open" : "closed"}});
      open = !open;
      std::this_thread::sleep_for(3ms);
    }
    D().SimControl(a_, "door", Json{{"state", "closed"}});
  });
  uint64_t seen = start;
  std::vector<std::string> problems;
  for (int round = 0; round < 10 && problems.empty(); ++round) {
    WsClient ws;
    if (ws.Connect(D().port(), Stream(D().owner_token(), a_ + ":" + std::to_string(seen))) != 101) {
      problems.push_back("round " + std::to_string(round) + ": refused");
      break;
    }
    // Everything stored by now was either replayed or is live: wait until it has all arrived.
    const uint64_t target = D().LockObject(a_).value("last_event_seq", uint64_t{0});
    ws.WaitFor([&](const Json& m) { return IsEvent(m, a_) && m["event"]["seq"].get<uint64_t>() >= target; }, 5s);
    std::this_thread::sleep_for(100ms);
    const std::vector<uint64_t> seqs = EventSeqs(ws.All(), a_);
    ws.Close();
    std::string list;
    for (uint64_t s : seqs) list += std::to_string(s) + " ";
    const std::string round_text = "round " + std::to_string(round) + " (after=" + std::to_string(seen) + "): ";
    std::map<uint64_t, int> count;
    for (uint64_t s : seqs) ++count[s];
    for (const auto& [seq, n] : count) {
      if (n > 1) problems.push_back(round_text + "seq " + std::to_string(seq) + " arrived " + std::to_string(n) + " times; got: " + list);
    }
    if (!std::is_sorted(seqs.begin(), seqs.end())) problems.push_back(round_text + "not in seq order; got: " + list);
    if (!seqs.empty() && seqs.front() != seen + 1) {
      problems.push_back(round_text + "the first event is not seq " + std::to_string(seen + 1) + "; got: " + list);
    }
    if (!seqs.empty()) seen = seqs.back();
  }
  stop = true;
  traffic.join();
  for (const std::string& p : problems) ADD_FAILURE() << p;
  EXPECT_GT(seen, start + 10) << "the traffic produced too few events to tell";
  Mirrored(a_, 60s);  // the next test starts with the hub caught up
}

// A client that was away for a while (more than 1000 events) still gets all it missed.
// Regression (fixed, issue 4): after the other tests of this suite the stream closed before the
// first replayed event: lock A's backlog from ReconnectDuringTrafficHasNoDuplicates was still
// being published, faster than one message per turn is written, and a client with 1000 queued
// messages was dropped (see ABacklogAfterAnOutageReachesAConnectedClient).
TEST_F(HubStreamTest, ReconnectAfterManyMissedEvents) {
  // Nine keypad grants per request (one PIN typed nine times).
  ASSERT_EQ(Owner("POST", L(b_) + "/credentials", Json{{"type", "pin"}, {"data", "135790"}}).status, 201);
  std::string nine;
  for (int i = 0; i < 9; ++i) nine += "135790#";
  const auto away_for = [&](uint64_t events) {
    const uint64_t from = Mirrored(b_, 30s);
    while (D().SimControl(b_, "").json.value("last_event_seq", uint64_t{0}) < from + events) {
      const HttpResult r = D().SimControl(b_, "keypad", Json{{"keys", nine}});
      if (r.status != 200) {
        ADD_FAILURE() << r.Describe();
        break;
      }
    }
    return from;
  };
  for (const uint64_t missed : {200u, 1100u}) {
    const uint64_t start = away_for(missed);
    const uint64_t last = Mirrored(b_, 30s);
    const auto began = std::chrono::steady_clock::now();
    WsClient ws;
    ASSERT_EQ(ws.Connect(D().port(), Stream(D().owner_token(), b_ + ":" + std::to_string(start))), 101);
    const auto caught_up = ws.WaitFor([&](const Json& m) { return IsEvent(m, b_) && m["event"]["seq"] == last; }, 15s);
    const std::vector<uint64_t> seqs = EventSeqs(ws.All(), b_);
    std::cout << "replayed " << seqs.size() << " of " << last - start << " missed events in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count()
              << " ms\n";
    EXPECT_TRUE(caught_up.has_value()) << "missed " << last - start << ": the replay stopped after " << seqs.size()
                                       << " events (the stream " << (ws.closed() ? "was closed" : "stayed open") << ")";
    std::vector<uint64_t> expected;
    for (uint64_t s = start + 1; s <= last; ++s) expected.push_back(s);
    EXPECT_TRUE(seqs == expected) << "missed " << last - start << ": got " << seqs.size() << " events, from "
                                  << (seqs.empty() ? 0 : seqs.front()) << " to " << (seqs.empty() ? 0 : seqs.back())
                                  << "; expected " << start + 1 << ".." << last;
  }
}

// A lock back from an outage hands its whole backlog to the hub at once, and the hub publishes
// it far faster than it writes one message per turn to a stream: a client that is reading gets
// every event of it, once and in order, and stays connected (docs/hub.md "Slow consumers").
// Regression (fixed, issue 4): the client's queue passed 1000 messages within a second and the
// hub dropped the client as a slow consumer.
TEST_F(HubStreamTest, ABacklogAfterAnOutageReachesAConnectedClient) {
  const uint64_t start = Mirrored(a_);
  ASSERT_EQ(D().SimControl(a_, "network", Json{{"connected", false}}).status, 200);
  ASSERT_TRUE(D().WaitOnline(a_, false, 10s)) << "the hub still shows lock A online";
  std::string nine;
  for (int i = 0; i < 9; ++i) nine += "582046#";
  while (D().SimControl(a_, "").json.value("last_event_seq", uint64_t{0}) < start + 2500) {
    const HttpResult r = D().SimControl(a_, "keypad", Json{{"keys", nine}});
    ASSERT_EQ(r.status, 200) << r.Describe();
  }
  const uint64_t last = D().SimControl(a_, "").json.value("last_event_seq", uint64_t{0});
  WsClient ws;
  ASSERT_EQ(ws.Connect(D().port(), Stream(D().owner_token())), 101) << ws.refusal_body();
  ASSERT_EQ(D().SimControl(a_, "network", Json{{"connected", true}}).status, 200);
  const auto arrived = ws.WaitFor([&](const Json& m) { return IsEvent(m, a_) && m["event"]["seq"] == last; }, 90s);
  std::vector<uint64_t> seqs = EventSeqs(ws.All(), a_);
  std::erase_if(seqs, [&](uint64_t s) { return s > last; });  // the reconnect itself adds some (clock set)
  EXPECT_TRUE(arrived.has_value()) << "the backlog stopped after " << seqs.size() << " of " << last - start
                                   << " events (the stream " << (ws.closed() ? "was closed" : "stayed open") << ")";
  std::vector<uint64_t> expected;
  for (uint64_t s = start + 1; s <= last; ++s) expected.push_back(s);
  EXPECT_TRUE(seqs == expected) << "got " << seqs.size() << " events, from " << (seqs.empty() ? 0 : seqs.front())
                                << " to " << (seqs.empty() ? 0 : seqs.back()) << "; expected " << start + 1 << ".."
                                << last << " once each, in order";
  // The latest state of lock A arrives too (intermediate ones may be merged while behind).
  const std::vector<Json> all = ws.Settle();
  const Json now = D().LockObject(a_);
  Json latest;
  for (const Json& m : all) {
    if (m.value("type", "") == "state" && m.value("lock", "") == a_) latest = m;
  }
  ASSERT_TRUE(latest.is_object()) << "no state message of lock A";
  EXPECT_TRUE(latest.value("online", false)) << latest.dump();
  EXPECT_EQ(latest.value("lock_state", ""), now.value("lock_state", "?")) << latest.dump();
  EXPECT_FALSE(ws.closed()) << "the hub dropped a client that was reading";
}

// A token that reaches its expires_at while its stream is open: the hub closes that stream then,
// by itself (no event, account change or reconnect in between), as it closes the stream of a
// revoked token, and logs why; a stream whose token does not expire goes on receiving. The hub
// has no clock that a test can move, so the token expires a couple of seconds ahead and the test
// waits it out.
TEST_F(HubStreamTest, AStreamClosesWhenItsTokenExpires) {
  const auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const auto rfc = [](int64_t ms) { return platform::FormatRfc3339Ms(ms); };
  const int64_t expires_ms = now_ms() + 2500;
  HttpResult r = Owner("POST", "/api/v1/tokens", Json{{"name", "short-lived"}, {"expires_at", rfc(expires_ms)}});
  ASSERT_EQ(r.status, 201) << r.Describe();
  const std::string expiring = r.json.value("token", "");
  r = Owner("POST", "/api/v1/tokens", Json{{"name", "lasting"}});
  ASSERT_EQ(r.status, 201) << r.Describe();
  const std::string lasting = r.json.value("token", "");

  WsClient short_ws, long_ws;
  ASSERT_EQ(short_ws.Connect(D().port(), Stream(expiring)), 101) << short_ws.refusal_body();
  ASSERT_EQ(long_ws.Connect(D().port(), Stream(lasting)), 101) << long_ws.refusal_body();
  Door(a_, "closed");  // whatever an earlier test left
  Door(a_, "open");
  for (WsClient* ws : {&short_ws, &long_ws}) {
    ASSERT_TRUE(ws->WaitFor([&](const Json& m) { return IsEvent(m, a_) && m["event"]["kind"] == "door_state"; }, 5s))
        << "both streams receive while the token holds: " << Json(ws->All()).dump();
  }

  // Quiet until the token expires: no event, no change of accounts or tokens.
  while (now_ms() < expires_ms - 300) std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(short_ws.closed()) << "closed before the token expired";
  while (!short_ws.closed() && now_ms() < expires_ms + 5000) std::this_thread::sleep_for(10ms);
  const int64_t late_ms = now_ms() - expires_ms;
  ASSERT_TRUE(short_ws.closed()) << "the stream of an expired token stays open";
  EXPECT_LT(late_ms, 1500) << "closed " << late_ms << " ms after the token expired";
  EXPECT_NE(D().Log().find("stream of owner closed: the token has expired"), std::string::npos)
      << "no log line says why the stream was closed";

  // The other stream is untouched and goes on receiving.
  EXPECT_FALSE(long_ws.closed());
  const std::size_t before = long_ws.All().size();
  Door(a_, "closed");
  ASSERT_TRUE(long_ws.WaitFor(
      [&](const Json& m) {
        return IsEvent(m, a_) && m["event"]["kind"] == "door_state" && m["event"]["door_state"] == "closed";
      },
      5s))
      << Json(long_ws.All()).dump();
  EXPECT_GT(long_ws.All().size(), before);
  EXPECT_FALSE(long_ws.closed());

  // And the expired token opens no new stream.
  WsClient again;
  EXPECT_EQ(again.Connect(D().port(), Stream(expiring)), 401);
}

}  // namespace
}  // namespace latchkey::testing
