#include "hub/push/notification_rules.h"

#include <algorithm>
#include <array>
#include <utility>

#include "hub/stream_filter.h"

namespace latchkey::hub::push {

namespace {

using Json = nlohmann::json;

std::string Text(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<uint32_t> UserOf(const Json& event) {
  const auto it = event.find("user");
  if (it == event.end() || !it->is_number_unsigned()) return std::nullopt;
  const uint64_t user = it->get<uint64_t>();
  if (user > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(user);
}

uint64_t SeqOf(const Json& event) {
  const auto it = event.find("seq");
  return it != event.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

struct AlarmText {
  std::string_view alarm;
  std::string_view title;  // after "<lock>: "
  std::string_view body;
};

// Every alarm of LOCK-SEMANTICS.md 9 but power_cycled, in words a phone shows.
constexpr std::array<AlarmText, 11> kAlarms{{
    {"door_forced_open", "door forced open", "The door opened while the bolt was locked."},
    {"tamper", "tamper alarm", "Someone opened or pried at the lock's outside cover."},
    {"lock_jammed", "bolt jammed", "The bolt could not move. Check the door."},
    {"wrong_code_limit", "wrong codes", "Too many wrong codes or cards: the lock refuses them for a while."},
    {"door_ajar", "door left open", "The door has been open for longer than the lock's door-ajar time."},
    {"low_battery", "battery low", "Replace the lock's batteries soon."},
    {"critical_battery", "battery critically low", "Replace the lock's batteries now: it may soon stop working."},
    {"lockdown", "lockdown", "The lock is in lockdown: only the mechanical key and the inside thumbturn open it."},
    {"forced_user", "duress code used", "Someone opened the door with a duress code. They may need help."},
    {"events_lost", "events lost", "The lock's log overflowed while the hub was away: some events were lost."},
    {"factory_reset", "factory reset", "The lock was reset to its factory settings."},
}};

const AlarmText* FindAlarm(std::string_view alarm) {
  const auto it = std::find_if(kAlarms.begin(), kAlarms.end(), [&](const AlarmText& a) { return a.alarm == alarm; });
  return it == kAlarms.end() ? nullptr : &*it;
}

// "at the keypad", "remotely", ...: how an operation came, as the text after "Unlocked".
std::string_view HowText(std::string_view source) {
  if (source == "keypad") return " at the keypad";
  if (source == "rfid") return " with a card";
  if (source == "fingerprint") return " with a fingerprint";
  if (source == "face") return " by face";
  if (source == "phone") return " with a phone key";
  if (source == "remote") return " remotely";
  if (source == "auto") return " automatically";
  if (source == "manual") return " from inside";
  if (source == "key") return " with the mechanical key";
  if (source == "button") return " with the outside button";
  if (source == "schedule") return " by a schedule";
  return "";
}

std::string EventUrl(const std::string& lock, uint64_t seq) { return "/#/locks/" + lock + "/events/" + std::to_string(seq); }

Notification AlarmNotification(const LockFacts& lock, const Json& event, const AlarmText& text) {
  Notification n;
  n.lock = lock.id;
  n.seq = SeqOf(event);
  n.kind = "alarm";
  n.title = lock.name + ": " + std::string(text.title);
  n.body = std::string(text.body);
  if (text.alarm == "forced_user") {
    if (const auto user = UserOf(event)) n.body += " (user " + std::to_string(*user) + ")";
  }
  if (text.alarm == "events_lost" && event.contains("count") && event["count"].is_number_unsigned()) {
    n.body = "The lock's log overflowed while the hub was away: " + std::to_string(event["count"].get<uint64_t>()) +
             " events were lost.";
  }
  n.url = EventUrl(lock.id, n.seq);
  n.urgent = true;
  n.ttl_s = kAlarmTtlS;
  return n;
}

Notification UnlockNotification(const LockFacts& lock, const Json& event, bool first_of_day) {
  const std::string operation = Text(event, "operation");
  const std::string actor = Text(event, "actor");
  const auto user = UserOf(event);
  Notification n;
  n.lock = lock.id;
  n.seq = SeqOf(event);
  n.kind = "lock_operation";
  n.title = lock.name + (operation == "unlatch" ? " unlatched" : " unlocked");
  if (first_of_day) {
    n.body = operation == "unlatch" ? "First today: unlatched" : "First today: unlocked";
  } else {
    n.body = operation == "unlatch" ? "Unlatched" : "Unlocked";
  }
  n.body += HowText(Text(event, "source"));
  if (!actor.empty()) {
    n.body += " by " + actor;
  } else if (user) {
    n.body += " by user " + std::to_string(*user);
  }
  n.body += ".";
  n.url = EventUrl(lock.id, n.seq);
  n.urgent = false;
  n.ttl_s = kUnlockTtlS;
  return n;
}

bool WantsUnlock(const NotificationSettings& settings, const LockFacts& lock, const Json& event, const EventFacts& facts) {
  switch (settings.unlocks) {
    case UnlockNotices::kOff: return false;
    case UnlockNotices::kAll: return true;
    case UnlockNotices::kFirstOfDay: return facts.first_unlock_of_day;
    case UnlockNotices::kPeople: {
      const auto user = UserOf(event);
      return user && std::find(settings.people.begin(), settings.people.end(), LockUserRef{lock.id, *user}) !=
                         settings.people.end();
    }
  }
  return false;
}

}  // namespace

Json PushPayload(const Notification& n) {
  return Json{{"title", n.title}, {"body", n.body}, {"lock", n.lock}, {"seq", n.seq}, {"kind", n.kind}, {"url", n.url}};
}

EventClass ClassifyEvent(const Json& event) {
  if (!event.is_object()) return EventClass::kNone;
  const std::string kind = Text(event, "kind");
  if (kind == "alarm") {
    const std::string alarm = Text(event, "alarm");
    if (alarm == "forced_user") return EventClass::kDuress;
    return FindAlarm(alarm) != nullptr ? EventClass::kAlarm : EventClass::kNone;
  }
  if (kind == "lock_operation") {
    const std::string operation = Text(event, "operation");
    if (operation == "unlock" || operation == "unlatch") return EventClass::kUnlock;
  }
  return EventClass::kNone;
}

Principal AccountViewer(const Account& account) {
  Principal p = AccountPrincipal(account);
  p.token_kind = "session";
  return p;
}

std::optional<Notification> EventNotification(const Principal& viewer, const NotificationSettings& settings,
                                              const LockFacts& lock, const Json& event, const EventFacts& facts,
                                              int64_t now_ms) {
  const EventClass what = ClassifyEvent(event);
  if (what == EventClass::kNone) return std::nullopt;
  // 1 and 2: what the account's live stream would show it, now.
  if (!viewer.SeesLock(lock.id, now_ms)) return std::nullopt;
  if (!StreamMaySend(viewer, Json{{"type", "event"}, {"lock", lock.id}, {"event", event}}, now_ms)) return std::nullopt;
  switch (what) {
    case EventClass::kDuress: {
      // 3: owner and admin, never the person who used the code.
      if (viewer.role != Role::kOwner && viewer.role != Role::kAdmin) return std::nullopt;
      if (std::find(facts.duress_linked.begin(), facts.duress_linked.end(), viewer.username) != facts.duress_linked.end()) {
        return std::nullopt;
      }
      if (!settings.alarms) return std::nullopt;
      return AlarmNotification(lock, event, *FindAlarm("forced_user"));
    }
    case EventClass::kAlarm:
      if (!settings.alarms) return std::nullopt;
      return AlarmNotification(lock, event, *FindAlarm(Text(event, "alarm")));
    case EventClass::kUnlock:
      if (!WantsUnlock(settings, lock, event, facts)) return std::nullopt;
      // "First today" only for those who asked for the first unlock of the day.
      return UnlockNotification(lock, event,
                                settings.unlocks == UnlockNotices::kFirstOfDay && facts.first_unlock_of_day);
    case EventClass::kNone: break;
  }
  return std::nullopt;
}

std::optional<Notification> OfflineNotification(const Principal& viewer, const NotificationSettings& settings,
                                                const LockFacts& lock, int64_t now_ms) {
  if (settings.offline_minutes == 0 || !viewer.SeesLock(lock.id, now_ms)) return std::nullopt;
  Notification n;
  n.lock = lock.id;
  n.seq = 0;
  n.kind = "offline";
  n.title = lock.name + " is offline";
  n.body = "The hub has not reached the lock for " + std::to_string(settings.offline_minutes) + " minutes.";
  n.url = "/#/locks/" + lock.id;
  n.urgent = false;
  n.ttl_s = kOfflineTtlS;
  return n;
}

std::vector<std::string> LinkedAccounts(const Json& duress_operation, std::string_view lock,
                                        std::span<const PhoneKeyRecord> phone_keys) {
  std::vector<std::string> linked;
  const auto add = [&](const std::string& account) {
    if (!account.empty() && std::find(linked.begin(), linked.end(), account) == linked.end()) linked.push_back(account);
  };
  if (!duress_operation.is_object()) return linked;
  add(Text(duress_operation, "actor"));
  if (const auto user = UserOf(duress_operation); user && *user != 0) {
    for (const PhoneKeyRecord& key : phone_keys) {
      if (key.user == *user && (key.lock == lock || key.lock == "*")) add(key.account);
    }
  }
  return linked;
}

}  // namespace latchkey::hub::push
