// hub/directory.h on a real SQLite store and the hub's fake Env: who a token is and which locks
// exist, answered from the read cache only while that cannot be wrong.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "hub/auth.h"
#include "hub/directory.h"
#include "hub/testing/fake_env.h"
#include "store/sqlite_db.h"
#include "common/temp_dir.h"

namespace latchkey::hub {
namespace {

class DirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = HubStore::Open(dir_ + "/hub.db");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    directory_ = std::make_unique<Directory>(*store_, env_);
    Account mia;
    mia.username = "mia";
    mia.password_hash = "unused";
    mia.role = "member";
    ASSERT_TRUE(store_->PutAccount(mia).ok());
    token_ = MakeToken(env_);
    TokenRecord record;
    record.id = "t1";
    record.username = "mia";
    record.kind = "api";
    record.name = "script";
    record.expires_at_ms = env_.NowMs() + 60'000;
    ASSERT_TRUE(store_->PutToken(record, token_.hash).ok());
    request_.headers.set(http::field::authorization, "Bearer " + token_.token);
  }
  void TearDown() override {
    directory_.reset();
    store_.reset();
  }

  static LockRecord Lock(const std::string& id) {
    LockRecord r;
    r.id = id;
    r.name = id;
    r.address = "127.0.0.1:1";
    return r;
  }

  testing::FakeEnv env_;
  ::latchkey::testing::TempDir tmp_{"latchkey-directory"};
  const std::string dir_ = tmp_.path();
  std::unique_ptr<HubStore> store_;
  std::unique_ptr<Directory> directory_;
  NewToken token_;
  HttpRequest request_;
};

TEST_F(DirectoryTest, ATokenHoldsThroughItsExpiryMillisecondAndNotAfter) {
  ASSERT_TRUE(directory_->Authenticate(request_).ok());
  env_.clock().Advance(60'000);
  EXPECT_TRUE(directory_->Authenticate(request_).ok()) << "cached, and still valid";
  env_.clock().Advance(1);
  const auto late = directory_->Authenticate(request_);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().message(), "the token has expired");
}

TEST_F(DirectoryTest, TheSameRequestsLockLookupStillSeesThisProcesssWrite) {
  ASSERT_TRUE(directory_->FindLock("lk-a").ok());  // fills the cache: no such lock
  ASSERT_TRUE(directory_->Authenticate(request_).ok());
  ASSERT_TRUE(store_->PutLock(Lock("lk-a")).ok());
  const auto found = directory_->FindLock("lk-a", &request_);
  ASSERT_TRUE(found.ok());
  EXPECT_NE(*found, nullptr) << "a write between the two lookups of one request empties the cache";
}

TEST_F(DirectoryTest, AnotherConnectionsCommitIsSeenByTheNextRequest) {
  ASSERT_TRUE(directory_->Authenticate(request_).ok());
  ASSERT_TRUE(directory_->FindLock("lk-b", &request_).ok());
  {
    auto db = store::Database::Open(dir_ + "/hub.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Exec("DELETE FROM tokens WHERE id = 't1'").ok());
  }
  HttpRequest next = request_;
  EXPECT_FALSE(directory_->Authenticate(next).ok()) << "deleted by sqlite3 by hand";
}

TEST_F(DirectoryTest, ALockPairedByAnotherConnectionIsFoundByTheNextLookup) {
  const auto before = directory_->FindLock("lk-c");
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(*before, nullptr);  // cached: no lk-c
  {
    auto db = store::Database::Open(dir_ + "/hub.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(
        (*db)->Exec("INSERT INTO locks VALUES ('lk-c', 'c', '127.0.0.1:1', zeroblob(32), 0, '', 0, '{}', 0)").ok());
  }
  const auto after = directory_->FindLock("lk-c");
  ASSERT_TRUE(after.ok());
  EXPECT_NE(*after, nullptr);
}

TEST_F(DirectoryTest, AnAccountIsAnsweredAsStoredNow) {
  ASSERT_TRUE(directory_->Authenticate(request_).ok());
  auto before = directory_->FindAccount("mia", &request_);
  ASSERT_TRUE(before.ok() && before->has_value());
  EXPECT_EQ((*before)->role, "member");
  Account changed = **before;
  changed.role = "guest";
  ASSERT_TRUE(store_->PutAccount(changed).ok());
  auto after = directory_->FindAccount("mia");
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->role, "guest");
  auto principal = directory_->Authenticate(request_);
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->role, Role::kGuest) << "the cached principal went with the write";
  auto nobody = directory_->FindAccount("nobody");
  ASSERT_TRUE(nobody.ok());
  EXPECT_FALSE(nobody->has_value());
}

TEST_F(DirectoryTest, ARecordIsHandedOutUntilAWriteReplacesIt) {
  ASSERT_TRUE(store_->PutLock(Lock("lk-d")).ok());
  const auto first = directory_->FindLock("lk-d");
  const auto again = directory_->FindLock("lk-d");
  ASSERT_TRUE(first.ok() && again.ok() && *first != nullptr);
  EXPECT_EQ(*first, *again) << "the same record while the store is unchanged";
  LockRecord renamed = **first;
  renamed.name = "renamed";
  ASSERT_TRUE(store_->PutLock(renamed).ok());
  const auto after = directory_->FindLock("lk-d");
  ASSERT_TRUE(after.ok() && *after != nullptr);
  EXPECT_NE(*after, *first);
  EXPECT_EQ((*after)->name, "renamed");
  EXPECT_EQ((*first)->name, "lk-d") << "a record handed out never changes";
}

TEST_F(DirectoryTest, TheGenerationMovesWithEveryWriteAndOnlyThen) {
  ASSERT_TRUE(directory_->Authenticate(request_).ok());
  const uint64_t first = directory_->generation();
  ASSERT_TRUE(directory_->FindLock("lk-e", &request_).ok());
  ASSERT_TRUE(directory_->Authenticate(request_).ok());
  EXPECT_EQ(directory_->generation(), first) << "nothing was written";
  ASSERT_TRUE(store_->PutLock(Lock("lk-e")).ok());
  ASSERT_TRUE(directory_->Authenticate(request_).ok());
  const uint64_t second = directory_->generation();
  EXPECT_NE(second, first);
  {
    auto db = store::Database::Open(dir_ + "/hub.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("UPDATE locks SET name = 'by hand' WHERE id = 'lk-e'").ok());
  }
  ASSERT_TRUE(directory_->Authenticate(request_).ok());
  EXPECT_NE(directory_->generation(), second) << "another connection's commit";
}

}  // namespace
}  // namespace latchkey::hub
