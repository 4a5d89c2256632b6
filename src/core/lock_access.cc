// The access decision (LOCK-SEMANTICS.md 7): lockout, mode, match, user, rule, power, grant,
// in that order, for every interface.
#include <algorithm>

#include "core/credential_data.h"
#include "core/lock_impl.h"

namespace latchkey::core {
namespace {

std::optional<CredentialType> TypeAt(Source source) {
  switch (source) {
    case Source::kKeypad: return CredentialType::kPin;
    case Source::kRfid: return CredentialType::kRfid;
    case Source::kFingerprint: return CredentialType::kFingerprint;
    case Source::kFace: return CredentialType::kFace;
    case Source::kPhone: return CredentialType::kPhoneKey;
    default: return std::nullopt;
  }
}

// What the simulated world's request calls the data a reader took (API.md "Simulated hardware").
std::string_view DataField(Source source) {
  switch (source) {
    case Source::kKeypad: return "keys";
    case Source::kRfid: return "uid";
    case Source::kFingerprint:
    case Source::kFace: return "template";
    default: return "data";
  }
}

// An offline code is nobody's on the lock: its event names the code's window and no user (the
// hub knows whom it gave the code to).
bool NamesUser(const StoredCredential& credential) { return credential.ref.type != CredentialType::kOfflineCode; }

uint32_t FactorsNeeded(CredentialRule rule) {
  switch (rule) {
    case CredentialRule::kSingle: return 1;
    case CredentialRule::kDual: return 2;
    case CredentialRule::kTri: return 3;
  }
  return 1;
}

}  // namespace

Decision Lock::Impl::Refused(AccessError error, Operation op) const {
  Decision d;
  d.result = DecisionResult::kDenied;
  d.reason = error;
  d.operation = op;
  d.lock_state = rt_.lock_state;
  return d;
}

Decision Lock::Impl::Deny(const AccessRequest& request, AccessError error, const StoredCredential* credential) {
  Event e = OperationErrorEvent(request.operation, request.source, error);
  Decision d = Refused(error, request.operation);
  if (credential != nullptr) {
    if (NamesUser(*credential)) {
      e.user = IndexOrAll{credential->user, false};
      d.user = credential->user;
    }
    e.credential = credential->ref;
    d.credential = credential->ref;
  }
  if (request.remote && !request.actor.name.empty()) e.actor = std::string(request.actor.name);
  if (request.auto_unlock) e.auto_unlock = true;
  Record(std::move(e));
  Signal(Signal::kDenied);
  return d;
}

void Lock::Impl::WrongAttempt(const AccessRequest& request) {
  runtime_dirty_ = true;
  if (!GuardOf(request).CountWrong(Now(), settings_)) return;
  Event alarm = AlarmEvent(AlarmKind::kWrongCodeLimit);
  if (request.remote) alarm.source = Source::kRemote;  // guessing through the hub, not at the door
  Record(std::move(alarm));
  Signal(Signal::kLockout);
}

std::optional<AccessError> Lock::Impl::ScheduleRefusal(const User& user) const {
  if (!user.schedule_bound()) return std::nullopt;
  if (!rt_.clock_trusted) return AccessError::kRestricted;
  const auto now = LocalNow();
  if (!now) return AccessError::kRestricted;
  const auto in_week = std::any_of(user.week_day_schedules.begin(), user.week_day_schedules.end(),
                                   [&](const WeekDaySchedule& s) { return s.Contains(*now); });
  const auto in_year = std::any_of(user.year_day_schedules.begin(), user.year_day_schedules.end(),
                                   [&](const YearDaySchedule& s) { return s.Contains(*now); });
  bool allowed = false;
  switch (user.type) {
    case UserType::kWeekDaySchedule: allowed = in_week; break;
    case UserType::kYearDaySchedule: allowed = in_year; break;
    case UserType::kScheduleRestricted: {
      const bool has_week = !user.week_day_schedules.empty(), has_year = !user.year_day_schedules.empty();
      allowed = (has_week || has_year) && (!has_week || in_week) && (!has_year || in_year);
      break;
    }
    default: allowed = true;
  }
  return allowed ? std::nullopt : std::optional<AccessError>(AccessError::kRestricted);
}

const StoredCredential* Lock::Impl::Match(const AccessRequest& request) {
  const auto type = request.remote ? std::optional<CredentialType>(CredentialType::kPin) : TypeAt(request.source);
  if (!type || !Capabilities::SupportsType(*type) ||
      !ValidateCredentialData(*type, request.data, config_.capabilities).ok()) {
    return nullptr;
  }
  const Digest digest = env_.crypto->KeyedDigest(DigestInput(*type, request.data));
  if (*type != CredentialType::kPin) return credentials_.FindByDigest(digest);
  // The programming PIN has a digest domain of its own, so a PIN guessed remotely can never be
  // it. At the keypad, where it is typed, both domains are looked up, always both (the time
  // taken says nothing), and the programming PIN comes first.
  const bool at_keypad = !request.remote;
  std::optional<Digest> programming;
  if (at_keypad) programming = env_.crypto->KeyedDigest(DigestInput(CredentialType::kProgrammingPin, request.data));
  if (programming) {
    if (const StoredCredential* found = credentials_.FindByDigest(*programming)) return found;
  }
  const StoredCredential* found = credentials_.FindByDigest(digest);
  if (found == nullptr || found->ref.type == CredentialType::kPin) return found;
  // A programming PIN stored before it had its own domain (its digest is in the PIN domain; the
  // lock never kept the digits to convert it). It is never accepted remotely; typed at the
  // keypad it proves the digits, so its digest moves to its own domain now, with this change.
  if (!at_keypad) return nullptr;
  StoredCredential moved = *found;
  moved.digest = *programming;
  credentials_.Put(moved);
  Stage(WriteBatch::PutCredential{moved});
  return credentials_.Find(moved.ref);
}

Decision Lock::Impl::Decide(const AccessRequest& request) {
  const Operation op = request.operation;
  // 1. lockout: refused, not counted, not extended, not recorded. Only the request's own class
  // (door or remote) is looked at, and its hourly budget refuses like a lockout.
  if (AttemptsRefused(request)) {
    Signal(Signal::kLockout);
    return Refused(AccessError::kLockout, op);
  }
  // 2. mode, where it does not depend on whose credential this is.
  const OperatingMode mode = effective_mode_;
  const bool local = !request.remote;
  bool programming_only = false;
  switch (mode) {
    case OperatingMode::kPrivacy: return Deny(request, AccessError::kMode, nullptr);
    case OperatingMode::kVacation:
      if (local && request.source != Source::kKeypad) return Deny(request, AccessError::kMode, nullptr);
      programming_only = local;
      break;
    case OperatingMode::kNoRemote:
      if (request.remote) return Deny(request, AccessError::kMode, nullptr);
      break;
    case OperatingMode::kPassage:
      if (op == Operation::kLock) return Deny(request, AccessError::kMode, nullptr);
      break;
    case OperatingMode::kLockdown:
      if (request.remote && !request.actor.privileged) return Deny(request, AccessError::kMode, nullptr);
      programming_only = local;
      break;
    case OperatingMode::kNormal: break;
  }
  // 3. match
  const StoredCredential* credential = request.phone != nullptr ? request.phone : Match(request);
  User* user = credential == nullptr          ? nullptr
               : request.phone_guest != nullptr ? request.phone_guest
                                                : FindUser(credential->user);
  if (credential == nullptr && OfflineCandidate(request)) {
    // No PIN, 12 digits: perhaps an offline guest code, decided from here on (lock_offline.cc).
    return DecideOffline(request, programming_only);
  }
  if (credential == nullptr || user == nullptr) {
    Decision d = Deny(request, AccessError::kInvalidCredential, nullptr);
    WrongAttempt(request);
    return d;
  }
  // 2, continued: modes that let only the programming user in at the keypad.
  if (programming_only && user->type != UserType::kProgramming) {
    return Deny(request, AccessError::kMode, credential);
  }
  // 4. user
  if (user->expires_at_ms && Wall() >= *user->expires_at_ms && user->status == UserStatus::kEnabled) {
    SetUserStatus(*user, UserStatus::kDisabled, Source::kAuto);
  }
  if (user->status == UserStatus::kDisabled) return Deny(request, AccessError::kDisabledUser, credential);
  if (user->type == UserType::kRemoteOnly && local) return Deny(request, AccessError::kRestricted, credential);
  if (auto refusal = ScheduleRefusal(*user)) return Deny(request, *refusal, credential);
  // 5. rule
  const uint32_t needed = FactorsNeeded(user->credential_rule);
  if (needed > 1) {
    const int64_t now = Now();
    if (pending_ && (pending_->user != user->index || now > pending_->deadline)) {
      AccessRequest abandoned{pending_->source, {}, false, pending_->operation, std::nullopt, {}};
      const StoredCredential* first = credentials_.Find(pending_->presented.front());
      pending_.reset();
      Deny(abandoned, AccessError::kIncomplete, first);
    }
    if (!pending_) {
      pending_ = Pending{user->index, {}, now + int64_t{settings_.multi_factor_window_s} * 1000, request.source, op};
    }
    if (std::find(pending_->presented.begin(), pending_->presented.end(), credential->ref) ==
        pending_->presented.end()) {
      pending_->presented.push_back(credential->ref);
    }
    if (pending_->presented.size() < needed) {
      Signal(Signal::kPending);
      Decision d;
      d.result = DecisionResult::kPending;
      d.user = user->index;
      d.credential = credential->ref;
      d.operation = op;
      d.lock_state = rt_.lock_state;
      return d;
    }
    pending_.reset();
  }
  // 6. power
  if (BatteryTooLow()) {
    return Deny(request, AccessError::kInsufficientBattery, credential);
  }
  // 7. grant
  return Grant(request, credential, user);
}

Decision Lock::Impl::Grant(const AccessRequest& request, const StoredCredential* credential, User* user) {
  Operation op = request.operation;
  if (credential != nullptr) {
    GuardOf(request).Granted();  // its own class only; the budgets stay as they are
    runtime_dirty_ = true;
  }
  if (user != nullptr && user->type == UserType::kNonAccess) op = Operation::kNonAccess;
  if (user != nullptr && user->type == UserType::kForced && op != Operation::kLock) op = Operation::kForcedUser;

  Event e = OperationEvent(op, request.source);
  if (credential != nullptr) {
    if (NamesUser(*credential)) e.user = IndexOrAll{credential->user, false};
    e.credential = credential->ref;
  }
  if (request.remote && !request.actor.name.empty()) e.actor = std::string(request.actor.name);
  if (request.auto_unlock) e.auto_unlock = true;
  Record(std::move(e));
  if (op != Operation::kLock && op != Operation::kNonAccess && !request.auto_unlock) QuietAutoUnlock();

  switch (op) {
    case Operation::kNonAccess: break;
    case Operation::kLock:
      relock_due_.reset();
      rt_.relock_waiting_for_door = false;
      if (rt_.lock_state != LockState::kLocked) StartMove(BoltTarget::kLocked);
      break;
    case Operation::kUnlatch: StartMove(BoltTarget::kUnlatched); break;
    case Operation::kUnlock:
    case Operation::kForcedUser:
      if (rt_.lock_state == LockState::kUnlocked) {
        ArmRelock(request.timeout_s);
      } else {
        relock_timeout_once_ = request.timeout_s;  // used when the bolt arrives
        StartMove(BoltTarget::kUnlocked);
      }
      break;
  }
  if (op == Operation::kForcedUser) {
    // Silent: the person forcing the user sees an ordinary grant, and no alarm sounds.
    Record(AlarmEvent(AlarmKind::kForcedUser));
  }
  if (user != nullptr) {
    if (user->type == UserType::kDisposable) SetUserStatus(*user, UserStatus::kDisabled, Source::kAuto);
    if (user->type == UserType::kExpiring && !user->expires_at_ms) {
      user->expires_at_ms = Wall() + int64_t{settings_.expiring_user_timeout_min} * 60 * 1000;
      expiring_deadlines_.emplace(*user->expires_at_ms, user->index);
      StageUser(*user);
    }
  }
  Signal(Signal::kGranted);
  Decision d;
  d.result = DecisionResult::kGranted;
  d.operation = op;
  d.lock_state = rt_.lock_state;
  if (credential != nullptr) {
    if (NamesUser(*credential)) d.user = credential->user;
    d.credential = credential->ref;
  }
  return d;
}

// --- Lock: the access calls ------------------------------------------------------------------

Result<Decision> Lock::Present(Source source, std::string_view data) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  if (!TypeAt(source)) return Status::Invalid(std::string(ToString(source)) + " is not a credential reader");
  if (data.size() > 256) return Status::Invalid(std::string(DataField(source)) + ": is too long");
  m.ProcessTimers();
  Impl::AccessRequest request;
  request.source = source;
  request.data = data;
  if (m.lock_intent_until_) {
    request.operation = Operation::kLock;
  }
  Decision d = m.Decide(request);
  if (d.result == DecisionResult::kGranted) m.lock_intent_until_.reset();
  LATCHKEY_TRY(m.Commit());
  d.lock_state = m.rt_.lock_state;  // an instant motor has arrived by now
  return d;
}

