// The delivery loop shared by webhooks and Web Push (hub/delivery_engine.h), with a channel made
// for the test: it keeps its "store" in a vector, starts no request, and the test answers each
// attempt as it likes. The clock is a FakeEnv's; "news" (an empty Queue) makes the engine look
// again after the test moved it, so nothing waits on the engine's real timer.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hub/delivery_engine.h"
#include "hub/testing/fake_env.h"
#include "platform/asio.h"

namespace latchkey::hub {
namespace {

using Kind = DeliveryOutcome::Kind;
constexpr int64_t kHour = 3600LL * 1000;

class FakeChannel final : public DeliveryChannel {
 public:
  // The records as a store would keep them, in the order added (each queue's order).
  std::vector<Delivery> rows;
  // What the next attempts do (front first; then they start).
  std::vector<DeliveryStart> starts;
  // Attempts under way, oldest first, with their callbacks.
  std::vector<std::pair<Delivery, DeliveryDone>> under_way;
  std::vector<std::string> attempted;  // ids, in the order started
  std::vector<Delivery> records;
  std::vector<std::string> gone;

  core::Result<std::vector<Delivery>> Pending(std::size_t limit) override {
    std::vector<Delivery> out;
    for (const Delivery& d : rows) {
      if (d.status == "pending" && out.size() < limit) out.push_back(d);
    }
    return out;
  }
  DeliveryStart Attempt(const Delivery& d, DeliveryDone done) override {
    DeliveryStart start = DeliveryStart::Started();
    if (!starts.empty()) {
      start = starts.front();
      starts.erase(starts.begin());
    }
    if (start.kind == DeliveryStart::Kind::kStarted) {
      attempted.push_back(d.id);
      under_way.emplace_back(d, std::move(done));
    }
    return start;
  }
  void Record(const Delivery& d) override {
    records.push_back(d);
    for (Delivery& row : rows) {
      if (row.id == d.id) row = d;
    }
  }
  void Gone(const Delivery& d, std::string_view why) override {
    gone.push_back(d.webhook + " " + std::string(why));
    std::erase_if(rows, [&](const Delivery& row) { return row.webhook == d.webhook; });
  }

  // Answers the attempt under way of `id`.
  void Answer(const std::string& id, DeliveryOutcome outcome) {
    const auto it = std::find_if(under_way.begin(), under_way.end(), [&](const auto& a) { return a.first.id == id; });
    ASSERT_NE(it, under_way.end()) << id << " is not under way";
    DeliveryDone done = std::move(it->second);
    under_way.erase(it);
    done(std::move(outcome));
  }
  std::vector<std::string> UnderWay() const {
    std::vector<std::string> ids;
    for (const auto& a : under_way) ids.push_back(a.first.id);
    return ids;
  }
};

const DeliveryOutcome kDelivered{Kind::kDelivered, ""};
const DeliveryOutcome k503{Kind::kFailed, "HTTP 503"};

class DeliveryEngineTest : public ::testing::Test {
 protected:
  // A new engine (a restart when there was one: what was under way is abandoned).
  void Make(DeliveryEngine::Options options = {}) {
    StopEngine();
    engine_ = std::make_shared<DeliveryEngine>(io_, env_, channel_, std::move(options));
  }
  void StopEngine() {
    if (engine_) engine_->Stop();
    channel_->under_way.clear();  // their callbacks hold the engine
    Poll();                       // the cancelled timer's handler, which holds it too
  }
  void TearDown() override { StopEngine(); }
  // Runs what is ready on the io thread (posted reloads, cancelled timers), without waiting.
  void Poll() {
    io_.restart();
    io_.poll();
  }
  int64_t Now() const { return env_.NowMs(); }

