// Phone keys at the lock (PHONE-KEYS.md): the home key, revocations and the access decision for
// a phone's certificate, with the auto-unlock rules of section 4.
#include <algorithm>

#include "core/lock_impl.h"

namespace latchkey::core {
namespace {

// The access error a refused certificate is recorded with (the phone is told the verdict).
AccessError ErrorOf(PhoneKeyVerdict verdict) {
  switch (verdict) {
    case PhoneKeyVerdict::kClockUntrusted:
    case PhoneKeyVerdict::kNotYetValid:
    case PhoneKeyVerdict::kExpired:
    case PhoneKeyVerdict::kOpNotAllowed: return AccessError::kRestricted;
    case PhoneKeyVerdict::kBelowEpoch:
    case PhoneKeyVerdict::kRevoked: return AccessError::kDisabledUser;
    default: return AccessError::kInvalidCredential;
  }
}

}  // namespace

std::string_view PhoneDecision::reason() const {
  if (decision.result == DecisionResult::kGranted) return {};
  if (verdict != PhoneKeyVerdict::kAccept) return ToString(verdict);
  if (auto_refusal) return ToString(*auto_refusal);
  return decision.reason ? ToString(*decision.reason) : std::string_view("denied");
}

Status Lock::SetHomeKey(const std::optional<Ed25519PublicKey>& key, const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  if (m.phone_keys_.home_key == key) return Status::Ok();
  PhoneKeyState next;
  next.home_key = key;  // another hub's revocations and epoch mean nothing under this key
  m.Stage(WriteBatch::PutPhoneKeys{next});
  m.Record(ChangeEvent(DataType::kHomeKey, key ? ChangeOperation::kModify : ChangeOperation::kClear, actor));
  LATCHKEY_TRY(m.Commit());
  m.phone_keys_ = std::move(next);
  return Status::Ok();
}

Result<PhoneKeyInfo> Lock::ApplyPhoneRevocations(const PhoneRevocations& list, const Actor& actor) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  if (!m.phone_keys_.home_key) return Status::Invalid("revocations: the lock has no home key yet");
  if (!VerifyPhoneRevocations(*m.env_.crypto, *m.phone_keys_.home_key, list)) {
    return Status::Invalid("revocations: not signed by this lock's home key");
  }
  if (list.version <= m.phone_keys_.revocations_version) return phone_keys();
  PhoneKeyState next = m.phone_keys_;
  next.revocations_version = list.version;
  // The epoch only rises: a list signed before a revoke-all cannot bring old keys back.
  next.min_epoch = std::max(next.min_epoch, list.epoch);
  next.revoked = list.revoked;
  m.Stage(WriteBatch::PutPhoneKeys{next});
  m.Record(ChangeEvent(DataType::kPhoneRevocations, ChangeOperation::kModify, actor));
  LATCHKEY_TRY(m.Commit());
  m.phone_keys_ = std::move(next);
  return phone_keys();
}

PhoneKeyInfo Lock::phone_keys() const {
  const PhoneKeyState& s = impl_->phone_keys_;
  return {s.home_key.has_value(), s.revocations_version, s.min_epoch, s.revoked.size()};
}

