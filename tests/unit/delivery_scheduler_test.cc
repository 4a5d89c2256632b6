// The webhook delivery policy (hub/delivery_scheduler.h) on a fake clock: the first attempt at
// once, the back-off sequence, success ends the retries, the give-up a day after creation, one
// delivery at a time per webhook and lock, the cap on attempts in flight. No sleeps: time is
// whatever the test passes in.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/testing/fakes.h"
#include "hub/delivery_scheduler.h"

namespace latchkey::hub {
namespace {

using Kind = DeliveryAction::Kind;
constexpr int64_t kSecond = 1000;
constexpr int64_t kHour = 3600 * kSecond;
constexpr int64_t kDay = 24 * kHour;

Delivery NewDelivery(const std::string& id, int64_t now, uint64_t seq = 1, const std::string& webhook = "w1",
                     const std::string& lock = "front") {
  Delivery d;
  d.id = id;
  d.webhook = webhook;
  d.lock = lock;
  d.seq = seq;
  d.next_attempt_ms = now;  // as the sender makes them: due at once
  d.created_at_ms = now;
  return d;
}

std::vector<DeliveryAction> OfKind(const std::vector<DeliveryAction>& actions, Kind kind) {
  std::vector<DeliveryAction> out;
  for (const DeliveryAction& a : actions) {
    if (a.kind == kind) out.push_back(a);
  }
  return out;
}

std::vector<std::string> SentIds(const std::vector<DeliveryAction>& actions) {
  std::vector<std::string> ids;
  for (const DeliveryAction& a : OfKind(actions, Kind::kSend)) ids.push_back(a.delivery.id);
  return ids;
}

class DeliverySchedulerTest : public ::testing::Test {
 protected:
  int64_t Now() const { return clock_.WallMs(); }
  core::testing::FakeClock clock_;
  DeliveryScheduler scheduler_;
};

TEST(DeliveryBackoffTest, DoublesFromOneSecondUpToAnHour) {
  const std::vector<int64_t> expected = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(DeliveryBackoffMs(static_cast<uint32_t>(i + 1)), expected[i] * kSecond) << "after attempt " << i + 1;
  }
  EXPECT_EQ(DeliveryBackoffMs(40), kHour);
  EXPECT_EQ(DeliveryBackoffMs(UINT32_MAX), kHour) << "no overflow for any count";
}

TEST_F(DeliverySchedulerTest, FirstAttemptIsImmediate) {
  ASSERT_TRUE(scheduler_.Add(NewDelivery("d1", Now())));
  EXPECT_FALSE(scheduler_.Add(NewDelivery("d1", Now()))) << "the same id is queued once";
  const auto actions = scheduler_.Poll(Now());
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::kSend);
  EXPECT_EQ(actions[0].delivery.id, "d1");
  EXPECT_EQ(actions[0].delivery.attempts, 0u);
  EXPECT_EQ(scheduler_.in_flight(), 1u);
  EXPECT_TRUE(scheduler_.Poll(Now()).empty()) << "under way: not sent twice";
}

