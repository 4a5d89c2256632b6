// Lock::Impl: the state of a lock and the helpers its parts share. Private to src/core; the
// public face is lock.h. The member functions are spread over lock.cc (opening, storage,
// events), lock_admin.cc (users, credentials, schedules, settings), lock_access.cc (the
// access decision), lock_physical.cc (bolt, door, power, timers), lock_clock.cc (setting the
// real-time clock), lock_phone.cc (phone keys) and lock_offline.cc (offline guest codes).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/attempt_guard.h"
#include "core/battery.h"
#include "core/credential_index.h"
#include "core/lock.h"
#include "core/slot_allocator.h"

namespace latchkey::core {

class Lock::Impl {
 public:
  Impl(const LockConfig& config, const LockEnv& env);

  // --- opening (lock.cc) ---
  Status Load();

  // --- storage and events (lock.cc) ---
  // Adds `event` to the log (seq, time, hash) and to the batch being built.
  void Record(Event event);
  void Stage(WriteBatch::Op op) { batch_.Add(std::move(op)); }
  void StageUser(const User& user) { Stage(WriteBatch::PutUser{user}); }
  // Writes the batch with the runtime state; on failure the lock enters its fault state.
  Status Commit();
  Status CheckFault() const;
  int64_t Now() const { return env_.clock->MonotonicMs(); }
  // While AcceptClock stores a new time, the clock reads as that time (the caller sets the
  // real-time clock only after the change is stored).
  int64_t Wall() const { return wall_being_set_ ? *wall_being_set_ : env_.clock->WallMs(); }
  LockStatus Status_() const;
  std::string ActorName(const Actor& actor) const;

  // --- the clock (lock_clock.cc) ---
  // The lock's own estimate of the wall time now (lock.h, AcceptClock), or nullopt: none yet.
  std::optional<int64_t> WallEstimate() const;
  // Starts the estimate again from `wall_ms` at the monotonic time now.
  void AnchorEstimate(int64_t wall_ms);
  // The clock goes back by -`by_ms`: every running expiring-user deadline (set at first use from
  // the clock's reading) goes back as far, so that it keeps the time it had left and a clock
  // forced back from the future cannot make a day's guest valid for years.
  void MoveExpiringDeadlines(int64_t by_ms);

  // --- modes and time (lock_physical.cc) ---
  OperatingMode EffectiveMode() const;
  std::optional<LocalTime> LocalNow() const;
  void ProcessTimers();
  std::optional<int64_t> NextDeadline() const;

  // --- bolt (lock_physical.cc) ---
  void StartMove(BoltTarget target);
  void FinishMove();
  void ArmRelock(std::optional<uint32_t> timeout_s);
  void OnModeChange(OperatingMode before, OperatingMode after, Source source);
  void Signal(core::Signal signal);
  // The door was opened some other way than by an auto-unlock: none for the next 10 minutes.
  void QuietAutoUnlock() { auto_quiet_until_ = Now() + kAutoUnlockQuietMs; }
  static constexpr int64_t kAutoUnlockQuietMs = 10 * 60 * 1000;

  // --- access (lock_access.cc) ---
  struct AccessRequest {
    Source source = Source::kKeypad;
    std::string_view data;
    bool remote = false;
    Operation operation = Operation::kUnlock;
    std::optional<uint32_t> timeout_s;
    Actor actor;
    // A phone whose certificate passed: its credential {phone_key, serial} replaces step 3's
    // match, and `phone_guest` stands in for a certificate-only guest (user 0).
    const StoredCredential* phone = nullptr;
    User* phone_guest = nullptr;
    bool auto_unlock = false;
  };
  Decision Decide(const AccessRequest& request);
  // Step 3: the stored credential the request's data is, or nullptr (a wrong attempt).
  const StoredCredential* Match(const AccessRequest& request);
  Decision Deny(const AccessRequest& request, AccessError error, const StoredCredential* credential);
  // Step 3 found no PIN for a keypad entry: whether it may be an offline code (12 digits, a key
  // held), and then the rest of the decision for it (lock_offline.cc).
  bool OfflineCandidate(const AccessRequest& request) const;
  Decision DecideOffline(const AccessRequest& request, bool programming_only);
  Decision Grant(const AccessRequest& request, const StoredCredential* credential, User* user);
  // The class of wrong attempts a request belongs to (LOCK-SEMANTICS.md 7.3, revised): remote
  // commands are the remote class, every interface at the door the door class.
  AttemptGuard& GuardOf(const AccessRequest& request) { return request.remote ? remote_guard_ : door_guard_; }
  // Step 1 for the request's class: a lockout runs or its hourly budget is spent.
  bool AttemptsRefused(const AccessRequest& request) const {
    return (request.remote ? remote_guard_ : door_guard_).Refuses(Now(), settings_);
  }
  // Counts a wrong attempt in the request's class; raises wrong_code_limit when it is due.
  void WrongAttempt(const AccessRequest& request);
  // Step 6: batteries critical and no power bank at the outside connector.
  bool BatteryTooLow() const {
    return BatteryPercent(rt_.battery_mv) <= kCriticalBatteryPercent && !rt_.external_power;
  }
  Decision Refused(AccessError error, Operation op) const;
  std::optional<AccessError> ScheduleRefusal(const User& user) const;

