#include "core/capabilities.h"

#include <string>

namespace latchkey::core {
namespace {

Status Range(const char* name, uint32_t value, uint32_t lo, uint32_t hi) {
  if (value < lo || value > hi) {
    return Status::Invalid(std::string(name) + " " + std::to_string(value) + " is outside " +
                           std::to_string(lo) + ".." + std::to_string(hi));
  }
  return Status::Ok();
}

}  // namespace

Status Capabilities::Validate() const {
  const Status checks[] = {
      Range("max_users", max_users, 1, 65534),
      Range("credentials_per_user", credentials_per_user, 1, 32),
      Range("min_pin_length", min_pin_length, 4, 12),
      Range("max_pin_length", max_pin_length, 4, 12),
      Range("rfid_min_bytes", rfid_min_bytes, 4, 32),
      Range("rfid_max_bytes", rfid_max_bytes, 4, 32),
      Range("max_user_name_length", max_user_name_length, 1, 255),
      Range("week_day_schedules_per_user", week_day_schedules_per_user, 1, 253),
      Range("year_day_schedules_per_user", year_day_schedules_per_user, 1, 253),
      Range("holiday_schedules", holiday_schedules, 1, 253),
  };
  for (const Status& s : checks) {
    LATCHKEY_TRY(s);
  }
  if (min_pin_length > max_pin_length) return Status::Invalid("min_pin_length is above max_pin_length");
  if (rfid_min_bytes > rfid_max_bytes) return Status::Invalid("rfid_min_bytes is above rfid_max_bytes");
  return Status::Ok();
}

}  // namespace latchkey::core
