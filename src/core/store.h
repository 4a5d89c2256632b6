// Persistence of a lock, as the core sees it: a loader for what was stored, and atomic
// batches of writes (after LevelDB's WriteBatch). The core applies a change to its memory
// only after the batch that records it has been written durably, so an acknowledged change
// survives any crash. The SQLite store lives in src/store; tests use MemoryLockStore.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "core/arrival_token.h"
#include "core/event.h"
#include "core/offline_code_state.h"
#include "core/schedule.h"
#include "core/settings.h"
#include "core/status.h"
#include "core/user.h"

namespace latchkey::core {

// Everything a lock keeps besides users, credentials, schedules and settings: counters,
// timers and the state of the world as last seen. Durations are stored as what remains of
// them, so that they survive a reboot of the monotonic clock.
struct RuntimeState {
  LockState lock_state = LockState::kUnknown;
  DoorState door_state = DoorState::kUnknown;
  // Wrong attempts (LOCK-SEMANTICS.md 7.3, revised): two classes, each with its own counter,
  // lockout and escalation level. These three are the *door* class (keypad, RFID, fingerprint,
  // face, phone at the door), under their names from before the split.
  uint32_t wrong_attempts = 0;
  uint32_t lockout_level = 0;            // consecutive lockouts without a success between
  int64_t lockout_remaining_ms = 0;      // 0: no lockout running
  // The *remote* class: PINs sent with remote commands (and remote commands without a PIN
  // while require_pin_for_remote).
  uint32_t remote_wrong_attempts = 0;
  uint32_t remote_lockout_level = 0;
  int64_t remote_lockout_remaining_ms = 0;
  // The rolling budgets (max_wrong_per_hour), which no grant resets: how long ago (ms, when
  // stored) each wrong attempt of the class's last hour was made, oldest first; at most 60.
  // Like every duration they age only while the lock runs, so a power cut never frees a budget.
  std::vector<int64_t> door_wrong_ages_ms;
  std::vector<int64_t> remote_wrong_ages_ms;
  // What remains of the hour after a budget alarm in which that class raises no other one.
  int64_t door_budget_alarm_quiet_ms = 0;
  int64_t remote_budget_alarm_quiet_ms = 0;
  int64_t relock_remaining_ms = 0;       // 0: no relock due
  // What remains of the 10 minutes without auto-unlock after the door was opened another way
  // (PHONE-KEYS.md 4).
  int64_t auto_unlock_quiet_ms = 0;
  bool relock_waiting_for_door = false;  // relock fell due while the door was open
  uint32_t battery_mv = 6000;
  bool external_power = false;
  bool low_battery_raised = false;
  bool critical_battery_raised = false;
  bool door_ajar_raised = false;
  int64_t door_open_ms = 0;              // how long the door has been open (for ajar)
  // A dual/tri user part-way through presenting its credentials (LOCK-SEMANTICS.md 8: the
  // multi-factor window survives a reboot). pending_user 0: none.
  UserIndex pending_user = 0;
  std::vector<CredentialRef> pending_credentials;
  int64_t pending_remaining_ms = 0;
  Source pending_source = Source::kKeypad;
  Operation pending_operation = Operation::kUnlock;
  bool clock_trusted = true;
  int64_t latest_wall_ms = 0;            // the latest wall time the lock has seen
  // The lock's own estimate of the wall time when this was written (Lock::AcceptClock); 0: none
  // yet (no time accepted since the lock was made).
  int64_t wall_estimate_ms = 0;
  // The event log's position.
  uint64_t last_seq = 0;
  Digest last_hash{};
  uint64_t acked_seq = 0;
  uint64_t first_seq = 1;                // oldest event still kept
  friend bool operator==(const RuntimeState&, const RuntimeState&) = default;
};

// What the lock knows of its home's phone keys (PHONE-KEYS.md 1, 4), as one record.
struct PhoneKeyState {
  std::optional<Ed25519PublicKey> home_key;  // from the paired hub; none: no certificate passes
  uint64_t revocations_version = 0;          // of the newest revocation list applied
  uint32_t min_epoch = 0;
  std::vector<uint64_t> revoked;             // ascending
  std::vector<UsedArrival> used_arrivals;    // arrival tokens accepted and not yet expired
  friend bool operator==(const PhoneKeyState&, const PhoneKeyState&) = default;
};
// Its stored form (deterministic CBOR, docs/phone-keys.md), strict like the certificate's.
std::vector<uint8_t> EncodePhoneKeyState(const PhoneKeyState& state);
Result<PhoneKeyState> DecodePhoneKeyState(std::span<const uint8_t> bytes);

// What a store holds; `Load` fills it.
struct PersistentState {
  bool initialized = false;  // false: a new lock (nothing stored yet)
  Settings settings;
  std::vector<User> users;
  std::vector<StoredCredential> credentials;
  std::vector<HolidaySchedule> holidays;
  RuntimeState runtime;
  PhoneKeyState phone_keys;
  OfflineCodeState offline_codes;  // its stored form: offline_code_state.h
};

// One atomic group of writes.
class WriteBatch {
 public:
  struct PutUser { User user; };
  struct DeleteUser { UserIndex index; };
  struct PutCredential { StoredCredential credential; };
  struct DeleteCredential { CredentialRef ref; };
  struct PutHoliday { HolidaySchedule holiday; };
  struct DeleteHoliday { uint32_t index; };
  struct PutSettings { Settings settings; };
  struct PutRuntime { RuntimeState runtime; };
  struct PutPhoneKeys { PhoneKeyState phone_keys; };
  struct PutOfflineCodes { OfflineCodeState offline_codes; };
  struct AppendEvent { Event event; };
  struct DropEventsThrough { uint64_t seq; };  // forget events with seq <= this
  using Op = std::variant<PutUser, DeleteUser, PutCredential, DeleteCredential, PutHoliday,
                          DeleteHoliday, PutSettings, PutRuntime, PutPhoneKeys, PutOfflineCodes,
                          AppendEvent, DropEventsThrough>;

  void Add(Op op) { ops_.push_back(std::move(op)); }
  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }
  void Clear() { ops_.clear(); }

 private:
  std::vector<Op> ops_;
};

class LockStore {
 public:
  virtual ~LockStore() = default;
  virtual Status Load(PersistentState* out) = 0;
  // All of `batch` or nothing, durable when this returns ok.
  virtual Status Write(const WriteBatch& batch) = 0;
  // Up to `limit` stored events with seq > `after`, in seq order.
  virtual Status ReadEvents(uint64_t after, std::size_t limit, std::vector<Event>* out) = 0;
};

}  // namespace latchkey::core
