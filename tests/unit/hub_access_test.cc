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

TEST(GuestWindow, OpenEndsAndOtherRolesHaveNoWindow) {
  Principal open_ended = Guest();
  open_ended.valid_until_ms.reset();
  EXPECT_TRUE(open_ended.SeesLock("lock-a", kUntil + 1'000'000));
  EXPECT_FALSE(open_ended.SeesLock("lock-a", kFrom - 1));

  // A member account with window fields set (they are stored for any role) is not limited by them.
  Principal member = Guest();
  member.role = Role::kMember;
  EXPECT_TRUE(member.SeesLock("lock-a", kUntil + 1));
  EXPECT_TRUE(member.MayReadHistory("lock-a"));
  Principal admin = Guest();
  admin.role = Role::kAdmin;
  EXPECT_TRUE(admin.SeesLock("lock-b", kFrom - 1));
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
