// The lock's outputs, as narrow ports that the device runtime backs with hardware (hal/sim or
// hal/gpio) and tests back with fakes. The core drives them and never waits on them: a motor
// move is started, and the core reads the bolt sensor when the motor time has passed.
#pragma once

#include "core/types.h"

namespace latchkey::core {

struct Event;
struct LockStatus;

enum class BoltTarget : uint8_t { kLocked, kUnlocked, kUnlatched };
enum class BoltSense : uint8_t { kLocked, kUnlocked, kUnlatched, kBetween };

class BoltActuator {
 public:
  virtual ~BoltActuator() = default;
  // Starts the motor towards `target`.
  virtual void Drive(BoltTarget target) = 0;
  // Where the bolt is now (kBetween: stalled or still moving).
  virtual BoltSense Sense() const = 0;
};

// What the person at the door hears and sees.
enum class Signal : uint8_t { kGranted, kDenied, kPending, kLockout, kAlarm, kLocked, kUnlocked };

class Feedback {
 public:
  virtual ~Feedback() = default;
  // `volume` kSilent means LED only.
  virtual void Indicate(Signal signal, SoundVolume volume) = 0;
};

// Told after a change has been stored: each new event, and each change of what LockStatus
// shows. The link forwards both to the hub.
class LockObserver {
 public:
  virtual ~LockObserver() = default;
  virtual void OnEvent(const Event& event) = 0;
  virtual void OnStatusChanged(const LockStatus& status) = 0;
};

}  // namespace latchkey::core
