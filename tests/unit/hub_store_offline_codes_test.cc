// The hub store's offline guest codes (src/hub/hub_store_offline_codes.cc; docs/offline-codes.md):
// a lock's key row made once and kept across a reopen, codes stored whole and listed newest first,
// one change written whole or not at all (a generation or list version that does not rise changes
// nothing), what the lock answered, first uses, forgetting long-ended codes, and unpairing
// taking the key and the codes with the lock.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "hub/hub_store.h"
#include "store/sqlite_db.h"
#include "common/temp_dir.h"

namespace latchkey::hub {
namespace {

using core::Code;

constexpr int64_t kEpochS = 1'795'600'800;  // 2026-11-25T10:00:00Z
constexpr int64_t kHourMs = 3'600'000;

LockRecord Lock(const std::string& id) {
  LockRecord r;
  r.id = id;
  r.name = id;
  r.address = "127.0.0.1:1";
  r.created_at_ms = 1;
  return r;
}

OfflineCodeKey Key(const std::string& lock, uint8_t fill = 0x42) {
  OfflineCodeKey k;
  k.lock = lock;
  k.key.fill(fill);
  k.key[0] = 0;  // a NUL inside the blob
  k.epoch_s = kEpochS;
  k.created_at_ms = kEpochS * 1000 + 5;
  return k;
}

OfflineCodeRecord Sample(const std::string& id, const std::string& lock, uint32_t start_hour, uint32_t generation = 0,
                       core::OfflineCodeType type = core::OfflineCodeType::kWindow) {
  OfflineCodeRecord c;
  c.id = id;
  c.lock = lock;
  c.plaintext = "1" + std::string(5 - std::to_string(start_hour).size(), '0') + std::to_string(start_hour) + "004123";
  c.code = "98765432101" + std::to_string(start_hour % 10);
  c.type = type;
  c.start_hour = start_hour;
  c.duration_hours = 4;
  c.starts_at_ms = kEpochS * 1000 + start_hour * kHourMs;
  c.ends_at_ms = c.starts_at_ms + 4 * kHourMs;
  c.name = "cleaner \xe2\x9c\x93";
  c.created_by = "owner";
  c.created_at_ms = kEpochS * 1000 + start_hour;
  c.generation = generation;
  return c;
}

OfflineCodeChange Add(const OfflineCodeRecord& code) {
  OfflineCodeChange change;
  change.lock = code.lock;
  change.at_ms = code.created_at_ms;
  change.add = code;
  return change;
}

class HubStoreOfflineCodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Open();
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->PutLock(Lock("lk-a")).ok());
    ASSERT_TRUE(store_->PutLock(Lock("lk-b")).ok());
  }

  std::unique_ptr<HubStore> Open() {
    auto opened = HubStore::Open(dir_ + "/hub.db");
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  std::vector<std::string> Ids(const std::string& lock) {
    auto codes = store_->ListOfflineCodes(lock);
    EXPECT_TRUE(codes.ok()) << codes.status().ToString();
    std::vector<std::string> ids;
    for (const auto& c : codes.ok() ? *codes : std::vector<OfflineCodeRecord>{}) ids.push_back(c.id);
    return ids;
  }

  ::latchkey::testing::TempDir tmp_{"latchkey-hub-store-offline"};
  const std::string dir_ = tmp_.path();
  std::unique_ptr<HubStore> store_;
};

TEST_F(HubStoreOfflineCodesTest, TheTablesAreStrict) {
  store::Database& db = store_->database();
  for (const char* table : {"offline_code_keys", "offline_codes"}) {
    SCOPED_TRACE(table);
    EXPECT_EQ(*db.QueryInt(std::string("SELECT strict FROM pragma_table_list WHERE name = '") + table + "'"), 1);
  }
}

