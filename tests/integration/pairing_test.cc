// LINK.md, pairing: a lock pairs once, with its 128-bit setup code, and then talks only to the
// hub whose key it remembered.
#include <sys/stat.h>

#include "harness.h"

namespace latchkey::testing {
namespace {

class PairingTest : public ::testing::Test {
 protected:
  void SetUp() override { lock_.Start(); }
  TempDir dir_;
  LockProcess lock_{dir_.path() + "/lock"};
};

TEST_F(PairingTest, RightSetupCodePairsAndTheLockAnswers) {
  HubLink hub;
  ASSERT_TRUE(hub.Pair(lock_.host(), lock_.link_port(), lock_.setup_code()));
  const Json state = hub.Request("get_state");
  ASSERT_TRUE(state["ok"].get<bool>()) << state.dump();
  EXPECT_EQ(state["result"]["lock_state"], "locked");
  EXPECT_TRUE(state["result"]["simulated"].get<bool>());
}

TEST_F(PairingTest, WrongSetupCodeIsRefusedAndPairingStaysOpen) {
  HubLink intruder;
  // A well-formed code that is not this lock's.
  EXPECT_FALSE(intruder.Pair(lock_.host(), lock_.link_port(), "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AA"));
  std::this_thread::sleep_for(300ms);  // the lock backs off after a failed handshake
  HubLink hub;
  EXPECT_TRUE(hub.Pair(lock_.host(), lock_.link_port(), lock_.setup_code()));
}

TEST_F(PairingTest, SecondHubIsRefusedEvenWithTheRightCode) {
  HubLink hub;
  ASSERT_TRUE(hub.Pair(lock_.host(), lock_.link_port(), lock_.setup_code()));
  HubLink second;
  EXPECT_FALSE(second.Pair(lock_.host(), lock_.link_port(), lock_.setup_code()));
  std::this_thread::sleep_for(600ms);
  // Nor can it come in through the paired handshake with its own key.
  EXPECT_FALSE(second.Connect(lock_.host(), lock_.link_port(), 3s));
  // The paired hub still gets in.
  std::this_thread::sleep_for(1200ms);
  hub.Disconnect();
  EXPECT_TRUE(hub.Connect(lock_.host(), lock_.link_port()));
}

TEST_F(PairingTest, PairingSurvivesARestartOfTheLock) {
  HubLink hub;
  ASSERT_TRUE(hub.Pair(lock_.host(), lock_.link_port(), lock_.setup_code()));
  hub.Disconnect();
  lock_.Kill(SIGKILL);
  lock_.Start();
  EXPECT_TRUE(hub.Connect(lock_.host(), lock_.link_port()));
  EXPECT_TRUE(hub.Request("get_state")["ok"].get<bool>());
}

TEST_F(PairingTest, HubRefusesALockWithAnotherKey) {
  HubLink hub;
  ASSERT_TRUE(hub.Pair(lock_.host(), lock_.link_port(), lock_.setup_code()));
  hub.Disconnect();
  // Another lock (another key) appears at an address the hub trusts.
  LockProcess impostor(dir_.path() + "/impostor");
  impostor.Start();
  EXPECT_FALSE(hub.Connect(impostor.host(), impostor.link_port(), 3s));
}

TEST_F(PairingTest, UnpairForgetsTheHubAndReopensPairing) {
  HubLink hub;
  ASSERT_TRUE(hub.Pair(lock_.host(), lock_.link_port(), lock_.setup_code()));
  EXPECT_TRUE(hub.Request("unpair")["ok"].get<bool>());
  EXPECT_TRUE(hub.WaitClosed(5s));
  HubLink next;
  EXPECT_TRUE(next.Pair(lock_.host(), lock_.link_port(), lock_.setup_code()));
}

TEST_F(PairingTest, SetupCodeAndKeysAreReadableOnlyByTheLock) {
  for (const char* file : {"setup-code", "digest.key", "link.key", "lock.db"}) {
    struct stat st {};
    ASSERT_EQ(::stat((lock_.data_dir() + "/" + file).c_str(), &st), 0) << file;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << file;
  }
}

}  // namespace
}  // namespace latchkey::testing