  // A new record in the channel's store, due now; the caller queues it (or not).
  Delivery Stored(const std::string& id, uint64_t seq, const std::string& webhook = "w1", const std::string& lock = "front") {
    Delivery d;
    d.id = id;
    d.webhook = webhook;
    d.lock = lock;
    d.seq = seq;
    d.next_attempt_ms = Now();
    d.created_at_ms = Now();
    channel_->rows.push_back(d);
    return d;
  }
  // Time passes; then news makes the engine look again, and the io thread runs what was posted.
  void Advance(int64_t ms) {
    env_.clock().Advance(ms);
    engine_->Queue({});
    Poll();
  }
  const Delivery* RecordOf(const std::string& id) const {
    const Delivery* last = nullptr;
    for (const Delivery& d : channel_->records) {
      if (d.id == id) last = &d;
    }
    return last;
  }

  boost::asio::io_context io_;
  testing::FakeEnv env_;
  std::shared_ptr<FakeChannel> channel_ = std::make_shared<FakeChannel>();
  std::shared_ptr<DeliveryEngine> engine_;
};

TEST(HttpDeliveryOutcomeTest, SaysOnlyWhatLastErrorMayShow) {
  HttpPostResult r;
  r.status = 204;
  EXPECT_EQ(HttpDeliveryOutcome(r).kind, Kind::kDelivered);
  EXPECT_EQ(HttpDeliveryOutcome(r).error, "");
  r.status = 503;
  EXPECT_EQ(HttpDeliveryOutcome(r).kind, Kind::kFailed);
  EXPECT_EQ(HttpDeliveryOutcome(r).error, "HTTP 503");
  r.status = 410;  // gone is the push channel's reading, not every receiver's
  EXPECT_EQ(HttpDeliveryOutcome(r).kind, Kind::kFailed);
  EXPECT_EQ(HttpDeliveryOutcome(r).error, "HTTP 410");
  const std::pair<HttpPostResult::Failure, std::string> failures[] = {
      {HttpPostResult::Failure::kPolicy, "refused by policy"},
      {HttpPostResult::Failure::kTls, "tls failed"},
      {HttpPostResult::Failure::kConnect, "connect failed"},
  };
  for (const auto& [failure, words] : failures) {
    HttpPostResult f;
    f.failure = failure;
    f.error = "connect: Connection refused (127.0.0.1:9)";  // the detail is for the log only
    EXPECT_EQ(HttpDeliveryOutcome(f).kind, Kind::kFailed);
    EXPECT_EQ(HttpDeliveryOutcome(f).error, words);
  }
}

TEST_F(DeliveryEngineTest, OneAtATimePerQueueInOrderRetriedAndEachOutcomeRecorded) {
  Make();
  engine_->Start();
  engine_->Queue({Stored("a1", 1), Stored("a2", 2), Stored("b1", 1, "w2")});
  EXPECT_EQ(channel_->UnderWay(), (std::vector<std::string>{"a1", "b1"})) << "a2 waits behind a1";
  EXPECT_EQ(engine_->in_flight(), 2u);
  EXPECT_EQ(engine_->queued(), 3u);

  channel_->Answer("a1", k503);
  const Delivery* retry = RecordOf("a1");
  ASSERT_NE(retry, nullptr);
  EXPECT_EQ(retry->status, "pending");
  EXPECT_EQ(retry->attempts, 1u);
  EXPECT_EQ(retry->last_error, "HTTP 503");
  EXPECT_EQ(retry->next_attempt_ms, Now() + 1000);
  EXPECT_EQ(channel_->UnderWay(), (std::vector<std::string>{"b1"})) << "a2 still waits while a1 is retried";

  Advance(999);
  EXPECT_EQ(channel_->UnderWay(), (std::vector<std::string>{"b1"}));
  Advance(1);
  EXPECT_EQ(channel_->UnderWay(), (std::vector<std::string>{"b1", "a1"}));
  channel_->Answer("a1", kDelivered);
  EXPECT_EQ(RecordOf("a1")->status, "delivered");
  EXPECT_EQ(RecordOf("a1")->attempts, 2u);
  EXPECT_EQ(RecordOf("a1")->last_error, "");
  EXPECT_EQ(channel_->UnderWay(), (std::vector<std::string>{"b1", "a2"}));
  channel_->Answer("b1", kDelivered);
  channel_->Answer("a2", kDelivered);
  EXPECT_EQ(channel_->attempted, (std::vector<std::string>{"a1", "b1", "a1", "a2"}));
  EXPECT_EQ(engine_->queued(), 0u);
  EXPECT_EQ(engine_->in_flight(), 0u);
}

TEST_F(DeliveryEngineTest, GivenUpAtTheOptionsTimeWithTheLastErrorOrTheirWords) {
  Make({.name = "push", .give_up_ms = kHour, .give_up_error = "not delivered within an hour"});
  engine_->Start();
  engine_->Queue({Stored("s1", 1, "sub")});
  channel_->Answer("s1", k503);
  Stored("t1", 1, "other");  // in the store only, as after a hub that was down
  Advance(kHour);
  ASSERT_NE(RecordOf("s1"), nullptr);
  EXPECT_EQ(RecordOf("s1")->status, "failed");
  EXPECT_EQ(RecordOf("s1")->last_error, "HTTP 503");

  Make({.name = "push", .give_up_ms = kHour, .give_up_error = "not delivered within an hour"});  // a restart
  env_.clock().Advance(kHour);
  engine_->Start();
  ASSERT_NE(RecordOf("t1"), nullptr);
  EXPECT_EQ(RecordOf("t1")->status, "failed");
  EXPECT_EQ(RecordOf("t1")->last_error, "not delivered within an hour");
  EXPECT_EQ(RecordOf("t1")->attempts, 0u);
  EXPECT_EQ(channel_->attempted, (std::vector<std::string>{"s1"}));
}

TEST_F(DeliveryEngineTest, AGoneDestinationIsDeletedWithItsQueueAndNothingIsRecorded) {
  Make();
  engine_->Start();
  engine_->Queue({Stored("a1", 1, "sub"), Stored("a2", 2, "sub"), Stored("b1", 1, "keep")});
  channel_->Answer("a1", {Kind::kGone, "HTTP 410"});
  EXPECT_EQ(channel_->gone, (std::vector<std::string>{"sub HTTP 410"}));
  EXPECT_EQ(RecordOf("a1"), nullptr);
  EXPECT_EQ(channel_->UnderWay(), (std::vector<std::string>{"b1"})) << "a2 went with its subscription";
  EXPECT_EQ(engine_->queued(), 1u);
}

TEST_F(DeliveryEngineTest, AttemptsThatCannotStartLaterNeverOrWithoutTheirDestination) {
  Make();
  engine_->Start();
  // The store could not be read: asked again a second later, no attempt counted.
  channel_->starts = {DeliveryStart::Later()};
  engine_->Queue({Stored("l1", 1, "later")});
  EXPECT_TRUE(channel_->UnderWay().empty());
  Advance(DeliveryEngine::kRetryLaterMs);
  EXPECT_EQ(channel_->UnderWay(), (std::vector<std::string>{"l1"}));
  channel_->Answer("l1", kDelivered);
  EXPECT_EQ(RecordOf("l1")->attempts, 1u);

  // Its event is gone: nothing recorded, the next one goes.
  channel_->starts = {DeliveryStart::Drop()};
  engine_->Queue({Stored("d1", 1, "drop"), Stored("d2", 2, "drop")});
  EXPECT_EQ(RecordOf("d1"), nullptr);
  EXPECT_EQ(channel_->UnderWay(), (std::vector<std::string>{"d2"}));
  channel_->Answer("d2", kDelivered);

  // A URL that does not parse: given up at once with the channel's words, the next one goes.
  channel_->starts = {DeliveryStart::Fail("url: port out of range")};
  engine_->Queue({Stored("f1", 1, "fail"), Stored("f2", 2, "fail")});
  ASSERT_NE(RecordOf("f1"), nullptr);
  EXPECT_EQ(RecordOf("f1")->status, "failed");
  EXPECT_EQ(RecordOf("f1")->last_error, "url: port out of range");
  EXPECT_EQ(channel_->UnderWay(), (std::vector<std::string>{"f2"}));
  channel_->Answer("f2", kDelivered);

  // Its webhook was deleted: the whole queue goes, nothing recorded, others go on.
  channel_->starts = {DeliveryStart::NoTarget()};
  engine_->Queue({Stored("n1", 1, "deleted"), Stored("n2", 2, "deleted"), Stored("o1", 1, "other")});
  EXPECT_EQ(RecordOf("n1"), nullptr);
  EXPECT_EQ(RecordOf("n2"), nullptr);
  EXPECT_EQ(channel_->UnderWay(), (std::vector<std::string>{"o1"}));
  EXPECT_EQ(engine_->queued(), 1u);
}

TEST_F(DeliveryEngineTest, PendingRecordsResumeAndABacklogIsLoadedInOrderBeforeNewOnes) {
  Stored("p1", 1);
  Stored("p2", 2);
  Stored("p3", 3);
  Make({.load_limit = 2});
  engine_->Start();
  EXPECT_EQ(engine_->queued(), 2u) << "one page";
  EXPECT_EQ(channel_->UnderWay(), (std::vector<std::string>{"p1"}));
  // A new one while p3 is still in the store only: it stays there too, so it cannot overtake.
  engine_->Queue({Stored("p4", 4)});
  EXPECT_EQ(engine_->queued(), 2u);
  for (const std::string id : {"p1", "p2", "p3", "p4"}) {
    Poll();  // the reload, once the queue drained
    ASSERT_EQ(channel_->UnderWay(), (std::vector<std::string>{id}));
    channel_->Answer(id, kDelivered);
  }
  Poll();
  EXPECT_EQ(channel_->attempted, (std::vector<std::string>{"p1", "p2", "p3", "p4"}));
  EXPECT_EQ(engine_->queued(), 0u);
}

// Found when the two senders became one: a backlog whose queued deliveries all belonged to a
// webhook that was then deleted (or a push subscription that was gone) left no queue to drain,
// and so nothing asked for the next page: new deliveries stayed in the store until a restart.
TEST_F(DeliveryEngineTest, ABacklogIsStillLoadedWhenItsQueuedDestinationIsForgotten) {
  Stored("a1", 1, "dead");
  Stored("a2", 2, "dead");
  Stored("a3", 3, "dead");
  Make({.load_limit = 2});
  engine_->Start();
  EXPECT_EQ(channel_->UnderWay(), (std::vector<std::string>{"a1"}));
  channel_->Answer("a1", k503);
  engine_->Queue({Stored("b1", 1, "new")});  // left in the store behind the backlog
  EXPECT_EQ(engine_->queued(), 2u);

  // The webhook is deleted, with its records.
  std::erase_if(channel_->rows, [](const Delivery& d) { return d.webhook == "dead"; });
  engine_->Forget("dead");
  Poll();
  EXPECT_EQ(channel_->UnderWay(), (std::vector<std::string>{"b1"}));

  // The same through an answer that says the destination is gone.
  channel_->Answer("b1", kDelivered);
  Stored("c1", 1, "gone");
  Stored("c2", 2, "gone");
  Stored("c3", 3, "gone");
  Make({.load_limit = 2});  // a restart
  engine_->Start();
  engine_->Queue({Stored("d1", 1, "next")});
  EXPECT_EQ(channel_->UnderWay(), (std::vector<std::string>{"c1"}));
  channel_->Answer("c1", {Kind::kGone, "HTTP 404"});
  Poll();
  EXPECT_EQ(channel_->UnderWay(), (std::vector<std::string>{"d1"}));
}

TEST_F(DeliveryEngineTest, AfterStopNothingIsAttemptedOrRecorded) {
  Make();
  engine_->Start();
  engine_->Queue({Stored("a1", 1), Stored("a2", 2)});
  engine_->Stop();
  channel_->Answer("a1", kDelivered);
  EXPECT_TRUE(channel_->records.empty()) << "an answer after the stop changes nothing; a1 stays pending";
  engine_->Queue({Stored("a3", 3, "w2")});
  Poll();
  EXPECT_EQ(channel_->attempted, (std::vector<std::string>{"a1"}));
  EXPECT_EQ(engine_->queued(), 0u);
}

}  // namespace
}  // namespace latchkey::hub