// Version 3 -> 4: a hub made before offline codes keeps its locks; none has a key yet.
TEST_F(HubStoreOfflineCodesTest, Version3StoreMigratesToOfflineCodes) {
  store_.reset();
  const std::string path = dir_ + "/old.db";
  {
    auto opened = store::Database::Open(path);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ASSERT_TRUE(store::Migrate(**opened, HubStore::SchemaSteps().first(3)).ok());
    ASSERT_TRUE((*opened)->Exec("INSERT INTO locks VALUES ('lk-1', 'front', '127.0.0.1:1', zeroblob(32), 1, '', 0, "
                                "'{}', 1);")
                    .ok());
  }
  auto opened = HubStore::Open(path);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  HubStore& store = **opened;
  EXPECT_EQ(*store::SchemaVersion(store.database()), static_cast<int64_t>(HubStore::SchemaSteps().size()));
  EXPECT_EQ(*store.GetOfflineCodeKey("lk-1"), std::nullopt);
  auto made = store.EnsureOfflineCodeKey(Key("lk-1"));
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->generation, 0u);
}

TEST_F(HubStoreOfflineCodesTest, AKeyIsMadeOnceForAPairedLockAndKept) {
  EXPECT_EQ(store_->EnsureOfflineCodeKey(Key("lk-nope")).status().code(), Code::kNotFound);
  OfflineCodeKey odd = Key("lk-a");
  odd.epoch_s = kEpochS + 1;
  EXPECT_EQ(store_->EnsureOfflineCodeKey(odd).status().code(), Code::kInvalid) << "not an hour";
  odd.epoch_s = 0;
  EXPECT_EQ(store_->EnsureOfflineCodeKey(odd).status().code(), Code::kInvalid);
  EXPECT_EQ(*store_->GetOfflineCodeKey("lk-a"), std::nullopt) << "a refused key is not stored";

  auto first = store_->EnsureOfflineCodeKey(Key("lk-a", 0x11));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  // A second key for the same lock (two connects at once) is not taken: the first one stays.
  auto second = store_->EnsureOfflineCodeKey(Key("lk-a", 0x22));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->key, first->key);
  EXPECT_EQ(second->key[1], 0x11);
  EXPECT_EQ(second->key[0], 0);
  EXPECT_EQ(second->epoch_s, kEpochS);
  EXPECT_EQ(second->applied, std::nullopt);

  store_.reset();
  store_ = Open();
  auto reopened = store_->GetOfflineCodeKey("lk-a");
  ASSERT_TRUE(reopened.ok() && reopened->has_value());
  EXPECT_EQ((*reopened)->key, first->key);
  EXPECT_EQ((*reopened)->created_at_ms, first->created_at_ms);
}

TEST_F(HubStoreOfflineCodesTest, CodesAreStoredWholeAndListedNewestFirst) {
  EXPECT_EQ(store_->CommitOfflineCodeChange(Add(Sample("c1", "lk-a", 5))).code(), Code::kNotFound) << "no key yet";
  ASSERT_TRUE(store_->EnsureOfflineCodeKey(Key("lk-a")).ok());
  ASSERT_TRUE(store_->EnsureOfflineCodeKey(Key("lk-b")).ok());
  OfflineCodeRecord one = Sample("c1", "lk-a", 5, 0, core::OfflineCodeType::kOneTime);
  ASSERT_TRUE(store_->CommitOfflineCodeChange(Add(one)).ok());
  ASSERT_TRUE(store_->CommitOfflineCodeChange(Add(Sample("c2", "lk-a", 7))).ok());
  ASSERT_TRUE(store_->CommitOfflineCodeChange(Add(Sample("c3", "lk-b", 6))).ok());
  EXPECT_EQ(store_->CommitOfflineCodeChange(Add(Sample("c1", "lk-b", 9))).code(), Code::kDuplicate);

  EXPECT_EQ(Ids("lk-a"), (std::vector<std::string>{"c2", "c1"}));
  EXPECT_EQ(Ids("lk-b"), (std::vector<std::string>{"c3"}));
  auto got = store_->GetOfflineCode("lk-a", "c1");
  ASSERT_TRUE(got.ok() && got->has_value());
  const OfflineCodeRecord& c = **got;
  EXPECT_EQ(c.plaintext, one.plaintext);
  EXPECT_EQ(c.code, one.code);
  EXPECT_EQ(c.type, core::OfflineCodeType::kOneTime);
  EXPECT_EQ(c.start_hour, 5u);
  EXPECT_EQ(c.duration_hours, 4u);
  EXPECT_EQ(c.starts_at_ms, one.starts_at_ms);
  EXPECT_EQ(c.ends_at_ms, one.ends_at_ms);
  EXPECT_EQ(c.name, one.name);
  EXPECT_EQ(c.created_by, "owner");
  EXPECT_EQ(c.revoked_at_ms, std::nullopt);
  EXPECT_EQ(c.used_at_ms, std::nullopt);
  EXPECT_EQ(*store_->GetOfflineCode("lk-b", "c1"), std::nullopt) << "another lock's code is not found";
}

