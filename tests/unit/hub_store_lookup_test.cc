// The hub store's point lookup of one lock (GetLock) and its events decoded once (DecodeEvent
// and AppendEvents of decoded events), beside hub_store_test.cc.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "hub/hub_store.h"
#include "store/sqlite_db.h"
#include "common/temp_dir.h"

namespace latchkey::hub {
namespace {

using core::Code;

LockRecord Lock(const std::string& id, int64_t created_at_ms) {
  LockRecord r;
  r.id = id;
  r.name = id + " door";
  r.address = "127.0.0.1:7001";
  for (std::size_t i = 0; i < r.key.size(); ++i) r.key[i] = static_cast<uint8_t>(i + 1);
  r.simulated = true;
  r.sim_control_url = "http://127.0.0.1:7101";
  r.state = Json{{"lock_state", "locked"}};
  r.created_at_ms = created_at_ms;
  return r;
}

Json EventJson(uint64_t seq, const Json& user = nullptr) {
  Json e{{"seq", seq}, {"time", 1'795'600'800'000 + static_cast<int64_t>(seq)}, {"kind", "door_state"}};
  if (!user.is_null()) e["user"] = user;
  return e;
}

class HubStoreLookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = HubStore::Open(dir_ + "/hub.db");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }
  void TearDown() override {
    store_.reset();
  }
  ::latchkey::testing::TempDir tmp_{"latchkey-hub-lookup"};
  const std::string dir_ = tmp_.path();
  std::unique_ptr<HubStore> store_;
};

TEST_F(HubStoreLookupTest, GetLockFindsTheLockAsListLocksShowsIt) {
  ASSERT_TRUE(store_->PutLock(Lock("front", 1)).ok());
  ASSERT_TRUE(store_->PutLock(Lock("back", 2)).ok());
  ASSERT_TRUE(store_->SetLockState("back", Json{{"lock_state", "unlocked"}}).ok());
  ASSERT_TRUE(store_->AppendEvents("back", std::vector<Json>{EventJson(1), EventJson(2)}).ok());

  auto back = store_->GetLock("back");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->id, "back");
  EXPECT_EQ((*back)->name, "back door");
  EXPECT_EQ((*back)->acked_seq, 2u);
  EXPECT_EQ((*back)->state, (Json{{"lock_state", "unlocked"}}));
  EXPECT_EQ((*back)->created_at_ms, 2);

  auto all = store_->ListLocks();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  const LockRecord& listed = (*all)[1];
  EXPECT_EQ(listed.id, (*back)->id);
  EXPECT_EQ(listed.key, (*back)->key);
  EXPECT_EQ(listed.address, (*back)->address);
  EXPECT_EQ(listed.simulated, (*back)->simulated);
  EXPECT_EQ(listed.sim_control_url, (*back)->sim_control_url);
  EXPECT_EQ(listed.acked_seq, (*back)->acked_seq);
  EXPECT_EQ(listed.state, (*back)->state);
}

TEST_F(HubStoreLookupTest, GetLockOfAnUnknownOrDeletedLockIsNone) {
  auto none = store_->GetLock("front");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store_->PutLock(Lock("front", 1)).ok());
  EXPECT_TRUE(store_->GetLock("front")->has_value());
  EXPECT_FALSE(store_->GetLock("Front")->has_value()) << "ids are matched exactly";
  EXPECT_FALSE(store_->GetLock("")->has_value());
  ASSERT_TRUE(store_->DeleteLock("front").ok());
  EXPECT_FALSE(store_->GetLock("front")->has_value());
}

TEST_F(HubStoreLookupTest, GetLockOfARowThatCannotBeReadIsAnIoError) {
  ASSERT_TRUE(store_->PutLock(Lock("front", 1)).ok());
  ASSERT_TRUE(store_->database().Exec("PRAGMA ignore_check_constraints = ON").ok());
  ASSERT_TRUE(store_->database().Exec("UPDATE locks SET acked_seq = -1 WHERE id = 'front'").ok());
  auto broken = store_->GetLock("front");
  EXPECT_EQ(broken.status().code(), Code::kIoError) << broken.status().ToString();
  EXPECT_FALSE(store_->database().InTransaction());
}

