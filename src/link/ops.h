// The ops of the link's `req` messages (LINK.md, docs/link.md "Requests"), as an enum with one
// wire name each, so that both ends dispatch on a value instead of comparing strings:
//
//   ParseOp("clear_user")        // Op::kClearUser
//   ParseOp("format_disk")       // nullopt: the lock answers `invalid` "unknown op '...'"
//   ToString(Op::kSetTime)       // "set_time"
//
// Adding an op: a value here (before kCount) and its name in EnumNames<Op> below, a request struct in
// op_requests.h, a handler in device/lock_ops.cc (tests/unit/link_ops_test.cc fails until each
// op has all three).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include "core/types.h"
#include "link/enum_table.h"

namespace latchkey::link {

enum class Op {
  kGetState,
  kLock,
  kUnlock,
  kUnlatch,
  kGetSettings,
  kSetSettings,
  kListUsers,
  kGetUser,
  kSetUser,
  kClearUser,
  kListCredentials,
  kGetCredential,
  kSetCredential,
  kClearCredential,
  kListSchedules,
  kSetSchedule,
  kClearSchedule,
  kListHolidays,
  kSetHoliday,
  kClearHoliday,
  kSetTime,
  kUnpair,
  kSim,
  kSetHomeKey,
  kRevokePhoneKeys,
  kSetOfflineKey,
  kRevokeOfflineCodes,
  kCount,  // not an op: how many there are
};

inline constexpr std::size_t kOpCount = kEnumCount<Op>;

}  // namespace latchkey::link

// The wire names, in Op order (core::ToString and core::Parse read them).
template <>
struct latchkey::core::EnumNames<latchkey::link::Op> {
  static constexpr auto kNames = std::to_array<std::string_view>(
      {"get_state",      "lock",           "unlock",           "unlatch",        "get_settings",  "set_settings",
       "list_users",     "get_user",       "set_user",         "clear_user",     "list_credentials",
       "get_credential", "set_credential", "clear_credential", "list_schedules", "set_schedule",
       "clear_schedule", "list_holidays",  "set_holiday",      "clear_holiday",  "set_time",      "unpair",
       "sim",            "set_home_key",   "revoke_phone_keys", "set_offline_key", "revoke_offline_codes"});
  static_assert(kNames.size() == latchkey::link::kOpCount, "one name per op");
};

namespace latchkey::link {

constexpr std::string_view ToString(Op op) { return core::ToString(op); }
constexpr std::optional<Op> ParseOp(std::string_view name) { return core::Parse<Op>(name); }

}  // namespace latchkey::link
