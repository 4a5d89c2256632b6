// How the CLI phone's fragments travel to a lock and back: over TCP to the lock's phone listener
// (phone_client.h) or over Bluetooth LE as a GATT central (phone_ble.h). The session on top is the
// same (RunPhoneSession), so both print the same and behave the same.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "core/status.h"
#include "link/phone_frame.h"

namespace latchkey::cli {

class PhoneTransport {
 public:
  virtual ~PhoneTransport() = default;

  // The largest fragment this transport carries: link::PhoneConfig::max_fragment.
  virtual std::size_t max_fragment() const = 0;
  // The fragments, in order. kIoError when the lock cannot be reached any more.
  virtual core::Status Send(const std::vector<link::PhoneFragment>& fragments) = 0;
  // The next fragment from the lock. kIoError when none came before `deadline` or the lock went.
  virtual core::Result<link::PhoneFragment> Receive(std::chrono::steady_clock::time_point deadline) = 0;
};

}  // namespace latchkey::cli
