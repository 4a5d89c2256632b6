// LOCK-SEMANTICS.md 6: operating modes. Choices where the spec is silent: docs/lock-choices.md
// (vacation/lockdown keypad match before mode, passage refuses locking, lockdown locks with
// source remote, the thumbturn works in every mode).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "lock_fixture.h"

namespace latchkey::core {
namespace {

constexpr char kPin[] = "123456";
constexpr char kWrong[] = "999999";
constexpr char kProgPin[] = "24681357";
constexpr char kCard[] = "04A1B2C3";
constexpr char kFinger[] = "alice-right-index";
constexpr char kFace[] = "alice-face";

class ModesTest : public LockTest {
 protected:
  static std::string D(const Decision& d) {
    std::string out(ToString(d.result));
    if (d.reason) out += ":" + std::string(ToString(*d.reason));
    return out;
  }
  std::string State() { return std::string(ToString(lock().status().lock_state)); }
  Decision PresentAt(Source source, const std::string& data) {
    auto r = lock().Present(source, data);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Decision{};
  }
  // A user with a PIN, a card, a fingerprint and a face.
  UserIndex AddFullUser() {
    const UserIndex user = AddPinUser(kPin);
    AddCredentialTo(user, CredentialType::kRfid, kCard);
    AddCredentialTo(user, CredentialType::kFingerprint, kFinger);
    AddCredentialTo(user, CredentialType::kFace, kFace);
    return user;
  }
  Status TrySetMode(OperatingMode mode) {
    SettingsPatch p;
    p.operating_mode = mode;
    auto r = lock().UpdateSettings(p, owner_);
    return r.status();
  }
  void SetMode(OperatingMode mode) {
    const Status s = TrySetMode(mode);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  OperatingMode Mode() { return lock().status().operating_mode; }
  // The bolt is moved by hand (thumbturn or key): the sensor sees it, then the lock is told.
  Status ByHand(Source source, Operation op) {
    bolt_.Set(op == Operation::kLock ? BoltSense::kLocked : BoltSense::kUnlocked);
    return lock().ManualOperation(source, op);
  }
  void Settle() { Advance(config_.motor_ms); }
  void UnlockFirst() {
    ASSERT_EQ(D(RemoteOp(Operation::kUnlock)), "granted");
    Settle();
    ASSERT_EQ(State(), "unlocked");
  }
  void LockFirst() {
    ASSERT_EQ(D(RemoteOp(Operation::kLock)), "granted");
    Settle();
    ASSERT_EQ(State(), "locked");
  }
  std::vector<Event> OperationEvents(Operation op) {
    std::vector<Event> out;
    for (const auto& e : EventsOfKind(EventKind::kLockOperation)) {
      if (e.operation == op) out.push_back(e);
    }
    return out;
  }
};

// ===========================================================================================
// normal
// ===========================================================================================

// LOCK-SEMANTICS 6 normal: all interfaces work.
TEST_F(ModesTest, Normal_AllInterfacesWork) {
  AddFullUser();
  EXPECT_EQ(Mode(), OperatingMode::kNormal);
  const std::vector<std::pair<Source, std::string>> tries = {
      {Source::kKeypad, kPin}, {Source::kRfid, kCard}, {Source::kFingerprint, kFinger},
      {Source::kFace, kFace}};
  for (const auto& [source, data] : tries) {
    EXPECT_EQ(D(PresentAt(source, data)), "granted") << ToString(source);
    Settle();
    EXPECT_EQ(State(), "unlocked") << ToString(source);
    LockFirst();
  }
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock)), "granted");
  Settle();
  EXPECT_EQ(State(), "unlocked");
  auto button = lock().PressButton();
  ASSERT_TRUE(button.ok());
  EXPECT_EQ(D(*button), "granted");
  Settle();
  EXPECT_EQ(State(), "locked");
}

// ===========================================================================================
// vacation
// ===========================================================================================