Result<PhoneDecision> Lock::PhoneAccess(const PhoneRequest& request) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  if (request.certificate == nullptr) return Status::Invalid("a phone request needs a certificate");
  const PhoneKeyCert& cert = *request.certificate;
  const auto op = request.operation;
  if (op && *op != Operation::kLock && *op != Operation::kUnlock && *op != Operation::kUnlatch) {
    return Status::Invalid("a phone asks to lock, unlock or unlatch");
  }
  if (request.arrival != nullptr && op != Operation::kUnlock) {
    return Status::Invalid("arrival: goes with unlock only");
  }
  m.ProcessTimers();
  Impl::AccessRequest access;
  access.source = Source::kPhone;
  access.operation = op.value_or(Operation::kUnlock);
  access.auto_unlock = request.arrival != nullptr;
  PhoneDecision out;
  // 1. lockout of the door class, before anything is checked.
  if (m.AttemptsRefused(access)) {
    m.Signal(Signal::kLockout);
    out.decision = m.Refused(AccessError::kLockout, access.operation);
    LATCHKEY_TRY(m.Commit());
    return out;
  }
  const int64_t now_s = m.Wall() / 1000;
  PhoneKeyContext context;
  context.lock_id = m.config_.lock_id;
  context.home_key = m.phone_keys_.home_key;
  context.now_s = now_s;
  context.clock_trusted = m.rt_.clock_trusted;
  context.min_epoch = m.phone_keys_.min_epoch;
  context.revoked = m.phone_keys_.revoked;
  context.session_key = request.session_key;
  context.op = op;
  const PhoneKeyCheck check = CheckPhoneKey(*m.env_.crypto, cert, context);
  StoredCredential credential;
  credential.ref = CredentialRef{CredentialType::kPhoneKey, 0, cert.serial};
  credential.user = cert.user;
  if (!check.ok()) {
    out.verdict = check.verdict;
    // A certificate nobody signed names nothing: it is recorded without user or serial.
    const bool trusted = !check.counts_as_wrong_attempt && check.verdict != PhoneKeyVerdict::kNoHomeKey;
    out.decision = m.Deny(access, ErrorOf(check.verdict), trusted ? &credential : nullptr);
    if (check.counts_as_wrong_attempt) m.WrongAttempt(access);
    LATCHKEY_TRY(m.Commit());
    return out;
  }
  if (!op) {  // the status: a valid certificate may read it; nothing is recorded
    out.decision.result = DecisionResult::kGranted;
    out.decision.operation = Operation::kUnlock;
    out.decision.lock_state = m.rt_.lock_state;
    return out;
  }
  // PHONE-KEYS.md 4: an unlock on approach needs the certificate's "auto", a fresh token of this
  // phone for this lock used for the first time, and no other opening of the door in the last
  // 10 minutes. None of these refusals count: the phone proved who it is.
  if (request.arrival != nullptr) {
    std::optional<AutoUnlockRefusal> refusal;
    if (!cert.auto_unlock) {
      refusal = AutoUnlockRefusal::kNotAllowed;
    } else {
      switch (CheckArrivalToken(*request.arrival, m.config_.lock_id, cert, request.session_key, now_s,
                                m.phone_keys_.used_arrivals)) {
        case ArrivalVerdict::kAccept: break;
        case ArrivalVerdict::kStale: refusal = AutoUnlockRefusal::kStaleToken; break;
        case ArrivalVerdict::kUsed: refusal = AutoUnlockRefusal::kUsedToken; break;
        default: refusal = AutoUnlockRefusal::kWrongToken; break;
      }
    }
    if (!refusal && m.auto_quiet_until_ && m.Now() < *m.auto_quiet_until_) refusal = AutoUnlockRefusal::kQuiet;
    if (refusal) {
      out.auto_refusal = refusal;
      out.decision = m.Deny(access, AccessError::kRestricted, &credential);
      LATCHKEY_TRY(m.Commit());
      return out;
    }
    // The token is spent whatever the decision below: it was presented once.
    PhoneKeyState next = m.phone_keys_;
    std::erase_if(next.used_arrivals, [&](const UsedArrival& u) {
      return now_s - u.issued_at >= kArrivalTokenLifetimeS + kArrivalClockSkewS;
    });
    if (next.used_arrivals.size() >= kMaxUsedArrivals) next.used_arrivals.erase(next.used_arrivals.begin());
    next.used_arrivals.push_back({request.arrival->nonce, request.arrival->issued_at});
    m.Stage(WriteBatch::PutPhoneKeys{next});
    m.phone_keys_ = std::move(next);  // staged in this batch; a failed commit faults the lock
  }
  if (cert.user != 0 && m.FindUser(cert.user) == nullptr) {
    // Signed for a user since removed: refused, not counted (the hub signed it once).
    out.decision = m.Deny(access, AccessError::kInvalidCredential, &credential);
    LATCHKEY_TRY(m.Commit());
    return out;
  }
  // A certificate-only guest: enabled, single credential, limited only by the certificate.
  User guest;
  guest.index = 0;
  guest.type = UserType::kUnrestricted;
  guest.status = UserStatus::kEnabled;
  guest.credential_rule = CredentialRule::kSingle;
  access.phone = &credential;
  access.phone_guest = cert.user == 0 ? &guest : nullptr;
  out.decision = m.Decide(access);
  LATCHKEY_TRY(m.Commit());
  out.decision.lock_state = m.rt_.lock_state;
  return out;
}

}  // namespace latchkey::core
