// The signature of a webhook delivery (hub/webhook_signature.h) against vectors computed outside
// the hub, with OpenSSL's command line:
//   printf '%s' BODY | openssl dgst -sha256 -hmac SECRET
#include <gtest/gtest.h>

#include <string>

#include "hub/webhook_signature.h"

namespace latchkey::hub {
namespace {

TEST(WebhookSignatureTest, MatchesOpensslOnADeliveryBody) {
  // printf '%s' '{"lock":"front-door","event":{"seq":42,"kind":"lock_operation"}}' |
  //   openssl dgst -sha256 -hmac 'whsec-test-0123456789'
  EXPECT_EQ(WebhookSignature("whsec-test-0123456789", R"({"lock":"front-door","event":{"seq":42,"kind":"lock_operation"}})"),
            "sha256=944aa09e5005cb8ea13372a5e29c5047c4231cc06d10b616b25c539abc90749a");
}

TEST(WebhookSignatureTest, AnEmptyBodyAndAKeyLongerThanABlock) {
  // printf '%s' '' | openssl dgst -sha256 -hmac k
  EXPECT_EQ(WebhookSignature("k", ""), "sha256=8bb990c40a7d61cb97597a942125025be50ac8beb74436e3735b98893a7f6620");
  // printf '%s' body | openssl dgst -sha256 -hmac "$(printf 'a%.0s' $(seq 100))": HMAC hashes a
  // key over 64 bytes first.
  EXPECT_EQ(WebhookSignature(std::string(100, 'a'), "body"),
            "sha256=8b075fa3477792ed001809b748b4c131a424f9536738dce0829d2f7ab4d8d21e");
}

TEST(WebhookSignatureTest, TheHeaderNamesAreUnchanged) {
  EXPECT_EQ(kWebhookSignatureHeader, "X-Latchkey-Signature");
  EXPECT_EQ(kWebhookDeliveryHeader, "X-Latchkey-Delivery");
}

}  // namespace
}  // namespace latchkey::hub
