// The hub's end of one link connection (LINK.md): the Noise initiator (XXpsk3 to pair with a
// setup code, IK with the pinned lock key afterwards, XX when it knows neither), hello, requests with their answers,
// and the receiving half of store-and-forward: the new events of each `events` message are
// handed to the owner together, which must store them durably before they are acknowledged
// (one ack for the message); a seq already seen is ignored, and a gap asks the lock to resume. Used by the hub, the `latchkey link` debugging command and the tests.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/noise_handshake.h"
#include "link/channel.h"
#include "link/op_requests.h"
#include "link/setup_code.h"
#include "platform/asio.h"

namespace latchkey::link {

class LinkClient {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 0;
    crypto::NoiseKeypair hub_key;
    std::optional<crypto::NoisePublicKey> lock_key;  // the paired lock; required unless pairing
    std::optional<SetupCode> setup_code;             // pairing
    std::string hub_id = "hub";
    uint64_t acked_seq = 0;  // every event up to here is stored on the hub
    // Sets the lock's clock from ours after hello (LINK.md: on each connect).
    std::function<int64_t()> clock_ms;
  };
  struct Callbacks {
    // The session is up: the lock's static key (to pin after pairing) and its hello.
    std::function<void(const crypto::NoisePublicKey& lock_key, const Json& hello)> on_ready;
    // Store `events` durably, all of them in one go, and return how many are stored, from the
    // first (all of them, or fewer when one of them cannot be stored). They are the new events
    // of one `events` message: in seq order, each the next after the one before (or after a
    // gap the lock reported final). Only what is stored is acknowledged, after this returns;
    // fewer than all closes the connection, and the lock sends the rest again after the next
    // hello. When unset, on_event is called for each event instead.
    std::function<std::size_t(const std::vector<Json>& events)> on_events;
    // Store `event` durably and return true; false closes the connection unacknowledged.
    std::function<bool(const Json& event)> on_event;
    std::function<void(const Json& state)> on_state;
    std::function<void(const std::string& why)> on_closed;
  };
  using Done = std::function<void(Json response)>;  // {"ok":..., "result"|"error"}

  LinkClient(boost::asio::io_context& io, Options options, Callbacks callbacks);
  ~LinkClient();

  void Connect();
  void Close(const std::string& why = "closed by the hub");
  bool ready() const { return ready_; }
  // The lock took the TCP connection but closed it before the handshake finished: it refused to
  // start one (busy, or this address is backing off after a failed handshake, LINK.md), which
  // says nothing about the keys or the setup code; a later attempt may succeed.
  bool refused_before_handshake() const { return closed_ && connected_ && !handshake_done_; }
  uint64_t acked_seq() const { return acked_seq_; }
  // The lock's answer, or {"ok":false,"error":{"code":"lock_offline"|"lock_timeout"}}.
  void Request(const std::string& op, Json args, Done done,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The same with the op's request struct (op_requests.h), encoded as the lock decodes it:
  //   client.Request<Op::kSetTime>({.time = now_ms}, done)
  template <Op kOp>
  void Request(const RequestFor<kOp>& request, Done done,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    Request(std::string(ToString(kOp)), EncodeRequest(request), std::move(done), timeout);
  }
  // For tests of replay and tampering: every frame as it passes.
  std::function<void(std::span<const uint8_t> frame, bool outgoing)> frame_tap;

 private:
  struct Pending {
    Done done;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  void OnMessage(Message message);
  void OnEvents(const Json& events, uint64_t lock_first_seq);
  std::size_t Store(const std::vector<Json>& events);
  void Fail(const std::string& why);
  void Ping();

  boost::asio::io_context& io_;
  Options options_;
  Callbacks callbacks_;
  std::shared_ptr<Channel> channel_;
  boost::asio::steady_timer ping_timer_;
  std::map<uint64_t, Pending> pending_;
  uint64_t next_id_ = 1;
  uint64_t acked_seq_;
  bool ready_ = false;
  bool closed_ = false;
  bool connected_ = false;
  bool handshake_done_ = false;
  std::optional<crypto::NoisePublicKey> lock_key_seen_;
};

// {"ok":false,"error":{"code":code,"message":message}}
Json ErrorReply(std::string_view code, std::string_view message);

}  // namespace latchkey::link
