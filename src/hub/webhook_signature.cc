#include "hub/webhook_signature.h"

#include <sodium.h>

#include <array>
#include <cstdint>

#include "wire/json_codec.h"  // ToHex

namespace latchkey::hub {

std::string WebhookSignature(std::string_view secret, std::string_view body) {
  crypto_auth_hmacsha256_state state;
  std::array<uint8_t, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof state);
  return "sha256=" + wire::ToHex(mac);
}

}  // namespace latchkey::hub
