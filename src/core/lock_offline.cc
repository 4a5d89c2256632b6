// Offline guest codes at the lock (OFFLINE-CODES.md; docs/offline-codes.md "On the lock"): the
// key, epoch and generation from the hub, its revocation list, and the decision for a 12-digit
// code typed at the keypad that matched no PIN.
#include <algorithm>
#include <limits>

#include "core/lock_impl.h"

namespace latchkey::core {
namespace {

constexpr int64_t kHourS = 3600;

// Which generation's check digits a plaintext carries, as far as the lock looks.
enum class GenerationMatch : uint8_t { kNone, kHeld, kNext, kPrevious };

GenerationMatch MatchGeneration(const Crypto& crypto, const OfflineCodeKey& key, uint32_t held,
                                const OfflineCodePlain& plain) {
  // Every candidate is computed whatever matches, so the time taken says nothing about which.
  const bool is_held = OfflineCodeCheck(crypto, key, held, plain.fields) == plain.check;
  const bool is_next = held < std::numeric_limits<uint32_t>::max() &&
                       OfflineCodeCheck(crypto, key, held + 1, plain.fields) == plain.check;
  const bool is_previous = held > 0 && OfflineCodeCheck(crypto, key, held - 1, plain.fields) == plain.check;
  if (is_held) return GenerationMatch::kHeld;
  if (is_next) return GenerationMatch::kNext;
  if (is_previous) return GenerationMatch::kPrevious;
  return GenerationMatch::kNone;
}

OfflineCodeInfo InfoOf(const OfflineCodeState& s) {
  return {s.key.has_value(), s.epoch_s, s.generation, s.revocations_version, s.revoked.size(), s.remembered.size()};
}

}  // namespace

bool Lock::Impl::OfflineCandidate(const AccessRequest& request) const {
  return !request.remote && request.source == Source::kKeypad && request.phone == nullptr &&
         request.data.size() == kOfflineCodeDigits && offline_codes_.key.has_value();
}

// Steps 3-7 of LOCK-SEMANTICS.md 7 for an offline code (the lockout and the mode's blanket
// refusals were steps 1-2, before the PIN lookup). The code is the credential; a refusal that
// names it counts one wrong attempt like a code that names nothing (OFFLINE-CODES.md: a failed
// offline code is a wrong code), except where a guest's PIN would not count either (mode,
// battery). It is spent, or the lock moves to its generation, only with a grant.
Decision Lock::Impl::DecideOffline(const AccessRequest& request, bool programming_only) {
  const OfflineCodeState& s = offline_codes_;
  const std::string_view tweak = config_.lock_id;
  const auto refuse = [&](AccessError error, const StoredCredential* credential) {
    Decision d = Deny(request, error, credential);
    WrongAttempt(request);
    return d;
  };
  // 3. match: the digits decrypt to a plaintext whose check digits are of the held generation g
  // or of g + 1 (codes issued after a clear that has not reached the lock).
  const auto digits = env_.crypto->Ff1DecryptDigits(
      *s.key, std::span(reinterpret_cast<const uint8_t*>(tweak.data()), tweak.size()), request.data);
  const auto plain = digits ? UnpackOfflineCode(*digits) : std::nullopt;
  if (!plain) return refuse(AccessError::kInvalidCredential, nullptr);
  const GenerationMatch generation = MatchGeneration(*env_.crypto, *s.key, s.generation, *plain);
  if (generation == GenerationMatch::kNone) return refuse(AccessError::kInvalidCredential, nullptr);

  const OfflineCodeFields& fields = plain->fields;
  StoredCredential credential;
  credential.ref.type = CredentialType::kOfflineCode;
  credential.ref.window_start_s = s.HourStartS(fields.start_hour);
  credential.ref.window_hours = fields.duration_hours;
  // 2, continued: as a guest's PIN, refused where only the programming user may use the keypad.
  if (programming_only) return Deny(request, AccessError::kMode, &credential);
  // 4. "user": a code of the generation before (issued before a clear that reached the lock),
  // revoked by the hub, or a one-time (or clear) code already used.
  if (generation == GenerationMatch::kPrevious) return refuse(AccessError::kDisabledUser, &credential);
  const RememberedOfflineCode* used = s.Find(*digits);
  if (s.Revoked(*digits)) return refuse(AccessError::kDisabledUser, &credential);
  if (used != nullptr && fields.type != OfflineCodeType::kWindow) {
    return refuse(AccessError::kDisabledUser, &credential);
  }
  // ... and its window, by a clock the lock trusts: start <= now < end, and a window longer than
  // 24 h only if first used within 24 h of its start.
  if (!rt_.clock_trusted) return refuse(AccessError::kRestricted, &credential);
  const int64_t now_ms = Wall();
  const int64_t start_ms = credential.ref.window_start_s * 1000;
  const int64_t end_ms = s.HourStartS(fields.start_hour + fields.duration_hours) * 1000;
  if (now_ms < start_ms || now_ms >= end_ms) return refuse(AccessError::kRestricted, &credential);
  const bool long_window = fields.duration_hours > kOfflineFirstUseHours;
  if (long_window && used == nullptr && now_ms >= start_ms + int64_t{kOfflineFirstUseHours} * kHourS * 1000) {
    return refuse(AccessError::kRestricted, &credential);
  }
  // 6. power
  if (BatteryTooLow()) return Deny(request, AccessError::kInsufficientBattery, &credential);
  // 7. grant. What the code changes is staged with the grant's event, in one batch: a one-time
  // code is spent on disk before the event can reach the hub (or the door opens).
  OfflineCodeState next = s;
  bool changed = false;
  if (generation == GenerationMatch::kNext) {
    next.generation = s.generation + 1;  // every code of the generation before now fails
    changed = true;
  }
  if (used == nullptr && (fields.type != OfflineCodeType::kWindow || long_window)) {
    next.Remember({*digits, fields.start_hour + fields.duration_hours, now_ms / 1000}, now_ms / 1000);
    changed = true;
  }
  if (changed) {
    Stage(WriteBatch::PutOfflineCodes{next});
    offline_codes_ = std::move(next);  // staged in this batch; a failed commit faults the lock
  }
  return Grant(request, &credential, nullptr);
}

// --- Lock: the hub's calls ------------------------------------------------------------------

Result<OfflineCodeInfo> Lock::SetOfflineKey(const OfflineCodeKey& key, int64_t epoch_s, uint32_t generation,
                                            const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  if (epoch_s <= 0 || epoch_s > kMaxOfflineEpochS || epoch_s % kHourS != 0) {
    return Status::Invalid("epoch: must be a positive multiple of 3600, at most " + std::to_string(kMaxOfflineEpochS));
  }
  const OfflineCodeState& held = m.offline_codes_;
  OfflineCodeState next;
  ChangeOperation op = ChangeOperation::kModify;
  if (held.key && ConstantTimeEqual(*held.key, key)) {
    if (held.epoch_s != epoch_s) {
      return Status::Invalid("epoch: differs from the one held with this key (a new epoch needs a new key)");
    }
    if (generation <= held.generation) return InfoOf(held);  // nothing changes
    next = held;
    next.generation = generation;
  } else {
    if (!held.key) op = ChangeOperation::kAdd;
    next.key = key;  // codes, revocations and generation of another key mean nothing under this one
    next.epoch_s = epoch_s;
    next.generation = generation;
  }
  m.Stage(WriteBatch::PutOfflineCodes{next});
  m.Record(ChangeEvent(DataType::kOfflineKey, op, actor));
  LATCHKEY_TRY(m.Commit());
  m.offline_codes_ = std::move(next);
  return InfoOf(m.offline_codes_);
}

Status Lock::ForgetOfflineKey(const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  if (m.offline_codes_ == OfflineCodeState{}) return Status::Ok();
  m.Stage(WriteBatch::PutOfflineCodes{OfflineCodeState{}});
  m.Record(ChangeEvent(DataType::kOfflineKey, ChangeOperation::kClear, actor));
  LATCHKEY_TRY(m.Commit());
  m.offline_codes_ = OfflineCodeState{};
  return Status::Ok();
}

Result<OfflineCodeInfo> Lock::ApplyOfflineRevocations(uint64_t version, std::span<const std::string> codes,
                                                      uint32_t generation, const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  if (!m.offline_codes_.key) return Status::Invalid("revocations: the lock has no offline-code key yet");
  if (codes.size() > kMaxRevokedOfflineCodes) {
    return Status::Invalid("codes: at most " + std::to_string(kMaxRevokedOfflineCodes));
  }
  for (const std::string& code : codes) {
    if (!UnpackOfflineCode(code)) return Status::Invalid("codes: each is the 12 plaintext digits of a code");
  }
  if (version <= m.offline_codes_.revocations_version) return InfoOf(m.offline_codes_);
  OfflineCodeState next = m.offline_codes_;
  next.revocations_version = version;
  next.generation = std::max(next.generation, generation);
  next.revoked.assign(codes.begin(), codes.end());
  std::sort(next.revoked.begin(), next.revoked.end());
  next.revoked.erase(std::unique(next.revoked.begin(), next.revoked.end()), next.revoked.end());
  m.Stage(WriteBatch::PutOfflineCodes{next});
  m.Record(ChangeEvent(DataType::kOfflineRevocations, ChangeOperation::kModify, actor));
  LATCHKEY_TRY(m.Commit());
  m.offline_codes_ = std::move(next);
  return InfoOf(m.offline_codes_);
}

OfflineCodeInfo Lock::offline_codes() const { return InfoOf(impl_->offline_codes_); }

}  // namespace latchkey::core
