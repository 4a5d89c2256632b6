// Who is told what on the phone (NOTIFICATIONS.md; docs/notifications.md "What is sent"): given
// an event of a lock and one account (its role, locks and window, and its settings), whether
// the account gets a push notification and its title and text. Pure: no store, no clock, no
// I/O; the notifier (push_notifier.h) gathers the facts and asks once per account.
//
// The rules, in order:
//   1. Only locks the account sees now: in its lock list and inside its window (Principal::
//      SeesLock, the owner always); a guest outside its window gets nothing at all.
//   2. Least knowledge: nothing the account would not receive on the live stream
//      (StreamMaySend, stream_filter.h): a guest gets only its own remote operations (and so no
//      alarms, no other people's unlocks); a member no duress.
//   3. Duress (the `forced_user` alarm) goes to owner and admin accounts only, and never to an
//      account linked to the person who used the code (EventFacts::duress_linked:
//      LinkedAccounts below). The `lock_operation` with operation `forced_user` that comes just
//      before it makes no notification of its own: one alarm per duress, never an "unlocked".
//   4. The account's choices: alarms (every `alarm` event but `power_cycled`, a routine battery
//      change) when `alarms` is on; `lock_operation` unlock and unlatch by `unlocks`: "all",
//      "people" (the event's user is one of `people` on this lock), "first_of_day"
//      (EventFacts::first_unlock_of_day).
//   5. Offline: the lock has been offline `offline_minutes` (not 0), and the account sees it.
//
//   auto n = EventNotification(AccountViewer(account), settings, {"lk-1", "Front door"}, event, facts, now);
//   if (n) sender.Queue(subscription, PushPayload(*n).dump(), n->urgent ? "high" : "normal", n->ttl_s);
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hub/auth.h"
#include "hub/hub_store.h"
#include "hub/push/notification_settings.h"

namespace latchkey::hub::push {

// One notification for one account: the push payload's fields and how it is sent.
struct Notification {
  std::string lock;
  uint64_t seq = 0;  // the event's; 0 for "offline"
  std::string kind;  // the event's kind ("alarm", "lock_operation"), or "offline"
  std::string title;
  std::string body;
  std::string url;      // where the app opens on a click: "/#/locks/<lock>/events/<seq>", "/#/locks/<lock>"
  bool urgent = false;  // RFC 8030 Urgency: high (alarms), else normal
  int64_t ttl_s = 0;    // RFC 8030 TTL: how long the push service may keep it for an offline phone
};

// The decrypted JSON the browser's service worker receives: {"title", "body", "lock", "seq",
// "kind", "url"}.
nlohmann::json PushPayload(const Notification& n);

// How long a push service keeps a notification for a phone that is off: an alarm a day, an
// unlock an hour (old news after that), an offline lock a day.
inline constexpr int64_t kAlarmTtlS = 24 * 3600;
inline constexpr int64_t kUnlockTtlS = 3600;
inline constexpr int64_t kOfflineTtlS = 24 * 3600;

// What an event can make before any account is asked: most events (door moves, changes, locks)
// make nothing, and cost the notifier no store read.
enum class EventClass { kNone, kAlarm, kDuress, kUnlock };
EventClass ClassifyEvent(const nlohmann::json& event);

// The lock as the texts name it.
struct LockFacts {
  std::string id;
  std::string name;
};

// What the notifier found out about an event beyond its JSON.
struct EventFacts {
  // An unlock: no unlock of this lock came earlier on the same day in the lock's time zone.
  bool first_unlock_of_day = false;
  // A duress alarm: the accounts linked to the person who used the code (LinkedAccounts).
  std::vector<std::string> duress_linked = {};
};

// An account as a viewer of its notifications: its role, and (below owner) its lock list and
// window, as Directory::PrincipalOf gives them for a login session of it.
Principal AccountViewer(const Account& account);

// The notification `event` (the lock's event, link or API form) of `lock` makes for the account
// `viewer` with `settings` at `now_ms`, if any (the rules above).
std::optional<Notification> EventNotification(const Principal& viewer, const NotificationSettings& settings,
                                              const LockFacts& lock, const nlohmann::json& event,
                                              const EventFacts& facts, int64_t now_ms);

// The notification that `lock` has been offline for `minutes` (the account's offline_minutes),
// if the account wants it and sees the lock at `now_ms`.
std::optional<Notification> OfflineNotification(const Principal& viewer, const NotificationSettings& settings,
                                                const LockFacts& lock, int64_t now_ms);

// The accounts linked to the person who used a duress code, from the `lock_operation` event of
// operation `forced_user` that recorded it on `lock`: the account that sent it (its `actor`,
// for a remote operation), and every account holding or having held a phone key that acts as
// the event's user on that lock (or on every lock). The hub knows no other tie between an
// account and a lock user.
std::vector<std::string> LinkedAccounts(const nlohmann::json& duress_operation, std::string_view lock,
                                        std::span<const PhoneKeyRecord> phone_keys);

}  // namespace latchkey::hub::push
