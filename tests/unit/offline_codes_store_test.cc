// Offline guest codes in the durable lock store (src/store): a lock on SQLite spends a one-time
// code and is power-cycled (the record in meta "offline_codes" and the grant's event with its
// window come back), and a damaged record makes Load fail instead of forgetting spent codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "core/lock.h"
#include "core/testing/fakes.h"
#include "crypto/ff1.h"
#include "crypto/sodium_crypto.h"
#include "platform/tz_zone_rules.h"
#include "store/sqlite_lock_store.h"

namespace latchkey::store {
namespace {

constexpr std::string_view kLockId = "lk-0011223344556677";

class OfflineCodesStoreTest : public ::testing::Test {
 protected:
  OfflineCodesStoreTest() : crypto_(crypto::SecretKey{}) {
    for (std::size_t i = 0; i < key_.size(); ++i) key_[i] = static_cast<uint8_t>(3 * i + 1);
  }

  // Opens the store and a lock on it (a power-up when the store holds one already).
  void Open() {
    lock_.reset();
    store_.reset();
    auto store = SqliteLockStore::Open(tmp_.path() + "/lock.db");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    core::LockConfig config;
    config.motor_ms = 0;
    config.lock_id = std::string(kLockId);
    core::LockEnv env{&clock_, &crypto_, &zones_, store_.get(), &bolt_, &feedback_, nullptr};
    auto lock = core::Lock::Open(config, env);
    ASSERT_TRUE(lock.ok()) << lock.status().ToString();
    lock_ = std::move(lock).value();
  }

  std::string OneTimeCode(int64_t epoch_s) const {
    const int64_t now_s = clock_.WallMs() / 1000;
    const core::OfflineCodeFields fields{core::OfflineCodeType::kOneTime, static_cast<uint32_t>((now_s - epoch_s) / 3600), 6};
    const std::string plain = core::PackOfflineCode(fields, core::OfflineCodeCheck(crypto_, key_, 0, fields));
    return crypto::Ff1Encrypt(key_, std::span(reinterpret_cast<const uint8_t*>(kLockId.data()), kLockId.size()), 10,
                              plain)
        .value();
  }

  ::latchkey::testing::TempDir tmp_{"latchkey-offline-store"};
  core::testing::FakeClock clock_;
  core::testing::FakeBolt bolt_;
  core::testing::RecordingFeedback feedback_;
  crypto::SodiumCrypto crypto_;
  platform::TzZoneRules zones_;
  core::OfflineCodeKey key_{};
  std::unique_ptr<SqliteLockStore> store_;
  std::unique_ptr<core::Lock> lock_;
};

TEST_F(OfflineCodesStoreTest, ASpentCodeAndItsEventSurviveAPowerCycle) {
  Open();
  const int64_t epoch_s = clock_.WallMs() / 1000 / 3600 * 3600 - 50 * 3600;
  const core::Actor hub{core::Source::kRemote, "hub", true};
  ASSERT_TRUE(lock_->SetOfflineKey(key_, epoch_s, 4, hub).ok());
  const std::vector<std::string> revoked{"104242004838"};
  ASSERT_TRUE(lock_->ApplyOfflineRevocations(7, revoked, 0, hub).ok());
  const std::string code = OneTimeCode(epoch_s);
  // Generation 4 is held: a code of generation 0 fails its check.
  EXPECT_EQ(lock_->Present(core::Source::kKeypad, code)->reason, core::AccessError::kInvalidCredential);
  ASSERT_TRUE(lock_->SetOfflineKey(key_, epoch_s, 0, hub).ok());  // the generation never falls
  EXPECT_EQ(lock_->offline_codes().generation, 4u);

  // A fresh start under another key and back: generation 0 again, then the code opens.
  core::OfflineCodeKey other = key_;
  other[0] ^= 1;
  ASSERT_TRUE(lock_->SetOfflineKey(other, epoch_s, 0, hub).ok());
  ASSERT_TRUE(lock_->SetOfflineKey(key_, epoch_s, 0, hub).ok());
  ASSERT_TRUE(lock_->ApplyOfflineRevocations(8, revoked, 0, hub).ok());
  auto granted = lock_->Present(core::Source::kKeypad, code);
  ASSERT_TRUE(granted.ok());
  ASSERT_EQ(granted->result, core::DecisionResult::kGranted);
  const core::OfflineCodeInfo before = lock_->offline_codes();
  EXPECT_EQ(before.remembered, 1u);

  clock_.RebootMonotonic(1'000);
  Open();
  EXPECT_EQ(lock_->offline_codes(), before) << "key, epoch, generation, list and spent code";
  EXPECT_EQ(lock_->Present(core::Source::kKeypad, code)->reason, core::AccessError::kDisabledUser);
  std::vector<core::Event> events;
  ASSERT_TRUE(store_->ReadEvents(0, 1000, &events).ok());
  const auto grant = std::find_if(events.begin(), events.end(),
                                  [](const core::Event& e) { return e.kind == core::EventKind::kLockOperation; });
  ASSERT_NE(grant, events.end());
  ASSERT_TRUE(grant->credential.has_value());
  EXPECT_EQ(grant->credential->type, core::CredentialType::kOfflineCode);
  EXPECT_EQ(grant->credential->window_hours, 6u);
  EXPECT_EQ(grant->credential->window_start_s, clock_.WallMs() / 1000 / 3600 * 3600);
  EXPECT_FALSE(grant->user.has_value());
  EXPECT_FALSE(core::VerifyChain(crypto_, core::Digest{}, events).has_value());
}

TEST_F(OfflineCodesStoreTest, ADamagedRecordFailsTheLoad) {
  Open();
  ASSERT_TRUE(lock_->SetOfflineKey(key_, 3600 * 400'000, 0, core::Actor{}).ok());
  lock_.reset();
  ASSERT_TRUE(store_->PutMeta("offline_codes", std::string("\xa1\x63key\x01", 6)).ok());
  core::PersistentState state;
  const core::Status loaded = store_->Load(&state);
  EXPECT_EQ(loaded.code(), core::Code::kIoError);
  EXPECT_NE(loaded.message().find("offline_codes"), std::string::npos) << loaded.message();
}

}  // namespace
}  // namespace latchkey::store
