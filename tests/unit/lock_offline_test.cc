// Offline guest codes at the lock (OFFLINE-CODES.md; docs/offline-codes.md "On the lock") on the
// LockTest fixture (a fake clock, a memory store, reboots), with the real SodiumCrypto and FF1:
// codes are made exactly as the hub makes them (PackOfflineCode, OfflineCodeCheck, then
// crypto::Ff1Encrypt with the lock's id as the tweak).
#include <gtest/gtest.h>

#include <limits>

#include "crypto/ff1.h"
#include "lock_fixture.h"

namespace latchkey::core {
namespace {

constexpr std::string_view kLockId = "lk-00112233aabbccdd";
constexpr int64_t kHourS = 3600;

OfflineCodeKey KeyOf(uint8_t byte) {
  OfflineCodeKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(byte + i);
  return key;
}

class LockOfflineTest : public LockTest {
 protected:
  LockOfflineTest() {
    config_.lock_id = std::string(kLockId);
    config_.motor_ms = 0;
  }

  void SetUp() override {
    LockTest::SetUp();
    // The hub's epoch: an hour boundary some time before now (the fake clock's 10:00 UTC).
    epoch_s_ = NowS() / kHourS * kHourS - 1000 * kHourS;
    auto info = lock().SetOfflineKey(key_, epoch_s_, 0, hub_);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
  }

  int64_t NowS() const { return clock_.WallMs() / 1000; }
  // The start of the hour `hours` from the current hour.
  int64_t HourFromNow(int64_t hours) const { return NowS() / kHourS * kHourS + hours * kHourS; }

  // The 12 digits the hub hands out for a window starting at `start_s` (an hour boundary).
  std::string Code(OfflineCodeType type, int64_t start_s, uint16_t hours, uint32_t generation = 0,
                   const OfflineCodeKey* key = nullptr) const {
    const OfflineCodeKey& k = key != nullptr ? *key : key_;
    const std::string plain = Plain(type, start_s, hours, generation, k);
    auto code = crypto::Ff1Encrypt(k, std::span(reinterpret_cast<const uint8_t*>(kLockId.data()), kLockId.size()),
                                   10, plain);
    EXPECT_TRUE(code.ok()) << code.status().ToString();
    return code.ok() ? *code : std::string();
  }
  std::string Plain(OfflineCodeType type, int64_t start_s, uint16_t hours, uint32_t generation = 0,
                    const OfflineCodeKey& key = KeyOf(0x40)) const {
    const OfflineCodeFields fields{type, static_cast<uint32_t>((start_s - epoch_s_) / kHourS), hours};
    return PackOfflineCode(fields, OfflineCodeCheck(crypto_, key, generation, fields));
  }

  // "granted", or "denied:<reason>".
  std::string Type(const std::string& code) {
    const Decision d = Keypad(code);
    if (d.result == DecisionResult::kGranted) return "granted";
    return std::string(ToString(d.result)) + ":" + (d.reason ? std::string(ToString(*d.reason)) : "");
  }
  // Types `code` and relocks the door behind (the next grant moves the bolt again).
  std::string Enter(const std::string& code) {
    const std::string out = Type(code);
    if (out == "granted") {
      EXPECT_EQ(RemoteOp(Operation::kLock).result, DecisionResult::kGranted);
    }
    return out;
  }
  uint32_t Wrong() const { return lock_->status().wrong_attempts; }

