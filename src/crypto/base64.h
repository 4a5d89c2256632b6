// Base64 (RFC 4648 section 4, with padding) for binary documents in JSON: phone-key certificates
// and revocation lists on the link and in the API; and base64url (below) for Web Push. Decoding is strict: no whitespace, no
// missing or extra padding, no non-zero trailing bits (libsodium's constant-time codec).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace latchkey::crypto {

std::string Base64Encode(std::span<const uint8_t> bytes);
// nullopt unless `text` is the canonical base64 of at most `max_bytes` bytes.
std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text, std::size_t max_bytes);

// base64url (RFC 4648 section 5) without padding: how Web Push writes keys (the VAPID public
// key, PushSubscription's p256dh and auth) and how a JWT writes its parts (RFC 7515).
//
//   Base64UrlEncode(bytes)                          // "BP4z9KsN6nGR..." (no '=')
//   Base64UrlDecode("BTBZMqHH6r4Tts7J_aSIgg", 16)  // 16 bytes
//
// Decoding is as strict as Base64Decode's (no '+' or '/', no non-zero trailing bits), except
// that the '=' padding some encoders still add is accepted when it is exactly what the length
// calls for.
std::string Base64UrlEncode(std::span<const uint8_t> bytes);
inline std::string Base64UrlEncode(std::string_view text) {
  return Base64UrlEncode(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}
// nullopt unless `text` is the base64url of at most `max_bytes` bytes.
std::optional<std::vector<uint8_t>> Base64UrlDecode(std::string_view text, std::size_t max_bytes);

}  // namespace latchkey::crypto
