// In-memory implementations of the core's seams, for tests and the scripted core demo:
// a clock that moves only when told, a store that survives "power cycles" (a new Lock opened
// on the same store), and hardware ports that record what the core did.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "core/lock.h"

namespace latchkey::core::testing {

class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t wall_ms = 1'795'600'800'000)  // 2026-11-25T10:00:00Z, a Wednesday
      : wall_ms_(wall_ms) {}
  int64_t MonotonicMs() const override { return mono_ms_; }
  int64_t WallMs() const override { return wall_ms_; }
  // Time passes: both clocks move.
  void Advance(int64_t ms) { mono_ms_ += ms; wall_ms_ += ms; }
  // The real-time clock is set: only the wall clock jumps.
  void SetWall(int64_t wall_ms) { wall_ms_ = wall_ms; }
  // After a reboot the monotonic clock starts again from an arbitrary value.
  void RebootMonotonic(int64_t mono_ms = 0) { mono_ms_ = mono_ms; }

 private:
  int64_t mono_ms_ = 1'000'000;
  int64_t wall_ms_;
};

// Keeps everything in maps; `Load` returns exactly what was written, as a durable store would.
class MemoryLockStore : public LockStore {
 public:
  Status Load(PersistentState* out) override;
  Status Write(const WriteBatch& batch) override;
  Status ReadEvents(uint64_t after, std::size_t limit, std::vector<Event>* out) override;

  // The next `n` writes fail (a full disk, a dying flash): nothing of them is applied.
  void FailNextWrites(int n) { fail_writes_ = n; }
  std::size_t write_count() const { return writes_; }
  // Every event still stored, in seq order.
  std::vector<Event> events() const;

 private:
  bool initialized_ = false;
  Settings settings_;
  std::map<UserIndex, User> users_;
  std::map<std::pair<int, CredentialIndex>, StoredCredential> credentials_;
  std::map<uint32_t, HolidaySchedule> holidays_;
  RuntimeState runtime_;
  PhoneKeyState phone_keys_;
  OfflineCodeState offline_codes_;
  std::map<uint64_t, Event> events_;
  int fail_writes_ = 0;
  std::size_t writes_ = 0;
};

// A bolt that reaches its target unless told to stall; the test can also move it by hand.
class FakeBolt : public BoltActuator {
 public:
  void Drive(BoltTarget target) override;
  BoltSense Sense() const override { return position_; }
  void JamNext() { jam_next_ = true; }
  void Set(BoltSense position) { position_ = position; }
  int drives() const { return drives_; }
  std::optional<BoltTarget> last_target() const { return last_target_; }

 private:
  BoltSense position_ = BoltSense::kLocked;
  bool jam_next_ = false;
  int drives_ = 0;
  std::optional<BoltTarget> last_target_;
};

class RecordingFeedback : public Feedback {
 public:
  struct Entry { Signal signal; SoundVolume volume; };
  void Indicate(Signal signal, SoundVolume volume) override { entries.push_back({signal, volume}); }
  // Whether any `signal` was given with sound (volume other than silent).
  bool Sounded(Signal signal) const;
  std::vector<Entry> entries;
};

class RecordingObserver : public LockObserver {
 public:
  void OnEvent(const Event& event) override { events.push_back(event); }
  void OnStatusChanged(const LockStatus& status) override { statuses.push_back(status); }
  std::vector<Event> events;
  std::vector<LockStatus> statuses;
};

}  // namespace latchkey::core::testing
