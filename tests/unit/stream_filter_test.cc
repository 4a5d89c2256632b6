// What each account receives on the live stream (src/hub/stream_filter.h), one message at a time.
// Regression (issue 9 item 9): the stream sent guests every event of their locks (names, slots,
// credential changes) and the duress alarm to every account, and state messages carried the
// lock's network address and sim-control URL to everyone.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hub/stream_filter.h"

namespace latchkey::hub {
namespace {

using Json = nlohmann::json;

constexpr int64_t kNow = 1'795'600'800'000;

Principal Of(Role role, std::string name, std::optional<std::vector<std::string>> locks = std::nullopt) {
  Principal p;
  p.username = std::move(name);
  p.role = role;
  p.locks = std::move(locks);
  return p;
}

Json Event(Json event, const std::string& lock = "lock-a") {
  return Json{{"type", "event"}, {"lock", lock}, {"event", std::move(event)}};
}

const Principal kOwner = Of(Role::kOwner, "owner");
const Principal kAdmin = Of(Role::kAdmin, "admin");
const Principal kMember = Of(Role::kMember, "member", std::vector<std::string>{"lock-a"});
const Principal kGuest = Of(Role::kGuest, "guest", std::vector<std::string>{"lock-a"});

TEST(StreamFilter, GuestGetsItsOwnOperationsAndTheLocksState) {
  const Json own_unlock = Event({{"kind", "lock_operation"}, {"operation", "unlock"}, {"source", "remote"}, {"actor", "guest"}});
  const Json own_refusal = Event({{"kind", "lock_operation_error"}, {"operation", "unlock"}, {"source", "remote"},
                                  {"error", "invalid_credential"}, {"actor", "guest"}});
  const Json door = Event({{"kind", "door_state"}, {"door_state", "open"}});
  const Json power = Event({{"kind", "power"}, {"external_power", true}});
  const Json state{{"type", "state"}, {"lock", "lock-a"}, {"lock_state", "locked"}, {"online", true}};
  for (const Json& m : {own_unlock, own_refusal, door, power, state}) {
    EXPECT_TRUE(StreamMaySend(kGuest, m, kNow)) << m.dump();
    EXPECT_TRUE(StreamMaySend(kMember, m, kNow)) << m.dump();
    EXPECT_TRUE(StreamMaySend(kOwner, m, kNow)) << m.dump();
  }
}

TEST(StreamFilter, GuestDoesNotGetOthersOperationsChangesOrAlarms) {
  const std::vector<Json> hidden = {
      Event({{"kind", "lock_operation"}, {"operation", "unlock"}, {"source", "keypad"}, {"user", 3},
             {"credential", {{"type", "pin"}, {"index", 2}}}}),
      Event({{"kind", "lock_operation"}, {"operation", "unlock"}, {"source", "remote"}, {"actor", "member"}}),
      Event({{"kind", "lock_operation_error"}, {"operation", "unlock"}, {"source", "keypad"}, {"error", "invalid_credential"}}),
      Event({{"kind", "change"}, {"data_type", "pin"}, {"operation", "add"}, {"user", 5}, {"actor", "owner"}}),
      Event({{"kind", "change"}, {"data_type", "pin"}, {"operation", "add"}, {"user", 5}, {"actor", "guest"}}),
      Event({{"kind", "alarm"}, {"alarm", "tamper"}}),
      Event({{"kind", "alarm"}, {"alarm", "wrong_code_limit"}}),
      Event({{"kind", "lock_operation"}, {"operation", "lock"}, {"source", "auto"}}),
      Event({{"kind", "something_new"}}),
      Json{{"type", "hub_alarm"}, {"lock", "lock-a"}, {"alarm", "remote_pin_limit"}, {"account", "guest"}},
  };
  for (const Json& m : hidden) {
    EXPECT_FALSE(StreamMaySend(kGuest, m, kNow)) << m.dump();
    EXPECT_TRUE(StreamMaySend(kOwner, m, kNow)) << m.dump();
    EXPECT_TRUE(StreamMaySend(kAdmin, m, kNow)) << m.dump();
  }
  // A guest named like a source is still only matched by actor.
  EXPECT_FALSE(StreamMaySend(Of(Role::kGuest, "", std::vector<std::string>{"lock-a"}),
                             Event({{"kind", "lock_operation"}, {"operation", "unlock"}, {"source", "keypad"}}), kNow));
}

TEST(StreamFilter, DuressReachesOwnerAndAdminOnly) {
  const std::vector<Json> duress = {
      Event({{"kind", "alarm"}, {"alarm", "forced_user"}}),
      Event({{"kind", "lock_operation"}, {"operation", "forced_user"}, {"source", "keypad"}, {"user", 4}}),
      // Even the duress user's own remote unlock: its phone must not show that help was called.
      Event({{"kind", "lock_operation"}, {"operation", "forced_user"}, {"source", "remote"}, {"actor", "guest"}}),
      Event({{"kind", "lock_operation"}, {"operation", "forced_user"}, {"source", "remote"}, {"actor", "member"}}),
  };
  for (const Json& m : duress) {
    EXPECT_TRUE(StreamMaySend(kOwner, m, kNow)) << m.dump();
    EXPECT_TRUE(StreamMaySend(kAdmin, m, kNow)) << m.dump();
    EXPECT_FALSE(StreamMaySend(kMember, m, kNow)) << m.dump();
    EXPECT_FALSE(StreamMaySend(kGuest, m, kNow)) << m.dump();
  }
  EXPECT_TRUE(IsDuressEvent(duress[0]["event"]));
  EXPECT_FALSE(IsDuressEvent(Json{{"kind", "alarm"}, {"alarm", "tamper"}}));
}

TEST(StreamFilter, MemberGetsTheRestOfItsLocks) {
  for (const Json& m : {Event({{"kind", "change"}, {"data_type", "pin"}, {"operation", "add"}}),
                        Event({{"kind", "alarm"}, {"alarm", "tamper"}}),
                        Event({{"kind", "lock_operation"}, {"operation", "unlock"}, {"source", "keypad"}, {"user", 3}})}) {
    EXPECT_TRUE(StreamMaySend(kMember, m, kNow)) << m.dump();
  }
  EXPECT_FALSE(StreamMaySend(kMember, Json{{"type", "hub_alarm"}, {"lock", "lock-a"}}, kNow));
}

TEST(StreamFilter, AddressAndSimUrlOnlyForOwnerAndAdmin) {
  const Json full{{"type", "state"}, {"lock", "lock-a"}, {"address", "127.0.0.1:7001"},
                  {"sim_control_url", "http://127.0.0.1:7002"}};
  EXPECT_TRUE(StreamMaySend(kOwner, full, kNow));
  EXPECT_TRUE(StreamMaySend(kAdmin, full, kNow));
  EXPECT_FALSE(StreamMaySend(kMember, full, kNow));
  EXPECT_FALSE(StreamMaySend(kGuest, full, kNow));
  Json only_sim = full;
  only_sim.erase("address");
  EXPECT_FALSE(StreamMaySend(kGuest, only_sim, kNow));
}

TEST(StreamFilter, NothingOfALockNotSeen) {
  const Json door = Event({{"kind", "door_state"}, {"door_state", "open"}}, "lock-b");
  EXPECT_FALSE(StreamMaySend(kGuest, door, kNow));
  EXPECT_FALSE(StreamMaySend(kMember, door, kNow));
  EXPECT_TRUE(StreamMaySend(kOwner, door, kNow));
  // A guest outside its window.
  Principal later = kGuest;
  later.valid_from_ms = kNow + 1;
  EXPECT_FALSE(StreamMaySend(later, Event({{"kind", "door_state"}, {"door_state", "open"}}), kNow));
  // Malformed messages are not sent.
  for (const Json& m : {Json(), Json::array(), Json{{"type", "event"}}, Json{{"type", "event"}, {"lock", "lock-a"}}}) {
    EXPECT_FALSE(StreamMaySend(kOwner, m, kNow)) << m.dump();
  }
}

}  // namespace
}  // namespace latchkey::hub
