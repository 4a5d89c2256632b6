// Who is told what on the phone (src/hub/push/notification_rules.h), rule by rule: which events
// can make a notification at all, every role with and without its lock list and window, each
// unlock choice, duress routing (owner and admin only, never the account linked to the person
// who used the code), the offline notice, the payload's fields, and who is linked to a duress
// code.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "hub/push/notification_rules.h"

namespace latchkey::hub::push {
namespace {

using Json = nlohmann::json;

constexpr int64_t kNow = 1'800'000'000'000;
constexpr int64_t kHour = 3'600'000;
const LockFacts kFront{"lk-1", "Front door"};

Json Alarm(const std::string& alarm, uint64_t seq = 7) {
  return Json{{"seq", seq}, {"time", kNow}, {"kind", "alarm"}, {"alarm", alarm}};
}
Json Operation(const std::string& operation, const std::string& source, std::optional<uint32_t> user = std::nullopt,
               const std::string& actor = "", uint64_t seq = 9) {
  Json e{{"seq", seq}, {"time", kNow}, {"kind", "lock_operation"}, {"operation", operation}, {"source", source}};
  if (user) e["user"] = *user;
  if (!actor.empty()) e["actor"] = actor;
  return e;
}

Account MakeAccount(const std::string& name, const std::string& role, std::optional<std::vector<std::string>> locks = {},
                    std::optional<int64_t> from = {}, std::optional<int64_t> until = {}) {
  Account a;
  a.username = name;
  a.role = role;
  a.locks = std::move(locks);
  a.valid_from_ms = from;
  a.valid_until_ms = until;
  return a;
}

NotificationSettings Unlocks(UnlockNotices unlocks, std::vector<LockUserRef> people = {}) {
  NotificationSettings s;
  s.unlocks = unlocks;
  s.people = std::move(people);
  return s;
}

std::optional<Notification> For(const Account& account, const Json& event, const NotificationSettings& settings = {},
                                const EventFacts& facts = {}) {
  return EventNotification(AccountViewer(account), settings, kFront, event, facts, kNow);
}

TEST(NotificationRules, OnlyAlarmsAndUnlocksCanMakeANotification) {
  EXPECT_EQ(ClassifyEvent(Alarm("door_forced_open")), EventClass::kAlarm);
  for (const char* alarm : {"lock_jammed", "wrong_code_limit", "tamper", "door_ajar", "low_battery", "critical_battery",
                            "lockdown", "events_lost", "factory_reset"}) {
    EXPECT_EQ(ClassifyEvent(Alarm(alarm)), EventClass::kAlarm) << alarm;
  }
  EXPECT_EQ(ClassifyEvent(Alarm("power_cycled")), EventClass::kNone) << "a battery change";
  EXPECT_EQ(ClassifyEvent(Alarm("a_new_kind")), EventClass::kNone);
  EXPECT_EQ(ClassifyEvent(Alarm("forced_user")), EventClass::kDuress);
  EXPECT_EQ(ClassifyEvent(Operation("unlock", "keypad", 3)), EventClass::kUnlock);
  EXPECT_EQ(ClassifyEvent(Operation("unlatch", "remote")), EventClass::kUnlock);
  EXPECT_EQ(ClassifyEvent(Operation("forced_user", "keypad", 4)), EventClass::kNone) << "its alarm tells";
  EXPECT_EQ(ClassifyEvent(Operation("lock", "keypad", 3)), EventClass::kNone);
  EXPECT_EQ(ClassifyEvent(Operation("non_access", "keypad", 3)), EventClass::kNone);
  EXPECT_EQ(ClassifyEvent(Json{{"seq", 1}, {"kind", "door_state"}, {"door_state", "open"}}), EventClass::kNone);
  EXPECT_EQ(ClassifyEvent(Json{{"seq", 1}, {"kind", "lock_operation_error"}, {"operation", "unlock"}}), EventClass::kNone);
  EXPECT_EQ(ClassifyEvent(Json::array()), EventClass::kNone);
}

TEST(NotificationRules, AlarmsAreOnAndUnlocksOffByDefault) {
  const Account owner = MakeAccount("owner", "owner");
  const auto alarm = For(owner, Alarm("door_forced_open", 12));
  ASSERT_TRUE(alarm);
  EXPECT_EQ(alarm->title, "Front door: door forced open");
  EXPECT_EQ(alarm->kind, "alarm");
  EXPECT_EQ(alarm->seq, 12u);
  EXPECT_EQ(alarm->lock, "lk-1");
  EXPECT_EQ(alarm->url, "/#/locks/lk-1/events/12");
  EXPECT_TRUE(alarm->urgent);
  EXPECT_EQ(alarm->ttl_s, kAlarmTtlS);
  EXPECT_FALSE(For(owner, Operation("unlock", "keypad", 3)));
  NotificationSettings no_alarms;
  no_alarms.alarms = false;
  EXPECT_FALSE(For(owner, Alarm("door_forced_open"), no_alarms));
  EXPECT_FALSE(For(owner, Alarm("forced_user"), no_alarms));
}

TEST(NotificationRules, UnlockChoices) {
  const Account admin = MakeAccount("ada", "admin");
  const Json keypad = Operation("unlock", "keypad", 3);
  const auto all = For(admin, keypad, Unlocks(UnlockNotices::kAll));
  ASSERT_TRUE(all);
  EXPECT_EQ(all->title, "Front door unlocked");
  EXPECT_EQ(all->body, "Unlocked at the keypad by user 3.");
  EXPECT_FALSE(all->urgent);
  EXPECT_EQ(all->ttl_s, kUnlockTtlS);
  EXPECT_EQ(all->kind, "lock_operation");
  const auto remote = For(admin, Operation("unlatch", "remote", std::nullopt, "bob"), Unlocks(UnlockNotices::kAll));
  ASSERT_TRUE(remote);
  EXPECT_EQ(remote->title, "Front door unlatched");
  EXPECT_EQ(remote->body, "Unlatched remotely by bob.");
  const auto inside = For(admin, Operation("unlock", "manual"), Unlocks(UnlockNotices::kAll));
  ASSERT_TRUE(inside);
  EXPECT_EQ(inside->body, "Unlocked from inside.");

  const auto people = Unlocks(UnlockNotices::kPeople, {{"lk-1", 3}, {"lk-2", 5}});
  EXPECT_TRUE(For(admin, keypad, people));
  EXPECT_FALSE(For(admin, Operation("unlock", "keypad", 5), people)) << "user 5 of another lock";
  EXPECT_FALSE(For(admin, Operation("unlock", "keypad", 4), people));
  EXPECT_FALSE(For(admin, Operation("unlock", "manual"), people)) << "nobody";

  const auto first = Unlocks(UnlockNotices::kFirstOfDay);
  EXPECT_FALSE(For(admin, keypad, first, EventFacts{.first_unlock_of_day = false}));
  const auto today = For(admin, keypad, first, EventFacts{.first_unlock_of_day = true});
  ASSERT_TRUE(today);
  EXPECT_EQ(today->body, "First today: unlocked at the keypad by user 3.");
  EXPECT_FALSE(For(admin, keypad, Unlocks(UnlockNotices::kOff), EventFacts{.first_unlock_of_day = true}));
  const auto all_first = For(admin, keypad, Unlocks(UnlockNotices::kAll), EventFacts{.first_unlock_of_day = true});
  ASSERT_TRUE(all_first);
  EXPECT_EQ(all_first->body, "Unlocked at the keypad by user 3.") << "\"first today\" only for those who chose it";
}

TEST(NotificationRules, OnlyLocksTheAccountSeesNow) {
  const Json alarm = Alarm("tamper");
  EXPECT_TRUE(For(MakeAccount("m", "member", std::vector<std::string>{"lk-1"}), alarm));
  EXPECT_FALSE(For(MakeAccount("m", "member", std::vector<std::string>{"lk-2"}), alarm));
  EXPECT_FALSE(For(MakeAccount("a", "admin", std::vector<std::string>{"lk-2"}), alarm)) << "lists bind admins too";
  EXPECT_TRUE(For(MakeAccount("m", "member", std::nullopt), alarm)) << "no list: every lock";
  // Windows bind every role below owner; the owner account's own are ignored.
  EXPECT_FALSE(For(MakeAccount("a", "admin", std::nullopt, kNow + kHour), alarm)) << "not yet";
  EXPECT_FALSE(For(MakeAccount("m", "member", std::nullopt, std::nullopt, kNow - kHour), alarm)) << "over";
  EXPECT_TRUE(For(MakeAccount("m", "member", std::nullopt, kNow - kHour, kNow + kHour), alarm));
  EXPECT_TRUE(For(MakeAccount("owner", "owner", std::vector<std::string>{"lk-2"}, kNow + kHour, kNow + 2 * kHour), alarm));
}

TEST(NotificationRules, AGuestIsToldOnlyItsOwnDoingsAndNothingOutsideItsWindow) {
  const auto all = Unlocks(UnlockNotices::kAll);
  const Account guest = MakeAccount("gus", "guest", std::vector<std::string>{"lk-1"}, kNow - kHour, kNow + kHour);
  EXPECT_TRUE(For(guest, Operation("unlock", "remote", std::nullopt, "gus"), all)) << "its own remote unlock";
  EXPECT_FALSE(For(guest, Operation("unlock", "remote", std::nullopt, "bob"), all)) << "another's";
  EXPECT_FALSE(For(guest, Operation("unlock", "keypad", 3), all)) << "a keypad unlock may be anyone's";
  EXPECT_FALSE(For(guest, Alarm("door_forced_open"), all)) << "no alarms: the state shows the door";
  EXPECT_FALSE(For(guest, Alarm("forced_user"), all));
  // Outside its window: not even its own operation (one it made before the window closed).
  for (const Account& outside :
       {MakeAccount("gus", "guest", std::vector<std::string>{"lk-1"}, kNow + kHour, kNow + 2 * kHour),
        MakeAccount("gus", "guest", std::vector<std::string>{"lk-1"}, kNow - 2 * kHour, kNow - kHour)}) {
    EXPECT_FALSE(For(outside, Operation("unlock", "remote", std::nullopt, "gus"), all));
    EXPECT_FALSE(For(outside, Alarm("door_forced_open"), all));
    EXPECT_FALSE(OfflineNotification(AccountViewer(outside), NotificationSettings{.offline_minutes = 10}, kFront, kNow));
  }
}

TEST(NotificationRules, DuressGoesToOwnerAndAdminButNeverToTheLinkedAccount) {
  const Json duress = Alarm("forced_user", 21);
  const EventFacts facts{.duress_linked = {"ada"}};
  const auto owner = For(MakeAccount("owner", "owner"), duress, {}, facts);
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->title, "Front door: duress code used");
  EXPECT_TRUE(owner->urgent);
  EXPECT_TRUE(For(MakeAccount("abe", "admin"), duress, {}, facts));
  EXPECT_FALSE(For(MakeAccount("ada", "admin"), duress, {}, facts)) << "linked to the person who used the code";
  EXPECT_FALSE(For(MakeAccount("owner", "owner"), duress, {}, EventFacts{.duress_linked = {"owner"}}));
  EXPECT_FALSE(For(MakeAccount("mia", "member"), duress, {}, facts));
  EXPECT_FALSE(For(MakeAccount("gus", "guest", std::vector<std::string>{"lk-1"}), duress, {}, facts));
  EXPECT_FALSE(For(MakeAccount("abe", "admin", std::vector<std::string>{"lk-2"}), duress, {}, facts)) << "not its lock";
  // The operation before the alarm is never an "unlocked" notice, for anybody.
  for (const char* role : {"owner", "admin", "member"}) {
    EXPECT_FALSE(For(MakeAccount("x", role), Operation("forced_user", "keypad", 4), Unlocks(UnlockNotices::kAll)))
        << role;
  }
}

TEST(NotificationRules, OfflineNotice) {
  const Principal owner = AccountViewer(MakeAccount("owner", "owner"));
  EXPECT_FALSE(OfflineNotification(owner, NotificationSettings{}, kFront, kNow)) << "off by default";
  const auto n = OfflineNotification(owner, NotificationSettings{.offline_minutes = 15}, kFront, kNow);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->title, "Front door is offline");
  EXPECT_EQ(n->body, "The hub has not reached the lock for 15 minutes.");
  EXPECT_EQ(n->kind, "offline");
  EXPECT_EQ(n->url, "/#/locks/lk-1");
  EXPECT_EQ(n->seq, 0u);
  EXPECT_EQ(n->ttl_s, kOfflineTtlS);
  const Principal other = AccountViewer(MakeAccount("m", "member", std::vector<std::string>{"lk-2"}));
  EXPECT_FALSE(OfflineNotification(other, NotificationSettings{.offline_minutes = 15}, kFront, kNow));
  const Principal guest = AccountViewer(MakeAccount("g", "guest", std::vector<std::string>{"lk-1"}));
  EXPECT_TRUE(OfflineNotification(guest, NotificationSettings{.offline_minutes = 15}, kFront, kNow))
      << "the lock's state is a guest's to see";
}

