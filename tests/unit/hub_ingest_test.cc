// The hub's receiving half of store-and-forward (LINK.md; src/hub/lock_sessions, src/link/
// link_client): the events of one `events` message go into the mirror in one durable
// transaction, are published only after it commits, and are acknowledged only up to what is
// committed. A scripted lock on loopback speaks the real Noise link to a real LockSessions over
// a real HubStore file; a second connection to that file sees only what is committed, and every
// ack the lock receives is checked against it.
#include <sqlite3.h>
#include <stdlib.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/noise_handshake.h"
#include "hub/hub_store.h"
#include "hub/lock_sessions.h"
#include "link/channel.h"
#include "link/message.h"
#include "link/op_answers.h"
#include "store/sqlite_db.h"
#include "common/temp_dir.h"

namespace latchkey::hub {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr const char* kLock = "front";

Json EventJson(uint64_t seq) {
  return Json{{"seq", seq}, {"time", 1'795'600'800'000 + static_cast<int64_t>(seq)}, {"kind", "door_state"},
              {"door_state", seq % 2 ? "open" : "closed"}};
}

std::vector<Json> Events(uint64_t first, uint64_t last) {
  std::vector<Json> out;
  for (uint64_t seq = first; seq <= last; ++seq) out.push_back(EventJson(seq));
  return out;
}

// The lock's end of the link, scripted by the test: it answers the handshake and hello,
// ignores requests, sends what the test tells it to, and records what the hub sends back.
class ScriptedLock {
 public:
  explicit ScriptedLock(asio::io_context& io)
      : acceptor_(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), key_(crypto::GenerateKeypair()) {
    Accept();
  }
  ~ScriptedLock() {
    if (channel_) {
      channel_->Detach();
      channel_->Close("test over");
    }
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  const crypto::NoisePublicKey& key() const { return key_.pub; }

  void SendEvents(const std::vector<Json>& events, uint64_t first_seq = 1) {
    ASSERT_TRUE(channel_ && hello_) << "no hub connected";
    ASSERT_TRUE(channel_->Send(Json{{"t", "events"}, {"events", events}, {"first_seq", first_seq}}).ok());
  }

  void Send(const Json& message) {
    ASSERT_TRUE(channel_ && hello_) << "no hub connected";
    ASSERT_TRUE(channel_->Send(message).ok());
  }

  bool connected() const { return channel_ != nullptr && hello_.has_value(); }
  // The hub's hellos (acked_seq: what it has stored), one per connection.
  std::vector<uint64_t> hello_acked;
  std::vector<uint64_t> acks;
  std::vector<uint64_t> resumes;
  std::vector<std::string> closes;
  // Called with each ack's seq as it arrives.
  std::function<void(uint64_t)> on_ack;

 private:
  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket socket) {
      if (ec) return;
      crypto::HandshakeConfig config;
      config.pattern = crypto::NoisePattern::kIK;  // the hub knows the lock's key: IK (docs/link.md)
      config.initiator = false;
      config.s = key_;
      link::Channel::Callbacks callbacks;
      callbacks.on_established = [](const crypto::NoisePublicKey&) { return true; };
      callbacks.on_message = [this](link::Message m) { OnMessage(std::move(m)); };
      callbacks.on_closed = [this](const std::string& why) {
        closes.push_back(why);
        channel_.reset();
        hello_.reset();
      };
      channel_ = link::Channel::Create(std::move(socket), std::move(config), std::move(callbacks));
      channel_->Start();
      Accept();
    });
  }

  void OnMessage(link::Message m) {
    switch (m.type) {
      case link::MessageType::kHello:
        hello_ = m.body;
        hello_acked.push_back(m.body.value("acked_seq", uint64_t{0}));
        (void)channel_->Send(link::Hello(kLock, Json::object(), hello_acked.back(), true));
        return;
      case link::MessageType::kAck:
        acks.push_back(m.body.value("seq", uint64_t{0}));
        if (on_ack) on_ack(acks.back());
        return;
      case link::MessageType::kResume:
        resumes.push_back(m.body.value("after", uint64_t{0}));
        return;
      default:
        return;  // requests (set_time) go unanswered; pings need no answer within a test
    }
  }

  asio::ip::tcp::acceptor acceptor_;
  crypto::NoiseKeypair key_;
  std::shared_ptr<link::Channel> channel_;
  std::optional<Json> hello_;
};

class HubIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = HubStore::Open(dir_ + "/hub.db");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    // A second connection sees only what the hub's connection has committed.
    auto observer = HubStore::Open(dir_ + "/hub.db");
    ASSERT_TRUE(observer.ok()) << observer.status().ToString();
    observer_ = std::move(observer).value();

    lock_ = std::make_unique<ScriptedLock>(io_);
    LockRecord record;
    record.id = kLock;
    record.name = "Front door";
    record.address = lock_->address();
    std::copy(lock_->key().begin(), lock_->key().end(), record.key.begin());
    ASSERT_TRUE(store_->PutLock(record).ok());

    // Commits on the hub's connection, counted; SetLockState and the like would count too, but
    // the scripted lock sends no state.
    sqlite3_commit_hook(store_->database().handle(), [](void* n) { return ++*static_cast<int*>(n), 0; }, &commits_);

    // Every ack must be covered by what is committed when it arrives.
    lock_->on_ack = [this](uint64_t seq) {
      EXPECT_GE(CommittedThrough(), seq) << "acked " << seq << " with the mirror (committed) through "
                                         << CommittedThrough();
    };
    LockSessions::Listener listener;
    listener.on_state = [this](const std::string& lock) {
      auto stored = store_->GetLock(lock);
      ASSERT_TRUE(stored.ok() && *stored);
      states_.push_back((*stored)->state.value("door_state", ""));
    };
    listener.on_event = [this](const std::string& lock, const Json& event) {
      const uint64_t seq = event.value("seq", uint64_t{0});
      EXPECT_EQ(lock, kLock);
      EXPECT_TRUE(Committed(seq)) << "event " << seq << " published before its transaction committed";
      published_.push_back(seq);
    };
    crypto::NoiseKeypair hub_key = crypto::GenerateKeypair();
    sessions_ = std::make_unique<LockSessions>(io_, hub::Env::System(), *store_, hub_key, "hub-test", std::move(listener));
    ASSERT_TRUE(sessions_->Start().ok());
    ASSERT_TRUE(RunUntil([&] { return lock_->connected() && sessions_->online(kLock); }));
  }

  void TearDown() override {
    sessions_.reset();
    lock_.reset();
    io_.poll();
    observer_.reset();
    store_.reset();
  }

  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_one_for(10ms);
    }
    return true;
  }
  // Runs for a while with nothing to wait for (to see that nothing more happens).
  void RunFor(std::chrono::milliseconds duration) {
    const auto deadline = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < deadline) io_.run_one_for(10ms);
  }

  bool Committed(uint64_t seq) {
    return *observer_->database().QueryInt("SELECT count(*) FROM events WHERE seq = " + std::to_string(seq)) == 1;
  }
  // The last seq of the committed mirror with nothing missing before it.
  uint64_t CommittedThrough() {
    const int64_t count = *observer_->database().QueryInt("SELECT count(*) FROM events");
    const int64_t max = *observer_->database().QueryInt("SELECT coalesce(max(seq), 0) FROM events");
    EXPECT_EQ(count, max) << "the mirror has a hole";
    return static_cast<uint64_t>(max);
  }
  std::vector<uint64_t> Seqs(uint64_t first, uint64_t last) {
    std::vector<uint64_t> out;
    for (uint64_t seq = first; seq <= last; ++seq) out.push_back(seq);
    return out;
  }

  asio::io_context io_;
  ::latchkey::testing::TempDir tmp_{"latchkey-hub-ingest"};
  const std::string dir_ = tmp_.path();
  std::unique_ptr<HubStore> store_, observer_;
  std::unique_ptr<ScriptedLock> lock_;
  std::unique_ptr<LockSessions> sessions_;
  std::vector<uint64_t> published_;
  std::vector<std::string> states_;  // the stored door_state at each state change published
  int commits_ = 0;
};