TEST_F(HubStoreLookupTest, DecodeEventKeepsWhatTheRowIndexes) {
  Json event = EventJson(7, 3);
  event["kind"] = "a_kind_of_a_newer_lock";
  auto decoded = HubStore::DecodeEvent(event);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->envelope.seq, 7u);
  EXPECT_EQ(decoded->envelope.time_ms, 1'795'600'800'007);
  EXPECT_EQ(decoded->envelope.kind, "a_kind_of_a_newer_lock");
  ASSERT_TRUE(decoded->envelope.user.has_value());
  EXPECT_EQ(decoded->envelope.user->index, 3u);
  EXPECT_EQ(Json::parse(decoded->body), event);

  auto all = HubStore::DecodeEvent(EventJson(8, "all"));
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->envelope.user.has_value() && all->envelope.user->all);
  EXPECT_FALSE(HubStore::DecodeEvent(EventJson(9))->envelope.user.has_value());

  const auto refused = HubStore::DecodeEvent(EventJson(0));
  EXPECT_EQ(refused.status().code(), Code::kInvalid);
  EXPECT_EQ(refused.status().message().rfind("event seq", 0), 0u) << refused.status().message();
  EXPECT_EQ(HubStore::DecodeEvent(Json::array()).status().code(), Code::kInvalid);
  EXPECT_TRUE(HubStore::CheckEvent(event).ok());
  EXPECT_EQ(HubStore::CheckEvent(EventJson(0)).code(), Code::kInvalid);
}

TEST_F(HubStoreLookupTest, AppendEventsOfDecodedEventsStoresThemAsTheJsonFormDoes) {
  ASSERT_TRUE(store_->PutLock(Lock("front", 1)).ok());
  ASSERT_TRUE(store_->PutLock(Lock("back", 2)).ok());
  const std::vector<Json> events{EventJson(1, 4), EventJson(2, "all"), EventJson(3)};
  std::vector<DecodedEvent> decoded;
  for (const Json& e : events) decoded.push_back(*HubStore::DecodeEvent(e));
  ASSERT_TRUE(store_->AppendEvents("front", std::span<const DecodedEvent>(decoded)).ok());
  ASSERT_TRUE(store_->AppendEvents("back", events).ok());
  // Each row as seq:time:kind:user:body.
  auto rows = [&](const std::string& lock) {
    auto st = store_->database().Prepare(
        "SELECT group_concat(seq || ':' || time || ':' || kind || ':' || ifnull(user, '-') || ':' || body, '|') "
        "FROM (SELECT * FROM events WHERE lock = ?1 ORDER BY seq)");
    EXPECT_TRUE(st.ok());
    store::Statement& row = st.value();
    row.Bind(1, lock);
    EXPECT_EQ(row.Step(), store::Statement::StepResult::kRow);
    return std::string(row.ColumnText(0));
  };
  EXPECT_EQ(rows("front"), rows("back"));
  EXPECT_NE(rows("front").find(":4:"), std::string::npos);
  EXPECT_EQ(store_->GetLock("front")->value().acked_seq, 3u);

  // Sent again: nothing changes; an unknown lock writes nothing; a hand-made seq 0 is refused.
  ASSERT_TRUE(store_->AppendEvents("front", std::span<const DecodedEvent>(decoded)).ok());
  EXPECT_EQ(*store_->database().QueryInt("SELECT count(*) FROM events"), 6);
  EXPECT_EQ(store_->AppendEvents("ghost", std::span<const DecodedEvent>(decoded)).code(), Code::kNotFound);
  DecodedEvent zero = decoded[0];
  zero.envelope.seq = 0;
  EXPECT_EQ(store_->AppendEvents("front", std::span<const DecodedEvent>(&zero, 1)).code(), Code::kInvalid);
  zero.envelope.seq = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(store_->AppendEvents("front", std::span<const DecodedEvent>(&zero, 1)).code(), Code::kInvalid);
  EXPECT_EQ(*store_->database().QueryInt("SELECT count(*) FROM events"), 6);
}

}  // namespace
}  // namespace latchkey::hub