TEST(NotificationRules, ThePayloadIsTheContractsSixFields) {
  const auto n = For(MakeAccount("owner", "owner"), Alarm("low_battery", 5));
  ASSERT_TRUE(n);
  EXPECT_EQ(PushPayload(*n), (Json{{"title", "Front door: battery low"},
                                   {"body", "Replace the lock's batteries soon."},
                                   {"lock", "lk-1"},
                                   {"seq", 5},
                                   {"kind", "alarm"},
                                   {"url", "/#/locks/lk-1/events/5"}}));
}

TEST(NotificationRules, TheAccountViewerIsTheAccountsOwnLimits) {
  const Principal owner =
      AccountViewer(MakeAccount("owner", "owner", std::vector<std::string>{"lk-2"}, kNow + kHour, kNow + 2 * kHour));
  EXPECT_EQ(owner.role, Role::kOwner);
  EXPECT_FALSE(owner.locks);
  EXPECT_TRUE(owner.SeesLock("lk-1", kNow));
  const Principal member = AccountViewer(MakeAccount("m", "member", std::vector<std::string>{"lk-2"}, kNow + kHour));
  EXPECT_EQ(member.role, Role::kMember);
  EXPECT_FALSE(member.SeesLock("lk-2", kNow));
  EXPECT_TRUE(member.SeesLock("lk-2", kNow + 2 * kHour));
  EXPECT_EQ(AccountViewer(MakeAccount("x", "no-such-role")).role, Role::kGuest) << "closed by default";
}