  Actor hub_{Source::kRemote, "hub", true};
  OfflineCodeKey key_ = KeyOf(0x40);
  int64_t epoch_s_ = 0;
};

TEST_F(LockOfflineTest, OpensInsideItsWindowAndNotOneSecondBeforeOrAtItsEnd) {
  const int64_t start = HourFromNow(2);
  const std::string code = Code(OfflineCodeType::kWindow, start, 4);
  clock_.Advance((start - 1) * 1000 - clock_.WallMs());
  EXPECT_EQ(Type(code), "denied:restricted") << "one second before its start";
  EXPECT_EQ(Wrong(), 1u) << "a failed offline code is a wrong code";
  clock_.Advance(1000);
  EXPECT_EQ(Enter(code), "granted") << "at its start";
  EXPECT_EQ(Wrong(), 0u) << "a grant resets the counter";
  clock_.Advance(4 * kHourS * 1000 - 1000);
  EXPECT_EQ(Enter(code), "granted") << "a window code opens as often as needed, to its last second";
  clock_.Advance(1000);
  EXPECT_EQ(Type(code), "denied:restricted") << "at its end";
  EXPECT_EQ(lock().status().lock_state, LockState::kLocked);
}

TEST_F(LockOfflineTest, TheEventNamesTheWindowAndNoUser) {
  const int64_t start = HourFromNow(0);
  const Decision d = Keypad(Code(OfflineCodeType::kOneTime, start, 4));
  ASSERT_EQ(d.result, DecisionResult::kGranted);
  EXPECT_FALSE(d.user.has_value());
  ASSERT_TRUE(d.credential.has_value());
  EXPECT_EQ(d.credential->type, CredentialType::kOfflineCode);
  const Event e = EventsOfKind(EventKind::kLockOperation).back();
  EXPECT_EQ(e.operation, Operation::kUnlock);
  EXPECT_EQ(e.source, Source::kKeypad);
  EXPECT_FALSE(e.user.has_value());
  ASSERT_TRUE(e.credential.has_value());
  EXPECT_EQ(*e.credential,
            (CredentialRef{.type = CredentialType::kOfflineCode, .index = 0, .window_start_s = start, .window_hours = 4}));
  EXPECT_EQ(lock().status().lock_state, LockState::kUnlocked);

  // A refusal of a code the lock recognises names it too; a code it cannot read names nothing.
  Keypad(Code(OfflineCodeType::kOneTime, start, 4));
  const Event used = EventsOfKind(EventKind::kLockOperationError).back();
  EXPECT_EQ(used.error, AccessError::kDisabledUser);
  EXPECT_EQ(used.credential, e.credential);
  EXPECT_FALSE(used.user.has_value());
  Keypad("000000000000");
  EXPECT_FALSE(EventsOfKind(EventKind::kLockOperationError).back().credential.has_value());
}

TEST_F(LockOfflineTest, APinIsTriedFirstEvenWhenItIsAValidOfflineCode) {
  const std::string code = Code(OfflineCodeType::kOneTime, HourFromNow(0), 4);
  const UserIndex user = AddPinUser(code);  // a 12-digit PIN that happens to be those digits
  const Decision d = Keypad(code);
  ASSERT_EQ(d.result, DecisionResult::kGranted);
  EXPECT_EQ(d.user, user);
  EXPECT_EQ(d.credential->type, CredentialType::kPin);
  EXPECT_EQ(lock().offline_codes().remembered, 0u) << "the one-time code was not spent";
  ASSERT_TRUE(lock().ClearUser(user, owner_).ok());
  ASSERT_EQ(RemoteOp(Operation::kLock).result, DecisionResult::kGranted);
  EXPECT_EQ(Enter(code), "granted") << "with the PIN gone, the code is an offline code";
}

TEST_F(LockOfflineTest, TheKeypadTakesTwelveDigitsWhenPinsAreShorter) {
  config_.capabilities.max_pin_length = 8;
  Reboot();
  auto d = lock().PressKeys(Code(OfflineCodeType::kWindow, HourFromNow(0), 2) + "#");
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->has_value());
  EXPECT_EQ((*d)->result, DecisionResult::kGranted);
  // Thirteen digits are neither a PIN nor a code.
  auto longer = lock().PressKeys(Code(OfflineCodeType::kWindow, HourFromNow(0), 2) + "1#");
  ASSERT_TRUE(longer.ok() && longer->has_value());
  EXPECT_EQ((*longer)->reason, AccessError::kInvalidCredential);
}

TEST_F(LockOfflineTest, AOneTimeCodeOpensOnceAlsoAfterAReboot) {
  const std::string once = Code(OfflineCodeType::kOneTime, HourFromNow(-1), 24);
  EXPECT_EQ(Enter(once), "granted");
  EXPECT_EQ(Type(once), "denied:disabled_user");
  EXPECT_EQ(Wrong(), 1u);
  Reboot();
  EXPECT_EQ(Type(once), "denied:disabled_user") << "spent, and the lock remembers it across a power cycle";
  EXPECT_EQ(Wrong(), 2u);
  EXPECT_EQ(lock().offline_codes().remembered, 1u);
}

TEST_F(LockOfflineTest, ACodeIsSpentInTheSameBatchAsItsGrantsEvent) {
  const std::string once = Code(OfflineCodeType::kOneTime, HourFromNow(0), 2);
  const uint64_t last = lock().last_seq();
  store_.FailNextWrites(1);
  auto failed = lock().Present(Source::kKeypad, once);
  EXPECT_FALSE(failed.ok()) << "the grant could not be stored";
  Reboot();
  EXPECT_EQ(lock().offline_codes().remembered, 0u) << "neither the event nor the spent code reached the store";
  EXPECT_GT(lock().last_seq(), last);  // power_cycled
  EXPECT_EQ(Enter(once), "granted");
  EXPECT_EQ(Type(once), "denied:disabled_user");
}

TEST_F(LockOfflineTest, AWindowOverADayMustBeFirstUsedWithinADayOfItsStart) {
  const int64_t start = HourFromNow(0);
  const std::string late = Code(OfflineCodeType::kWindow, start, 30);
  const std::string early = Code(OfflineCodeType::kWindow, start + kHourS, 30);
  clock_.Advance(2 * kHourS * 1000);
  EXPECT_EQ(Enter(early), "granted") << "first used an hour into its window";
  clock_.Advance(23 * kHourS * 1000);  // start + 25 h
  EXPECT_EQ(Type(late), "denied:restricted") << "first typed 25 h after its start";
  EXPECT_EQ(Enter(early), "granted") << "used within its first day, it opens to its end";
  Reboot();
  EXPECT_EQ(Enter(early), "granted") << "the first use is remembered across a reboot";
  // A one-time code's window is bound the same way (OFFLINE-CODES.md: any window over 24 h).
  const std::string once = Code(OfflineCodeType::kOneTime, start, 48);
  EXPECT_EQ(Type(once), "denied:restricted");
  // A window of exactly 24 h needs no first use: it ends by then.
  const std::string day = Code(OfflineCodeType::kWindow, HourFromNow(-23), 24);
  EXPECT_EQ(Enter(day), "granted");
  EXPECT_EQ(lock().offline_codes().remembered, 1u) << "only the long window's first use";
}

TEST_F(LockOfflineTest, ARevokedCodeIsRefusedOnceTheListArrivesAndAnOldListChangesNothing) {
  const int64_t start = HourFromNow(0);
  const std::string code = Code(OfflineCodeType::kWindow, start, 8);
  const std::string other = Code(OfflineCodeType::kWindow, start, 9);
  EXPECT_EQ(Enter(code), "granted");
  const std::vector<std::string> list{Plain(OfflineCodeType::kWindow, start, 8)};
  auto applied = lock().ApplyOfflineRevocations(2, list, 0, hub_);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->revocations_version, 2u);
  EXPECT_EQ(applied->revoked, 1u);
  EXPECT_EQ(EventsOfKind(EventKind::kChange).back().data_type, DataType::kOfflineRevocations);
  EXPECT_EQ(Type(code), "denied:disabled_user");
  EXPECT_EQ(Wrong(), 1u);
  EXPECT_EQ(Enter(other), "granted");

