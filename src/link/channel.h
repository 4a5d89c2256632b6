// One encrypted link connection (LINK.md) over a TCP socket: the Noise handshake, then CBOR
// messages in ChaChaPoly transport frames. Both ends use it: the lock as responder, the hub as
// initiator. Any failure (a bad frame, a failed decryption, a handshake over 5 s, 60 s without
// traffic) closes the connection; there is no way to skip a message or retry a nonce.
//
// A responder may leave the pattern open until the first handshake message arrives
// (Callbacks::choose_handshake): the lock tells a paired hub's IK message from the XX and XXpsk3
// ones by its length, and decides per source whether to start the costlier open handshake.
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
    // Responder only, optional: called with the first handshake message, before any work on it;
    // returns the handshake to run (`prologue` and `initiator` are set by the channel) or an
    // error, which closes the connection with that reason. Unset: the config given to Create.
    std::function<core::Result<crypto::HandshakeConfig>(std::span<const uint8_t> first_message)> choose_handshake;
    // Optional: the peer's static key is known and we have not answered yet (an IK responder
    // learns it from the first message, XX from the last); false closes the connection before
    // anything more is computed or sent.
    std::function<bool(const crypto::NoisePublicKey& peer)> on_peer_key;
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
  bool StartHandshake();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  crypto::HandshakeConfig config_;
  Callbacks callbacks_;
  std::optional<crypto::Handshake> handshake_;
  bool peer_key_checked_ = false;
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
