// FF1 format-preserving encryption (NIST SP 800-38G, section 5.1, Algorithms 7 and 8) over AES
// from OpenSSL: a string of digits of radix 2..36 becomes another string of the same length and
// radix. Offline guest codes (core/offline_code.h) are FF1 of their 12 plaintext digits under
// AES-256, radix 10, with the lock's id as the tweak; this module is checked against every NIST
// sample in shared/testdata/ff1/ (AES-128/192/256, radix 10 and 36, with and without a tweak).
//
//   auto code = Ff1Encrypt(key, tweak, 10, "012345678901");   // "..." 12 digits, or an error
//   auto back = Ff1Decrypt(key, tweak, 10, *code);            // "012345678901"
//
// Numerals are the characters 0-9 then a-z (lower case): radix 10 uses 0-9, radix 36 all 36.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace latchkey::crypto {

// The bounds this implementation accepts: radix^minlen >= 1,000,000 (SP 800-38G Rev. 1) is the
// caller's concern; length is 2..kFf1MaxLength numerals, the tweak at most kFf1MaxTweak bytes.
inline constexpr std::size_t kFf1MaxLength = 56;
inline constexpr std::size_t kFf1MaxTweak = 256;

// kInvalid when the key is not 16, 24 or 32 bytes, the radix not 2..36, the text too short, too
// long or with a character that is not a numeral of the radix, or the tweak too long.
core::Result<std::string> Ff1Encrypt(std::span<const uint8_t> key, std::span<const uint8_t> tweak, unsigned radix,
                                     std::string_view plaintext);
core::Result<std::string> Ff1Decrypt(std::span<const uint8_t> key, std::span<const uint8_t> tweak, unsigned radix,
                                     std::string_view ciphertext);

}  // namespace latchkey::crypto
