// What a lock can hold (LOCK-SEMANTICS.md 1). Fixed for the life of a lock; the simulated
// lock takes them from daemon options.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "core/types.h"

namespace latchkey::core {

struct Capabilities {
  uint32_t max_users = 250;                  // 1..65534
  uint32_t credentials_per_user = 10;        // 1..32
  uint32_t min_pin_length = 6;               // 4..12, <= max_pin_length
  uint32_t max_pin_length = 12;              // 4..12
  uint32_t rfid_min_bytes = 4;               // 4..32, <= rfid_max_bytes
  uint32_t rfid_max_bytes = 16;              // 4..32
  uint32_t max_user_name_length = 32;        // 1..255 UTF-8 characters
  uint32_t week_day_schedules_per_user = 10;  // 1..253
  uint32_t year_day_schedules_per_user = 10;  // 1..253
  uint32_t holiday_schedules = 10;            // 1..253

  // Every range of LOCK-SEMANTICS.md 1; the message names the first bad field.
  Status Validate() const;

  // The size of each credential type's index space: max_users * credentials_per_user.
  CredentialIndex credential_slots() const { return max_users * credentials_per_user; }

  // Types a lock stores as credentials: a phone key is a certificate the phone presents and an
  // offline code is checked with the offline-code key (offline_code.h); neither has a slot.
  static bool SupportsType(CredentialType type) {
    return type != CredentialType::kPhoneKey && type != CredentialType::kOfflineCode;
  }
};

}  // namespace latchkey::core