  const uint64_t seq = lock().last_seq();
  auto old = lock().ApplyOfflineRevocations(1, std::vector<std::string>{}, 5, hub_);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->revocations_version, 2u);
  EXPECT_EQ(old->generation, 0u) << "an old list changes nothing, not even the generation";
  EXPECT_EQ(lock().last_seq(), seq) << "and records nothing";
  EXPECT_EQ(Type(code), "denied:disabled_user");
  Reboot();
  EXPECT_EQ(Type(code), "denied:disabled_user") << "the list is stored";

  // A newer list replaces the whole list.
  ASSERT_TRUE(lock().ApplyOfflineRevocations(3, std::vector<std::string>{}, 0, hub_).ok());
  EXPECT_EQ(Enter(code), "granted");
}

TEST_F(LockOfflineTest, RevocationListsAreCheckedWhole) {
  const std::vector<std::string> bad{"104242004838", "12345"};
  auto refused = lock().ApplyOfflineRevocations(1, bad, 0, hub_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalid);
  const std::vector<std::string> no_type{"004242004838"};
  EXPECT_FALSE(lock().ApplyOfflineRevocations(1, no_type, 0, hub_).ok());
  const std::vector<std::string> too_many(kMaxRevokedOfflineCodes + 1, "104242004838");
  EXPECT_FALSE(lock().ApplyOfflineRevocations(1, too_many, 0, hub_).ok());
  EXPECT_EQ(lock().offline_codes().revocations_version, 0u) << "nothing of a refused list is applied";
  ASSERT_TRUE(lock().ForgetOfflineKey(hub_).ok());
  EXPECT_FALSE(lock().ApplyOfflineRevocations(1, std::vector<std::string>{}, 0, hub_).ok()) << "no key";
}

