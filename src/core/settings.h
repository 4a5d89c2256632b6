// The writable settings of a lock (LOCK-SEMANTICS.md 2) and their validation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "core/types.h"

namespace latchkey::core {

class ZoneRules;

struct Settings {
  uint32_t auto_relock_s = 0;          // 0..86400, 0 = off
  uint32_t wrong_code_limit = 5;       // 1..255
  uint32_t lockout_s = 60;             // 1..3600
  bool lockout_escalation = true;
  uint32_t lockout_max_s = 3600;       // lockout_s..86400
  // 1..60: wrong attempts per class (door, remote) in any 60 minutes, whatever grants happen in
  // between (LOCK-SEMANTICS.md 7.3, revised); past it the class is refused with `lockout`.
  uint32_t max_wrong_per_hour = 10;
  uint32_t expiring_user_timeout_min = 60;  // 1..2880
  bool require_pin_for_remote = false;
  bool one_touch_locking = true;
  uint32_t multi_factor_window_s = 10;  // 1..60
  uint32_t door_ajar_s = 120;           // 0..3600, 0 = no ajar alarm
  SoundVolume sound_volume = SoundVolume::kMedium;
  OperatingMode operating_mode = OperatingMode::kNormal;
  std::string timezone = "UTC";         // an IANA zone name
  std::string name = "latchkey";        // 1..64 characters

  friend bool operator==(const Settings&, const Settings&) = default;
};

// A partial write: every present field is validated, and only if all are good is any applied.
struct SettingsPatch {
  std::optional<uint32_t> auto_relock_s{};
  std::optional<uint32_t> wrong_code_limit{};
  std::optional<uint32_t> lockout_s{};
  std::optional<bool> lockout_escalation{};
  std::optional<uint32_t> lockout_max_s{};
  std::optional<uint32_t> max_wrong_per_hour{};
  std::optional<uint32_t> expiring_user_timeout_min{};
  std::optional<bool> require_pin_for_remote{};
  std::optional<bool> one_touch_locking{};
  std::optional<uint32_t> multi_factor_window_s{};
  std::optional<uint32_t> door_ajar_s{};
  std::optional<SoundVolume> sound_volume{};
  std::optional<OperatingMode> operating_mode{};
  std::optional<std::string> timezone{};
  std::optional<std::string> name{};

  bool empty() const;
};

// Applies `patch` to a copy of `current` and checks every range, including the cross-field
// rule lockout_s <= lockout_max_s on the result. Mode preconditions that depend on the bolt
// (privacy only while locked) are the lock's to check.
Result<Settings> ApplySettingsPatch(const Settings& current, const SettingsPatch& patch,
                                    const ZoneRules& zones);

// Number of UTF-8 code points in `text`, or nullopt when it is not valid UTF-8.
std::optional<std::size_t> Utf8Length(std::string_view text);

}  // namespace latchkey::core