// LOCK-SEMANTICS 6 vacation: remote commands work.
TEST_F(ModesTest, Vacation_RemoteWorks) {
  AddFullUser();
  SetMode(OperatingMode::kVacation);
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock)), "granted");
  Settle();
  EXPECT_EQ(State(), "unlocked");
  EXPECT_EQ(D(RemoteOp(Operation::kLock, kPin)), "granted");
  Settle();
  EXPECT_EQ(State(), "locked");
}

// LOCK-SEMANTICS 6 vacation: the keypad works only for the programming PIN; a user's PIN is
// refused with `mode` (lock-choices).
TEST_F(ModesTest, Vacation_KeypadOnlyProgrammingPin) {
  AddFullUser();
  AddProgrammingPin(kProgPin);
  SetMode(OperatingMode::kVacation);
  EXPECT_EQ(D(Keypad(kPin)), "denied:mode");
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(bolt_.drives(), 0);
  auto keys = lock().PressKeys(std::string(kPin) + "#");
  ASSERT_TRUE(keys.ok());
  ASSERT_TRUE(keys->has_value());
  EXPECT_EQ(D(**keys), "denied:mode");
  EXPECT_EQ(D(Keypad(kProgPin)), "granted");
  Settle();
  EXPECT_EQ(State(), "unlocked");
}

// LOCK-SEMANTICS 6 vacation: RFID, fingerprint and face are refused with `mode` (before any
// lookup: an unknown card does not count either, lock-choices).
TEST_F(ModesTest, Vacation_RfidFingerprintFaceRefused) {
  AddFullUser();
  SetMode(OperatingMode::kVacation);
  EXPECT_EQ(D(PresentAt(Source::kRfid, kCard)), "denied:mode");
  EXPECT_EQ(D(PresentAt(Source::kFingerprint, kFinger)), "denied:mode");
  EXPECT_EQ(D(PresentAt(Source::kFace, kFace)), "denied:mode");
  EXPECT_EQ(D(PresentAt(Source::kRfid, "DEADBEEF")), "denied:mode");
  EXPECT_EQ(lock().status().wrong_attempts, 0u);
  EXPECT_EQ(bolt_.drives(), 0);
  EXPECT_EQ(State(), "locked");
}

// lock-choices vacation at the keypad: a wrong code is still `invalid_credential` and counts
// towards the lockout.
TEST_F(ModesTest, Vacation_WrongKeypadCodeStillCounts) {
  AddFullUser();
  AddProgrammingPin(kProgPin);
  SetMode(OperatingMode::kVacation);
  EXPECT_EQ(D(Keypad(kWrong)), "denied:invalid_credential");
  EXPECT_EQ(lock().status().wrong_attempts, 1u);
  for (int i = 0; i < 4; ++i) Keypad(kWrong);
  EXPECT_GT(lock().status().lockout_remaining_ms, 0);
  EXPECT_EQ(D(Keypad(kProgPin)), "denied:lockout");
}

// ===========================================================================================
// privacy
// ===========================================================================================

// LOCK-SEMANTICS 6 privacy: may be entered only while locked, else `invalid` (nothing changes).
TEST_F(ModesTest, Privacy_OnlyEnteredWhileLocked) {
  UnlockFirst();
  const Status s = TrySetMode(OperatingMode::kPrivacy);
  EXPECT_EQ(s.code(), Code::kInvalid) << s.ToString();
  EXPECT_EQ(Mode(), OperatingMode::kNormal);
  EXPECT_EQ(lock().settings().operating_mode, OperatingMode::kNormal);

  LockFirst();
  SetMode(OperatingMode::kPrivacy);
  EXPECT_EQ(Mode(), OperatingMode::kPrivacy);
}

