// A guest's valid_from..valid_until (API.md; docs/hub.md "A guest outside its window"): outside
// it the guest sees no lock at all (GET /locks empty, a lock 404, no stream messages, its API
// tokens likewise) but still logs in and reads /me; inside it sees and operates its lock. The
// window is checked at each request and, on the stream, at each event: access ends and starts
// live on an open stream, without a reconnect. Real `latchkey demo`, real sockets.
#include <ctime>
#include <iostream>

#include "hub_harness.h"
#include "platform/time_format.h"

namespace latchkey::testing {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// RFC 3339 with milliseconds, UTC.
std::string Rfc(int64_t ms) { return platform::FormatRfc3339Ms(ms); }

constexpr int64_t kHourMs = 3600 * 1000;

class HubGuestWindowTest : public SharedDemoTest<HubGuestWindowTest, 2> {
 protected:
  static std::string A() { return D().lock_ids()[0]; }
  static std::string B() { return D().lock_ids()[1]; }

  // A guest of lock A with the given window; its login token.
  static std::string Guest(const std::string& name, int64_t from_ms, int64_t until_ms) {
    return D().CreateAccount(Json{{"username", name},
                                  {"password", "guest-password-1"},
                                  {"role", "guest"},
                                  {"locks", {A()}},
                                  {"valid_from", Rfc(from_ms)},
                                  {"valid_until", Rfc(until_ms)}});
  }
  static std::string StreamTarget(const std::string& token) { return "/api/v1/stream?token=" + UrlEncode(token); }

  // Opens then closes lock A's door (two door events, two state changes), and waits until the
  // owner's stream has the second door event: by then the hub has published it to every client.
  static void DoorEvents(WsClient& owner_stream) {
    ASSERT_EQ(D().Call("POST", "/api/v1/locks/" + A() + "/sim/door", Json{{"state", "open"}}, D().owner_token()).status, 200);
    ASSERT_EQ(D().Call("POST", "/api/v1/locks/" + A() + "/sim/door", Json{{"state", "closed"}}, D().owner_token()).status,
              200);
    const auto closed = owner_stream.WaitFor(
        [](const Json& m) {
          return m.value("type", "") == "event" && m.value("lock", "") == A() && m["event"].value("kind", "") == "door_state" &&
                 m["event"].value("door_state", "") == "closed";
        },
        10s);
    ASSERT_TRUE(closed.has_value()) << "the owner's stream did not get the door events: " << Json(owner_stream.All()).dump();
  }

  static std::size_t MessagesFor(const std::vector<Json>& messages, const std::string& lock) {
    std::size_t n = 0;
    for (const Json& m : messages) n += m.value("lock", "") == lock ? 1 : 0;
    return n;
  }

};

TEST_F(HubGuestWindowTest, OutsideItsWindowAGuestSeesNoLockButKnowsWhy) {
  const int64_t now = NowMs();
  struct Case {
    std::string name;
    std::string token;
    bool inside;
  };
  std::vector<Case> cases = {
      {"w-inside", Guest("w-inside", now - kHourMs, now + kHourMs), true},
      {"w-ended", Guest("w-ended", now - 3 * kHourMs, now - kHourMs), false},
      {"w-not-yet", Guest("w-not-yet", now + kHourMs, now + 3 * kHourMs), false},
  };
  for (const Case& c : cases) ASSERT_FALSE(c.token.empty()) << c.name;
  // An API token made by an expired guest (allowed: it narrows nothing) is limited the same way.
  const HttpResult api_token = D().Call("POST", "/api/v1/tokens", Json{{"name", "integration"}, {"locks", {A()}}}, cases[1].token);
  ASSERT_EQ(api_token.status, 201) << api_token.Describe();
  cases.push_back({"w-ended's API token", api_token.json["token"].get<std::string>(), false});

  const std::string lock = "/api/v1/locks/" + A();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const HttpResult me = D().Call("GET", "/api/v1/me", nullptr, c.token);
    ASSERT_EQ(me.status, 200) << me.Describe();
    EXPECT_TRUE(me.json.contains("valid_from") && me.json.contains("valid_until")) << "the app can say why: " << me.Describe();

    const HttpResult list = D().Call("GET", "/api/v1/locks", nullptr, c.token);
    ASSERT_EQ(list.status, 200) << list.Describe();
    ASSERT_TRUE(list.json.is_array());
    if (c.inside) {
      ASSERT_EQ(list.json.size(), 1u) << list.Describe();
      EXPECT_EQ(list.json[0]["id"], A());
    } else {
      EXPECT_TRUE(list.json.empty()) << "a guest outside its window sees no lock: " << list.Describe();
    }
    const HttpResult one = D().Call("GET", lock, nullptr, c.token);
    EXPECT_EQ(one.status, c.inside ? 200 : 404) << one.Describe();
    const HttpResult unlock = D().Call("POST", lock + "/unlock", Json::object(), c.token);
    EXPECT_EQ(unlock.status, c.inside ? 200 : 404) << unlock.Describe();
    const HttpResult relock = D().Call("POST", lock + "/lock", Json::object(), c.token);
    EXPECT_EQ(relock.status, c.inside ? 200 : 404) << relock.Describe();
    const HttpResult sim = D().Call("POST", lock + "/sim/keypad", Json{{"keys", "000000#"}}, c.token);
    if (!c.inside) {
      EXPECT_EQ(sim.status, 404) << sim.Describe();
    }
    // Another lock is never visible to any of them.
    EXPECT_EQ(D().Call("GET", "/api/v1/locks/" + B(), nullptr, c.token).status, 404);
  }

