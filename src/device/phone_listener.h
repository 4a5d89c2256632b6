// The lock's phone listener over TCP (`latchkey lock --phone-listen ADDR`, PHONE-KEYS.md 2):
// the same session and fragments as over BLE, each fragment preceded by its 2-byte big-endian
// length, for the CLI phone, tests and wired installations.
//
// One attacker cannot keep phones away (SECURITY.md): handshakes are admitted per source and in
// total by link::Admission, as on the hub link (every phone handshake is an open one: anyone may
// start it and it costs the lock key agreements); established sessions are capped per source and
// in total, the oldest giving way; a session ends after 30 s without a fragment, on any error,
// or after 8 failed operations.
#pragma once

#include "platform/asio.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "crypto/noise_handshake.h"
#include "device/lock_runtime.h"
#include "link/admission.h"

namespace latchkey::device {

class PhoneListener {
 public:
  struct Limits {
    std::size_t max_sessions = 8;             // established sessions at once
    std::size_t max_sessions_per_source = 2;
    int64_t idle_ms = 30'000;                 // link::kPhoneSessionIdleMs
    // A phone at the door opens one session per operation and a person taps a few times at
    // most; 16 handshakes a second per source still bounds what one attacker costs the lock.
    link::Admission::Limits handshakes{.max_pending = 32, .max_pending_per_source = 4, .max_sources = 256,
                                       .open_per_source_per_s = 16, .open_per_s = 32};
  };

  PhoneListener(boost::asio::io_context& io, LockRuntime& runtime, const crypto::NoiseKeypair& static_key,
                std::string lock_id, Limits limits);
  PhoneListener(boost::asio::io_context& io, LockRuntime& runtime, const crypto::NoiseKeypair& static_key,
                std::string lock_id)
      : PhoneListener(io, runtime, static_key, std::move(lock_id), Limits{}) {}
  ~PhoneListener();

  core::Status Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  uint16_t port() const;

 private:
  class Connection;
  void Accept();
  void OnAccepted(boost::asio::ip::tcp::socket socket);
  // Connection `id` finished its handshake: it counts against the session caps now.
  void Established(uint64_t id);
  void Closed(uint64_t id, bool established, bool blame);

  boost::asio::io_context& io_;
  LockRuntime& runtime_;
  crypto::NoiseKeypair static_key_;
  std::string lock_id_;
  Limits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  link::Admission admission_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;
};

}  // namespace latchkey::device
