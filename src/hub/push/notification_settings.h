// What an account wants to be told on its phone (NOTIFICATIONS.md; docs/notifications.md): the
// settings behind GET/PATCH /api/v1/me/notifications, kept per account in the hub's store.
//
//   {"alarms": true, "unlocks": "off", "people": [], "offline_minutes": 0}    (the defaults)
//
// - alarms: the lock's alarms (notification_rules.h says which), on by default.
// - unlocks: "off"; "all" (every unlock); "people" (unlocks by the lock users in `people`);
//   "first_of_day" (the first unlock of each day in the lock's own time zone).
// - people: [{"lock": "<lock id>", "user": <user index>}], at most 64; used when unlocks is
//   "people".
// - offline_minutes: 0 (off), or 5..1440: tell when a lock has been offline this long (once per
//   outage).
//
// A PATCH gives any subset; every field is checked before anything changes, and a bad one is
// kInvalid naming it (a 400).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace latchkey::hub::push {

enum class UnlockNotices { kOff, kAll, kPeople, kFirstOfDay };

// A lock user: the lock's id and the user's slot index on it.
struct LockUserRef {
  std::string lock;
  uint32_t user = 0;
  friend bool operator==(const LockUserRef&, const LockUserRef&) = default;
};

struct NotificationSettings {
  static constexpr std::size_t kMaxPeople = 64;
  static constexpr uint32_t kMinOfflineMinutes = 5;
  static constexpr uint32_t kMaxOfflineMinutes = 1440;

  bool alarms = true;
  UnlockNotices unlocks = UnlockNotices::kOff;
  std::vector<LockUserRef> people = {};
  uint32_t offline_minutes = 0;  // 0: off

  friend bool operator==(const NotificationSettings&, const NotificationSettings&) = default;
};

nlohmann::json NotificationSettingsJson(const NotificationSettings& settings);
// `settings` with the fields of `patch` (an object with any subset of them, nothing else)
// changed; kInvalid naming the first bad field.
core::Result<NotificationSettings> PatchNotificationSettings(NotificationSettings settings, const nlohmann::json& patch);
// The settings as stored (HubStore::GetNotificationSettings): null is the defaults, and so is
// a stored value this build cannot read (kIoError says why, for the log).
core::Result<NotificationSettings> StoredNotificationSettings(const nlohmann::json& stored);

}  // namespace latchkey::hub::push
