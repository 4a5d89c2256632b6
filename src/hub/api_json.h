// The API's JSON forms (API.md) of what the hub mirrors from its locks: the lock object and an
// event. One place for each, so that answers, the live stream and webhooks show the same.
#pragma once

#include <string>

#include "hub/auth.h"
#include "hub/hub_store.h"

namespace latchkey::hub {

// A mirrored event as the API shows it (history, stream, webhooks): RFC 3339 times, plus "lock".
Json ApiEventJson(Json event, const std::string& lock);

// The lock object of API.md for `record`, whole: with the lock's network `address` and a
// simulated lock's `sim_control_url` (for the hub's own use, e.g. forwarding sim inputs).
// `online`: whether the hub's link to it is up now.
Json LockJson(const LockRecord& record, bool online);
// The lock object as `viewer` may see it (every answer and stream message): `address` and
// `sim_control_url` only for owner and admin (SECURITY.md "Least knowledge": where a lock is on
// the network, and a simulated lock's control port, are no business of members and guests).
Json LockJson(const LockRecord& record, bool online, const Principal& viewer);

}  // namespace latchkey::hub
