// The lock: the one object that makes every decision of LOCK-SEMANTICS.md 1-9.
//
// A Lock holds its users, credential digests, schedules, settings and runtime state in memory
// (indexed for O(1) credential lookup) and records every change in its LockStore before it
// answers. It does no I/O of its own: time, cryptography, zones, storage and hardware come in
// through LockEnv. It is not thread-safe; the device runtime calls it from one event loop, and
// calls Tick() whenever NextDeadlineMs() falls due, and at least once a second (for schedule and
// holiday edges, which follow the wall clock).
//
// A failed durable write puts the lock in a fault state: every later call fails with kIoError
// until the lock is opened again from its store, so that memory is never ahead of disk.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/arrival_token.h"
#include "core/capabilities.h"
#include "core/env.h"
#include "core/event.h"
#include "core/offline_code.h"
#include "core/phone_key.h"
#include "core/phone_revocations.h"
#include "core/ports.h"
#include "core/schedule.h"
#include "core/settings.h"
#include "core/status.h"
#include "core/store.h"
#include "core/user.h"

namespace latchkey::core {

struct LockConfig {
  Capabilities capabilities;
  uint32_t motor_ms = 400;             // bolt travel time; 0: moves complete at once
  uint32_t unlatch_hold_ms = 1500;     // how long the latch stays pulled
  uint32_t log_capacity = 10000;       // events kept on the lock (at least 10,000 in products)
  uint32_t keypad_timeout_ms = 10000;  // keys typed without a submit are forgotten after this
  // A time from the hub this much earlier than the latest time the lock has seen is a rollback.
  int64_t clock_rollback_tolerance_ms = 5 * 60 * 1000;
  // A time from the hub this much later than the lock's own estimate of the time (AcceptClock)
  // is a forward jump. A day: far beyond the drift of two crystal clocks between connects
  // (20 ppm is under 2 s a day), far short of the months or years of a wrong clock.
  int64_t clock_forward_bound_ms = 24 * 3600 * 1000;
  // False when the real-time clock lost power with the lock (no backup cell): the clock is not
  // trusted until it is set, and schedule-bound users are refused.
  bool rtc_valid = true;
  std::string default_name = "latchkey";
  // The lock's id, as a phone key's "lock" names it (docs/link.md); empty: no phone key names
  // this lock except with "*".
  std::string lock_id;
};

struct LockEnv {
  Clock* clock = nullptr;
  Crypto* crypto = nullptr;
  ZoneRules* zones = nullptr;
  LockStore* store = nullptr;
  BoltActuator* bolt = nullptr;
  Feedback* feedback = nullptr;
  LockObserver* observer = nullptr;  // optional
};

struct BatteryStatus {
  uint32_t millivolts = 0;
  uint32_t percent = 0;
  bool low = false;
  bool critical = false;
  bool external_power = false;
  friend bool operator==(const BatteryStatus&, const BatteryStatus&) = default;
};

struct LockStatus {
  LockState lock_state = LockState::kUnknown;
  DoorState door_state = DoorState::kUnknown;
  BatteryStatus battery;
  OperatingMode operating_mode = OperatingMode::kNormal;  // effective (holidays applied)
  bool clock_trusted = true;
  // Wrong attempts (LOCK-SEMANTICS.md 7.3, revised): the door class under the names from before
  // the split, then the remote class, then how long each class's spent hourly budget still
  // refuses it (0: not spent).
  int64_t lockout_remaining_ms = 0;
  uint32_t wrong_attempts = 0;
  int64_t remote_lockout_remaining_ms = 0;
  uint32_t remote_wrong_attempts = 0;
  int64_t door_budget_wait_ms = 0;
  int64_t remote_budget_wait_ms = 0;
  uint64_t last_seq = 0;
  friend bool operator==(const LockStatus&, const LockStatus&) = default;
};

enum class DecisionResult : uint8_t { kGranted, kDenied, kPending };
template <>
struct EnumNames<DecisionResult> {
  static constexpr auto kNames = std::to_array<std::string_view>({"granted", "denied", "pending"});
};

// The answer to a presented credential or a command.
struct Decision {
  DecisionResult result = DecisionResult::kDenied;
  std::optional<AccessError> reason;  // when denied
  std::optional<UserIndex> user;
  std::optional<CredentialRef> credential;
  Operation operation = Operation::kUnlock;  // what was (or would have been) done
  LockState lock_state = LockState::kUnknown;  // after the decision; may still be moving
  friend bool operator==(const Decision&, const Decision&) = default;
};

struct RemoteCommand {
  Operation operation = Operation::kUnlock;  // lock, unlock or unlatch
  std::optional<std::string> pin;
  std::optional<uint32_t> timeout_s;         // unlock with timeout: 1..86400
  Actor actor;
};

enum class ScheduleKind : uint8_t { kWeekDay, kYearDay };

// A phone at the door asks for an operation (PHONE-KEYS.md 2): its certificate, the static key
// its Noise session proved, and, for an unlock on approach, its arrival token.
struct PhoneRequest {
  const PhoneKeyCert* certificate = nullptr;  // required
  X25519PublicKey session_key{};
  std::optional<Operation> operation;  // lock, unlock or unlatch; nullopt: only the status
  const ArrivalToken* arrival = nullptr;  // an auto-unlock (operation unlock)
};

struct PhoneDecision {
  Decision decision;
  PhoneKeyVerdict verdict = PhoneKeyVerdict::kAccept;  // the certificate's check
  std::optional<AutoUnlockRefusal> auto_refusal;
  // The name of the most specific reason for a refusal: the verdict, the auto-unlock refusal or
  // the lock's AccessError; empty when granted.
  std::string_view reason() const;
};

// What the lock holds of the phone keys (the link's get_state reports it to the hub).
struct PhoneKeyInfo {
  bool has_home_key = false;
  uint64_t revocations_version = 0;
  uint32_t min_epoch = 0;
  std::size_t revoked = 0;
  friend bool operator==(const PhoneKeyInfo&, const PhoneKeyInfo&) = default;
};

// What the lock holds of offline guest codes (the link's set_offline_key and revoke_offline_codes
// answer it, so that the hub learns what the lock applied, and the generation a clear code typed
// at the door moved it to).
struct OfflineCodeInfo {
  bool has_key = false;
  int64_t epoch_s = 0;
  uint32_t generation = 0;
  uint64_t revocations_version = 0;
  std::size_t revoked = 0;     // codes on the lock's revocation list
  std::size_t remembered = 0;  // used one-time and clear codes, first uses of long windows
  friend bool operator==(const OfflineCodeInfo&, const OfflineCodeInfo&) = default;
};

class Lock {
 public:
  // Opens the lock from its store. A new store is initialised with default settings; an
  // existing one is a power-up: `power_cycled` is raised, running durations resume with what
  // remained, and the bolt is read from its sensor.
  static Result<std::unique_ptr<Lock>> Open(const LockConfig& config, const LockEnv& env);
  ~Lock();
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  // --- state -------------------------------------------------------------------------------
  const Capabilities& capabilities() const;
  const Settings& settings() const;
  LockStatus status() const;