Result<std::optional<Decision>> Lock::PressKeys(std::string_view keys) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  if (keys.size() > 64) return Status::Invalid("keys: at most 64 at a time");
  for (char c : keys) {
    if (!(c >= '0' && c <= '9') && c != '*' && c != '#') {
      return Status::Invalid("keys: digits, '*' and '#' only");
    }
  }
  m.ProcessTimers();
  std::optional<Decision> last;
  for (char c : keys) {
    m.keypad_last_ms_ = m.Now();
    if (c == '*') {
      m.keypad_buffer_.clear();
    } else if (c == '#') {
      if (m.keypad_buffer_.empty()) continue;
      const std::string entered = std::move(m.keypad_buffer_);
      m.keypad_buffer_.clear();
      auto d = Present(Source::kKeypad, entered);
      LATCHKEY_TRY(d);
      last = *d;
    } else if (m.keypad_buffer_.size() <= std::max<std::size_t>(m.config_.capabilities.max_pin_length,
                                                                 kOfflineCodeDigits)) {
      // One digit past the longest PIN or offline code is enough to fail it.
      m.keypad_buffer_.push_back(c);
    }
  }
  return last;
}

Result<Decision> Lock::Remote(const RemoteCommand& command) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  const Operation op = command.operation;
  if (op != Operation::kLock && op != Operation::kUnlock && op != Operation::kUnlatch) {
    return Status::Invalid("a remote command is lock, unlock or unlatch");
  }
  if (command.timeout_s && (op != Operation::kUnlock || *command.timeout_s < 1 || *command.timeout_s > 86400)) {
    return Status::Invalid("timeout_s: goes with unlock only, 1..86400");
  }
  if (command.pin && command.pin->size() > 64) return Status::Invalid("pin: is too long");
  m.ProcessTimers();
  Impl::AccessRequest request;
  request.source = Source::kRemote;
  request.remote = true;
  request.operation = op;
  request.timeout_s = command.timeout_s;
  request.actor = command.actor;
  Decision d;
  if (command.pin) {
    request.data = *command.pin;
    d = m.Decide(request);
  } else if (m.settings_.require_pin_for_remote) {
    if (m.AttemptsRefused(request)) {
      d = m.Refused(AccessError::kLockout, op);
    } else {
      d = m.Deny(request, AccessError::kInvalidCredential, nullptr);
      m.WrongAttempt(request);
    }
  } else {
    // Authenticated by the hub account: no lockout of either class, but the mode and the
    // battery apply.
    const OperatingMode mode = m.effective_mode_;
    const bool mode_refuses = mode == OperatingMode::kPrivacy || mode == OperatingMode::kNoRemote ||
                              (mode == OperatingMode::kLockdown && !command.actor.privileged) ||
                              (mode == OperatingMode::kPassage && op == Operation::kLock);
    if (mode_refuses) {
      d = m.Deny(request, AccessError::kMode, nullptr);
    } else if (m.BatteryTooLow()) {
      d = m.Deny(request, AccessError::kInsufficientBattery, nullptr);
    } else {
      d = m.Grant(request, nullptr, nullptr);
    }
  }
  LATCHKEY_TRY(m.Commit());
  d.lock_state = m.rt_.lock_state;  // an instant motor has arrived by now
  return d;
}