TEST_F(DeliverySchedulerTest, RetriesWithTheBackOffSequence) {
  const int64_t created = Now();
  scheduler_.Add(NewDelivery("d1", created));
  ASSERT_EQ(SentIds(scheduler_.Poll(Now())), std::vector<std::string>{"d1"});
  const std::vector<int64_t> waits = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600, 3600};
  for (std::size_t i = 0; i < waits.size(); ++i) {
    clock_.Advance(250);  // the attempt takes a while; the wait counts from its answer
    const auto record = scheduler_.Done(Now(), "d1", false, "HTTP 500");
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->status, "pending");
    EXPECT_EQ(record->attempts, i + 1);
    EXPECT_EQ(record->last_error, "HTTP 500");
    const int64_t due = Now() + waits[i] * kSecond;
    EXPECT_EQ(record->next_attempt_ms, due) << "after attempt " << i + 1;
    EXPECT_EQ(scheduler_.in_flight(), 0u);

    // Not before it is due: the scheduler says how long to wait, and sends nothing.
    const auto early = scheduler_.Poll(Now());
    ASSERT_EQ(early.size(), 1u);
    EXPECT_EQ(early[0].kind, Kind::kWait);
    EXPECT_EQ(early[0].until_ms, due);
    clock_.Advance(due - Now() - 1);
    EXPECT_TRUE(SentIds(scheduler_.Poll(Now())).empty()) << "1 ms early, attempt " << i + 2;
    clock_.Advance(1);
    const auto sent = OfKind(scheduler_.Poll(Now()), Kind::kSend);
    ASSERT_EQ(sent.size(), 1u) << "attempt " << i + 2;
    EXPECT_EQ(sent[0].delivery.attempts, i + 1);
  }
  EXPECT_LT(Now(), created + DeliveryScheduler::kGiveUpMs);
}

TEST_F(DeliverySchedulerTest, SuccessStopsRetries) {
  scheduler_.Add(NewDelivery("d1", Now()));
  ASSERT_EQ(SentIds(scheduler_.Poll(Now())).size(), 1u);
  ASSERT_TRUE(scheduler_.Done(Now(), "d1", false, "connect failed").has_value());
  clock_.Advance(kSecond);
  ASSERT_EQ(SentIds(scheduler_.Poll(Now())).size(), 1u);
  clock_.Advance(40);
  const auto record = scheduler_.Done(Now(), "d1", true, "");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->status, "delivered");
  EXPECT_EQ(record->attempts, 2u);
  EXPECT_TRUE(record->last_error.empty()) << "a success clears the last error";
  EXPECT_EQ(record->next_attempt_ms, Now());
  EXPECT_EQ(scheduler_.queued(), 0u);
  EXPECT_EQ(scheduler_.in_flight(), 0u);
  for (const int64_t later : {int64_t{0}, kSecond, kHour, 2 * kDay}) {
    const auto actions = scheduler_.Poll(Now() + later);
    EXPECT_TRUE(OfKind(actions, Kind::kSend).empty() && OfKind(actions, Kind::kGiveUp).empty() &&
                OfKind(actions, Kind::kWait).empty())
        << "nothing more at +" << later << " ms";
  }
  EXPECT_FALSE(scheduler_.Done(Now(), "d1", false, "HTTP 500").has_value()) << "a stray answer changes nothing";
}

// No other test reaches it: the integration tests would have to wait a day.
TEST_F(DeliverySchedulerTest, GivesUpADayAfterCreation) {
  const int64_t created = Now();
  scheduler_.Add(NewDelivery("d1", created));
  uint32_t attempts = 0;
  int64_t last_attempt = 0;
  for (;;) {
    const auto actions = scheduler_.Poll(Now());
    const auto given_up = OfKind(actions, Kind::kGiveUp);
    if (!given_up.empty()) {
      ASSERT_EQ(given_up.size(), 1u);
      const Delivery& d = given_up[0].delivery;
      EXPECT_EQ(d.status, "failed");
      EXPECT_EQ(d.attempts, attempts);
      EXPECT_EQ(d.last_error, "HTTP 503") << "the last attempt's error stays";
      EXPECT_EQ(Now(), created + kDay) << "given up when the day is over, not later";
      EXPECT_TRUE(OfKind(actions, Kind::kSend).empty()) << "and not tried once more";
      break;
    }
    const auto sent = OfKind(actions, Kind::kSend);
    ASSERT_EQ(sent.size(), 1u) << "at +" << Now() - created << " ms";
    ASSERT_LT(Now(), created + kDay) << "no attempt starts after the day";
    last_attempt = Now();
    ++attempts;
    const auto record = scheduler_.Done(Now(), "d1", false, "HTTP 503");
    ASSERT_TRUE(record.has_value());
    ASSERT_EQ(record->status, "pending");
    ASSERT_LE(record->next_attempt_ms, created + kDay) << "never scheduled past the day";
    const auto wait = OfKind(scheduler_.Poll(Now()), Kind::kWait);
    ASSERT_EQ(wait.size(), 1u);
    clock_.Advance(wait[0].until_ms - Now());
    ASSERT_LT(attempts, 100u);
  }
  // 12 attempts 1 s .. 2048 s apart end 4095 s in; then one an hour: 4095 s + 22 h = 83295 s is
  // the last before 86400 s.
  EXPECT_EQ(attempts, 35u);
  EXPECT_EQ(last_attempt, created + 83295 * kSecond);
  EXPECT_EQ(scheduler_.queued(), 0u);
  const auto after = scheduler_.Poll(Now() + kDay);
  EXPECT_TRUE(OfKind(after, Kind::kSend).empty());
  EXPECT_TRUE(OfKind(after, Kind::kGiveUp).empty()) << "given up once";
}

