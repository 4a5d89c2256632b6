// LOCK-SEMANTICS.md 7: the access decision, step by step in the order of the spec (lockout, mode,
// match, user, rule, power, grant), then the keypad, remote commands, outside locking and the
// events that record each decision. Choices where the spec is silent: docs/lock-choices.md.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "lock_fixture.h"

namespace latchkey::core {
namespace {

constexpr char kPin[] = "123456";
constexpr char kPin2[] = "654321";
constexpr char kWrong[] = "999999";
constexpr char kProgPin[] = "24681357";
constexpr char kCard[] = "04A1B2C3";
constexpr char kFinger[] = "alice-right-index";
constexpr char kFace[] = "alice-face";

class AccessTest : public LockTest {
 protected:
  // "granted", "pending" or "denied:<reason>": readable in failure messages.
  static std::string D(const Decision& d) {
    std::string out(ToString(d.result));
    if (d.reason) out += ":" + std::string(ToString(*d.reason));
    return out;
  }
  static std::string D(const Result<std::optional<Decision>>& r) {
    if (!r.ok()) return "error:" + r.status().ToString();
    if (!r.value()) return "nothing";
    return D(*r.value());
  }
  std::string State() { return std::string(ToString(lock().status().lock_state)); }

  Decision PresentAt(Source source, const std::string& data) {
    auto r = lock().Present(source, data);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Decision{};
  }
  Decision Card(const std::string& uid) { return PresentAt(Source::kRfid, uid); }
  Decision Finger(const std::string& t) { return PresentAt(Source::kFingerprint, t); }
  Decision Face(const std::string& t) { return PresentAt(Source::kFace, t); }
  Result<std::optional<Decision>> Keys(std::string_view keys) { return lock().PressKeys(keys); }

  void ModifyUser(UserIndex user, std::optional<UserStatus> status,
                  std::optional<CredentialRule> rule = std::nullopt) {
    UserRequest request;
    request.index = user;
    request.status = status;
    request.credential_rule = rule;
    auto modified = lock().ModifyUser(request, owner_);
    ASSERT_TRUE(modified.ok()) << modified.status().ToString();
  }
  UserStatus StatusOf(UserIndex user) {
    auto u = lock().GetUser(user);
    EXPECT_TRUE(u.ok()) << u.status().ToString();
    return u.ok() ? u->status : UserStatus::kEnabled;
  }
  void SetMode(OperatingMode mode) {
    SettingsPatch p;
    p.operating_mode = mode;
    Patch(p);
  }
  void SetRelock(uint32_t s) {
    SettingsPatch p;
    p.auto_relock_s = s;
    Patch(p);
  }
  // Lets the motor finish and checks where the bolt ended.
  void SettleUnlocked() {
    Advance(config_.motor_ms);
    EXPECT_EQ(State(), "unlocked");
  }
  void UnlockFirst() {
    RemoteOp(Operation::kUnlock);
    SettleUnlocked();
  }
  uint32_t WrongAttempts() { return lock().status().wrong_attempts; }  // the door class
  uint32_t RemoteWrongAttempts() { return lock().status().remote_wrong_attempts; }
  int64_t LockoutMs() { return lock().status().lockout_remaining_ms; }
  // Presents wrong codes until a lockout runs; returns its length.
  int64_t WrongCodesUntilLockout() {
    for (int i = 0; i < 300 && LockoutMs() == 0; ++i) {
      EXPECT_EQ(D(Keypad(kWrong)), "denied:invalid_credential");
    }
    return LockoutMs();
  }
  // Access decisions recorded: lock_operation and lock_operation_error events.
  std::size_t DecisionEvents() {
    return EventsOfKind(EventKind::kLockOperation).size() +
           EventsOfKind(EventKind::kLockOperationError).size();
  }
  std::vector<Event> ErrorEvents(AccessError error) {
    std::vector<Event> out;
    for (const auto& e : EventsOfKind(EventKind::kLockOperationError)) {
      if (e.error == error) out.push_back(e);
    }
    return out;
  }
  std::vector<Event> OperationEvents(Operation op) {
    std::vector<Event> out;
    for (const auto& e : EventsOfKind(EventKind::kLockOperation)) {
      if (e.operation == op) out.push_back(e);
    }
    return out;
  }
  int AlarmSignals() {
    int n = 0;
    for (const auto& e : feedback_.entries) n += e.signal == Signal::kAlarm ? 1 : 0;
    return n;
  }
};

// ===========================================================================================
// 7.1 Lockout
// ===========================================================================================

// LOCK-SEMANTICS 7.1: during a lockout every attempt is refused with `lockout`; it neither counts
// nor extends the lockout, and records no operation event.
TEST_F(AccessTest, Rule7_1_LockoutRefusesEverythingWithoutCountingExtendingOrRecording) {
  const UserIndex user = AddPinUser(kPin);
  AddCredentialTo(user, CredentialType::kRfid, kCard);
  ASSERT_EQ(WrongCodesUntilLockout(), 60'000);
  const uint32_t wrong = WrongAttempts();
  const std::size_t recorded = DecisionEvents();
  const std::size_t all_events = events().size();
  const int drives = bolt_.drives();

  Advance(10'000);
  EXPECT_EQ(D(Keypad(kWrong)), "denied:lockout");
  EXPECT_EQ(D(Keypad(kPin)), "denied:lockout");
  EXPECT_EQ(D(Card(kCard)), "denied:lockout");
  EXPECT_EQ(D(Card("DEADBEEF")), "denied:lockout");
  EXPECT_EQ(D(Finger("nobody")), "denied:lockout");
  // Remote PINs are the other class (7.3 revised): a door lockout does not refuse them
  // (tests/unit/guessing_test.cc).

  EXPECT_EQ(WrongAttempts(), wrong) << "attempts during a lockout must not count";
  EXPECT_EQ(LockoutMs(), 50'000) << "attempts during a lockout must not extend it";
  EXPECT_EQ(DecisionEvents(), recorded) << "a lockout refusal records no operation event";
  EXPECT_EQ(events().size(), all_events);
  EXPECT_EQ(Alarms(AlarmKind::kWrongCodeLimit).size(), 1u);
  EXPECT_EQ(bolt_.drives(), drives);
  EXPECT_EQ(State(), "locked");

  Advance(50'000);
  EXPECT_EQ(LockoutMs(), 0);
  EXPECT_EQ(D(Keypad(kPin)), "granted");
}

// LOCK-SEMANTICS 7.1 + lock-choices "remote command without a PIN": authenticated by the hub
// account, it is not subject to a keypad lockout.
TEST_F(AccessTest, Rule7_1_RemoteWithoutPinIsNotSubjectToLockout) {
  AddPinUser(kPin);
  ASSERT_GT(WrongCodesUntilLockout(), 0);
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock)), "granted");
  SettleUnlocked();
  EXPECT_GT(LockoutMs(), 0) << "the remote grant does not end the keypad lockout";
  EXPECT_EQ(D(Keypad(kPin)), "denied:lockout");
}

// LOCK-SEMANTICS 7 order: lockout (1) comes before mode (2).
TEST_F(AccessTest, Rule7_Order_LockoutBeforeMode) {
  AddPinUser(kPin);
  ASSERT_GT(WrongCodesUntilLockout(), 0);
  SetMode(OperatingMode::kPrivacy);
  EXPECT_EQ(D(Keypad(kPin)), "denied:lockout");
  EXPECT_EQ(D(Card(kCard)), "denied:lockout");
}

// ===========================================================================================
// 7.2 Mode
// ===========================================================================================

// LOCK-SEMANTICS 7.2: a mode that forbids the interface refuses with `mode` before the match, so
// a wrong code in privacy mode is `mode` and does not count.
TEST_F(AccessTest, Rule7_2_ModeRefusesBeforeMatchAndDoesNotCount) {
  AddPinUser(kPin);
  SetMode(OperatingMode::kPrivacy);
  EXPECT_EQ(D(Keypad(kPin)), "denied:mode");
  EXPECT_EQ(D(Keypad(kWrong)), "denied:mode");
  EXPECT_EQ(D(Card("DEADBEEF")), "denied:mode");
  EXPECT_EQ(WrongAttempts(), 0u);
  EXPECT_EQ(ErrorEvents(AccessError::kMode).size(), 3u);
  EXPECT_EQ(bolt_.drives(), 0);
}

// LOCK-SEMANTICS 7.2/6: in no_remote a remote command with a wrong PIN is `mode` and not counted.
TEST_F(AccessTest, Rule7_2_NoRemoteRefusesRemotePinBeforeMatch) {
  AddPinUser(kPin);
  SetMode(OperatingMode::kNoRemote);
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock, kWrong)), "denied:mode");
  EXPECT_EQ(RemoteWrongAttempts(), 0u);
  EXPECT_EQ(WrongAttempts(), 0u);
}

