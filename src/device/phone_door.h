// One phone at the door (PHONE-KEYS.md 2), whatever carries its fragments: the TCP listener
// (phone_listener.h) or the BLE GATT service (ble_gatt_server.h). It runs the lock's side of the session
// (link::PhoneSessionLock) and answers each operation with the lock's own decision
// (core::Lock::PhoneAccess): the certificate from the handshake, the static key the handshake
// proved, the request's op and arrival token. A result goes out once the bolt has stopped.
//
// A revocation list in the phone's hello (an admin's phone carrying it to a lock the hub cannot
// reach) is applied when it verifies and is newer, whoever carries it: it is signed by the home
// key, so a phone can bring it but not make one.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/phone_key.h"
#include "device/lock_runtime.h"
#include "link/phone_session.h"

namespace latchkey::device {

class PhoneDoor : public std::enable_shared_from_this<PhoneDoor> {
 public:
  struct Transport {
    std::function<void(link::PhoneFragment)> send;
    std::function<void(const std::string& reason)> close;  // called once; nothing follows
  };

  PhoneDoor(LockRuntime& runtime, link::PhoneSessionLock session, Transport transport);

  // One fragment from the phone.
  void OnFragment(std::span<const uint8_t> fragment);
  // The handshake is done (the phone proved its key).
  bool established() const { return established_; }
  bool closed() const { return closed_; }

 private:
  void Run(std::vector<link::PhoneSessionLock::Action> actions);
  void OnHello(const link::PhoneSessionLock::Hello& hello);
  void OnOperate(const link::PhoneSessionLock::Operate& operate);
  void Finish(const link::PhoneResponse& res);
  link::PhoneResult ResultNow() const;

  LockRuntime& runtime_;
  link::PhoneSessionLock session_;
  Transport transport_;
  crypto::NoisePublicKey phone_{};
  std::optional<core::PhoneKeyCert> cert_;
  std::string cert_error_;  // why the hello's certificate did not decode
  bool established_ = false;
  bool closed_ = false;
};

}  // namespace latchkey::device