TEST_F(DeliverySchedulerTest, AnAttemptThatFailsAfterTheDayIsTheLast) {
  const int64_t created = Now();
  Delivery d = NewDelivery("d1", created);
  d.attempts = 30;
  d.next_attempt_ms = created + kDay - 1;  // as a restart reads it back from the store
  scheduler_.Add(d);
  clock_.Advance(kDay - 1);
  ASSERT_EQ(SentIds(scheduler_.Poll(Now())).size(), 1u);
  clock_.Advance(10 * kSecond);  // the receiver takes its 10 s
  const auto record = scheduler_.Done(Now(), "d1", false, "connect failed");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->status, "failed");
  EXPECT_EQ(record->attempts, 31u);
  EXPECT_EQ(record->last_error, "connect failed");
  EXPECT_EQ(scheduler_.queued(), 0u);
}

TEST_F(DeliverySchedulerTest, ADeliveryOlderThanADayIsGivenUpWithoutAnAttempt) {
  // A hub that was down for more than a day finds it pending in the store.
  scheduler_.Add(NewDelivery("d1", Now()));
  clock_.Advance(kDay + kHour);
  const auto actions = scheduler_.Poll(Now());
  EXPECT_TRUE(SentIds(actions).empty());
  const auto given_up = OfKind(actions, Kind::kGiveUp);
  ASSERT_EQ(given_up.size(), 1u);
  EXPECT_EQ(given_up[0].delivery.status, "failed");
  EXPECT_EQ(given_up[0].delivery.attempts, 0u);
  EXPECT_EQ(given_up[0].delivery.last_error, DeliveryScheduler::kGiveUpError);
  EXPECT_EQ(OfKind(actions, Kind::kDrained).size(), 1u) << "its queue is empty now";
}

TEST_F(DeliverySchedulerTest, OneAtATimePerWebhookAndLockInSeqOrder) {
  scheduler_.Add(NewDelivery("seq2", Now(), 2));
  scheduler_.Add(NewDelivery("seq1", Now(), 1));
  scheduler_.Add(NewDelivery("other-lock", Now(), 1, "w1", "back"));
  scheduler_.Add(NewDelivery("other-hook", Now(), 1, "w2"));
  EXPECT_EQ(SentIds(scheduler_.Poll(Now())), (std::vector<std::string>{"other-lock", "seq1", "other-hook"}));

  // seq1 fails and waits: seq2 waits behind it, and an earlier seq added now does not overtake it.
  ASSERT_TRUE(scheduler_.Done(Now(), "seq1", false, "HTTP 500").has_value());
  scheduler_.Add(NewDelivery("seq0", Now(), 0));
  EXPECT_TRUE(SentIds(scheduler_.Poll(Now())).empty());
  clock_.Advance(kSecond);
  EXPECT_EQ(SentIds(scheduler_.Poll(Now())), std::vector<std::string>{"seq1"});
  ASSERT_TRUE(scheduler_.Done(Now(), "seq1", true, "").has_value());
  EXPECT_EQ(SentIds(scheduler_.Poll(Now())), std::vector<std::string>{"seq0"});
  ASSERT_TRUE(scheduler_.Done(Now(), "seq0", true, "").has_value());
  EXPECT_EQ(SentIds(scheduler_.Poll(Now())), std::vector<std::string>{"seq2"});
}