TEST_F(HubIngestTest, AMessageIsOneTransactionAndOneAckAfterIt) {
  ASSERT_EQ(lock_->hello_acked, std::vector<uint64_t>{0});
  const int before = commits_;
  lock_->SendEvents(Events(1, 24));
  ASSERT_TRUE(RunUntil([&] { return !lock_->acks.empty(); }));
  RunFor(100ms);
  EXPECT_EQ(lock_->acks, std::vector<uint64_t>{24}) << "one ack, for the last event";
  EXPECT_EQ(commits_ - before, 1) << "24 events, one transaction";
  EXPECT_EQ(published_, Seqs(1, 24));
  EXPECT_EQ(CommittedThrough(), 24u);

  // Sent again from 20 (an ack was lost): 20..24 are skipped, 25..30 stored, in one transaction.
  lock_->SendEvents(Events(20, 30));
  ASSERT_TRUE(RunUntil([&] { return lock_->acks.size() == 2; }));
  EXPECT_EQ(lock_->acks.back(), 30u);
  EXPECT_EQ(commits_ - before, 2);
  EXPECT_EQ(published_, Seqs(1, 30)) << "nothing published twice";

  // A gap (33 missing, and the lock did not say it is gone): what comes before it is stored and
  // acknowledged, and the hub asks for the rest.
  std::vector<Json> gap = Events(31, 32);
  for (const Json& e : Events(34, 36)) gap.push_back(e);
  lock_->SendEvents(gap);
  ASSERT_TRUE(RunUntil([&] { return !lock_->resumes.empty(); }));
  EXPECT_EQ(lock_->acks.back(), 32u);
  EXPECT_EQ(lock_->resumes, std::vector<uint64_t>{32});
  EXPECT_EQ(CommittedThrough(), 32u);
  EXPECT_EQ(lock_->closes.size(), 0u);
}

// As when every event had a transaction of its own: the events before a malformed one are
// stored and published, the link closes without an ack, and the next hello says exactly what
// is stored, never more.
TEST_F(HubIngestTest, AMalformedEventStoresWhatCameBeforeItAndAcksNothingBeyond) {
  lock_->SendEvents(Events(1, 3));
  ASSERT_TRUE(RunUntil([&] { return !lock_->acks.empty(); }));
  std::vector<Json> batch = Events(4, 12);
  batch[4].erase("kind");  // seq 8
  lock_->SendEvents(batch);
  ASSERT_TRUE(RunUntil([&] { return !lock_->closes.empty(); }));
  EXPECT_EQ(lock_->acks, std::vector<uint64_t>{3}) << "nothing of the broken message is acknowledged on its link";
  EXPECT_EQ(CommittedThrough(), 7u);
  EXPECT_EQ(published_, Seqs(1, 7));
  ASSERT_TRUE(RunUntil([&] { return lock_->connected(); })) << "the hub reconnects";
  EXPECT_EQ(lock_->hello_acked.back(), 7u) << "the hub's hello acknowledges what it stored, and no more";

  // An event without a seq ends the message the same way.
  batch = Events(8, 10);
  batch[1].erase("seq");
  lock_->SendEvents(batch);
  ASSERT_TRUE(RunUntil([&] { return lock_->closes.size() == 2; }));
  EXPECT_EQ(CommittedThrough(), 8u);
  ASSERT_TRUE(RunUntil([&] { return lock_->connected(); }));
  EXPECT_EQ(lock_->hello_acked.back(), 8u);
  EXPECT_EQ(lock_->acks, std::vector<uint64_t>{3});
  EXPECT_EQ(published_, Seqs(1, 8));
}

// A write that fails stores none of the message (one transaction), publishes none, and
// acknowledges none: an ack sent before the commit would show here.
TEST_F(HubIngestTest, AFailedWriteAcksAndPublishesNothingOfTheMessage) {
  lock_->SendEvents(Events(1, 4));
  ASSERT_TRUE(RunUntil([&] { return !lock_->acks.empty(); }));
  ASSERT_TRUE(observer_->database()
                  .Exec("CREATE TRIGGER fail_7 BEFORE INSERT ON events WHEN NEW.seq = 7 "
                        "BEGIN SELECT RAISE(ABORT, 'injected write failure'); END")
                  .ok());
  lock_->SendEvents(Events(5, 12));
  ASSERT_TRUE(RunUntil([&] { return !lock_->closes.empty(); }));
  EXPECT_EQ(lock_->acks, std::vector<uint64_t>{4});
  EXPECT_EQ(CommittedThrough(), 4u) << "5 and 6 came before the failure but share its transaction";
  EXPECT_EQ(published_, Seqs(1, 4));
  ASSERT_TRUE(RunUntil([&] { return lock_->connected(); }));
  EXPECT_EQ(lock_->hello_acked.back(), 4u);

  // Once the store takes them again, the lock's resend goes through.
  ASSERT_TRUE(observer_->database().Exec("DROP TRIGGER fail_7").ok());
  lock_->SendEvents(Events(5, 12));
  ASSERT_TRUE(RunUntil([&] { return lock_->acks.size() == 2; }));
  EXPECT_EQ(lock_->acks.back(), 12u);
  EXPECT_EQ(published_, Seqs(1, 12));
}

