// The command line as a phone at the door (PHONE-KEYS.md 3): one session with a lock's phone
// listener over TCP (`latchkey lock --phone-listen`), run to its end with blocking I/O and a
// deadline. The session itself is link::PhoneSessionPhone; this only moves its fragments.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "link/phone_session.h"

namespace latchkey::cli {

struct PhoneSessionOutcome {
  std::string lock_id;
  crypto::NoisePublicKey lock_key{};
  crypto::NoisePattern pattern = crypto::NoisePattern::kXX;
  link::PhoneResponse res;
  // Connect to the last fragment of the answer, and the round trips that took.
  std::chrono::microseconds elapsed{0};
};

// Connects to `address` (HOST:PORT), runs the handshake with `config`, then sends one req: `op`
// with the arrival token `arrival(lock_id)` makes (when given) once the lock named itself.
// kIoError when the lock cannot be reached or stops answering; kInvalid when the session fails.
core::Result<PhoneSessionOutcome> RunPhoneSession(
    const std::string& address, link::PhoneConfig config, link::PhoneOp op,
    const std::function<std::optional<std::vector<uint8_t>>(const std::string& lock_id)>& arrival,
    std::chrono::milliseconds timeout = std::chrono::seconds(15));

}  // namespace latchkey::cli