  // --- settings (2) -------------------------------------------------------------------------
  Result<Settings> UpdateSettings(const SettingsPatch& patch, const Actor& actor);

  // --- users (3) ----------------------------------------------------------------------------
  Result<User> AddUser(const UserRequest& request, const Actor& actor);
  Result<User> ModifyUser(const UserRequest& request, const Actor& actor);  // index required
  Result<User> GetUser(UserIndex index) const;
  std::vector<User> ListUsers() const;  // by index
  Status ClearUser(UserIndex index, const Actor& actor);
  Status ClearAllUsers(const Actor& actor);

  // --- credentials (4) ----------------------------------------------------------------------
  Result<CredentialResult> AddCredential(const CredentialRequest& request, const Actor& actor);
  Result<CredentialResult> ModifyCredential(CredentialRef ref, std::string_view data,
                                            std::optional<UserIndex> user, const Actor& actor);
  Result<StoredCredential> GetCredential(CredentialRef ref) const;
  std::vector<StoredCredential> ListCredentials(std::optional<CredentialType> type) const;
  Status ClearCredential(CredentialRef ref, const Actor& actor);
  // One type, or (nullopt) every type but the programming PIN.
  Status ClearCredentials(std::optional<CredentialType> type, const Actor& actor);
  std::optional<CredentialIndex> NextFreeIndex(CredentialType type) const;

