// The hub's durable store (src/hub/hub_store): its schema, every record type through a close and
// reopen, tokens found by hash, the cascades (an account's tokens, a lock's events, a webhook's
// deliveries), the event mirror (idempotent appends that move acked_seq, queries and their
// bounds, malformed events refused), and a writer killed with SIGKILL at random moments.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/event.h"
#include "hub/hub_store.h"
#include "store/sqlite_db.h"
#include "wire/json_codec.h"
#include "common/temp_dir.h"

namespace latchkey::hub {
namespace {

using core::Code;

// --- sample records ----------------------------------------------------------------------------

Account SampleAccount(const std::string& username) {
  Account a;
  a.username = username;
  a.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
  a.role = "guest";
  a.locks = std::vector<std::string>{"front", "back \xe2\x9c\x93"};
  a.valid_from_ms = 1'795'600'800'000;
  a.valid_until_ms = 1'795'700'000'000;
  a.created_at_ms = 1'795'500'000'123;
  return a;
}

TokenRecord SampleToken(const std::string& id, const std::string& username) {
  TokenRecord t;
  t.id = id;
  t.username = username;
  t.kind = "api";
  t.name = "home assistant";
  t.role = "member";
  t.locks = std::vector<std::string>{"front"};
  t.expires_at_ms = 1'795'900'000'000;
  t.created_at_ms = 1'795'600'000'000;
  return t;
}

TokenHash HashOf(uint8_t seed) {
  TokenHash h{};
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(seed * 13 + i);
  h[3] = 0;  // a NUL inside the blob
  return h;
}

LockRecord SampleLock(const std::string& id) {
  LockRecord r;
  r.id = id;
  r.name = "Front door \xe2\x9c\x93";
  r.address = "127.0.0.1:7001";
  for (std::size_t i = 0; i < r.key.size(); ++i) r.key[i] = static_cast<uint8_t>(255 - i);
  r.key[0] = 0;
  r.simulated = true;
  r.sim_control_url = "http://127.0.0.1:7101";
  r.state = Json{{"lock_state", "locked"}, {"battery", {{"percent", 80}, {"low", false}}}};
  r.created_at_ms = 1'795'600'000'000;
  return r;
}

// A mirrored event as a lock sends it; `user` absent when null.
Json EventJson(uint64_t seq, int64_t time, const std::string& kind, const Json& user = nullptr) {
  Json e{{"seq", seq}, {"time", time}, {"kind", kind}, {"source", "keypad"}, {"hash", std::string(64, 'a')}};
  if (!user.is_null()) e["user"] = user;
  return e;
}

RecentEventQuery Recent(std::vector<std::string> locks, std::size_t limit = 100, int64_t before_ms = 0) {
  RecentEventQuery query;
  query.locks = std::move(locks);
  query.limit = limit;
  query.before_ms = before_ms;
  return query;
}

std::vector<uint64_t> Seqs(const std::vector<Json>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.at("seq").get<uint64_t>());
  return out;
}

// A fresh directory per test, removed afterwards.
class HubStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_ + "/hub.db";
  }
  void TearDown() override {
  }

  std::unique_ptr<HubStore> Open() {
    auto opened = HubStore::Open(path_);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  static uint64_t AckedSeq(HubStore& store, const std::string& lock) {
    auto locks = store.ListLocks();
    EXPECT_TRUE(locks.ok()) << locks.status().ToString();
    if (!locks.ok()) return 0;
    for (const auto& l : *locks) {
      if (l.id == lock) return l.acked_seq;
    }
    ADD_FAILURE() << "no lock " << lock;
    return 0;
  }

  static std::vector<Json> All(HubStore& store, const std::string& lock) {
    auto events = store.AllEvents(lock);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    return events.ok() ? std::move(events).value() : std::vector<Json>{};
  }

  ::latchkey::testing::TempDir tmp_{"latchkey-hub-store"};
  const std::string dir_ = tmp_.path();
  std::string path_;
};

// ==============================================================================================
// Schema

TEST_F(HubStoreTest, MigratesAnEmptyFileToTheLatestVersionWithStrictTables) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  store::Database& db = store->database();
  EXPECT_EQ(HubStore::SchemaSteps().size(), 5u);
  EXPECT_EQ(*store::SchemaVersion(db), static_cast<int64_t>(HubStore::SchemaSteps().size()));
  for (const char* table : {"accounts", "tokens", "locks", "events", "webhooks", "deliveries", "phone_keys",
                            "phone_key_meta", "lock_phone_keys"}) {
    SCOPED_TRACE(table);
    auto strict = db.QueryInt(std::string("SELECT strict FROM pragma_table_list WHERE name = '") + table + "'");
    ASSERT_TRUE(strict.ok()) << strict.status().ToString();
    EXPECT_EQ(*strict, 1);
  }
  EXPECT_EQ(*db.QueryInt("SELECT wr FROM pragma_table_list WHERE name = 'events'"), 1) << "WITHOUT ROWID";
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM pragma_index_list('events') WHERE name IN "
                         "('events_by_kind', 'events_by_time')"),
            2);
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM pragma_index_info('events_by_kind') WHERE name IN ('lock', 'kind')"), 2);
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM pragma_index_info('events_by_time') WHERE name = 'time'"), 1);
  // The tokens table has no column that could hold a token in clear.
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM pragma_table_info('tokens') WHERE name LIKE '%token%' "
                         "OR name LIKE '%secret%'"),
            0);
  store.reset();
  store = Open();  // an up-to-date store migrates nothing
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store::SchemaVersion(store->database()), static_cast<int64_t>(HubStore::SchemaSteps().size()));
}

