// The lock's setup code (LINK.md, pairing): 128 random bits written as 26 base32 characters
// (RFC 4648 alphabet) in groups of four, e.g. K7QM-2XWD-...-XX. The pre-shared key of the pairing
// handshake is BLAKE2b-256 keyed with the ASCII "latchkey-pairing" over the code's 16 bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace latchkey::link {

using SetupCode = std::array<uint8_t, 16>;
using Psk = std::array<uint8_t, 32>;

SetupCode RandomSetupCode();
// "XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XX".
std::string FormatSetupCode(const SetupCode& code);
// Accepts the formatted code in any case, with or without dashes and spaces.
core::Result<SetupCode> ParseSetupCode(std::string_view text);
Psk PairingPsk(const SetupCode& code);

}  // namespace latchkey::link