// HubStore::AppendEvents on its own: one transaction, all or nothing.
TEST_F(HubIngestTest, AppendEventsIsOneTransactionAllOrNothing) {
  LockRecord back;
  back.id = "back";
  back.address = "127.0.0.1:1";
  ASSERT_TRUE(store_->PutLock(back).ok());
  const auto count = [&] { return *observer_->database().QueryInt("SELECT count(*) FROM events WHERE lock = 'back'"); };
  const auto acked = [&] { return *observer_->database().QueryInt("SELECT acked_seq FROM locks WHERE id = 'back'"); };
  const std::vector<Json> first = Events(1, 5);
  int before = commits_;
  ASSERT_TRUE(store_->AppendEvents("back", first).ok());
  EXPECT_EQ(commits_ - before, 1);
  EXPECT_EQ(count(), 5);
  EXPECT_EQ(acked(), 5);

  // One refused event refuses the whole batch, before anything is written; it is named.
  std::vector<Json> bad = Events(4, 6);
  bad[2]["user"] = "bob";
  before = commits_;
  const core::Status refused = store_->AppendEvents("back", bad);
  EXPECT_EQ(refused.code(), core::Code::kInvalid);
  EXPECT_NE(refused.message().find("event 3 of 3"), std::string::npos) << refused.ToString();
  EXPECT_EQ(commits_, before);
  EXPECT_EQ(count(), 5);
  EXPECT_EQ(acked(), 5);

  // Already stored ones are skipped; acked_seq is the largest seq, and never moves back.
  Json changed = EventJson(2);
  changed["kind"] = "alarm";
  ASSERT_TRUE(store_->AppendEvents("back", std::vector<Json>{changed, EventJson(7), EventJson(6)}).ok());
  EXPECT_EQ(count(), 7);
  EXPECT_EQ(acked(), 7);
  EXPECT_EQ(*observer_->database().QueryInt("SELECT count(*) FROM events WHERE lock = 'back' AND kind = 'alarm'"), 0)
      << "a stored event is never rewritten";
  ASSERT_TRUE(store_->AppendEvents("back", Events(3, 3)).ok());
  EXPECT_EQ(acked(), 7);

  EXPECT_EQ(store_->AppendEvents("ghost", Events(1, 2)).code(), core::Code::kNotFound);
  EXPECT_TRUE(store_->AppendEvents("back", std::vector<Json>{}).ok());
  EXPECT_EQ(count(), 7);
}

// The hub reads a `state` message with the table the lock writes it with (link/op_answers.h):
// one it cannot read is dropped, and the lock object keeps the last good state, whole.
TEST_F(HubIngestTest, AStateTheHubCannotReadLeavesTheLastGoodOne) {
  states_.clear();  // (the connection's own)
  link::StateAnswer state;
  state.name = "Front door";
  state.status.door_state = core::DoorState::kClosed;
  const auto message = [](const link::StateAnswer& s) {
    Json m = link::StateAnswer::Fields().Encode(s);
    m["t"] = "state";
    return m;
  };
  lock_->Send(message(state));
  ASSERT_TRUE(RunUntil([&] { return states_.size() == 1; }));
  EXPECT_EQ(states_, std::vector<std::string>{"closed"});

  Json bad = message(state);
  bad["door_state"] = "open";
  bad["battery"]["percent"] = "full";
  lock_->Send(bad);
  state.status.door_state = core::DoorState::kAjar;
  lock_->Send(message(state));
  ASSERT_TRUE(RunUntil([&] { return states_.size() == 2; }));
  EXPECT_EQ(states_, (std::vector<std::string>{"closed", "ajar"})) << "the unreadable state was never published";

  auto record = store_->GetLock(kLock);
  ASSERT_TRUE(record.ok() && *record);
  auto stored = link::StateAnswer::Fields().Decode((*record)->state);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->status.door_state, core::DoorState::kAjar);
  EXPECT_FALSE((*record)->state.contains("t"));
}

}  // namespace
}  // namespace latchkey::hub