  // --- admin helpers (lock_admin.cc) ---
  // `field` is the request field holding the user index ("index" of a user, "user" of a
  // credential or schedule), named first in the refusal.
  Status CheckUserIndex(uint32_t index, std::string_view field) const;
  User* FindUser(UserIndex index);
  // Removes a user with its credentials (never holidays), staging the writes.
  void EraseUser(UserIndex index);
  // Removes one credential from its user; deletes the user if it was the last one.
  void EraseCredential(const StoredCredential& credential, const Actor& actor);
  void SetUserStatus(User& user, UserStatus status, Source source);

  // --- configuration and seams ---
  LockConfig config_;
  LockEnv env_;

  // --- stored state ---
  Settings settings_;
  std::unordered_map<UserIndex, User> users_;
  SlotAllocator user_slots_;
  std::optional<UserIndex> programming_user_;
  CredentialTable credentials_;
  std::map<uint32_t, HolidaySchedule> holidays_;
  RuntimeState rt_;
  std::multimap<int64_t, UserIndex> expiring_deadlines_;  // wall ms -> expiring user

  // --- volatile state: monotonic deadlines (rt_ holds what remains of the durable ones) ---
  std::optional<int64_t> motor_due_;
  BoltTarget motor_target_ = BoltTarget::kLocked;
  std::optional<int64_t> unlatch_return_due_;
  AttemptGuard door_guard_;    // rt_ holds its durable form (wrong_attempts, lockout_level, ...)
  AttemptGuard remote_guard_;  // and this one's (remote_wrong_attempts, ...)
  std::optional<int64_t> relock_due_;
  std::optional<int64_t> auto_quiet_until_;  // no auto-unlock before (rt_.auto_unlock_quiet_ms)
  PhoneKeyState phone_keys_;
  OfflineCodeState offline_codes_;
  std::optional<uint32_t> relock_timeout_once_;  // unlock with timeout, for the move under way
  std::optional<int64_t> door_open_since_;
  std::optional<int64_t> door_ajar_due_;
  struct Pending {
    UserIndex user = 0;
    std::vector<CredentialRef> presented;
    int64_t deadline = 0;
    Source source = Source::kKeypad;
    Operation operation = Operation::kUnlock;
  };
  std::optional<Pending> pending_;
  std::optional<int64_t> lock_intent_until_;
  std::string keypad_buffer_;
  int64_t keypad_last_ms_ = 0;
  OperatingMode effective_mode_ = OperatingMode::kNormal;
  // The estimate of the wall time: `estimate_wall_` at the monotonic `estimate_mono_`.
  std::optional<int64_t> estimate_wall_;
  int64_t estimate_mono_ = 0;
  std::optional<int64_t> wall_being_set_;  // AcceptClock: the time being stored

  // --- the change being built ---
  // Hardware acts only once the change that explains it is stored: a motor drive and the
  // signals wait here until Commit() has written the batch.
  std::optional<BoltTarget> pending_drive_;
  std::vector<core::Signal> pending_signals_;
  WriteBatch batch_;
  std::vector<Event> new_events_;
  bool runtime_dirty_ = false;
  bool fault_ = false;
  LockStatus last_status_;
};

}  // namespace latchkey::core