// Version 1 -> 2 (issue 9): the tokens of a hub made before keep working, with no parent; the
// actor index exists.
TEST_F(HubStoreTest, Version1StoreMigratesKeepingItsTokens) {
  {
    auto opened = store::Database::Open(path_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ASSERT_TRUE(store::Migrate(**opened, HubStore::SchemaSteps().first(1)).ok());
    ASSERT_TRUE((*opened)->Exec("INSERT INTO accounts VALUES ('alice', 'h', 'member', NULL, NULL, NULL, 1);"
                                "INSERT INTO tokens VALUES ('old', zeroblob(32), 'alice', 'api', 'n', NULL, NULL, NULL, 2);")
                    .ok());
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store::SchemaVersion(store->database()), static_cast<int64_t>(HubStore::SchemaSteps().size()));
  auto old = store->GetToken("old");
  ASSERT_TRUE(old.ok() && old->has_value()) << old.status().ToString();
  EXPECT_EQ((*old)->parent, std::nullopt);
  EXPECT_EQ(*store->database().QueryInt("SELECT count(*) FROM pragma_index_list('events') WHERE name = 'events_by_actor'"), 1);
}

// Version 2 -> 3: a hub made before phone keys gets their tables, its paired locks kept, and
// starts at serial 1, epoch 0, list version 0.
TEST_F(HubStoreTest, Version2StoreMigratesToPhoneKeys) {
  {
    auto opened = store::Database::Open(path_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ASSERT_TRUE(store::Migrate(**opened, HubStore::SchemaSteps().first(2)).ok());
    ASSERT_TRUE((*opened)->Exec("INSERT INTO locks VALUES ('lk-1', 'front', '127.0.0.1:1', zeroblob(32), 1, '', 0, "
                                "'{}', 1);")
                    .ok());
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store::SchemaVersion(store->database()), static_cast<int64_t>(HubStore::SchemaSteps().size()));
  EXPECT_EQ(*store->NextPhoneKeySerial(), 1u);
  EXPECT_EQ(*store->NextPhoneKeySerial(), 2u);
  EXPECT_EQ(*store->GetPhoneRevocations(), PhoneRevocationState{});
  EXPECT_TRUE(store->PutLockPhoneKeys({.lock = "lk-1", .home_key = true, .revocations_version = 3}).ok());
  EXPECT_EQ(store->PutLockPhoneKeys({.lock = "lk-2"}).code(), Code::kNotFound);
  ASSERT_EQ(store->ListLockPhoneKeys()->size(), 1u);
  // Unpairing forgets what the lock answered.
  ASSERT_TRUE(store->DeleteLock("lk-1").ok());
  EXPECT_TRUE(store->ListLockPhoneKeys()->empty());
}

// Phone keys: stored whole, revoked in one transaction with the list, whose version must rise.
TEST_F(HubStoreTest, PhoneKeysAndTheirRevocations) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  PhoneKeyRecord key;
  key.serial = *store->NextPhoneKeySerial();
  key.account = "alice";
  key.lock = "*";
  key.user = 4;
  key.phone.fill(7);
  key.not_before_s = 100;
  key.not_after_s = 200;
  key.ops = {.lock = true, .unlatch = true};
  key.auto_unlock = true;
  key.epoch = 2;
  key.issued_by = "owner";
  key.issued_at_ms = 99'000;
  key.certificate = {1, 2, 3};
  ASSERT_TRUE(store->PutPhoneKey(key).ok());
  EXPECT_EQ(store->PutPhoneKey(key).code(), Code::kDuplicate);
  auto read = store->GetPhoneKey(key.serial);
  ASSERT_TRUE(read.ok() && read->has_value()) << read.status().ToString();
  EXPECT_EQ((*read)->phone, key.phone);
  EXPECT_EQ((*read)->ops, key.ops);
  EXPECT_EQ((*read)->certificate, key.certificate);
  EXPECT_TRUE((*read)->auto_unlock);
  EXPECT_FALSE((*read)->revoked_at_ms.has_value());
  PhoneKeyRecord bad = key;
  bad.serial = 9;
  bad.not_after_s = bad.not_before_s;
  EXPECT_EQ(store->PutPhoneKey(bad).code(), Code::kInvalid);

  PhoneRevocationChange change;
  change.serials = {key.serial};
  change.at_ms = 150'000;
  change.carried_by = 1;
  change.list = PhoneRevocationState{2, 1, {key.serial}};
  ASSERT_TRUE(store->CommitPhoneRevocations(change).ok());
  EXPECT_EQ(*store->GetPhoneRevocations(), (PhoneRevocationState{2, 1, {key.serial}}));
  read = store->GetPhoneKey(key.serial);
  EXPECT_EQ((*read)->revoked_at_ms, 150'000);
  EXPECT_EQ((*read)->revoked_version, 1u);
  // The same version again is refused whole: the key keeps its first mark.
  change.at_ms = 160'000;
  EXPECT_EQ(store->CommitPhoneRevocations(change).code(), Code::kInvalid);
  EXPECT_EQ((*store->GetPhoneKey(key.serial))->revoked_at_ms, 150'000);
  EXPECT_EQ(store->ListPhoneKeys("alice")->size(), 1u);
  EXPECT_TRUE(store->ListPhoneKeys("bob")->empty());
  ASSERT_TRUE(store->DeletePhoneKeysExpiredBefore(200).ok());
  EXPECT_EQ(store->ListPhoneKeys()->size(), 1u);
  ASSERT_TRUE(store->DeletePhoneKeysExpiredBefore(201).ok());
  EXPECT_TRUE(store->ListPhoneKeys()->empty());
}

TEST_F(HubStoreTest, RefusesADatabaseFromANewerProgram) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->database().Exec("PRAGMA user_version = 4").ok());
  }
  EXPECT_EQ(HubStore::Open(path_).status().code(), Code::kIoError);
}

// ==============================================================================================
// Accounts and tokens

TEST_F(HubStoreTest, AccountsSurviveCloseAndReopen) {
  Account full = SampleAccount("alice");
  Account bare;
  bare.username = "owner";
  bare.password_hash = "$argon2id$owner";
  bare.role = "owner";
  bare.created_at_ms = 5;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->PutAccount(full).ok());
    ASSERT_TRUE(store->PutAccount(bare).ok());
    Account changed = full;
    changed.role = "member";
    ASSERT_TRUE(store->PutAccount(changed).ok());
    ASSERT_TRUE(store->PutAccount(full).ok());  // and back: updated in place

    EXPECT_EQ(store->PutAccount(Account{}).code(), Code::kInvalid);
    Account bad_role = bare;
    bad_role.username = "eve";
    bad_role.role = "root";
    EXPECT_EQ(store->PutAccount(bad_role).code(), Code::kInvalid);
    Account bad_text = bare;
    bad_text.username = "mallory";
    bad_text.locks = std::vector<std::string>{"\xff\xfe"};
    EXPECT_EQ(store->PutAccount(bad_text).code(), Code::kInvalid) << "not UTF-8: refused, not thrown";
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto alice = store->GetAccount("alice");
  ASSERT_TRUE(alice.ok()) << alice.status().ToString();
  ASSERT_TRUE(alice->has_value());
  const Account& a = **alice;
  EXPECT_EQ(a.username, full.username);
  EXPECT_EQ(a.password_hash, full.password_hash);
  EXPECT_EQ(a.role, "guest");
  EXPECT_EQ(a.locks, full.locks);
  EXPECT_EQ(a.valid_from_ms, full.valid_from_ms);
  EXPECT_EQ(a.valid_until_ms, full.valid_until_ms);
  EXPECT_EQ(a.created_at_ms, full.created_at_ms);

  auto owner = store->GetAccount("owner");
  ASSERT_TRUE(owner.ok() && owner->has_value());
  EXPECT_EQ((*owner)->locks, std::nullopt);
  EXPECT_EQ((*owner)->valid_from_ms, std::nullopt);
  EXPECT_EQ((*owner)->valid_until_ms, std::nullopt);

  auto missing = store->GetAccount("nobody");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  auto all = store->ListAccounts();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u) << "refused accounts were not written";
  EXPECT_EQ((*all)[0].username, "alice");
  EXPECT_EQ((*all)[1].username, "owner");

  // An empty lock list is a list (no locks), not absent (every lock).
  Account none = full;
  none.locks = std::vector<std::string>{};
  ASSERT_TRUE(store->PutAccount(none).ok());
  EXPECT_EQ((*store->GetAccount("alice"))->locks, std::vector<std::string>{});
}

