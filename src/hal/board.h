// The lock's hardware, as the device runtime sees it: one narrow facade per part, and a sink
// into which the input parts deliver what happens at the door. Backends: hal/sim (a simulated
// world, for the demo and tests) and, later, hal/gpio (libgpiod on a Linux board).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/env.h"
#include "core/lock.h"
#include "core/ports.h"

namespace latchkey::hal {

// What the input parts report. Each call returns what the lock did, so that a simulated input
// can answer its caller; real hardware ignores the answer (the lock's own feedback speaks).
class InputSink {
 public:
  virtual ~InputSink() = default;
  // Keypad: digits, '*' clears, '#' submits.
  virtual core::Result<std::optional<core::Decision>> OnKeypad(std::string_view keys) = 0;
  virtual core::Result<core::Decision> OnRfid(std::string_view uid_hex) = 0;
  virtual core::Result<core::Decision> OnFingerprint(std::string_view template_ref) = 0;
  virtual core::Result<core::Decision> OnFace(std::string_view template_ref) = 0;
  virtual core::Result<core::Decision> OnOutsideButton() = 0;
  // The inside thumbturn or the mechanical key moved the bolt by hand.
  virtual core::Status OnManualBolt(core::Source source, core::Operation operation) = 0;
  virtual core::Status OnDoor(bool open) = 0;
  virtual core::Status OnTamper() = 0;
  virtual core::Status OnBattery(uint32_t millivolts) = 0;
  virtual core::Status OnExternalPower(bool connected) = 0;
};

// Every part of one lock. The motor with its bolt-position sensor and the buzzer/LED are the
// core's ports; the clocks are the core's seam.
class Board {
 public:
  virtual ~Board() = default;
  virtual core::BoltActuator& bolt() = 0;
  virtual core::Feedback& feedback() = 0;
  virtual core::Clock& clock() = 0;
  // Whether the real-time clock kept time through the last power loss.
  virtual bool rtc_valid() const = 0;
  // Inputs go to `sink` from now on (nullptr: nowhere).
  virtual void Attach(InputSink* sink) = 0;
};

}  // namespace latchkey::hal
