// The vocabulary of a lock: every enumeration of LOCK-SEMANTICS.md with its wire name.
// Each enum has a table of names in the same order as its values, so ToString/Parse are
// one generic pair of functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace latchkey::core {

using UserIndex = uint16_t;        // 1..max_users
using CredentialIndex = uint32_t;  // 1..max_users*credentials_per_user (0: programming PIN)

enum class UserType : uint8_t {
  kUnrestricted, kWeekDaySchedule, kYearDaySchedule, kScheduleRestricted, kProgramming,
  kNonAccess, kForced, kDisposable, kExpiring, kRemoteOnly,
};
enum class UserStatus : uint8_t { kEnabled, kDisabled };
enum class CredentialRule : uint8_t { kSingle, kDual, kTri };
enum class CredentialType : uint8_t { kProgrammingPin, kPin, kRfid, kFingerprint, kFace, kPhoneKey, kOfflineCode };
enum class OperatingMode : uint8_t { kNormal, kVacation, kPrivacy, kNoRemote, kPassage, kLockdown };
enum class LockState : uint8_t { kLocked, kUnlocked, kUnlatched, kLocking, kUnlocking, kJammed, kUnknown };
enum class DoorState : uint8_t { kOpen, kClosed, kAjar, kForcedOpen, kUnknown };
enum class SoundVolume : uint8_t { kSilent, kLow, kMedium, kHigh };
enum class Source : uint8_t {
  kKeypad, kRfid, kFingerprint, kFace, kPhone, kRemote, kAuto, kManual, kKey, kButton, kSchedule,
};
enum class Operation : uint8_t { kLock, kUnlock, kUnlatch, kNonAccess, kForcedUser };
enum class AccessError : uint8_t {
  kInvalidCredential, kDisabledUser, kRestricted, kIncomplete, kInsufficientBattery, kMode, kLockout,
};
enum class AlarmKind : uint8_t {
  kLockJammed, kWrongCodeLimit, kTamper, kDoorForcedOpen, kDoorAjar, kForcedUser, kLowBattery,
  kCriticalBattery, kPowerCycled, kLockdown, kEventsLost, kFactoryReset,
};
enum class DataType : uint8_t {
  kUser, kPin, kRfid, kFingerprint, kFace, kProgrammingPin, kWeekDaySchedule, kYearDaySchedule,
  kHolidaySchedule, kSettings, kClock, kHomeKey, kPhoneRevocations, kOfflineKey, kOfflineRevocations,
};
enum class ChangeOperation : uint8_t { kAdd, kModify, kClear };
enum class EventKind : uint8_t { kLockOperation, kLockOperationError, kAlarm, kDoorState, kChange, kPower };
enum class Weekday : uint8_t { kMon, kTue, kWed, kThu, kFri, kSat, kSun };

template <typename E>
struct EnumNames;  // specialised below: static constexpr std::array<std::string_view, N> kNames

#define LATCHKEY_ENUM_NAMES(E, ...)                                       \
  template <>                                                             \
  struct EnumNames<E> {                                                   \
    static constexpr auto kNames = std::to_array<std::string_view>({__VA_ARGS__}); \
  }

LATCHKEY_ENUM_NAMES(UserType, "unrestricted", "week_day_schedule", "year_day_schedule",
                    "schedule_restricted", "programming", "non_access", "forced", "disposable",
                    "expiring", "remote_only");
LATCHKEY_ENUM_NAMES(UserStatus, "enabled", "disabled");
LATCHKEY_ENUM_NAMES(CredentialRule, "single", "dual", "tri");
LATCHKEY_ENUM_NAMES(CredentialType, "programming_pin", "pin", "rfid", "fingerprint", "face", "phone_key",
                    "offline_code");
LATCHKEY_ENUM_NAMES(OperatingMode, "normal", "vacation", "privacy", "no_remote", "passage", "lockdown");
LATCHKEY_ENUM_NAMES(LockState, "locked", "unlocked", "unlatched", "locking", "unlocking", "jammed", "unknown");
LATCHKEY_ENUM_NAMES(DoorState, "open", "closed", "ajar", "forced_open", "unknown");
LATCHKEY_ENUM_NAMES(SoundVolume, "silent", "low", "medium", "high");
LATCHKEY_ENUM_NAMES(Source, "keypad", "rfid", "fingerprint", "face", "phone", "remote", "auto", "manual",
                    "key", "button", "schedule");
LATCHKEY_ENUM_NAMES(Operation, "lock", "unlock", "unlatch", "non_access", "forced_user");
LATCHKEY_ENUM_NAMES(AccessError, "invalid_credential", "disabled_user", "restricted", "incomplete",
                    "insufficient_battery", "mode", "lockout");
LATCHKEY_ENUM_NAMES(AlarmKind, "lock_jammed", "wrong_code_limit", "tamper", "door_forced_open", "door_ajar",
                    "forced_user", "low_battery", "critical_battery", "power_cycled", "lockdown",
                    "events_lost", "factory_reset");
LATCHKEY_ENUM_NAMES(DataType, "user", "pin", "rfid", "fingerprint", "face", "programming_pin",
                    "week_day_schedule", "year_day_schedule", "holiday_schedule", "settings", "clock",
                    "home_key", "phone_revocations", "offline_key", "offline_revocations");
LATCHKEY_ENUM_NAMES(ChangeOperation, "add", "modify", "clear");
LATCHKEY_ENUM_NAMES(EventKind, "lock_operation", "lock_operation_error", "alarm", "door_state", "change", "power");
LATCHKEY_ENUM_NAMES(Weekday, "mon", "tue", "wed", "thu", "fri", "sat", "sun");

#undef LATCHKEY_ENUM_NAMES

template <typename E>
constexpr std::string_view ToString(E value) {
  const auto i = static_cast<std::size_t>(value);
  return i < EnumNames<E>::kNames.size() ? EnumNames<E>::kNames[i] : std::string_view("?");
}

template <typename E>
constexpr std::optional<E> Parse(std::string_view name) {
  for (std::size_t i = 0; i < EnumNames<E>::kNames.size(); ++i) {
    if (EnumNames<E>::kNames[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

// Whether `value` is one of E's named values (an enum read from outside may hold anything).
template <typename E>
constexpr bool IsValid(E value) {
  return static_cast<std::size_t>(value) < EnumNames<E>::kNames.size();
}

// A credential's identity: its type and its slot in that type's index space.
struct CredentialRef {
  CredentialType type = CredentialType::kPin;
  CredentialIndex index = 0;
  // A phone key has no slot on the lock: it is named by its certificate's serial (index 0).
  uint64_t serial = 0;
  // Nor has an offline code (offline_code.h): it is named by its window, the Unix second it
  // starts and its length in hours (index 0; window_hours 0: not an offline code).
  int64_t window_start_s = 0;
  uint32_t window_hours = 0;
  friend bool operator==(const CredentialRef&, const CredentialRef&) = default;
};

// Who asked for a change or a command: the interface it came through and, for remote
// requests, the account. `privileged` is true for an owner or admin (lockdown needs it).
struct Actor {
  Source source = Source::kRemote;
  std::string_view name;  // account name, "keypad", "hub", ...; may be empty
  bool privileged = false;
};

// The change-event data type of a credential type.
DataType DataTypeOf(CredentialType type);

}  // namespace latchkey::core
