// The bolt, the door, power and time (LOCK-SEMANTICS.md 6 and 8): motor sequencing, relock,
// door states, battery, tamper, and every timer.
#include <algorithm>

#include "core/battery.h"
#include "core/lock_impl.h"

namespace latchkey::core {
namespace {

bool DoorIsOpen(DoorState state) {
  return state == DoorState::kOpen || state == DoorState::kAjar || state == DoorState::kForcedOpen;
}

void Earliest(std::optional<int64_t>& acc, const std::optional<int64_t>& t) {
  if (t && (!acc || *t < *acc)) acc = t;
}

}  // namespace

std::optional<LocalTime> Lock::Impl::LocalNow() const {
  return env_.zones->ToLocal(settings_.timezone, Wall());
}

OperatingMode Lock::Impl::EffectiveMode() const {
  if (settings_.operating_mode == OperatingMode::kLockdown) return OperatingMode::kLockdown;
  if (!holidays_.empty() && rt_.clock_trusted) {
    if (const auto now = LocalNow()) {
      for (const auto& [index, holiday] : holidays_) {
        if (holiday.Contains(*now)) return holiday.mode;
      }
    }
  }
  return settings_.operating_mode;
}

void Lock::Impl::Signal(core::Signal signal) { pending_signals_.push_back(signal); }

void Lock::Impl::StartMove(BoltTarget target) {
  motor_target_ = target;
  unlatch_return_due_.reset();
  pending_drive_ = target;  // driven by Commit() once the decision is stored
  rt_.lock_state = target == BoltTarget::kLocked ? LockState::kLocking : LockState::kUnlocking;
  motor_due_ = Now() + config_.motor_ms;
  runtime_dirty_ = true;
}

void Lock::Impl::FinishMove() {
  motor_due_.reset();
  runtime_dirty_ = true;
  const BoltSense sense = env_.bolt->Sense();
  const bool arrived = (motor_target_ == BoltTarget::kLocked && sense == BoltSense::kLocked) ||
                       (motor_target_ == BoltTarget::kUnlocked && sense == BoltSense::kUnlocked) ||
                       (motor_target_ == BoltTarget::kUnlatched && sense == BoltSense::kUnlatched);
  if (!arrived) {
    rt_.lock_state = LockState::kJammed;
    relock_timeout_once_.reset();
    Record(AlarmEvent(AlarmKind::kLockJammed));
    Signal(Signal::kAlarm);
    return;
  }
  switch (motor_target_) {
    case BoltTarget::kLocked:
      rt_.lock_state = LockState::kLocked;
      relock_due_.reset();
      rt_.relock_waiting_for_door = false;
      Signal(Signal::kLocked);
      break;
    case BoltTarget::kUnlocked:
      rt_.lock_state = LockState::kUnlocked;
      ArmRelock(relock_timeout_once_);
      relock_timeout_once_.reset();
      Signal(Signal::kUnlocked);
      break;
    case BoltTarget::kUnlatched:
      rt_.lock_state = LockState::kUnlatched;
      unlatch_return_due_ = Now() + config_.unlatch_hold_ms;
      ArmRelock(std::nullopt);
      Signal(Signal::kUnlocked);
      break;
  }
}

void Lock::Impl::ArmRelock(std::optional<uint32_t> timeout_s) {
  relock_due_.reset();
  rt_.relock_waiting_for_door = false;
  runtime_dirty_ = true;
  if (effective_mode_ == OperatingMode::kPassage) return;
  const uint32_t seconds = timeout_s.value_or(settings_.auto_relock_s);
  if (seconds == 0) return;
  relock_due_ = Now() + int64_t{seconds} * 1000;
}

void Lock::Impl::OnModeChange(OperatingMode before, OperatingMode after, Source source) {
  if (before == after) return;
  effective_mode_ = after;
  runtime_dirty_ = true;
  const auto move = [&](Operation op) {
    Event e = OperationEvent(op, source);
    Record(std::move(e));
    StartMove(op == Operation::kLock ? BoltTarget::kLocked : BoltTarget::kUnlocked);
  };
  if (after == OperatingMode::kLockdown) {
    relock_due_.reset();
    if (rt_.lock_state != LockState::kLocked) move(Operation::kLock);
  } else if (after == OperatingMode::kPassage) {
    relock_due_.reset();
    if (rt_.lock_state != LockState::kUnlocked) move(Operation::kUnlock);
  } else if (before == OperatingMode::kPassage) {
    // A scheduled passage ends by locking; a passage ended by hand starts the usual relock.
    if (source == Source::kSchedule && rt_.lock_state != LockState::kLocked) move(Operation::kLock);
    else if (rt_.lock_state == LockState::kUnlocked) ArmRelock(std::nullopt);
  }
}

void Lock::Impl::ProcessTimers() {
  const int64_t now = Now();
  if (motor_due_ && !pending_drive_ && now >= *motor_due_) FinishMove();
  if (unlatch_return_due_ && now >= *unlatch_return_due_) {
    unlatch_return_due_.reset();
    if (rt_.lock_state == LockState::kUnlatched) {
      rt_.lock_state = LockState::kUnlocked;  // the latch springs back by itself
      runtime_dirty_ = true;
    }
  }
  if (door_guard_.Expire(now)) runtime_dirty_ = true;
  if (remote_guard_.Expire(now)) runtime_dirty_ = true;
  if (relock_due_ && now >= *relock_due_) {
    relock_due_.reset();
    runtime_dirty_ = true;
    if (rt_.lock_state == LockState::kLocked || rt_.lock_state == LockState::kLocking) {
      // Already locked: nothing to do.
    } else if (DoorIsOpen(rt_.door_state)) {
      rt_.relock_waiting_for_door = true;  // never throw the bolt into an open door
    } else {
      Record(OperationEvent(Operation::kLock, Source::kAuto));
      StartMove(BoltTarget::kLocked);
    }
  }
  if (door_ajar_due_ && now >= *door_ajar_due_) {
    door_ajar_due_.reset();
    if (DoorIsOpen(rt_.door_state) && !rt_.door_ajar_raised) {
      rt_.door_ajar_raised = true;
      if (rt_.door_state == DoorState::kOpen) {
        rt_.door_state = DoorState::kAjar;
        Record(DoorEvent(DoorState::kAjar));
      }
      Record(AlarmEvent(AlarmKind::kDoorAjar));
      Signal(Signal::kAlarm);
    }
  }
  if (pending_ && now > pending_->deadline) {
    AccessRequest abandoned{pending_->source, {}, false, pending_->operation, std::nullopt, {}};
    const StoredCredential* first = credentials_.Find(pending_->presented.front());
    pending_.reset();
    Deny(abandoned, AccessError::kIncomplete, first);
  }
  if (lock_intent_until_ && now > *lock_intent_until_) lock_intent_until_.reset();
  if (!keypad_buffer_.empty() && now - keypad_last_ms_ > config_.keypad_timeout_ms) keypad_buffer_.clear();
  // Wall-clock edges: expiring users, holidays.
  const int64_t wall = Wall();
  while (!expiring_deadlines_.empty() && expiring_deadlines_.begin()->first <= wall) {
    const UserIndex index = expiring_deadlines_.begin()->second;
    expiring_deadlines_.erase(expiring_deadlines_.begin());
    User* user = FindUser(index);
    if (user != nullptr && user->status == UserStatus::kEnabled) SetUserStatus(*user, UserStatus::kDisabled, Source::kAuto);
  }
  OnModeChange(effective_mode_, EffectiveMode(), Source::kSchedule);
}

std::optional<int64_t> Lock::Impl::NextDeadline() const {
  std::optional<int64_t> next;
  Earliest(next, motor_due_);
  Earliest(next, unlatch_return_due_);
  Earliest(next, door_guard_.lockout_until());
  Earliest(next, remote_guard_.lockout_until());
  Earliest(next, relock_due_);
  Earliest(next, door_ajar_due_);
  if (pending_) Earliest(next, pending_->deadline + 1);
  if (lock_intent_until_) Earliest(next, *lock_intent_until_ + 1);
  if (!keypad_buffer_.empty()) Earliest(next, keypad_last_ms_ + config_.keypad_timeout_ms + 1);
  return next;
}

// --- Lock: the physical world ----------------------------------------------------------------

Status Lock::ManualOperation(Source source, Operation operation) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  if (source != Source::kManual && source != Source::kKey) {
    return Status::Invalid("a manual operation comes from the thumbturn (manual) or the key");
  }
  if (operation != Operation::kLock && operation != Operation::kUnlock) {
    return Status::Invalid("action: the thumbturn and the key lock or unlock");
  }
  m.ProcessTimers();
  m.motor_due_.reset();  // a hand on the bolt ends any motor move
  m.unlatch_return_due_.reset();
  m.Record(OperationEvent(operation, source));
  if (operation == Operation::kLock) {
    m.rt_.lock_state = LockState::kLocked;
    m.relock_due_.reset();
    m.rt_.relock_waiting_for_door = false;
  } else {
    m.rt_.lock_state = LockState::kUnlocked;
    m.QuietAutoUnlock();
    if (m.settings_.operating_mode == OperatingMode::kPrivacy) {
      m.settings_.operating_mode = OperatingMode::kNormal;  // a manual unlock ends privacy
      m.Stage(WriteBatch::PutSettings{m.settings_});
      m.Record(ChangeEvent(DataType::kSettings, ChangeOperation::kModify, Actor{source, {}, false}));
      m.OnModeChange(m.effective_mode_, m.EffectiveMode(), source);
    }
    m.ArmRelock(std::nullopt);
  }
  m.runtime_dirty_ = true;
  return m.Commit();
}

