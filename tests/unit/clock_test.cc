// SECURITY.md "Clocks can be wrong" (issue 9 item 10): the lock refuses a time from the hub that
// jumps more than a day ahead of its own monotonic estimate of the time, keeps that estimate
// across a reboot, and takes any time the owner forces, even an earlier one: the recorded way
// back from a clock set into the future (which used to be refused as a rollback for ever).
#include <gtest/gtest.h>

#include "hub/hub.h"
#include "lock_fixture.h"
#include "wire/json_codec.h"

namespace latchkey::core {
namespace {

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t k2035 = 2'051'222'400'000;  // 2035-01-01T00:00:00Z

class ClockTest : public LockTest {
 protected:
  // What the device does for set_time: ask the lock, and set the clock only when it agrees.
  Status SetTime(int64_t wall_ms, bool forced = false) {
    const Status s = lock().AcceptClock(wall_ms, owner_, forced);
    if (s.ok()) clock_.SetWall(wall_ms);
    return s;
  }
  static bool Mentions(const Status& s, std::string_view words) {
    return s.message().find(words) != std::string::npos;
  }
};

TEST_F(ClockTest, AForwardJumpBeyondADayOfTheEstimateIsRefused) {
  const int64_t now = clock_.WallMs();
  ASSERT_TRUE(SetTime(now).ok());
  const Status far = SetTime(now + kDay + 60'000);
  EXPECT_EQ(far.code(), Code::kInvalid) << far.ToString();
  EXPECT_TRUE(Mentions(far, "ahead of the lock's own estimate")) << far.ToString();
  EXPECT_EQ(clock_.WallMs(), now) << "a refused time is not set";
  const Status years = SetTime(k2035);
  EXPECT_EQ(years.code(), Code::kInvalid) << years.ToString();
  // Within the bound is a correction like any other.
  EXPECT_TRUE(SetTime(now + 23 * kHour).ok());
}

// The estimate runs on the monotonic clock: time that really passed moves the bound along,
// a real-time clock that only jumped does not.
TEST_F(ClockTest, TheEstimateFollowsTheMonotonicClock) {
  const int64_t now = clock_.WallMs();
  ASSERT_TRUE(SetTime(now).ok());
  clock_.Advance(3 * kDay);  // both clocks move
  ASSERT_TRUE(lock().Tick().ok());
  EXPECT_TRUE(SetTime(now + 3 * kDay + 23 * kHour).ok());
  clock_.SetWall(k2035);  // the real-time clock jumps (hardware), the monotonic one does not
  const Status s = SetTime(k2035 + 60'000);
  EXPECT_EQ(s.code(), Code::kInvalid) << s.ToString();
  EXPECT_TRUE(Mentions(s, "ahead")) << s.ToString();
}

// The estimate is stored: a reboot does not reset it, so a wrong hub cannot wait for one.
TEST_F(ClockTest, TheEstimateSurvivesAReboot) {
  const int64_t now = clock_.WallMs();
  ASSERT_TRUE(SetTime(now).ok());
  Reboot();  // the monotonic clock starts again elsewhere; the real-time clock kept time
  EXPECT_EQ(SetTime(k2035).code(), Code::kInvalid);
  EXPECT_TRUE(SetTime(now + 60'000).ok());
}

// A real-time clock that kept time on its backup cell is the witness of the time spent off:
// three days without power move the estimate by three days.
TEST_F(ClockTest, AtPowerUpTheEstimateMovesOnToARealTimeClockThatKeptTime) {
  const int64_t now = clock_.WallMs();
  ASSERT_TRUE(SetTime(now).ok());
  lock_.reset();
  clock_.SetWall(now + 3 * kDay);
  clock_.RebootMonotonic(5'000);
  Open();
  EXPECT_TRUE(SetTime(now + 3 * kDay + 20 * kHour).ok());
}

// After a total power loss the clock is untrusted and the time spent off unknown: the hub's
// time is taken as at pairing (the rollback floor still holds).
TEST_F(ClockTest, AfterATotalPowerLossNoForwardBoundApplies) {
  const int64_t now = clock_.WallMs();
  ASSERT_TRUE(SetTime(now).ok());
  lock_.reset();
  config_.rtc_valid = false;
  clock_.SetWall(0);
  clock_.RebootMonotonic(5'000);
  Open();
  ASSERT_FALSE(lock().status().clock_trusted);
  EXPECT_EQ(SetTime(now - kHour).code(), Code::kInvalid) << "still no rollback";
  EXPECT_TRUE(SetTime(now + 40 * kDay).ok());
  EXPECT_TRUE(lock().status().clock_trusted);
  // From there the estimate runs again.
  EXPECT_EQ(SetTime(now + 42 * kDay).code(), Code::kInvalid);
}

// A lock never set has nothing to measure against: the first time is taken (pairing).
TEST_F(ClockTest, TheFirstTimeIsTakenWhateverItIs) {
  EXPECT_TRUE(SetTime(clock_.WallMs() + 400 * kDay).ok());
}

// Issue 9 item 10 itself: once the real-time clock read 2035, the right time was a rollback for
// ever. Forced by the owner it is taken, recorded, and later times count from it.
TEST_F(ClockTest, AForcedTimeIsTheWayBackFromTheFuture) {
  const int64_t now = clock_.WallMs();
  ASSERT_TRUE(SetTime(now).ok());
  clock_.SetWall(k2035);
  ASSERT_TRUE(lock().Checkpoint().ok());  // the lock saw 2035
  const uint64_t before = lock().last_seq();

  const Status back = SetTime(now + 60'000);
  EXPECT_EQ(back.code(), Code::kInvalid) << back.ToString();
  EXPECT_TRUE(Mentions(back, "earlier than the latest time")) << back.ToString();
  EXPECT_EQ(lock().last_seq(), before) << "a refused time records nothing";

  ASSERT_TRUE(SetTime(now + 60'000, /*forced=*/true).ok());
  const Event e = LastEvent();
  EXPECT_EQ(e.kind, EventKind::kChange);
  EXPECT_EQ(e.data_type, DataType::kClock);
  EXPECT_EQ(e.change, ChangeOperation::kModify);
  EXPECT_EQ(e.from_ms, k2035);
  EXPECT_EQ(e.to_ms, now + 60'000);
  EXPECT_EQ(e.forced, true);
  EXPECT_EQ(e.actor, std::string(kOwner));
  EXPECT_EQ(e.time_ms, now + 60'000) << "the event carries the time set, not the 2035 before it";

  // From now on the ordinary checks count from the forced time, across a reboot too.
  Advance(60'000);
  EXPECT_TRUE(SetTime(now + 120'000).ok());
  EXPECT_EQ(LastEvent().forced, std::nullopt) << "only a forced set says so";
  Reboot();
  EXPECT_TRUE(SetTime(now + 180'000).ok()) << "2035 is forgotten for good";
  EXPECT_FALSE(VerifyChain(crypto_, Digest{}, events()).has_value());
}

TEST_F(ClockTest, AForcedTimeSkipsTheForwardBound) {
  ASSERT_TRUE(SetTime(clock_.WallMs()).ok());
  ASSERT_TRUE(SetTime(k2035, /*forced=*/true).ok());
  EXPECT_EQ(LastEvent().forced, true);
  EXPECT_EQ(LastEvent().to_ms, k2035);
}

// An expiring user's deadline is a wall time set at first use: a clock that goes back takes the
// deadline back with it, so the user keeps the time it had left and not a minute more. Here a
// 4-minute correction (within the rollback tolerance, so also possible before force existed).
TEST_F(ClockTest, AClockSetBackTakesExpiringDeadlinesBackWithIt) {
  ASSERT_TRUE(SetTime(clock_.WallMs()).ok());
  const UserIndex guest = AddPinUser("482915", UserType::kExpiring);
  ASSERT_EQ(Keypad("482915").result, DecisionResult::kGranted);  // the first use starts the hour
  const int64_t timeout = int64_t{lock().settings().expiring_user_timeout_min} * 60'000;
  ASSERT_TRUE(SetTime(clock_.WallMs() - 4 * 60'000).ok());
  Advance(timeout + 1000);
  EXPECT_EQ(lock().GetUser(guest)->status, UserStatus::kDisabled) << "valid longer than its hour";
}

// The same for a clock forced back from 2035: a guest first let in while the lock thought it
// was 2035 does not stay valid until 2035.
TEST_F(ClockTest, AClockForcedBackFromTheFutureTakesExpiringDeadlinesBack) {
  const int64_t now = clock_.WallMs();
  ASSERT_TRUE(SetTime(now).ok());
  clock_.SetWall(k2035);
  const UserIndex guest = AddPinUser("482915", UserType::kExpiring);
  ASSERT_EQ(Keypad("482915").result, DecisionResult::kGranted);
  ASSERT_TRUE(SetTime(now, /*forced=*/true).ok());
  Reboot();  // the moved deadline is stored
  const int64_t timeout = int64_t{lock().settings().expiring_user_timeout_min} * 60'000;
  Advance(timeout - 60'000);
  EXPECT_EQ(lock().GetUser(guest)->status, UserStatus::kEnabled) << "it keeps what it had left";
  Advance(61'000);
  EXPECT_EQ(lock().GetUser(guest)->status, UserStatus::kDisabled);
}

// Every accepted time records where the clock was and where it went.
TEST_F(ClockTest, AnOrdinarySetRecordsFromAndTo) {
  const int64_t now = clock_.WallMs();
  ASSERT_TRUE(SetTime(now + 90'000).ok());
  const Event e = LastEvent();
  EXPECT_EQ(e.data_type, DataType::kClock);
  EXPECT_EQ(e.from_ms, now);
  EXPECT_EQ(e.to_ms, now + 90'000);
  EXPECT_EQ(e.forced, std::nullopt);
}

// The new fields travel: the hash chain covers them, the wire codec keeps them, and the hub's
// API writes them as RFC 3339 times like `time`.
TEST_F(ClockTest, AClockEventSurvivesTheWireAndTheChain) {
  ASSERT_TRUE(SetTime(clock_.WallMs()).ok());
  clock_.SetWall(k2035);
  ASSERT_TRUE(lock().Checkpoint().ok());
  ASSERT_TRUE(SetTime(1'795'600'800'000, true).ok());
  std::vector<Event> decoded;
  for (const Event& e : events()) {
    const nlohmann::json j = wire::EventToJson(e);
    auto back = wire::EventFromJson(j);
    ASSERT_TRUE(back.ok()) << back.status().ToString() << " " << j.dump();
    EXPECT_EQ(*back, e) << j.dump();
    decoded.push_back(*back);
  }
  EXPECT_FALSE(VerifyChain(crypto_, Digest{}, decoded).has_value());
  // An edited "from" no longer verifies.
  decoded.back().from_ms = *decoded.back().from_ms + 1;
  EXPECT_EQ(VerifyChain(crypto_, Digest{}, decoded), decoded.back().seq);

  const nlohmann::json api = hub::ApiEventJson(wire::EventToJson(LastEvent()), "lock-1");
  EXPECT_EQ(api["from"], "2035-01-01T00:00:00.000Z") << api.dump();
  EXPECT_EQ(api["to"], "2026-11-25T10:00:00.000Z") << api.dump();
  EXPECT_EQ(api["time"], "2026-11-25T10:00:00.000Z") << api.dump();
  EXPECT_EQ(api["forced"], true) << api.dump();
}

}  // namespace
}  // namespace latchkey::core