// LOCK-SEMANTICS 6 privacy: every outside credential and every remote command is refused with
// `mode`; the lock does not move.
TEST_F(ModesTest, Privacy_RefusesOutsideCredentialsAndRemote) {
  AddFullUser();
  AddProgrammingPin(kProgPin);
  SetMode(OperatingMode::kPrivacy);
  EXPECT_EQ(D(Keypad(kPin)), "denied:mode");
  EXPECT_EQ(D(Keypad(kProgPin)), "denied:mode");
  EXPECT_EQ(D(PresentAt(Source::kRfid, kCard)), "denied:mode");
  EXPECT_EQ(D(PresentAt(Source::kFingerprint, kFinger)), "denied:mode");
  EXPECT_EQ(D(PresentAt(Source::kFace, kFace)), "denied:mode");
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock)), "denied:mode");
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock, kPin)), "denied:mode");
  EXPECT_EQ(D(RemoteOp(Operation::kUnlatch)), "denied:mode");
  EXPECT_EQ(D(RemoteOp(Operation::kLock)), "denied:mode");
  Advance(1'000);
  EXPECT_EQ(bolt_.drives(), 0);
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(Mode(), OperatingMode::kPrivacy);
}

// LOCK-SEMANTICS 6 privacy: the inside thumbturn still works, and a manual unlock returns the
// mode to normal.
TEST_F(ModesTest, Privacy_ThumbturnWorksAndManualUnlockReturnsToNormal) {
  AddFullUser();
  SetMode(OperatingMode::kPrivacy);
  ASSERT_TRUE(ByHand(Source::kManual, Operation::kUnlock).ok());
  EXPECT_EQ(State(), "unlocked");
  EXPECT_EQ(Mode(), OperatingMode::kNormal);
  EXPECT_EQ(lock().settings().operating_mode, OperatingMode::kNormal);
  const auto unlocks = OperationEvents(Operation::kUnlock);
  ASSERT_FALSE(unlocks.empty());
  EXPECT_EQ(unlocks.back().source, std::optional<Source>(Source::kManual));
  // Back in normal: the outside works again.
  ASSERT_TRUE(ByHand(Source::kManual, Operation::kLock).ok());
  EXPECT_EQ(D(Keypad(kPin)), "granted");
}

// lock-choices: a mechanical-key unlock also returns privacy to normal.
TEST_F(ModesTest, Privacy_KeyUnlockReturnsToNormal) {
  SetMode(OperatingMode::kPrivacy);
  ASSERT_TRUE(ByHand(Source::kKey, Operation::kUnlock).ok());
  EXPECT_EQ(State(), "unlocked");
  EXPECT_EQ(Mode(), OperatingMode::kNormal);
}

// LOCK-SEMANTICS 6 privacy: the privacy mode survives a power cycle (a setting).
TEST_F(ModesTest, Privacy_SurvivesReboot) {
  AddFullUser();
  SetMode(OperatingMode::kPrivacy);
  Reboot();
  EXPECT_EQ(Mode(), OperatingMode::kPrivacy);
  EXPECT_EQ(D(Keypad(kPin)), "denied:mode");
}

// ===========================================================================================
// no_remote
// ===========================================================================================

