// device::BleSessions: which device's fragment goes to which session over BLE, where the lock's
// fragments go, and when sessions end; with a made-up clock and doors that only record.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "device/ble_sessions.h"

namespace latchkey::device {
namespace {

const std::string kA = "/org/bluez/hci0/dev_A";
const std::string kB = "/org/bluez/hci0/dev_B";

// A door that records what it is fed; the test makes it send and close.
struct FakeDoor {
  std::vector<std::vector<uint8_t>> fed;
  BleSessions::Transport transport;
  std::size_t max_fragment = 0;
  bool established = false;
};

class BleSessionsTest : public ::testing::Test {
 protected:
  BleSessionsTest()
      : sessions_(BleSessions::Hooks{[this](std::size_t max_fragment, BleSessions::Transport transport) {
                                       auto door = std::make_shared<FakeDoor>();
                                       door->transport = std::move(transport);
                                       door->max_fragment = max_fragment;
                                       doors_.push_back(door);
                                       return core::Result<BleSessions::Door>(BleSessions::Door{
                                           [door](std::span<const uint8_t> f) { door->fed.emplace_back(f.begin(), f.end()); },
                                           [door] { return door->established; }});
                                     },
                                     [this](const link::PhoneFragment& f) { notified_.push_back(f); },
                                     [this] { return now_; }}) {}

  static std::vector<uint8_t> Fragment(uint8_t seq) { return {seq, 0, 0xaa}; }

  int64_t now_ = 1'000'000;
  std::vector<std::shared_ptr<FakeDoor>> doors_;
  std::vector<link::PhoneFragment> notified_;
  BleSessions sessions_;
};

TEST_F(BleSessionsTest, SeqZeroStartsASessionCutForTheWritersMtu) {
  EXPECT_EQ(sessions_.Write(kA, 0, Fragment(1)).code(), core::Code::kInvalid);  // belongs to no session
  EXPECT_EQ(sessions_.Write(kA, 0, {}).code(), core::Code::kInvalid);
  ASSERT_TRUE(sessions_.Write(kA, 185, Fragment(0)).ok());
  ASSERT_EQ(doors_.size(), 1u);
  EXPECT_EQ(doors_[0]->max_fragment, 182u);
  ASSERT_TRUE(sessions_.Write(kA, 185, Fragment(1)).ok());
  EXPECT_EQ(doors_[0]->fed.size(), 2u);
  // Without an MTU from BlueZ (before 5.62): 23.
  sessions_.Disconnected(kA);
  ASSERT_TRUE(sessions_.Write(kB, 0, Fragment(0)).ok());
  EXPECT_EQ(doors_.back()->max_fragment, 20u);
}

TEST_F(BleSessionsTest, OneSessionAtATimeUntilItIsQuietFor5s) {
  ASSERT_TRUE(sessions_.Write(kA, 23, Fragment(0)).ok());
  now_ += 4'999;
  EXPECT_EQ(sessions_.Write(kB, 23, Fragment(0)).code(), core::Code::kOccupied);
  now_ += 1;
  ASSERT_TRUE(sessions_.Write(kB, 23, Fragment(0)).ok());
  EXPECT_EQ(sessions_.open_device(), kB);
  // A's session gave way: its next fragment starts nothing.
  EXPECT_EQ(sessions_.Write(kA, 23, Fragment(1)).code(), core::Code::kInvalid);
}

TEST_F(BleSessionsTest, APhoneStartingOverOnItsConnectionGetsANewSession) {
  ASSERT_TRUE(sessions_.Write(kA, 23, Fragment(0)).ok());
  ASSERT_TRUE(sessions_.Write(kA, 23, Fragment(1)).ok());
  ASSERT_TRUE(sessions_.Write(kA, 23, Fragment(0)).ok());
  ASSERT_EQ(doors_.size(), 2u);
  EXPECT_EQ(doors_[1]->fed.size(), 1u);
  // The old door is not heard any more.
  doors_[0]->transport.send({9, 0, 9});
  EXPECT_TRUE(sessions_.Read(kA, 0).empty());
}

TEST_F(BleSessionsTest, FragmentsQueueForReadsUnlessNotifyingAndOutliveTheSession) {
  ASSERT_TRUE(sessions_.Write(kA, 23, Fragment(0)).ok());
  doors_[0]->transport.send({0, 1, 1});
  doors_[0]->transport.send({1, 0, 2});
  EXPECT_TRUE(sessions_.Read(kB, 0).empty());  // another device's read gets nothing
  EXPECT_EQ(sessions_.Read(kA, 0), (std::vector<uint8_t>{0, 1, 1}));
  EXPECT_EQ(sessions_.Read(kA, 2), (std::vector<uint8_t>{1}));  // a long read's rest
  // The lock closes the session after its last answer: that answer can still be read.
  doors_[0]->transport.close("8 failed operations");
  EXPECT_FALSE(sessions_.open_device());
  EXPECT_EQ(sessions_.Read(kA, 0), (std::vector<uint8_t>{1, 0, 2}));
  EXPECT_TRUE(sessions_.Read(kA, 0).empty());

  sessions_.SetNotifying(true);
  ASSERT_TRUE(sessions_.Write(kA, 23, Fragment(0)).ok());
  doors_[1]->transport.send({0, 0, 3});
  EXPECT_EQ(notified_, (std::vector<link::PhoneFragment>{{0, 0, 3}}));
  EXPECT_TRUE(sessions_.Read(kA, 0).empty());
}

TEST_F(BleSessionsTest, HandshakeIdleAndDisconnectEndSessions) {
  ASSERT_TRUE(sessions_.Write(kA, 23, Fragment(0)).ok());
  EXPECT_EQ(sessions_.Expire(), now_ + 10'000);
  now_ += 10'000;
  sessions_.Expire();
  EXPECT_FALSE(sessions_.open_device());  // no handshake in 10 s

  ASSERT_TRUE(sessions_.Write(kA, 23, Fragment(0)).ok());
  doors_[1]->established = true;
  now_ += 29'999;
  sessions_.Expire();
  EXPECT_EQ(sessions_.open_device(), kA);
  now_ += 1;
  sessions_.Expire();
  EXPECT_FALSE(sessions_.open_device());  // 30 s idle

  ASSERT_TRUE(sessions_.Write(kA, 23, Fragment(0)).ok());
  sessions_.Disconnected(kA);
  EXPECT_FALSE(sessions_.open_device());
  EXPECT_EQ(sessions_.Write(kA, 23, Fragment(1)).code(), core::Code::kInvalid);
}

TEST_F(BleSessionsTest, APhoneThatDoesNotReadLosesItsSession) {
  ASSERT_TRUE(sessions_.Write(kA, 23, Fragment(0)).ok());
  for (int i = 0; i < 129; ++i) doors_[0]->transport.send({static_cast<uint8_t>(i), 0, 1});
  EXPECT_FALSE(sessions_.open_device());
}

}  // namespace
}  // namespace latchkey::device
