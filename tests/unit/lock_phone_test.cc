// Phone keys at the lock (PHONE-KEYS.md 1, 4): the home key, revocation lists, the access
// decision for a certificate and auto-unlock with arrival tokens, on the LockTest fixture (a
// fake clock, a memory store and real Ed25519 signatures).
#include <gtest/gtest.h>

#include "crypto/sodium_crypto.h"
#include "lock_fixture.h"

namespace latchkey::core {
namespace {

constexpr std::string_view kLockId = "lk-00112233aabbccdd";

template <std::size_t N>
std::array<uint8_t, N> Filled(uint8_t byte) {
  std::array<uint8_t, N> a{};
  a.fill(byte);
  return a;
}

class LockPhoneTest : public LockTest {
 protected:
  LockPhoneTest() : home_(crypto::Ed25519KeyPairFromSeed(Filled<32>(0x01))) {
    config_.lock_id = std::string(kLockId);
    config_.motor_ms = 0;
  }

  void SetUp() override {
    LockTest::SetUp();
    ASSERT_TRUE(lock().SetHomeKey(home_.public_key, hub_).ok());
    user_ = AddPinUser("123456");
    cert_ = Cert(7, user_);
  }

  int64_t NowS() const { return clock_.WallMs() / 1000; }

  PhoneKeyCert Cert(uint64_t serial, UserIndex user, bool auto_unlock = false) const {
    PhoneKeyCert c;
    c.serial = serial;
    c.lock = std::string(kLockId);
    c.user = user;
    c.phone = phone_;
    c.not_before = NowS() - 60;
    c.not_after = NowS() + 24 * 3600;
    c.ops = {.lock = true, .unlock = true, .unlatch = true};
    c.auto_unlock = auto_unlock;
    Sign(c);
    return c;
  }
  void Sign(PhoneKeyCert& c) const { c.sig = crypto::SignEd25519(home_, PhoneKeySignedBytes(c)); }

  PhoneRevocations Revocations(uint64_t version, uint32_t epoch, std::vector<uint64_t> serials) const {
    PhoneRevocations list{version, epoch, std::move(serials), {}};
    list.sig = crypto::SignEd25519(home_, PhoneRevocationsSignedBytes(list));
    return list;
  }

  ArrivalToken Arrival(uint8_t nonce = 1, int64_t age_s = 5) const {
    return {std::string(kLockId), phone_, cert_.serial, NowS() - age_s, Filled<16>(nonce)};
  }

  PhoneDecision Phone(const PhoneKeyCert& cert, std::optional<Operation> op = Operation::kUnlock,
                      const ArrivalToken* arrival = nullptr, X25519PublicKey session = {}) {
    PhoneRequest request;
    request.certificate = &cert;
    request.session_key = session == X25519PublicKey{} ? phone_ : session;
    request.operation = op;
    request.arrival = arrival;
    auto d = lock().PhoneAccess(request);
    EXPECT_TRUE(d.ok()) << d.status().message();
    return d.ok() ? *d : PhoneDecision{};
  }