// LOCK-SEMANTICS 6 no_remote: remote lock/unlock/unlatch are refused with `mode`; the bolt does
// not move.
TEST_F(ModesTest, NoRemote_RemoteCommandsRefused) {
  AddFullUser();
  SetMode(OperatingMode::kNoRemote);
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock)), "denied:mode");
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock, kPin)), "denied:mode");
  EXPECT_EQ(D(RemoteOp(Operation::kUnlatch)), "denied:mode");
  Advance(1'000);
  EXPECT_EQ(bolt_.drives(), 0);
  EXPECT_EQ(State(), "locked");

  ASSERT_TRUE(ByHand(Source::kManual, Operation::kUnlock).ok());
  const int drives = bolt_.drives();
  EXPECT_EQ(D(RemoteOp(Operation::kLock)), "denied:mode");
  Advance(1'000);
  EXPECT_EQ(bolt_.drives(), drives);
  EXPECT_EQ(State(), "unlocked");
  // Recorded as refused operations with error mode.
  std::size_t mode_errors = 0;
  for (const auto& e : EventsOfKind(EventKind::kLockOperationError)) {
    if (e.error == AccessError::kMode) {
      ++mode_errors;
      EXPECT_EQ(e.source, std::optional<Source>(Source::kRemote));
    }
  }
  EXPECT_EQ(mode_errors, 4u);
}

// LOCK-SEMANTICS 6 no_remote: everything else works (keypad, card, ...).
TEST_F(ModesTest, NoRemote_LocalInterfacesWork) {
  AddFullUser();
  SetMode(OperatingMode::kNoRemote);
  EXPECT_EQ(D(Keypad(kPin)), "granted");
  Settle();
  EXPECT_EQ(State(), "unlocked");
  auto button = lock().PressButton();
  ASSERT_TRUE(button.ok());
  EXPECT_EQ(D(*button), "granted");
  Settle();
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(D(PresentAt(Source::kRfid, kCard)), "granted");
}

// ===========================================================================================
// passage
// ===========================================================================================

// LOCK-SEMANTICS 6 passage + lock-choices: entering passage unlocks the lock.
TEST_F(ModesTest, Passage_EnteringUnlocks) {
  SetMode(OperatingMode::kPassage);
  Settle();
  EXPECT_EQ(State(), "unlocked");
  EXPECT_EQ(Mode(), OperatingMode::kPassage);
  EXPECT_FALSE(OperationEvents(Operation::kUnlock).empty());
}

// LOCK-SEMANTICS 6 passage: the lock stays unlocked; auto-relock is off.
TEST_F(ModesTest, Passage_StaysUnlockedWithoutAutoRelock) {
  AddFullUser();
  SettingsPatch p;
  p.auto_relock_s = 5;
  Patch(p);
  SetMode(OperatingMode::kPassage);
  Advance(30'000);
  EXPECT_EQ(State(), "unlocked");
  EXPECT_EQ(D(Keypad(kPin)), "granted");
  Advance(30'000);
  EXPECT_EQ(State(), "unlocked");
  ASSERT_TRUE(lock().SetDoor(true).ok());
  ASSERT_TRUE(lock().SetDoor(false).ok());
  Advance(30'000);
  EXPECT_EQ(State(), "unlocked");
  EXPECT_TRUE(OperationEvents(Operation::kLock).empty());
}

// lock-choices passage: remote lock and the one-touch button are refused with `mode`.
TEST_F(ModesTest, Passage_RemoteLockAndButtonRefused) {
  SetMode(OperatingMode::kPassage);
  Settle();
  const int drives = bolt_.drives();
  EXPECT_EQ(D(RemoteOp(Operation::kLock)), "denied:mode");
  auto button = lock().PressButton();
  ASSERT_TRUE(button.ok());
  EXPECT_EQ(D(*button), "denied:mode");
  Advance(1'000);
  EXPECT_EQ(bolt_.drives(), drives);
  EXPECT_EQ(State(), "unlocked");
}

// LOCK-SEMANTICS 6 passage: leaving passage keeps the lock where it is; relock works again.
TEST_F(ModesTest, Passage_LeavingRestoresAutoRelock) {
  SettingsPatch p;
  p.auto_relock_s = 5;
  Patch(p);
  SetMode(OperatingMode::kPassage);
  Advance(10'000);
  SetMode(OperatingMode::kNormal);
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock)), "granted");
  Advance(6'000 + config_.motor_ms);
  EXPECT_EQ(State(), "locked");
}

// ===========================================================================================
// lockdown
// ===========================================================================================

// LOCK-SEMANTICS 6 lockdown: entering it locks the lock (source remote, lock-choices) and raises
// the lockdown alarm.
TEST_F(ModesTest, Lockdown_LocksAndRaisesAlarm) {
  UnlockFirst();
  SetMode(OperatingMode::kLockdown);
  Settle();
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(Mode(), OperatingMode::kLockdown);
  EXPECT_EQ(Alarms(AlarmKind::kLockdown).size(), 1u);
  const auto locks = OperationEvents(Operation::kLock);
  ASSERT_EQ(locks.size(), 1u);
  EXPECT_EQ(locks[0].source, std::optional<Source>(Source::kRemote));
}

// LOCK-SEMANTICS 6 lockdown: every credential of every non-programming user is refused.
TEST_F(ModesTest, Lockdown_RefusesNonProgrammingCredentials) {
  AddFullUser();
  AddPinUser("112233", UserType::kForced);
  SetMode(OperatingMode::kLockdown);
  EXPECT_EQ(D(Keypad(kPin)), "denied:mode");
  EXPECT_EQ(D(Keypad("112233")), "denied:mode");
  EXPECT_EQ(D(PresentAt(Source::kRfid, kCard)), "denied:mode");
  EXPECT_EQ(D(PresentAt(Source::kFingerprint, kFinger)), "denied:mode");
  EXPECT_EQ(D(PresentAt(Source::kFace, kFace)), "denied:mode");
  Advance(1'000);
  EXPECT_EQ(State(), "locked");
}

// LOCK-SEMANTICS 6 lockdown: the programming user is not "non-programming", so its PIN works;
// a wrong code still counts (lock-choices).
TEST_F(ModesTest, Lockdown_ProgrammingPinWorksAndWrongCodeCounts) {
  AddProgrammingPin(kProgPin);
  SetMode(OperatingMode::kLockdown);
  EXPECT_EQ(D(Keypad(kWrong)), "denied:invalid_credential");
  EXPECT_EQ(lock().status().wrong_attempts, 1u);
  EXPECT_EQ(D(Keypad(kProgPin)), "granted");
}

// LOCK-SEMANTICS 6 lockdown + lock-choices: remote commands work only for an owner or admin;
// everyone else gets `mode` and the lock does not move.
TEST_F(ModesTest, Lockdown_RemoteOnlyPrivileged) {
  AddFullUser();
  SetMode(OperatingMode::kLockdown);
  Settle();
  const int drives = bolt_.drives();
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock, std::nullopt, /*privileged=*/false)), "denied:mode");
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock, kPin, /*privileged=*/false)), "denied:mode");
  Advance(1'000);
  EXPECT_EQ(bolt_.drives(), drives);
  EXPECT_EQ(State(), "locked");

  EXPECT_EQ(D(RemoteOp(Operation::kUnlock, std::nullopt, /*privileged=*/true)), "granted");
  Settle();
  EXPECT_EQ(State(), "unlocked");
}