// ===========================================================================================
// 7.3 Match and the wrong-attempt counter
// ===========================================================================================

// LOCK-SEMANTICS 7.3: no stored credential matches: `invalid_credential`; the counter rises.
TEST_F(AccessTest, Rule7_3_NoMatchIsInvalidCredentialAndCounts) {
  AddPinUser(kPin);
  const Decision d = Keypad(kWrong);
  EXPECT_EQ(D(d), "denied:invalid_credential");
  EXPECT_FALSE(d.user.has_value());
  EXPECT_EQ(WrongAttempts(), 1u);
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(bolt_.drives(), 0);
  ASSERT_EQ(ErrorEvents(AccessError::kInvalidCredential).size(), 1u);
}

// LOCK-SEMANTICS 7.3: failing credentials of every kind and every interface count, remote PINs
// included, and a remote command without a PIN while require_pin_for_remote is true; since the
// revision, the door's interfaces in the door counter and the remote ones in the remote counter.
TEST_F(AccessTest, Rule7_3_CounterRisesOverEveryInterface) {
  const UserIndex user = AddPinUser(kPin);
  AddCredentialTo(user, CredentialType::kRfid, kCard);
  SettingsPatch p;
  p.wrong_code_limit = 20;
  p.require_pin_for_remote = true;
  Patch(p);

  EXPECT_EQ(D(Keypad(kWrong)), "denied:invalid_credential");
  EXPECT_EQ(WrongAttempts(), 1u) << "keypad";
  EXPECT_EQ(D(Card("DEADBEEF")), "denied:invalid_credential");
  EXPECT_EQ(WrongAttempts(), 2u) << "rfid";
  EXPECT_EQ(D(Finger("mallory-thumb")), "denied:invalid_credential");
  EXPECT_EQ(WrongAttempts(), 3u) << "fingerprint";
  EXPECT_EQ(D(Face("mallory")), "denied:invalid_credential");
  EXPECT_EQ(WrongAttempts(), 4u) << "face";
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock, kWrong)), "denied:invalid_credential");
  EXPECT_EQ(RemoteWrongAttempts(), 1u) << "remote PIN";
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock)), "denied:invalid_credential");
  EXPECT_EQ(RemoteWrongAttempts(), 2u) << "remote without PIN while require_pin_for_remote";
  EXPECT_EQ(WrongAttempts(), 4u) << "remote attempts are not door attempts";
  EXPECT_EQ(D(Keys("000000#")), "denied:invalid_credential");
  EXPECT_EQ(WrongAttempts(), 5u) << "keypad keys";
  EXPECT_EQ(bolt_.drives(), 0);
  EXPECT_EQ(State(), "locked");
}

// LOCK-SEMANTICS 7.3: wrong attempts from the door's different interfaces add up to one lockout
// (remote ones are the other class since the revision: they do not).
TEST_F(AccessTest, Rule7_3_MixedInterfacesReachTheLimitTogether) {
  AddPinUser(kPin);
  EXPECT_EQ(D(Keypad(kWrong)), "denied:invalid_credential");
  EXPECT_EQ(D(Card("DEADBEEF")), "denied:invalid_credential");
  EXPECT_EQ(D(Finger("x")), "denied:invalid_credential");
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock, kWrong)), "denied:invalid_credential");
  EXPECT_EQ(D(Face("y")), "denied:invalid_credential");
  EXPECT_EQ(LockoutMs(), 0);
  EXPECT_EQ(D(Keys("000000#")), "denied:invalid_credential");
  EXPECT_EQ(LockoutMs(), 60'000);
  EXPECT_EQ(Alarms(AlarmKind::kWrongCodeLimit).size(), 1u);
  EXPECT_EQ(D(Keypad(kPin)), "denied:lockout");
}

// LOCK-SEMANTICS 7.3: without require_pin_for_remote a remote command without a PIN is granted
// and is no wrong attempt.
TEST_F(AccessTest, Rule7_3_RemoteWithoutPinDoesNotCountWhenPinNotRequired) {
  AddPinUser(kPin);
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock)), "granted");
  EXPECT_EQ(WrongAttempts(), 0u);
}