TEST_F(HubStoreTest, TokensSurviveCloseAndReopenAndAreFoundByHash) {
  TokenRecord session;
  session.id = "t-session";
  session.username = "alice";
  session.kind = "session";
  session.name = "";
  session.created_at_ms = 1'795'600'000'001;
  const TokenRecord api = SampleToken("t-api", "alice");
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->PutAccount(SampleAccount("alice")).ok());
    ASSERT_TRUE(store->PutToken(api, HashOf(1)).ok());
    ASSERT_TRUE(store->PutToken(session, HashOf(2)).ok());

    EXPECT_EQ(store->PutToken(SampleToken("t-ghost", "ghost"), HashOf(3)).code(), Code::kNotFound);
    EXPECT_EQ(store->PutToken(SampleToken("t-twin", "alice"), HashOf(1)).code(), Code::kDuplicate);
    TokenRecord bad = SampleToken("t-bad", "alice");
    bad.kind = "forever";
    EXPECT_EQ(store->PutToken(bad, HashOf(4)).code(), Code::kInvalid);
    bad = SampleToken("t-bad", "alice");
    bad.role = "root";
    EXPECT_EQ(store->PutToken(bad, HashOf(4)).code(), Code::kInvalid);
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto found = store->FindToken(HashOf(1));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_TRUE(found->has_value());
  const TokenRecord& t = **found;
  EXPECT_EQ(t.id, api.id);
  EXPECT_EQ(t.username, api.username);
  EXPECT_EQ(t.kind, api.kind);
  EXPECT_EQ(t.name, api.name);
  EXPECT_EQ(t.role, api.role);
  EXPECT_EQ(t.locks, api.locks);
  EXPECT_EQ(t.expires_at_ms, api.expires_at_ms);
  EXPECT_EQ(t.created_at_ms, api.created_at_ms);

  auto s = store->FindToken(HashOf(2));
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ((*s)->id, "t-session");
  EXPECT_EQ((*s)->kind, "session");
  EXPECT_EQ((*s)->role, std::nullopt);
  EXPECT_EQ((*s)->locks, std::nullopt);
  EXPECT_EQ((*s)->expires_at_ms, std::nullopt);

  TokenHash almost = HashOf(1);
  almost[31] ^= 1;
  auto none = store->FindToken(almost);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  auto listed = store->ListTokens("alice");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "t-api");  // by creation time
  EXPECT_EQ((*listed)[1].id, "t-session");
  EXPECT_TRUE(store->ListTokens("nobody")->empty());

  // Only the hash is stored: the row holds those 32 bytes and nothing else secret.
  auto raw = store->database().Prepare("SELECT hash FROM tokens WHERE id = 't-api'");
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw.value().Step(), store::Statement::StepResult::kRow);
  const auto blob = raw.value().ColumnBlob(0);
  const TokenHash want = HashOf(1);
  EXPECT_EQ(std::vector<uint8_t>(blob.begin(), blob.end()), std::vector<uint8_t>(want.begin(), want.end()));
  raw.value().Reset();

  ASSERT_TRUE(store->DeleteToken("t-api").ok());
  EXPECT_EQ(store->DeleteToken("t-api").code(), Code::kNotFound);
  EXPECT_FALSE(store->FindToken(HashOf(1))->has_value());
  // The freed hash may be used again.
  EXPECT_TRUE(store->PutToken(SampleToken("t-new", "alice"), HashOf(1)).ok());
}

TEST_F(HubStoreTest, DeletingAnAccountDeletesItsTokensOnly) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutAccount(SampleAccount("alice")).ok());
  ASSERT_TRUE(store->PutAccount(SampleAccount("bob")).ok());
  ASSERT_TRUE(store->PutToken(SampleToken("a1", "alice"), HashOf(1)).ok());
  ASSERT_TRUE(store->PutToken(SampleToken("a2", "alice"), HashOf(2)).ok());
  ASSERT_TRUE(store->PutToken(SampleToken("b1", "bob"), HashOf(3)).ok());

  // Updating an account keeps its tokens (an upsert, not a delete and insert).
  Account alice = SampleAccount("alice");
  alice.role = "admin";
  ASSERT_TRUE(store->PutAccount(alice).ok());
  EXPECT_EQ(store->ListTokens("alice")->size(), 2u);

  ASSERT_TRUE(store->DeleteAccount("alice").ok());
  EXPECT_FALSE(store->GetAccount("alice")->has_value());
  EXPECT_TRUE(store->ListTokens("alice")->empty());
  EXPECT_FALSE(store->FindToken(HashOf(1))->has_value());
  EXPECT_FALSE(store->FindToken(HashOf(2))->has_value());
  EXPECT_TRUE(store->FindToken(HashOf(3))->has_value());
  EXPECT_EQ(store->DeleteAccount("alice").code(), Code::kNotFound);
  store.reset();
  store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->database().QueryInt("SELECT count(*) FROM tokens"), 1);
}

