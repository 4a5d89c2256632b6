#include "core/settings.h"

#include <string>

#include "core/env.h"

namespace latchkey::core {
namespace {

Status CheckRange(const char* name, const std::optional<uint32_t>& value, uint32_t lo, uint32_t hi) {
  if (value && (*value < lo || *value > hi)) {
    return Status::Invalid(std::string(name) + ": " + std::to_string(*value) + " is outside " +
                           std::to_string(lo) + ".." + std::to_string(hi));
  }
  return Status::Ok();
}

template <typename T>
void Assign(T& field, const std::optional<T>& value) {
  if (value) field = *value;
}

}  // namespace

bool SettingsPatch::empty() const {
  return !auto_relock_s && !wrong_code_limit && !lockout_s && !lockout_escalation &&
         !lockout_max_s && !max_wrong_per_hour && !expiring_user_timeout_min &&
         !require_pin_for_remote && !one_touch_locking && !multi_factor_window_s && !door_ajar_s &&
         !sound_volume && !operating_mode && !timezone && !name;
}

std::optional<std::size_t> Utf8Length(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len;
    uint32_t cp;
    if (c < 0x80) { len = 1; cp = c; }
    else if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return std::nullopt;
    if (i + len > text.size()) return std::nullopt;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    i += len;
    ++count;
  }
  return count;
}

Result<Settings> ApplySettingsPatch(const Settings& current, const SettingsPatch& patch,
                                    const ZoneRules& zones) {
  const Status checks[] = {
      CheckRange("auto_relock_s", patch.auto_relock_s, 0, 86400),
      CheckRange("wrong_code_limit", patch.wrong_code_limit, 1, 255),
      CheckRange("lockout_s", patch.lockout_s, 1, 3600),
      CheckRange("lockout_max_s", patch.lockout_max_s, 1, 86400),
      CheckRange("max_wrong_per_hour", patch.max_wrong_per_hour, 1, 60),
      CheckRange("expiring_user_timeout_min", patch.expiring_user_timeout_min, 1, 2880),
      CheckRange("multi_factor_window_s", patch.multi_factor_window_s, 1, 60),
      CheckRange("door_ajar_s", patch.door_ajar_s, 0, 3600),
  };
  for (const Status& s : checks) {
    LATCHKEY_TRY(s);
  }
  if (patch.sound_volume && !IsValid(*patch.sound_volume)) return Status::Invalid("sound_volume: is not a known value");
  if (patch.operating_mode && !IsValid(*patch.operating_mode)) {
    return Status::Invalid("operating_mode: is not a known value");
  }
  if (patch.timezone && !zones.IsKnownZone(*patch.timezone)) {
    return Status::Invalid("timezone: '" + *patch.timezone + "' is not a known IANA zone");
  }
  if (patch.name) {
    const auto length = Utf8Length(*patch.name);
    if (!length) return Status::Invalid("name: is not valid UTF-8");
    if (*length < 1 || *length > 64) return Status::Invalid("name: must have 1..64 characters");
  }
  Settings next = current;
  Assign(next.auto_relock_s, patch.auto_relock_s);
  Assign(next.wrong_code_limit, patch.wrong_code_limit);
  Assign(next.lockout_s, patch.lockout_s);
  Assign(next.lockout_escalation, patch.lockout_escalation);
  Assign(next.lockout_max_s, patch.lockout_max_s);
  Assign(next.max_wrong_per_hour, patch.max_wrong_per_hour);
  Assign(next.expiring_user_timeout_min, patch.expiring_user_timeout_min);
  Assign(next.require_pin_for_remote, patch.require_pin_for_remote);
  Assign(next.one_touch_locking, patch.one_touch_locking);
  Assign(next.multi_factor_window_s, patch.multi_factor_window_s);
  Assign(next.door_ajar_s, patch.door_ajar_s);
  Assign(next.sound_volume, patch.sound_volume);
  Assign(next.operating_mode, patch.operating_mode);
  Assign(next.timezone, patch.timezone);
  Assign(next.name, patch.name);
  if (next.lockout_max_s < next.lockout_s) {
    return Status::Invalid("lockout_max_s: " + std::to_string(next.lockout_max_s) +
                           " is below lockout_s " + std::to_string(next.lockout_s));
  }
  return next;
}

}  // namespace latchkey::core
