// The results of the link ops whose answer is not a record of wire/record_forms.h, as structs
// with one field table each (wire/field_table.h), so that the lock writes them as the hub and
// its clients read them:
//
//   link::RemoteAnswer::Fields().Encode({.result = "ok", .lock_state = core::LockState::kLocked})
//       // {"result": "ok", "lock_state": "locked"}
//   link::SetTimeAnswer::Fields().Decode(result)   // kInvalid naming a bad field
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/types.h"
#include "wire/field_table.h"

namespace latchkey::link {

#define LATCHKEY_ANSWER(T) static const wire::FieldTable<T>& Fields()

struct RemoteAnswer {  // lock, unlock, unlatch
  std::string result{};  // "ok" (the bolt stopped) or "pending" (a second factor is awaited)
  core::LockState lock_state = core::LockState::kUnknown;
  LATCHKEY_ANSWER(RemoteAnswer);
};
struct SetTimeAnswer {
  int64_t time = 0;  // the time taken, ms since the epoch
  LATCHKEY_ANSWER(SetTimeAnswer);
};
struct CredentialResultAnswer {  // set_credential
  core::CredentialType type = core::CredentialType::kPin;
  core::CredentialIndex index = 0;
  core::UserIndex user = 0;
  std::optional<core::CredentialIndex> next_free_index{};  // null: none free
  LATCHKEY_ANSWER(CredentialResultAnswer);
};

#undef LATCHKEY_ANSWER

}  // namespace latchkey::link
