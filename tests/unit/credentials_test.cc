// LOCK-SEMANTICS.md 4 (credentials), with the choices of docs/lock-choices.md where it is
// silent.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lock_fixture.h"

namespace latchkey::core {
namespace {

CredentialRequest Req(CredentialType type, std::string data,
                      std::optional<CredentialIndex> index = std::nullopt,
                      std::optional<UserIndex> user = std::nullopt) {
  CredentialRequest r;
  r.type = type;
  r.data = std::move(data);
  r.index = index;
  r.user = user;
  return r;
}

CredentialRequest Pin(std::string data, std::optional<CredentialIndex> index = std::nullopt,
                      std::optional<UserIndex> user = std::nullopt) {
  return Req(CredentialType::kPin, std::move(data), index, user);
}

CredentialRequest ProgrammingPin(std::string data) {
  return Req(CredentialType::kProgrammingPin, std::move(data), 0);
}

bool Contains(const std::vector<uint8_t>& haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

class CredentialsTest : public LockTest {
 protected:
  Code AddCode(const CredentialRequest& request) {
    return lock().AddCredential(request, owner_).status().code();
  }
  CredentialResult MustAdd(const CredentialRequest& request) {
    auto added = lock().AddCredential(request, owner_);
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    return added.ok() ? added.value() : CredentialResult{};
  }
  User MustGetUser(UserIndex index) {
    auto user = lock().GetUser(index);
    EXPECT_TRUE(user.ok()) << user.status().ToString();
    return user.ok() ? user.value() : User{};
  }
  std::vector<Event> ChangesAfter(uint64_t seq) const {
    std::vector<Event> out;
    for (const auto& e : events()) {
      if (e.seq > seq && e.kind == EventKind::kChange) out.push_back(e);
    }
    return out;
  }
  // The change events after `seq` of `type` and `op`.
  std::vector<Event> ChangesOf(uint64_t seq, DataType type, ChangeOperation op) const {
    std::vector<Event> out;
    for (const auto& e : ChangesAfter(seq)) {
      if (e.data_type == type && e.change == op) out.push_back(e);
    }
    return out;
  }
  void ExpectRefused(const std::string& pin, AccessError reason) {
    const Decision d = Keypad(pin);
    EXPECT_EQ(d.result, DecisionResult::kDenied) << pin;
    EXPECT_EQ(d.reason, reason) << pin;
  }
};

// A lock with two user slots of two credentials each (4 slots per type).
class SmallCredentialsTest : public CredentialsTest {
 protected:
  void SetUp() override {
    config_.capabilities.max_users = 2;
    config_.capabilities.credentials_per_user = 2;
    CredentialsTest::SetUp();
  }
};

// A lock with short PINs (4..8) and short RFID ids (4..8 bytes).
class ShortPinCredentialsTest : public CredentialsTest {
 protected:
  void SetUp() override {
    config_.capabilities.min_pin_length = 4;
    config_.capabilities.max_pin_length = 8;
    config_.capabilities.rfid_min_bytes = 5;
    config_.capabilities.rfid_max_bytes = 8;
    CredentialsTest::SetUp();
  }
};

// ---------------------------------------------------------------------------------------------
// Adding: data validation (step 1)
// ---------------------------------------------------------------------------------------------

// LOCK-SEMANTICS 4, adding, step 1 + lock-choices.md (data rules): PIN is ASCII digits of
// min_pin_length..max_pin_length (6..12 by default).
TEST_F(CredentialsTest, PinDigitsAndLengthFromCapabilities) {
  EXPECT_EQ(AddCode(Pin("12345")), Code::kInvalid);
  EXPECT_EQ(AddCode(Pin("1234567890123")), Code::kInvalid);
  EXPECT_EQ(AddCode(Pin("")), Code::kInvalid);
  EXPECT_EQ(AddCode(Pin("12345a")), Code::kInvalid);
  EXPECT_EQ(AddCode(Pin("123 456")), Code::kInvalid);
  EXPECT_EQ(AddCode(Pin("-123456")), Code::kInvalid);
  EXPECT_EQ(AddCode(Pin("12345#")), Code::kInvalid);
  EXPECT_EQ(AddCode(Pin("\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93\xEF\xBC\x94\xEF\xBC\x95\xEF\xBC\x96")),
            Code::kInvalid);  // fullwidth digits
  EXPECT_TRUE(lock().ListCredentials(std::nullopt).empty());
  EXPECT_TRUE(lock().ListUsers().empty()) << "a refused add creates no user";

  EXPECT_EQ(AddCode(Pin("123456")), Code::kOk);
  EXPECT_EQ(AddCode(Pin("123456789012")), Code::kOk);
  EXPECT_EQ(AddCode(Pin("000000")), Code::kOk) << "leading zeros are digits";
}

// LOCK-SEMANTICS 1 + 4: the PIN length limits come from the capabilities.
TEST_F(ShortPinCredentialsTest, PinLengthFollowsCapabilities) {
  EXPECT_EQ(AddCode(Pin("123")), Code::kInvalid);
  EXPECT_EQ(AddCode(Pin("1234")), Code::kOk);
  EXPECT_EQ(AddCode(Pin("12345678")), Code::kOk);
  EXPECT_EQ(AddCode(Pin("123456789")), Code::kInvalid);
  EXPECT_EQ(Keypad("1234").result, DecisionResult::kGranted);
}

// LOCK-SEMANTICS 4, adding, step 1 + lock-choices.md: RFID is an even number of hex digits
// making rfid_min_bytes..rfid_max_bytes (4..16) bytes.
TEST_F(CredentialsTest, RfidHexEvenLengthByteRange) {
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "04A1B2")), Code::kInvalid);    // 3 bytes
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "04A1B2C")), Code::kInvalid);   // odd
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "04A1B2C3D")), Code::kInvalid); // odd
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "04G1B2C3")), Code::kInvalid);  // not hex
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "04:A1:B2:C3")), Code::kInvalid);
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "0x04A1B2C3")), Code::kInvalid);
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "")), Code::kInvalid);
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, std::string(34, 'A'))), Code::kInvalid);  // 17
  EXPECT_TRUE(lock().ListCredentials(CredentialType::kRfid).empty());

  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "04A1B2C3")), Code::kOk);              // 4
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, std::string(32, 'f'))), Code::kOk);    // 16
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "0123456789abcdefABCDEF")), Code::kOk);
}

// LOCK-SEMANTICS 1 + 4: the RFID byte limits come from the capabilities.
TEST_F(ShortPinCredentialsTest, RfidByteRangeFollowsCapabilities) {
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "04A1B2C3")), Code::kInvalid);            // 4
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "04A1B2C3D4")), Code::kOk);               // 5
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "0102030405060708")), Code::kOk);         // 8
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "010203040506070809")), Code::kInvalid);  // 9
}

// LOCK-SEMANTICS 4, adding, step 2 + lock-choices.md (digests): RFID UIDs are compared
// case-insensitively: the other case is the same card.
TEST_F(CredentialsTest, RfidDuplicateIsCaseInsensitive) {
  MustAdd(Req(CredentialType::kRfid, "04a1b2c3"));
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "04A1B2C3")), Code::kDuplicate);
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "04a1B2c3")), Code::kDuplicate);
  EXPECT_EQ(lock().ListCredentials(CredentialType::kRfid).size(), 1u);
  // And the card reads in either case.
  auto upper = lock().Present(Source::kRfid, "04A1B2C3");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper->result, DecisionResult::kGranted);
  auto lower = lock().Present(Source::kRfid, "04a1b2c3");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->result, DecisionResult::kGranted);
}