// LOCK-SEMANTICS 6 lockdown: the mechanical key works and is recorded with source key.
TEST_F(ModesTest, Lockdown_MechanicalKeyWorks) {
  SetMode(OperatingMode::kLockdown);
  ASSERT_TRUE(ByHand(Source::kKey, Operation::kUnlock).ok());
  EXPECT_EQ(State(), "unlocked");
  const auto unlocks = OperationEvents(Operation::kUnlock);
  ASSERT_EQ(unlocks.size(), 1u);
  EXPECT_EQ(unlocks[0].source, std::optional<Source>(Source::kKey));
}

// lock-choices: the inside thumbturn always works, lockdown included (free egress).
TEST_F(ModesTest, Lockdown_ThumbturnWorks) {
  SetMode(OperatingMode::kLockdown);
  ASSERT_TRUE(ByHand(Source::kManual, Operation::kUnlock).ok());
  EXPECT_EQ(State(), "unlocked");
  const auto unlocks = OperationEvents(Operation::kUnlock);
  ASSERT_EQ(unlocks.size(), 1u);
  EXPECT_EQ(unlocks[0].source, std::optional<Source>(Source::kManual));
}

// lock-choices: a configured lockdown wins over a holiday's mode.
TEST_F(ModesTest, Lockdown_WinsOverHoliday) {
  AddFullUser();
  HolidaySchedule h;
  h.start = LocalDateTime{2026, 11, 25, 0, 0};
  h.end = LocalDateTime{2026, 11, 26, 0, 0};
  h.mode = OperatingMode::kNoRemote;
  ASSERT_TRUE(lock().SetHoliday(h, owner_).ok());
  Advance(1'000);
  EXPECT_EQ(Mode(), OperatingMode::kNoRemote);
  SetMode(OperatingMode::kLockdown);
  Advance(1'000);
  EXPECT_EQ(Mode(), OperatingMode::kLockdown);
  EXPECT_EQ(D(Keypad(kPin)), "denied:mode");
}

}  // namespace
}  // namespace latchkey::core
