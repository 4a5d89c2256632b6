// The forms of what a lock reports about itself: its status (get_state, the `state` message and
// through them the hub's lock object), its capabilities (hello, get_state) and its decision on a
// simulated input. One FieldTable per form, as in record_forms.h; the three forms are one
// document today (the API shows what the link carries), so each form shares one table:
//
//   wire::EncodeStatus(wire::Form::kLink, lock.status())
//       // {"lock_state": "locked", "door_state": "closed",
//       //  "battery": {"percent": 80, "millivolts": 5600, "low": false, ...}, ...}
//   wire::DecodeCapabilities(wire::Form::kLink, hello["caps"])  // kInvalid naming a bad field
//
// Readers are lenient about unknown fields (a newer lock may report more) and strict about the
// fields they know.
#pragma once

#include <nlohmann/json.hpp>

#include "core/capabilities.h"
#include "core/lock.h"
#include "core/status.h"
#include "wire/field_table.h"
#include "wire/record_forms.h"

namespace latchkey::wire {

// The status of core::LockStatus, with "battery" a sub-document and the log's last seq as
// "last_event_seq". (The counts of wrong attempts are the lock's own business: not written.)
const FieldTable<core::LockStatus>& StatusFields(Form form);
// The ten numbers of core::Capabilities (decoding checks them with Capabilities::Validate), and
// three lists of names that every lock of this version has: "credential_types" (the types it
// accepts), "credential_rules" and "features". Decoding checks that each is a list of names and
// does not keep them.
const FieldTable<core::Capabilities>& CapabilitiesFields(Form form);
// {"result": "granted", "operation": "unlock", "lock_state": "unlocking", "user": 3,
//  "credential": {...}} ("reason" when denied).
const FieldTable<core::Decision>& DecisionFields(Form form);

nlohmann::json EncodeStatus(Form form, const core::LockStatus& status);
core::Result<core::LockStatus> DecodeStatus(Form form, const nlohmann::json& json);
nlohmann::json EncodeCapabilities(Form form, const core::Capabilities& capabilities);
core::Result<core::Capabilities> DecodeCapabilities(Form form, const nlohmann::json& json);
nlohmann::json EncodeDecision(Form form, const core::Decision& decision);
core::Result<core::Decision> DecodeDecision(Form form, const nlohmann::json& json);

}  // namespace latchkey::wire
