// The command line as a phone at the door (PHONE-KEYS.md 3): one session with a lock, run to its
// end with blocking I/O and a deadline, over a PhoneTransport: TCP to the lock's phone listener
// (`latchkey lock --phone-listen`) here, Bluetooth LE in phone_ble.h. The session itself is
// link::PhoneSessionPhone; this only moves its fragments.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/phone_transport.h"
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

using ArrivalMaker = std::function<std::optional<std::vector<uint8_t>>(const std::string& lock_id)>;

// Runs the handshake with `config` over `transport`, then sends one req: `op` with the arrival
// token `arrival(lock_id)` makes (when given) once the lock named itself. config.max_fragment is
// the transport's. `started` is when the transport began connecting (for elapsed). kIoError when
// the lock stops answering before `deadline`; kInvalid when the session fails.
core::Result<PhoneSessionOutcome> RunPhoneSession(PhoneTransport& transport, link::PhoneConfig config,
                                                  link::PhoneOp op, const ArrivalMaker& arrival,
                                                  std::chrono::steady_clock::time_point started,
                                                  std::chrono::steady_clock::time_point deadline);

// A TCP connection to the lock's phone listener at `address` (HOST:PORT). kInvalid for an address
// that is not one, kIoError when the lock cannot be reached.
core::Result<std::unique_ptr<PhoneTransport>> ConnectPhoneTcp(const std::string& address,
                                                              std::chrono::steady_clock::time_point deadline);

// ConnectPhoneTcp and RunPhoneSession with one deadline, `timeout` from now.
core::Result<PhoneSessionOutcome> RunPhoneSession(const std::string& address, link::PhoneConfig config,
                                                  link::PhoneOp op, const ArrivalMaker& arrival,
                                                  std::chrono::milliseconds timeout = std::chrono::seconds(15));

}  // namespace latchkey::cli