// SECURITY.md "No privilege grows by delegation": a token made with another is its child and
// goes when its parent goes, down the whole chain; a changed password ends every token of the
// account but the one kept.
TEST_F(HubStoreTest, DeletingATokenDeletesItsChildren) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutAccount(SampleAccount("alice")).ok());
  ASSERT_TRUE(store->PutAccount(SampleAccount("bob")).ok());
  const auto token = [](const std::string& id, const std::string& user, std::optional<std::string> parent) {
    TokenRecord t = SampleToken(id, user);
    t.parent = std::move(parent);
    return t;
  };
  ASSERT_TRUE(store->PutToken(token("parent", "alice", std::nullopt), HashOf(1)).ok());
  ASSERT_TRUE(store->PutToken(token("child", "alice", "parent"), HashOf(2)).ok());
  ASSERT_TRUE(store->PutToken(token("grandchild", "alice", "child"), HashOf(3)).ok());
  ASSERT_TRUE(store->PutToken(token("sibling", "alice", std::nullopt), HashOf(4)).ok());
  // A parent must be a token of the same account, and not the token itself.
  EXPECT_EQ(store->PutToken(token("orphan", "alice", "nothing"), HashOf(5)).code(), Code::kNotFound);
  EXPECT_EQ(store->PutToken(token("stolen", "bob", "parent"), HashOf(5)).code(), Code::kNotFound);
  EXPECT_EQ(store->PutToken(token("self", "alice", "self"), HashOf(5)).code(), Code::kNotFound);
  auto child = store->GetToken("child");
  ASSERT_TRUE(child.ok() && child->has_value());
  EXPECT_EQ((*child)->parent, "parent");
  EXPECT_EQ((*store->FindToken(HashOf(3)))->parent, "child");

  ASSERT_TRUE(store->DeleteToken("parent").ok());
  EXPECT_FALSE(store->GetToken("child")->has_value());
  EXPECT_FALSE(store->FindToken(HashOf(3))->has_value()) << "the grandchild goes too";
  EXPECT_TRUE(store->GetToken("sibling")->has_value());

  ASSERT_TRUE(store->PutToken(token("keep", "alice", "sibling"), HashOf(6)).ok());
  ASSERT_TRUE(store->PutToken(token("other", "alice", std::nullopt), HashOf(7)).ok());
  ASSERT_TRUE(store->PutToken(token("b1", "bob", std::nullopt), HashOf(8)).ok());
  ASSERT_TRUE(store->DeleteTokensOf("alice", "keep").ok());
  auto kept = store->ListTokens("alice");
  ASSERT_TRUE(kept.ok());
  std::vector<std::string> left;
  for (const auto& t : *kept) left.push_back(t.id);
  EXPECT_EQ(left, (std::vector<std::string>{"keep", "sibling"})) << "the kept token and its parent";
  ASSERT_TRUE(store->DeleteTokensOf("alice").ok());
  EXPECT_TRUE(store->ListTokens("alice")->empty());
  EXPECT_EQ(store->ListTokens("bob")->size(), 1u);
  EXPECT_TRUE(store->DeleteTokensOf("nobody").ok());
}

// ==============================================================================================
// Locks, webhooks, deliveries

TEST_F(HubStoreTest, LocksSurviveCloseAndReopen) {
  const LockRecord front = SampleLock("front");
  LockRecord back = SampleLock("back");
  back.simulated = false;
  back.sim_control_url = "";
  back.state = Json::object();
  back.created_at_ms = front.created_at_ms + 1;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->PutLock(front).ok());
    ASSERT_TRUE(store->PutLock(back).ok());
    const Json state{{"lock_state", "unlocked"}, {"door_state", "open"}};
    ASSERT_TRUE(store->SetLockState("back", state).ok());
    EXPECT_EQ(store->SetLockState("nowhere", state).code(), Code::kNotFound);
    EXPECT_EQ(store->SetLockState("back", Json{{"name", "\xff"}}).code(), Code::kInvalid);
    EXPECT_EQ(store->PutLock(LockRecord{}).code(), Code::kInvalid);
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto locks = store->ListLocks();
  ASSERT_TRUE(locks.ok()) << locks.status().ToString();
  ASSERT_EQ(locks->size(), 2u);
  const LockRecord& f = (*locks)[0];
  EXPECT_EQ(f.id, "front");
  EXPECT_EQ(f.name, front.name);
  EXPECT_EQ(f.address, front.address);
  EXPECT_EQ(f.key, front.key);
  EXPECT_TRUE(f.simulated);
  EXPECT_EQ(f.sim_control_url, front.sim_control_url);
  EXPECT_EQ(f.acked_seq, 0u);
  EXPECT_EQ(f.state, front.state);
  EXPECT_EQ(f.created_at_ms, front.created_at_ms);
  const LockRecord& b = (*locks)[1];
  EXPECT_EQ(b.id, "back");
  EXPECT_FALSE(b.simulated);
  EXPECT_EQ(b.sim_control_url, "");
  EXPECT_EQ(b.state, (Json{{"lock_state", "unlocked"}, {"door_state", "open"}}));

  // Updating a lock keeps its events and never moves acked_seq back.
  ASSERT_TRUE(store->AppendEvent("front", EventJson(1, 10, "operation")).ok());
  ASSERT_TRUE(store->AppendEvent("front", EventJson(2, 20, "operation")).ok());
  LockRecord renamed = front;  // acked_seq 0, as the caller last knew it
  renamed.name = "Front";
  ASSERT_TRUE(store->PutLock(renamed).ok());
  EXPECT_EQ(AckedSeq(*store, "front"), 2u);
  EXPECT_EQ(All(*store, "front").size(), 2u);
  EXPECT_EQ(store->ListLocks()->at(0).name, "Front");
}

