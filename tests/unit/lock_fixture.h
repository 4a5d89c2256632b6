// A Lock wired to fakes: a clock the test moves, a memory store that outlives the Lock (so
// Reboot() is a power cycle), a fake bolt and recorders for feedback and events.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/lock.h"
#include "core/testing/fakes.h"
#include "crypto/sodium_crypto.h"
#include "platform/tz_zone_rules.h"

namespace latchkey::core {

// Makes a gtest failure print the Status.
void PrintTo(const Status& status, std::ostream* os);

class LockTest : public ::testing::Test {
 protected:
  LockTest();
  void SetUp() override;

  // Opens the lock on the current store with `config_` (call after changing config_).
  void Open();
  // A power cycle: the Lock is destroyed, the monotonic clock restarts, the lock opens again.
  void Reboot();
  // Time passes by `ms` and the lock handles every timer that fell due (in steps of at most
  // one second, as the runtime ticks).
  void Advance(int64_t ms);

  Lock& lock() { return *lock_; }

  // Adds a PIN credential with a new user of `type` and returns the user's index.
  UserIndex AddPinUser(const std::string& pin, UserType type = UserType::kUnrestricted);
  // Sets the programming PIN (which creates the programming user) and returns that user's index.
  UserIndex AddProgrammingPin(const std::string& pin);
  // Adds a credential of `type` with `data` to existing user `user`.
  void AddCredentialTo(UserIndex user, CredentialType type, const std::string& data);
  // Enters `pin` at the keypad and submits it.
  Decision Keypad(const std::string& pin);
  Decision RemoteOp(Operation op, std::optional<std::string> pin = std::nullopt,
                    bool privileged = true);
  void Patch(const SettingsPatch& patch);

  std::vector<Event> events() const { return store_.events(); }
  std::vector<Event> EventsOfKind(EventKind kind) const;
  // Alarm events of one alarm kind.
  std::vector<Event> Alarms(AlarmKind alarm) const;
  Event LastEvent() const;

  static constexpr std::string_view kOwner = "owner";
  Actor owner_{Source::kRemote, kOwner, true};

  LockConfig config_;
  testing::FakeClock clock_;
  testing::MemoryLockStore store_;
  testing::FakeBolt bolt_;
  testing::RecordingFeedback feedback_;
  testing::RecordingObserver observer_;
  crypto::SodiumCrypto crypto_;
  platform::TzZoneRules zones_;
  std::unique_ptr<Lock> lock_;
};

}  // namespace latchkey::core