  // The stream: every guest connects (the token is valid); only the one inside its window gets
  // lock A's messages.
  WsClient owner_stream;
  ASSERT_EQ(owner_stream.Connect(D().port(), StreamTarget(D().owner_token())), 101) << owner_stream.refusal_body();
  std::vector<std::unique_ptr<WsClient>> streams;
  for (const Case& c : cases) {
    streams.push_back(std::make_unique<WsClient>());
    ASSERT_EQ(streams.back()->Connect(D().port(), StreamTarget(c.token)), 101) << c.name << ": " << streams.back()->refusal_body();
  }
  ASSERT_NO_FATAL_FAILURE(DoorEvents(owner_stream));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::vector<Json> got = streams[i]->Settle();
    if (cases[i].inside) {
      EXPECT_GE(MessagesFor(got, A()), 2u) << cases[i].name << " gets its lock's events: " << Json(got).dump();
    } else {
      EXPECT_TRUE(got.empty()) << cases[i].name << " outside its window got stream messages: " << Json(got).dump();
    }
  }
}

// The window is read by the hub's clock at each event: a guest whose window ends while its
// stream is open stops getting messages, and one whose window starts begins to get them, both
// on the same connection. The window edge is a few seconds ahead; the test waits it out.
TEST_F(HubGuestWindowTest, AccessEndsAndStartsLiveOnAnOpenStream) {
  constexpr int64_t kEdgeMs = 3000;
  const int64_t edge = NowMs() + kEdgeMs;
  const std::string ending = Guest("w-ending", edge - kHourMs, edge);
  const std::string starting = Guest("w-starting", edge, edge + kHourMs);
  ASSERT_FALSE(ending.empty() || starting.empty());
  WsClient owner_stream, ending_stream, starting_stream;
  ASSERT_EQ(owner_stream.Connect(D().port(), StreamTarget(D().owner_token())), 101);
  ASSERT_EQ(ending_stream.Connect(D().port(), StreamTarget(ending)), 101) << ending_stream.refusal_body();
  ASSERT_EQ(starting_stream.Connect(D().port(), StreamTarget(starting)), 101) << starting_stream.refusal_body();

  while (NowMs() <= edge + 200) std::this_thread::sleep_for(50ms);
  const std::size_t ending_before = ending_stream.Settle().size();
  const std::size_t starting_before = starting_stream.Settle().size();
  ASSERT_NO_FATAL_FAILURE(DoorEvents(owner_stream));

  const std::vector<Json> ending_got = ending_stream.Settle();
  EXPECT_EQ(ending_got.size(), ending_before) << "messages after the window ended: " << Json(ending_got).dump();
  EXPECT_FALSE(ending_stream.closed()) << "the stream stays open (the guest can still read /me)";
  const std::vector<Json> starting_got = starting_stream.Settle();
  EXPECT_GE(starting_got.size(), starting_before + 2) << "no messages after the window started: " << Json(starting_got).dump();
  EXPECT_EQ(MessagesFor(starting_got, A()), starting_got.size()) << Json(starting_got).dump();

  // The same at each request: the list follows the clock too.
  EXPECT_TRUE(D().Call("GET", "/api/v1/locks", nullptr, ending).json.empty());
  EXPECT_EQ(D().Call("GET", "/api/v1/locks", nullptr, starting).json.size(), 1u);
}

}  // namespace
}  // namespace latchkey::testing