// LOCK-SEMANTICS 7.3: reaching wrong_code_limit starts a lockout of lockout_s and raises exactly
// one wrong_code_limit alarm; the lockout ends after lockout_s.
TEST_F(AccessTest, Rule7_3_ReachingWrongCodeLimitStartsLockoutAndRaisesOneAlarm) {
  AddPinUser(kPin);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(D(Keypad(kWrong)), "denied:invalid_credential");
  EXPECT_EQ(LockoutMs(), 0);
  EXPECT_TRUE(Alarms(AlarmKind::kWrongCodeLimit).empty());
  EXPECT_EQ(D(Keypad(kWrong)), "denied:invalid_credential") << "the 5th wrong code is still a no-match";
  EXPECT_EQ(LockoutMs(), 60'000);
  EXPECT_EQ(Alarms(AlarmKind::kWrongCodeLimit).size(), 1u);

  EXPECT_EQ(D(Keypad(kPin)), "denied:lockout");
  Advance(59'000);
  EXPECT_EQ(D(Keypad(kPin)), "denied:lockout");
  Advance(1'000);
  EXPECT_EQ(D(Keypad(kPin)), "granted");
  EXPECT_EQ(Alarms(AlarmKind::kWrongCodeLimit).size(), 1u);
}

// LOCK-SEMANTICS 7.3 + 2 lockout_escalation: each further lockout without a success in between
// doubles, up to lockout_max_s (lock-choices: lockout_s x 2^level); a grant starts again at
// lockout_s.
TEST_F(AccessTest, Rule7_3_EscalationDoublesEachLockoutUpToMax) {
  AddPinUser(kPin);
  SettingsPatch p;
  p.wrong_code_limit = 2;
  p.lockout_s = 10;
  p.lockout_max_s = 35;
  Patch(p);

  EXPECT_EQ(WrongCodesUntilLockout(), 10'000);
  Advance(10'000);
  EXPECT_EQ(WrongCodesUntilLockout(), 20'000);
  Advance(20'000);
  EXPECT_EQ(WrongCodesUntilLockout(), 35'000) << "40 s capped at lockout_max_s";
  Advance(35'000);
  EXPECT_EQ(WrongCodesUntilLockout(), 35'000);
  Advance(35'000);
  EXPECT_EQ(Alarms(AlarmKind::kWrongCodeLimit).size(), 4u) << "one alarm per lockout";

  EXPECT_EQ(D(Keypad(kPin)), "granted") << "a success resets the escalation";
  EXPECT_EQ(WrongCodesUntilLockout(), 10'000);
}

// LOCK-SEMANTICS 7.3 + 2: without lockout_escalation every lockout lasts lockout_s.
TEST_F(AccessTest, Rule7_3_WithoutEscalationEveryLockoutIsLockoutS) {
  AddPinUser(kPin);
  SettingsPatch p;
  p.wrong_code_limit = 2;
  p.lockout_s = 10;
  p.lockout_escalation = false;
  Patch(p);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(WrongCodesUntilLockout(), 10'000) << "lockout #" << (i + 1);
    Advance(10'000);
  }
}

// LOCK-SEMANTICS 7.3: any granted credential resets the counter.
TEST_F(AccessTest, Rule7_3_GrantResetsTheCounter) {
  const UserIndex user = AddPinUser(kPin);
  AddCredentialTo(user, CredentialType::kRfid, kCard);
  for (int i = 0; i < 4; ++i) Keypad(kWrong);
  EXPECT_EQ(WrongAttempts(), 4u);
  EXPECT_EQ(D(Card(kCard)), "granted");
  EXPECT_EQ(WrongAttempts(), 0u);
  for (int i = 0; i < 4; ++i) Keypad(kWrong);
  EXPECT_EQ(LockoutMs(), 0) << "4 wrong codes after a grant are below the limit of 5";
  Keypad(kWrong);
  EXPECT_EQ(LockoutMs(), 60'000);
}

// LOCK-SEMANTICS 7.3: the wrong-attempt counter persists across power loss.
TEST_F(AccessTest, Rule7_3_CounterSurvivesReboot) {
  AddPinUser(kPin);
  for (int i = 0; i < 3; ++i) Keypad(kWrong);
  Reboot();
  EXPECT_EQ(WrongAttempts(), 3u);
  Keypad(kWrong);
  EXPECT_EQ(LockoutMs(), 0);
  Keypad(kWrong);
  EXPECT_EQ(LockoutMs(), 60'000) << "3 before + 2 after the reboot reach the limit";
}

// LOCK-SEMANTICS 7.3 + 8 time: a running lockout persists across power loss with what remained.
TEST_F(AccessTest, Rule7_3_RunningLockoutSurvivesReboot) {
  AddPinUser(kPin);
  ASSERT_EQ(WrongCodesUntilLockout(), 60'000);
  Advance(20'000);
  ASSERT_TRUE(lock().Checkpoint().ok());
  Reboot();
  EXPECT_EQ(LockoutMs(), 40'000);
  EXPECT_EQ(D(Keypad(kPin)), "denied:lockout");
  Advance(39'000);
  EXPECT_EQ(D(Keypad(kPin)), "denied:lockout");
  Advance(1'000);
  EXPECT_EQ(D(Keypad(kPin)), "granted");
}

// LOCK-SEMANTICS 7.3 + 2: the escalation level persists across power loss too (a reboot between
// lockouts does not reset the doubling).
TEST_F(AccessTest, Rule7_3_EscalationLevelSurvivesReboot) {
  AddPinUser(kPin);
  SettingsPatch p;
  p.wrong_code_limit = 2;
  p.lockout_s = 10;
  Patch(p);
  EXPECT_EQ(WrongCodesUntilLockout(), 10'000);
  Advance(10'000);
  Reboot();
  EXPECT_EQ(WrongCodesUntilLockout(), 20'000);
}

// LOCK-SEMANTICS 7.3 + lock-choices: cutting the power can never shorten a lockout, even
// without a checkpoint.
TEST_F(AccessTest, Rule7_3_RebootWithoutCheckpointNeverShortensLockout) {
  AddPinUser(kPin);
  ASSERT_EQ(WrongCodesUntilLockout(), 60'000);
  Advance(20'000);
  Reboot();
  EXPECT_GE(LockoutMs(), 40'000);
  EXPECT_LE(LockoutMs(), 60'000);
  EXPECT_EQ(D(Keypad(kPin)), "denied:lockout");
}

// ===========================================================================================
// 7.4 User
// ===========================================================================================

// LOCK-SEMANTICS 7.4: a disabled user is refused `disabled_user`; enabled again, it opens.
TEST_F(AccessTest, Rule7_4_DisabledUserIsRefused) {
  const UserIndex user = AddPinUser(kPin);
  ModifyUser(user, UserStatus::kDisabled);
  const Decision d = Keypad(kPin);
  EXPECT_EQ(D(d), "denied:disabled_user");
  EXPECT_EQ(d.user, std::optional<UserIndex>(user));
  EXPECT_EQ(bolt_.drives(), 0);
  const auto errors = ErrorEvents(AccessError::kDisabledUser);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].user, std::optional<IndexOrAll>(IndexOrAll{user, false}));

  ModifyUser(user, UserStatus::kEnabled);
  EXPECT_EQ(D(Keypad(kPin)), "granted");
}

// LOCK-SEMANTICS 7.4 + 3: a remote_only user is refused `restricted` at the keypad and works with
// its PIN in a remote command.
TEST_F(AccessTest, Rule7_4_RemoteOnlyRestrictedAtKeypadButWorksRemotely) {
  const UserIndex user = AddPinUser(kPin, UserType::kRemoteOnly);
  EXPECT_EQ(D(Keypad(kPin)), "denied:restricted");
  EXPECT_EQ(D(Keys(std::string(kPin) + "#")), "denied:restricted");
  EXPECT_EQ(bolt_.drives(), 0);
  EXPECT_EQ(ErrorEvents(AccessError::kRestricted).size(), 2u);

  const Decision d = RemoteOp(Operation::kUnlock, kPin);
  EXPECT_EQ(D(d), "granted");
  EXPECT_EQ(d.user, std::optional<UserIndex>(user));
  SettleUnlocked();
}

// LOCK-SEMANTICS 7 order: user (4) comes before power (6).
TEST_F(AccessTest, Rule7_Order_UserBeforePower) {
  const UserIndex user = AddPinUser(kPin);
  AddPinUser(kPin2, UserType::kRemoteOnly);
  ModifyUser(user, UserStatus::kDisabled);
  ASSERT_TRUE(lock().SetBattery(4480).ok());
  ASSERT_TRUE(lock().status().battery.critical);
  EXPECT_EQ(D(Keypad(kPin)), "denied:disabled_user");
  EXPECT_EQ(D(Keypad(kPin2)), "denied:restricted");
  EXPECT_EQ(D(Keypad(kWrong)), "denied:invalid_credential") << "match (3) before power (6)";
}

// ===========================================================================================
// 7.5 Rule: dual / tri
// ===========================================================================================

// LOCK-SEMANTICS 7.5: a dual user needs 2 different credentials within multi_factor_window_s;
// the first answers `pending`, the second grants.
TEST_F(AccessTest, Rule7_5_DualPendingThenGrantedWithSecondCredential) {
  const UserIndex user = AddPinUser(kPin);
  AddCredentialTo(user, CredentialType::kRfid, kCard);
  ModifyUser(user, std::nullopt, CredentialRule::kDual);

  EXPECT_EQ(D(Keypad(kPin)), "pending");
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(bolt_.drives(), 0);
  Advance(9'000);
  const Decision d = Card(kCard);
  EXPECT_EQ(D(d), "granted");
  EXPECT_EQ(d.user, std::optional<UserIndex>(user));
  SettleUnlocked();
  EXPECT_EQ(OperationEvents(Operation::kUnlock).size(), 1u);
}

// LOCK-SEMANTICS 7.5: a tri user needs 3 different credentials within the window.
TEST_F(AccessTest, Rule7_5_TriNeedsThreeDifferentCredentials) {
  const UserIndex user = AddPinUser(kPin);
  AddCredentialTo(user, CredentialType::kRfid, kCard);
  AddCredentialTo(user, CredentialType::kFingerprint, kFinger);
  ModifyUser(user, std::nullopt, CredentialRule::kTri);

  EXPECT_EQ(D(Card(kCard)), "pending");
  Advance(3'000);
  EXPECT_EQ(D(Keypad(kPin)), "pending");
  EXPECT_EQ(State(), "locked");
  Advance(3'000);
  EXPECT_EQ(D(Finger(kFinger)), "granted");
  SettleUnlocked();
}

// LOCK-SEMANTICS 7.5 + lock-choices: presenting the same credential twice does not count.
TEST_F(AccessTest, Rule7_5_SameCredentialTwiceDoesNotCount) {
  const UserIndex user = AddPinUser(kPin);
  AddCredentialTo(user, CredentialType::kRfid, kCard);
  ModifyUser(user, std::nullopt, CredentialRule::kDual);

  EXPECT_EQ(D(Keypad(kPin)), "pending");
  EXPECT_EQ(D(Keypad(kPin)), "pending");
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(bolt_.drives(), 0);
  EXPECT_EQ(D(Card(kCard)), "granted");
}

// LOCK-SEMANTICS 7.5 + lock-choices: when the window passes the lock records
// lock_operation_error `incomplete`, and a later credential starts over.
TEST_F(AccessTest, Rule7_5_WindowPassesRecordsIncomplete) {
  const UserIndex user = AddPinUser(kPin);
  AddCredentialTo(user, CredentialType::kRfid, kCard);
  ModifyUser(user, std::nullopt, CredentialRule::kDual);

  EXPECT_EQ(D(Keypad(kPin)), "pending");
  Advance(11'000);
  const auto incomplete = ErrorEvents(AccessError::kIncomplete);
  ASSERT_EQ(incomplete.size(), 1u);
  EXPECT_EQ(incomplete[0].user, std::optional<IndexOrAll>(IndexOrAll{user, false}));
  EXPECT_EQ(D(Card(kCard)), "pending") << "the pin presented before the window passed is forgotten";
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(bolt_.drives(), 0);
}

// LOCK-SEMANTICS 7.5: a tri user with only two credentials in the window is `incomplete`.
TEST_F(AccessTest, Rule7_5_TriWithTwoCredentialsIsIncomplete) {
  const UserIndex user = AddPinUser(kPin);
  AddCredentialTo(user, CredentialType::kRfid, kCard);
  AddCredentialTo(user, CredentialType::kFingerprint, kFinger);
  ModifyUser(user, std::nullopt, CredentialRule::kTri);
  SettingsPatch p;
  p.multi_factor_window_s = 5;
  Patch(p);

  EXPECT_EQ(D(Keypad(kPin)), "pending");
  EXPECT_EQ(D(Card(kCard)), "pending");
  Advance(6'000);
  EXPECT_EQ(ErrorEvents(AccessError::kIncomplete).size(), 1u);
  EXPECT_EQ(D(Finger(kFinger)), "pending");
  EXPECT_EQ(bolt_.drives(), 0);
}

// lock-choices multi-factor: a credential of another user while one is pending abandons the
// first (recorded as `incomplete`).
TEST_F(AccessTest, Rule7_5_OtherUserAbandonsPendingOne) {
  const UserIndex first = AddPinUser(kPin);
  AddCredentialTo(first, CredentialType::kRfid, kCard);
  ModifyUser(first, std::nullopt, CredentialRule::kDual);
  const UserIndex second = AddPinUser(kPin2);
  AddCredentialTo(second, CredentialType::kFingerprint, kFinger);
  ModifyUser(second, std::nullopt, CredentialRule::kDual);

  EXPECT_EQ(D(Keypad(kPin)), "pending");
  EXPECT_EQ(D(Keypad(kPin2)), "pending");
  const auto incomplete = ErrorEvents(AccessError::kIncomplete);
  ASSERT_EQ(incomplete.size(), 1u);
  EXPECT_EQ(incomplete[0].user, std::optional<IndexOrAll>(IndexOrAll{first, false}));
  EXPECT_EQ(D(Card(kCard)), "pending") << "the first user's pin was abandoned";
  EXPECT_EQ(bolt_.drives(), 0);
}

// LOCK-SEMANTICS 8 time: the multi-factor window is a duration that survives a reboot with what
// remained.
TEST_F(AccessTest, Rule7_5_MultiFactorWindowSurvivesReboot) {
  const UserIndex user = AddPinUser(kPin);
  AddCredentialTo(user, CredentialType::kRfid, kCard);
  ModifyUser(user, std::nullopt, CredentialRule::kDual);
  EXPECT_EQ(D(Keypad(kPin)), "pending");
  Advance(3'000);
  ASSERT_TRUE(lock().Checkpoint().ok());
  Reboot();
  EXPECT_EQ(D(Card(kCard)), "granted");
}

// LOCK-SEMANTICS 7 order: rule (5) comes before power (6): a dual user's first credential on a
// critical battery is `pending`, the completing one `insufficient_battery`.
TEST_F(AccessTest, Rule7_Order_RuleBeforePower) {
  const UserIndex user = AddPinUser(kPin);
  AddCredentialTo(user, CredentialType::kRfid, kCard);
  ModifyUser(user, std::nullopt, CredentialRule::kDual);
  ASSERT_TRUE(lock().SetBattery(4480).ok());
  EXPECT_EQ(D(Keypad(kPin)), "pending");
  EXPECT_EQ(D(Card(kCard)), "denied:insufficient_battery");
  EXPECT_EQ(bolt_.drives(), 0);
}

// ===========================================================================================
// 7.6 Power
// ===========================================================================================

// LOCK-SEMANTICS 7.6 + 8: battery critical and no external power: `insufficient_battery`;
// with emergency external power the same credential opens.
TEST_F(AccessTest, Rule7_6_CriticalBatteryRefusesUntilExternalPower) {
  AddPinUser(kPin);
  ASSERT_TRUE(lock().SetBattery(4480).ok());  // 2 %
  ASSERT_TRUE(lock().status().battery.critical);
  EXPECT_EQ(D(Keypad(kPin)), "denied:insufficient_battery");
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock)), "denied:insufficient_battery")
      << "lock-choices: a remote command without a PIN is subject to the battery";
  EXPECT_EQ(bolt_.drives(), 0);
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(ErrorEvents(AccessError::kInsufficientBattery).size(), 2u);

  ASSERT_TRUE(lock().SetExternalPower(true).ok());
  EXPECT_EQ(D(Keypad(kPin)), "granted");
  SettleUnlocked();
}

// LOCK-SEMANTICS 7.6: a low (not critical) battery still opens.
TEST_F(AccessTest, Rule7_6_LowButNotCriticalBatteryStillOpens) {
  AddPinUser(kPin);
  ASSERT_TRUE(lock().SetBattery(4700).ok());
  ASSERT_TRUE(lock().status().battery.low);
  ASSERT_FALSE(lock().status().battery.critical);
  EXPECT_EQ(D(Keypad(kPin)), "granted");
}

// ===========================================================================================
// 7.7 Grant and its side effects, one full scenario per user type
// ===========================================================================================

// LOCK-SEMANTICS 7.7 / 3 unrestricted: opens at any time; the bolt unlocks.
TEST_F(AccessTest, Rule7_7_UserType_UnrestrictedOpens) {
  const UserIndex user = AddPinUser(kPin);
  const Decision d = Keypad(kPin);
  EXPECT_EQ(D(d), "granted");
  EXPECT_EQ(d.operation, Operation::kUnlock);
  EXPECT_EQ(d.user, std::optional<UserIndex>(user));
  EXPECT_EQ(bolt_.last_target(), std::optional<BoltTarget>(BoltTarget::kUnlocked));
  SettleUnlocked();
  // Late at night too.
  RemoteOp(Operation::kLock);
  Advance(config_.motor_ms);
  clock_.SetWall(clock_.WallMs() + 13 * 3600 * 1000);  // 23:00 UTC
  EXPECT_EQ(D(Keypad(kPin)), "granted");
}

// LOCK-SEMANTICS 7.7 / 3 non_access: granted with operation non_access, the bolt does not move,
// and the presentation is recorded.
TEST_F(AccessTest, Rule7_7_UserType_NonAccessRecordsAndDoesNotMoveBolt) {
  const UserIndex user = AddPinUser(kPin, UserType::kNonAccess);
  const Decision d = Keypad(kPin);
  EXPECT_EQ(D(d), "granted");
  EXPECT_EQ(d.operation, Operation::kNonAccess);
  Advance(1'000);
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(bolt_.drives(), 0);
  const auto ops = OperationEvents(Operation::kNonAccess);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].source, std::optional<Source>(Source::kKeypad));
  EXPECT_EQ(ops[0].user, std::optional<IndexOrAll>(IndexOrAll{user, false}));
  EXPECT_TRUE(OperationEvents(Operation::kUnlock).empty());
  // Each presentation is recorded.
  Keypad(kPin);
  EXPECT_EQ(OperationEvents(Operation::kNonAccess).size(), 2u);
  EXPECT_EQ(bolt_.drives(), 0);
}

// LOCK-SEMANTICS 7.7 / 3 forced: opens, records one lock_operation forced_user (no separate
// unlock event) and raises a silent forced_user alarm: no buzzer, no alarm light.
TEST_F(AccessTest, Rule7_7_UserType_ForcedOpensWithSilentAlarm) {
  const UserIndex user = AddPinUser(kPin, UserType::kForced);
  const Decision d = Keypad(kPin);
  EXPECT_EQ(D(d), "granted");
  SettleUnlocked();
  const auto forced = OperationEvents(Operation::kForcedUser);
  ASSERT_EQ(forced.size(), 1u);
  EXPECT_EQ(forced[0].user, std::optional<IndexOrAll>(IndexOrAll{user, false}));
  EXPECT_EQ(forced[0].source, std::optional<Source>(Source::kKeypad));
  EXPECT_TRUE(OperationEvents(Operation::kUnlock).empty()) << "no separate unlock event";
  EXPECT_EQ(Alarms(AlarmKind::kForcedUser).size(), 1u);
  EXPECT_FALSE(feedback_.Sounded(Signal::kAlarm)) << "the duress alarm must be silent";
  EXPECT_EQ(AlarmSignals(), 0) << "no alarm light either";
}

// LOCK-SEMANTICS 7.7 / 3 disposable: opens once; the lock then sets the user disabled.
TEST_F(AccessTest, Rule7_7_UserType_DisposableOpensOnce) {
  const UserIndex user = AddPinUser(kPin, UserType::kDisposable);
  EXPECT_EQ(D(Keypad(kPin)), "granted");
  SettleUnlocked();
  EXPECT_EQ(StatusOf(user), UserStatus::kDisabled);
  RemoteOp(Operation::kLock);
  Advance(config_.motor_ms);
  EXPECT_EQ(D(Keypad(kPin)), "denied:disabled_user");
  EXPECT_EQ(State(), "locked");
  Reboot();
  EXPECT_EQ(D(Keypad(kPin)), "denied:disabled_user");
}

// LOCK-SEMANTICS 7.7 / 3 disposable: a remote PIN counts as its one use too.
TEST_F(AccessTest, Rule7_7_UserType_DisposableRemotePinOnce) {
  const UserIndex user = AddPinUser(kPin, UserType::kDisposable);
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock, kPin)), "granted");
  EXPECT_EQ(StatusOf(user), UserStatus::kDisabled);
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock, kPin)), "denied:disabled_user");
}

// LOCK-SEMANTICS 7.7 / 3 expiring: opens for expiring_user_timeout_min after its first use, then
// the lock sets it disabled.
TEST_F(AccessTest, Rule7_7_UserType_ExpiringOpensUntilTimeoutAfterFirstUse) {
  SettingsPatch p;
  p.expiring_user_timeout_min = 2;
  Patch(p);
  const UserIndex user = AddPinUser(kPin, UserType::kExpiring);
  Advance(5 * 60'000);  // the clock runs before the first use: nothing expires yet
  EXPECT_EQ(D(Keypad(kPin)), "granted");
  SettleUnlocked();
  Advance(60'000);
  EXPECT_EQ(D(Keypad(kPin)), "granted");
  Advance(61'000);  // 2 min 1.4 s after the first use
  EXPECT_EQ(D(Keypad(kPin)), "denied:disabled_user");
  EXPECT_EQ(StatusOf(user), UserStatus::kDisabled);
}

// LOCK-SEMANTICS 3 expiring + 8 time: the deadline follows the wall clock and survives power
// loss (here: 3 minutes without power).
TEST_F(AccessTest, Rule7_7_UserType_ExpiringDeadlineSurvivesReboot) {
  SettingsPatch p;
  p.expiring_user_timeout_min = 2;
  Patch(p);
  AddPinUser(kPin, UserType::kExpiring);
  EXPECT_EQ(D(Keypad(kPin)), "granted");
  SettleUnlocked();
  Reboot();
  EXPECT_EQ(D(Keypad(kPin)), "granted") << "still inside the 2 minutes";
  Advance(1'000);
  clock_.SetWall(clock_.WallMs() + 3 * 60'000);  // the power was off for 3 minutes
  Reboot();
  EXPECT_EQ(D(Keypad(kPin)), "denied:disabled_user");
}

// LOCK-SEMANTICS 7.7 / 3 remote_only: full scenario (keypad refused, remote PIN opens and
// locks).
TEST_F(AccessTest, Rule7_7_UserType_RemoteOnlyScenario) {
  AddPinUser(kPin, UserType::kRemoteOnly);
  EXPECT_EQ(D(Keypad(kPin)), "denied:restricted");
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock, kPin)), "granted");
  SettleUnlocked();
  EXPECT_EQ(D(RemoteOp(Operation::kLock, kPin)), "granted");
  Advance(config_.motor_ms);
  EXPECT_EQ(State(), "locked");
}

// LOCK-SEMANTICS 7.7 / 3 programming: like unrestricted (opens with the programming PIN).
TEST_F(AccessTest, Rule7_7_UserType_ProgrammingOpens) {
  const UserIndex user = AddProgrammingPin(kProgPin);
  const Decision d = Keypad(kProgPin);
  EXPECT_EQ(D(d), "granted");
  EXPECT_EQ(d.user, std::optional<UserIndex>(user));
  SettleUnlocked();
  auto u = lock().GetUser(user);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->type, UserType::kProgramming);
}

// LOCK-SEMANTICS 7.4 / 3 week_day_schedule: opens only inside one of its week-day schedules.
// The fake clock starts on Wednesday 2026-11-25 at 10:00:00 UTC (1795600800000; the comment in
// fakes.h says 08:00, but that epoch value is 10:00), checked below.
TEST_F(AccessTest, Rule7_7_UserType_WeekDayScheduleOnlyInsideSchedule) {
  const auto now = zones_.ToLocal("UTC", clock_.WallMs());
  ASSERT_TRUE(now.has_value());
  ASSERT_EQ(now->weekday, static_cast<int>(Weekday::kWed));
  ASSERT_EQ(now->hour, 10);
  ASSERT_EQ(now->minute, 0);
  const UserIndex user = AddPinUser(kPin, UserType::kWeekDaySchedule);
  EXPECT_EQ(D(Keypad(kPin)), "denied:restricted") << "no schedule yet";
  WeekDaySchedule s;
  s.days = 1u << static_cast<int>(Weekday::kWed);
  s.start_min = 9 * 60;
  s.end_min = 10 * 60 + 1;  // 09:00..10:01
  ASSERT_TRUE(lock().SetWeekDaySchedule(user, s, owner_).ok());
  EXPECT_EQ(D(Keypad(kPin)), "granted");
  SettleUnlocked();
  RemoteOp(Operation::kLock);
  Advance(2 * 60'000);  // 10:02:00.8
  EXPECT_EQ(D(Keypad(kPin)), "denied:restricted");
  EXPECT_EQ(ErrorEvents(AccessError::kRestricted).size(), 2u);
}

// LOCK-SEMANTICS 7.4 / 3 year_day_schedule: opens only inside one of its date ranges.
TEST_F(AccessTest, Rule7_7_UserType_YearDayScheduleOnlyInsideRange) {
  const UserIndex user = AddPinUser(kPin, UserType::kYearDaySchedule);
  YearDaySchedule s;
  s.start = LocalDateTime{2026, 11, 25, 9, 0};
  s.end = LocalDateTime{2026, 11, 25, 10, 1};
  ASSERT_TRUE(lock().SetYearDaySchedule(user, s, owner_).ok());
  EXPECT_EQ(D(Keypad(kPin)), "granted");
  SettleUnlocked();
  RemoteOp(Operation::kLock);
  Advance(2 * 60'000);
  EXPECT_EQ(D(Keypad(kPin)), "denied:restricted");
}

// LOCK-SEMANTICS 7.4 / 3 schedule_restricted: with none, never; with one kind, that kind; with
// both kinds, both.
TEST_F(AccessTest, Rule7_7_UserType_ScheduleRestrictedMustSatisfyItsSchedules) {
  const UserIndex user = AddPinUser(kPin, UserType::kScheduleRestricted);
  EXPECT_EQ(D(Keypad(kPin)), "denied:restricted") << "no schedules: never";

  WeekDaySchedule wd;
  wd.days = 0x7f;
  wd.start_min = 9 * 60;
  wd.end_min = 11 * 60;
  ASSERT_TRUE(lock().SetWeekDaySchedule(user, wd, owner_).ok());
  EXPECT_EQ(D(Keypad(kPin)), "granted") << "only week-day: inside it";
  SettleUnlocked();
  RemoteOp(Operation::kLock);
  Advance(config_.motor_ms);

  YearDaySchedule yd;  // a range that is over
  yd.start = LocalDateTime{2026, 1, 1, 0, 0};
  yd.end = LocalDateTime{2026, 2, 1, 0, 0};
  ASSERT_TRUE(lock().SetYearDaySchedule(user, yd, owner_).ok());
  EXPECT_EQ(D(Keypad(kPin)), "denied:restricted") << "both kinds: both must hold";

  yd.start = LocalDateTime{2026, 11, 1, 0, 0};
  yd.end = LocalDateTime{2026, 12, 1, 0, 0};
  ASSERT_TRUE(lock().SetYearDaySchedule(user, yd, owner_).ok());  // overwrite index 1
  EXPECT_EQ(D(Keypad(kPin)), "granted");
}

// ===========================================================================================
// The keypad (PressKeys)
// ===========================================================================================

// lock.h PressKeys + API.md sim keypad: '#' submits.
TEST_F(AccessTest, Keypad_HashSubmits) {
  AddPinUser(kPin);
  EXPECT_EQ(D(Keys(std::string(kPin) + "#")), "granted");
}

// lock.h PressKeys: keys typed in several calls are buffered until '#'.
TEST_F(AccessTest, Keypad_KeysBufferAcrossCalls) {
  AddPinUser(kPin);
  EXPECT_EQ(D(Keys("123")), "nothing");
  EXPECT_EQ(D(Keys("45")), "nothing");
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(D(Keys("6#")), "granted");
}

// lock.h PressKeys: '*' clears what was typed.
TEST_F(AccessTest, Keypad_StarClears) {
  AddPinUser(kPin);
  EXPECT_EQ(D(Keys("99*123456#")), "granted");
  EXPECT_EQ(D(Keys("12345")), "nothing");
  EXPECT_EQ(D(Keys("*")), "nothing");
  EXPECT_EQ(D(Keys("6#")), "denied:invalid_credential") << "only '6' was left after '*'";
}

// lock-choices: a submission longer than max_pin_length digits is a wrong code.
TEST_F(AccessTest, Keypad_TooLongInputIsAWrongCode) {
  AddPinUser(kPin);
  EXPECT_EQ(D(Keys("1234567890123#")), "denied:invalid_credential");  // 13 digits
  EXPECT_EQ(WrongAttempts(), 1u);
  EXPECT_EQ(D(Keys(std::string(40, '1') + "#")), "denied:invalid_credential");
  EXPECT_EQ(WrongAttempts(), 2u);
  EXPECT_EQ(D(Keys(std::string(kPin) + "#")), "granted") << "the buffer was reset";
}

// lock-choices: a submission too short for any PIN is also a wrong code (it matches nothing).
TEST_F(AccessTest, Keypad_TooShortInputIsAWrongCode) {
  AddPinUser(kPin);
  EXPECT_EQ(D(Keys("12#")), "denied:invalid_credential");
  EXPECT_EQ(WrongAttempts(), 1u);
}

// lock.h PressKeys: keys other than digits, '*' and '#' are invalid.
TEST_F(AccessTest, Keypad_BadCharactersAreInvalid) {
  AddPinUser(kPin);
  auto r = Keys("12a4#");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalid);
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(WrongAttempts(), 0u);
  r = Keys("12 34");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalid);
}

// lock-choices: an empty submission ('#' alone) is ignored.
TEST_F(AccessTest, Keypad_EmptySubmissionIsIgnored) {
  AddPinUser(kPin);
  EXPECT_EQ(D(Keys("#")), "nothing");
  EXPECT_EQ(WrongAttempts(), 0u);
  EXPECT_TRUE(EventsOfKind(EventKind::kLockOperationError).empty());
}

// lock-choices: keys typed without '#' are forgotten after 10 s.
TEST_F(AccessTest, Keypad_UnsubmittedKeysAreForgottenAfterTenSeconds) {
  AddPinUser(kPin);
  EXPECT_EQ(D(Keys("123")), "nothing");
  Advance(11'000);
  EXPECT_EQ(D(Keys("456#")), "denied:invalid_credential");
}

// lock.h PressKeys: several submissions in one call: the decision of the last is returned; each
// is decided.
TEST_F(AccessTest, Keypad_LastSubmissionDecides) {
  AddPinUser(kPin);
  EXPECT_EQ(D(Keys(std::string(kWrong) + "#" + kPin + "#")), "granted");
  EXPECT_EQ(ErrorEvents(AccessError::kInvalidCredential).size(), 1u);
  EXPECT_EQ(WrongAttempts(), 0u) << "the grant reset the counter";
}

// ===========================================================================================
// Remote commands
// ===========================================================================================

// LOCK-SEMANTICS 7 remote: unlock without a PIN (authenticated by the account) is recorded
// with source remote and the actor.
TEST_F(AccessTest, Remote_UnlockWithoutPin) {
  const Decision d = RemoteOp(Operation::kUnlock);
  EXPECT_EQ(D(d), "granted");
  EXPECT_EQ(d.operation, Operation::kUnlock);
  EXPECT_FALSE(d.user.has_value());
  SettleUnlocked();
  const Event e = OperationEvents(Operation::kUnlock).at(0);
  EXPECT_EQ(e.source, std::optional<Source>(Source::kRemote));
  EXPECT_EQ(e.actor, std::optional<std::string>(std::string(kOwner)));
  EXPECT_FALSE(e.user.has_value());
  EXPECT_FALSE(e.credential.has_value());
}

// LOCK-SEMANTICS 7 remote: a PIN, when given, is always checked; a right PIN names its user.
TEST_F(AccessTest, Remote_PinIsAlwaysChecked) {
  const UserIndex user = AddPinUser(kPin);
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock, kWrong)), "denied:invalid_credential");
  EXPECT_EQ(bolt_.drives(), 0);
  EXPECT_EQ(RemoteWrongAttempts(), 1u);

  const Decision d = RemoteOp(Operation::kUnlock, kPin);
  EXPECT_EQ(D(d), "granted");
  EXPECT_EQ(d.user, std::optional<UserIndex>(user));
  SettleUnlocked();
  const Event e = OperationEvents(Operation::kUnlock).at(0);
  EXPECT_EQ(e.source, std::optional<Source>(Source::kRemote));
  EXPECT_EQ(e.user, std::optional<IndexOrAll>(IndexOrAll{user, false}));
  ASSERT_TRUE(e.credential.has_value());
  EXPECT_EQ(e.credential->type, CredentialType::kPin);
  EXPECT_EQ(e.actor, std::optional<std::string>(std::string(kOwner)));
}

// LOCK-SEMANTICS 2 require_pin_for_remote: without a PIN: invalid_credential; with one: granted.
TEST_F(AccessTest, Remote_RequirePinForRemote) {
  AddPinUser(kPin);
  SettingsPatch p;
  p.require_pin_for_remote = true;
  Patch(p);
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock)), "denied:invalid_credential");
  EXPECT_EQ(bolt_.drives(), 0);
  EXPECT_EQ(D(RemoteOp(Operation::kUnlock, kPin)), "granted");
  SettleUnlocked();
}

// LOCK-SEMANTICS 7 remote: lock and unlatch commands.
TEST_F(AccessTest, Remote_LockAndUnlatch) {
  AddPinUser(kPin);
  UnlockFirst();
  const Decision lock_d = RemoteOp(Operation::kLock, kPin);
  EXPECT_EQ(D(lock_d), "granted");
  EXPECT_EQ(lock_d.operation, Operation::kLock);
  Advance(config_.motor_ms);
  EXPECT_EQ(State(), "locked");
  EXPECT_EQ(OperationEvents(Operation::kLock).size(), 1u);

  const Decision unlatch = RemoteOp(Operation::kUnlatch);
  EXPECT_EQ(D(unlatch), "granted");
  EXPECT_EQ(unlatch.operation, Operation::kUnlatch);
  Advance(config_.motor_ms);
  EXPECT_EQ(State(), "unlatched");
  EXPECT_EQ(OperationEvents(Operation::kUnlatch).size(), 1u);
}

// ===========================================================================================
// Locking from outside (7 last paragraph; lock-choices one-touch locking)
// ===========================================================================================

// LOCK-SEMANTICS 7 + 2 one_touch_locking: the outside button locks without a credential.
TEST_F(AccessTest, OutsideLock_OneTouchButtonLocks) {
  UnlockFirst();
  auto r = lock().PressButton();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(D(*r), "granted");
  EXPECT_EQ(r->operation, Operation::kLock);
  Advance(config_.motor_ms);
  EXPECT_EQ(State(), "locked");
  const auto locks = OperationEvents(Operation::kLock);
  ASSERT_EQ(locks.size(), 1u);
  EXPECT_EQ(locks[0].source, std::optional<Source>(Source::kButton));
}

// LOCK-SEMANTICS 7: locking from outside needs a credential unless one_touch_locking;
// lock-choices: the button arms a lock intent and the next granted credential locks.
TEST_F(AccessTest, OutsideLock_WithoutOneTouchNeedsACredential) {
  AddPinUser(kPin);
  SettingsPatch p;
  p.one_touch_locking = false;
  Patch(p);
  UnlockFirst();
  const int drives = bolt_.drives();

  auto r = lock().PressButton();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(D(*r), "granted");
  Advance(config_.motor_ms);
  EXPECT_EQ(State(), "unlocked") << "the button alone must not lock";
  EXPECT_EQ(bolt_.drives(), drives);

  const Decision d = Keypad(kPin);
  EXPECT_EQ(D(d), "granted");
  EXPECT_EQ(d.operation, Operation::kLock);
  Advance(config_.motor_ms);
  EXPECT_EQ(State(), "locked");
}

// lock-choices: without the button a credential on an unlocked lock leaves the bolt where it is;
// the lock intent of the button lasts multi_factor_window_s.
TEST_F(AccessTest, OutsideLock_LockIntentExpires) {
  AddPinUser(kPin);
  SettingsPatch p;
  p.one_touch_locking = false;
  Patch(p);
  UnlockFirst();
  const int drives = bolt_.drives();
  EXPECT_EQ(D(Keypad(kPin)), "granted");
  EXPECT_EQ(bolt_.drives(), drives) << "already unlocked: the bolt stays";

  ASSERT_TRUE(lock().PressButton().ok());
  Advance(11'000);
  const Decision d = Keypad(kPin);
  EXPECT_EQ(D(d), "granted");
  EXPECT_NE(d.operation, Operation::kLock);
  Advance(config_.motor_ms);
  EXPECT_EQ(State(), "unlocked");
}

// ===========================================================================================
// Events of decisions (7 + 9)
// ===========================================================================================

// LOCK-SEMANTICS 9 lock_operation: a grant records operation, source, user and credential.
TEST_F(AccessTest, Events_GrantRecordsSourceUserCredential) {
  const UserIndex user = AddPinUser(kPin);
  AddCredentialTo(user, CredentialType::kRfid, kCard);
  Keypad(kPin);
  SettleUnlocked();
  RemoteOp(Operation::kLock);
  Advance(config_.motor_ms);
  Card(kCard);
  SettleUnlocked();

  const auto unlocks = OperationEvents(Operation::kUnlock);
  ASSERT_EQ(unlocks.size(), 2u);
  EXPECT_EQ(unlocks[0].source, std::optional<Source>(Source::kKeypad));
  EXPECT_EQ(unlocks[0].user, std::optional<IndexOrAll>(IndexOrAll{user, false}));
  ASSERT_TRUE(unlocks[0].credential.has_value());
  EXPECT_EQ(unlocks[0].credential->type, CredentialType::kPin);
  EXPECT_EQ(unlocks[1].source, std::optional<Source>(Source::kRfid));
  ASSERT_TRUE(unlocks[1].credential.has_value());
  EXPECT_EQ(unlocks[1].credential->type, CredentialType::kRfid);
  EXPECT_EQ(unlocks[1].credential->index, 1u);
  EXPECT_EQ(unlocks[1].user, std::optional<IndexOrAll>(IndexOrAll{user, false}));
}

// LOCK-SEMANTICS 9 lock_operation_error: a denial records operation, source and error; an
// unknown credential has no user.
TEST_F(AccessTest, Events_DenialRecordsSourceAndError) {
  AddPinUser(kPin);
  Finger("stranger");
  const Event e = LastEvent();
  EXPECT_EQ(e.kind, EventKind::kLockOperationError);
  EXPECT_EQ(e.operation, std::optional<Operation>(Operation::kUnlock));
  EXPECT_EQ(e.source, std::optional<Source>(Source::kFingerprint));
  EXPECT_EQ(e.error, std::optional<AccessError>(AccessError::kInvalidCredential));
  EXPECT_FALSE(e.user.has_value());
  EXPECT_FALSE(e.credential.has_value());

  RemoteOp(Operation::kUnlock, kWrong);
  const Event r = LastEvent();
  EXPECT_EQ(r.kind, EventKind::kLockOperationError);
  EXPECT_EQ(r.source, std::optional<Source>(Source::kRemote));
  EXPECT_EQ(r.error, std::optional<AccessError>(AccessError::kInvalidCredential));
  EXPECT_EQ(r.actor, std::optional<std::string>(std::string(kOwner)));
}

// LOCK-SEMANTICS 9: a denied remote lock records operation lock.
TEST_F(AccessTest, Events_DeniedRemoteLockRecordsLockOperation) {
  AddPinUser(kPin);
  UnlockFirst();
  RemoteOp(Operation::kLock, kWrong);
  const Event e = LastEvent();
  EXPECT_EQ(e.kind, EventKind::kLockOperationError);
  EXPECT_EQ(e.operation, std::optional<Operation>(Operation::kLock));
  EXPECT_EQ(State(), "unlocked");
}

}  // namespace
}  // namespace latchkey::core
