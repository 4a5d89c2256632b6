// FF1 (crypto/ff1.h) against every NIST SP 800-38G sample in shared/testdata/ff1/, both ways, and
// its refusals of what is not FF1 input.
#include "crypto/ff1.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "wire/json_codec.h"

namespace latchkey::crypto {
namespace {

std::vector<uint8_t> Hex(const std::string& hex) {
  std::vector<uint8_t> out(hex.size() / 2);
  EXPECT_TRUE(wire::FromHex(hex, out)) << hex;
  return out;
}

nlohmann::json Samples() {
  std::ifstream in(LATCHKEY_TESTDATA_DIR "/ff1/nist-sp800-38g-ff1-samples.json");
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

TEST(Ff1Test, EveryNistSampleEncryptsAndDecrypts) {
  const nlohmann::json samples = Samples();
  ASSERT_TRUE(samples.is_object()) << "cannot read the NIST samples";
  ASSERT_EQ(samples["vectors"].size(), 9u);
  for (const auto& v : samples["vectors"]) {
    SCOPED_TRACE("sample " + std::to_string(v["sample"].get<int>()));
    const auto key = Hex(v["key"].get<std::string>());
    const auto tweak = Hex(v["tweak"].get<std::string>());
    const auto radix = v["radix"].get<unsigned>();
    const auto plaintext = v["plaintext"].get<std::string>();
    const auto ciphertext = v["ciphertext"].get<std::string>();
    auto encrypted = Ff1Encrypt(key, tweak, radix, plaintext);
    ASSERT_TRUE(encrypted.ok()) << encrypted.status().message();
    EXPECT_EQ(*encrypted, ciphertext);
    auto decrypted = Ff1Decrypt(key, tweak, radix, ciphertext);
    ASSERT_TRUE(decrypted.ok()) << decrypted.status().message();
    EXPECT_EQ(*decrypted, plaintext);
  }
}

TEST(Ff1Test, TwelveDigitsRoundTripUnderAes256WithALockIdTweak) {
  const auto key = Hex("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94");
  const std::string_view id = "lk-0011223344556677";
  const std::vector<uint8_t> tweak(id.begin(), id.end());
  for (const std::string plain : {"100000000000", "299999999999", "312345678901", "000000000000"}) {
    auto code = Ff1Encrypt(key, tweak, 10, plain);
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(code->size(), 12u);
    EXPECT_NE(*code, plain);
    auto back = Ff1Decrypt(key, tweak, 10, *code);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, plain);
  }
  // Another lock (tweak) turns the same plaintext into another code.
  const std::vector<uint8_t> other{'l', 'k', '-', '1'};
  EXPECT_NE(*Ff1Encrypt(key, tweak, 10, "212345678901"), *Ff1Encrypt(key, other, 10, "212345678901"));
}

TEST(Ff1Test, RefusesWhatIsNotFf1Input) {
  const std::vector<uint8_t> key(32, 7);
  const std::vector<uint8_t> tweak;
  EXPECT_FALSE(Ff1Encrypt(std::vector<uint8_t>(31, 7), tweak, 10, "0123456789").ok());
  EXPECT_FALSE(Ff1Encrypt(key, tweak, 1, "0000000000").ok());
  EXPECT_FALSE(Ff1Encrypt(key, tweak, 37, "0123456789").ok());
  EXPECT_FALSE(Ff1Encrypt(key, tweak, 10, "1").ok());
  EXPECT_FALSE(Ff1Encrypt(key, tweak, 10, std::string(kFf1MaxLength + 1, '1')).ok());
  EXPECT_FALSE(Ff1Decrypt(key, tweak, 10, "01234a6789").ok());
  EXPECT_FALSE(Ff1Decrypt(key, tweak, 10, "0123 56789").ok());
  EXPECT_FALSE(Ff1Decrypt(key, std::vector<uint8_t>(kFf1MaxTweak + 1, 1), 10, "0123456789").ok());
  EXPECT_TRUE(Ff1Decrypt(key, std::vector<uint8_t>(kFf1MaxTweak, 1), 10, "0123456789").ok());
}

}  // namespace
}  // namespace latchkey::crypto