TEST_F(HubStoreTest, WebhooksAndDeliveriesSurviveCloseAndReopen) {
  Webhook all;
  all.id = "w1";
  all.url = "https://example.org/hook";
  all.secret = "s3cret";
  all.created_at_ms = 100;
  Webhook some = all;
  some.id = "w2";
  some.kinds = std::vector<std::string>{"operation", "alarm"};
  some.secret = "";
  some.created_at_ms = 200;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->PutWebhook(all).ok());
    ASSERT_TRUE(store->PutWebhook(some).ok());
    EXPECT_EQ(store->PutWebhook(Webhook{}).code(), Code::kInvalid);
    ASSERT_TRUE(store->PutLock(SampleLock("front")).ok());
    for (uint64_t seq = 1; seq <= 3; ++seq)
      ASSERT_TRUE(store->AppendEvent("front", EventJson(seq, 1000, "alarm")).ok());

    Delivery d;
    d.webhook = "w1";
    d.lock = "front";
    for (uint64_t seq = 1; seq <= 3; ++seq) {
      d.id = "d" + std::to_string(seq);
      d.seq = seq;
      d.next_attempt_ms = 5000 - static_cast<int64_t>(seq);  // the later events are due first
      d.created_at_ms = 1000 + static_cast<int64_t>(seq);
      ASSERT_TRUE(store->PutDelivery(d).ok());
    }
    // Queued again (same event, another id; or the same id): nothing changes.
    Delivery again = d;
    again.id = "d3-again";
    ASSERT_TRUE(store->PutDelivery(again).ok());
    again.id = "d3";
    again.attempts = 9;
    ASSERT_TRUE(store->PutDelivery(again).ok());

    Delivery bad = d;
    bad.id = "dx";
    bad.webhook = "w9";
    EXPECT_EQ(store->PutDelivery(bad).code(), Code::kNotFound);
    bad.webhook = "w1";
    bad.seq = 99;
    EXPECT_EQ(store->PutDelivery(bad).code(), Code::kNotFound) << "no such event";
    bad.seq = 1;
    bad.status = "lost";
    EXPECT_EQ(store->PutDelivery(bad).code(), Code::kInvalid);
    bad.status = "pending";
    bad.id = "";
    EXPECT_EQ(store->PutDelivery(bad).code(), Code::kInvalid);

    // An attempt failed; another succeeded.
    Delivery first = d;
    first.id = "d1";
    first.seq = 1;
    first.attempts = 1;
    first.next_attempt_ms = 9000;
    first.last_error = "HTTP 503";
    ASSERT_TRUE(store->UpdateDelivery(first).ok());
    Delivery second = first;
    second.id = "d2";
    second.status = "delivered";
    second.last_error = "";
    ASSERT_TRUE(store->UpdateDelivery(second).ok());
    second.id = "nope";
    EXPECT_EQ(store->UpdateDelivery(second).code(), Code::kNotFound);
    second.id = "d2";
    second.status = "done";
    EXPECT_EQ(store->UpdateDelivery(second).code(), Code::kInvalid);
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto hooks = store->ListWebhooks();
  ASSERT_TRUE(hooks.ok()) << hooks.status().ToString();
  ASSERT_EQ(hooks->size(), 2u);
  EXPECT_EQ((*hooks)[0].id, "w1");
  EXPECT_EQ((*hooks)[0].url, all.url);
  EXPECT_EQ((*hooks)[0].kinds, std::nullopt);
  EXPECT_EQ((*hooks)[0].secret, "s3cret");
  EXPECT_EQ((*hooks)[0].created_at_ms, 100);
  EXPECT_EQ((*hooks)[1].id, "w2");
  EXPECT_EQ((*hooks)[1].kinds, some.kinds);
  EXPECT_EQ((*hooks)[1].secret, "");

  auto listed = store->ListDeliveries("w1");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 3u) << "the repeated queueing added nothing";
  EXPECT_EQ((*listed)[0].id, "d3");  // newest first
  EXPECT_EQ((*listed)[0].attempts, 0u);
  EXPECT_EQ((*listed)[2].id, "d1");
  const Delivery& d1 = (*listed)[2];
  EXPECT_EQ(d1.webhook, "w1");
  EXPECT_EQ(d1.lock, "front");
  EXPECT_EQ(d1.seq, 1u);
  EXPECT_EQ(d1.status, "pending");
  EXPECT_EQ(d1.attempts, 1u);
  EXPECT_EQ(d1.next_attempt_ms, 9000);
  EXPECT_EQ(d1.last_error, "HTTP 503");
  EXPECT_EQ(d1.created_at_ms, 1001);
  EXPECT_EQ((*listed)[1].status, "delivered");
  EXPECT_EQ(store->ListDeliveries("w1", 1)->size(), 1u);
  EXPECT_TRUE(store->ListDeliveries("w2")->empty());

  // Pending only, in queue order: d1 (seq 1, retried, due at 9000) before d3 (seq 3, due at 4997).
  auto pending = store->PendingDeliveries();
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].id, "d1");
  EXPECT_EQ((*pending)[1].id, "d3");
  EXPECT_EQ(store->PendingDeliveries(1)->size(), 1u);

  // Deleting a webhook takes its deliveries; deleting a lock takes those of its events.
  ASSERT_TRUE(store->PutWebhook(some).ok());
  Delivery other;
  other.id = "o1";
  other.webhook = "w2";
  other.lock = "front";
  other.seq = 1;
  ASSERT_TRUE(store->PutDelivery(other).ok());
  ASSERT_TRUE(store->DeleteWebhook("w1").ok());
  EXPECT_EQ(store->DeleteWebhook("w1").code(), Code::kNotFound);
  EXPECT_TRUE(store->ListDeliveries("w1")->empty());
  EXPECT_EQ(store->ListDeliveries("w2")->size(), 1u);
  ASSERT_TRUE(store->DeleteLock("front").ok());
  EXPECT_TRUE(store->ListDeliveries("w2")->empty());
  EXPECT_EQ(*store->database().QueryInt("SELECT count(*) FROM deliveries"), 0);
}

// ==============================================================================================
// The event mirror

TEST_F(HubStoreTest, AppendEventIsIdempotentAndMovesAckedSeq) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->PutLock(SampleLock("front")).ok());
    for (uint64_t seq = 1; seq <= 3; ++seq) {
      ASSERT_TRUE(store->AppendEvent("front", EventJson(seq, 1000 + static_cast<int64_t>(seq), "operation", 7)).ok());
      EXPECT_EQ(AckedSeq(*store, "front"), seq);
    }
    // The lock sends event 2 again (its ack was lost): a success that changes nothing.
    Json resent = EventJson(2, 9999, "alarm");
    ASSERT_TRUE(store->AppendEvent("front", resent).ok());
    EXPECT_EQ(AckedSeq(*store, "front"), 3u) << "acked_seq never moves back";
    // An unknown lock: refused, nothing written anywhere.
    EXPECT_EQ(store->AppendEvent("ghost", EventJson(4, 1, "operation")).code(), Code::kNotFound);
    EXPECT_EQ(*store->database().QueryInt("SELECT count(*) FROM events"), 3);
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const std::vector<Json> events = All(*store, "front");
  ASSERT_EQ(Seqs(events), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(events[1].at("time"), 1002) << "the first copy was kept";
  EXPECT_EQ(events[1].at("kind"), "operation");
  EXPECT_EQ(events[1].at("lock"), "front");
  Json expected = EventJson(1, 1001, "operation", 7);
  expected["lock"] = "front";
  EXPECT_EQ(events[0], expected) << "stored body plus lock";
  EXPECT_EQ(AckedSeq(*store, "front"), 3u);
}

