// LOCK-SEMANTICS.md 3 (users), with the choices of docs/lock-choices.md where it is silent.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lock_fixture.h"

namespace latchkey::core {
namespace {

UserRequest UserAt(std::optional<UserIndex> index, std::string name = "") {
  UserRequest request;
  request.index = index;
  if (!name.empty()) request.name = std::move(name);
  return request;
}

WeekDaySchedule AllWeek(uint32_t index) {
  WeekDaySchedule s;
  s.index = index;
  s.days = 0x7F;
  s.start_min = 0;
  s.end_min = 23 * 60 + 59;
  return s;
}

YearDaySchedule WholeYear(uint32_t index) {
  YearDaySchedule s;
  s.index = index;
  s.start = LocalDateTime{2026, 1, 1, 0, 0};
  s.end = LocalDateTime{2027, 12, 31, 23, 59};
  return s;
}

class UsersTest : public LockTest {
 protected:
  std::vector<Event> ChangesAfter(uint64_t seq) const {
    std::vector<Event> out;
    for (const auto& e : events()) {
      if (e.seq > seq && e.kind == EventKind::kChange) out.push_back(e);
    }
    return out;
  }
  User MustGet(UserIndex index) {
    auto user = lock().GetUser(index);
    EXPECT_TRUE(user.ok()) << user.status().ToString();
    return user.ok() ? user.value() : User{};
  }
};

// A lock with room for three users only.
class SmallUsersTest : public UsersTest {
 protected:
  void SetUp() override {
    config_.capabilities.max_users = 3;
    UsersTest::SetUp();
  }
};

// LOCK-SEMANTICS 3, rules: index 0 is invalid (read, add, modify, clear).
TEST_F(UsersTest, IndexZeroIsInvalid) {
  EXPECT_EQ(lock().GetUser(0).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().AddUser(UserAt(0), owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().ModifyUser(UserAt(0), owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().ClearUser(0, owner_).code(), Code::kInvalid);
  EXPECT_TRUE(lock().ListUsers().empty());
}

// LOCK-SEMANTICS 3, rules: an index above max_users is invalid; max_users itself is a slot.
TEST_F(UsersTest, IndexAboveMaxUsersIsInvalid) {
  const auto max = static_cast<UserIndex>(lock().capabilities().max_users);
  const auto above = static_cast<UserIndex>(max + 1);
  EXPECT_EQ(lock().GetUser(above).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().AddUser(UserAt(above), owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().ModifyUser(UserAt(above), owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().ClearUser(above, owner_).code(), Code::kInvalid);
  EXPECT_TRUE(lock().ListUsers().empty());

  auto added = lock().AddUser(UserAt(max, "last"), owner_);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(added->index, max);
  EXPECT_EQ(MustGet(max).name, "last");
}

// LOCK-SEMANTICS 3, rules: reading an empty slot is not_found.
TEST_F(UsersTest, ReadingEmptySlotIsNotFound) {
  EXPECT_EQ(lock().GetUser(1).status().code(), Code::kNotFound);
  EXPECT_EQ(lock().GetUser(250).status().code(), Code::kNotFound);
}

// LOCK-SEMANTICS 3: a user holds what was given (name, unique_id, status, type, rule) with
// defaults for the rest.
TEST_F(UsersTest, AddStoresFieldsAndDefaults) {
  UserRequest request = UserAt(5, "Alice");
  request.unique_id = 4242;
  request.status = UserStatus::kDisabled;
  request.type = UserType::kForced;
  request.credential_rule = CredentialRule::kDual;
  auto added = lock().AddUser(request, owner_);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  const User user = MustGet(5);
  EXPECT_EQ(user, added.value());
  EXPECT_EQ(user.index, 5);
  EXPECT_EQ(user.name, "Alice");
  EXPECT_EQ(user.unique_id, 4242u);
  EXPECT_EQ(user.status, UserStatus::kDisabled);
  EXPECT_EQ(user.type, UserType::kForced);
  EXPECT_EQ(user.credential_rule, CredentialRule::kDual);
  EXPECT_TRUE(user.credentials.empty());

  auto plain = lock().AddUser(UserAt(6), owner_);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->name, "");
  EXPECT_EQ(plain->unique_id, std::nullopt);
  EXPECT_EQ(plain->status, UserStatus::kEnabled);
  EXPECT_EQ(plain->type, UserType::kUnrestricted);
  EXPECT_EQ(plain->credential_rule, CredentialRule::kSingle);
}

// LOCK-SEMANTICS 3, rules: adding at an occupied slot is occupied and the user is unchanged.
TEST_F(UsersTest, AddAtOccupiedSlotIsOccupiedAndUserUnchanged) {
  UserRequest first = UserAt(3, "Alice");
  first.type = UserType::kDisposable;
  ASSERT_TRUE(lock().AddUser(first, owner_).ok());
  const User before = MustGet(3);
  const uint64_t seq = lock().last_seq();

  UserRequest second = UserAt(3, "Mallory");
  second.type = UserType::kUnrestricted;
  second.status = UserStatus::kDisabled;
  EXPECT_EQ(lock().AddUser(second, owner_).status().code(), Code::kOccupied);
  EXPECT_EQ(MustGet(3), before);
  EXPECT_EQ(lock().last_seq(), seq);
  EXPECT_EQ(lock().ListUsers().size(), 1u);
}

// LOCK-SEMANTICS 3, rules: modifying an empty slot is not_found (and creates nothing).
TEST_F(UsersTest, ModifyEmptySlotIsNotFound) {
  EXPECT_EQ(lock().ModifyUser(UserAt(4, "Bob"), owner_).status().code(), Code::kNotFound);
  EXPECT_EQ(lock().GetUser(4).status().code(), Code::kNotFound);
  EXPECT_TRUE(lock().ListUsers().empty());
}

// lock.h: ModifyUser needs an index.
TEST_F(UsersTest, ModifyWithoutIndexIsInvalid) {
  ASSERT_TRUE(lock().AddUser(UserAt(1, "Alice"), owner_).ok());
  EXPECT_EQ(lock().ModifyUser(UserAt(std::nullopt, "Bob"), owner_).status().code(),
            Code::kInvalid);
  EXPECT_EQ(MustGet(1).name, "Alice");
}

// user.h: modifying changes the fields given and keeps the others.
TEST_F(UsersTest, ModifyChangesOnlyGivenFields) {
  UserRequest add = UserAt(2, "Alice");
  add.unique_id = 7;
  add.type = UserType::kNonAccess;
  add.credential_rule = CredentialRule::kTri;
  ASSERT_TRUE(lock().AddUser(add, owner_).ok());

  UserRequest mod = UserAt(2, "Alicia");
  auto modified = lock().ModifyUser(mod, owner_);
  ASSERT_TRUE(modified.ok()) << modified.status().ToString();
  const User user = MustGet(2);
  EXPECT_EQ(user, modified.value());
  EXPECT_EQ(user.name, "Alicia");
  EXPECT_EQ(user.unique_id, 7u);
  EXPECT_EQ(user.type, UserType::kNonAccess);
  EXPECT_EQ(user.credential_rule, CredentialRule::kTri);
  EXPECT_EQ(user.status, UserStatus::kEnabled);
}

// LOCK-SEMANTICS 3, rules: adding with no index takes the lowest free slot.
TEST_F(UsersTest, AddWithoutIndexTakesLowestFreeSlot) {
  ASSERT_TRUE(lock().AddUser(UserAt(1), owner_).ok());
  ASSERT_TRUE(lock().AddUser(UserAt(3), owner_).ok());
  auto a = lock().AddUser(UserAt(std::nullopt, "a"), owner_);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->index, 2);
  auto b = lock().AddUser(UserAt(std::nullopt, "b"), owner_);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->index, 4);
  EXPECT_EQ(MustGet(2).name, "a");
  EXPECT_EQ(MustGet(4).name, "b");
  // A cleared slot is free again and is the lowest.
  ASSERT_TRUE(lock().ClearUser(1, owner_).ok());
  auto c = lock().AddUser(UserAt(std::nullopt, "c"), owner_);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->index, 1);
}

// LOCK-SEMANTICS 3, rules: adding with no index when no slot is free is resource_exhausted.
TEST_F(SmallUsersTest, AddWithoutIndexWhenFullIsResourceExhausted) {
  for (UserIndex expected = 1; expected <= 3; ++expected) {
    auto added = lock().AddUser(UserAt(std::nullopt), owner_);
    ASSERT_TRUE(added.ok()) << added.status().ToString();
    EXPECT_EQ(added->index, expected);
  }
  const uint64_t seq = lock().last_seq();
  EXPECT_EQ(lock().AddUser(UserAt(std::nullopt, "extra"), owner_).status().code(),
            Code::kResourceExhausted);
  EXPECT_EQ(lock().ListUsers().size(), 3u);
  EXPECT_EQ(lock().last_seq(), seq);
  // And index 4 is above max_users here.
  EXPECT_EQ(lock().AddUser(UserAt(4), owner_).status().code(), Code::kInvalid);
}

// LOCK-SEMANTICS 3, rules: status can be set to enabled or disabled only.
TEST_F(UsersTest, StatusOnlyEnabledOrDisabled) {
  UserRequest add = UserAt(1);
  add.status = UserStatus::kDisabled;
  ASSERT_TRUE(lock().AddUser(add, owner_).ok());
  EXPECT_EQ(MustGet(1).status, UserStatus::kDisabled);

  UserRequest enable = UserAt(1);
  enable.status = UserStatus::kEnabled;
  ASSERT_TRUE(lock().ModifyUser(enable, owner_).ok());
  EXPECT_EQ(MustGet(1).status, UserStatus::kEnabled);

  UserRequest bad = UserAt(1);
  bad.status = static_cast<UserStatus>(2);
  EXPECT_EQ(lock().ModifyUser(bad, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(MustGet(1).status, UserStatus::kEnabled);

  UserRequest bad_add = UserAt(2);
  bad_add.status = static_cast<UserStatus>(7);
  EXPECT_EQ(lock().AddUser(bad_add, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().GetUser(2).status().code(), Code::kNotFound);
}

// LOCK-SEMANTICS 3: type and credential_rule take only their listed values.
TEST_F(UsersTest, UnknownTypeOrRuleIsInvalid) {
  UserRequest bad_type = UserAt(1);
  bad_type.type = static_cast<UserType>(10);
  EXPECT_EQ(lock().AddUser(bad_type, owner_).status().code(), Code::kInvalid);
  UserRequest bad_rule = UserAt(2);
  bad_rule.credential_rule = static_cast<CredentialRule>(3);
  EXPECT_EQ(lock().AddUser(bad_rule, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().GetUser(1).status().code(), Code::kNotFound);
  EXPECT_EQ(lock().GetUser(2).status().code(), Code::kNotFound);

  ASSERT_TRUE(lock().AddUser(UserAt(3, "Carol"), owner_).ok());
  UserRequest mod_type = UserAt(3);
  mod_type.type = static_cast<UserType>(10);
  EXPECT_EQ(lock().ModifyUser(mod_type, owner_).status().code(), Code::kInvalid);
  UserRequest mod_rule = UserAt(3);
  mod_rule.credential_rule = static_cast<CredentialRule>(3);
  EXPECT_EQ(lock().ModifyUser(mod_rule, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(MustGet(3).type, UserType::kUnrestricted);
  EXPECT_EQ(MustGet(3).credential_rule, CredentialRule::kSingle);
}

// LOCK-SEMANTICS 3, rules + lock-choices.md (Users): a name longer than max_user_name_length
// code points is invalid; the limit counts UTF-8 code points, not bytes; an empty name is fine.
TEST_F(UsersTest, NameLengthCountsCodePoints) {
  ASSERT_EQ(lock().capabilities().max_user_name_length, 32u);
  EXPECT_TRUE(lock().AddUser(UserAt(1, std::string(32, 'a')), owner_).ok());
  EXPECT_EQ(lock().AddUser(UserAt(2, std::string(33, 'a')), owner_).status().code(),
            Code::kInvalid);
  EXPECT_EQ(lock().GetUser(2).status().code(), Code::kNotFound);

  std::string accents;  // 32 code points, 64 bytes
  for (int i = 0; i < 32; ++i) accents += "\xC3\xA9";
  auto added = lock().AddUser(UserAt(3, accents), owner_);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(MustGet(3).name, accents);

  std::string keys;  // 32 code points, 128 bytes
  for (int i = 0; i < 32; ++i) keys += "\xF0\x9F\x94\x91";
  EXPECT_TRUE(lock().AddUser(UserAt(4, keys), owner_).ok());
  EXPECT_EQ(lock().AddUser(UserAt(5, accents + "\xC3\xA9"), owner_).status().code(),
            Code::kInvalid);

  UserRequest empty_name = UserAt(6);
  empty_name.name = "";
  EXPECT_TRUE(lock().AddUser(empty_name, owner_).ok());
}

// LOCK-SEMANTICS 3, rules: a too-long name on modify is invalid and the user is unchanged.
TEST_F(UsersTest, ModifyWithTooLongNameIsInvalidAndUnchanged) {
  ASSERT_TRUE(lock().AddUser(UserAt(1, "Alice"), owner_).ok());
  const User before = MustGet(1);
  UserRequest mod = UserAt(1, std::string(33, 'z'));
  mod.status = UserStatus::kDisabled;
  EXPECT_EQ(lock().ModifyUser(mod, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(MustGet(1), before);
}

// lock-choices.md (Users): a name that is not valid UTF-8 is invalid.
TEST_F(UsersTest, InvalidUtf8NameIsInvalid) {
  for (const std::string& bad : {std::string("Al\xFFice"), std::string("\xC3"),
                                 std::string("\x80"), std::string("\xED\xA0\x80")}) {
    EXPECT_EQ(lock().AddUser(UserAt(1, bad), owner_).status().code(), Code::kInvalid);
  }
  EXPECT_EQ(lock().GetUser(1).status().code(), Code::kNotFound);
  ASSERT_TRUE(lock().AddUser(UserAt(1, "ok"), owner_).ok());
  EXPECT_EQ(lock().ModifyUser(UserAt(1, "bad\xC3("), owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(MustGet(1).name, "ok");
}

// LOCK-SEMANTICS 3 (programming: only the programming PIN's user) + lock-choices.md:
// `programming` cannot be given by add or modify.
TEST_F(UsersTest, ProgrammingTypeRefusedInAddAndModify) {
  UserRequest add = UserAt(1);
  add.type = UserType::kProgramming;
  EXPECT_EQ(lock().AddUser(add, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(lock().GetUser(1).status().code(), Code::kNotFound);

  ASSERT_TRUE(lock().AddUser(UserAt(1, "Alice"), owner_).ok());
  UserRequest mod = UserAt(1);
  mod.type = UserType::kProgramming;
  EXPECT_EQ(lock().ModifyUser(mod, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(MustGet(1).type, UserType::kUnrestricted);
}

// lock-choices.md (Users): the programming user's type cannot be changed.
TEST_F(UsersTest, ProgrammingUserTypeCannotBeChanged) {
  CredentialRequest request;
  request.type = CredentialType::kProgrammingPin;
  request.index = 0;
  request.data = "24680135";
  auto added = lock().AddCredential(request, owner_);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  const UserIndex programmer = added->user;
  ASSERT_EQ(MustGet(programmer).type, UserType::kProgramming);

  UserRequest mod = UserAt(programmer);
  mod.type = UserType::kUnrestricted;
  EXPECT_EQ(lock().ModifyUser(mod, owner_).status().code(), Code::kInvalid);
  EXPECT_EQ(MustGet(programmer).type, UserType::kProgramming);
}

// LOCK-SEMANTICS 3: created_by / modified_by are the actor, created_at / modified_at the lock's
// clock; modifying updates only the modified_* pair.
TEST_F(UsersTest, CreatedAndModifiedByAndAt) {
  const int64_t t0 = clock_.WallMs();
  auto added = lock().AddUser(UserAt(1, "Alice"), owner_);
  ASSERT_TRUE(added.ok());
  User user = MustGet(1);
  EXPECT_EQ(user.created_by, "owner");
  EXPECT_EQ(user.modified_by, "owner");
  EXPECT_EQ(user.created_at_ms, t0);
  EXPECT_EQ(user.modified_at_ms, t0);

  Advance(90'000);
  const int64_t t1 = clock_.WallMs();
  ASSERT_NE(t0, t1);
  const Actor keypad{Source::kKeypad, "keypad", false};
  ASSERT_TRUE(lock().ModifyUser(UserAt(1, "Alicia"), keypad).ok());
  user = MustGet(1);
  EXPECT_EQ(user.created_by, "owner");
  EXPECT_EQ(user.created_at_ms, t0);
  EXPECT_EQ(user.modified_by, "keypad");
  EXPECT_EQ(user.modified_at_ms, t1);
}

// LOCK-SEMANTICS 3 + lock-choices.md (Credentials): a user created by adding a credential gets
// created_by = the actor and the lock's time.
TEST_F(UsersTest, UserCreatedByCredentialCarriesActorAndTime) {
  const Actor hub{Source::kRemote, "hub", false};
  CredentialRequest request;
  request.type = CredentialType::kPin;
  request.data = "135792";
  auto added = lock().AddCredential(request, hub);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  const User user = MustGet(added->user);
  EXPECT_EQ(user.created_by, "hub");
  EXPECT_EQ(user.modified_by, "hub");
  EXPECT_EQ(user.created_at_ms, clock_.WallMs());
}

// lock-choices.md (Users): a user added with no credentials stays until cleared.
TEST_F(UsersTest, UserWithoutCredentialsStays) {
  ASSERT_TRUE(lock().AddUser(UserAt(1, "Alice"), owner_).ok());
  Advance(5000);
  Reboot();
  EXPECT_EQ(MustGet(1).name, "Alice");
}

// LOCK-SEMANTICS 3, rules: clearing a user removes its credentials and its week-day and
// year-day schedules, never holidays.
TEST_F(UsersTest, ClearUserRemovesCredentialsAndSchedulesNotHolidays) {
  const UserIndex u = AddPinUser("482916", UserType::kScheduleRestricted);
  ASSERT_NE(u, 0);
  AddCredentialTo(u, CredentialType::kRfid, "04A1B2C3");
  ASSERT_TRUE(lock().SetWeekDaySchedule(u, AllWeek(1), owner_).ok());
  ASSERT_TRUE(lock().SetYearDaySchedule(u, WholeYear(1), owner_).ok());
  HolidaySchedule holiday;
  holiday.index = 1;
  holiday.start = LocalDateTime{2027, 12, 24, 0, 0};
  holiday.end = LocalDateTime{2027, 12, 26, 23, 59};
  holiday.mode = OperatingMode::kVacation;
  ASSERT_TRUE(lock().SetHoliday(holiday, owner_).ok());
  ASSERT_EQ(Keypad("482916").result, DecisionResult::kGranted);

  ASSERT_TRUE(lock().ClearUser(u, owner_).ok());
  EXPECT_EQ(lock().GetUser(u).status().code(), Code::kNotFound);
  EXPECT_TRUE(lock().ListCredentials(std::nullopt).empty());
  EXPECT_EQ(lock().GetCredential({CredentialType::kPin, 1}).status().code(), Code::kNotFound);
  EXPECT_EQ(lock().GetCredential({CredentialType::kRfid, 1}).status().code(), Code::kNotFound);
  ASSERT_EQ(lock().ListHolidays().size(), 1u);
  EXPECT_EQ(lock().ListHolidays()[0], holiday);

  // The PIN no longer opens.
  const Decision d = Keypad("482916");
  EXPECT_EQ(d.result, DecisionResult::kDenied);
  EXPECT_EQ(d.reason, AccessError::kInvalidCredential);

  // A new user in the same slot starts without the old schedules or credentials.
  ASSERT_TRUE(lock().AddUser(UserAt(u), owner_).ok());
  const User fresh = MustGet(u);
  EXPECT_TRUE(fresh.credentials.empty());
  EXPECT_TRUE(fresh.week_day_schedules.empty());
  EXPECT_TRUE(fresh.year_day_schedules.empty());
}

// LOCK-SEMANTICS 3, rules: clearing only touches that user.
TEST_F(UsersTest, ClearUserLeavesOtherUsers) {
  const UserIndex a = AddPinUser("111222");
  const UserIndex b = AddPinUser("333444");
  ASSERT_TRUE(lock().ClearUser(a, owner_).ok());
  EXPECT_EQ(MustGet(b).credentials.size(), 1u);
  EXPECT_EQ(Keypad("333444").result, DecisionResult::kGranted);
}

// LOCK-SEMANTICS 3, rules: "Clear all users" clears every user and emits one change event
// with user "all".
TEST_F(UsersTest, ClearAllUsersEmitsOneChangeEventWithUserAll) {
  AddPinUser("111222");
  AddPinUser("333444");
  ASSERT_TRUE(lock().AddUser(UserAt(9, "no credentials"), owner_).ok());
  const uint64_t seq = lock().last_seq();

  ASSERT_TRUE(lock().ClearAllUsers(owner_).ok());
  EXPECT_TRUE(lock().ListUsers().empty());
  EXPECT_TRUE(lock().ListCredentials(std::nullopt).empty());

  const auto changes = ChangesAfter(seq);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(lock().last_seq(), seq + 1) << "exactly one event";
  const Event& e = changes[0];
  EXPECT_EQ(e.data_type, DataType::kUser);
  EXPECT_EQ(e.change, ChangeOperation::kClear);
  EXPECT_EQ(e.user, IndexOrAll::All());
  EXPECT_EQ(e.source, Source::kRemote);
  EXPECT_EQ(e.actor, std::string(kOwner));

  EXPECT_EQ(Keypad("111222").reason, AccessError::kInvalidCredential);
}

// LOCK-SEMANTICS 3, rules: a cleared credential's data is free again (no duplicate).
TEST_F(UsersTest, ClearedCredentialDataCanBeReAdded) {
  const UserIndex u = AddPinUser("555666");
  ASSERT_TRUE(lock().ClearCredential({CredentialType::kPin, 1}, owner_).ok());
  CredentialRequest again;
  again.type = CredentialType::kPin;
  again.data = "555666";
  auto added = lock().AddCredential(again, owner_);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(Keypad("555666").result, DecisionResult::kGranted);

  // Likewise after clearing the whole user.
  ASSERT_TRUE(lock().ClearUser(added->user, owner_).ok());
  auto third = lock().AddCredential(again, owner_);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  (void)u;
}

// LOCK-SEMANTICS 9 for section 3: add / modify / clear of a user record change events with
// data_type user, the user's index, the source and the actor.
TEST_F(UsersTest, UserMutationsRecordChangeEvents) {
  uint64_t seq = lock().last_seq();
  ASSERT_TRUE(lock().AddUser(UserAt(4, "Dora"), owner_).ok());
  auto changes = ChangesAfter(seq);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].data_type, DataType::kUser);
  EXPECT_EQ(changes[0].change, ChangeOperation::kAdd);
  EXPECT_EQ(changes[0].user, (IndexOrAll{4, false}));
  EXPECT_EQ(changes[0].source, Source::kRemote);
  EXPECT_EQ(changes[0].actor, std::string(kOwner));

  seq = lock().last_seq();
  ASSERT_TRUE(lock().ModifyUser(UserAt(4, "Dorothea"), owner_).ok());
  changes = ChangesAfter(seq);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].data_type, DataType::kUser);
  EXPECT_EQ(changes[0].change, ChangeOperation::kModify);
  EXPECT_EQ(changes[0].user, (IndexOrAll{4, false}));

  seq = lock().last_seq();
  ASSERT_TRUE(lock().ClearUser(4, owner_).ok());
  changes = ChangesAfter(seq);
  ASSERT_GE(changes.size(), 1u);
  bool user_cleared = false;
  for (const auto& e : changes) {
    if (e.data_type == DataType::kUser && e.change == ChangeOperation::kClear &&
        e.user == IndexOrAll{4, false}) {
      user_cleared = true;
    }
  }
  EXPECT_TRUE(user_cleared);
}

// LOCK-SEMANTICS 3: ListUsers is by index; users survive a power cycle.
TEST_F(UsersTest, ListUsersByIndexAndDurable) {
  ASSERT_TRUE(lock().AddUser(UserAt(7, "g"), owner_).ok());
  ASSERT_TRUE(lock().AddUser(UserAt(2, "b"), owner_).ok());
  ASSERT_TRUE(lock().AddUser(UserAt(5, "e"), owner_).ok());
  auto list = lock().ListUsers();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].index, 2);
  EXPECT_EQ(list[1].index, 5);
  EXPECT_EQ(list[2].index, 7);
  Reboot();
  auto again = lock().ListUsers();
  EXPECT_EQ(again, list);
}

// LOCK-SEMANTICS 3 (status) with 7: a disabled user is refused, re-enabled it opens again.
TEST_F(UsersTest, DisabledUserIsRefusedEnabledOpens) {
  const UserIndex u = AddPinUser("909090");
  UserRequest disable = UserAt(u);
  disable.status = UserStatus::kDisabled;
  ASSERT_TRUE(lock().ModifyUser(disable, owner_).ok());
  Decision d = Keypad("909090");
  EXPECT_EQ(d.result, DecisionResult::kDenied);
  EXPECT_EQ(d.reason, AccessError::kDisabledUser);
  UserRequest enable = UserAt(u);
  enable.status = UserStatus::kEnabled;
  ASSERT_TRUE(lock().ModifyUser(enable, owner_).ok());
  EXPECT_EQ(Keypad("909090").result, DecisionResult::kGranted);
}

}  // namespace
}  // namespace latchkey::core