TEST_F(HubStoreOfflineCodesTest, BadCodesAreRefusedAndNothingIsWritten) {
  ASSERT_TRUE(store_->EnsureOfflineCodeKey(Key("lk-a")).ok());
  OfflineCodeRecord c = Sample("c1", "lk-a", 5);
  c.plaintext = "12345";
  EXPECT_EQ(store_->CommitOfflineCodeChange(Add(c)).code(), Code::kInvalid);
  c = Sample("c1", "lk-a", 5);
  c.code = "12345678901x";
  EXPECT_EQ(store_->CommitOfflineCodeChange(Add(c)).code(), Code::kInvalid);
  c = Sample("c1", "lk-a", 5);
  c.duration_hours = 1000;
  EXPECT_EQ(store_->CommitOfflineCodeChange(Add(c)).code(), Code::kInvalid);
  c = Sample("c1", "lk-a", 5);
  c.revoked_at_ms = 1;  // without its version
  EXPECT_EQ(store_->CommitOfflineCodeChange(Add(c)).code(), Code::kInvalid);
  c = Sample("c1", "lk-b", 5);
  OfflineCodeChange other = Add(c);
  other.lock = "lk-a";
  EXPECT_EQ(store_->CommitOfflineCodeChange(other).code(), Code::kInvalid) << "a code for another lock";
  EXPECT_TRUE(Ids("lk-a").empty());
}

// A clear code: a new generation clears every code below it, and the list version rises; a
// generation or version that does not rise is refused and nothing of the change is written.
TEST_F(HubStoreOfflineCodesTest, ANewGenerationClearsTheCodesBelowIt) {
  ASSERT_TRUE(store_->EnsureOfflineCodeKey(Key("lk-a")).ok());
  ASSERT_TRUE(store_->CommitOfflineCodeChange(Add(Sample("c1", "lk-a", 5))).ok());
  ASSERT_TRUE(store_->CommitOfflineCodeChange(Add(Sample("c2", "lk-a", 6))).ok());

  OfflineCodeChange clear = Add(Sample("k1", "lk-a", 8, 1, core::OfflineCodeType::kClear));
  clear.generation = 1;
  clear.revocations_version = 1;
  clear.at_ms = 777;
  ASSERT_TRUE(store_->CommitOfflineCodeChange(clear).ok());
  auto key = store_->GetOfflineCodeKey("lk-a");
  EXPECT_EQ((*key)->generation, 1u);
  EXPECT_EQ((*key)->revocations_version, 1u);
  EXPECT_EQ((*store_->GetOfflineCode("lk-a", "c1"))->cleared_at_ms, 777);
  EXPECT_EQ((*store_->GetOfflineCode("lk-a", "c2"))->cleared_at_ms, 777);
  EXPECT_EQ((*store_->GetOfflineCode("lk-a", "k1"))->cleared_at_ms, std::nullopt) << "the clear code is of the new one";

  OfflineCodeChange again = Add(Sample("k2", "lk-a", 9, 1, core::OfflineCodeType::kClear));
  again.generation = 1;
  EXPECT_EQ(store_->CommitOfflineCodeChange(again).code(), Code::kInvalid);
  again.generation = 2;
  again.revocations_version = 1;
  EXPECT_EQ(store_->CommitOfflineCodeChange(again).code(), Code::kInvalid);
  EXPECT_EQ((*store_->GetOfflineCodeKey("lk-a"))->generation, 1u) << "nothing of a refused change is written";
  EXPECT_EQ(*store_->GetOfflineCode("lk-a", "k2"), std::nullopt);
}

