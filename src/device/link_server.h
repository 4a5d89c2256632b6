// The lock's end of the link (LINK.md): it accepts hub connections on TCP, runs the Noise
// responder (XXpsk3 with the setup code while unpaired; IK, or XX, with the pinned hub key once
// paired), answers requests through LockOps, and streams its event log with store-and-forward:
// every event is sent as it is logged and again, from the first one the hub has not
// acknowledged, after every reconnect.
//
// No peer can keep the paired hub out (SECURITY.md, docs/link.md "Admission"): the accept loop
// never pauses; link::Admission caps the connections that handshake, per source and in total,
// and backs off per source; the paired hub's IK first message names it before the lock spends
// more than one key agreement on anyone, and is exempt from the open-handshake rate and
// back-off. An IK session replaces the current one only once its first transport message
// decrypts, so a replayed IK message can neither take the hub's place nor push it out.
#pragma once

#include "platform/asio.h"

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "crypto/noise_handshake.h"
#include "device/lock_ops.h"
#include "device/lock_runtime.h"
#include "link/admission.h"
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

  // The lock's runtime calls these for each stored event and state change. An event that is
  // the next the hub should get, and the last one stored, goes out from memory; anything else
  // (a backlog, several events of one change) is read back from the store in order.
  void OnEvent(const core::Event& event);
  void OnStatus(const core::LockStatus& status);
  // The simulated lock's sim-control secret: sent to the paired hub (only) in each `state`
  // message, so that the hub can reach the sim-control server while the link is cut.
  void set_sim_control_secret(std::string secret) { sim_control_secret_ = std::move(secret); }

 private:
  // A connection that is not the session yet: handshaking, or (IK) waiting for its first
  // transport message.
  struct Pending {
    std::weak_ptr<link::Channel> channel;
    bool ik = false;
    // What its closing means for its source (kEvicted when we refused it before any work).
    link::Admission::Outcome outcome = link::Admission::Outcome::kFailed;
  };
  void Accept();
  void OnAccepted(boost::asio::ip::tcp::socket socket);
  core::Result<crypto::HandshakeConfig> ChooseHandshake(uint64_t id, std::span<const uint8_t> first_message);
  void OnChannelEstablished(uint64_t id, const std::shared_ptr<link::Channel>& channel);
  void Promote(uint64_t id, const std::shared_ptr<link::Channel>& channel);
  void ClosePending(uint64_t id, link::Admission::Outcome outcome, const std::string& why);
  void SweepPending();
  void OnMessage(const std::shared_ptr<link::Channel>& channel, link::Message message);
  void PumpEvents();
  // One `events` message; `batch` is the next run after sent_through_.
  void SendEvents(std::span<const core::Event> batch);
  void SendState();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer sweep_timer_;
  boost::asio::steady_timer accept_retry_timer_;
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
  std::string sim_control_secret_;
  link::Admission admission_;
  std::map<uint64_t, Pending> pending_;
  uint64_t next_id_ = 1;
  int failed_since_report_ = 0;
  std::chrono::steady_clock::time_point last_failure_report_{};
};

}  // namespace latchkey::device
