// What one account may receive on the live stream (SECURITY.md "Least knowledge"; docs/hub.md
// "What each account receives"). One pure function, checked for every message the hub publishes
// or replays to a client, so that no path of stream.cc can send more than this allows:
//
// - Nothing of a lock the account does not see now (its lock list; a guest's window).
// - Owner and admin: everything of the locks they see, including the hub's own alarms
//   ({"type":"hub_alarm"}) and the duress alarm.
// - Duress (an `alarm` event `forced_user`, and the `lock_operation` whose operation is
//   `forced_user`): owner and admin only. Never a member or a guest: the person forced to open the
//   door may hold any account, and its phone must not show that help was called.
// - Member: every other event of its locks (it reads their history anyway).
// - Guest: only its own remote operations (`lock_operation` and `lock_operation_error` whose
//   `actor` is its username) and the lock's state (`door_state` and `power` events, and state
//   messages). Not others' operations (names, user slots, credentials), not credential or user
//   changes, not alarms: what alarms mean for the door (jammed, forced open, battery low,
//   lockdown) is in the state message.
// - A state message carrying the lock's network `address` or `sim_control_url` only to owner and
//   admin (api_json.h LockJson leaves them out for others; a full object sent by mistake is withheld).
// - A message of a type not named here: nobody but owner/admin (closed by default).
#pragma once

#include <nlohmann/json.hpp>

#include "hub/auth.h"

namespace latchkey::hub {

// `message` as Stream sends it: {"type":"event","lock","event"}, {"type":"state","lock",...} or
// {"type":"hub_alarm","lock",...}.
bool StreamMaySend(const Principal& viewer, const nlohmann::json& message, int64_t now_ms);

// The duress event (above): for owner and admin only, wherever events are shown.
bool IsDuressEvent(const nlohmann::json& event);

}  // namespace latchkey::hub