// LOCK-SEMANTICS 4: fingerprint / face take any string of 1..32 characters.
TEST_F(CredentialsTest, FingerprintAndFaceOneTo32) {
  for (CredentialType type : {CredentialType::kFingerprint, CredentialType::kFace}) {
    SCOPED_TRACE(std::string(ToString(type)));
    EXPECT_EQ(AddCode(Req(type, "")), Code::kInvalid);
    EXPECT_EQ(AddCode(Req(type, std::string(33, 't'))), Code::kInvalid);
    EXPECT_EQ(AddCode(Req(type, "x")), Code::kOk);
    EXPECT_EQ(AddCode(Req(type, std::string(32, 't'))), Code::kOk);
    EXPECT_EQ(AddCode(Req(type, "right index finger")), Code::kOk);
    EXPECT_EQ(lock().ListCredentials(type).size(), 3u);
  }
}

// lock-choices.md (data rules): templates are valid UTF-8 without control characters.
TEST_F(CredentialsTest, TemplateRefusesControlCharactersAndBadUtf8) {
  EXPECT_EQ(AddCode(Req(CredentialType::kFingerprint, "thumb\n")), Code::kInvalid);
  EXPECT_EQ(AddCode(Req(CredentialType::kFingerprint, std::string("a\0b", 3))), Code::kInvalid);
  EXPECT_EQ(AddCode(Req(CredentialType::kFace, "face\x7F")), Code::kInvalid);
  EXPECT_EQ(AddCode(Req(CredentialType::kFace, "face\xFF")), Code::kInvalid);
  EXPECT_TRUE(lock().ListCredentials(std::nullopt).empty());
}

// LOCK-SEMANTICS 4, adding, step 1: an unsupported type (phone_key, "later") is invalid.
TEST_F(CredentialsTest, PhoneKeyIsUnsupported) {
  EXPECT_EQ(AddCode(Req(CredentialType::kPhoneKey, "a-phone-key")), Code::kInvalid);
  EXPECT_EQ(AddCode(Req(CredentialType::kPhoneKey, "a-phone-key", 1)), Code::kInvalid);
  EXPECT_EQ(AddCode(Req(static_cast<CredentialType>(6), "123456", 1)), Code::kInvalid);
  EXPECT_TRUE(lock().ListUsers().empty());
}

// LOCK-SEMANTICS 4, adding, step 1: index 0 (except programming_pin) or above the range is
// invalid; the last index of the range is a slot.
TEST_F(CredentialsTest, IndexZeroOrAboveRangeInvalid) {
  const CredentialIndex n = lock().capabilities().credential_slots();
  ASSERT_EQ(n, 2500u);
  EXPECT_EQ(AddCode(Pin("123456", 0)), Code::kInvalid);
  EXPECT_EQ(AddCode(Pin("123456", n + 1)), Code::kInvalid);
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "04A1B2C3", 0)), Code::kInvalid);
  EXPECT_EQ(AddCode(Req(CredentialType::kFace, "me", 0)), Code::kInvalid);
  EXPECT_TRUE(lock().ListUsers().empty());
  auto last = MustAdd(Pin("123456", n));
  EXPECT_EQ(last.credential, (CredentialRef{CredentialType::kPin, n}));
}

// LOCK-SEMANTICS 4: a programming_pin is added at index 0 only.
TEST_F(CredentialsTest, ProgrammingPinIndexZeroOnly) {
  EXPECT_EQ(AddCode(Req(CredentialType::kProgrammingPin, "246801", 1)), Code::kInvalid);
  EXPECT_EQ(AddCode(Req(CredentialType::kProgrammingPin, "246801", 2)), Code::kInvalid);
  EXPECT_TRUE(lock().ListUsers().empty());
  auto added = MustAdd(ProgrammingPin("246801"));
  EXPECT_EQ(added.credential, (CredentialRef{CredentialType::kProgrammingPin, 0}));
}

// LOCK-SEMANTICS 4: the programming PIN is digits like a PIN.
TEST_F(CredentialsTest, ProgrammingPinDataIsValidated) {
  EXPECT_EQ(AddCode(ProgrammingPin("12345")), Code::kInvalid);
  EXPECT_EQ(AddCode(ProgrammingPin("abcdef")), Code::kInvalid);
  EXPECT_EQ(AddCode(ProgrammingPin("1234567890123")), Code::kInvalid);
  EXPECT_TRUE(lock().ListUsers().empty());
}

// ---------------------------------------------------------------------------------------------
// Adding: the order of the checks
// ---------------------------------------------------------------------------------------------

// LOCK-SEMANTICS 4, adding, step 1 before step 2: bad index wins over duplicate data.
TEST_F(CredentialsTest, OrderInvalidIndexBeforeDuplicate) {
  MustAdd(Pin("111111", 1));
  EXPECT_EQ(AddCode(Pin("111111", 0)), Code::kInvalid);
  EXPECT_EQ(AddCode(Pin("111111", 2501)), Code::kInvalid);
}

// LOCK-SEMANTICS 4, adding, step 1 before step 2: unsupported type wins over everything.
TEST_F(CredentialsTest, OrderUnsupportedTypeFirst) {
  MustAdd(Pin("111111", 1));
  EXPECT_EQ(AddCode(Req(CredentialType::kPhoneKey, "111111", 1, 99)), Code::kInvalid);
}

// LOCK-SEMANTICS 4, adding, step 1 before step 3: bad data wins over an occupied slot.
TEST_F(CredentialsTest, OrderInvalidDataBeforeOccupied) {
  MustAdd(Pin("111111", 1));
  EXPECT_EQ(AddCode(Pin("12", 1)), Code::kInvalid);
  EXPECT_EQ(AddCode(Pin("12345x", 1)), Code::kInvalid);
}

// LOCK-SEMANTICS 4, adding, step 1 before step 4: bad data wins over a missing user.
TEST_F(CredentialsTest, OrderInvalidDataBeforeUserNotFound) {
  EXPECT_EQ(AddCode(Pin("12", std::nullopt, 42)), Code::kInvalid);
}

// LOCK-SEMANTICS 4, adding, step 2 before step 3: duplicate data wins over an occupied slot,
// and nothing is stored.
TEST_F(CredentialsTest, OrderDuplicateBeforeOccupied) {
  const auto a = MustAdd(Pin("111111", 1));
  MustAdd(Pin("222222", 2));
  EXPECT_EQ(AddCode(Pin("222222", 1)), Code::kDuplicate);
  // Slot 1 still holds 111111.
  auto stored = lock().GetCredential({CredentialType::kPin, 1});
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->user, a.user);
  EXPECT_EQ(Keypad("111111").result, DecisionResult::kGranted);
}

// LOCK-SEMANTICS 4, adding, step 2 before step 4: duplicate wins over a missing user and over
// a request that names a user and a user type.
TEST_F(CredentialsTest, OrderDuplicateBeforeUserChecks) {
  MustAdd(Pin("111111", 1));
  EXPECT_EQ(AddCode(Pin("111111", 5, 42)), Code::kDuplicate);
  CredentialRequest both = Pin("111111", 5, 1);
  both.user_type = UserType::kForced;
  EXPECT_EQ(AddCode(both), Code::kDuplicate);
  EXPECT_EQ(lock().ListCredentials(CredentialType::kPin).size(), 1u);
}

