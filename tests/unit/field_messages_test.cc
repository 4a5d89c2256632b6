// API.md "Errors": a 400 `invalid` names the field. The lock's own refusals reach the API
// unchanged (lock -> link -> hub), so each core refusal about a request field starts with that
// field as the API calls it ("data: ...", "index: ...") — and changes nothing.
#include <functional>
#include <string>
#include <vector>

#include "lock_fixture.h"

namespace latchkey::core {
namespace {

class FieldMessagesTest : public LockTest {
 protected:
  void SetUp() override {
    LockTest::SetUp();
    user_ = AddPinUser("246813");
    ASSERT_NE(user_, 0);
  }

  // Runs `call`; it must be refused as invalid with a message that starts with "`field`: ", and
  // leave the log (hence every user, credential, schedule and setting) as it was.
  void ExpectRefusal(const std::string& field, const std::function<Status()>& call) {
    const uint64_t seq = lock().last_seq();
    const Status s = call();
    EXPECT_EQ(s.code(), Code::kInvalid) << field << ": " << s.ToString();
    EXPECT_EQ(s.message().rfind(field + ": ", 0), 0u) << "should start with '" << field << ": ': " << s.message();
    EXPECT_EQ(lock().last_seq(), seq) << field << ": a refused request changed the lock";
  }

  Status AddCredential(CredentialType type, std::string data, std::optional<CredentialIndex> index = std::nullopt,
                       std::optional<UserIndex> user = std::nullopt) {
    CredentialRequest request;
    request.type = type;
    request.data = std::move(data);
    request.index = index;
    request.user = user;
    return lock().AddCredential(request, owner_).status();
  }

