// LOCK-SEMANTICS.md 1 (capabilities) and 2 (settings), with the choices of
// docs/lock-choices.md where the contract is silent.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lock_fixture.h"

namespace latchkey::core {
namespace {

// ---------------------------------------------------------------------------------------------
// Section 1: Capabilities::Validate
// ---------------------------------------------------------------------------------------------

// One uint32 capability with its allowed range.
struct CapabilityRange {
  const char* name;
  uint32_t Capabilities::*field;
  uint32_t lo;
  uint32_t hi;
};

// LOCK-SEMANTICS 1: the ranges of the table (max_user_name_length per capabilities.h: 1..255).
const std::vector<CapabilityRange>& CapabilityRanges() {
  static const std::vector<CapabilityRange> ranges = {
      {"max_users", &Capabilities::max_users, 1, 65534},
      {"credentials_per_user", &Capabilities::credentials_per_user, 1, 32},
      {"week_day_schedules_per_user", &Capabilities::week_day_schedules_per_user, 1, 253},
      {"year_day_schedules_per_user", &Capabilities::year_day_schedules_per_user, 1, 253},
      {"holiday_schedules", &Capabilities::holiday_schedules, 1, 253},
      {"max_user_name_length", &Capabilities::max_user_name_length, 1, 255},
  };
  return ranges;
}

// LOCK-SEMANTICS 1: the sim lock's defaults are a valid configuration.
TEST(CapabilitiesTest, DefaultsAreTheSimLockAndValid) {
  const Capabilities caps;
  EXPECT_TRUE(caps.Validate().ok()) << caps.Validate().ToString();
  EXPECT_EQ(caps.max_users, 250u);
  EXPECT_EQ(caps.credentials_per_user, 10u);
  EXPECT_EQ(caps.min_pin_length, 6u);
  EXPECT_EQ(caps.max_pin_length, 12u);
  EXPECT_EQ(caps.rfid_min_bytes, 4u);
  EXPECT_EQ(caps.rfid_max_bytes, 16u);
  EXPECT_EQ(caps.max_user_name_length, 32u);
  EXPECT_EQ(caps.week_day_schedules_per_user, 10u);
  EXPECT_EQ(caps.year_day_schedules_per_user, 10u);
  EXPECT_EQ(caps.holiday_schedules, 10u);
}

// LOCK-SEMANTICS 1: every counted capability is accepted at both edges of its range and refused
// (invalid) just outside.
TEST(CapabilitiesTest, EveryCountRangeAcceptedAtEdgesRefusedOutside) {
  for (const auto& r : CapabilityRanges()) {
    SCOPED_TRACE(r.name);
    Capabilities caps;
    caps.*r.field = r.lo;
    EXPECT_TRUE(caps.Validate().ok()) << caps.Validate().ToString();
    caps.*r.field = r.hi;
    EXPECT_TRUE(caps.Validate().ok()) << caps.Validate().ToString();
    caps.*r.field = r.lo - 1;
    EXPECT_EQ(caps.Validate().code(), Code::kInvalid);
    caps.*r.field = r.hi + 1;
    EXPECT_EQ(caps.Validate().code(), Code::kInvalid);
  }
}

// LOCK-SEMANTICS 1: min_pin_length / max_pin_length each 4..12.
TEST(CapabilitiesTest, PinLengthsRange4To12) {
  Capabilities caps;
  caps.min_pin_length = 4;
  caps.max_pin_length = 4;
  EXPECT_TRUE(caps.Validate().ok());
  caps.min_pin_length = 12;
  caps.max_pin_length = 12;
  EXPECT_TRUE(caps.Validate().ok());
  caps.min_pin_length = 4;
  caps.max_pin_length = 12;
  EXPECT_TRUE(caps.Validate().ok());

  caps.min_pin_length = 3;
  EXPECT_EQ(caps.Validate().code(), Code::kInvalid);
  caps.min_pin_length = 4;
  caps.max_pin_length = 13;
  EXPECT_EQ(caps.Validate().code(), Code::kInvalid);
  caps.min_pin_length = 0;
  caps.max_pin_length = 12;
  EXPECT_EQ(caps.Validate().code(), Code::kInvalid);
  caps.min_pin_length = 3;
  caps.max_pin_length = 3;
  EXPECT_EQ(caps.Validate().code(), Code::kInvalid);
}

// LOCK-SEMANTICS 1: min_pin_length <= max_pin_length.
TEST(CapabilitiesTest, MinPinLengthAboveMaxIsInvalid) {
  Capabilities caps;
  caps.min_pin_length = 8;
  caps.max_pin_length = 7;
  EXPECT_EQ(caps.Validate().code(), Code::kInvalid);
  caps.max_pin_length = 8;
  EXPECT_TRUE(caps.Validate().ok());
}

// LOCK-SEMANTICS 1: rfid_min_bytes / rfid_max_bytes each 4..32.
TEST(CapabilitiesTest, RfidBytesRange4To32) {
  Capabilities caps;
  caps.rfid_min_bytes = 4;
  caps.rfid_max_bytes = 4;
  EXPECT_TRUE(caps.Validate().ok());
  caps.rfid_min_bytes = 32;
  caps.rfid_max_bytes = 32;
  EXPECT_TRUE(caps.Validate().ok());
  caps.rfid_min_bytes = 4;
  caps.rfid_max_bytes = 32;
  EXPECT_TRUE(caps.Validate().ok());

  caps.rfid_min_bytes = 3;
  EXPECT_EQ(caps.Validate().code(), Code::kInvalid);
  caps.rfid_min_bytes = 4;
  caps.rfid_max_bytes = 33;
  EXPECT_EQ(caps.Validate().code(), Code::kInvalid);
  caps.rfid_min_bytes = 3;
  caps.rfid_max_bytes = 3;
  EXPECT_EQ(caps.Validate().code(), Code::kInvalid);
}

// LOCK-SEMANTICS 1: rfid_min_bytes <= rfid_max_bytes.
TEST(CapabilitiesTest, RfidMinAboveMaxIsInvalid) {
  Capabilities caps;
  caps.rfid_min_bytes = 17;
  caps.rfid_max_bytes = 16;
  EXPECT_EQ(caps.Validate().code(), Code::kInvalid);
  caps.rfid_max_bytes = 17;
  EXPECT_TRUE(caps.Validate().ok());
}

// LOCK-SEMANTICS 1: N = max_users x credentials_per_user; phone_key comes later.
TEST(CapabilitiesTest, CredentialSlotsAndSupportedTypes) {
  Capabilities caps;
  EXPECT_EQ(caps.credential_slots(), 2500u);
  caps.max_users = 65534;
  caps.credentials_per_user = 32;
  EXPECT_EQ(caps.credential_slots(), 65534u * 32u);
  EXPECT_TRUE(Capabilities::SupportsType(CredentialType::kProgrammingPin));
  EXPECT_TRUE(Capabilities::SupportsType(CredentialType::kPin));
  EXPECT_TRUE(Capabilities::SupportsType(CredentialType::kRfid));
  EXPECT_TRUE(Capabilities::SupportsType(CredentialType::kFingerprint));
  EXPECT_TRUE(Capabilities::SupportsType(CredentialType::kFace));
  EXPECT_FALSE(Capabilities::SupportsType(CredentialType::kPhoneKey));
}

// LOCK-SEMANTICS 1: capabilities are "allowed configuration" only in range: a lock configured
// outside them does not open.
TEST_F(LockTest, OpenRefusesInvalidCapabilities) {
  LockConfig bad = config_;
  bad.capabilities.max_users = 0;
  LockEnv env;
  env.clock = &clock_;
  env.crypto = &crypto_;
  env.zones = &zones_;
  testing::MemoryLockStore other_store;
  env.store = &other_store;
  env.bolt = &bolt_;
  env.feedback = &feedback_;
  auto opened = Lock::Open(bad, env);
  EXPECT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Code::kInvalid);
}

// LOCK-SEMANTICS 1: the lock reports the capabilities it was configured with.
TEST_F(LockTest, LockReportsItsCapabilities) {
  config_.capabilities.max_users = 7;
  config_.capabilities.credentials_per_user = 3;
  Open();
  EXPECT_EQ(lock().capabilities().max_users, 7u);
  EXPECT_EQ(lock().capabilities().credentials_per_user, 3u);
  EXPECT_EQ(lock().capabilities().min_pin_length, 6u);
}

// ---------------------------------------------------------------------------------------------
// Section 2: Settings
// ---------------------------------------------------------------------------------------------

// One uint32 setting with its allowed range (for the defaults of the other settings).
struct SettingRange {
  const char* name;
  std::optional<uint32_t> SettingsPatch::*patch_field;
  uint32_t Settings::*field;
  uint32_t lo;
  uint32_t hi;
};

const std::vector<SettingRange>& SettingRanges() {
  static const std::vector<SettingRange> ranges = {
      {"auto_relock_s", &SettingsPatch::auto_relock_s, &Settings::auto_relock_s, 0, 86400},
      {"wrong_code_limit", &SettingsPatch::wrong_code_limit, &Settings::wrong_code_limit, 1, 255},
      {"lockout_s", &SettingsPatch::lockout_s, &Settings::lockout_s, 1, 3600},
      // lockout_s..86400 with the default lockout_s of 60
      {"lockout_max_s", &SettingsPatch::lockout_max_s, &Settings::lockout_max_s, 60, 86400},
      {"max_wrong_per_hour", &SettingsPatch::max_wrong_per_hour, &Settings::max_wrong_per_hour, 1, 60},
      {"expiring_user_timeout_min", &SettingsPatch::expiring_user_timeout_min,
       &Settings::expiring_user_timeout_min, 1, 2880},
      {"multi_factor_window_s", &SettingsPatch::multi_factor_window_s,
       &Settings::multi_factor_window_s, 1, 60},
      {"door_ajar_s", &SettingsPatch::door_ajar_s, &Settings::door_ajar_s, 0, 3600},
  };
  return ranges;
}

SettingsPatch PatchOf(const SettingRange& r, uint32_t value) {
  SettingsPatch patch;
  patch.*r.patch_field = value;
  return patch;
}

class SettingsTest : public LockTest {
 protected:
  // Every change event with data_type settings recorded after `after_seq`.
  std::vector<Event> SettingsChangesAfter(uint64_t after_seq) const {
    std::vector<Event> out;
    for (const auto& e : events()) {
      if (e.seq > after_seq && e.kind == EventKind::kChange && e.data_type == DataType::kSettings) {
        out.push_back(e);
      }
    }
    return out;
  }
};

// LOCK-SEMANTICS 2: the defaults of the table.
TEST_F(SettingsTest, NewLockHasDefaultSettings) {
  const Settings& s = lock().settings();
  EXPECT_EQ(s.auto_relock_s, 0u);
  EXPECT_EQ(s.wrong_code_limit, 5u);
  EXPECT_EQ(s.lockout_s, 60u);
  EXPECT_TRUE(s.lockout_escalation);
  EXPECT_EQ(s.lockout_max_s, 3600u);
  EXPECT_EQ(s.max_wrong_per_hour, 10u);
  EXPECT_EQ(s.expiring_user_timeout_min, 60u);
  EXPECT_FALSE(s.require_pin_for_remote);
  EXPECT_TRUE(s.one_touch_locking);
  EXPECT_EQ(s.multi_factor_window_s, 10u);
  EXPECT_EQ(s.door_ajar_s, 120u);
  EXPECT_EQ(s.sound_volume, SoundVolume::kMedium);
  EXPECT_EQ(s.operating_mode, OperatingMode::kNormal);
  EXPECT_EQ(s.timezone, "UTC");
  EXPECT_EQ(s.name, config_.default_name);
}

// LOCK-SEMANTICS 2: every numeric field is accepted at both edges of its range (the lock then
// reports the value) and refused with invalid just outside (the lock keeps the old value).
TEST_F(SettingsTest, EveryNumericFieldAcceptedAtEdgesRefusedJustOutside) {
  for (const auto& r : SettingRanges()) {
    SCOPED_TRACE(r.name);
    // Back to the default lockout_s, so that lockout_max_s starts from its default range.
    SettingsPatch reset;
    reset.lockout_s = 60;
    Patch(reset);
    for (uint32_t good : {r.lo, r.hi}) {
      auto result = lock().UpdateSettings(PatchOf(r, good), owner_);
      ASSERT_TRUE(result.ok()) << good << ": " << result.status().ToString();
      EXPECT_EQ(result.value().*r.field, good);
      EXPECT_EQ(lock().settings().*r.field, good);
    }
    std::vector<uint32_t> bad = {r.hi + 1};
    if (r.lo > 0) bad.push_back(r.lo - 1);
    for (uint32_t value : bad) {
      const Settings before = lock().settings();
      const uint64_t seq = lock().last_seq();
      auto result = lock().UpdateSettings(PatchOf(r, value), owner_);
      EXPECT_EQ(result.status().code(), Code::kInvalid) << value;
      EXPECT_EQ(lock().settings(), before) << value;
      EXPECT_EQ(lock().last_seq(), seq) << "a refused write records nothing";
    }
  }
}

// LOCK-SEMANTICS 2: the same ranges in the free function ApplySettingsPatch.
TEST_F(SettingsTest, ApplySettingsPatchChecksEveryNumericRange) {
  const Settings defaults;
  for (const auto& r : SettingRanges()) {
    SCOPED_TRACE(r.name);
    for (uint32_t good : {r.lo, r.hi}) {
      auto result = ApplySettingsPatch(defaults, PatchOf(r, good), zones_);
      ASSERT_TRUE(result.ok()) << good << ": " << result.status().ToString();
      EXPECT_EQ(result.value().*r.field, good);
      // Only that field changed.
      Settings expected = defaults;
      expected.*r.field = good;
      EXPECT_EQ(result.value(), expected);
    }
    EXPECT_EQ(ApplySettingsPatch(defaults, PatchOf(r, r.hi + 1), zones_).status().code(),
              Code::kInvalid);
    if (r.lo > 0) {
      EXPECT_EQ(ApplySettingsPatch(defaults, PatchOf(r, r.lo - 1), zones_).status().code(),
                Code::kInvalid);
    }
  }
}

// LOCK-SEMANTICS 2: a bad value is refused and nothing changes, even when other fields of the
// same write are good.
TEST_F(SettingsTest, BadValueAmongGoodOnesChangesNothing) {
  const Settings before = lock().settings();
  const uint64_t seq = lock().last_seq();
  SettingsPatch patch;
  patch.auto_relock_s = 30;
  patch.sound_volume = SoundVolume::kLow;
  patch.timezone = "Europe/Berlin";
  patch.name = "front door";
  patch.one_touch_locking = false;
  patch.wrong_code_limit = 0;  // bad
  auto result = lock().UpdateSettings(patch, owner_);
  EXPECT_EQ(result.status().code(), Code::kInvalid);
  EXPECT_EQ(lock().settings(), before);
  EXPECT_EQ(lock().last_seq(), seq);
  EXPECT_TRUE(SettingsChangesAfter(seq).empty());

  // The same bad field last in another mix.
  SettingsPatch patch2;
  patch2.door_ajar_s = 10;
  patch2.multi_factor_window_s = 61;  // bad
  EXPECT_EQ(lock().UpdateSettings(patch2, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().settings(), before);
}

// LOCK-SEMANTICS 2: a bad value is refused and nothing changes: the old settings survive a
// power cycle too (nothing was stored).
TEST_F(SettingsTest, RefusedWriteIsNotStored) {
  SettingsPatch patch;
  patch.auto_relock_s = 30;
  patch.lockout_s = 0;
  EXPECT_EQ(lock().UpdateSettings(patch, owner_).status().code(), Code::kInvalid);
  Reboot();
  EXPECT_EQ(lock().settings().auto_relock_s, 0u);
  EXPECT_EQ(lock().settings().lockout_s, 60u);
}

// LOCK-SEMANTICS 2: an accepted write is stored and survives a power cycle.
TEST_F(SettingsTest, AcceptedWriteSurvivesPowerCycle) {
  SettingsPatch patch;
  patch.auto_relock_s = 45;
  patch.sound_volume = SoundVolume::kSilent;
  patch.timezone = "Europe/Berlin";
  patch.name = "back door";
  patch.lockout_escalation = false;
  patch.require_pin_for_remote = true;
  patch.one_touch_locking = false;
  Patch(patch);
  const Settings after = lock().settings();
  EXPECT_EQ(after.auto_relock_s, 45u);
  EXPECT_EQ(after.sound_volume, SoundVolume::kSilent);
  EXPECT_EQ(after.timezone, "Europe/Berlin");
  EXPECT_EQ(after.name, "back door");
  EXPECT_FALSE(after.lockout_escalation);
  EXPECT_TRUE(after.require_pin_for_remote);
  EXPECT_FALSE(after.one_touch_locking);
  Reboot();
  EXPECT_EQ(lock().settings(), after);
}

// LOCK-SEMANTICS 2: lockout_max_s ranges from lockout_s: below the current lockout_s is refused.
TEST_F(SettingsTest, LockoutMaxBelowLockoutIsRefused) {
  SettingsPatch raise;
  raise.lockout_s = 600;
  Patch(raise);
  SettingsPatch low_max;
  low_max.lockout_max_s = 599;
  EXPECT_EQ(lock().UpdateSettings(low_max, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().settings().lockout_max_s, 3600u);
  low_max.lockout_max_s = 600;
  EXPECT_TRUE(lock().UpdateSettings(low_max, owner_).ok());
  EXPECT_EQ(lock().settings().lockout_max_s, 600u);
}

// LOCK-SEMANTICS 2: the cross rule holds on the result: raising lockout_s above the stored
// lockout_max_s is refused.
TEST_F(SettingsTest, LockoutAboveStoredMaxIsRefused) {
  SettingsPatch max;
  max.lockout_max_s = 120;
  Patch(max);
  SettingsPatch raise;
  raise.lockout_s = 121;
  EXPECT_EQ(lock().UpdateSettings(raise, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().settings().lockout_s, 60u);
  raise.lockout_s = 120;
  EXPECT_TRUE(lock().UpdateSettings(raise, owner_).ok());
  EXPECT_EQ(lock().settings().lockout_s, 120u);
}

// LOCK-SEMANTICS 2: both fields in one write are checked together (the result must satisfy
// lockout_s <= lockout_max_s).
TEST_F(SettingsTest, LockoutPairInOneWrite) {
  SettingsPatch both;
  both.lockout_s = 3600;
  both.lockout_max_s = 3599;
  EXPECT_EQ(lock().UpdateSettings(both, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().settings().lockout_s, 60u);
  EXPECT_EQ(lock().settings().lockout_max_s, 3600u);

  // Both raised past the old maximum at once is fine.
  SettingsPatch raise;
  raise.lockout_max_s = 30;
  raise.lockout_s = 20;
  EXPECT_TRUE(lock().UpdateSettings(raise, owner_).ok());
  EXPECT_EQ(lock().settings().lockout_s, 20u);
  EXPECT_EQ(lock().settings().lockout_max_s, 30u);

  SettingsPatch equal;
  equal.lockout_s = 3600;
  equal.lockout_max_s = 3600;
  EXPECT_TRUE(lock().UpdateSettings(equal, owner_).ok());
}

// LOCK-SEMANTICS 2: timezone must be an IANA zone name.
TEST_F(SettingsTest, TimezoneMustBeKnownIanaZone) {
  for (const char* good : {"Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata"}) {
    SettingsPatch patch;
    patch.timezone = good;
    auto result = lock().UpdateSettings(patch, owner_);
    ASSERT_TRUE(result.ok()) << good << ": " << result.status().ToString();
    EXPECT_EQ(lock().settings().timezone, good);
  }
  for (const char* bad : {"", "Mars/Olympus_Mons", "Europe/Berlin ", "+01:00", "Nowhere"}) {
    SettingsPatch patch;
    patch.timezone = bad;
    EXPECT_EQ(lock().UpdateSettings(patch, owner_).status().code(), Code::kInvalid) << bad;
    EXPECT_EQ(lock().settings().timezone, "Asia/Kolkata");
  }
}

// LOCK-SEMANTICS 2: name is 1..64 characters (UTF-8 characters, not bytes).
TEST_F(SettingsTest, NameIsOneTo64Characters) {
  SettingsPatch patch;
  patch.name = "a";
  ASSERT_TRUE(lock().UpdateSettings(patch, owner_).ok());
  EXPECT_EQ(lock().settings().name, "a");

  patch.name = std::string(64, 'x');
  ASSERT_TRUE(lock().UpdateSettings(patch, owner_).ok());
  EXPECT_EQ(lock().settings().name, std::string(64, 'x'));

  // 64 characters of two bytes each (128 bytes).
  std::string umlauts;
  for (int i = 0; i < 64; ++i) umlauts += "\xC3\xA4";  // U+00E4
  patch.name = umlauts;
  ASSERT_TRUE(lock().UpdateSettings(patch, owner_).ok()) << "64 characters are allowed";
  EXPECT_EQ(lock().settings().name, umlauts);

  for (const std::string& bad :
       {std::string(), std::string(65, 'x'), umlauts + "\xC3\xA4", std::string("door\xFF"),
        std::string("\xC3")}) {
    patch.name = bad;
    EXPECT_EQ(lock().UpdateSettings(patch, owner_).status().code(), Code::kInvalid) << bad.size();
    EXPECT_EQ(lock().settings().name, umlauts);
  }
}

// LOCK-SEMANTICS 2: enumerated settings take only their listed values.
TEST_F(SettingsTest, EnumSettingsOutsideTheirValuesAreInvalid) {
  for (SoundVolume v : {SoundVolume::kSilent, SoundVolume::kLow, SoundVolume::kHigh,
                        SoundVolume::kMedium}) {
    SettingsPatch patch;
    patch.sound_volume = v;
    ASSERT_TRUE(lock().UpdateSettings(patch, owner_).ok());
    EXPECT_EQ(lock().settings().sound_volume, v);
  }
  SettingsPatch bad_volume;
  bad_volume.sound_volume = static_cast<SoundVolume>(4);
  EXPECT_EQ(lock().UpdateSettings(bad_volume, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().settings().sound_volume, SoundVolume::kMedium);

  SettingsPatch bad_mode;
  bad_mode.operating_mode = static_cast<OperatingMode>(6);
  EXPECT_EQ(lock().UpdateSettings(bad_mode, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().settings().operating_mode, OperatingMode::kNormal);
}

// LOCK-SEMANTICS 9 (change event) for section 2: a settings write records one `change` event
// with data_type settings, the source and the actor.
TEST_F(SettingsTest, SettingsChangeRecordsChangeEvent) {
  const uint64_t seq = lock().last_seq();
  SettingsPatch patch;
  patch.auto_relock_s = 30;
  patch.sound_volume = SoundVolume::kHigh;
  Patch(patch);
  const auto changes = SettingsChangesAfter(seq);
  ASSERT_EQ(changes.size(), 1u);
  const Event& e = changes[0];
  EXPECT_EQ(e.change, ChangeOperation::kModify);
  EXPECT_EQ(e.source, Source::kRemote);
  EXPECT_EQ(e.actor, std::string(kOwner));
  EXPECT_EQ(e.time_ms, clock_.WallMs());

  // From the keypad, the source is the keypad.
  const uint64_t seq2 = lock().last_seq();
  SettingsPatch patch2;
  patch2.door_ajar_s = 0;
  ASSERT_TRUE(lock().UpdateSettings(patch2, Actor{Source::kKeypad, "keypad", false}).ok());
  const auto changes2 = SettingsChangesAfter(seq2);
  ASSERT_EQ(changes2.size(), 1u);
  EXPECT_EQ(changes2[0].source, Source::kKeypad);
}

// LOCK-SEMANTICS 6 / lock-choices.md: privacy may be entered only while locked (else invalid).
TEST_F(SettingsTest, PrivacyRefusedWhileUnlocked) {
  RemoteOp(Operation::kUnlock);
  Advance(1000);
  ASSERT_EQ(lock().status().lock_state, LockState::kUnlocked);
  const uint64_t seq = lock().last_seq();
  SettingsPatch patch;
  patch.operating_mode = OperatingMode::kPrivacy;
  patch.auto_relock_s = 10;
  EXPECT_EQ(lock().UpdateSettings(patch, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().settings().operating_mode, OperatingMode::kNormal);
  EXPECT_EQ(lock().settings().auto_relock_s, 0u) << "nothing of the refused write applies";
  EXPECT_EQ(lock().status().operating_mode, OperatingMode::kNormal);
  EXPECT_TRUE(SettingsChangesAfter(seq).empty());
}

// LOCK-SEMANTICS 6: privacy is entered while locked.
TEST_F(SettingsTest, PrivacyAcceptedWhileLocked) {
  RemoteOp(Operation::kLock);
  Advance(1000);
  ASSERT_EQ(lock().status().lock_state, LockState::kLocked);
  SettingsPatch patch;
  patch.operating_mode = OperatingMode::kPrivacy;
  auto result = lock().UpdateSettings(patch, owner_);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(lock().settings().operating_mode, OperatingMode::kPrivacy);
  EXPECT_EQ(lock().status().operating_mode, OperatingMode::kPrivacy);
}

// settings.h: the bolt precondition of privacy is the lock's; ApplySettingsPatch accepts it.
TEST_F(SettingsTest, ApplySettingsPatchLeavesPrivacyPreconditionToLock) {
  SettingsPatch patch;
  patch.operating_mode = OperatingMode::kPrivacy;
  auto result = ApplySettingsPatch(Settings{}, patch, zones_);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->operating_mode, OperatingMode::kPrivacy);
}

// settings.h: ApplySettingsPatch applies only present fields and leaves `current` alone.
TEST_F(SettingsTest, ApplySettingsPatchAppliesOnlyPresentFields) {
  Settings current;
  current.name = "garage";
  current.timezone = "Europe/Berlin";
  const Settings copy = current;

  SettingsPatch empty;
  EXPECT_TRUE(empty.empty());
  auto same = ApplySettingsPatch(current, empty, zones_);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same.value(), current);

  SettingsPatch patch;
  patch.sound_volume = SoundVolume::kLow;
  patch.one_touch_locking = false;
  patch.lockout_escalation = false;
  patch.require_pin_for_remote = true;
  EXPECT_FALSE(patch.empty());
  auto result = ApplySettingsPatch(current, patch, zones_);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  Settings expected = current;
  expected.sound_volume = SoundVolume::kLow;
  expected.one_touch_locking = false;
  expected.lockout_escalation = false;
  expected.require_pin_for_remote = true;
  EXPECT_EQ(result.value(), expected);
  EXPECT_EQ(current, copy);
}

// settings.h: ApplySettingsPatch checks zone, name and the cross rule like the lock.
TEST_F(SettingsTest, ApplySettingsPatchRefusesZoneNameAndCrossRule) {
  const Settings current;
  SettingsPatch zone;
  zone.timezone = "Atlantis/Capital";
  EXPECT_EQ(ApplySettingsPatch(current, zone, zones_).status().code(), Code::kInvalid);
  SettingsPatch name;
  name.name = "";
  EXPECT_EQ(ApplySettingsPatch(current, name, zones_).status().code(), Code::kInvalid);
  name.name = std::string(65, 'n');
  EXPECT_EQ(ApplySettingsPatch(current, name, zones_).status().code(), Code::kInvalid);
  SettingsPatch cross;
  cross.lockout_max_s = 59;
  EXPECT_EQ(ApplySettingsPatch(current, cross, zones_).status().code(), Code::kInvalid);
  SettingsPatch mixed;
  mixed.auto_relock_s = 10;
  mixed.door_ajar_s = 3601;
  EXPECT_EQ(ApplySettingsPatch(current, mixed, zones_).status().code(), Code::kInvalid);
}

// settings.h: Utf8Length counts code points and refuses invalid UTF-8.
TEST(Utf8LengthTest, CountsCodePointsRefusesInvalid) {
  EXPECT_EQ(Utf8Length(""), 0u);
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("\xC3\xA4"), 1u);              // ä
  EXPECT_EQ(Utf8Length("\xE2\x82\xAC"), 1u);          // €
  EXPECT_EQ(Utf8Length("\xF0\x9F\x94\x91"), 1u);      // 🔑
  EXPECT_EQ(Utf8Length("K\xC3\xBC" "che \xF0\x9F\x94\x91"), 7u);
  EXPECT_EQ(Utf8Length("\xFF"), std::nullopt);
  EXPECT_EQ(Utf8Length("\xC3"), std::nullopt);         // truncated
  EXPECT_EQ(Utf8Length("\x80"), std::nullopt);         // lone continuation
  EXPECT_EQ(Utf8Length("\xC0\xAF"), std::nullopt);     // overlong
  EXPECT_EQ(Utf8Length("\xED\xA0\x80"), std::nullopt); // surrogate
}

}  // namespace
}  // namespace latchkey::core
