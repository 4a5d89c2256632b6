#include "hub/push/notification_settings.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include "wire/json_fields.h"

namespace latchkey::hub::push {

namespace {

constexpr std::array<std::pair<UnlockNotices, std::string_view>, 4> kUnlocks{{
    {UnlockNotices::kOff, "off"},
    {UnlockNotices::kAll, "all"},
    {UnlockNotices::kPeople, "people"},
    {UnlockNotices::kFirstOfDay, "first_of_day"},
}};

std::string_view UnlocksName(UnlockNotices unlocks) {
  for (const auto& [value, name] : kUnlocks) {
    if (value == unlocks) return name;
  }
  return "off";
}

core::Result<std::vector<LockUserRef>> ReadPeople(const nlohmann::json& list) {
  if (!list.is_array()) return core::Status::Invalid("people: must be a list of {\"lock\", \"user\"}");
  if (list.size() > NotificationSettings::kMaxPeople) {
    return core::Status::Invalid("people: at most " + std::to_string(NotificationSettings::kMaxPeople));
  }
  std::vector<LockUserRef> people;
  for (std::size_t i = 0; i < list.size(); ++i) {
    wire::JsonFields f(list[i], "people[" + std::to_string(i) + "]");
    f.OnlyKeys({"lock", "user"});
    const auto lock = f.Str("lock", true, 64);
    const auto user = f.Uint("user", 1, 65535, true);
    if (!f.ok()) return core::Status::Invalid("people[" + std::to_string(i) + "]." + f.status().message());
    if (lock->empty()) return core::Status::Invalid("people[" + std::to_string(i) + "].lock: must not be empty");
    LockUserRef ref{*lock, static_cast<uint32_t>(*user)};
    if (std::find(people.begin(), people.end(), ref) == people.end()) people.push_back(std::move(ref));
  }
  return people;
}

}  // namespace

nlohmann::json NotificationSettingsJson(const NotificationSettings& s) {
  nlohmann::json people = nlohmann::json::array();
  for (const LockUserRef& p : s.people) people.push_back({{"lock", p.lock}, {"user", p.user}});
  return {{"alarms", s.alarms},
          {"unlocks", std::string(UnlocksName(s.unlocks))},
          {"people", std::move(people)},
          {"offline_minutes", s.offline_minutes}};
}

core::Result<NotificationSettings> PatchNotificationSettings(NotificationSettings settings, const nlohmann::json& patch) {
  wire::JsonFields f(patch, "notification settings");
  f.OnlyKeys({"alarms", "unlocks", "people", "offline_minutes"});
  f.RefuseNulls();
  const auto alarms = f.Bool("alarms", false);
  const auto unlocks = f.Str("unlocks", false, 32);
  const auto offline = f.Uint("offline_minutes", 0, NotificationSettings::kMaxOfflineMinutes, false);
  const nlohmann::json* people = f.Child("people", false);
  if (!f.ok()) return f.status();
  if (alarms) settings.alarms = *alarms;
  if (unlocks) {
    const auto it = std::find_if(kUnlocks.begin(), kUnlocks.end(), [&](const auto& u) { return u.second == *unlocks; });
    if (it == kUnlocks.end()) return core::Status::Invalid("unlocks: must be off, all, people or first_of_day");
    settings.unlocks = it->first;
  }
  if (offline) {
    if (*offline != 0 && *offline < NotificationSettings::kMinOfflineMinutes) {
      return core::Status::Invalid("offline_minutes: 0 (off) or 5..1440");
    }
    settings.offline_minutes = static_cast<uint32_t>(*offline);
  }
  if (people) {
    auto read = ReadPeople(*people);
    LATCHKEY_TRY(read);
    settings.people = std::move(read).value();
  }
  return settings;
}

core::Result<NotificationSettings> StoredNotificationSettings(const nlohmann::json& stored) {
  if (stored.is_null()) return NotificationSettings{};
  auto read = PatchNotificationSettings(NotificationSettings{}, stored);
  if (!read.ok()) return core::Status::IoError("stored notification settings: " + read.status().message());
  return read;
}

}  // namespace latchkey::hub::push