  crypto::Ed25519KeyPair home_;
  X25519PublicKey phone_ = Filled<32>(0x11);
  Actor hub_{Source::kRemote, "hub", true};
  UserIndex user_ = 0;
  PhoneKeyCert cert_;
};

TEST_F(LockPhoneTest, AValidCertificateUnlocksAsItsUserWithSourcePhoneAndTheSerial) {
  const PhoneDecision d = Phone(cert_);
  ASSERT_EQ(d.decision.result, DecisionResult::kGranted) << d.reason();
  EXPECT_EQ(lock().status().lock_state, LockState::kUnlocked);
  const Event e = EventsOfKind(EventKind::kLockOperation).back();
  EXPECT_EQ(e.source, Source::kPhone);
  ASSERT_TRUE(e.credential);
  EXPECT_EQ(e.credential->type, CredentialType::kPhoneKey);
  EXPECT_EQ(e.credential->serial, 7u);
  EXPECT_EQ(e.user, (IndexOrAll{user_, false}));
  EXPECT_FALSE(e.auto_unlock);
}

TEST_F(LockPhoneTest, EveryRefusalIsRecordedAndOnlyForgeriesCount) {
  PhoneKeyCert expired = Cert(8, user_);
  expired.not_before = NowS() - 7200;
  expired.not_after = NowS() - 3600;
  Sign(expired);
  EXPECT_EQ(Phone(expired).verdict, PhoneKeyVerdict::kExpired);
  EXPECT_EQ(lock().status().wrong_attempts, 0u);

  PhoneKeyCert tampered = cert_;
  tampered.user = static_cast<UserIndex>(user_ + 1);  // not what the hub signed
  EXPECT_EQ(Phone(tampered).verdict, PhoneKeyVerdict::kBadSignature);
  EXPECT_EQ(lock().status().wrong_attempts, 1u);

  EXPECT_EQ(Phone(cert_, Operation::kUnlock, nullptr, Filled<32>(0x22)).verdict, PhoneKeyVerdict::kWrongPhone);
  EXPECT_EQ(lock().status().wrong_attempts, 2u);

  PhoneKeyCert foreign = Cert(9, user_);
  foreign.lock = "lk-ffffffffffffffff";
  Sign(foreign);
  EXPECT_EQ(Phone(foreign).verdict, PhoneKeyVerdict::kWrongLock);
  EXPECT_EQ(lock().status().wrong_attempts, 2u);
  const Event e = EventsOfKind(EventKind::kLockOperationError).back();
  EXPECT_EQ(e.source, Source::kPhone);
  EXPECT_EQ(e.error, AccessError::kInvalidCredential);
  EXPECT_EQ(lock().status().lock_state, LockState::kLocked);
}

TEST_F(LockPhoneTest, HammeringForgedKeysHitsTheDoorLockout) {
  PhoneKeyCert forged = cert_;
  forged.sig[0] ^= 1;
  for (int i = 0; i < 10; ++i) Phone(forged);
  EXPECT_GT(lock().status().lockout_remaining_ms, 0);
  // Now even the real key waits: the lockout is the door's, whatever the interface.
  EXPECT_EQ(Phone(cert_).decision.reason, AccessError::kLockout);
}

TEST_F(LockPhoneTest, WithoutAHomeKeyNoCertificatePasses) {
  config_.lock_id = std::string(kLockId);
  store_ = testing::MemoryLockStore{};
  Open();
  user_ = AddPinUser("123456");
  EXPECT_EQ(Phone(Cert(7, user_)).verdict, PhoneKeyVerdict::kNoHomeKey);
}

TEST_F(LockPhoneTest, RevocationListsAreSignedVersionedAndSurviveAReboot) {
  PhoneRevocations list = Revocations(3, 0, {7});
  PhoneRevocations forged = list;
  forged.revoked = {8};
  EXPECT_FALSE(lock().ApplyPhoneRevocations(forged, hub_).ok());
  auto applied = lock().ApplyPhoneRevocations(list, hub_);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->revocations_version, 3u);
  EXPECT_EQ(Phone(cert_).verdict, PhoneKeyVerdict::kRevoked);
  // An older list replayed changes nothing.
  EXPECT_EQ(lock().ApplyPhoneRevocations(Revocations(2, 0, {}), hub_)->revocations_version, 3u);
  Reboot();
  EXPECT_EQ(Phone(cert_).verdict, PhoneKeyVerdict::kRevoked);
  // Revoke-all: the epoch rises; a certificate of the old epoch is refused, a new one passes.
  ASSERT_TRUE(lock().ApplyPhoneRevocations(Revocations(4, 1, {}), hub_).ok());
  EXPECT_EQ(Phone(Cert(10, user_)).verdict, PhoneKeyVerdict::kBelowEpoch);
  PhoneKeyCert renewed = Cert(11, user_);
  renewed.epoch = 1;
  Sign(renewed);
  EXPECT_EQ(Phone(renewed).decision.result, DecisionResult::kGranted);
  // A later list cannot lower the epoch.
  ASSERT_TRUE(lock().ApplyPhoneRevocations(Revocations(5, 0, {}), hub_).ok());
  EXPECT_EQ(lock().phone_keys().min_epoch, 1u);
}

TEST_F(LockPhoneTest, ANewHomeKeyForgetsTheOldHubsRevocations) {
  ASSERT_TRUE(lock().ApplyPhoneRevocations(Revocations(3, 2, {7}), hub_).ok());
  home_ = crypto::Ed25519KeyPairFromSeed(Filled<32>(0x02));
  ASSERT_TRUE(lock().SetHomeKey(home_.public_key, hub_).ok());
  EXPECT_EQ(lock().phone_keys(), (PhoneKeyInfo{true, 0, 0, 0}));
  EXPECT_EQ(Phone(Cert(7, user_)).decision.result, DecisionResult::kGranted);
}

TEST_F(LockPhoneTest, TheUsersStatusScheduleAndTheModeStillApply) {
  Patch(SettingsPatch{.operating_mode = OperatingMode::kPrivacy});
  EXPECT_EQ(Phone(cert_).decision.reason, AccessError::kMode);
  Patch(SettingsPatch{.operating_mode = OperatingMode::kNormal});
  UserRequest disable;
  disable.index = user_;
  disable.status = UserStatus::kDisabled;
  ASSERT_TRUE(lock().ModifyUser(disable, owner_).ok());
  EXPECT_EQ(Phone(cert_).decision.reason, AccessError::kDisabledUser);
  // A user since removed: refused, not counted.
  ASSERT_TRUE(lock().ClearUser(user_, owner_).ok());
  EXPECT_EQ(Phone(cert_).decision.reason, AccessError::kInvalidCredential);
  EXPECT_EQ(lock().status().wrong_attempts, 0u);
}

TEST_F(LockPhoneTest, ACertificateOnlyGuestOpensWithinItsWindow) {
  const PhoneKeyCert guest = Cert(20, 0);
  const PhoneDecision d = Phone(guest);
  ASSERT_EQ(d.decision.result, DecisionResult::kGranted) << d.reason();
  EXPECT_EQ(EventsOfKind(EventKind::kLockOperation).back().user, (IndexOrAll{0, false}));
  Advance(25LL * 3600 * 1000);
  EXPECT_EQ(Phone(guest).verdict, PhoneKeyVerdict::kExpired);
}

TEST_F(LockPhoneTest, TheStatusNeedsAValidCertificateAndRecordsNothing) {
  const std::size_t before = events().size();
  EXPECT_EQ(Phone(cert_, std::nullopt).decision.result, DecisionResult::kGranted);
  EXPECT_EQ(events().size(), before);
  EXPECT_EQ(lock().status().lock_state, LockState::kLocked);
}

TEST_F(LockPhoneTest, AutoUnlockNeedsAutoAFreshUnusedTokenAndQuiet) {
  const ArrivalToken token = Arrival();
  // Without "auto" in the certificate.
  EXPECT_EQ(Phone(cert_, Operation::kUnlock, &token).auto_refusal, AutoUnlockRefusal::kNotAllowed);
  cert_ = Cert(7, user_, /*auto_unlock=*/true);
  // A stale token.
  const ArrivalToken stale = Arrival(2, kArrivalTokenLifetimeS);
  EXPECT_EQ(Phone(cert_, Operation::kUnlock, &stale).auto_refusal, AutoUnlockRefusal::kStaleToken);
  // A fresh one opens, once.
  const PhoneDecision d = Phone(cert_, Operation::kUnlock, &token);
  ASSERT_EQ(d.decision.result, DecisionResult::kGranted) << d.reason();
  EXPECT_EQ(EventsOfKind(EventKind::kLockOperation).back().auto_unlock, true);
  ASSERT_TRUE(lock().Remote({Operation::kLock, std::nullopt, std::nullopt, owner_}).ok());
  // The remote lock is not an opening; the reused token is refused, even after a power cut.
  Reboot();
  EXPECT_EQ(Phone(cert_, Operation::kUnlock, &token).auto_refusal, AutoUnlockRefusal::kUsedToken);
  EXPECT_EQ(lock().status().wrong_attempts, 0u);
}

TEST_F(LockPhoneTest, NoAutoUnlockWithinTenMinutesOfAnotherOpening) {
  cert_ = Cert(7, user_, /*auto_unlock=*/true);
  ASSERT_TRUE(lock().ManualOperation(Source::kManual, Operation::kUnlock).ok());  // left from inside
  ASSERT_TRUE(lock().ManualOperation(Source::kManual, Operation::kLock).ok());
  Advance(9 * 60 * 1000);
  const ArrivalToken first = Arrival(3);
  EXPECT_EQ(Phone(cert_, Operation::kUnlock, &first).auto_refusal, AutoUnlockRefusal::kQuiet);
  Advance(61 * 1000);
  const ArrivalToken second = Arrival(4);
  EXPECT_EQ(Phone(cert_, Operation::kUnlock, &second).decision.result, DecisionResult::kGranted);
  // A keypad unlock starts the quiet time again, and it survives a reboot.
  ASSERT_TRUE(lock().Remote({Operation::kLock, std::nullopt, std::nullopt, owner_}).ok());
  Keypad("123456");
  Reboot();
  const ArrivalToken third = Arrival(5);
  EXPECT_EQ(Phone(cert_, Operation::kUnlock, &third).auto_refusal, AutoUnlockRefusal::kQuiet);
}

TEST_F(LockPhoneTest, ATokenOfAnotherPhoneOrCertificateIsRefused) {
  cert_ = Cert(7, user_, /*auto_unlock=*/true);
  ArrivalToken other = Arrival(6);
  other.serial = 99;
  EXPECT_EQ(Phone(cert_, Operation::kUnlock, &other).auto_refusal, AutoUnlockRefusal::kWrongToken);
  other = Arrival(7);
  other.lock = "lk-ffffffffffffffff";
  EXPECT_EQ(Phone(cert_, Operation::kUnlock, &other).auto_refusal, AutoUnlockRefusal::kWrongToken);
}

TEST(PhoneKeyStateTest, TheStoredFormRoundTripsAndRefusesDamage) {
  PhoneKeyState s;
  s.home_key = Filled<32>(9);
  s.revocations_version = 4;
  s.min_epoch = 2;
  s.revoked = {1, 5, 900};
  s.used_arrivals = {{Filled<16>(1), 1'800'000'000}};
  const auto bytes = EncodePhoneKeyState(s);
  auto back = DecodePhoneKeyState(bytes);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, s);
  EXPECT_EQ(*DecodePhoneKeyState(EncodePhoneKeyState(PhoneKeyState{})), PhoneKeyState{});
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(DecodePhoneKeyState(std::span(bytes).first(cut)).ok()) << cut;
  }
}

TEST(PhoneRevocationsTest, EncodingIsStrict) {
  PhoneRevocations list{2, 1, {3, 4}, Filled<64>(5)};
  const auto bytes = EncodePhoneRevocations(list);
  EXPECT_EQ(*DecodePhoneRevocations(bytes), list);
  PhoneRevocations unordered = list;
  unordered.revoked = {4, 3};
  const auto status = DecodePhoneRevocations(EncodePhoneRevocations(unordered)).status();
  EXPECT_EQ(status.message(), "revoked: not a list of at most 512 serials in ascending order");
}

TEST(ArrivalTokenTest, EncodingIsStrict) {
  ArrivalToken t{"lk-1", Filled<32>(1), 5, 1'800'000'000, Filled<16>(2)};
  const auto bytes = EncodeArrivalToken(t);
  EXPECT_EQ(*DecodeArrivalToken(bytes), t);
  t.lock = "*";
  EXPECT_FALSE(DecodeArrivalToken(EncodeArrivalToken(t)).ok());
}

}  // namespace
}  // namespace latchkey::core
