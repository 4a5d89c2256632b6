// An account's notification settings (src/hub/push/notification_settings.h: defaults, patches,
// bad values refused whole), the offline watch (offline_watch.h: once per outage, per account,
// after its minutes), and the delivery scheduler as Web Push runs it (an hour, not a day; one
// queue per subscription in the order queued).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hub/delivery_scheduler.h"
#include "hub/push/notification_settings.h"
#include "hub/push/offline_watch.h"
#include "hub/push/push_sender.h"

namespace latchkey::hub::push {
namespace {

using Json = nlohmann::json;

TEST(NotificationSettings, DefaultsAndTheirJson) {
  EXPECT_EQ(NotificationSettingsJson(NotificationSettings{}),
            (Json{{"alarms", true}, {"unlocks", "off"}, {"people", Json::array()}, {"offline_minutes", 0}}));
  auto stored = StoredNotificationSettings(Json());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, NotificationSettings{});
}

TEST(NotificationSettings, APatchChangesOnlyWhatItGives) {
  auto patched = PatchNotificationSettings(
      NotificationSettings{}, Json{{"unlocks", "people"}, {"people", {{{"lock", "lk-1"}, {"user", 3}}, {{"lock", "lk-1"}, {"user", 3}}}}});
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_TRUE(patched->alarms);
  EXPECT_EQ(patched->unlocks, UnlockNotices::kPeople);
  EXPECT_EQ(patched->people, (std::vector<LockUserRef>{{"lk-1", 3}})) << "duplicates kept once";
  auto again = PatchNotificationSettings(*patched, Json{{"alarms", false}, {"offline_minutes", 30}});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->alarms);
  EXPECT_EQ(again->offline_minutes, 30u);
  EXPECT_EQ(again->people, patched->people);
  EXPECT_EQ(PatchNotificationSettings(*again, Json{{"offline_minutes", 0}})->offline_minutes, 0u) << "0 turns it off";
  for (const char* unlocks : {"off", "all", "people", "first_of_day"}) {
    auto u = PatchNotificationSettings(NotificationSettings{}, Json{{"unlocks", unlocks}});
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(NotificationSettingsJson(*u)["unlocks"], unlocks);
  }
  // The stored form reads back as it was written.
  EXPECT_EQ(*StoredNotificationSettings(NotificationSettingsJson(*again)), *again);
}

TEST(NotificationSettings, BadValuesAreRefusedNamingTheField) {
  const std::vector<std::pair<Json, std::string>> bad = {
      {Json{{"alarms", "yes"}}, "alarms"},
      {Json{{"alarms", nullptr}}, "alarms"},
      {Json{{"unlocks", "sometimes"}}, "unlocks"},
      {Json{{"unlocks", 1}}, "unlocks"},
      {Json{{"offline_minutes", 4}}, "offline_minutes"},
      {Json{{"offline_minutes", 1441}}, "offline_minutes"},
      {Json{{"offline_minutes", -5}}, "offline_minutes"},
      {Json{{"offline_minutes", 7.5}}, "offline_minutes"},
      {Json{{"people", "lk-1"}}, "people"},
      {Json{{"people", {{{"lock", "lk-1"}}}}}, "people[0].user"},
      {Json{{"people", {{{"lock", "lk-1"}, {"user", 0}}}}}, "people[0].user"},
      {Json{{"people", {{{"lock", ""}, {"user", 1}}}}}, "people[0].lock"},
      {Json{{"people", {{{"lock", "lk-1"}, {"user", 1}, {"name", "x"}}}}}, "people[0]"},
      {Json{{"sound", "loud"}}, "sound"},
      {Json::array(), "notification settings"},
  };
  for (const auto& [patch, field] : bad) {
    auto result = PatchNotificationSettings(NotificationSettings{}, patch);
    ASSERT_FALSE(result.ok()) << patch.dump();
    EXPECT_EQ(result.status().code(), core::Code::kInvalid);
    EXPECT_NE(result.status().message().find(field), std::string::npos) << patch.dump() << ": " << result.status().message();
  }
  Json many = Json::array();
  for (int i = 1; i <= 65; ++i) many.push_back({{"lock", "lk-1"}, {"user", i}});
  EXPECT_FALSE(PatchNotificationSettings(NotificationSettings{}, Json{{"people", many}}).ok());
  many.erase(many.size() - 1);
  EXPECT_TRUE(PatchNotificationSettings(NotificationSettings{}, Json{{"people", many}}).ok());
  EXPECT_EQ(StoredNotificationSettings(Json{{"unlocks", "sometimes"}}).status().code(), core::Code::kIoError);
}

constexpr int64_t kMinute = 60'000;

