// Base64 for certificates and revocation lists in JSON: RFC 4648's test vectors, and the strict
// decoder refusing what is not the canonical form.
#include "crypto/base64.h"

#include <gtest/gtest.h>

namespace latchkey::crypto {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(Bytes(plain)), encoded);
    const auto back = Base64Decode(encoded, 64);
    ASSERT_TRUE(back) << encoded;
    EXPECT_EQ(std::string(back->begin(), back->end()), plain);
  }
}

TEST(Base64Test, OnlyTheCanonicalFormDecodes) {
  for (std::string_view bad : {"Zg", "Zg=", "Zh==", "Zm9v\n", " Zm9v", "Zm9v====", "Zm-v", "Zm_v", "Z===", "===="}) {
    EXPECT_FALSE(Base64Decode(bad, 64)) << bad;
  }
  // libsodium alone takes some bytes above 0x7f for letters.
  for (std::string_view bad : {"QUJ\xbf", "\xbf" "UJD", "QU\x80" "D", "Zm=v"}) EXPECT_FALSE(Base64Decode(bad, 64)) << bad;
  EXPECT_FALSE(Base64Decode("Zm9vYmFy", 5));  // six bytes, five allowed
  EXPECT_TRUE(Base64Decode("Zm9vYmFy", 6));
}

}  // namespace
}  // namespace latchkey::crypto