TEST_F(HubStoreTest, EventsInTheWireFormatRoundTrip) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutLock(SampleLock("front")).ok());
  core::Event e = core::OperationEvent(core::Operation::kUnlock, core::Source::kKeypad);
  e.seq = 1;
  e.time_ms = 1'795'600'800'000;
  e.user = core::IndexOrAll{3, false};
  e.credential = core::CredentialRef{core::CredentialType::kPin, 7};
  core::Event all = core::ChangeEvent(core::DataType::kUser, core::ChangeOperation::kClear,
                                      core::Actor{core::Source::kRemote, "owner", true});
  all.seq = 2;
  all.time_ms = e.time_ms + 1;
  all.user = core::IndexOrAll::All();
  // Through a text round trip, as over the link: numbers come back unsigned.
  ASSERT_TRUE(store->AppendEvent("front", Json::parse(wire::EventToJson(e).dump())).ok());
  ASSERT_TRUE(store->AppendEvent("front", wire::EventToJson(all)).ok());
  const std::vector<Json> events = All(*store, "front");
  ASSERT_EQ(events.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    auto decoded = wire::EventFromJson(events[i]);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, i == 0 ? e : all);
  }
  EXPECT_EQ(*store->database().QueryInt("SELECT user FROM events WHERE seq = 1"), 3);
  EXPECT_EQ(*store->database().QueryInt("SELECT user IS NULL FROM events WHERE seq = 2"), 1)
      << "\"all\" is no one user";
}

TEST_F(HubStoreTest, EventsOfADeletedLockAreGone) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutLock(SampleLock("front")).ok());
  ASSERT_TRUE(store->PutLock(SampleLock("back")).ok());
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    ASSERT_TRUE(store->AppendEvent("front", EventJson(seq, 100, "operation")).ok());
    ASSERT_TRUE(store->AppendEvent("back", EventJson(seq, 100, "operation")).ok());
  }
  ASSERT_TRUE(store->DeleteLock("front").ok());
  EXPECT_EQ(store->DeleteLock("front").code(), Code::kNotFound);
  EXPECT_TRUE(All(*store, "front").empty());
  EXPECT_EQ(All(*store, "back").size(), 5u);
  EXPECT_EQ(*store->database().QueryInt("SELECT count(*) FROM events WHERE lock = 'front'"), 0);
  EXPECT_EQ(store->AppendEvent("front", EventJson(6, 100, "operation")).code(), Code::kNotFound);

  // Paired again under the same id: a history from scratch.
  store.reset();
  store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutLock(SampleLock("front")).ok());
  EXPECT_EQ(AckedSeq(*store, "front"), 0u);
  EXPECT_TRUE(All(*store, "front").empty());
  EXPECT_EQ(All(*store, "back").size(), 5u);
}

TEST_F(HubStoreTest, EventsFilterByAfterLimitKindAndUser) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutLock(SampleLock("front")).ok());
  ASSERT_TRUE(store->PutLock(SampleLock("back")).ok());
  // seq 1..30: kinds rotate operation, alarm, door; users 1, 2, "all", absent.
  const char* kinds[] = {"operation", "alarm", "door"};
  for (uint64_t seq = 1; seq <= 30; ++seq) {
    Json user;
    switch (seq % 4) {
      case 0:
        user = 1;
        break;
      case 1:
        user = 2;
        break;
      case 2:
        user = "all";
        break;
      default:
        break;
    }
    ASSERT_TRUE(
        store->AppendEvent("front", EventJson(seq, 1000 + static_cast<int64_t>(seq), kinds[seq % 3], user)).ok());
  }
  ASSERT_TRUE(store->AppendEvent("back", EventJson(1, 5, "operation", 1)).ok());

  const auto query = [&](EventQuery q) {
    q.lock = q.lock.empty() ? "front" : q.lock;
    auto got = store->Events(q);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? Seqs(*got) : std::vector<uint64_t>{};
  };
  EventQuery q;
  q.after = 10;
  q.limit = 5;
  EXPECT_EQ(query(q), (std::vector<uint64_t>{11, 12, 13, 14, 15}));
  q.after = 28;
  EXPECT_EQ(query(q), (std::vector<uint64_t>{29, 30}));
  q.after = 30;
  EXPECT_TRUE(query(q).empty());
  q.after = std::numeric_limits<uint64_t>::max();
  EXPECT_TRUE(query(q).empty());
  q.after = 0;
  q.limit = 0;
  EXPECT_TRUE(query(q).empty());
  q.limit = 100;
  EXPECT_EQ(query(q).size(), 30u);

  EventQuery by_kind;
  by_kind.kind = "alarm";
  EXPECT_EQ(query(by_kind), (std::vector<uint64_t>{1, 4, 7, 10, 13, 16, 19, 22, 25, 28}));
  by_kind.after = 10;
  by_kind.limit = 2;
  EXPECT_EQ(query(by_kind), (std::vector<uint64_t>{13, 16}));
  by_kind.kind = "nothing";
  EXPECT_TRUE(query(by_kind).empty());

  EventQuery by_user;
  by_user.user = 1;
  EXPECT_EQ(query(by_user), (std::vector<uint64_t>{4, 8, 12, 16, 20, 24, 28}));
  by_user.kind = "alarm";
  EXPECT_EQ(query(by_user), (std::vector<uint64_t>{4, 16, 28}));
  by_user.user = 2;
  by_user.kind = "door";
  EXPECT_EQ(query(by_user), (std::vector<uint64_t>{5, 17, 29}));
  by_user.user = 3;
  by_user.kind.reset();
  EXPECT_TRUE(query(by_user).empty());

  // Every event carries its lock; other locks' events never leak in.
  EventQuery back;
  back.lock = "back";
  auto got = store->Events(back);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].at("lock"), "back");
  EventQuery unknown;
  unknown.lock = "ghost";
  EXPECT_TRUE(query(unknown).empty());
}

TEST_F(HubStoreTest, EventsAndRecentEventsReturnAtMost1000) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutLock(SampleLock("front")).ok());
  // 1100 events in one transaction, straight into the table (the cap is what is tested here).
  store::Database& db = store->database();
  ASSERT_TRUE(db.Exec("BEGIN").ok());
  auto insert =
      db.Prepare("INSERT INTO events(lock, seq, time, kind, user, body) VALUES ('front', ?1, ?1, 'door', NULL, ?2)");
  ASSERT_TRUE(insert.ok());
  for (int64_t seq = 1; seq <= 1100; ++seq) {
    insert.value().Bind(1, seq);
    insert.value().Bind(2, EventJson(static_cast<uint64_t>(seq), seq, "door").dump());
    ASSERT_TRUE(insert.value().Run().ok());
  }
  ASSERT_TRUE(db.Exec("COMMIT").ok());

  EventQuery q;
  q.lock = "front";
  q.limit = std::numeric_limits<std::size_t>::max();
  auto events = store->Events(q);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 1000u);
  EXPECT_EQ(events->front().at("seq"), 1);
  EXPECT_EQ(events->back().at("seq"), 1000);
  auto recent = store->RecentEvents(Recent({"front"}, 5000));
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 1000u);
  EXPECT_EQ(recent->front().at("seq"), 1100);
  EXPECT_EQ(recent->back().at("seq"), 101);
  auto all = store->AllEvents("front");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1100u) << "the chain check sees every event";
}