// LOCK-SEMANTICS 4, adding, step 2 before step 5: duplicate wins over "no free user slot".
TEST_F(SmallCredentialsTest, OrderDuplicateBeforeNoFreeUserSlot) {
  MustAdd(Pin("111111"));
  MustAdd(Pin("222222"));
  ASSERT_EQ(lock().ListUsers().size(), 2u);
  EXPECT_EQ(AddCode(Pin("111111")), Code::kDuplicate);
  EXPECT_EQ(AddCode(Pin("333333")), Code::kResourceExhausted);
}

// LOCK-SEMANTICS 4, adding, step 3 before step 4: an occupied slot wins over a missing user,
// a user named together with a type, and a full user.
TEST_F(SmallCredentialsTest, OrderOccupiedBeforeUserChecks) {
  const auto a = MustAdd(Pin("111111", 1));
  MustAdd(Pin("121212", 2, a.user));  // user a now holds credentials_per_user (2)
  EXPECT_EQ(AddCode(Pin("222222", 1, 2)), Code::kOccupied);
  CredentialRequest typed = Pin("222222", 1, a.user);
  typed.user_type = UserType::kForced;
  EXPECT_EQ(AddCode(typed), Code::kOccupied);
  EXPECT_EQ(AddCode(Pin("222222", 2, a.user)), Code::kOccupied);
}

// LOCK-SEMANTICS 4, adding, step 3 before step 5: an occupied slot wins over "no free user".
TEST_F(SmallCredentialsTest, OrderOccupiedBeforeNoFreeUserSlot) {
  MustAdd(Pin("111111", 1));
  MustAdd(Pin("222222", 2));
  EXPECT_EQ(AddCode(Pin("333333", 1)), Code::kOccupied);
}

// LOCK-SEMANTICS 4, adding, step 4: the named user must exist before the type/status rule.
TEST_F(CredentialsTest, OrderUserNotFoundBeforeTypeWithUser) {
  CredentialRequest r = Pin("111111", std::nullopt, 42);
  r.user_type = UserType::kForced;
  EXPECT_EQ(AddCode(r), Code::kNotFound);
}

// LOCK-SEMANTICS 4, adding, step 4: naming a user with a type or status is invalid before the
// user's credential count is checked.
TEST_F(SmallCredentialsTest, OrderTypeWithUserBeforeUserFull) {
  const auto a = MustAdd(Pin("111111"));
  MustAdd(Pin("121212", std::nullopt, a.user));
  CredentialRequest r = Pin("131313", std::nullopt, a.user);
  r.user_status = UserStatus::kDisabled;
  EXPECT_EQ(AddCode(r), Code::kInvalid);
  EXPECT_EQ(AddCode(Pin("131313", std::nullopt, a.user)), Code::kResourceExhausted);
}

// ---------------------------------------------------------------------------------------------
// Adding: step 4 (a user is named) and step 5 (no user named)
// ---------------------------------------------------------------------------------------------

// LOCK-SEMANTICS 4, adding, step 4: a named user must exist (else not_found).
TEST_F(CredentialsTest, NamedUserMustExist) {
  EXPECT_EQ(AddCode(Pin("111111", std::nullopt, 7)), Code::kNotFound);
  EXPECT_EQ(AddCode(Pin("111111", 3, 7)), Code::kNotFound);
  EXPECT_TRUE(lock().ListCredentials(std::nullopt).empty());
  EXPECT_TRUE(lock().ListUsers().empty());
}

// LOCK-SEMANTICS 4, adding, step 4: naming a user and also a user_type or user_status is
// invalid; the user is unchanged.
TEST_F(CredentialsTest, NamedUserWithTypeOrStatusIsInvalid) {
  const auto a = MustAdd(Pin("111111"));
  const User before = MustGetUser(a.user);
  CredentialRequest typed = Pin("222222", std::nullopt, a.user);
  typed.user_type = UserType::kUnrestricted;
  EXPECT_EQ(AddCode(typed), Code::kInvalid);
  CredentialRequest status = Pin("222222", std::nullopt, a.user);
  status.user_status = UserStatus::kEnabled;
  EXPECT_EQ(AddCode(status), Code::kInvalid);
  EXPECT_EQ(MustGetUser(a.user), before);
  EXPECT_EQ(lock().ListCredentials(CredentialType::kPin).size(), 1u);
}

// LOCK-SEMANTICS 4, adding, step 4: a user that already holds credentials_per_user is
// resource_exhausted (across types).
TEST_F(SmallCredentialsTest, CredentialsPerUserReached) {
  const auto a = MustAdd(Pin("111111"));
  MustAdd(Req(CredentialType::kRfid, "04A1B2C3", std::nullopt, a.user));
  EXPECT_EQ(AddCode(Pin("222222", std::nullopt, a.user)), Code::kResourceExhausted);
  EXPECT_EQ(AddCode(Req(CredentialType::kFace, "face", std::nullopt, a.user)),
            Code::kResourceExhausted);
  EXPECT_EQ(MustGetUser(a.user).credentials.size(), 2u);
}

// LOCK-SEMANTICS 3 (credentials in the order added) + 4, step 4: naming a user adds to it.
TEST_F(CredentialsTest, NamedUserGetsCredentialInOrder) {
  ASSERT_TRUE(lock().AddUser(UserRequest{.index = 4}, owner_).ok());
  const auto r1 = MustAdd(Req(CredentialType::kRfid, "04A1B2C3", std::nullopt, 4));
  const auto r2 = MustAdd(Pin("111111", std::nullopt, 4));
  const auto r3 = MustAdd(Req(CredentialType::kFingerprint, "thumb", std::nullopt, 4));
  EXPECT_EQ(r1.user, 4);
  EXPECT_EQ(r2.user, 4);
  EXPECT_EQ(r3.user, 4);
  const User u = MustGetUser(4);
  ASSERT_EQ(u.credentials.size(), 3u);
  EXPECT_EQ(u.credentials[0], (CredentialRef{CredentialType::kRfid, 1}));
  EXPECT_EQ(u.credentials[1], (CredentialRef{CredentialType::kPin, 1}));
  EXPECT_EQ(u.credentials[2], (CredentialRef{CredentialType::kFingerprint, 1}));
  EXPECT_EQ(lock().ListUsers().size(), 1u);
  auto stored = lock().GetCredential({CredentialType::kPin, 1});
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->user, 4);
}

// LOCK-SEMANTICS 4, adding, step 5: no user named creates a user in the lowest free slot with
// the requested type and status.
TEST_F(CredentialsTest, NoUserNamedCreatesUserInLowestFreeSlot) {
  ASSERT_TRUE(lock().AddUser(UserRequest{.index = 1}, owner_).ok());
  ASSERT_TRUE(lock().AddUser(UserRequest{.index = 3}, owner_).ok());
  CredentialRequest r = Pin("111111");
  r.user_type = UserType::kForced;
  r.user_status = UserStatus::kDisabled;
  const auto added = MustAdd(r);
  EXPECT_EQ(added.user, 2);
  const User u = MustGetUser(2);
  EXPECT_EQ(u.type, UserType::kForced);
  EXPECT_EQ(u.status, UserStatus::kDisabled);
  ASSERT_EQ(u.credentials.size(), 1u);
  EXPECT_EQ(u.credentials[0], added.credential);
  EXPECT_EQ(u.created_by, "owner");

  // Default type and status.
  const auto plain = MustAdd(Pin("222222"));
  EXPECT_EQ(plain.user, 4);
  const User p = MustGetUser(4);
  EXPECT_EQ(p.type, UserType::kUnrestricted);
  EXPECT_EQ(p.status, UserStatus::kEnabled);
}

