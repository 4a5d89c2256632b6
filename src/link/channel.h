// One encrypted link connection (LINK.md) over a TCP socket: the Noise handshake, then CBOR
// messages in ChaChaPoly transport frames. Both ends use it: the lock as responder, the hub as
// initiator. Any failure (a bad frame, a failed decryption, a handshake over 5 s, 60 s without
// traffic) closes the connection; there is no way to skip a message or retry a nonce.
//
// The channel runs on one io_context thread. Callbacks are called on that thread; the owner
// clears them (Detach) before it goes away.
#pragma once

#include "platform/asio.h"

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/noise_handshake.h"
#include "link/frame.h"
#include "link/message.h"

namespace latchkey::link {

inline constexpr std::string_view kPrologue = "latchkey-link-v1";
inline constexpr auto kHandshakeTimeout = std::chrono::seconds(5);
inline constexpr auto kIdleTimeout = std::chrono::seconds(60);

class Channel : public std::enable_shared_from_this<Channel> {
 public:
  struct Callbacks {
    // The handshake finished: return false to refuse the peer's static key (the channel closes).
    std::function<bool(const crypto::NoisePublicKey& peer)> on_established;
    std::function<void(Message message)> on_message;
    std::function<void(const std::string& why)> on_closed;
  };

  // `config.prologue` is set by the channel; `config.initiator` says which side starts.
  static std::shared_ptr<Channel> Create(boost::asio::ip::tcp::socket socket, crypto::HandshakeConfig config,
                                         Callbacks callbacks);
  ~Channel();

  void Start();
  // Encrypts and queues one message; ignored once closed. A message too large for one frame is
  // refused (kInvalid) and the connection stays up: the caller answers with a smaller one.
  core::Status Send(const Json& body);
  void Close(const std::string& why);
  // Closes once every queued message has been written.
  void CloseWhenFlushed(const std::string& why);
  void Detach() { callbacks_ = {}; }

  bool established() const { return transport_.has_value(); }
  bool closed() const { return closed_; }
  const std::string& peer_address() const { return peer_address_; }
  // Bytes of each frame received and sent, for tests that replay or tamper with them.
  std::function<void(std::span<const uint8_t> frame, bool outgoing)> frame_tap;

 private:
  Channel(boost::asio::ip::tcp::socket socket, crypto::HandshakeConfig config, Callbacks callbacks);
  void ReadMore();
  void OnFrame(std::vector<uint8_t> frame);
  void SendFrame(std::vector<uint8_t> payload);
  void WriteMore();
  void ArmIdle();
  void Established();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  crypto::HandshakeConfig config_;
  Callbacks callbacks_;
  std::optional<crypto::Handshake> handshake_;
  std::optional<crypto::TransportPair> transport_;
  FrameDecoder decoder_;
  std::array<uint8_t, 4096> read_buffer_{};
  std::deque<std::vector<uint8_t>> write_queue_;
  bool writing_ = false;
  bool closed_ = false;
  std::optional<std::string> close_when_flushed_;
  std::string peer_address_;
};

}  // namespace latchkey::link