TEST_F(HubStoreTest, RecentEventsAreNewestFirstAcrossLocksAndBounded) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(store->PutLock(SampleLock(id)).ok());
  // a: seq 1..4 at times 10, 20, 30, 30; b: seq 1..3 at 15, 25, 30; c: seq 1 at 100.
  ASSERT_TRUE(store->AppendEvent("a", EventJson(1, 10, "operation")).ok());
  ASSERT_TRUE(store->AppendEvent("a", EventJson(2, 20, "operation")).ok());
  ASSERT_TRUE(store->AppendEvent("a", EventJson(3, 30, "operation")).ok());
  ASSERT_TRUE(store->AppendEvent("a", EventJson(4, 30, "operation")).ok());
  ASSERT_TRUE(store->AppendEvent("b", EventJson(1, 15, "door")).ok());
  ASSERT_TRUE(store->AppendEvent("b", EventJson(2, 25, "door")).ok());
  ASSERT_TRUE(store->AppendEvent("b", EventJson(3, 30, "door")).ok());
  ASSERT_TRUE(store->AppendEvent("c", EventJson(1, 100, "alarm")).ok());

  const auto ids = [&](const std::vector<std::string>& locks, int64_t before, std::size_t limit) {
    auto got = store->RecentEvents(Recent(locks, limit, before));
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    std::vector<std::string> out;
    if (!got.ok()) return out;
    for (const auto& e : *got) out.push_back(e.at("lock").get<std::string>() + std::to_string(e.at("seq").get<int>()));
    return out;
  };
  // Time descending, then seq descending, then lock id descending.
  EXPECT_EQ(ids({"a", "b"}, 0, 100), (std::vector<std::string>{"a4", "b3", "a3", "b2", "a2", "b1", "a1"}));
  EXPECT_EQ(ids({"a", "b", "c"}, 0, 3), (std::vector<std::string>{"c1", "a4", "b3"}));
  // Strictly before the bound.
  EXPECT_EQ(ids({"a", "b", "c"}, 30, 100), (std::vector<std::string>{"b2", "a2", "b1", "a1"}));
  EXPECT_EQ(ids({"a", "b", "c"}, 25, 2), (std::vector<std::string>{"a2", "b1"}));
  EXPECT_TRUE(ids({"a", "b", "c"}, 10, 100).empty());
  // Only the locks asked for (the caller's visible ones); none asked, none returned.
  EXPECT_EQ(ids({"c", "ghost"}, 0, 100), (std::vector<std::string>{"c1"}));
  EXPECT_TRUE(ids({}, 0, 100).empty());
  EXPECT_TRUE(ids({"a"}, 0, 0).empty());
}

// The app's history pages: a cursor that goes on exactly after the last event of a page, even
// through events that share a millisecond, and filters by kind, user slot and acting account.
TEST_F(HubStoreTest, RecentEventsWalkWithACursorAndFilter) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  for (const char* id : {"a", "b"}) ASSERT_TRUE(store->PutLock(SampleLock(id)).ok());
  // Ten events in the same millisecond on each lock, then more: a time bound alone loses them.
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    for (const char* id : {"a", "b"}) {
      Json e = EventJson(seq, 50, seq % 2 ? "door" : "operation", seq % 3 == 0 ? Json(3) : Json(nullptr));
      if (seq == 4 || seq == 8) e["actor"] = "alice";
      if (seq == 5) e["actor"] = "alice2";
      ASSERT_TRUE(store->AppendEvent(id, e).ok());
    }
  }
  const auto walk = [&](RecentEventQuery query) {
    std::vector<std::string> out;
    query.limit = 3;
    for (int pages = 0; pages < 20; ++pages) {
      auto got = store->RecentEvents(query);
      EXPECT_TRUE(got.ok()) << got.status().ToString();
      if (!got.ok() || got->empty()) break;
      for (const auto& e : *got) out.push_back(e.at("lock").get<std::string>() + std::to_string(e.at("seq").get<int>()));
      const Json& last = got->back();
      query.before = EventCursor{last.at("time").get<int64_t>(), last.at("seq").get<uint64_t>(), last.at("lock")};
    }
    return out;
  };
  const auto everything = walk(Recent({"a", "b"}));
  ASSERT_EQ(everything.size(), 20u) << "each event once";
  EXPECT_EQ(everything.front(), "b10");
  EXPECT_EQ(everything.back(), "a1");
  RecentEventQuery query = Recent({"a", "b"});
  query.kind = "operation";
  EXPECT_EQ(walk(query), (std::vector<std::string>{"b10", "a10", "b8", "a8", "b6", "a6", "b4", "a4", "b2", "a2"}));
  query = Recent({"a"});
  query.user = 3;
  EXPECT_EQ(walk(query), (std::vector<std::string>{"a9", "a6", "a3"}));
  query = Recent({"a", "b"});
  query.actor = "alice";
  EXPECT_EQ(walk(query), (std::vector<std::string>{"b8", "a8", "b4", "a4"}));
  query.actor = "bob";
  EXPECT_TRUE(walk(query).empty());
  query = Recent({"b"});
  query.kind = "door";
  query.user = 3;
  EXPECT_EQ(walk(query), (std::vector<std::string>{"b9", "b3"}));
}

TEST_F(HubStoreTest, QueriesUseTheirIndexes) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const auto plan = [&](const std::string& sql) {
    auto st = store->database().Prepare("EXPLAIN QUERY PLAN " + sql);
    EXPECT_TRUE(st.ok()) << st.status().ToString();
    std::string out;
    if (!st.ok()) return out;
    while (st.value().Step() == store::Statement::StepResult::kRow) out += std::string(st.value().ColumnText(3)) + "\n";
    return out;
  };
  // The same statements as the store's (a filter by kind; the newest events across locks).
  const std::string by_kind =
      plan("SELECT lock, seq, body FROM events WHERE lock = 'a' AND seq > 0 AND kind = 'door' ORDER BY seq LIMIT 5");
  EXPECT_NE(by_kind.find("events_by_kind"), std::string::npos) << by_kind;
  EXPECT_EQ(by_kind.find("TEMP B-TREE"), std::string::npos) << by_kind;
  const std::string recent = plan(
      "SELECT lock, seq, body FROM events WHERE +lock IN (SELECT value FROM json_each('[\"a\"]')) "
      "AND time < 5 ORDER BY time DESC, seq DESC, lock DESC LIMIT 5");
  EXPECT_NE(recent.find("events_by_time"), std::string::npos) << recent;
  EXPECT_EQ(recent.find("TEMP B-TREE"), std::string::npos) << "no sort of the whole history: " << recent;
}