  UserIndex user_ = 0;
};

TEST_F(FieldMessagesTest, CredentialDataOfEveryType) {
  ExpectRefusal("data", [&] { return AddCredential(CredentialType::kPin, "12a456"); });
  ExpectRefusal("data", [&] { return AddCredential(CredentialType::kPin, ""); });
  ExpectRefusal("data", [&] { return AddCredential(CredentialType::kPin, "123"); });
  ExpectRefusal("data", [&] { return AddCredential(CredentialType::kPin, "1234567890123"); });
  ExpectRefusal("data", [&] { return AddCredential(CredentialType::kProgrammingPin, "12-456"); });
  ExpectRefusal("data", [&] { return AddCredential(CredentialType::kRfid, "XYZ12345"); });
  ExpectRefusal("data", [&] { return AddCredential(CredentialType::kRfid, "0A1B2C3D4"); });
  ExpectRefusal("data", [&] { return AddCredential(CredentialType::kRfid, "0A1B2C"); });
  ExpectRefusal("data", [&] { return AddCredential(CredentialType::kFingerprint, ""); });
  ExpectRefusal("data", [&] { return AddCredential(CredentialType::kFace, std::string(33, 'f')); });
  ExpectRefusal("data", [&] { return AddCredential(CredentialType::kFace, "\xc3\x28"); });
  ExpectRefusal("data", [&] { return AddCredential(CredentialType::kFingerprint, "left\tthumb"); });
  // Modifying runs the same checks.
  ExpectRefusal("data", [&] {
    return lock().ModifyCredential({CredentialType::kPin, 1}, "12a456", std::nullopt, owner_).status();
  });
}

TEST_F(FieldMessagesTest, CredentialTypeIndexAndOwner) {
  ExpectRefusal("type", [&] { return AddCredential(CredentialType::kPhoneKey, "key"); });
  ExpectRefusal("index", [&] { return AddCredential(CredentialType::kPin, "135791", 0); });
  ExpectRefusal("index", [&] { return AddCredential(CredentialType::kPin, "135791", 100000); });
  ExpectRefusal("index", [&] { return AddCredential(CredentialType::kProgrammingPin, "135791", 1); });
  ExpectRefusal("user", [&] { return AddCredential(CredentialType::kPin, "135791", std::nullopt, 0); });
  ExpectRefusal("user", [&] { return AddCredential(CredentialType::kPin, "135791", std::nullopt, 251); });
  ExpectRefusal("user", [&] { return AddCredential(CredentialType::kProgrammingPin, "135791", std::nullopt, user_); });
  ExpectRefusal("user_type", [&] {
    CredentialRequest request{CredentialType::kPin, std::nullopt, "135791", user_, UserType::kNonAccess, std::nullopt};
    return lock().AddCredential(request, owner_).status();
  });
  ExpectRefusal("user_status", [&] {
    CredentialRequest request{CredentialType::kPin, std::nullopt, "135791", user_, std::nullopt, UserStatus::kDisabled};
    return lock().AddCredential(request, owner_).status();
  });
  ExpectRefusal("user_type", [&] {
    CredentialRequest request{CredentialType::kPin, std::nullopt, "135791", std::nullopt, UserType::kProgramming,
                              std::nullopt};
    return lock().AddCredential(request, owner_).status();
  });
  ExpectRefusal("user_type", [&] {
    CredentialRequest request{CredentialType::kPin, std::nullopt, "135791", std::nullopt, static_cast<UserType>(99),
                              std::nullopt};
    return lock().AddCredential(request, owner_).status();
  });
  ExpectRefusal("index", [&] { return lock().GetCredential({CredentialType::kRfid, 0}).status(); });
  ExpectRefusal("type", [&] { return lock().ClearCredential({CredentialType::kProgrammingPin, 0}, owner_); });
  ExpectRefusal("type", [&] { return lock().ClearCredentials(CredentialType::kProgrammingPin, owner_); });
  ExpectRefusal("type", [&] { return lock().ClearCredentials(CredentialType::kPhoneKey, owner_); });
}

TEST_F(FieldMessagesTest, UserFields) {
  const auto add = [&](UserRequest request) { return lock().AddUser(request, owner_).status(); };
  const auto modify = [&](UserRequest request) { return lock().ModifyUser(request, owner_).status(); };
  ExpectRefusal("index", [&] { return add(UserRequest{.index = 0}); });
  ExpectRefusal("index", [&] { return add(UserRequest{.index = 251}); });
  ExpectRefusal("name", [&] { return add(UserRequest{.index = 7, .name = std::string(33, 'n')}); });
  ExpectRefusal("name", [&] { return add(UserRequest{.index = 7, .name = "\xff"}); });
  ExpectRefusal("type", [&] { return add(UserRequest{.index = 7, .type = UserType::kProgramming}); });
  ExpectRefusal("type", [&] { return add(UserRequest{.index = 7, .type = static_cast<UserType>(99)}); });
  ExpectRefusal("status", [&] { return add(UserRequest{.index = 7, .status = static_cast<UserStatus>(9)}); });
  ExpectRefusal("credential_rule",
                [&] { return add(UserRequest{.index = 7, .credential_rule = static_cast<CredentialRule>(9)}); });
  ExpectRefusal("index", [&] { return modify(UserRequest{.name = "x"}); });
  ExpectRefusal("index", [&] { return modify(UserRequest{.index = 300, .name = "x"}); });
  ExpectRefusal("type", [&] { return modify(UserRequest{.index = user_, .type = UserType::kProgramming}); });
  ExpectRefusal("index", [&] { return lock().GetUser(0).status(); });
  ExpectRefusal("index", [&] { return lock().ClearUser(251, owner_); });
}

TEST_F(FieldMessagesTest, ScheduleAndHolidayFields) {
  const auto week = [&](UserIndex user, uint32_t index, uint8_t days, uint16_t start, uint16_t end) {
    return lock().SetWeekDaySchedule(user, WeekDaySchedule{index, days, start, end}, owner_).status();
  };
  ExpectRefusal("user", [&] { return week(0, 1, 1, 480, 540); });
  ExpectRefusal("index", [&] { return week(user_, 11, 1, 480, 540); });
  ExpectRefusal("days", [&] { return week(user_, 1, 0, 480, 540); });
  ExpectRefusal("days", [&] { return week(user_, 1, 0x80, 480, 540); });
  ExpectRefusal("start", [&] { return week(user_, 1, 1, 24 * 60, 24 * 60 + 5); });
  ExpectRefusal("end", [&] { return week(user_, 1, 1, 480, 24 * 60); });
  ExpectRefusal("start", [&] { return week(user_, 1, 1, 540, 480); });
  ExpectRefusal("start", [&] { return week(user_, 1, 1, 480, 480); });

  const LocalDateTime jan1{2030, 1, 1, 0, 0}, jan2{2030, 1, 2, 0, 0}, feb30{2030, 2, 30, 0, 0};
  const auto year = [&](UserIndex user, uint32_t index, LocalDateTime start, LocalDateTime end) {
    return lock().SetYearDaySchedule(user, YearDaySchedule{index, start, end}, owner_).status();
  };
  ExpectRefusal("user", [&] { return year(251, 1, jan1, jan2); });
  ExpectRefusal("index", [&] { return year(user_, 11, jan1, jan2); });
  ExpectRefusal("start", [&] { return year(user_, 1, feb30, jan2); });
  ExpectRefusal("end", [&] { return year(user_, 1, jan1, feb30); });
  ExpectRefusal("start", [&] { return year(user_, 1, jan2, jan1); });
  ExpectRefusal("index", [&] { return lock().ClearSchedule(user_, ScheduleKind::kWeekDay, 0, owner_); });
  ExpectRefusal("index", [&] { return lock().ClearSchedule(user_, ScheduleKind::kYearDay, 11, owner_); });
  ExpectRefusal("user", [&] { return lock().ClearSchedule(0, ScheduleKind::kYearDay, std::nullopt, owner_); });

  const auto holiday = [&](uint32_t index, LocalDateTime start, LocalDateTime end, OperatingMode mode) {
    return lock().SetHoliday(HolidaySchedule{index, start, end, mode}, owner_).status();
  };
  ExpectRefusal("index", [&] { return holiday(11, jan1, jan2, OperatingMode::kVacation); });
  ExpectRefusal("start", [&] { return holiday(1, jan2, jan1, OperatingMode::kVacation); });
  ExpectRefusal("end", [&] { return holiday(1, jan1, feb30, OperatingMode::kVacation); });
  ExpectRefusal("operating_mode", [&] { return holiday(1, jan1, jan2, OperatingMode::kLockdown); });
  ExpectRefusal("operating_mode", [&] { return holiday(1, jan1, jan2, static_cast<OperatingMode>(42)); });
  ExpectRefusal("index", [&] { return lock().ClearHoliday(0, owner_); });
  ExpectRefusal("index", [&] { return lock().ClearHoliday(11, owner_); });
}

TEST_F(FieldMessagesTest, SettingsFields) {
  const auto patch = [&](SettingsPatch p) { return lock().UpdateSettings(p, owner_).status(); };
  ExpectRefusal("auto_relock_s", [&] { return patch(SettingsPatch{.auto_relock_s = 86401}); });
  ExpectRefusal("wrong_code_limit", [&] { return patch(SettingsPatch{.wrong_code_limit = 0}); });
  ExpectRefusal("lockout_s", [&] { return patch(SettingsPatch{.lockout_s = 3601}); });
  ExpectRefusal("lockout_max_s", [&] { return patch(SettingsPatch{.lockout_max_s = 0}); });
  ExpectRefusal("lockout_max_s", [&] { return patch(SettingsPatch{.lockout_s = 600, .lockout_max_s = 300}); });
  ExpectRefusal("max_wrong_per_hour", [&] { return patch(SettingsPatch{.max_wrong_per_hour = 61}); });
  ExpectRefusal("expiring_user_timeout_min", [&] { return patch(SettingsPatch{.expiring_user_timeout_min = 2881}); });
  ExpectRefusal("multi_factor_window_s", [&] { return patch(SettingsPatch{.multi_factor_window_s = 61}); });
  ExpectRefusal("door_ajar_s", [&] { return patch(SettingsPatch{.door_ajar_s = 3601}); });
  ExpectRefusal("sound_volume", [&] { return patch(SettingsPatch{.sound_volume = static_cast<SoundVolume>(9)}); });
  ExpectRefusal("operating_mode", [&] { return patch(SettingsPatch{.operating_mode = static_cast<OperatingMode>(9)}); });
  ExpectRefusal("timezone", [&] { return patch(SettingsPatch{.timezone = "Mars/Olympus_Mons"}); });
  ExpectRefusal("name", [&] { return patch(SettingsPatch{.name = ""}); });
  ExpectRefusal("name", [&] { return patch(SettingsPatch{.name = std::string(65, 'n')}); });
  ExpectRefusal("name", [&] { return patch(SettingsPatch{.name = "\xc0\xaf"}); });
  // Privacy is entered only while locked.
  ASSERT_EQ(RemoteOp(Operation::kUnlock).result, DecisionResult::kGranted);
  Advance(1000);
  ASSERT_EQ(lock().status().lock_state, LockState::kUnlocked);
  ExpectRefusal("operating_mode", [&] { return patch(SettingsPatch{.operating_mode = OperatingMode::kPrivacy}); });
}

TEST_F(FieldMessagesTest, RemoteSimulatedWorldAndClockFields) {
  const auto remote = [&](Operation op, std::optional<std::string> pin, std::optional<uint32_t> timeout) {
    RemoteCommand command;
    command.operation = op;
    command.pin = std::move(pin);
    command.timeout_s = timeout;
    command.actor = owner_;
    return lock().Remote(command).status();
  };
  ExpectRefusal("timeout_s", [&] { return remote(Operation::kLock, std::nullopt, 60); });
  ExpectRefusal("timeout_s", [&] { return remote(Operation::kUnlock, std::nullopt, 86401); });
  ExpectRefusal("pin", [&] { return remote(Operation::kUnlock, std::string(65, '1'), std::nullopt); });
  ExpectRefusal("keys", [&] { return lock().PressKeys("12a#").status(); });
  ExpectRefusal("keys", [&] { return lock().PressKeys(std::string(65, '1')).status(); });
  ExpectRefusal("uid", [&] { return lock().Present(Source::kRfid, std::string(257, 'A')).status(); });
  ExpectRefusal("template", [&] { return lock().Present(Source::kFace, std::string(257, 'f')).status(); });
  ExpectRefusal("action", [&] { return lock().ManualOperation(Source::kManual, Operation::kUnlatch); });
  ExpectRefusal("millivolts", [&] { return lock().SetBattery(100000); });
  ExpectRefusal("time", [&] { return lock().AcceptClock(clock_.WallMs() - 24 * 3600 * 1000LL, owner_); });
}

}  // namespace
}  // namespace latchkey::core
