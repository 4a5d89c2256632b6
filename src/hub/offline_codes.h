// The hub's half of offline guest codes (OFFLINE-CODES.md; docs/offline-codes.md): it makes each
// lock's offline-code key, computes codes for the windows owners and admins ask for, keeps the
// revocation list, and hands key and list to the lock over the link.
//
// - A lock's key (32 random bytes) and reference epoch (the hour at or before the moment it was
//   made) are made the first time the hub needs them: when the lock first connects (right after
//   pairing), or when a code is first issued for it. The key never leaves the hub but to its lock.
// - Every time the lock's link comes up, the lock gets `set_offline_key` and then
//   `revoke_offline_codes` with the complete current list; what it answers
//   (link::OfflineCodesAnswer) is stored, so the API can say whether a revocation reached it.
// - A revocation, or a clear code (a new generation), goes at once to a lock that is connected;
//   one that is not gets it at its next connect. A clear code typed at the door needs no hub.
// - The hub learns that a code was used from the lock's events (credential offline_code).
//
//   offline_codes.Issue("lk-...", ask, "owner", actor, [](OfflineCodes::IssueAnswer answer) {...});
//   offline_codes.Revoke("lk-...", id, actor, [](OfflineCodes::RevokeAnswer answer) {...});
//
// Runs on the hub's io thread, like the lock sessions it sends through.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "crypto/sodium_crypto.h"
#include "hub/env.h"
#include "hub/hub_store.h"
#include "hub/lock_sessions.h"
#include "hub/offline_code_rules.h"

namespace latchkey::hub {

class OfflineCodes {
 public:
  // A code and its lock's key row as they stand after an Issue or a Revoke (StatusOf and
  // RevocationDelivered read both).
  struct Outcome {
    OfflineCodeRecord code;
    OfflineCodeKey key;
  };
  using IssueAnswer = std::variant<Outcome, Refusal>;
  using RevokeAnswer = std::variant<Outcome, Refusal>;

  OfflineCodes(Env& env, HubStore& store, LockSessions& sessions);

  // The lock's link is up: set_offline_key, then revoke_offline_codes; their answers are recorded.
  void OnLockOnline(const std::string& lock);
  // A new event of the lock (after it was stored): an offline code opened the door.
  void OnEvent(const std::string& lock, const Json& event);

  // The lock's key row, made now if it has none (kNotFound: no such lock).
  core::Result<OfflineCodeKey> KeyFor(const std::string& lock);

  // Makes and stores the code `ask` describes, for `lock`. A clear code begins a new generation
  // (every earlier code is cleared) and is sent to the lock at once when it is connected: `done`
  // runs once the lock answered (or at once when it is offline). Refusals: 400 for a window that
  // cannot be a code (PlanOfflineCode), 409 resource_exhausted at kMaxLiveOfflineCodesPerLock
  // live codes, 409 duplicate when the lock has a code of the same window, kind and generation
  // whose window has not ended (the same 12 digits), 409 clear_pending for a clear code while the
  // lock has not yet learnt the last one.
  void Issue(const std::string& lock, const OfflineCodeAsk& ask, const std::string& created_by, const Json& actor,
             std::function<void(IssueAnswer)> done);

  // Revokes code `id` of `lock` (404 when there is none) and sends the new list to the lock when
  // it is connected; `done` runs once it answered, or at once when it is offline (the
  // revocation is then pending until it connects). Revoking a code again changes nothing (but
  // sends the list again to a connected lock that has not applied it). 409 resource_exhausted
  // when the list would name more than kMaxOfflineRevocations codes: clear them all then.
  void Revoke(const std::string& lock, const std::string& id, const Json& actor, std::function<void(RevokeAnswer)> done);

 private:
  // Sends the current list to the lock and records its answer, then calls `done` (may be empty).
  void SendList(const std::string& lock, const Json& actor, std::function<void()> done);
  // A lock's answer to set_offline_key or revoke_offline_codes.
  void Record(const std::string& lock, const std::string& op, const Json& reply);
  // The code and key as stored now, as an answer.
  std::variant<Outcome, Refusal> Reread(const std::string& lock, const std::string& id);

  Env& env_;
  HubStore& store_;
  LockSessions& sessions_;
  const crypto::SodiumCrypto crypto_{crypto::SecretKey{}};  // HMAC-SHA256 only: the digest key is unused
};

}  // namespace latchkey::hub