PhoneKeyRecord Key(const std::string& account, const std::string& lock, uint32_t user) {
  PhoneKeyRecord k;
  k.account = account;
  k.lock = lock;
  k.user = user;
  return k;
}

TEST(NotificationRules, WhoIsLinkedToADuressCode) {
  const std::vector<PhoneKeyRecord> keys = {Key("ada", "lk-1", 4), Key("abe", "*", 4), Key("cy", "lk-2", 4),
                                            Key("dee", "lk-1", 5), Key("ada", "lk-1", 4), Key("eve", "lk-1", 0)};
  EXPECT_EQ(LinkedAccounts(Operation("forced_user", "keypad", 4), "lk-1", keys), (std::vector<std::string>{"ada", "abe"}));
  EXPECT_EQ(LinkedAccounts(Operation("forced_user", "remote", 4, "owner"), "lk-1", keys),
            (std::vector<std::string>{"owner", "ada", "abe"}));
  EXPECT_EQ(LinkedAccounts(Operation("forced_user", "remote", std::nullopt, "bob"), "lk-1", keys),
            (std::vector<std::string>{"bob"}));
  EXPECT_TRUE(LinkedAccounts(Operation("forced_user", "keypad", 9), "lk-1", keys).empty());
  EXPECT_TRUE(LinkedAccounts(Json(), "lk-1", keys).empty());
}

}  // namespace
}  // namespace latchkey::hub::push