// LOCK-SEMANTICS 4, adding, step 5: programming as the new user's type is invalid.
TEST_F(CredentialsTest, ProgrammingUserTypeInRequestIsInvalid) {
  CredentialRequest r = Pin("111111");
  r.user_type = UserType::kProgramming;
  EXPECT_EQ(AddCode(r), Code::kInvalid);
  EXPECT_TRUE(lock().ListUsers().empty());
  EXPECT_TRUE(lock().ListCredentials(std::nullopt).empty());
}

// LOCK-SEMANTICS 4, adding, step 5: no free user slot is resource_exhausted; nothing stored.
TEST_F(SmallCredentialsTest, NoFreeUserSlotIsResourceExhausted) {
  MustAdd(Pin("111111"));
  MustAdd(Pin("222222"));
  const uint64_t seq = lock().last_seq();
  EXPECT_EQ(AddCode(Pin("333333")), Code::kResourceExhausted);
  EXPECT_EQ(AddCode(Req(CredentialType::kRfid, "04A1B2C3")), Code::kResourceExhausted);
  EXPECT_EQ(lock().ListCredentials(std::nullopt).size(), 2u);
  EXPECT_EQ(lock().last_seq(), seq);
  ExpectRefused("333333", AccessError::kInvalidCredential);
}

// LOCK-SEMANTICS 4: the response gives the credential, its user and next_free_index.
TEST_F(CredentialsTest, ResultHasNextFreeIndex) {
  const auto a = MustAdd(Pin("111111"));
  EXPECT_EQ(a.credential, (CredentialRef{CredentialType::kPin, 1}));
  EXPECT_EQ(a.next_free_index, 2u);
  const auto b = MustAdd(Pin("222222", 3));
  EXPECT_EQ(b.credential, (CredentialRef{CredentialType::kPin, 3}));
  EXPECT_EQ(b.next_free_index, 2u);
  const auto c = MustAdd(Pin("333333"));
  EXPECT_EQ(c.credential.index, 2u);
  EXPECT_EQ(c.next_free_index, 4u);
  // Per type: RFID has its own index space.
  const auto r = MustAdd(Req(CredentialType::kRfid, "04A1B2C3"));
  EXPECT_EQ(r.credential, (CredentialRef{CredentialType::kRfid, 1}));
  EXPECT_EQ(r.next_free_index, 2u);
  EXPECT_EQ(lock().NextFreeIndex(CredentialType::kPin), 4u);
  EXPECT_EQ(lock().NextFreeIndex(CredentialType::kFace), 1u);
}

// LOCK-SEMANTICS 4: next_free_index is null when the type is full; lock-choices.md: an add
// with no index when none is free is resource_exhausted.
TEST_F(SmallCredentialsTest, NextFreeIndexNullWhenFull) {
  const auto a = MustAdd(Pin("111111"));
  MustAdd(Pin("222222", std::nullopt, a.user));
  const auto b = MustAdd(Pin("333333"));
  const auto last = MustAdd(Pin("444444", std::nullopt, b.user));
  EXPECT_EQ(last.credential.index, 4u);
  EXPECT_EQ(last.next_free_index, std::nullopt);
  EXPECT_EQ(lock().NextFreeIndex(CredentialType::kPin), std::nullopt);
  EXPECT_EQ(AddCode(Pin("555555")), Code::kResourceExhausted);
}

// ---------------------------------------------------------------------------------------------
// The programming PIN
// ---------------------------------------------------------------------------------------------

// LOCK-SEMANTICS 4: adding the programming PIN creates the programming user; it opens like an
// unrestricted user (3).
TEST_F(CredentialsTest, ProgrammingPinCreatesProgrammingUser) {
  ASSERT_TRUE(lock().AddUser(UserRequest{.index = 1}, owner_).ok());
  const auto added = MustAdd(ProgrammingPin("975310"));
  EXPECT_EQ(added.credential, (CredentialRef{CredentialType::kProgrammingPin, 0}));
  EXPECT_NE(added.user, 0);
  const User p = MustGetUser(added.user);
  EXPECT_EQ(p.type, UserType::kProgramming);
  ASSERT_EQ(p.credentials.size(), 1u);
  EXPECT_EQ(p.credentials[0], (CredentialRef{CredentialType::kProgrammingPin, 0}));
  EXPECT_EQ(Keypad("975310").result, DecisionResult::kGranted);
}

// LOCK-SEMANTICS 4: the request names no user and no user type for a programming PIN.
TEST_F(CredentialsTest, ProgrammingPinWithUserOrTypeIsInvalid) {
  ASSERT_TRUE(lock().AddUser(UserRequest{.index = 1}, owner_).ok());
  CredentialRequest named = ProgrammingPin("975310");
  named.user = 1;
  EXPECT_EQ(AddCode(named), Code::kInvalid);
  CredentialRequest typed = ProgrammingPin("975310");
  typed.user_type = UserType::kUnrestricted;
  EXPECT_EQ(AddCode(typed), Code::kInvalid);
  EXPECT_EQ(lock().GetCredential({CredentialType::kProgrammingPin, 0}).status().code(),
            Code::kNotFound);
}

// LOCK-SEMANTICS 4: one programming PIN per lock; a second add is refused (its slot 0 is
// occupied) and the first keeps working.
TEST_F(CredentialsTest, OnlyOneProgrammingPin) {
  const auto first = MustAdd(ProgrammingPin("975310"));
  EXPECT_EQ(AddCode(ProgrammingPin("864200")), Code::kOccupied);
  EXPECT_EQ(AddCode(ProgrammingPin("975310")), Code::kDuplicate);
  EXPECT_EQ(lock().ListCredentials(CredentialType::kProgrammingPin).size(), 1u);
  int programmers = 0;
  for (const auto& u : lock().ListUsers()) programmers += u.type == UserType::kProgramming;
  EXPECT_EQ(programmers, 1);
  EXPECT_EQ(Keypad("975310").result, DecisionResult::kGranted);
  ExpectRefused("864200", AccessError::kInvalidCredential);
  (void)first;
}

// LOCK-SEMANTICS 4: the programming PIN can be modified; it stays on the programming user.
TEST_F(CredentialsTest, ProgrammingPinCanBeModified) {
  const auto first = MustAdd(ProgrammingPin("975310"));
  auto modified =
      lock().ModifyCredential({CredentialType::kProgrammingPin, 0}, "864200", std::nullopt, owner_);
  ASSERT_TRUE(modified.ok()) << modified.status().ToString();
  EXPECT_EQ(modified->user, first.user);
  ExpectRefused("975310", AccessError::kInvalidCredential);
  EXPECT_EQ(Keypad("864200").result, DecisionResult::kGranted);
}

// lock-choices.md (the programming PIN has its own digest domain, issue 9): a PIN equal to the
// programming PIN is not `duplicate` (that answer would tell whoever adds PINs, at no cost,
// whether a code is the programming PIN); at the keypad the programming PIN comes first.
// Before wave 2 this was refused as duplicate ("one keypad code space").
TEST_F(CredentialsTest, PinEqualToProgrammingPinIsNotDuplicate) {
  const auto programming = MustAdd(ProgrammingPin("975310"));
  EXPECT_EQ(AddCode(Pin("975310")), Code::kOk);
  EXPECT_EQ(lock().ListCredentials(CredentialType::kPin).size(), 1u);
  EXPECT_EQ(Keypad("975310").user, std::optional<UserIndex>(programming.user));
}