Result<Decision> Lock::PressButton() {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  m.ProcessTimers();
  Impl::AccessRequest request;
  request.source = Source::kButton;
  request.operation = Operation::kLock;
  Decision d;
  const OperatingMode mode = m.effective_mode_;
  if (mode == OperatingMode::kPassage) {
    d = m.Deny(request, AccessError::kMode, nullptr);
  } else if (!m.settings_.one_touch_locking) {
    // Locking from outside needs a credential: the next one within the window locks.
    m.lock_intent_until_ = m.Now() + int64_t{m.settings_.multi_factor_window_s} * 1000;
    m.Signal(Signal::kPending);
    d.result = DecisionResult::kPending;
    d.operation = Operation::kLock;
    d.lock_state = m.rt_.lock_state;
  } else if (m.BatteryTooLow()) {
    d = m.Deny(request, AccessError::kInsufficientBattery, nullptr);
  } else if (m.rt_.lock_state == LockState::kLocked) {
    d.result = DecisionResult::kGranted;  // already locked: nothing to do, nothing to record
    d.operation = Operation::kLock;
    d.lock_state = m.rt_.lock_state;
  } else {
    d = m.Grant(request, nullptr, nullptr);
  }
  LATCHKEY_TRY(m.Commit());
  d.lock_state = m.rt_.lock_state;  // an instant motor has arrived by now
  return d;
}

}  // namespace latchkey::core