TEST_F(LockOfflineTest, AClearCodeOpensOnceAndEndsEveryEarlierCode) {
  const int64_t start = HourFromNow(0);
  const std::string before = Code(OfflineCodeType::kWindow, start, 10, 0);
  const std::string clear = Code(OfflineCodeType::kClear, start, 24, 1);
  const std::string after = Code(OfflineCodeType::kWindow, start, 10, 1);
  EXPECT_EQ(Enter(before), "granted");
  EXPECT_EQ(Enter(clear), "granted");
  EXPECT_EQ(lock().offline_codes().generation, 1u);
  EXPECT_EQ(Type(clear), "denied:disabled_user") << "a clear code opens once";
  EXPECT_EQ(Type(before), "denied:disabled_user") << "a code issued before the clear";
  EXPECT_EQ(Wrong(), 2u);
  EXPECT_EQ(Enter(after), "granted") << "a code issued after it";
  Reboot();
  EXPECT_EQ(lock().offline_codes().generation, 1u);
  EXPECT_EQ(Type(before), "denied:disabled_user");
}

TEST_F(LockOfflineTest, ACodeOfTheNextGenerationMovesTheLockWithoutItsClearCode) {
  const int64_t start = HourFromNow(0);
  const std::string before = Code(OfflineCodeType::kWindow, start, 10, 0);
  const std::string after = Code(OfflineCodeType::kOneTime, start, 10, 1);
  EXPECT_EQ(Enter(after), "granted");
  EXPECT_EQ(lock().offline_codes().generation, 1u);
  EXPECT_EQ(Type(before), "denied:disabled_user");
}