TEST_F(HubStoreOfflineCodesTest, ARevocationKeepsItsFirstMark) {
  ASSERT_TRUE(store_->EnsureOfflineCodeKey(Key("lk-a")).ok());
  ASSERT_TRUE(store_->CommitOfflineCodeChange(Add(Sample("c1", "lk-a", 5))).ok());
  OfflineCodeChange revoke;
  revoke.lock = "lk-a";
  revoke.at_ms = 1000;
  revoke.revoke = {{"c1", 1}, {"gone", 1}};
  revoke.revocations_version = 1;
  ASSERT_TRUE(store_->CommitOfflineCodeChange(revoke).ok());
  revoke.at_ms = 2000;
  revoke.revoke = {{"c1", 2}};
  revoke.revocations_version = 2;
  ASSERT_TRUE(store_->CommitOfflineCodeChange(revoke).ok());
  auto c = store_->GetOfflineCode("lk-a", "c1");
  EXPECT_EQ((*c)->revoked_at_ms, 1000);
  EXPECT_EQ((*c)->revoked_version, 1u);
  EXPECT_EQ((*store_->GetOfflineCodeKey("lk-a"))->revocations_version, 2u);
}

TEST_F(HubStoreOfflineCodesTest, TheLocksAnswerAndFirstUsesAreRecorded) {
  const OfflineCodesApplied applied{.key = true, .epoch_s = kEpochS, .generation = 3, .revocations_version = 9, .at_ms = 55};
  EXPECT_EQ(store_->PutOfflineCodesApplied("lk-a", applied).code(), Code::kNotFound) << "no key row";
  ASSERT_TRUE(store_->EnsureOfflineCodeKey(Key("lk-a")).ok());
  ASSERT_TRUE(store_->PutOfflineCodesApplied("lk-a", applied).ok());
  EXPECT_EQ((*store_->GetOfflineCodeKey("lk-a"))->applied, applied);

  ASSERT_TRUE(store_->CommitOfflineCodeChange(Add(Sample("c1", "lk-a", 5))).ok());
  EXPECT_EQ(*store_->MarkOfflineCodeUsed("lk-a", "c1", 4242), true);
  EXPECT_EQ(*store_->MarkOfflineCodeUsed("lk-a", "c1", 5000), false) << "the first use stays";
  EXPECT_EQ(*store_->MarkOfflineCodeUsed("lk-b", "c1", 5000), false);
  EXPECT_EQ((*store_->GetOfflineCode("lk-a", "c1"))->used_at_ms, 4242);
}

TEST_F(HubStoreOfflineCodesTest, LongEndedCodesAreForgotten) {
  ASSERT_TRUE(store_->EnsureOfflineCodeKey(Key("lk-a")).ok());
  ASSERT_TRUE(store_->EnsureOfflineCodeKey(Key("lk-b")).ok());
  ASSERT_TRUE(store_->CommitOfflineCodeChange(Add(Sample("c1", "lk-a", 5))).ok());
  ASSERT_TRUE(store_->CommitOfflineCodeChange(Add(Sample("c2", "lk-a", 50))).ok());
  ASSERT_TRUE(store_->CommitOfflineCodeChange(Add(Sample("c3", "lk-b", 5))).ok());
  // c1 ends at hour 9, c2 at hour 54.
  ASSERT_TRUE(store_->DeleteOfflineCodesEndedBefore("lk-a", kEpochS * 1000 + 10 * kHourMs).ok());
  EXPECT_EQ(Ids("lk-a"), (std::vector<std::string>{"c2"}));
  EXPECT_EQ(Ids("lk-b"), (std::vector<std::string>{"c3"})) << "another lock's codes stay";
}

TEST_F(HubStoreOfflineCodesTest, UnpairingTakesTheKeyAndTheCodes) {
  ASSERT_TRUE(store_->EnsureOfflineCodeKey(Key("lk-a")).ok());
  ASSERT_TRUE(store_->CommitOfflineCodeChange(Add(Sample("c1", "lk-a", 5))).ok());
  ASSERT_TRUE(store_->DeleteLock("lk-a").ok());
  EXPECT_EQ(*store_->GetOfflineCodeKey("lk-a"), std::nullopt);
  EXPECT_EQ(*store_->database().QueryInt("SELECT count(*) FROM offline_codes"), 0);
  // Paired again: a new key, no codes.
  ASSERT_TRUE(store_->PutLock(Lock("lk-a")).ok());
  auto fresh = store_->EnsureOfflineCodeKey(Key("lk-a", 0x77));
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->key[1], 0x77);
  EXPECT_TRUE(Ids("lk-a").empty());
}

}  // namespace
}  // namespace latchkey::hub
