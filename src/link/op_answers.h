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

#include "core/capabilities.h"
#include "core/lock.h"
#include "core/settings.h"
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

// get_state's answer, and the `state` message the lock sends its paired hub on every change
// (without its "t"). Unknown fields pass: a newer lock may report more.
struct StateAnswer {
  core::LockStatus status{};  // its fields at the top level (wire::StatusFields)
  std::string name{};         // the settings' name, repeated
  core::Settings settings{};  // the link form of whole settings
  core::Capabilities capabilities{};
  bool simulated = false;
  std::optional<std::string> sim_control_url{};     // a simulated lock's sim-control server
  std::optional<std::string> sim_control_secret{};  // only in `state`, only to the paired hub
  uint64_t acked_seq = 0;                           // the last event the hub acknowledged
  LATCHKEY_ANSWER(StateAnswer);
};
// One stored credential (get_credential; the items of list_credentials). Never its secret.
struct StoredCredentialAnswer {
  core::CredentialType type = core::CredentialType::kPin;
  core::CredentialIndex index = 0;
  core::UserIndex user = 0;
  std::string created_by{};
  int64_t created_at = 0;  // ms since the epoch
  LATCHKEY_ANSWER(StoredCredentialAnswer);
};
// One page of a list op asked with `from` or `limit` (list_pages.h): `items` in the op's own
// form (users, credentials, schedules or holidays), `next` the key of the first entry not sent.
struct ListPageAnswer {
  nlohmann::json items = nlohmann::json::array();
  std::optional<uint64_t> next{};
  LATCHKEY_ANSWER(ListPageAnswer);
};

// set_home_key and revoke_phone_keys: what the lock now holds (core::PhoneKeyInfo), so that
// the hub knows which revocations each lock has applied.
struct PhoneKeysAnswer {
  bool home_key = false;
  uint64_t revocations_version = 0;
  uint32_t min_epoch = 0;
  uint64_t revoked = 0;  // serials on the lock's list
  LATCHKEY_ANSWER(PhoneKeysAnswer);
};

// set_offline_key and revoke_offline_codes: what the lock now holds (core::OfflineCodeInfo), so
// that the hub records the list version the lock applied and adopts a generation that a clear
// code typed at the door raised. "revoked" and "remembered" (counts) may be absent.
//   {"key": true, "epoch": 1795600800, "generation": 1, "revocations_version": 3,
//    "revoked": 2, "remembered": 5}
struct OfflineCodesAnswer {
  bool key = false;  // the lock holds an offline-code key
  int64_t epoch = 0;
  uint32_t generation = 0;
  uint64_t revocations_version = 0;
  uint64_t revoked = 0;
  uint64_t remembered = 0;
  LATCHKEY_ANSWER(OfflineCodesAnswer);
};

#undef LATCHKEY_ANSWER

}  // namespace latchkey::link
