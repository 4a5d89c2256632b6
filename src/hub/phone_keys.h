// The hub's half of phone keys (PHONE-KEYS.md 1; docs/phone-keys.md "Issuing and revoking
// (hub)"): it signs certificates with the home key, keeps the revocation list, and hands both
// the key and the list to the locks over the link.
//
// - Every time a paired lock's link comes up (also right after pairing), the lock gets
//   `set_home_key` and then `revoke_phone_keys` with the current signed list; what it answers
//   (link::PhoneKeysAnswer) is stored, so the API can say how far a revocation has reached.
// - A change of the list (a revocation, revoke-all) goes at once to every lock that is
//   connected; a lock that is offline gets it when it next connects, or from an admin's phone
//   that carries the list (GET /api/v1/phone-keys/revocations).
// - The list names the revoked serials of the current epoch whose certificates have not
//   expired, ascending, at most core::kMaxRevokedPhoneKeys; its version rises with every change.
//
// Runs on the hub's io thread, like the lock sessions it sends through.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hub/env.h"
#include "hub/home_key.h"
#include "hub/hub_store.h"
#include "hub/lock_sessions.h"
#include "hub/phone_key_rules.h"

namespace latchkey::hub {

// How many keys one account may hold at once that are neither expired nor revoked: a phone
// renews daily, so a few per phone; the bound keeps one account from filling the store.
inline constexpr std::size_t kMaxLivePhoneKeysPerAccount = 32;
// Keys expired for this long are forgotten (no lock accepts them, no list names them).
inline constexpr int64_t kForgetExpiredPhoneKeysS = 30 * 86400;

class PhoneKeys {
 public:
  PhoneKeys(Env& env, HubStore& store, LockSessions& sessions, HomeKey home_key);

  const HomeKey& home_key() const { return home_key_; }

  // The lock's link is up: set_home_key, then revoke_phone_keys; their answers are recorded.
  void OnLockOnline(const std::string& lock);

  // Signs and stores a key for `grant` and `phone`, of the current epoch. kResourceExhausted
  // when the account already holds kMaxLivePhoneKeysPerAccount live keys.
  core::Result<PhoneKeyRecord> Issue(const PhoneKeyGrant& grant, const core::X25519PublicKey& phone,
                                     const std::string& issued_by);

  // Revokes `serials` (those already revoked, or unknown, are left alone) and sends the new list
  // to every connected lock, with `actor` as who asked. kResourceExhausted (nothing changes) when
  // the list would name more than core::kMaxRevokedPhoneKeys serials: revoke-all then.
  core::Status Revoke(std::span<const uint64_t> serials, const Json& actor);
  // Raises the epoch: every key issued so far is refused by a lock once it applied the new list.
  core::Result<PhoneRevocationState> RevokeAll(const Json& actor);
  // After `username`'s account changed (nullopt: it was deleted): revokes its live keys that no
  // longer fit it (KeyFitsAccount), or all of them for a deleted account or `all`. Should the
  // list be full, the epoch is raised instead: a deleted account's phone must not open the door.
  core::Status RevokeBeyond(const std::string& username, const std::optional<Account>& account, bool all = false);

  // The current list, signed, as a lock or a phone takes it.
  core::Result<std::vector<uint8_t>> SignedList();
  core::Result<PhoneRevocationState> state() { return store_.GetPhoneRevocations(); }

  // For a revoked key: for each lock it could reach (its lock, or every paired lock for "*"),
  // whether that lock has applied the list that carried the revocation. `paired`: the paired
  // locks' ids; `applied`: each lock's applied list version (absent: never answered).
  static Json AppliedJson(const PhoneKeyRecord& key, std::span<const std::string> paired,
                          const std::map<std::string, uint64_t>& applied);
  // Each paired lock's applied list version, from the store.
  core::Result<std::map<std::string, uint64_t>> AppliedVersions();

 private:
  // Stores `change` and sends the list to every connected lock.
  core::Status Commit(const PhoneRevocationChange& change, const Json& actor);
  // Sends the signed list to one lock and records its answer.
  void SendList(const std::string& lock, const std::vector<uint8_t>& list, const Json& actor);
  // A lock's answer to set_home_key or revoke_phone_keys.
  void Record(const std::string& lock, const std::string& op, const Json& reply);

  Env& env_;
  HubStore& store_;
  LockSessions& sessions_;
  HomeKey home_key_;
};

}  // namespace latchkey::hub