// lock-choices.md (the programming PIN has its own digest domain): the reverse, nor is a
// programming PIN equal to a PIN (guessing the programming PIN finds no PIN).
TEST_F(CredentialsTest, ProgrammingPinEqualToPinIsNotDuplicate) {
  MustAdd(Pin("975310"));
  EXPECT_EQ(AddCode(ProgrammingPin("975310")), Code::kOk);
  EXPECT_TRUE(lock().GetCredential({CredentialType::kProgrammingPin, 0}).ok());
}

// lock-choices.md (the programming PIN has its own digest domain): modifying a PIN to the
// programming PIN's digits, or the reverse, is no duplicate either; both keep working.
TEST_F(CredentialsTest, ModifyAcrossPinAndProgrammingPinIsNotDuplicate) {
  const auto programming = MustAdd(ProgrammingPin("975310"));
  const auto pin = MustAdd(Pin("111111", 1));
  EXPECT_TRUE(lock().ModifyCredential({CredentialType::kPin, 1}, "975310", std::nullopt, owner_).ok());
  EXPECT_TRUE(lock().ModifyCredential({CredentialType::kProgrammingPin, 0}, "111111", std::nullopt, owner_).ok());
  EXPECT_EQ(Keypad("111111").user, std::optional<UserIndex>(programming.user));
  Advance(config_.motor_ms);
  EXPECT_EQ(Keypad("975310").user, std::optional<UserIndex>(pin.user));
}

// LOCK-SEMANTICS 4: data of different types never collides (a PIN and a card with the same
// text are different credentials).
TEST_F(CredentialsTest, SameDataDifferentTypesIsNotDuplicate) {
  MustAdd(Req(CredentialType::kRfid, "12345678"));
  EXPECT_EQ(AddCode(Pin("12345678")), Code::kOk);
  MustAdd(Req(CredentialType::kFingerprint, "same"));
  EXPECT_EQ(AddCode(Req(CredentialType::kFace, "same")), Code::kOk);
}

// ---------------------------------------------------------------------------------------------
// Modifying
// ---------------------------------------------------------------------------------------------

// LOCK-SEMANTICS 4, modifying: an empty slot is not_found.
TEST_F(CredentialsTest, ModifyEmptySlotIsNotFound) {
  MustAdd(Pin("111111", 1));
  EXPECT_EQ(lock()
                .ModifyCredential({CredentialType::kPin, 2}, "222222", std::nullopt, owner_)
                .status()
                .code(),
            Code::kNotFound);
  EXPECT_EQ(lock().GetCredential({CredentialType::kPin, 2}).status().code(), Code::kNotFound);
  ExpectRefused("222222", AccessError::kInvalidCredential);
}

// LOCK-SEMANTICS 4, modifying: another slot holding the same data is duplicate.
TEST_F(CredentialsTest, ModifyToOtherSlotsDataIsDuplicate) {
  MustAdd(Pin("111111", 1));
  MustAdd(Pin("222222", 2));
  auto result = lock().ModifyCredential({CredentialType::kPin, 1}, "222222", std::nullopt, owner_);
  EXPECT_EQ(result.status().code(), Code::kDuplicate);
  EXPECT_EQ(Keypad("111111").result, DecisionResult::kGranted);
}

// LOCK-SEMANTICS 4, modifying: naming a different user than the owner is occupied; naming the
// owner is fine.
TEST_F(CredentialsTest, ModifyNamingAnotherUserIsOccupied) {
  const auto a = MustAdd(Pin("111111", 1));
  const auto b = MustAdd(Pin("222222", 2));
  EXPECT_EQ(lock().ModifyCredential({CredentialType::kPin, 1}, "333333", b.user, owner_)
                .status()
                .code(),
            Code::kOccupied);
  EXPECT_EQ(Keypad("111111").result, DecisionResult::kGranted);
  auto ok = lock().ModifyCredential({CredentialType::kPin, 1}, "333333", a.user, owner_);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->user, a.user);
  EXPECT_EQ(ok->credential, (CredentialRef{CredentialType::kPin, 1}));
}

// LOCK-SEMANTICS 4, modifying: the data is validated like on add.
TEST_F(CredentialsTest, ModifyValidatesData) {
  MustAdd(Pin("111111", 1));
  EXPECT_EQ(lock()
                .ModifyCredential({CredentialType::kPin, 1}, "12", std::nullopt, owner_)
                .status()
                .code(),
            Code::kInvalid);
  EXPECT_EQ(lock()
                .ModifyCredential({CredentialType::kPin, 0}, "222222", std::nullopt, owner_)
                .status()
                .code(),
            Code::kInvalid);
  EXPECT_EQ(Keypad("111111").result, DecisionResult::kGranted);
}

// LOCK-SEMANTICS 4, modifying: the old data stops working at once, the new data works.
TEST_F(CredentialsTest, ModifyOldDataStopsWorkingAtOnce) {
  const auto a = MustAdd(Pin("111111", 1));
  ASSERT_EQ(Keypad("111111").result, DecisionResult::kGranted);
  auto modified = lock().ModifyCredential({CredentialType::kPin, 1}, "654321", std::nullopt, owner_);
  ASSERT_TRUE(modified.ok()) << modified.status().ToString();
  EXPECT_EQ(modified->user, a.user);
  ExpectRefused("111111", AccessError::kInvalidCredential);
  const Decision d = Keypad("654321");
  EXPECT_EQ(d.result, DecisionResult::kGranted);
  EXPECT_EQ(d.user, a.user);
  EXPECT_EQ(d.credential, (CredentialRef{CredentialType::kPin, 1}));
  // The old data is free again.
  EXPECT_EQ(AddCode(Pin("111111")), Code::kOk);
}

// LOCK-SEMANTICS 4, modifying: RFID old card stops at once too.
TEST_F(CredentialsTest, ModifyRfidOldCardStops) {
  MustAdd(Req(CredentialType::kRfid, "04A1B2C3", 1));
  ASSERT_TRUE(
      lock().ModifyCredential({CredentialType::kRfid, 1}, "0A0B0C0D", std::nullopt, owner_).ok());
  auto old_card = lock().Present(Source::kRfid, "04A1B2C3");
  ASSERT_TRUE(old_card.ok());
  EXPECT_EQ(old_card->reason, AccessError::kInvalidCredential);
  auto new_card = lock().Present(Source::kRfid, "0a0b0c0d");
  ASSERT_TRUE(new_card.ok());
  EXPECT_EQ(new_card->result, DecisionResult::kGranted);
}

// lock-choices.md (credentials): modifying to the very data already held succeeds.
TEST_F(CredentialsTest, ModifyToSameDataSucceeds) {
  MustAdd(Pin("111111", 1));
  const auto before = lock().GetCredential({CredentialType::kPin, 1});
  ASSERT_TRUE(before.ok());
  auto same = lock().ModifyCredential({CredentialType::kPin, 1}, "111111", std::nullopt, owner_);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  const auto after = lock().GetCredential({CredentialType::kPin, 1});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after.value(), before.value());
  EXPECT_EQ(same->credential, (CredentialRef{CredentialType::kPin, 1}));
  EXPECT_EQ(Keypad("111111").result, DecisionResult::kGranted);
}