  // --- schedules (5) ------------------------------------------------------------------------
  // Index 0 takes the lowest free index of that kind.
  Result<WeekDaySchedule> SetWeekDaySchedule(UserIndex user, WeekDaySchedule schedule,
                                             const Actor& actor);
  Result<YearDaySchedule> SetYearDaySchedule(UserIndex user, YearDaySchedule schedule,
                                             const Actor& actor);
  // One index, or (nullopt) every schedule of that kind of the user.
  Status ClearSchedule(UserIndex user, ScheduleKind kind, std::optional<uint32_t> index,
                       const Actor& actor);
  Result<HolidaySchedule> SetHoliday(HolidaySchedule holiday, const Actor& actor);
  Status ClearHoliday(std::optional<uint32_t> index, const Actor& actor);
  std::vector<HolidaySchedule> ListHolidays() const;

  // --- access (7) ---------------------------------------------------------------------------
  // A credential at a local reader: source kRfid (hex UID), kFingerprint or kFace (template),
  // or kKeypad (a whole PIN, as if followed by '#').
  Result<Decision> Present(Source source, std::string_view data);
  // Keys pressed on the keypad: digits, '*' clears, '#' submits. Returns the decision of the
  // last submission in `keys`, or nullopt if nothing was submitted.
  Result<std::optional<Decision>> PressKeys(std::string_view keys);
  // lock / unlock / unlatch from the hub, with an optional PIN.
  Result<Decision> Remote(const RemoteCommand& command);
  // The outside one-touch button.
  Result<Decision> PressButton();
  // The inside thumbturn (source kManual) or the mechanical key (source kKey) moved the bolt by
  // hand; they always work, in every mode.
  Status ManualOperation(Source source, Operation operation);

  // --- phone keys (PHONE-KEYS.md) ------------------------------------------------------------
  // The paired hub's home key; only certificates it signed pass. A different key (the lock was
  // paired to another hub) forgets the revocations and epoch of the old one, which it signed.
  // Recorded as a change of data_type home_key. nullopt (the lock was unpaired) forgets the key:
  // no certificate passes until a hub pairs again.
  Status SetHomeKey(const std::optional<Ed25519PublicKey>& key, const Actor& actor);
  // A revocation list from the hub or an admin's phone. Refused (kInvalid) without a home key or
  // when the signature does not verify; a list no newer than the one held changes nothing. A
  // newer one replaces the list and epoch (a change of data_type phone_revocations).
  Result<PhoneKeyInfo> ApplyPhoneRevocations(const PhoneRevocations& list, const Actor& actor);
  PhoneKeyInfo phone_keys() const;
  // The access decision for a phone: the door class's lockout, CheckPhoneKey (a bad signature or
  // a phone that is not the certificate's counts as a wrong attempt), for an arrival token the
  // auto-unlock rules, then steps 2-7 of LOCK-SEMANTICS.md 7 with source phone and credential
  // {phone_key, serial} (user 0: a certificate-only guest, limited by the certificate's
  // window). Without an operation it only checks (lockout, certificate) and records nothing
  // unless the check counts as a wrong attempt.
  Result<PhoneDecision> PhoneAccess(const PhoneRequest& request);