Status Lock::SetDoor(bool open) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  m.ProcessTimers();
  const int64_t now = m.Now();
  if (open) {
    if (DoorIsOpen(m.rt_.door_state)) return m.Commit();
    const bool forced = m.rt_.lock_state == LockState::kLocked;
    m.rt_.door_state = forced ? DoorState::kForcedOpen : DoorState::kOpen;
    m.Record(DoorEvent(m.rt_.door_state));
    if (forced) {
      m.Record(AlarmEvent(AlarmKind::kDoorForcedOpen));
      m.Signal(Signal::kAlarm);
    }
    m.door_open_since_ = now;
    m.rt_.door_ajar_raised = false;
    if (m.settings_.door_ajar_s > 0) m.door_ajar_due_ = now + int64_t{m.settings_.door_ajar_s} * 1000;
  } else {
    if (m.rt_.door_state == DoorState::kClosed) return m.Commit();
    m.rt_.door_state = DoorState::kClosed;
    m.Record(DoorEvent(DoorState::kClosed));
    m.door_open_since_.reset();
    m.door_ajar_due_.reset();
    m.rt_.door_ajar_raised = false;
    if (m.rt_.relock_waiting_for_door) {
      m.rt_.relock_waiting_for_door = false;
      if (m.rt_.lock_state != LockState::kLocked) {
        m.Record(OperationEvent(Operation::kLock, Source::kAuto));
        m.StartMove(BoltTarget::kLocked);
      }
    }
  }
  m.runtime_dirty_ = true;
  return m.Commit();
}

