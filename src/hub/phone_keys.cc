#include "hub/phone_keys.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "core/phone_revocations.h"
#include "crypto/base64.h"
#include "link/op_answers.h"
#include "link/op_requests.h"

namespace latchkey::hub {

namespace {

int64_t NowSeconds(Env& env) { return env.NowMs() / 1000; }

}  // namespace

PhoneKeys::PhoneKeys(Env& env, HubStore& store, LockSessions& sessions, HomeKey home_key)
    : env_(env), store_(store), sessions_(sessions), home_key_(std::move(home_key)) {}

void PhoneKeys::OnLockOnline(const std::string& lock) {
  // The key first: a lock checks a list against the home key it holds, so a list sent before
  // the key (to a lock just paired, or given another hub's key) would be refused.
  const link::SetHomeKeyRequest request{.key = crypto::Base64Encode(home_key_.public_key())};
  sessions_.Request<link::Op::kSetHomeKey>(lock, request, [this, lock](Json reply) {
    Record(lock, "set_home_key", reply);
    if (!reply.value("ok", false)) return;  // offline again, or a lock without phone keys
    auto list = SignedList();
    if (!list.ok()) return spdlog::error("hub: no revocation list for lock {}: {}", lock, list.status().ToString());
    SendList(lock, *list, Json());
  });
}

core::Result<PhoneKeyRecord> PhoneKeys::Issue(const PhoneKeyGrant& grant, const core::X25519PublicKey& phone,
                                             const std::string& issued_by) {
  const int64_t now_s = NowSeconds(env_);
  LATCHKEY_TRY(store_.DeletePhoneKeysExpiredBefore(now_s - kForgetExpiredPhoneKeysS));
  auto held = store_.ListPhoneKeys(grant.account);
  LATCHKEY_TRY(held);
  const auto live = std::count_if(held->begin(), held->end(), [&](const PhoneKeyRecord& k) {
    return !k.revoked_at_ms && k.not_after_s > now_s;
  });
  if (static_cast<std::size_t>(live) >= kMaxLivePhoneKeysPerAccount) {
    return core::Status::ResourceExhausted(grant.account + " holds " + std::to_string(live) +
                                           " phone keys already (at most 32 at once): revoke some first");
  }
  auto state = store_.GetPhoneRevocations();
  LATCHKEY_TRY(state);
  auto serial = store_.NextPhoneKeySerial();
  LATCHKEY_TRY(serial);
  core::PhoneKeyCert cert;
  cert.serial = *serial;
  cert.lock = grant.lock;
  cert.user = static_cast<core::UserIndex>(grant.user);
  cert.phone = phone;
  cert.not_before = grant.not_before_s;
  cert.not_after = grant.not_after_s;
  cert.ops = grant.ops;
  cert.auto_unlock = grant.auto_unlock;
  cert.epoch = state->epoch;
  PhoneKeyRecord record;
  record.certificate = home_key_.Sign(cert);
  record.serial = cert.serial;
  record.account = grant.account;
  record.lock = grant.lock;
  record.user = grant.user;
  record.phone = phone;
  record.not_before_s = grant.not_before_s;
  record.not_after_s = grant.not_after_s;
  record.ops = grant.ops;
  record.auto_unlock = grant.auto_unlock;
  record.epoch = cert.epoch;
  record.issued_by = issued_by;
  record.issued_at_ms = env_.NowMs();
  LATCHKEY_TRY(store_.PutPhoneKey(record));
  return record;
}

core::Status PhoneKeys::Revoke(std::span<const uint64_t> serials, const Json& actor) {
  auto state = store_.GetPhoneRevocations();
  LATCHKEY_TRY(state);
  auto listed = store_.ListPhoneKeys();
  LATCHKEY_TRY(listed);
  std::vector<PhoneKeyRecord> keys = std::move(listed).value();
  const int64_t now_s = NowSeconds(env_);
  PhoneRevocationChange change;
  change.at_ms = env_.NowMs();
  bool list_changes = false;
  for (PhoneKeyRecord& key : keys) {
    if (key.revoked_at_ms || std::find(serials.begin(), serials.end(), key.serial) == serials.end()) continue;
    change.serials.push_back(key.serial);
    key.revoked_at_ms = change.at_ms;  // for the list below
    // An expired key, or one below the epoch, is refused by every lock already: no list needs it.
    list_changes = list_changes || (key.not_after_s > now_s && key.epoch >= state->epoch);
  }
  if (change.serials.empty()) return core::Status::Ok();
  if (list_changes) {
    std::vector<uint64_t> revoked = RevokedSerials(keys, state->epoch, now_s);
    if (revoked.size() > core::kMaxRevokedPhoneKeys) {
      return core::Status::ResourceExhausted(
          "the revocation list is full (" + std::to_string(core::kMaxRevokedPhoneKeys) +
          " unexpired keys): revoke every key at once with POST /api/v1/phone-keys/revoke-all and issue new ones");
    }
    change.carried_by = state->version + 1;
    change.list = PhoneRevocationState{state->epoch, state->version + 1, std::move(revoked)};
  }
  return Commit(change, actor);
}

core::Result<PhoneRevocationState> PhoneKeys::RevokeAll(const Json& actor) {
  auto state = store_.GetPhoneRevocations();
  LATCHKEY_TRY(state);
  if (state->epoch == std::numeric_limits<uint32_t>::max()) {
    return core::Status::ResourceExhausted("the epoch cannot rise any more");
  }
  auto keys = store_.ListPhoneKeys();
  LATCHKEY_TRY(keys);
  PhoneRevocationChange change;
  change.at_ms = env_.NowMs();
  change.below_epoch = state->epoch + 1;
  change.carried_by = state->version + 1;
  // Every key so far is of a lower epoch now, so the list starts empty again.
  change.list = PhoneRevocationState{state->epoch + 1, state->version + 1,
                                     RevokedSerials(*keys, state->epoch + 1, NowSeconds(env_))};
  LATCHKEY_TRY(Commit(change, actor));
  return *change.list;
}

core::Status PhoneKeys::RevokeBeyond(const std::string& username, const std::optional<Account>& account, bool all) {
  auto keys = store_.ListPhoneKeys(username);
  LATCHKEY_TRY(keys);
  const int64_t now_s = NowSeconds(env_);
  std::vector<uint64_t> serials;
  for (const PhoneKeyRecord& key : *keys) {
    if (key.revoked_at_ms || key.not_after_s <= now_s) continue;
    if (!account || all || !KeyFitsAccount(key, *account)) serials.push_back(key.serial);
  }
  if (serials.empty()) return core::Status::Ok();
  const Json actor = {{"name", "hub"}};
  const core::Status revoked = Revoke(serials, actor);
  if (revoked.code() != core::Code::kResourceExhausted) return revoked;
  spdlog::warn("hub: the revocation list is full; revoking every phone key (new epoch) to end {}'s keys", username);
  auto all_revoked = RevokeAll(actor);
  return all_revoked.status();
}

core::Result<std::vector<uint8_t>> PhoneKeys::SignedList() {
  auto state = store_.GetPhoneRevocations();
  LATCHKEY_TRY(state);
  core::PhoneRevocations list;
  list.version = state->version;
  list.epoch = state->epoch;
  list.revoked = state->revoked;
  return home_key_.Sign(list);
}

core::Status PhoneKeys::Commit(const PhoneRevocationChange& change, const Json& actor) {
  LATCHKEY_TRY(store_.CommitPhoneRevocations(change));
  if (!change.list) return core::Status::Ok();
  auto list = SignedList();
  LATCHKEY_TRY(list);
  auto locks = store_.ListLocks();
  LATCHKEY_TRY(locks);
  // Now to every lock that is connected; the others at their next connect (OnLockOnline).
  for (const LockRecord& lock : *locks) {
    if (sessions_.online(lock.id)) SendList(lock.id, *list, actor);
  }
  return core::Status::Ok();
}

void PhoneKeys::SendList(const std::string& lock, const std::vector<uint8_t>& list, const Json& actor) {
  Json args = link::EncodeRequest(link::RevokePhoneKeysRequest{.list = crypto::Base64Encode(list)});
  if (actor.is_object()) args["actor"] = actor;
  sessions_.Request(lock, std::string(link::ToString(link::Op::kRevokePhoneKeys)), std::move(args),
                    [this, lock](Json reply) { Record(lock, "revoke_phone_keys", reply); });
}

void PhoneKeys::Record(const std::string& lock, const std::string& op, const Json& reply) {
  if (!reply.value("ok", false)) {
    const Json error = reply.contains("error") && reply["error"].is_object() ? reply["error"] : Json::object();
    const std::string code = error.value("code", "");
    if (code == "lock_offline") return spdlog::debug("hub: lock {} went offline before {}", lock, op);
    return spdlog::warn("hub: lock {} refused {}: {}", lock, op, error.dump());
  }
  auto answer = link::PhoneKeysAnswer::Fields().Decode(reply.contains("result") ? reply["result"] : Json::object());
  if (!answer.ok()) return spdlog::warn("hub: lock {} answered {} with {}", lock, op, answer.status().ToString());
  const LockPhoneKeys applied{.lock = lock,
                              .home_key = answer->home_key,
                              .revocations_version = answer->revocations_version,
                              .min_epoch = answer->min_epoch,
                              .revoked = answer->revoked,
                              .updated_at_ms = env_.NowMs()};
  if (core::Status s = store_.PutLockPhoneKeys(applied); !s.ok() && s.code() != core::Code::kNotFound) {
    spdlog::error("hub: cannot record lock {}'s phone keys: {}", lock, s.ToString());
  }
  // A lock that holds a newer list (or a higher epoch) of this home key than the hub remembers:
  // the hub's data was restored from an older copy. Its next list must be newer still, or no
  // lock would ever apply one again, and its keys must not be of an epoch the locks refuse.
  auto state = store_.GetPhoneRevocations();
  if (!state.ok() || !answer->home_key) return;
  if (answer->revocations_version <= state->version && answer->min_epoch <= state->epoch) return;
  auto keys = store_.ListPhoneKeys();
  if (!keys.ok()) return;
  const uint32_t epoch = std::max(state->epoch, answer->min_epoch);
  PhoneRevocationChange change;
  change.at_ms = env_.NowMs();
  change.carried_by = std::max(state->version, answer->revocations_version) + 1;
  if (epoch > state->epoch) change.below_epoch = epoch;
  change.list = PhoneRevocationState{epoch, change.carried_by, RevokedSerials(*keys, epoch, NowSeconds(env_))};
  spdlog::warn("hub: lock {} holds revocation list {} (epoch {}), newer than the hub's {} (epoch {}): continuing "
               "from version {}",
               lock, answer->revocations_version, answer->min_epoch, state->version, state->epoch, change.carried_by);
  if (core::Status s = Commit(change, Json()); !s.ok()) spdlog::error("hub: revocation list not raised: {}", s.ToString());
}

core::Result<std::map<std::string, uint64_t>> PhoneKeys::AppliedVersions() {
  auto rows = store_.ListLockPhoneKeys();
  LATCHKEY_TRY(rows);
  std::map<std::string, uint64_t> out;
  for (const LockPhoneKeys& row : *rows) {
    if (row.home_key) out[row.lock] = row.revocations_version;
  }
  return out;
}

Json PhoneKeys::AppliedJson(const PhoneKeyRecord& key, std::span<const std::string> paired,
                            const std::map<std::string, uint64_t>& applied) {
  Json out = Json::object();
  if (!key.revoked_version) return out;
  for (const std::string& id : paired) {
    if (key.lock != core::kEveryLock && key.lock != id) continue;
    const auto it = applied.find(id);
    // Version 0: revoked after it expired, which every lock refuses without a list.
    out[id] = *key.revoked_version == 0 || (it != applied.end() && it->second >= *key.revoked_version);
  }
  return out;
}

}  // namespace latchkey::hub