TEST_F(DeliverySchedulerTest, AtMostMaxInFlightAttemptsAtOnce) {
  DeliveryScheduler scheduler(2);
  for (const char* lock : {"a", "b", "c"}) scheduler.Add(NewDelivery(std::string("d-") + lock, Now(), 1, "w1", lock));
  EXPECT_EQ(SentIds(scheduler.Poll(Now())), (std::vector<std::string>{"d-a", "d-b"}));
  EXPECT_EQ(scheduler.in_flight(), 2u);
  EXPECT_TRUE(SentIds(scheduler.Poll(Now())).empty());
  ASSERT_TRUE(scheduler.Done(Now(), "d-a", true, "").has_value());
  EXPECT_EQ(SentIds(scheduler.Poll(Now())), std::vector<std::string>{"d-c"});
}

TEST_F(DeliverySchedulerTest, ForgetDropsAWebhooksDeliveriesAndItsAnswerRecordsNothing) {
  scheduler_.Add(NewDelivery("d1", Now(), 1));
  scheduler_.Add(NewDelivery("d2", Now(), 2));
  scheduler_.Add(NewDelivery("keep", Now(), 1, "w2"));
  ASSERT_EQ(SentIds(scheduler_.Poll(Now())).size(), 2u);
  scheduler_.Forget("w1");
  EXPECT_EQ(scheduler_.queued(), 1u);
  EXPECT_EQ(scheduler_.in_flight(), 2u) << "the attempt under way still runs";
  EXPECT_FALSE(scheduler_.Done(Now(), "d1", true, "").has_value());
  EXPECT_EQ(scheduler_.in_flight(), 1u);
  clock_.Advance(kHour);
  EXPECT_TRUE(SentIds(scheduler_.Poll(Now())).empty());
}

TEST_F(DeliverySchedulerTest, PostponeDropAndFailEndASendThatWasNotMade) {
  scheduler_.Add(NewDelivery("d1", Now(), 1));
  scheduler_.Add(NewDelivery("d2", Now(), 2));
  scheduler_.Add(NewDelivery("bad-url", Now(), 1, "w2"));
  ASSERT_EQ(SentIds(scheduler_.Poll(Now())), (std::vector<std::string>{"d1", "bad-url"}));

  // The store could not be read: d1 again in a second, no attempt counted.
  scheduler_.Postpone("d1", Now() + kSecond);
  const auto failed = scheduler_.Fail("bad-url", "url: has no host");
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->status, "failed");
  EXPECT_EQ(failed->attempts, 0u);
  EXPECT_EQ(failed->last_error, "url: has no host");
  EXPECT_EQ(scheduler_.in_flight(), 0u);
  const auto waiting = scheduler_.Poll(Now());
  EXPECT_TRUE(SentIds(waiting).empty());
  ASSERT_EQ(OfKind(waiting, Kind::kWait).size(), 1u);
  EXPECT_EQ(OfKind(waiting, Kind::kWait)[0].until_ms, Now() + kSecond);
  clock_.Advance(kSecond);
  const auto again = OfKind(scheduler_.Poll(Now()), Kind::kSend);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].delivery.attempts, 0u);

  // Its event is gone (the lock was unpaired): d2 is next.
  scheduler_.Drop("d1");
  EXPECT_EQ(SentIds(scheduler_.Poll(Now())), std::vector<std::string>{"d2"});
}

}  // namespace
}  // namespace latchkey::hub
