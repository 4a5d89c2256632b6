// The lock's end of the link (LINK.md): it accepts hub connections on TCP, runs the Noise
// responder (XXpsk3 with the setup code while unpaired, XX with the pinned hub key once paired),
// answers requests through LockOps, and streams its event log with store-and-forward: every
// event is sent as it is logged and again, from the first one the hub has not acknowledged,
// after every reconnect.
#pragma once

#include "platform/asio.h"

#include <memory>
#include <optional>
#include <string>

#include "crypto/noise_handshake.h"
#include "device/lock_ops.h"
#include "device/lock_runtime.h"
#include "link/channel.h"
#include "link/setup_code.h"
#include "store/sqlite_lock_store.h"

namespace latchkey::device {

class LinkServer {
 public:
  LinkServer(boost::asio::io_context& io, LockRuntime& runtime, LockOps& ops, store::SqliteLockStore& store,
             const crypto::NoiseKeypair& static_key, const link::SetupCode& setup_code, std::string lock_id);
  ~LinkServer();

  core::Status Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  uint16_t port() const;
  bool paired() const { return hub_key_.has_value(); }

  // The simulated network: while cut, the session is dropped and new connections are refused.
  void SetNetwork(bool connected);
  // Forget the hub: the session ends and pairing with the setup code is open again.
  void Unpair();

  // The lock's runtime calls these for each stored event and state change.
  void OnEvent();
  void OnStatus(const core::LockStatus& status);

 private:
  void Accept();
  void OnAccepted(boost::asio::ip::tcp::socket socket);
  bool OnEstablished(const std::shared_ptr<link::Channel>& channel, const crypto::NoisePublicKey& peer);
  void OnMessage(const std::shared_ptr<link::Channel>& channel, link::Message message);
  void OnHandshakeFailed();
  void PumpEvents();
  void SendState();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_timer_;
  LockRuntime& runtime_;
  LockOps& ops_;
  store::SqliteLockStore& store_;
  crypto::NoiseKeypair static_key_;
  link::SetupCode setup_code_;
  std::string lock_id_;
  std::optional<crypto::NoisePublicKey> hub_key_;

  std::shared_ptr<link::Channel> session_;  // the authenticated hub, if any
  bool hello_done_ = false;
  uint64_t sent_through_ = 0;
  int in_flight_ = 0;
  bool network_up_ = true;
  // Handshake rate limiting: a failed handshake doubles the pause before the next accept.
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point window_start_{};
  int handshakes_in_window_ = 0;
};

}  // namespace latchkey::device