// ---------------------------------------------------------------------------------------------
// Clearing
// ---------------------------------------------------------------------------------------------

// LOCK-SEMANTICS 4, clearing: one slot; an empty slot is a success that changes nothing.
TEST_F(CredentialsTest, ClearOneSlotEmptyIsSuccessNoChange) {
  const auto a = MustAdd(Pin("111111", 1));
  MustAdd(Pin("222222", 2, a.user));
  const uint64_t seq = lock().last_seq();
  EXPECT_TRUE(lock().ClearCredential({CredentialType::kPin, 7}, owner_).ok());
  EXPECT_EQ(lock().last_seq(), seq) << "an empty slot records nothing";
  EXPECT_EQ(lock().ListCredentials(std::nullopt).size(), 2u);

  ASSERT_TRUE(lock().ClearCredential({CredentialType::kPin, 1}, owner_).ok());
  EXPECT_EQ(lock().GetCredential({CredentialType::kPin, 1}).status().code(), Code::kNotFound);
  ExpectRefused("111111", AccessError::kInvalidCredential);
  EXPECT_EQ(Keypad("222222").result, DecisionResult::kGranted);
  const User u = MustGetUser(a.user);
  ASSERT_EQ(u.credentials.size(), 1u);
  EXPECT_EQ(u.credentials[0], (CredentialRef{CredentialType::kPin, 2}));
}

// LOCK-SEMANTICS 4, clearing: all of one type leaves the other types.
TEST_F(CredentialsTest, ClearOneTypeLeavesOthers) {
  const auto a = MustAdd(Pin("111111"));
  MustAdd(Req(CredentialType::kRfid, "04A1B2C3", std::nullopt, a.user));
  MustAdd(Pin("222222"));
  MustAdd(Req(CredentialType::kFace, "face"));
  ASSERT_TRUE(lock().ClearCredentials(CredentialType::kPin, owner_).ok());
  EXPECT_TRUE(lock().ListCredentials(CredentialType::kPin).empty());
  EXPECT_EQ(lock().ListCredentials(CredentialType::kRfid).size(), 1u);
  EXPECT_EQ(lock().ListCredentials(CredentialType::kFace).size(), 1u);
  ExpectRefused("111111", AccessError::kInvalidCredential);
  ExpectRefused("222222", AccessError::kInvalidCredential);
  auto card = lock().Present(Source::kRfid, "04A1B2C3");
  ASSERT_TRUE(card.ok());
  EXPECT_EQ(card->result, DecisionResult::kGranted);
  // User a keeps its card; the PIN-only user is gone with its last credential.
  EXPECT_EQ(MustGetUser(a.user).credentials.size(), 1u);
  EXPECT_EQ(lock().ListUsers().size(), 2u);
}

// LOCK-SEMANTICS 4, clearing: all types, never the programming PIN.
TEST_F(CredentialsTest, ClearAllKeepsProgrammingPin) {
  const auto prog = MustAdd(ProgrammingPin("975310"));
  MustAdd(Pin("111111"));
  MustAdd(Req(CredentialType::kRfid, "04A1B2C3"));
  MustAdd(Req(CredentialType::kFingerprint, "thumb"));
  ASSERT_TRUE(lock().ClearCredentials(std::nullopt, owner_).ok());
  const auto left = lock().ListCredentials(std::nullopt);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].ref, (CredentialRef{CredentialType::kProgrammingPin, 0}));
  EXPECT_EQ(MustGetUser(prog.user).type, UserType::kProgramming);
  ASSERT_EQ(lock().ListUsers().size(), 1u);
  EXPECT_EQ(Keypad("975310").result, DecisionResult::kGranted);
  ExpectRefused("111111", AccessError::kInvalidCredential);
}

// lock-choices.md (credentials): clearing the type programming_pin is invalid.
TEST_F(CredentialsTest, ClearTypeProgrammingPinIsInvalid) {
  MustAdd(ProgrammingPin("975310"));
  EXPECT_EQ(lock().ClearCredentials(CredentialType::kProgrammingPin, owner_).code(),
            Code::kInvalid);
  EXPECT_EQ(Keypad("975310").result, DecisionResult::kGranted);
}

// LOCK-SEMANTICS 4 + lock-choices.md: the programming PIN can only be modified or removed with
// the programming user; clearing its slot directly is invalid.
TEST_F(CredentialsTest, ClearProgrammingPinSlotIsInvalid) {
  MustAdd(ProgrammingPin("975310"));
  EXPECT_EQ(lock().ClearCredential({CredentialType::kProgrammingPin, 0}, owner_).code(),
            Code::kInvalid);
  EXPECT_EQ(Keypad("975310").result, DecisionResult::kGranted);
}

// LOCK-SEMANTICS 4, clearing one slot: index 0 or above the range of a type is invalid.
TEST_F(CredentialsTest, ClearSlotOutOfRangeIsInvalid) {
  EXPECT_EQ(lock().ClearCredential({CredentialType::kPin, 0}, owner_).code(), Code::kInvalid);
  EXPECT_EQ(lock().ClearCredential({CredentialType::kPin, 2501}, owner_).code(), Code::kInvalid);
}

// LOCK-SEMANTICS 4, clearing: a user whose last credential is cleared is deleted with its
// schedules.
TEST_F(CredentialsTest, LastCredentialClearedDeletesUserAndSchedules) {
  const auto a = MustAdd(Pin("111111"));
  MustAdd(Req(CredentialType::kRfid, "04A1B2C3", std::nullopt, a.user));
  WeekDaySchedule wd;
  wd.index = 1;
  wd.days = 0x1F;
  wd.start_min = 8 * 60;
  wd.end_min = 18 * 60;
  ASSERT_TRUE(lock().SetWeekDaySchedule(a.user, wd, owner_).ok());
  YearDaySchedule yd;
  yd.index = 1;
  yd.start = LocalDateTime{2027, 1, 1, 0, 0};
  yd.end = LocalDateTime{2027, 2, 1, 0, 0};
  ASSERT_TRUE(lock().SetYearDaySchedule(a.user, yd, owner_).ok());

  ASSERT_TRUE(lock().ClearCredential({CredentialType::kPin, 1}, owner_).ok());
  EXPECT_TRUE(lock().GetUser(a.user).ok()) << "still holds its card";
  ASSERT_TRUE(lock().ClearCredential({CredentialType::kRfid, 1}, owner_).ok());
  EXPECT_EQ(lock().GetUser(a.user).status().code(), Code::kNotFound);

  // Its schedules went with it: a new user in that slot has none.
  ASSERT_TRUE(lock().AddUser(UserRequest{.index = a.user}, owner_).ok());
  const User fresh = MustGetUser(a.user);
  EXPECT_TRUE(fresh.week_day_schedules.empty());
  EXPECT_TRUE(fresh.year_day_schedules.empty());
}

// LOCK-SEMANTICS 4, clearing a type: users left without credentials are deleted.
TEST_F(CredentialsTest, ClearTypeDeletesUsersLeftWithoutCredentials) {
  const auto a = MustAdd(Pin("111111"));
  const auto b = MustAdd(Pin("222222"));
  ASSERT_TRUE(lock().ClearCredentials(CredentialType::kPin, owner_).ok());
  EXPECT_EQ(lock().GetUser(a.user).status().code(), Code::kNotFound);
  EXPECT_EQ(lock().GetUser(b.user).status().code(), Code::kNotFound);
  EXPECT_TRUE(lock().ListUsers().empty());
}