// GET /events?actor= (issue 9): the store's own statement walks events_by_actor, one account's
// events in the order of the page, instead of scanning every event; with the other filters too.
TEST_F(HubStoreTest, ActorFilterUsesItsIndex) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  RecentEventQuery query = Recent({"a", "b"});
  query.actor = "alice";
  std::vector<RecentEventQuery> queries{query};
  query.before_ms = 5;
  query.before = EventCursor{4, 2, "a"};
  query.kind = "door";
  queries.push_back(query);
  for (const RecentEventQuery& q : queries) {
    auto st = store->database().Prepare("EXPLAIN QUERY PLAN " + HubStore::RecentEventsSql(q));
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    std::string plan;
    while (st.value().Step() == store::Statement::StepResult::kRow) plan += std::string(st.value().ColumnText(3)) + "\n";
    EXPECT_NE(plan.find("USING INDEX events_by_actor"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("SCAN events"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << "no sort: " << plan;
  }
}

TEST_F(HubStoreTest, MalformedEventsAreRefusedAndNothingIsWritten) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutLock(SampleLock("front")).ok());
  const auto with = [](const char* key, Json value) {
    Json e = EventJson(1, 1000, "operation");
    e[key] = std::move(value);
    return e;
  };
  const auto without = [](const char* key) {
    Json e = EventJson(1, 1000, "operation");
    e.erase(key);
    return e;
  };
  const std::vector<Json> bad = {
      Json(),
      Json::array({1, 2, 3}),
      Json("event"),
      without("seq"),
      with("seq", -1),
      with("seq", 0),
      with("seq", 1.5),
      with("seq", "1"),
      with("seq", nullptr),
      with("seq", std::numeric_limits<uint64_t>::max()),
      without("kind"),
      with("kind", 5),
      with("kind", ""),
      with("kind", Json::array()),
      without("time"),
      with("time", "2026-11-25T08:00:00.000Z"),
      with("time", 1.5),
      with("time", std::numeric_limits<uint64_t>::max()),
      with("user", "bob"),
      with("user", -1),
      with("user", uint64_t{1} << 32),
      with("user", 1.5),
      with("user", nullptr),
      with("user", Json::object()),
      with("actor", "\xff\xfe not UTF-8"),  // nlohmann throws on dump: refused, not thrown
  };
  for (const Json& event : bad) {
    SCOPED_TRACE(event.dump(-1, ' ', false, Json::error_handler_t::replace));
    const core::Status s = store->AppendEvent("front", event);
    EXPECT_EQ(s.code(), Code::kInvalid) << s.ToString();
  }
  EXPECT_EQ(*store->database().QueryInt("SELECT count(*) FROM events"), 0);
  EXPECT_EQ(AckedSeq(*store, "front"), 0u);
  // The same event made well is taken.
  ASSERT_TRUE(store->AppendEvent("front", EventJson(1, 1000, "operation")).ok());
  EXPECT_EQ(AckedSeq(*store, "front"), 1u);
}

TEST_F(HubStoreTest, AStoredBodyThatCannotBeReadIsAnIoErrorNotAThrow) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutLock(SampleLock("front")).ok());
  for (uint64_t seq = 1; seq <= 3; ++seq) ASSERT_TRUE(store->AppendEvent("front", EventJson(seq, 10, "door")).ok());
  ASSERT_TRUE(store->database().Exec("UPDATE events SET body = '[1]' WHERE seq = 2").ok());
  auto all = store->AllEvents("front");
  EXPECT_EQ(all.status().code(), Code::kIoError);
  EXPECT_NE(all.status().message().find("(front, 2)"), std::string::npos) << all.status().message();
  ASSERT_TRUE(store->database().Exec("UPDATE events SET body = json_set(body, '$.seq', 9) WHERE seq = 2").ok());
  EXPECT_EQ(store->AllEvents("front").status().code(), Code::kIoError);
  EventQuery q;
  q.lock = "front";
  q.after = 2;
  auto rest = store->Events(q);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(Seqs(*rest), (std::vector<uint64_t>{3}));
  // The failed reads released their statements: writes still go through.
  EXPECT_TRUE(store->AppendEvent("front", EventJson(4, 10, "door")).ok());
}

// ==============================================================================================
// Killed at any instant: a process appending events is SIGKILLed at random moments; each time
// the store must open, hold events 1..N with no gap, and have acked_seq == N, with N at least
// every seq the writer saw acknowledged.

[[noreturn]] void AppendUntilKilled(const std::string& path, int ack_fd) {
  auto opened = HubStore::Open(path);
  if (!opened.ok()) ::_exit(2);
  HubStore& store = *opened.value();
  auto locks = store.ListLocks();
  if (!locks.ok() || locks->empty()) ::_exit(3);
  const uint64_t acked = locks->front().acked_seq;
  for (uint64_t seq = acked + 1;; ++seq) {
    const Json user = seq % 3 == 0 ? Json("all") : Json(seq % 5);
    if (!store.AppendEvent("front", EventJson(seq, 1'795'600'800'000 + static_cast<int64_t>(seq), "operation", user))
             .ok()) {
      ::_exit(4);
    }
    if (::write(ack_fd, &seq, sizeof seq) != static_cast<ssize_t>(sizeof seq)) ::_exit(5);
  }
}

using HubStoreCrashTest = HubStoreTest;

TEST_F(HubStoreCrashTest, SigkillAtRandomMomentsLosesNoAcknowledgedEventAndLeavesNoGap) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->PutLock(SampleLock("front")).ok());
  }
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_us(500, 40'000);
  uint64_t previous = 0;
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      AppendUntilKilled(path_, fds[1]);
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "the writer stopped by itself, exit status " << (WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
    uint64_t acked = 0, seq = 0;
    while (::read(fds[0], &seq, sizeof seq) == static_cast<ssize_t>(sizeof seq)) acked = seq;
    ::close(fds[0]);

    auto store = Open();
    ASSERT_NE(store, nullptr);
    const std::vector<Json> events = All(*store, "front");
    const uint64_t n = events.size();
    for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(events[i].at("seq").get<uint64_t>(), i + 1) << "a gap";
    ASSERT_EQ(AckedSeq(*store, "front"), n) << "the event and acked_seq were written together";
    ASSERT_GE(n, acked) << "an acknowledged event was lost";
    ASSERT_GE(n, previous);
    if (round == 19) RecordProperty("events", static_cast<int>(n));
    previous = n;
  }
  EXPECT_GT(previous, 0u) << "the writer never got an event through";
}

}  // namespace
}  // namespace latchkey::hub
