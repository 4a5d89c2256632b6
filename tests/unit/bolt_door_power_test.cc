// LOCK-SEMANTICS.md 8: bolt, door and power, and the time rules of durations across a reboot.
// Choices where the spec is silent: docs/lock-choices.md (unlatch hold, battery curve, alarms
// once per crossing/opening, Checkpoint).
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/battery.h"
#include "lock_fixture.h"

namespace latchkey::core {
namespace {

constexpr char kPin[] = "123456";

class BoltDoorPowerTest : public LockTest {
 protected:
  static std::string D(const Decision& d) {
    std::string out(ToString(d.result));
    if (d.reason) out += ":" + std::string(ToString(*d.reason));
    return out;
  }
  std::string State() { return std::string(ToString(lock().status().lock_state)); }
  std::string Door() { return std::string(ToString(lock().status().door_state)); }
  void SetRelock(uint32_t s) {
    SettingsPatch p;
    p.auto_relock_s = s;
    Patch(p);
  }
  Status ByHand(Source source, Operation op) {
    bolt_.Set(op == Operation::kLock ? BoltSense::kLocked : BoltSense::kUnlocked);
    return lock().ManualOperation(source, op);
  }
  void Door(bool open) { ASSERT_TRUE(lock().SetDoor(open).ok()); }
  void Battery(uint32_t mv) { ASSERT_TRUE(lock().SetBattery(mv).ok()); }
  std::vector<Event> OperationEvents(Operation op) {
    std::vector<Event> out;
    for (const auto& e : EventsOfKind(EventKind::kLockOperation)) {
      if (e.operation == op) out.push_back(e);
    }
    return out;
  }
  std::vector<Event> DoorEvents() { return EventsOfKind(EventKind::kDoorState); }
  // Unlocks with a remote command and lets the motor finish.
  void RemoteUnlock() {
    ASSERT_EQ(D(RemoteOp(Operation::kUnlock)), "granted");
    Advance(config_.motor_ms);
    ASSERT_EQ(State(), "unlocked");
  }
  Decision RemoteWithTimeout(uint32_t timeout_s) {
    RemoteCommand c;
    c.operation = Operation::kUnlock;
    c.timeout_s = timeout_s;
    c.actor = owner_;
    auto r = lock().Remote(c);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Decision{};
  }
};

class InstantMotorTest : public BoltDoorPowerTest {
 protected:
  InstantMotorTest() { config_.motor_ms = 0; }
};

// ===========================================================================================
// Motor
// ===========================================================================================

// LOCK-SEMANTICS 8 lock_state: the motor takes time: `unlocking` for motor_ms, then `unlocked`.
TEST_F(BoltDoorPowerTest, Motor_UnlockingForMotorTimeThenUnlocked) {
  AddPinUser(kPin);
  EXPECT_EQ(State(), "locked");
  const Decision d = Keypad(kPin);
  EXPECT_EQ(D(d), "granted");
  EXPECT_EQ(d.lock_state, LockState::kUnlocking);
  EXPECT_EQ(State(), "unlocking");
  Advance(399);
  EXPECT_EQ(State(), "unlocking");
  Advance(1);
  EXPECT_EQ(State(), "unlocked");
  EXPECT_EQ(bolt_.last_target(), std::optional<BoltTarget>(BoltTarget::kUnlocked));

  ASSERT_EQ(D(RemoteOp(Operation::kLock)), "granted");
  EXPECT_EQ(State(), "locking");
  Advance(399);
  EXPECT_EQ(State(), "locking");
  Advance(1);
  EXPECT_EQ(State(), "locked");
}

// LOCK-SEMANTICS 8 + lock.h LockConfig: motor_ms 0 completes a move at once.
TEST_F(InstantMotorTest, Motor_ZeroMotorTimeCompletesAtOnce) {
  AddPinUser(kPin);
  const Decision d = Keypad(kPin);
  EXPECT_EQ(D(d), "granted");
  EXPECT_EQ(d.lock_state, LockState::kUnlocked);
  EXPECT_EQ(State(), "unlocked");
  ASSERT_EQ(D(RemoteOp(Operation::kLock)), "granted");
  EXPECT_EQ(State(), "locked");
}

// LOCK-SEMANTICS 8: a motor that stalls leaves the lock `jammed` and raises lock_jammed; the
// next good movement clears it.
TEST_F(BoltDoorPowerTest, Motor_JamThenNextGoodMovementClears) {
  AddPinUser(kPin);
  bolt_.JamNext();
  EXPECT_EQ(D(Keypad(kPin)), "granted");
  Advance(config_.motor_ms);
  EXPECT_EQ(State(), "jammed");
  EXPECT_EQ(Alarms(AlarmKind::kLockJammed).size(), 1u);
  // lock-choices: the lock_operation was recorded at the decision.
  EXPECT_EQ(OperationEvents(Operation::kUnlock).size(), 1u);

  EXPECT_EQ(D(RemoteOp(Operation::kUnlock)), "granted");
  Advance(config_.motor_ms);
  EXPECT_EQ(State(), "unlocked");
  EXPECT_EQ(Alarms(AlarmKind::kLockJammed).size(), 1u);
}

// LOCK-SEMANTICS 8: a jam while locking too.
TEST_F(BoltDoorPowerTest, Motor_JamWhileLocking) {
  RemoteUnlock();
  bolt_.JamNext();
  EXPECT_EQ(D(RemoteOp(Operation::kLock)), "granted");
  Advance(config_.motor_ms);
  EXPECT_EQ(State(), "jammed");
  EXPECT_EQ(Alarms(AlarmKind::kLockJammed).size(), 1u);
  EXPECT_EQ(D(RemoteOp(Operation::kLock)), "granted");
  Advance(config_.motor_ms);
  EXPECT_EQ(State(), "locked");
}

// LOCK-SEMANTICS 8 unlatched: the latch is pulled and returns to `unlocked` by itself
// (lock-choices: held 1.5 s).
TEST_F(BoltDoorPowerTest, Unlatch_ReturnsToUnlockedByItself) {
  const Decision d = RemoteOp(Operation::kUnlatch);
  EXPECT_EQ(D(d), "granted");
  Advance(config_.motor_ms);
  EXPECT_EQ(State(), "unlatched");
  EXPECT_EQ(bolt_.last_target(), std::optional<BoltTarget>(BoltTarget::kUnlatched));
  Advance(1'000);
  EXPECT_EQ(State(), "unlatched");
  Advance(1'000 + config_.motor_ms);
  EXPECT_EQ(State(), "unlocked");
  Advance(5'000);
  EXPECT_EQ(State(), "unlocked");
}

// ===========================================================================================
// Auto-relock
// ===========================================================================================

// LOCK-SEMANTICS 8 auto_relock_s: any unlock relocks after that many seconds, recorded with
// source `auto`.
TEST_F(BoltDoorPowerTest, Relock_AfterKeypadUnlock) {
  AddPinUser(kPin);
  SetRelock(5);
  EXPECT_EQ(D(Keypad(kPin)), "granted");
  Advance(config_.motor_ms);
  EXPECT_EQ(State(), "unlocked");
  Advance(4'000);
  EXPECT_EQ(State(), "unlocked");
  Advance(1'000 + config_.motor_ms);
  EXPECT_EQ(State(), "locked");
  const auto locks = OperationEvents(Operation::kLock);
  ASSERT_EQ(locks.size(), 1u);
  EXPECT_EQ(locks[0].source, std::optional<Source>(Source::kAuto));
}

// LOCK-SEMANTICS 8: "any unlock, from any source": remote, thumbturn, key, rfid, unlatch.
TEST_F(BoltDoorPowerTest, Relock_AfterUnlockFromEverySource) {
  const UserIndex user = AddPinUser(kPin);
  AddCredentialTo(user, CredentialType::kRfid, "04A1B2C3");
  SetRelock(3);
  struct Case {
    const char* name;
    std::function<void()> unlock;
  };
  const std::vector<Case> cases = {
      {"remote", [&] { EXPECT_EQ(D(RemoteOp(Operation::kUnlock)), "granted"); }},
      {"remote unlatch", [&] { EXPECT_EQ(D(RemoteOp(Operation::kUnlatch)), "granted"); }},
      {"rfid", [&] { EXPECT_EQ(D(*lock().Present(Source::kRfid, "04A1B2C3")), "granted"); }},
      {"thumbturn", [&] { EXPECT_TRUE(ByHand(Source::kManual, Operation::kUnlock).ok()); }},
      {"key", [&] { EXPECT_TRUE(ByHand(Source::kKey, Operation::kUnlock).ok()); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(State(), "locked");
    const std::size_t auto_locks_before = [&] {
      std::size_t n = 0;
      for (const auto& e : OperationEvents(Operation::kLock)) n += e.source == Source::kAuto;
      return n;
    }();
    c.unlock();
    Advance(config_.motor_ms);
    EXPECT_NE(State(), "locked");
    Advance(2'000);
    EXPECT_NE(State(), "locked");
    Advance(3'000 + config_.motor_ms);
    EXPECT_EQ(State(), "locked");
    std::size_t auto_locks = 0;
    for (const auto& e : OperationEvents(Operation::kLock)) auto_locks += e.source == Source::kAuto;
    EXPECT_EQ(auto_locks, auto_locks_before + 1);
  }
}

// LOCK-SEMANTICS 8: unlock_with_timeout uses its own timeout for that one time.
TEST_F(BoltDoorPowerTest, Relock_UnlockWithTimeoutUsesItsOwnTimeoutOnce) {
  SetRelock(30);
  EXPECT_EQ(D(RemoteWithTimeout(2)), "granted");
  Advance(config_.motor_ms);
  EXPECT_EQ(State(), "unlocked");
  Advance(1'000);
  EXPECT_EQ(State(), "unlocked");
  Advance(1'000 + config_.motor_ms);
  EXPECT_EQ(State(), "locked");

  // The next unlock uses auto_relock_s again.
  RemoteUnlock();
  Advance(10'000);
  EXPECT_EQ(State(), "unlocked");
  Advance(20'000 + config_.motor_ms);
  EXPECT_EQ(State(), "locked");
}

// LOCK-SEMANTICS 8: unlock_with_timeout relocks even when auto-relock is off.
TEST_F(BoltDoorPowerTest, Relock_UnlockWithTimeoutWithAutoRelockOff) {
  EXPECT_EQ(D(RemoteWithTimeout(3)), "granted");
  Advance(config_.motor_ms);  // the relock counts from the bolt's arrival
  Advance(2'000);
  EXPECT_EQ(State(), "unlocked");
  Advance(1'000 + config_.motor_ms);
  EXPECT_EQ(State(), "locked");
  const auto locks = OperationEvents(Operation::kLock);
  ASSERT_EQ(locks.size(), 1u);
  EXPECT_EQ(locks[0].source, std::optional<Source>(Source::kAuto));
  // And a plain unlock afterwards stays unlocked.
  RemoteUnlock();
  Advance(60'000);
  EXPECT_EQ(State(), "unlocked");
}

// LOCK-SEMANTICS 8 auto_relock_s 0 = off.
TEST_F(BoltDoorPowerTest, Relock_OffByDefault) {
  RemoteUnlock();
  Advance(120'000);
  EXPECT_EQ(State(), "unlocked");
  EXPECT_TRUE(OperationEvents(Operation::kLock).empty());
}

// LOCK-SEMANTICS 8 (beyond): if the door is open when the relock falls due, the lock waits and
// locks when the door closes.
TEST_F(BoltDoorPowerTest, Relock_WaitsForOpenDoorAndLocksWhenItCloses) {
  SetRelock(5);
  RemoteUnlock();
  Door(true);
  const int drives = bolt_.drives();
  Advance(20'000);
  EXPECT_EQ(State(), "unlocked");
  EXPECT_EQ(bolt_.drives(), drives) << "never throw the bolt into an open door";
  Door(false);
  Advance(config_.motor_ms);
  EXPECT_EQ(State(), "locked");
  const auto locks = OperationEvents(Operation::kLock);
  ASSERT_EQ(locks.size(), 1u);
  EXPECT_EQ(locks[0].source, std::optional<Source>(Source::kAuto));
}

// LOCK-SEMANTICS 8: a relock due while already locked does nothing.
TEST_F(BoltDoorPowerTest, Relock_DueWhileAlreadyLockedDoesNothing) {
  SetRelock(5);
  RemoteUnlock();
  ASSERT_TRUE(ByHand(Source::kManual, Operation::kLock).ok());
  EXPECT_EQ(State(), "locked");
  const int drives = bolt_.drives();
  const std::size_t locks = OperationEvents(Operation::kLock).size();
  Advance(10'000);
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(bolt_.drives(), drives);
  EXPECT_EQ(OperationEvents(Operation::kLock).size(), locks);
}

// lock-choices: a granted credential on an unlocked lock restarts the relock timer.
TEST_F(BoltDoorPowerTest, Relock_GrantWhileUnlockedRestartsTimer) {
  AddPinUser(kPin);
  SetRelock(5);
  RemoteUnlock();
  Advance(4'000);
  EXPECT_EQ(D(Keypad(kPin)), "granted");
  Advance(3'000);
  EXPECT_EQ(State(), "unlocked");
  Advance(2'000 + config_.motor_ms);
  EXPECT_EQ(State(), "locked");
}

// ===========================================================================================
// Door
// ===========================================================================================

// LOCK-SEMANTICS 8 door_state + 9 door_state events: open and closed.
TEST_F(BoltDoorPowerTest, Door_OpenAndClosedEvents) {
  RemoteUnlock();
  Door(true);
  EXPECT_EQ(Door(), "open");
  Door(false);
  EXPECT_EQ(Door(), "closed");
  const auto doors = DoorEvents();
  ASSERT_GE(doors.size(), 2u);
  EXPECT_EQ(doors[doors.size() - 2].door_state, std::optional<DoorState>(DoorState::kOpen));
  EXPECT_EQ(doors.back().door_state, std::optional<DoorState>(DoorState::kClosed));
}

// LOCK-SEMANTICS 8: open longer than door_ajar_s: `ajar` and the door_ajar alarm (once per
// opening, lock-choices).
TEST_F(BoltDoorPowerTest, Door_AjarAfterDoorAjarS) {
  SettingsPatch p;
  p.door_ajar_s = 3;
  Patch(p);
  RemoteUnlock();
  Door(true);
  Advance(2'000);
  EXPECT_EQ(Door(), "open");
  EXPECT_TRUE(Alarms(AlarmKind::kDoorAjar).empty());
  Advance(2'000);
  EXPECT_EQ(Door(), "ajar");
  EXPECT_EQ(Alarms(AlarmKind::kDoorAjar).size(), 1u);
  EXPECT_EQ(DoorEvents().back().door_state, std::optional<DoorState>(DoorState::kAjar));
  Advance(30'000);
  EXPECT_EQ(Alarms(AlarmKind::kDoorAjar).size(), 1u) << "once per opening";
  Door(false);
  EXPECT_EQ(Door(), "closed");
  Door(true);
  Advance(4'000);
  EXPECT_EQ(Alarms(AlarmKind::kDoorAjar).size(), 2u) << "a new opening raises it again";
}

// LOCK-SEMANTICS 2 door_ajar_s: 0 = no ajar alarm.
TEST_F(BoltDoorPowerTest, Door_AjarZeroMeansNoAlarm) {
  SettingsPatch p;
  p.door_ajar_s = 0;
  Patch(p);
  RemoteUnlock();
  Door(true);
  Advance(200'000);
  EXPECT_EQ(Door(), "open");
  EXPECT_TRUE(Alarms(AlarmKind::kDoorAjar).empty());
}

// LOCK-SEMANTICS 8: opened while the bolt is locked: `forced_open` and door_forced_open.
TEST_F(BoltDoorPowerTest, Door_ForcedOpenWhileLocked) {
  ASSERT_EQ(State(), "locked");
  Door(true);
  EXPECT_EQ(Door(), "forced_open");
  EXPECT_EQ(Alarms(AlarmKind::kDoorForcedOpen).size(), 1u);
  EXPECT_EQ(DoorEvents().back().door_state, std::optional<DoorState>(DoorState::kForcedOpen));
}

// LOCK-SEMANTICS 8: a door opened after a proper unlock is not forced.
TEST_F(BoltDoorPowerTest, Door_OpenAfterUnlockIsNotForced) {
  RemoteUnlock();
  Door(true);
  EXPECT_EQ(Door(), "open");
  EXPECT_TRUE(Alarms(AlarmKind::kDoorForcedOpen).empty());
}

// ===========================================================================================
// Tamper
// ===========================================================================================

// LOCK-SEMANTICS 8 tamper: alarm with the buzzer.
TEST_F(BoltDoorPowerTest, Tamper_AlarmWithBuzzer) {
  ASSERT_TRUE(lock().Tamper().ok());
  EXPECT_EQ(Alarms(AlarmKind::kTamper).size(), 1u);
  EXPECT_TRUE(feedback_.Sounded(Signal::kAlarm));
}

// LOCK-SEMANTICS 8 tamper: no buzzer when sound_volume is silent (the alarm is still raised).
TEST_F(BoltDoorPowerTest, Tamper_SilentVolumeNoBuzzer) {
  SettingsPatch p;
  p.sound_volume = SoundVolume::kSilent;
  Patch(p);
  ASSERT_TRUE(lock().Tamper().ok());
  EXPECT_EQ(Alarms(AlarmKind::kTamper).size(), 1u);
  EXPECT_FALSE(feedback_.Sounded(Signal::kAlarm));
}

// ===========================================================================================
// Battery and power
// ===========================================================================================

// lock-choices battery curve: 6000 mV = 100 %, 4400 mV = 0 %, piecewise linear through
// 5600 = 80, 5200 = 50, 4800 = 20, 4600 = 5.
TEST_F(BoltDoorPowerTest, Battery_PercentFromDischargeCurve) {
  EXPECT_EQ(BatteryPercent(6000), 100u);
  EXPECT_EQ(BatteryPercent(6500), 100u);
  EXPECT_EQ(BatteryPercent(5800), 90u);
  EXPECT_EQ(BatteryPercent(5600), 80u);
  EXPECT_EQ(BatteryPercent(5400), 65u);
  EXPECT_EQ(BatteryPercent(5200), 50u);
  EXPECT_EQ(BatteryPercent(5000), 35u);
  EXPECT_EQ(BatteryPercent(4800), 20u);
  EXPECT_EQ(BatteryPercent(4680), 11u);
  EXPECT_EQ(BatteryPercent(4600), 5u);
  EXPECT_EQ(BatteryPercent(4480), 2u);
  EXPECT_EQ(BatteryPercent(4400), 0u);
  EXPECT_EQ(BatteryPercent(3000), 0u);
  for (uint32_t pct = 0; pct <= 100; ++pct) {
    EXPECT_EQ(BatteryPercent(BatteryMillivolts(pct)), pct) << pct;
  }
}

// LOCK-SEMANTICS 8 battery: the lock reports millivolts, percent, low and critical.
TEST_F(BoltDoorPowerTest, Battery_StatusReportsPercentLowCritical) {
  Battery(5200);
  BatteryStatus b = lock().status().battery;
  EXPECT_EQ(b.millivolts, 5200u);
  EXPECT_EQ(b.percent, 50u);
  EXPECT_FALSE(b.low);
  EXPECT_FALSE(b.critical);

  Battery(4680);
  b = lock().status().battery;
  EXPECT_EQ(b.percent, 11u);
  EXPECT_TRUE(b.low);
  EXPECT_FALSE(b.critical);

  Battery(4480);
  b = lock().status().battery;
  EXPECT_EQ(b.percent, 2u);
  EXPECT_TRUE(b.low);
  EXPECT_TRUE(b.critical);
}

// LOCK-SEMANTICS 8: crossing 20 % raises low_battery once; crossing 5 % raises critical_battery
// once; lock-choices: re-armed when the level rises above the threshold (new batteries).
TEST_F(BoltDoorPowerTest, Battery_AlarmsOncePerCrossing) {
  Battery(5000);
  EXPECT_TRUE(Alarms(AlarmKind::kLowBattery).empty());
  Battery(4680);
  EXPECT_EQ(Alarms(AlarmKind::kLowBattery).size(), 1u);
  Battery(4660);
  Battery(4640);
  EXPECT_EQ(Alarms(AlarmKind::kLowBattery).size(), 1u);
  EXPECT_TRUE(Alarms(AlarmKind::kCriticalBattery).empty());
  Battery(4480);
  EXPECT_EQ(Alarms(AlarmKind::kCriticalBattery).size(), 1u);
  Battery(4440);
  EXPECT_EQ(Alarms(AlarmKind::kCriticalBattery).size(), 1u);
  EXPECT_EQ(Alarms(AlarmKind::kLowBattery).size(), 1u);

  Battery(6000);  // new batteries
  EXPECT_EQ(Alarms(AlarmKind::kLowBattery).size(), 1u);
  Battery(4680);
  EXPECT_EQ(Alarms(AlarmKind::kLowBattery).size(), 2u);
  Battery(4480);
  EXPECT_EQ(Alarms(AlarmKind::kCriticalBattery).size(), 2u);
}

// LOCK-SEMANTICS 8: the "once" survives a power cycle (nothing stored is lost).
TEST_F(BoltDoorPowerTest, Battery_AlarmNotRepeatedAfterReboot) {
  Battery(4680);
  ASSERT_EQ(Alarms(AlarmKind::kLowBattery).size(), 1u);
  Reboot();
  Battery(4670);
  EXPECT_EQ(Alarms(AlarmKind::kLowBattery).size(), 1u);
  EXPECT_EQ(lock().status().battery.millivolts, 4670u);
}

// LOCK-SEMANTICS 8 + 9 power: external power connected/disconnected records a `power` event.
TEST_F(BoltDoorPowerTest, Power_ExternalPowerEvent) {
  ASSERT_TRUE(lock().SetExternalPower(true).ok());
  EXPECT_TRUE(lock().status().battery.external_power);
  Event e = LastEvent();
  EXPECT_EQ(e.kind, EventKind::kPower);
  EXPECT_EQ(e.external_power, std::optional<bool>(true));
  ASSERT_TRUE(lock().SetExternalPower(false).ok());
  EXPECT_FALSE(lock().status().battery.external_power);
  e = LastEvent();
  EXPECT_EQ(e.kind, EventKind::kPower);
  EXPECT_EQ(e.external_power, std::optional<bool>(false));
  EXPECT_EQ(EventsOfKind(EventKind::kPower).size(), 2u);
}

// LOCK-SEMANTICS 8: the mechanical key always works and is recorded with source key.
TEST_F(BoltDoorPowerTest, Key_AlwaysWorksAndIsRecorded) {
  Battery(4450);  // dead battery, no external power
  ASSERT_TRUE(ByHand(Source::kKey, Operation::kUnlock).ok());
  EXPECT_EQ(State(), "unlocked");
  const Event e = OperationEvents(Operation::kUnlock).at(0);
  EXPECT_EQ(e.source, std::optional<Source>(Source::kKey));
  ASSERT_TRUE(ByHand(Source::kKey, Operation::kLock).ok());
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(OperationEvents(Operation::kLock).at(0).source, std::optional<Source>(Source::kKey));
}

// ===========================================================================================
// Power cycle
// ===========================================================================================

// LOCK-SEMANTICS 8: power-up after a power loss raises power_cycled; nothing stored is lost.
TEST_F(BoltDoorPowerTest, PowerCycle_RaisesPowerCycledAndLosesNothing) {
  const UserIndex user = AddPinUser(kPin);
  SettingsPatch p;
  p.auto_relock_s = 42;
  p.sound_volume = SoundVolume::kLow;
  Patch(p);
  Battery(5200);
  const Settings settings = lock().settings();
  const auto users = lock().ListUsers();
  const uint64_t last = lock().last_seq();
  EXPECT_TRUE(Alarms(AlarmKind::kPowerCycled).empty());

  Reboot();
  EXPECT_EQ(Alarms(AlarmKind::kPowerCycled).size(), 1u);
  EXPECT_EQ(lock().settings(), settings);
  EXPECT_EQ(lock().ListUsers(), users);
  EXPECT_GT(lock().last_seq(), last);
  EXPECT_EQ(lock().status().battery.millivolts, 5200u);
  const Decision d = Keypad(kPin);
  EXPECT_EQ(D(d), "granted");
  EXPECT_EQ(d.user, std::optional<UserIndex>(user));

  Reboot();
  EXPECT_EQ(Alarms(AlarmKind::kPowerCycled).size(), 2u);
}

// LOCK-SEMANTICS 8 lock_state: after power-up the state is read from the bolt sensor.
TEST_F(BoltDoorPowerTest, PowerCycle_LockStateReadFromBoltSensor) {
  ASSERT_EQ(State(), "locked");
  bolt_.Set(BoltSense::kUnlocked);  // moved while the power was off
  Reboot();
  EXPECT_EQ(State(), "unlocked");
  bolt_.Set(BoltSense::kLocked);
  Reboot();
  EXPECT_EQ(State(), "locked");
}

// LOCK-SEMANTICS 8 time: a running relock resumes after a reboot with what remained.
TEST_F(BoltDoorPowerTest, PowerCycle_RelockResumesWithWhatRemained) {
  SetRelock(10);
  RemoteUnlock();
  Advance(3'000);
  ASSERT_TRUE(lock().Checkpoint().ok());
  Reboot();
  EXPECT_EQ(State(), "unlocked");
  Advance(5'500);
  EXPECT_EQ(State(), "unlocked") << "about 6.6 s remained";
  Advance(2'000 + config_.motor_ms);
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(OperationEvents(Operation::kLock).back().source, std::optional<Source>(Source::kAuto));
}

// LOCK-SEMANTICS 8 time: an unlock-with-timeout relock resumes after a reboot with what
// remained, also with auto-relock off.
TEST_F(BoltDoorPowerTest, PowerCycle_UnlockWithTimeoutResumes) {
  EXPECT_EQ(D(RemoteWithTimeout(8)), "granted");
  Advance(config_.motor_ms);  // the bolt arrives; the 8 s count from here
  Advance(3'000);
  ASSERT_TRUE(lock().Checkpoint().ok());
  Reboot();
  Advance(4'000);
  EXPECT_EQ(State(), "unlocked");
  Advance(1'000 + 2 * config_.motor_ms);
  EXPECT_EQ(State(), "locked");
}

// LOCK-SEMANTICS 8 time: a running lockout resumes after a reboot with what remained at the
// last Checkpoint().
TEST_F(BoltDoorPowerTest, PowerCycle_LockoutResumesWithWhatRemained) {
  AddPinUser(kPin);
  for (int i = 0; i < 5; ++i) Keypad("999999");
  ASSERT_EQ(lock().status().lockout_remaining_ms, 60'000);
  Advance(45'000);
  ASSERT_TRUE(lock().Checkpoint().ok());
  Reboot();
  EXPECT_EQ(lock().status().lockout_remaining_ms, 15'000);
  Advance(14'000);
  EXPECT_EQ(D(Keypad(kPin)), "denied:lockout");
  Advance(1'000);
  EXPECT_EQ(D(Keypad(kPin)), "granted");
}

// LOCK-SEMANTICS 8 + lock.h Checkpoint: Checkpoint stores what remains, so several reboots in a
// row each resume from the last checkpoint, and the lockout is never shortened.
TEST_F(BoltDoorPowerTest, PowerCycle_CheckpointBetweenReboots) {
  AddPinUser(kPin);
  for (int i = 0; i < 5; ++i) Keypad("999999");
  Advance(10'000);
  ASSERT_TRUE(lock().Checkpoint().ok());
  Reboot();
  EXPECT_EQ(lock().status().lockout_remaining_ms, 50'000);
  Advance(10'000);
  ASSERT_TRUE(lock().Checkpoint().ok());
  Advance(5'000);  // not checkpointed: lost on power loss, never in the attacker's favour
  Reboot();
  EXPECT_GE(lock().status().lockout_remaining_ms, 35'000);
  EXPECT_LE(lock().status().lockout_remaining_ms, 40'000);
}

// LOCK-SEMANTICS 8 time: the door-ajar duration also runs on the monotonic clock and survives a
// reboot: the ajar alarm comes after door_ajar_s of open time even across a reboot.
TEST_F(BoltDoorPowerTest, PowerCycle_DoorAjarTimerResumes) {
  SettingsPatch p;
  p.door_ajar_s = 10;
  Patch(p);
  RemoteUnlock();
  Door(true);
  Advance(6'000);
  ASSERT_TRUE(lock().Checkpoint().ok());
  Reboot();
  EXPECT_TRUE(Alarms(AlarmKind::kDoorAjar).empty());
  Advance(3'000);
  EXPECT_TRUE(Alarms(AlarmKind::kDoorAjar).empty());
  Advance(2'000);
  EXPECT_EQ(Alarms(AlarmKind::kDoorAjar).size(), 1u);
}

// ===========================================================================================
// The clock (8 time + lock-choices rollback)
// ===========================================================================================

// lock-choices: a new time earlier than the latest time seen minus 5 minutes is refused; a
// small correction or a later time is accepted.
TEST_F(BoltDoorPowerTest, Clock_RollbackRefused) {
  const int64_t now = clock_.WallMs();
  const Status back = lock().AcceptClock(now - 6 * 60'000, owner_);
  EXPECT_EQ(back.code(), Code::kInvalid) << back.ToString();
  EXPECT_TRUE(lock().AcceptClock(now - 4 * 60'000, owner_).ok());
  EXPECT_TRUE(lock().AcceptClock(now + 3'600'000, owner_).ok());
  EXPECT_TRUE(lock().status().clock_trusted);
}

}  // namespace
}  // namespace latchkey::core