TEST_F(LockOfflineTest, ACodeTwoGenerationsAheadIsRefused) {
  const int64_t start = HourFromNow(0);
  const OfflineCodeFields fields{OfflineCodeType::kWindow, static_cast<uint32_t>((start - epoch_s_) / kHourS), 10};
  // (Its check digits differ from those of generations 0 and 1, else it would be one of theirs.)
  ASSERT_NE(OfflineCodeCheck(crypto_, key_, 2, fields), OfflineCodeCheck(crypto_, key_, 0, fields));
  ASSERT_NE(OfflineCodeCheck(crypto_, key_, 2, fields), OfflineCodeCheck(crypto_, key_, 1, fields));
  EXPECT_EQ(Type(Code(OfflineCodeType::kWindow, start, 10, 2)), "denied:invalid_credential");
  EXPECT_EQ(lock().offline_codes().generation, 0u);
  EXPECT_EQ(Wrong(), 1u);
}

TEST_F(LockOfflineTest, AWrongCodeIsOneWrongAttemptAndTheLockoutFollowsTheSettings) {
  Patch(SettingsPatch{.wrong_code_limit = 3});
  const std::string good = Code(OfflineCodeType::kWindow, HourFromNow(0), 2);
  for (uint32_t i = 1; i <= 2; ++i) {
    EXPECT_EQ(Type("00000000000" + std::to_string(i)), "denied:invalid_credential");
    EXPECT_EQ(Wrong(), i) << "one wrong attempt per code, never two";
  }
  EXPECT_EQ(Type(Code(OfflineCodeType::kWindow, HourFromNow(5), 2)), "denied:restricted");
  EXPECT_EQ(lock().status().lockout_remaining_ms, 60'000) << "the third wrong code starts the lockout";
  EXPECT_EQ(Alarms(AlarmKind::kWrongCodeLimit).size(), 1u);
  EXPECT_EQ(Type(good), "denied:lockout") << "during a lockout even a good code is not tried";
  Advance(60'000);
  EXPECT_EQ(Enter(good), "granted");
}

TEST_F(LockOfflineTest, AnotherKeyForgetsTheUsedCodesAndTheSameKeyOnlyRaisesTheGeneration) {
  const std::string once = Code(OfflineCodeType::kOneTime, HourFromNow(0), 4);
  EXPECT_EQ(Enter(once), "granted");
  ASSERT_TRUE(lock().ApplyOfflineRevocations(1, std::vector<std::string>{Plain(OfflineCodeType::kWindow, HourFromNow(0), 1)}, 0, hub_).ok());

  // The same key: a higher generation is taken, a lower one ignored, nothing else changes.
  auto raised = lock().SetOfflineKey(key_, epoch_s_, 2, hub_);
  ASSERT_TRUE(raised.ok());
  EXPECT_EQ(raised->generation, 2u);
  EXPECT_EQ(raised->remembered, 1u);
  EXPECT_EQ(raised->revocations_version, 1u);
  const uint64_t seq = lock().last_seq();
  EXPECT_EQ(lock().SetOfflineKey(key_, epoch_s_, 1, hub_)->generation, 2u);
  EXPECT_EQ(lock().last_seq(), seq) << "nothing changed, nothing recorded";
  auto moved = lock().SetOfflineKey(key_, epoch_s_ + kHourS, 2, hub_);
  EXPECT_EQ(moved.status().code(), Code::kInvalid) << "the same key with another epoch";

  // Another key starts afresh.
  const OfflineCodeKey other = KeyOf(0x90);
  auto fresh = lock().SetOfflineKey(other, epoch_s_, 0, hub_);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(*fresh, (OfflineCodeInfo{.has_key = true, .epoch_s = epoch_s_}));
  EXPECT_EQ(EventsOfKind(EventKind::kChange).back().data_type, DataType::kOfflineKey);
  EXPECT_EQ(Type(once), "denied:invalid_credential") << "a code of the old key";
  EXPECT_EQ(Enter(Code(OfflineCodeType::kWindow, HourFromNow(0), 4, 0, &other)), "granted");
  // Back to the first key: what was known under it is gone, the one-time code opens again.
  ASSERT_TRUE(lock().SetOfflineKey(key_, epoch_s_, 0, hub_).ok());
  EXPECT_EQ(Enter(once), "granted");
}

TEST_F(LockOfflineTest, SetOfflineKeyChecksTheEpoch) {
  for (int64_t epoch : {int64_t{0}, int64_t{-3600}, epoch_s_ + 1, kMaxOfflineEpochS + kHourS}) {
    EXPECT_EQ(lock().SetOfflineKey(KeyOf(1), epoch, 0, hub_).status().code(), Code::kInvalid) << epoch;
  }
  EXPECT_EQ(lock().offline_codes().epoch_s, epoch_s_);
}

TEST_F(LockOfflineTest, UnpairingForgetsEverything) {
  const std::string code = Code(OfflineCodeType::kWindow, HourFromNow(0), 4);
  ASSERT_TRUE(lock().ForgetOfflineKey(hub_).ok());
  EXPECT_EQ(lock().offline_codes(), OfflineCodeInfo{});
  const Event e = EventsOfKind(EventKind::kChange).back();
  EXPECT_EQ(e.data_type, DataType::kOfflineKey);
  EXPECT_EQ(e.change, ChangeOperation::kClear);
  EXPECT_EQ(Type(code), "denied:invalid_credential") << "without a key, 12 digits are a wrong PIN";
  Reboot();
  EXPECT_EQ(lock().offline_codes(), OfflineCodeInfo{});
}

TEST_F(LockOfflineTest, AnUnsetClockOpensWithNoCode) {
  const std::string code = Code(OfflineCodeType::kWindow, HourFromNow(0), 4);
  config_.rtc_valid = false;  // the real-time clock lost power with the lock
  Reboot();
  ASSERT_FALSE(lock().status().clock_trusted);
  EXPECT_EQ(Type(code), "denied:restricted");
  EXPECT_EQ(Wrong(), 1u);
  ASSERT_TRUE(lock().AcceptClock(clock_.WallMs(), hub_).ok());
  EXPECT_EQ(Enter(code), "granted");
}

TEST_F(LockOfflineTest, ModesTreatACodeAsAGuestsPin) {
  const std::string code = Code(OfflineCodeType::kOneTime, HourFromNow(0), 4);
  Patch(SettingsPatch{.operating_mode = OperatingMode::kVacation});
  EXPECT_EQ(Type(code), "denied:mode");
  EXPECT_EQ(Type("000000000001"), "denied:invalid_credential") << "a wrong code is still a wrong code";
  EXPECT_EQ(Wrong(), 1u) << "a recognised code refused by the mode does not count";
  Patch(SettingsPatch{.operating_mode = OperatingMode::kPrivacy});
  EXPECT_EQ(Type(code), "denied:mode");
  Patch(SettingsPatch{.operating_mode = OperatingMode::kNoRemote});
  EXPECT_EQ(lock().offline_codes().remembered, 0u) << "a refused one-time code is not spent";
  EXPECT_EQ(Type(code), "granted");
  const std::string other = Code(OfflineCodeType::kOneTime, HourFromNow(0), 5);
  Patch(SettingsPatch{.operating_mode = OperatingMode::kLockdown});
  EXPECT_EQ(Type(other), "denied:mode");
  Patch(SettingsPatch{.operating_mode = OperatingMode::kPassage});
  EXPECT_EQ(Type(other), "granted") << "passage: an unlock is granted as ever";
}

TEST_F(LockOfflineTest, ACriticalBatteryRefusesWithoutSpendingOrCounting) {
  const std::string once = Code(OfflineCodeType::kOneTime, HourFromNow(0), 4);
  ASSERT_TRUE(lock().SetBattery(3000).ok());
  ASSERT_TRUE(lock().status().battery.critical);
  EXPECT_EQ(Type(once), "denied:insufficient_battery");
  EXPECT_EQ(Wrong(), 0u);
  ASSERT_TRUE(lock().SetExternalPower(true).ok());
  EXPECT_EQ(Enter(once), "granted");
}

// --- the record (offline_code_state.h) ---------------------------------------------------------

std::string PlainOf(uint32_t n) {
  // Distinct well-formed plaintexts: type 1, start n, duration 1, check 000.
  return PackOfflineCode({OfflineCodeType::kWindow, n, 1}, 0);
}

TEST(OfflineCodeStateTest, RememberingPastTheCapDropsEndedWindowsFirstThenTheOneEndingFirst) {
  OfflineCodeState s;
  s.epoch_s = 3600 * 1000;
  const int64_t now_s = s.HourStartS(500);
  for (uint32_t i = 0; i < kMaxRememberedOfflineCodes; ++i) {
    // Every tenth has a window that ended (end hour <= 500); the rest end at 1000 + i.
    const uint32_t end = i % 10 == 0 ? 300 + i / 10 : 1000 + i;
    s.Remember({PlainOf(i), end, now_s - 60}, now_s);
  }
  ASSERT_EQ(s.remembered.size(), kMaxRememberedOfflineCodes);
  s.Remember({PlainOf(5000), 3000, now_s}, now_s);
  EXPECT_EQ(s.remembered.size(), kMaxRememberedOfflineCodes - 103 + 1) << "the 103 ended ones went";
  EXPECT_EQ(s.Find(PlainOf(0)), nullptr);
  EXPECT_NE(s.Find(PlainOf(1)), nullptr);
  EXPECT_NE(s.Find(PlainOf(5000)), nullptr);

  // None ended: the one whose window ends first goes.
  OfflineCodeState full;
  for (uint32_t i = 0; i < kMaxRememberedOfflineCodes; ++i) full.Remember({PlainOf(i), 2000 - i, 0}, 0);
  full.Remember({PlainOf(9000), 5000, 0}, 0);
  EXPECT_EQ(full.remembered.size(), kMaxRememberedOfflineCodes);
  EXPECT_EQ(full.Find(PlainOf(kMaxRememberedOfflineCodes - 1)), nullptr) << "it ended first (hour 977)";
  EXPECT_NE(full.Find(PlainOf(0)), nullptr);
  EXPECT_TRUE(std::is_sorted(full.remembered.begin(), full.remembered.end(),
                             [](const auto& a, const auto& b) { return a.plain < b.plain; }));
}

TEST(OfflineCodeStateTest, TheStoredFormRoundTripsAndIsReadStrictly) {
  OfflineCodeState s;
  s.key = KeyOf(7);
  s.epoch_s = 1795600800;
  s.generation = 3;
  s.revocations_version = 9;
  s.revoked = {PlainOf(1), PlainOf(2)};
  s.Remember({PlainOf(4), 77, 1795600900}, 0);
  const std::vector<uint8_t> bytes = EncodeOfflineCodeState(s);
  auto back = DecodeOfflineCodeState(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  EXPECT_EQ(EncodeOfflineCodeState(*back), bytes);
  EXPECT_TRUE(DecodeOfflineCodeState(EncodeOfflineCodeState(OfflineCodeState{})).ok());

  OfflineCodeState unsorted = s;
  std::swap(unsorted.revoked[0], unsorted.revoked[1]);
  EXPECT_FALSE(DecodeOfflineCodeState(EncodeOfflineCodeState(unsorted)).ok());
  OfflineCodeState bad_code = s;
  bad_code.revoked = {"404242004838"};  // type 4
  EXPECT_FALSE(DecodeOfflineCodeState(EncodeOfflineCodeState(bad_code)).ok());
  OfflineCodeState bad_epoch = s;
  bad_epoch.epoch_s += 1;
  EXPECT_FALSE(DecodeOfflineCodeState(EncodeOfflineCodeState(bad_epoch)).ok());
  std::vector<uint8_t> cut = bytes;
  cut.pop_back();
  EXPECT_FALSE(DecodeOfflineCodeState(cut).ok());
}

}  // namespace
}  // namespace latchkey::core
