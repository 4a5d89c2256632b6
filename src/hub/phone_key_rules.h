// Who may have the hub sign which phone key, and what a revocation list holds (PHONE-KEYS.md 1
// and 5; docs/phone-keys.md "Issuing and revoking (hub)"). Pure: the routes (api_phone_keys.cc)
// read the store and the caller, these decide, the service (phone_keys.h) signs and stores.
//
//   auto ask = DecodePhoneKeyAsk(body);                      // 400 on a bad field
//   auto decided = DecideIssue(*ask, caller, target, paired_lock_ids, now_ms);
//   if (auto* refusal = std::get_if<Refusal>(&decided)) ... // 400, 403 or 404 as API.md
//
// The rules, for a caller asking for a key for account A:
// - owner and admin (inside their window) may ask for any account; A's role, lock list and
//   window bound the key (the lock must be one A sees, "*" only when A sees every lock, the
//   window is clipped to A's), and so do the caller's own lock list: nobody hands out a key to a
//   lock it does not see.
// - a member or guest (or an admin outside its window) asks only for itself (another account:
//   403), for a lock it sees now, and only as user 0: the hub knows no mapping from accounts to
//   the locks' users, so such a key is a certificate-only guest on the lock, limited by the
//   certificate's window.
// - `auto` for a guest's key only when the owner asks (PHONE-KEYS.md 4: "a guest key never gets
//   auto unless the owner sets it").
// - valid_for_s 60..86400 for everyone, up to 90 days only for the owner.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/phone_key.h"
#include "core/status.h"
#include "hub/auth.h"
#include "hub/hub_store.h"

namespace latchkey::hub {

inline constexpr int64_t kDefaultPhoneKeySeconds = 86400;        // a day, renewed while online
inline constexpr int64_t kMaxPhoneKeySeconds = 86400;            // for all but the owner
inline constexpr int64_t kMaxOwnerPhoneKeySeconds = 90 * 86400;  // the owner's longest
inline constexpr int64_t kMinPhoneKeySeconds = 60;
// not_before lies this far back, so that a lock whose clock is a little behind the hub's
// accepts a key issued just now.
inline constexpr int64_t kPhoneKeyClockSkewSeconds = 60;

// The body of POST /api/v1/phone-keys; absent fields are nullopt (their defaults depend on the
// caller and the account, DecideIssue).
struct PhoneKeyAsk {
  core::X25519PublicKey phone{};
  std::optional<std::string> lock;
  std::optional<uint32_t> user;
  std::optional<std::string> account;
  std::optional<int64_t> valid_for_s;
  std::optional<core::PhoneOps> ops;
  std::optional<bool> auto_unlock;
};
// Strict: an unknown field, a wrong type, a phone_public_key that is not the base64 of 32
// bytes, an op that is not lock/unlock/unlatch or is named twice, an empty ops: kInvalid
// naming the field.
core::Result<PhoneKeyAsk> DecodePhoneKeyAsk(const nlohmann::json& body);

// What the hub will sign (the serial, the phone and the epoch come from elsewhere).
struct PhoneKeyGrant {
  std::string account;
  std::string lock;  // a lock id or "*"
  uint32_t user = 0;
  int64_t not_before_s = 0;
  int64_t not_after_s = 0;
  core::PhoneOps ops;
  bool auto_unlock = false;
  friend bool operator==(const PhoneKeyGrant&, const PhoneKeyGrant&) = default;
};

// A refusal as API.md words it: 400 invalid, 403 forbidden or 404 not_found.
struct Refusal {
  unsigned status = 403;
  std::string code = "forbidden";
  std::string message;
  static Refusal Invalid(std::string message) { return {400, "invalid", std::move(message)}; }
  static Refusal Forbidden(std::string message) { return {403, "forbidden", std::move(message)}; }
  static Refusal NotFound(std::string message) { return {404, "not_found", std::move(message)}; }
};

// The key `caller` may have for `ask`, or why not. `target`: the account ask.account (or the
// caller's own) names, as stored (nullopt: no such account); `paired`: the ids of the paired
// locks. A member asking about another account is refused before the account is looked at, so
// that it cannot learn which accounts exist.
std::variant<PhoneKeyGrant, Refusal> DecideIssue(const PhoneKeyAsk& ask, const Principal& caller,
                                                 const std::optional<Account>& target,
                                                 std::span<const std::string> paired, int64_t now_ms);

// Whether `caller` may see (list) and revoke `key`: its own keys always; an owner or admin
// (inside its window) also every key for a lock it sees ("*" only when it sees every lock).
bool MaySeePhoneKey(const Principal& caller, const PhoneKeyRecord& key, int64_t now_ms);

// Whether `key` is still within what `account` may hold now that the account changed: its lock
// (or "*") is one the account sees, and its window within the account's. A key that is not is
// revoked (the owner narrowed a guest's access).
bool KeyFitsAccount(const PhoneKeyRecord& key, const Account& account);

// The serials a revocation list names at `now_s`: revoked keys of the current epoch or above
// (revoke-all covers the older ones) that have not expired (no lock accepts those anyway),
// ascending.
std::vector<uint64_t> RevokedSerials(std::span<const PhoneKeyRecord> keys, uint32_t epoch, int64_t now_s);

// The API's names of `ops`, in the certificate's order.
nlohmann::json PhoneOpsJson(const core::PhoneOps& ops);

}  // namespace latchkey::hub
