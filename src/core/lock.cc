// Opening a lock, the log, and the one path by which every change reaches the store.
#include <algorithm>

#include "core/battery.h"
#include "core/lock_impl.h"

namespace latchkey::core {

Lock::Impl::Impl(const LockConfig& config, const LockEnv& env)
    : config_(config),
      env_(env),
      user_slots_(config.capabilities.max_users),
      credentials_(config.capabilities) {}

namespace {

LockState FromSense(BoltSense sense) {
  switch (sense) {
    case BoltSense::kLocked: return LockState::kLocked;
    case BoltSense::kUnlocked: return LockState::kUnlocked;
    case BoltSense::kUnlatched: return LockState::kUnlatched;
    case BoltSense::kBetween: return LockState::kUnknown;
  }
  return LockState::kUnknown;
}

std::optional<int64_t> Resume(int64_t now, int64_t remaining) {
  return remaining > 0 ? std::optional<int64_t>(now + remaining) : std::nullopt;
}

// Where each class of wrong attempts keeps its durable form in RuntimeState.
struct GuardFields {
  uint32_t& wrong_attempts;
  uint32_t& lockout_level;
  int64_t& lockout_remaining_ms;
  std::vector<int64_t>& wrong_ages_ms;
  int64_t& budget_alarm_quiet_ms;
};
GuardFields DoorFields(RuntimeState& rt) {
  return {rt.wrong_attempts, rt.lockout_level, rt.lockout_remaining_ms, rt.door_wrong_ages_ms,
          rt.door_budget_alarm_quiet_ms};
}
GuardFields RemoteFields(RuntimeState& rt) {
  return {rt.remote_wrong_attempts, rt.remote_lockout_level, rt.remote_lockout_remaining_ms,
          rt.remote_wrong_ages_ms, rt.remote_budget_alarm_quiet_ms};
}
void RestoreGuard(AttemptGuard& guard, const GuardFields& f, int64_t now) {
  guard.Restore({f.wrong_attempts, f.lockout_level, f.lockout_remaining_ms, f.wrong_ages_ms, f.budget_alarm_quiet_ms},
                now);
}
void SaveGuard(const AttemptGuard& guard, const GuardFields& f, int64_t now) {
  AttemptGuard::Saved saved = guard.Save(now);
  f.wrong_attempts = saved.wrong_attempts;
  f.lockout_level = saved.lockout_level;
  f.lockout_remaining_ms = saved.lockout_remaining_ms;
  f.wrong_ages_ms = std::move(saved.wrong_ages_ms);
  f.budget_alarm_quiet_ms = saved.budget_alarm_quiet_ms;
}

}  // namespace

Status Lock::Impl::Load() {
  PersistentState state;
  LATCHKEY_TRY(env_.store->Load(&state));
  const int64_t now = Now();
  if (!state.initialized) {
    settings_.name = config_.default_name;
    rt_.clock_trusted = config_.rtc_valid;
    rt_.latest_wall_ms = config_.rtc_valid ? Wall() : 0;
    rt_.lock_state = FromSense(env_.bolt->Sense());
    Stage(WriteBatch::PutSettings{settings_});
    runtime_dirty_ = true;
    effective_mode_ = EffectiveMode();
    return Commit();
  }
  settings_ = state.settings;
  rt_ = state.runtime;
  for (auto& user : state.users) {
    if (user.index < 1 || user.index > config_.capabilities.max_users) continue;
    user_slots_.Take(user.index);
    if (user.type == UserType::kProgramming) programming_user_ = user.index;
    if (user.expires_at_ms && user.status == UserStatus::kEnabled) {
      expiring_deadlines_.emplace(*user.expires_at_ms, user.index);
    }
    users_.emplace(user.index, std::move(user));
  }
  for (const auto& credential : state.credentials) credentials_.Put(credential);
  for (const auto& holiday : state.holidays) holidays_.emplace(holiday.index, holiday);

  // A power-up: durations resume with what remained; the bolt is read from its sensor.
  RestoreGuard(door_guard_, DoorFields(rt_), now);
  RestoreGuard(remote_guard_, RemoteFields(rt_), now);
  if (rt_.pending_user != 0 && rt_.pending_remaining_ms > 0 && !rt_.pending_credentials.empty()) {
    pending_ = Pending{rt_.pending_user, rt_.pending_credentials, now + rt_.pending_remaining_ms,
                       rt_.pending_source, rt_.pending_operation};
  }
  relock_due_ = Resume(now, rt_.relock_remaining_ms);
  auto_quiet_until_ = Resume(now, rt_.auto_unlock_quiet_ms);
  phone_keys_ = state.phone_keys;
  offline_codes_ = state.offline_codes;
  const bool door_open = rt_.door_state == DoorState::kOpen || rt_.door_state == DoorState::kAjar ||
                         rt_.door_state == DoorState::kForcedOpen;
  if (door_open) {
    door_open_since_ = now - rt_.door_open_ms;
    if (settings_.door_ajar_s > 0 && !rt_.door_ajar_raised) {
      door_ajar_due_ = *door_open_since_ + int64_t{settings_.door_ajar_s} * 1000;
    }
  }
  rt_.clock_trusted = rt_.clock_trusted && config_.rtc_valid;
  if (rt_.wall_estimate_ms != 0) {
    // The monotonic clock did not count the time spent off; a real-time clock that kept time
    // on its backup cell did, so the estimate moves on to its reading (never back).
    AnchorEstimate(rt_.clock_trusted ? std::max(rt_.wall_estimate_ms, Wall()) : rt_.wall_estimate_ms);
  }
  rt_.lock_state = FromSense(env_.bolt->Sense());
  if (rt_.lock_state == LockState::kUnlatched) {
    unlatch_return_due_ = now + config_.unlatch_hold_ms;
  }
  effective_mode_ = EffectiveMode();
  Record(AlarmEvent(AlarmKind::kPowerCycled));
  return Commit();
}

void Lock::Impl::Record(Event event) {
  // Make room: acknowledged events go silently; unacknowledged ones are counted as lost.
  const uint64_t next = rt_.last_seq + 1;
  if (next - rt_.first_seq >= config_.log_capacity) {
    const uint64_t need_through = rt_.first_seq + (next - rt_.first_seq - config_.log_capacity);
    if (need_through <= rt_.acked_seq) {
      Stage(WriteBatch::DropEventsThrough{need_through});
      rt_.first_seq = need_through + 1;
    } else {
      const uint64_t chunk = std::max<uint64_t>(2, config_.log_capacity / 16);
      const uint64_t drop_through = std::min(rt_.last_seq, rt_.first_seq + chunk - 1);
      const uint64_t lost = drop_through - std::max(rt_.acked_seq, rt_.first_seq - 1);
      Stage(WriteBatch::DropEventsThrough{drop_through});
      rt_.first_seq = drop_through + 1;
      Event alarm = AlarmEvent(AlarmKind::kEventsLost);
      alarm.count = lost;
      Record(std::move(alarm));
    }
  }
  event.seq = ++rt_.last_seq;
  event.time_ms = Wall();
  event.hash = ChainHashOf(*env_.crypto, rt_.last_hash, event);
  rt_.last_hash = event.hash;
  runtime_dirty_ = true;
  new_events_.push_back(event);
  Stage(WriteBatch::AppendEvent{std::move(event)});
}

Status Lock::Impl::Commit() {
  if (batch_.empty() && !runtime_dirty_) return Status::Ok();
  const int64_t now = Now();
  SaveGuard(door_guard_, DoorFields(rt_), now);
  SaveGuard(remote_guard_, RemoteFields(rt_), now);
  rt_.relock_remaining_ms = relock_due_ ? std::max<int64_t>(1, *relock_due_ - now) : 0;
  rt_.auto_unlock_quiet_ms = auto_quiet_until_ && *auto_quiet_until_ > now ? *auto_quiet_until_ - now : 0;
  rt_.door_open_ms = door_open_since_ ? now - *door_open_since_ : 0;
  rt_.pending_user = pending_ ? pending_->user : 0;
  rt_.pending_credentials = pending_ ? pending_->presented : std::vector<CredentialRef>{};
  rt_.pending_remaining_ms = pending_ ? std::max<int64_t>(1, pending_->deadline - now) : 0;
  rt_.pending_source = pending_ ? pending_->source : Source::kKeypad;
  rt_.pending_operation = pending_ ? pending_->operation : Operation::kUnlock;
  // Only a trusted clock teaches the lock what "now" is; an unset one may read anything.
  if (rt_.clock_trusted) rt_.latest_wall_ms = std::max(rt_.latest_wall_ms, Wall());
  rt_.wall_estimate_ms = WallEstimate().value_or(0);
  Stage(WriteBatch::PutRuntime{rt_});
  const Status written = env_.store->Write(batch_);
  batch_.Clear();
  runtime_dirty_ = false;
  std::vector<Event> events;
  events.swap(new_events_);
  std::vector<core::Signal> signals;
  signals.swap(pending_signals_);
  const auto drive = pending_drive_;
  pending_drive_.reset();
  if (!written.ok()) {
    fault_ = true;  // memory is ahead of the store: refuse everything until reopened
    return Status::IoError("the lock could not store a change: " + written.message());
  }
  for (core::Signal signal : signals) env_.feedback->Indicate(signal, settings_.sound_volume);
  if (drive) {
    env_.bolt->Drive(*drive);
    if (config_.motor_ms == 0) {
      // An instant motor: read where the bolt went and store that as a change of its own.
      if (env_.observer != nullptr) {
        for (const Event& e : events) env_.observer->OnEvent(e);
      }
      FinishMove();
      return Commit();
    }
  }
  const LockStatus status = Status_();
  if (env_.observer != nullptr) {
    for (const Event& e : events) env_.observer->OnEvent(e);
    if (!(status == last_status_)) env_.observer->OnStatusChanged(status);
  }
  last_status_ = status;
  return Status::Ok();
}

Status Lock::Impl::CheckFault() const {
  if (fault_) return Status::IoError("the lock is in a storage fault; reopen it");
  return Status::Ok();
}

LockStatus Lock::Impl::Status_() const {
  LockStatus s;
  s.lock_state = rt_.lock_state;
  s.door_state = rt_.door_state;
  s.battery.millivolts = rt_.battery_mv;
  s.battery.percent = BatteryPercent(rt_.battery_mv);
  s.battery.low = s.battery.percent <= kLowBatteryPercent;
  s.battery.critical = s.battery.percent <= kCriticalBatteryPercent;
  s.battery.external_power = rt_.external_power;
  s.operating_mode = effective_mode_;
  s.clock_trusted = rt_.clock_trusted;
  const int64_t now = Now();
  s.lockout_remaining_ms = door_guard_.LockoutRemainingMs(now);
  s.wrong_attempts = door_guard_.wrong_attempts();
  s.remote_lockout_remaining_ms = remote_guard_.LockoutRemainingMs(now);
  s.remote_wrong_attempts = remote_guard_.wrong_attempts();
  s.door_budget_wait_ms = door_guard_.BudgetWaitMs(now, settings_);
  s.remote_budget_wait_ms = remote_guard_.BudgetWaitMs(now, settings_);
  s.last_seq = rt_.last_seq;
  return s;
}

std::string Lock::Impl::ActorName(const Actor& actor) const {
  return actor.name.empty() ? std::string(ToString(actor.source)) : std::string(actor.name);
}

// --- Lock: opening and reading -------------------------------------------------------------

Result<std::unique_ptr<Lock>> Lock::Open(const LockConfig& config, const LockEnv& env) {
  if (env.clock == nullptr || env.crypto == nullptr || env.zones == nullptr || env.store == nullptr ||
      env.bolt == nullptr || env.feedback == nullptr) {
    return Status::Invalid("every seam of LockEnv but the observer is required");
  }
  LATCHKEY_TRY(config.capabilities.Validate());
  if (config.log_capacity < 16) return Status::Invalid("log_capacity must be at least 16");
  auto impl = std::make_unique<Impl>(config, env);
  LATCHKEY_TRY(impl->Load());
  return std::unique_ptr<Lock>(new Lock(std::move(impl)));
}

Lock::Lock(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Lock::~Lock() = default;

const Capabilities& Lock::capabilities() const { return impl_->config_.capabilities; }
const Settings& Lock::settings() const { return impl_->settings_; }
LockStatus Lock::status() const { return impl_->Status_(); }
uint64_t Lock::acked_seq() const { return impl_->rt_.acked_seq; }
uint64_t Lock::last_seq() const { return impl_->rt_.last_seq; }
uint64_t Lock::first_seq() const { return impl_->rt_.first_seq; }

Status Lock::AckEvents(uint64_t seq) {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  if (seq > m.rt_.last_seq) return Status::Invalid("ack beyond the last event");
  if (seq <= m.rt_.acked_seq) return Status::Ok();
  m.rt_.acked_seq = seq;
  m.runtime_dirty_ = true;
  return m.Commit();
}

Status Lock::Checkpoint() {
  Impl& m = *impl_;
  LATCHKEY_TRY(m.CheckFault());
  m.runtime_dirty_ = true;
  return m.Commit();
}

}  // namespace latchkey::core