TEST(OfflineWatch, TellsEachAccountOncePerOutageAfterItsMinutes) {
  OfflineWatch watch;
  const OfflineWatch::Thresholds minutes = {{"ann", 5}, {"bob", 10}, {"cy", 0}};
  EXPECT_FALSE(watch.NextDue(minutes));
  watch.Offline("lk-1", 0);
  watch.Offline("lk-1", 3 * kMinute);  // still the same outage
  EXPECT_TRUE(watch.offline("lk-1"));
  EXPECT_EQ(watch.NextDue(minutes), 5 * kMinute);
  EXPECT_TRUE(watch.Poll(5 * kMinute - 1, minutes).empty());
  auto due = watch.Poll(5 * kMinute, minutes);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].account, "ann");
  EXPECT_EQ(due[0].lock, "lk-1");
  EXPECT_EQ(due[0].since_ms, 0);
  EXPECT_EQ(watch.NextDue(minutes), 10 * kMinute);
  EXPECT_TRUE(watch.Poll(9 * kMinute, minutes).empty()) << "ann once";
  due = watch.Poll(60 * kMinute, minutes);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].account, "bob");
  EXPECT_FALSE(watch.NextDue(minutes)) << "everyone told; cy is off";
  // Turned on during the outage, past its minutes: told at the next poll.
  due = watch.Poll(61 * kMinute, {{"cy", 30}});
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].account, "cy");
  // Back online: a new outage is told again.
  watch.Online("lk-1");
  EXPECT_FALSE(watch.any_offline());
  EXPECT_TRUE(watch.Poll(100 * kMinute, minutes).empty());
  watch.Offline("lk-1", 100 * kMinute);
  watch.Offline("lk-2", 101 * kMinute);
  due = watch.Poll(111 * kMinute, minutes);
  EXPECT_EQ(due.size(), 4u) << "ann and bob, for each lock";
  watch.Forget("lk-2");
  EXPECT_EQ(watch.offline("lk-2"), false);
}

// Web Push's scheduler: one queue per subscription ("webhook"), no lock, by the store's id.
Delivery Push(const std::string& subscription, uint64_t id, int64_t created) {
  Delivery d;
  d.id = std::to_string(id);
  d.webhook = subscription;
  d.seq = id;
  d.next_attempt_ms = created;
  d.created_at_ms = created;
  return d;
}

std::vector<std::string> Sends(const std::vector<DeliveryAction>& actions) {
  std::vector<std::string> ids;
  for (const auto& a : actions) {
    if (a.kind == DeliveryAction::Kind::kSend) ids.push_back(a.delivery.id);
  }
  return ids;
}

TEST(PushScheduling, InOrderPerSubscriptionAndGivenUpAfterAnHour) {
  DeliveryScheduler scheduler(DeliveryScheduler::kMaxInFlight, PushSender::kGiveUpMs, "not delivered within an hour");
  scheduler.Add(Push("s1", 2, 0));
  scheduler.Add(Push("s1", 1, 0));
  scheduler.Add(Push("s2", 3, 0));
  EXPECT_EQ(Sends(scheduler.Poll(0)), (std::vector<std::string>{"1", "3"})) << "one per subscription, oldest first";
  // The first fails: the second waits behind it through its back-off.
  auto retry = scheduler.Done(0, "1", false, "HTTP 500");
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, "pending");
  EXPECT_EQ(retry->next_attempt_ms, 1000);
  EXPECT_TRUE(Sends(scheduler.Poll(999)).empty());
  EXPECT_EQ(Sends(scheduler.Poll(1000)), (std::vector<std::string>{"1"}));
  ASSERT_EQ(scheduler.Done(1000, "1", true, "")->status, "delivered");
  EXPECT_EQ(Sends(scheduler.Poll(1000)), (std::vector<std::string>{"2"}));
  // Failing for an hour: never scheduled past it, then given up.
  ASSERT_TRUE(scheduler.Done(1000, "3", false, "HTTP 503"));
  int64_t now = 1000;
  for (int i = 0; i < 40; ++i) {
    auto actions = scheduler.Poll(now);
    for (const auto& a : actions) {
      if (a.kind == DeliveryAction::Kind::kSend && a.delivery.id == "3") {
        auto record = scheduler.Done(now, "3", false, "HTTP 503");
        ASSERT_TRUE(record);
        EXPECT_LE(record->next_attempt_ms, PushSender::kGiveUpMs);
        if (record->status == "failed") {
          EXPECT_GE(now, PushSender::kGiveUpMs);
          return;
        }
      }
      if (a.kind == DeliveryAction::Kind::kGiveUp) {
        EXPECT_EQ(a.delivery.id, "3");
        EXPECT_GE(now, PushSender::kGiveUpMs);
        EXPECT_EQ(a.delivery.last_error, "HTTP 503");
        return;
      }
      if (a.kind == DeliveryAction::Kind::kWait) now = a.until_ms;
    }
  }
  ADD_FAILURE() << "never given up";
}

TEST(PushScheduling, GivenUpWithoutAnAttemptSaysWithinAnHour) {
  DeliveryScheduler scheduler(1, PushSender::kGiveUpMs, "not delivered within an hour");
  scheduler.Add(Push("s1", 1, 0));
  scheduler.Add(Push("s2", 2, 0));
  ASSERT_EQ(Sends(scheduler.Poll(0)), std::vector<std::string>{"1"}) << "one at a time: s2 waits for a place";
  ASSERT_TRUE(scheduler.Done(PushSender::kGiveUpMs - 1, "1", true, ""));
  const auto actions = scheduler.Poll(PushSender::kGiveUpMs);
  ASSERT_FALSE(actions.empty());
  EXPECT_EQ(actions[0].kind, DeliveryAction::Kind::kGiveUp);
  EXPECT_EQ(actions[0].delivery.last_error, "not delivered within an hour");
}

}  // namespace
}  // namespace latchkey::hub::push
