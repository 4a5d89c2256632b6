// Which pending webhook deliveries the sender loads when more are pending than it takes at once
// (HubStore::PendingDeliveries; the engine's load_limit is 1000). Found when the webhook and push
// senders became one: push loads by queue order, webhooks loaded the longest-waiting first, and a
// retried delivery waits longer than the ones queued behind it, so after a restart with a backlog
// a page could hold a later event of a webhook and lock without its earlier one, and the later
// one went out first.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "hub/hub_store.h"

namespace latchkey::hub {
namespace {

class WebhookPendingOrderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = HubStore::Open(tmp_.path() + "/hub.db");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    LockRecord lock;
    lock.id = "front";
    lock.name = "Front door";
    lock.address = "127.0.0.1:7001";
    lock.created_at_ms = 1000;
    ASSERT_TRUE(store_->PutLock(lock).ok());
    for (uint64_t seq = 1; seq <= 3; ++seq) {
      const Json event{{"seq", seq}, {"time", 1000}, {"kind", "lock_operation"}, {"source", "keypad"},
                       {"hash", std::string(64, 'a')}};
      ASSERT_TRUE(store_->AppendEvent("front", event).ok());
    }
    for (const std::string id : {"w1", "w2"}) {
      Webhook w;
      w.id = id;
      w.url = "https://hooks.example.com/" + id;
      w.secret = "s3cret";
      w.created_at_ms = 1000;
      ASSERT_TRUE(store_->PutWebhook(w).ok());
    }
  }

  void Put(const std::string& id, const std::string& webhook, uint64_t seq, int64_t created_at_ms) {
    Delivery d;
    d.id = id;
    d.webhook = webhook;
    d.lock = "front";
    d.seq = seq;
    d.next_attempt_ms = created_at_ms;
    d.created_at_ms = created_at_ms;
    ASSERT_TRUE(store_->PutDelivery(d).ok());
  }
  std::vector<std::string> Ids(std::size_t limit) {
    auto pending = store_->PendingDeliveries(limit);
    EXPECT_TRUE(pending.ok()) << pending.status().ToString();
    std::vector<std::string> ids;
    if (pending.ok()) {
      for (const Delivery& d : *pending) ids.push_back(d.id);
    }
    return ids;
  }

  latchkey::testing::TempDir tmp_{"latchkey-webhook-order"};
  std::unique_ptr<HubStore> store_;
};

TEST_F(WebhookPendingOrderTest, APageHoldsTheStartOfEachQueueEvenWhenItsFrontWasRetriedLater) {
  Put("a1", "w1", 1, 1000);
  Put("a2", "w1", 2, 1001);
  Put("a3", "w1", 3, 1002);
  Put("b2", "w2", 2, 1003);
  Put("b3", "w2", 3, 1004);
  // a1 failed twice: its next attempt is later than a2's and a3's, which never had one.
  Delivery retried;
  retried.id = "a1";
  retried.attempts = 2;
  retried.next_attempt_ms = 5000;
  retried.last_error = "HTTP 503";
  ASSERT_TRUE(store_->UpdateDelivery(retried).ok());
  // Another webhook's delivered one is not pending.
  Delivery done;
  done.id = "b1";
  done.webhook = "w2";
  done.lock = "front";
  done.seq = 1;
  done.created_at_ms = 999;
  ASSERT_TRUE(store_->PutDelivery(done).ok());
  done.status = "delivered";
  done.attempts = 1;
  ASSERT_TRUE(store_->UpdateDelivery(done).ok());

  // Each queue's front first (oldest first), then each one's next.
  EXPECT_EQ(Ids(1), (std::vector<std::string>{"a1"}));
  EXPECT_EQ(Ids(2), (std::vector<std::string>{"a1", "b2"}));
  EXPECT_EQ(Ids(3), (std::vector<std::string>{"a1", "b2", "a2"}));
  EXPECT_EQ(Ids(1000), (std::vector<std::string>{"a1", "b2", "a2", "b3", "a3"}));
  // Delivered or given up ones are not loaded.
  retried.status = "failed";
  ASSERT_TRUE(store_->UpdateDelivery(retried).ok());
  EXPECT_EQ(Ids(2), (std::vector<std::string>{"a2", "b2"}));
  EXPECT_TRUE(Ids(0).empty());
}

}  // namespace
}  // namespace latchkey::hub
