// The hub's access decisions that do not need a running hub (src/hub/auth): a guest's time
// window (outside it the guest sees no lock, inside it sees and operates the locks in its list)
// and who gets GET /metrics without a token (only loopback clients, only when configured).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hub/auth.h"

namespace latchkey::hub {
namespace {

constexpr int64_t kFrom = 1'795'600'800'000;
constexpr int64_t kUntil = 1'795'700'000'000;

Principal Guest() {
  Principal p;
  p.username = "guest";
  p.role = Role::kGuest;
  p.locks = std::vector<std::string>{"lock-a"};
  p.valid_from_ms = kFrom;
  p.valid_until_ms = kUntil;
  return p;
}

TEST(GuestWindow, OutsideItTheGuestSeesNoLock) {
  const Principal p = Guest();
  for (const int64_t now : {kFrom - 1, kUntil + 1, int64_t{0}}) {
    EXPECT_FALSE(p.InWindow(now)) << now;
    EXPECT_FALSE(p.SeesLock("lock-a", now)) << now;
    EXPECT_FALSE(p.MayOperate("lock-a", now)) << now;
  }
  // What its tokens may name does not depend on the time.
  EXPECT_TRUE(p.ListsLock("lock-a"));
  EXPECT_FALSE(p.ListsLock("lock-b"));
}

TEST(GuestWindow, InsideItTheGuestSeesAndOperatesItsLocksOnly) {
  const Principal p = Guest();
  for (const int64_t now : {kFrom, kFrom + 1000, kUntil}) {
    EXPECT_TRUE(p.SeesLock("lock-a", now)) << now;
    EXPECT_TRUE(p.MayOperate("lock-a", now)) << now;
    EXPECT_FALSE(p.SeesLock("lock-b", now)) << now;
  }
  EXPECT_FALSE(p.MayReadHistory("lock-a"));
}

TEST(GuestWindow, OpenEnds) {
  Principal open_ended = Guest();
  open_ended.valid_until_ms.reset();
  EXPECT_TRUE(open_ended.SeesLock("lock-a", kUntil + 1'000'000));
  EXPECT_FALSE(open_ended.SeesLock("lock-a", kFrom - 1));
}

// Issue 9: a lock list and a window bind every role below owner. (Before, an admin saw every
// lock whatever its list, and only guests had a window: this test replaces one that said so.)
TEST(EveryRoleBelowOwner, IsBoundByItsLockListAndWindow) {
  for (const Role role : {Role::kAdmin, Role::kMember, Role::kGuest}) {
    Principal p = Guest();
    p.role = role;
    SCOPED_TRACE(std::string(RoleName(role)));
    EXPECT_TRUE(p.ListsLock("lock-a"));
    EXPECT_FALSE(p.ListsLock("lock-b")) << "the list binds";
    EXPECT_TRUE(p.SeesLock("lock-a", kFrom));
    EXPECT_FALSE(p.SeesLock("lock-b", kFrom));
    for (const int64_t outside : {kFrom - 1, kUntil + 1}) {
      EXPECT_FALSE(p.InWindow(outside)) << outside;
      EXPECT_FALSE(p.SeesLock("lock-a", outside)) << "the window binds";
      EXPECT_FALSE(p.MayOperate("lock-a", outside));
    }
    EXPECT_EQ(p.MayReadHistory("lock-a"), role != Role::kGuest);
    EXPECT_FALSE(p.MayReadHistory("lock-b"));
  }
  // An admin's lock-wide powers (pairing, webhooks, metrics) end with its window too: they are
  // judged at the moment its token was checked.
  Principal admin = Guest();
  admin.role = Role::kAdmin;
  admin.checked_at_ms = kFrom + 1;
  EXPECT_TRUE(admin.MayManageLock());
  admin.checked_at_ms = kUntil + 1;
  EXPECT_FALSE(admin.MayManageLock());
  EXPECT_FALSE(admin.MayManageAccounts());
}

TEST(Owner, HasNoWindowButItsTokensListBinds) {
  Principal owner;
  owner.role = Role::kOwner;
  EXPECT_TRUE(owner.SeesLock("lock-b", 0));
  EXPECT_TRUE(owner.MayManageLock());
  owner.valid_until_ms = kFrom;  // (an owner account's window is never copied; Directory::PrincipalOf)
  EXPECT_TRUE(owner.InWindow(kUntil));
  owner.locks = std::vector<std::string>{"lock-a"};  // an owner's token narrowed to lock-a
  EXPECT_TRUE(owner.SeesLock("lock-a", 0));
  EXPECT_FALSE(owner.SeesLock("lock-b", 0));
}

// SECURITY.md "No privilege grows by delegation": what a caller hands down.
TEST(Delegation, ACallerHandsDownNothingWiderThanItself) {
  const Limits caller{Role::kMember, std::vector<std::string>{"a", "b"}, kFrom, kUntil};
  EXPECT_EQ(WiderField(caller, caller), std::nullopt);
  EXPECT_EQ(WiderField(Limits{Role::kGuest, std::vector<std::string>{"a"}, kFrom + 1, kUntil - 1}, caller), std::nullopt);
  EXPECT_EQ(WiderField(Limits{Role::kAdmin, caller.locks, kFrom, kUntil}, caller), "role");
  EXPECT_EQ(WiderField(Limits{Role::kGuest, std::nullopt, kFrom, kUntil}, caller), "locks") << "every lock";
  EXPECT_EQ(WiderField(Limits{Role::kGuest, std::vector<std::string>{"a", "c"}, kFrom, kUntil}, caller), "locks");
  EXPECT_EQ(WiderField(Limits{Role::kGuest, caller.locks, std::nullopt, kUntil}, caller), "valid_from");
  EXPECT_EQ(WiderField(Limits{Role::kGuest, caller.locks, kFrom - 1, kUntil}, caller), "valid_from");
  EXPECT_EQ(WiderField(Limits{Role::kGuest, caller.locks, kFrom, std::nullopt}, caller), "valid_until") << "forever";
  EXPECT_EQ(WiderField(Limits{Role::kGuest, caller.locks, kFrom, kUntil + 1}, caller), "valid_until");
  // An unlimited owner hands down anything but its role.
  const Limits owner{Role::kOwner, std::nullopt, std::nullopt, std::nullopt};
  EXPECT_EQ(WiderField(Limits{Role::kAdmin, std::nullopt, std::nullopt, std::nullopt}, owner), std::nullopt);

  // The calling API token's expiry bounds what it makes; a login session's does not (it is the
  // account itself, proved by its password). A token does not copy the account's window, which
  // binds it at each use anyway; an account made by the caller does.
  Principal p = Guest();
  p.valid_until_ms.reset();
  p.token_expires_at_ms = kUntil;
  p.token_kind = "api";
  EXPECT_EQ(p.limits().valid_until_ms, kUntil);
  EXPECT_EQ(p.token_limits().valid_until_ms, kUntil);
  p.valid_until_ms = kUntil - 5;
  EXPECT_EQ(p.limits().valid_until_ms, kUntil - 5) << "the earlier of window and token";
  EXPECT_EQ(p.token_limits().valid_until_ms, kUntil);
  EXPECT_EQ(p.token_limits().valid_from_ms, std::nullopt);
  EXPECT_EQ(p.token_limits().locks, p.locks);
  p.token_kind = "session";
  EXPECT_EQ(p.limits().valid_until_ms, kUntil - 5);
  EXPECT_EQ(p.token_limits().valid_until_ms, std::nullopt);
}

TEST(MetricsAccess, OpenOnlyToLoopbackAndOnlyWhenConfigured) {
  for (const char* loopback : {"127.0.0.1", "127.0.0.2", "127.255.0.9", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(MetricsOpenTo(true, loopback)) << loopback;
    EXPECT_FALSE(MetricsOpenTo(false, loopback)) << loopback;
  }
  for (const char* remote : {"192.168.1.20", "10.0.0.1", "0.0.0.0", "::", "fe80::1", "2001:db8::1", "::ffff:10.1.2.3",
                             "128.0.0.1", "", "localhost", "not an address"}) {
    EXPECT_FALSE(MetricsOpenTo(true, remote)) << remote;
  }
}

}  // namespace
}  // namespace latchkey::hub
