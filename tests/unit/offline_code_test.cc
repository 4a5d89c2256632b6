// The offline-code plaintext (core/offline_code.h): field packing and the check digits against
// values computed by hand (Python's hmac module over the same bytes), per generation.
#include "core/offline_code.h"

#include <gtest/gtest.h>

#include "crypto/ff1.h"
#include "crypto/sodium_crypto.h"

namespace latchkey::core {
namespace {

OfflineCodeKey CountingKey() {
  OfflineCodeKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  return key;
}

TEST(OfflineCodeTest, PacksTypeStartDurationAndCheckIntoTwelveDigits) {
  EXPECT_EQ(PackOfflineCode({.type = OfflineCodeType::kOneTime, .start_hour = 4242, .duration_hours = 4}, 838),
            "204242004838");
  EXPECT_EQ(PackOfflineCode({.type = OfflineCodeType::kWindow, .start_hour = 0, .duration_hours = 1}, 7),
            "100000001007");
  EXPECT_EQ(PackOfflineCode({.type = OfflineCodeType::kClear, .start_hour = 99999, .duration_hours = 999}, 999),
            "399999999999");
}

TEST(OfflineCodeTest, UnpacksOnlyWellFormedPlaintexts) {
  const auto plain = UnpackOfflineCode("204242004838");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->fields, (OfflineCodeFields{.type = OfflineCodeType::kOneTime, .start_hour = 4242, .duration_hours = 4}));
  EXPECT_EQ(plain->check, 838);
  EXPECT_FALSE(UnpackOfflineCode("004242004838"));  // type 0
  EXPECT_FALSE(UnpackOfflineCode("404242004838"));  // type 4
  EXPECT_FALSE(UnpackOfflineCode("204242000838"));  // duration 0
  EXPECT_FALSE(UnpackOfflineCode("20424200483"));   // 11 digits
  EXPECT_FALSE(UnpackOfflineCode("2042420048380"));
  EXPECT_FALSE(UnpackOfflineCode("20424200483a"));
  EXPECT_FALSE(UnpackOfflineCode(""));
}

TEST(OfflineCodeTest, CheckDigitsMatchHandComputedHmacs) {
  const crypto::SodiumCrypto crypto(crypto::SecretKey{});
  const OfflineCodeKey key = CountingKey();
  // HMAC-SHA256(key, "TSSSSSDDD"), first four bytes big-endian, mod 1000.
  EXPECT_EQ(OfflineCodeCheck(crypto, key, 0, {.type = OfflineCodeType::kWindow, .start_hour = 0, .duration_hours = 1}),
            697);
  EXPECT_EQ(OfflineCodeCheck(crypto, key, 0,
                             {.type = OfflineCodeType::kOneTime, .start_hour = 4242, .duration_hours = 4}),
            838);
  EXPECT_EQ(OfflineCodeCheck(crypto, key, 0,
                             {.type = OfflineCodeType::kClear, .start_hour = 99999, .duration_hours = 999}),
            971);
  // Generation g >= 1 keys the HMAC with HMAC-SHA256(key, "latchkey offline-code generation <g>").
  const OfflineCodeFields fields{.type = OfflineCodeType::kOneTime, .start_hour = 4242, .duration_hours = 4};
  EXPECT_EQ(OfflineCodeCheck(crypto, key, 1, fields), 41);
  EXPECT_EQ(OfflineCodeCheck(crypto, key, 2, fields), 390);
  EXPECT_EQ(OfflineGenerationKey(crypto, key, 0), key);
}

// docs/offline-codes.md "On the lock": the worked example, end to end as the hub makes the code and
// the lock reads it.
TEST(OfflineCodeTest, TheWorkedExampleOfTheDocs) {
  const crypto::SodiumCrypto crypto(crypto::SecretKey{});
  const OfflineCodeKey key = CountingKey();
  const OfflineCodeFields fields{.type = OfflineCodeType::kOneTime, .start_hour = 4242, .duration_hours = 4};
  const std::string plain = PackOfflineCode(fields, OfflineCodeCheck(crypto, key, 0, fields));
  ASSERT_EQ(plain, "204242004838");
  const std::string lock_id = "lk-00112233aabbccdd";
  const auto tweak = std::span(reinterpret_cast<const uint8_t*>(lock_id.data()), lock_id.size());
  auto code = crypto::Ff1Encrypt(key, tweak, 10, plain);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, "757756665127");
  EXPECT_EQ(crypto.Ff1DecryptDigits(key, tweak, *code), plain);
  // Another lock's id is another tweak: the same plaintext is another code there.
  const std::string other = "lk-00112233aabbccde";
  EXPECT_NE(*crypto::Ff1Encrypt(key, std::span(reinterpret_cast<const uint8_t*>(other.data()), other.size()), 10, plain),
            *code);
}

}  // namespace
}  // namespace latchkey::core
