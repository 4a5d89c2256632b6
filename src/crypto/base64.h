// Base64 (RFC 4648 section 4, with padding) for binary documents in JSON: phone-key certificates
// and revocation lists on the link and in the API. Decoding is strict: no whitespace, no
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

}  // namespace latchkey::crypto