// LOCK-SEMANTICS 4: clearing the programming user removes the programming PIN with it.
TEST_F(CredentialsTest, ClearingProgrammingUserRemovesProgrammingPin) {
  const auto prog = MustAdd(ProgrammingPin("975310"));
  ASSERT_TRUE(lock().ClearUser(prog.user, owner_).ok());
  EXPECT_EQ(lock().GetCredential({CredentialType::kProgrammingPin, 0}).status().code(),
            Code::kNotFound);
  EXPECT_EQ(lock().GetUser(prog.user).status().code(), Code::kNotFound);
  ExpectRefused("975310", AccessError::kInvalidCredential);
  // A new programming PIN can be added afterwards (with the same data even).
  const auto again = MustAdd(ProgrammingPin("975310"));
  EXPECT_EQ(MustGetUser(again.user).type, UserType::kProgramming);
}

// ---------------------------------------------------------------------------------------------
// Change events
// ---------------------------------------------------------------------------------------------

// LOCK-SEMANTICS 9 for section 4: add, modify and clear of a credential record change events
// with its data type, index, user, source and actor.
TEST_F(CredentialsTest, CredentialMutationsRecordChangeEvents) {
  uint64_t seq = lock().last_seq();
  const auto a = MustAdd(Pin("111111", 3));
  auto adds = ChangesOf(seq, DataType::kPin, ChangeOperation::kAdd);
  ASSERT_EQ(adds.size(), 1u);
  EXPECT_EQ(adds[0].index, (IndexOrAll{3, false}));
  EXPECT_EQ(adds[0].user, (IndexOrAll{a.user, false}));
  EXPECT_EQ(adds[0].source, Source::kRemote);
  EXPECT_EQ(adds[0].actor, std::string(kOwner));

  seq = lock().last_seq();
  ASSERT_TRUE(
      lock().ModifyCredential({CredentialType::kPin, 3}, "222222", std::nullopt, owner_).ok());
  auto mods = ChangesOf(seq, DataType::kPin, ChangeOperation::kModify);
  ASSERT_EQ(mods.size(), 1u);
  EXPECT_EQ(mods[0].index, (IndexOrAll{3, false}));

  seq = lock().last_seq();
  MustAdd(Req(CredentialType::kRfid, "04A1B2C3", std::nullopt, a.user));
  ASSERT_EQ(ChangesOf(seq, DataType::kRfid, ChangeOperation::kAdd).size(), 1u);

  seq = lock().last_seq();
  ASSERT_TRUE(lock().ClearCredential({CredentialType::kPin, 3}, owner_).ok());
  auto clears = ChangesOf(seq, DataType::kPin, ChangeOperation::kClear);
  ASSERT_EQ(clears.size(), 1u);
  EXPECT_EQ(clears[0].index, (IndexOrAll{3, false}));

  seq = lock().last_seq();
  MustAdd(Req(CredentialType::kFace, "face"));
  MustAdd(Req(CredentialType::kFingerprint, "thumb"));
  EXPECT_EQ(ChangesOf(seq, DataType::kFace, ChangeOperation::kAdd).size(), 1u);
  EXPECT_EQ(ChangesOf(seq, DataType::kFingerprint, ChangeOperation::kAdd).size(), 1u);

  seq = lock().last_seq();
  ASSERT_TRUE(lock().ClearCredentials(CredentialType::kRfid, owner_).ok());
  auto rfid_clear = ChangesOf(seq, DataType::kRfid, ChangeOperation::kClear);
  ASSERT_GE(rfid_clear.size(), 1u);

  seq = lock().last_seq();
  MustAdd(ProgrammingPin("975310"));
  auto prog = ChangesOf(seq, DataType::kProgrammingPin, ChangeOperation::kAdd);
  ASSERT_EQ(prog.size(), 1u);
  EXPECT_EQ(prog[0].index, (IndexOrAll{0, false}));

  seq = lock().last_seq();
  ASSERT_TRUE(lock().ClearCredentials(std::nullopt, owner_).ok());
  EXPECT_FALSE(ChangesAfter(seq).empty());
}

// LOCK-SEMANTICS 4: clearing all of one type records a clear with index "all".
TEST_F(CredentialsTest, ClearTypeRecordsIndexAll) {
  MustAdd(Pin("111111"));
  MustAdd(Pin("222222"));
  const uint64_t seq = lock().last_seq();
  ASSERT_TRUE(lock().ClearCredentials(CredentialType::kPin, owner_).ok());
  bool all = false;
  for (const auto& e : ChangesOf(seq, DataType::kPin, ChangeOperation::kClear)) {
    all = all || e.index == IndexOrAll::All();
  }
  EXPECT_TRUE(all);
}

// LOCK-SEMANTICS 4: refused mutations record nothing.
TEST_F(CredentialsTest, RefusedMutationsRecordNothing) {
  MustAdd(Pin("111111", 1));
  const uint64_t seq = lock().last_seq();
  EXPECT_NE(AddCode(Pin("111111")), Code::kOk);
  EXPECT_NE(AddCode(Pin("222222", 1)), Code::kOk);
  EXPECT_NE(AddCode(Pin("12")), Code::kOk);
  EXPECT_FALSE(lock().ModifyCredential({CredentialType::kPin, 9}, "333333", std::nullopt, owner_).ok());
  EXPECT_EQ(lock().last_seq(), seq);
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

// LOCK-SEMANTICS 4, secrets: the data never appears in any event (neither the stored log nor
// what the observer is told) nor in the messages of refusals.
TEST_F(CredentialsTest, DataNeverAppearsInEventsOrMessages) {
  const std::string pin = "739164";
  const std::string pin2 = "583927";
  const std::string card = "DEADBEEF4242";
  const std::string templ = "my-secret-thumb";
  const auto a = MustAdd(Pin(pin, 1));
  MustAdd(Req(CredentialType::kRfid, card, std::nullopt, a.user));
  MustAdd(Req(CredentialType::kFingerprint, templ, std::nullopt, a.user));
  MustAdd(ProgrammingPin("864213"));

  auto dup = lock().AddCredential(Pin(pin), owner_);
  EXPECT_EQ(dup.status().code(), Code::kDuplicate);
  EXPECT_EQ(dup.status().message().find(pin), std::string::npos) << dup.status().message();
  auto dup_card = lock().AddCredential(Req(CredentialType::kRfid, "deadbeef4242"), owner_);
  EXPECT_EQ(dup_card.status().code(), Code::kDuplicate);
  EXPECT_EQ(dup_card.status().message().find("DEADBEEF4242"), std::string::npos);
  EXPECT_EQ(dup_card.status().message().find("deadbeef4242"), std::string::npos);

  Keypad(pin);
  Keypad("000000");  // a wrong code
  ASSERT_TRUE(lock().Present(Source::kRfid, card).ok());
  ASSERT_TRUE(lock().Present(Source::kFingerprint, templ).ok());
  RemoteOp(Operation::kUnlock, pin);
  ASSERT_TRUE(lock().ModifyCredential({CredentialType::kPin, 1}, pin2, std::nullopt, owner_).ok());
  MustAdd(Pin("246802", 2));
  auto dup_mod = lock().ModifyCredential({CredentialType::kPin, 2}, pin2, std::nullopt, owner_);
  EXPECT_EQ(dup_mod.status().code(), Code::kDuplicate);
  EXPECT_EQ(dup_mod.status().message().find(pin2), std::string::npos);
  ASSERT_TRUE(lock().ClearCredential({CredentialType::kPin, 1}, owner_).ok());

  std::vector<Event> all = events();
  all.insert(all.end(), observer_.events.begin(), observer_.events.end());
  ASSERT_FALSE(all.empty());
  for (const auto& e : all) {
    const auto bytes = CanonicalEncoding(e);
    for (const std::string& secret :
         {pin, pin2, card, std::string("deadbeef4242"), templ, std::string("864213")}) {
      EXPECT_FALSE(Contains(bytes, secret)) << "event " << e.seq << " holds " << secret;
      if (e.actor) {
        EXPECT_EQ(e.actor->find(secret), std::string::npos);
      }
    }
  }
}

// LOCK-SEMANTICS 4, secrets: what the lock returns of a credential is its keyed digest; the
// same data gives the same digest, other data another one.
TEST_F(CredentialsTest, StoredCredentialHoldsOnlyDigestSameForSameData) {
  const int64_t t0 = clock_.WallMs();
  const auto a = MustAdd(Pin("739164", 1));
  auto first = lock().GetCredential({CredentialType::kPin, 1});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->ref, (CredentialRef{CredentialType::kPin, 1}));
  EXPECT_EQ(first->user, a.user);
  EXPECT_EQ(first->created_by, "owner");
  EXPECT_EQ(first->created_at_ms, t0);
  EXPECT_NE(first->digest, Digest{});
  const std::vector<uint8_t> digest_bytes(first->digest.begin(), first->digest.end());
  EXPECT_FALSE(Contains(digest_bytes, "739164"));

  // The same data stored again (after clearing it) gives the same digest.
  ASSERT_TRUE(lock().ClearCredential({CredentialType::kPin, 1}, owner_).ok());
  MustAdd(Pin("739164", 5));
  auto second = lock().GetCredential({CredentialType::kPin, 5});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->digest, first->digest);

  // Other data, another digest.
  MustAdd(Pin("739165", 6));
  auto other = lock().GetCredential({CredentialType::kPin, 6});
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->digest, first->digest);

  // ListCredentials returns the same records.
  const auto listed = lock().ListCredentials(CredentialType::kPin);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0], second.value());
  EXPECT_EQ(listed[1], other.value());
}