Status Lock::SetBattery(uint32_t millivolts) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  if (millivolts > kMaxBatteryMillivolts) {
    return Status::Invalid("millivolts: " + std::to_string(millivolts) + " is above " +
                           std::to_string(kMaxBatteryMillivolts));
  }
  m.ProcessTimers();
  m.rt_.battery_mv = millivolts;
  const uint32_t percent = BatteryPercent(millivolts);
  if (percent <= kLowBatteryPercent && !m.rt_.low_battery_raised) {
    m.rt_.low_battery_raised = true;
    m.Record(AlarmEvent(AlarmKind::kLowBattery));
  } else if (percent > kLowBatteryPercent) {
    m.rt_.low_battery_raised = false;
  }
  if (percent <= kCriticalBatteryPercent && !m.rt_.critical_battery_raised) {
    m.rt_.critical_battery_raised = true;
    m.Record(AlarmEvent(AlarmKind::kCriticalBattery));
  } else if (percent > kCriticalBatteryPercent) {
    m.rt_.critical_battery_raised = false;
  }
  m.runtime_dirty_ = true;
  return m.Commit();
}

Status Lock::SetExternalPower(bool connected) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  m.ProcessTimers();
  if (m.rt_.external_power != connected) {
    m.rt_.external_power = connected;
    m.Record(PowerEvent(connected));
  }
  return m.Commit();
}

Status Lock::Tamper() {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  m.ProcessTimers();
  m.Record(AlarmEvent(AlarmKind::kTamper));
  m.Signal(Signal::kAlarm);  // the buzzer sounds unless sound_volume is silent
  return m.Commit();
}

Status Lock::Tick() {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  m.ProcessTimers();
  return m.Commit();
}

std::optional<int64_t> Lock::NextDeadlineMs() const { return impl_->NextDeadline(); }

}  // namespace latchkey::core