  // --- offline guest codes (OFFLINE-CODES.md; docs/offline-codes.md "On the lock") -----------
  // The paired hub's offline-code key, its reference epoch (Unix seconds, a positive multiple of
  // 3600, at most kMaxOfflineEpochS) and the generation of its check digits (offline_code.h). A key other than the one held
  // starts afresh: the used codes and the revocations of the old key are forgotten, the
  // generation is as given. The same key raises the generation to max(held, given) and keeps the
  // rest; with another epoch it is refused (kInvalid: every code's window would move). A change
  // is recorded as a change of data_type offline_key (add for a first key, else modify).
  Result<OfflineCodeInfo> SetOfflineKey(const OfflineCodeKey& key, int64_t epoch_s, uint32_t generation,
                                        const Actor& actor);
  // The lock was unpaired: the key and all it knew under it are forgotten, and no offline code
  // opens until a hub gives a key again (a change offline_key clear).
  Status ForgetOfflineKey(const Actor& actor);
  // The hub's complete list of revoked codes whose windows have not ended: at most 512 plaintexts
  // of 12 digits that unpack (kInvalid otherwise, and without a key). Applied only when `version`
  // is newer than the one held, raising the generation to max(held, given) with it (a change of
  // data_type offline_revocations); an older or equal version changes nothing.
  Result<OfflineCodeInfo> ApplyOfflineRevocations(uint64_t version, std::span<const std::string> codes,
                                                  uint32_t generation, const Actor& actor);
  OfflineCodeInfo offline_codes() const;
  // A code typed at the keypad that is no PIN, has 12 digits, while the lock holds a key, is
  // decided as an offline code (lock_offline.cc): source keypad, credential {offline_code, its
  // window}, no user; every refusal but lockout, mode and battery is one wrong attempt.

  // --- the physical world (8) ---------------------------------------------------------------
  Status SetDoor(bool open);
  Status SetBattery(uint32_t millivolts);
  Status SetExternalPower(bool connected);
  Status Tamper();

  // --- time ---------------------------------------------------------------------------------
  // Fires every timer that is due.
  Status Tick();
  // The monotonic time at which the next timer falls due.
  std::optional<int64_t> NextDeadlineMs() const;
  // Stores what remains of running durations, so that a crash costs at most the time since
  // the last checkpoint (the runtime calls this every few seconds while a duration runs).
  Status Checkpoint();
  // The hub (or a person) sets the real-time clock to `wall_ms` (SECURITY.md "Clocks can be
  // wrong"). Refused (kInvalid) when it is
  //  - a rollback: earlier than the latest time the lock has seen minus
  //    clock_rollback_tolerance_ms, or
  //  - a forward jump: later than the lock's own estimate of the time plus
  //    clock_forward_bound_ms. The estimate is the last time the lock accepted plus the monotonic
  //    time since; it is stored with every change, so it survives a reboot, and at power-up it
  //    moves on to the real-time clock's reading when that clock kept time on its backup cell
  //    (the only witness of how long the lock was off). There is none before the first accepted
  //    time, nor while the clock is untrusted after a total power loss (the time spent off is
  //    unknown): then no forward bound applies, as at pairing.
  // `forced` (the owner confirmed it, API.md `POST .../clock {"force": true}`) skips both checks,
  // and the latest time seen becomes `wall_ms`: the way back from a clock set into the future.
  // A time earlier than the clock's reading moves every running expiring-user deadline back as
  // far (each keeps the time it had left; none can grow by a clock going back).
  // On success the clock is trusted, the estimate starts again from `wall_ms`, and a `change`
  // event (data_type `clock`) records `from` (the clock's reading before), `to` (`wall_ms`) and,
  // when forced, `forced`; the event and everything this call stores read the time as `wall_ms`
  // already. The caller sets the clock only when this succeeds.
  Status AcceptClock(int64_t wall_ms, const Actor& actor, bool forced = false);

  // --- the event log (9) --------------------------------------------------------------------
  // The hub stored every event up to `seq`.
  Status AckEvents(uint64_t seq);
  uint64_t acked_seq() const;
  uint64_t last_seq() const;
  // The oldest event the log still holds (older ones were acknowledged and dropped, or lost).
  uint64_t first_seq() const;

 private:
  class Impl;
  explicit Lock(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace latchkey::core