// lock-choices.md (digests): RFID UIDs are normalised to upper-case hex before hashing, so both
// spellings give one digest.
TEST_F(CredentialsTest, RfidDigestIsCaseNormalised) {
  MustAdd(Req(CredentialType::kRfid, "04a1b2c3", 1));
  auto lower = lock().GetCredential({CredentialType::kRfid, 1});
  ASSERT_TRUE(lower.ok());
  ASSERT_TRUE(lock().ClearCredential({CredentialType::kRfid, 1}, owner_).ok());
  MustAdd(Req(CredentialType::kRfid, "04A1B2C3", 1));
  auto upper = lock().GetCredential({CredentialType::kRfid, 1});
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(lower->digest, upper->digest);
}

// lock-choices.md (digests): the digest is BLAKE2b-256 keyed with the lock's secret over a
// one-byte domain and the normalised data, so a digest of a PIN differs from the digest of the
// same text as a card or template.
TEST_F(CredentialsTest, DigestIsKeyedOverDomainAndData) {
  MustAdd(Pin("12345678", 1));
  MustAdd(Req(CredentialType::kRfid, "12345678", 1));
  MustAdd(Req(CredentialType::kFingerprint, "12345678", 1));
  MustAdd(Req(CredentialType::kFace, "12345678", 1));
  auto pin = lock().GetCredential({CredentialType::kPin, 1});
  auto rfid = lock().GetCredential({CredentialType::kRfid, 1});
  auto finger = lock().GetCredential({CredentialType::kFingerprint, 1});
  auto face = lock().GetCredential({CredentialType::kFace, 1});
  ASSERT_TRUE(pin.ok() && rfid.ok() && finger.ok() && face.ok());
  auto keyed = [&](char domain, std::string_view data) {
    std::vector<uint8_t> bytes{static_cast<uint8_t>(domain)};
    bytes.insert(bytes.end(), data.begin(), data.end());
    return crypto_.KeyedDigest(bytes);
  };
  EXPECT_EQ(pin->digest, keyed('K', "12345678"));
  EXPECT_EQ(rfid->digest, keyed('R', "12345678"));
  EXPECT_EQ(finger->digest, keyed('F', "12345678"));
  EXPECT_EQ(face->digest, keyed('A', "12345678"));
  EXPECT_NE(pin->digest, rfid->digest);
  EXPECT_NE(finger->digest, face->digest);
}

// LOCK-SEMANTICS 4, secrets: the digest is keyed with a per-lock secret: the same PIN on a lock
// with the same key gives the same digest, on a lock with another key another digest.
TEST_F(CredentialsTest, DigestDiffersAcrossLocksWithDifferentKeys) {
  MustAdd(Pin("739164", 1));
  auto here = lock().GetCredential({CredentialType::kPin, 1});
  ASSERT_TRUE(here.ok());

  auto digest_on = [&](Crypto& crypto) -> std::optional<Digest> {
    testing::FakeClock clock;
    testing::MemoryLockStore store;
    testing::FakeBolt bolt;
    testing::RecordingFeedback feedback;
    LockEnv env;
    env.clock = &clock;
    env.crypto = &crypto;
    env.zones = &zones_;
    env.store = &store;
    env.bolt = &bolt;
    env.feedback = &feedback;
    auto opened = Lock::Open(config_, env);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return std::nullopt;
    std::unique_ptr<Lock> other = std::move(opened).value();
    auto added = other->AddCredential(Pin("739164", 1), owner_);
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    auto stored = other->GetCredential({CredentialType::kPin, 1});
    EXPECT_TRUE(stored.ok());
    if (!stored.ok()) return std::nullopt;
    return stored->digest;
  };

  // Same key as this lock.
  crypto::SecretKey same_key{};
  for (std::size_t i = 0; i < same_key.size(); ++i) same_key[i] = static_cast<uint8_t>(i * 7 + 1);
  crypto::SodiumCrypto same(same_key);
  const auto twin = digest_on(same);
  ASSERT_TRUE(twin.has_value());
  EXPECT_EQ(*twin, here->digest);

  crypto::SecretKey other_key{};
  for (std::size_t i = 0; i < other_key.size(); ++i) other_key[i] = static_cast<uint8_t>(0xA5 ^ i);
  crypto::SodiumCrypto different(other_key);
  const auto stranger = digest_on(different);
  ASSERT_TRUE(stranger.has_value());
  EXPECT_NE(*stranger, here->digest);
}

// LOCK-SEMANTICS 4: credentials (as digests) survive a power cycle and still open.
TEST_F(CredentialsTest, CredentialsSurvivePowerCycle) {
  MustAdd(Pin("739164", 1));
  MustAdd(Req(CredentialType::kRfid, "04A1B2C3", 2));
  const auto before = lock().ListCredentials(std::nullopt);
  Reboot();
  EXPECT_EQ(lock().ListCredentials(std::nullopt), before);
  EXPECT_EQ(Keypad("739164").result, DecisionResult::kGranted);
  EXPECT_EQ(AddCode(Pin("739164")), Code::kDuplicate);
}

}  // namespace
}  // namespace latchkey::core
