#include "hub/phone_key_rules.h"

#include <algorithm>

#include "crypto/base64.h"
#include "wire/field_table.h"

namespace latchkey::hub {

namespace {

using Json = nlohmann::json;

// The body as its field table reads it; DecodePhoneKeyAsk turns the base64 into bytes.
struct Body {
  std::string phone_public_key;
  std::optional<std::string> lock;
  std::optional<uint32_t> user;
  std::optional<std::string> account;
  std::optional<uint32_t> valid_for_s;
  std::optional<core::PhoneOps> ops;
  std::optional<bool> auto_unlock;
};

core::Status ReadOps(const Json& value, Body& out) {
  if (!value.is_array() || value.empty()) {
    return core::Status::Invalid("ops: must be a non-empty list of lock, unlock, unlatch");
  }
  core::PhoneOps ops;
  for (const Json& name : value) {
    bool* flag = !name.is_string()           ? nullptr
                 : name == "lock"            ? &ops.lock
                 : name == "unlock"          ? &ops.unlock
                 : name == "unlatch"         ? &ops.unlatch
                                             : nullptr;
    if (flag == nullptr) return core::Status::Invalid("ops: " + name.dump() + " is not lock, unlock or unlatch");
    if (*flag) return core::Status::Invalid("ops: " + name.dump() + " is named twice");
    *flag = true;
  }
  out.ops = ops;
  return core::Status::Ok();
}

const wire::FieldTable<Body>& BodyTable() {
  static const auto table =
      wire::FieldTable<Body>("phone key")
          .Field("phone_public_key", &Body::phone_public_key, {.max_bytes = 64})
          .Field("lock", &Body::lock, {.max_bytes = core::kMaxPhoneKeyLockId})
          .Field("user", &Body::user, {.hi = 65534})
          .Field("account", &Body::account, {.max_bytes = 64})
          .Field("valid_for_s", &Body::valid_for_s,
                 {.lo = kMinPhoneKeySeconds, .hi = static_cast<uint64_t>(kMaxOwnerPhoneKeySeconds)})
          .Custom("ops", ReadOps,
                  [](const Body& in, Json& object) {
                    if (in.ops) object["ops"] = PhoneOpsJson(*in.ops);
                  })
          .Field("auto", &Body::auto_unlock);
  return table;
}

bool Lists(const std::optional<std::vector<std::string>>& locks, const std::string& id) {
  return !locks || std::find(locks->begin(), locks->end(), id) != locks->end();
}

// An account's own limits (the owner account has none: nothing narrows the owner).
bool IsOwnerAccount(const Account& a) { return a.role == "owner"; }

int64_t FloorSeconds(int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }
int64_t CeilSeconds(int64_t ms) { return -FloorSeconds(-ms); }

}  // namespace

Json PhoneOpsJson(const core::PhoneOps& ops) {
  Json list = Json::array();
  if (ops.lock) list.push_back("lock");
  if (ops.unlock) list.push_back("unlock");
  if (ops.unlatch) list.push_back("unlatch");
  return list;
}

core::Result<PhoneKeyAsk> DecodePhoneKeyAsk(const Json& body) {
  auto decoded = BodyTable().Decode(body);
  LATCHKEY_TRY(decoded);
  const auto phone = crypto::Base64Decode(decoded->phone_public_key, 32);
  if (!phone || phone->size() != 32) {
    return core::Status::Invalid("phone_public_key: must be the phone's X25519 public key, 32 bytes in base64");
  }
  PhoneKeyAsk ask;
  std::copy(phone->begin(), phone->end(), ask.phone.begin());
  ask.lock = decoded->lock;
  ask.user = decoded->user;
  ask.account = decoded->account;
  if (decoded->valid_for_s) ask.valid_for_s = *decoded->valid_for_s;
  ask.ops = decoded->ops;
  ask.auto_unlock = decoded->auto_unlock;
  if (ask.lock && ask.lock->empty()) return core::Status::Invalid("lock: must be a lock id or \"*\"");
  return ask;
}

std::variant<PhoneKeyGrant, Refusal> DecideIssue(const PhoneKeyAsk& ask, const Principal& caller,
                                                 const std::optional<Account>& target,
                                                 std::span<const std::string> paired, int64_t now_ms) {
  const bool manager = caller.MayManageLock();
  const std::string account = ask.account.value_or(caller.username);
  if (!manager && account != caller.username) {
    return Refusal::Forbidden("account: a member or guest enrolls only its own phone");
  }
  if (!target) return Refusal::NotFound("no such account");

  const int64_t valid_for = ask.valid_for_s.value_or(kDefaultPhoneKeySeconds);
  if (valid_for < kMinPhoneKeySeconds || valid_for > kMaxOwnerPhoneKeySeconds) {
    return Refusal::Invalid("valid_for_s: must be 60..7776000");
  }
  if (valid_for > kMaxPhoneKeySeconds && caller.role != Role::kOwner) {
    return Refusal::Forbidden("valid_for_s: keys longer than a day (86400 s) are the owner's to give");
  }

  // The account's limits: the owner account has none.
  const bool owner_account = IsOwnerAccount(*target);
  const std::optional<std::vector<std::string>> account_locks = owner_account ? std::nullopt : target->locks;
  // A lock the key may name: the caller sees it and the account lists it.
  const auto caller_sees = [&](const std::string& id) { return caller.SeesLock(id, now_ms); };
  const bool every_lock_allowed = !caller.locks && caller.InWindow(now_ms) && !account_locks;

  std::string lock;
  if (ask.lock == core::kEveryLock) {
    if (!every_lock_allowed) {
      return Refusal::Forbidden("lock: \"*\" (every lock) needs an account and a caller that see every lock");
    }
    lock = std::string(core::kEveryLock);
  } else if (ask.lock) {
    // A lock the caller may not see is answered like one that does not exist (docs/hub.md).
    if (std::find(paired.begin(), paired.end(), *ask.lock) == paired.end() || !caller_sees(*ask.lock)) {
      return Refusal::NotFound("no such lock");
    }
    if (!Lists(account_locks, *ask.lock)) return Refusal::Forbidden("lock: not one of " + account + "'s locks");
    lock = *ask.lock;
  } else {
    std::vector<std::string> visible;
    for (const std::string& id : paired) {
      if (caller_sees(id) && Lists(account_locks, id)) visible.push_back(id);
    }
    if (visible.size() == 1) {
      lock = visible.front();
    } else if (every_lock_allowed) {
      lock = std::string(core::kEveryLock);
    } else {
      return Refusal::Invalid("lock: required (" + account + " sees " + std::to_string(visible.size()) + " locks)");
    }
  }

  const uint32_t user = ask.user.value_or(0);
  if (user != 0 && !manager) {
    return Refusal::Forbidden("user: a member or guest enrolls as user 0 (a certificate-only guest on the lock)");
  }
  const bool auto_unlock = ask.auto_unlock.value_or(false);
  if (auto_unlock && target->role == "guest" && caller.role != Role::kOwner) {
    return Refusal::Forbidden("auto: only the owner gives a guest's key auto-unlock");
  }

  const int64_t now_s = FloorSeconds(now_ms);
  PhoneKeyGrant grant;
  grant.account = account;
  grant.lock = lock;
  grant.user = user;
  grant.not_before_s = now_s - kPhoneKeyClockSkewSeconds;
  grant.not_after_s = now_s + valid_for;
  // The account's window bounds its keys (a guest's stay, or any account's below the owner).
  if (!owner_account) {
    if (target->valid_from_ms) grant.not_before_s = std::max(grant.not_before_s, CeilSeconds(*target->valid_from_ms));
    if (target->valid_until_ms) grant.not_after_s = std::min(grant.not_after_s, FloorSeconds(*target->valid_until_ms));
  }
  if (grant.not_before_s >= grant.not_after_s) {
    return Refusal::Forbidden("the account's window (valid_from..valid_until) leaves no time for a key now");
  }
  grant.ops = ask.ops.value_or(core::PhoneOps{.lock = true, .unlock = true});
  grant.auto_unlock = auto_unlock;
  return grant;
}

bool MaySeePhoneKey(const Principal& caller, const PhoneKeyRecord& key, int64_t now_ms) {
  if (key.account == caller.username) return true;
  if (!caller.MayManageLock()) return false;
  if (key.lock == core::kEveryLock) return !caller.locks && caller.InWindow(now_ms);
  return caller.SeesLock(key.lock, now_ms);
}

bool KeyFitsAccount(const PhoneKeyRecord& key, const Account& account) {
  if (IsOwnerAccount(account)) return true;
  if (key.lock == core::kEveryLock ? account.locks.has_value() : !Lists(account.locks, key.lock)) return false;
  // As DecideIssue clips: not after the window's end, and not before its start (less the skew
  // allowance every key has).
  if (account.valid_until_ms && key.not_after_s > FloorSeconds(*account.valid_until_ms)) return false;
  if (account.valid_from_ms && key.not_before_s + kPhoneKeyClockSkewSeconds < FloorSeconds(*account.valid_from_ms)) {
    return false;
  }
  return true;
}

std::vector<uint64_t> RevokedSerials(std::span<const PhoneKeyRecord> keys, uint32_t epoch, int64_t now_s) {
  std::vector<uint64_t> serials;
  for (const PhoneKeyRecord& key : keys) {
    if (key.revoked_at_ms && key.epoch >= epoch && key.not_after_s > now_s) serials.push_back(key.serial);
  }
  std::sort(serials.begin(), serials.end());
  serials.erase(std::unique(serials.begin(), serials.end()), serials.end());
  return serials;
}

}  // namespace latchkey::hub
