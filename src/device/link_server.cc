#include "device/link_server.h"

#include <spdlog/spdlog.h>

#include "wire/json_codec.h"
#include "wire/json_fields.h"

namespace latchkey::device {

namespace asio = boost::asio;
using link::Json;

namespace {

constexpr const char* kHubKeyMeta = "hub_static_key";
constexpr int kMaxInFlight = 32;
constexpr int kHandshakesPerSecond = 4;
constexpr auto kMaxBackoff = std::chrono::milliseconds(8000);
constexpr std::size_t kEventsPerMessage = 24;  // stays well under the 16 KiB frame

}  // namespace

LinkServer::LinkServer(asio::io_context& io, LockRuntime& runtime, LockOps& ops, store::SqliteLockStore& store,
                       const crypto::NoiseKeypair& static_key, const link::SetupCode& setup_code, std::string lock_id)
    : io_(io),
      acceptor_(io),
      backoff_timer_(io),
      runtime_(runtime),
      ops_(ops),
      store_(store),
      static_key_(static_key),
      setup_code_(setup_code),
      lock_id_(std::move(lock_id)) {
  auto stored = store_.GetMeta(kHubKeyMeta);
  if (stored.ok() && stored->has_value()) {
    crypto::NoisePublicKey key{};
    if (wire::FromHex(**stored, key)) hub_key_ = key;
  }
}

LinkServer::~LinkServer() {
  if (session_) {
    session_->Detach();
    session_->Close("lock stopping");
  }
}

core::Status LinkServer::Listen(const asio::ip::tcp::endpoint& endpoint) {
  const boost::system::error_code ec = platform::OpenAcceptor(acceptor_, endpoint);
  if (ec) return core::Status::IoError("cannot listen on " + endpoint.address().to_string() + ":" +
                                       std::to_string(endpoint.port()) + ": " + ec.message());
  Accept();
  return core::Status::Ok();
}

uint16_t LinkServer::port() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void LinkServer::Accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) OnAccepted(std::move(socket));
    // A failed handshake makes the next accept wait (brute force over the air is pointless
    // against a 128-bit code, but a flood of handshakes must not starve the lock).
    if (backoff_.count() > 0) {
      backoff_timer_.expires_after(backoff_);
      backoff_timer_.async_wait([this](const boost::system::error_code& wait_ec) {
        if (!wait_ec) Accept();
      });
    } else {
      Accept();
    }
  });
}

void LinkServer::OnAccepted(asio::ip::tcp::socket socket) {
  if (!network_up_) return;  // the simulated cable is cut: the connection just drops
  const auto now = std::chrono::steady_clock::now();
  if (now - window_start_ >= std::chrono::seconds(1)) {
    window_start_ = now;
    handshakes_in_window_ = 0;
  }
  if (++handshakes_in_window_ > kHandshakesPerSecond) {
    spdlog::warn("link: too many handshakes, dropping a connection");
    return;
  }
  crypto::HandshakeConfig config;
  config.initiator = false;
  config.s = static_key_;
  if (hub_key_) {
    config.pattern = crypto::NoisePattern::kXX;
  } else {
    config.pattern = crypto::NoisePattern::kXXpsk3;
    config.psk = link::PairingPsk(setup_code_);
  }
  auto channel_holder = std::make_shared<std::weak_ptr<link::Channel>>();
  link::Channel::Callbacks callbacks;
  callbacks.on_established = [this, channel_holder](const crypto::NoisePublicKey& peer) {
    auto channel = channel_holder->lock();
    return channel && OnEstablished(channel, peer);
  };
  callbacks.on_message = [this, channel_holder](link::Message message) {
    if (auto channel = channel_holder->lock()) OnMessage(channel, std::move(message));
  };
  callbacks.on_closed = [this, channel_holder](const std::string& why) {
    auto channel = channel_holder->lock();
    if (channel && channel == session_) {
      spdlog::info("link: hub disconnected: {}", why);
      session_.reset();
      hello_done_ = false;
      in_flight_ = 0;
    } else if (channel && !channel->established()) {
      spdlog::warn("link: handshake from {} failed: {}", channel->peer_address(), why);
      OnHandshakeFailed();
    }
  };
  auto channel = link::Channel::Create(std::move(socket), std::move(config), std::move(callbacks));
  *channel_holder = channel;
  channel->Start();
}

void LinkServer::OnHandshakeFailed() {
  backoff_ = std::min(kMaxBackoff, backoff_.count() == 0 ? std::chrono::milliseconds(250) : backoff_ * 2);
}

bool LinkServer::OnEstablished(const std::shared_ptr<link::Channel>& channel, const crypto::NoisePublicKey& peer) {
  if (hub_key_) {
    if (!core::ConstantTimeEqual(*hub_key_, peer)) {
      spdlog::warn("link: {} is not the paired hub", channel->peer_address());
      OnHandshakeFailed();
      return false;
    }
  } else {
    // Pairing: the setup code proved itself; remember this hub and close pairing.
    const core::Status stored = store_.PutMeta(kHubKeyMeta, wire::ToHex(peer));
    if (!stored.ok()) {
      spdlog::error("link: cannot store the hub's key: {}", stored.ToString());
      return false;
    }
    hub_key_ = peer;
    spdlog::info("link: paired with hub {}", wire::ToHex(std::span(peer).first(8)));
  }
  backoff_ = std::chrono::milliseconds(0);
  if (session_) {
    session_->Detach();
    session_->Close("replaced by a new connection");
  }
  session_ = channel;
  hello_done_ = false;
  in_flight_ = 0;
  core::Lock& lock = runtime_.lock();
  (void)session_->Send(link::Hello(lock_id_, wire::CapabilitiesToJson(lock.capabilities()), lock.last_seq(), true));
  return true;
}

void LinkServer::OnMessage(const std::shared_ptr<link::Channel>& channel, link::Message message) {
  if (channel != session_) return;
  wire::JsonFields f(message.body, "message");
  switch (message.type) {
    case link::MessageType::kHello: {
      const auto version = f.Uint("v", 0, UINT32_MAX, true);
      const auto acked = f.Uint("acked_seq", 0, UINT64_MAX, true);
      if (!f.ok()) return channel->Close("bad hello: " + f.status().message());
      if (*version != link::kProtocolVersion) {
        spdlog::error("link: the hub speaks protocol version {}, this lock speaks {}", *version, link::kProtocolVersion);
        return channel->Close("unknown protocol version");
      }
      core::Lock& lock = runtime_.lock();
      if (*acked > lock.acked_seq() && *acked <= lock.last_seq()) (void)lock.AckEvents(*acked);
      sent_through_ = std::min<uint64_t>(*acked, lock.last_seq());
      hello_done_ = true;
      SendState();
      PumpEvents();
      return;
    }
    case link::MessageType::kReq: {
      const auto id = f.Uint("id", 0, UINT64_MAX, true);
      const auto op = f.Str("op", true, 64);
      if (!f.ok()) return channel->Close("bad request: " + f.status().message());
      if (!hello_done_) return channel->Close("request before hello");
      if (++in_flight_ > kMaxInFlight) return channel->Close("more than 32 requests in flight");
      const Json args = message.body.contains("args") ? message.body["args"] : Json::object();
      std::weak_ptr<link::Channel> weak = channel;
      ops_.Handle(*op, args, [this, weak, id = *id](Json response) {
        auto ch = weak.lock();
        if (!ch || ch != session_) return;
        --in_flight_;
        response["t"] = "res";
        response["id"] = id;
        if (!ch->Send(response).ok()) {
          // An answer over one frame (a very long user list, say): say so instead.
          (void)ch->Send(link::ErrorResponse(id, "too_large", "the answer does not fit one link frame"));
        }
      });
      return;
    }
    case link::MessageType::kAck: {
      const auto seq = f.Uint("seq", 0, UINT64_MAX, true);
      if (!f.ok()) return channel->Close("bad ack");
      core::Lock& lock = runtime_.lock();
      if (*seq > lock.last_seq()) return channel->Close("ack beyond the log");
      if (*seq > lock.acked_seq()) (void)lock.AckEvents(*seq);
      return;
    }
    case link::MessageType::kResume: {
      const auto after = f.Uint("after", 0, UINT64_MAX, true);
      if (!f.ok()) return channel->Close("bad resume");
      sent_through_ = std::min<uint64_t>(*after, runtime_.lock().last_seq());
      PumpEvents();
      return;
    }
    case link::MessageType::kPing:
      (void)channel->Send(Json{{"t", "pong"}});
      return;
    case link::MessageType::kPong:
      return;
    default:
      return channel->Close(std::string("a hub does not send ") + std::string(link::ToString(message.type)));
  }
}

void LinkServer::PumpEvents() {
  if (!session_ || !hello_done_) return;
  core::Lock& lock = runtime_.lock();
  std::vector<core::Event> batch;
  while (sent_through_ < lock.last_seq()) {
    if (!store_.ReadEvents(sent_through_, kEventsPerMessage, &batch).ok() || batch.empty()) break;
    Json events = Json::array();
    for (const auto& e : batch) events.push_back(wire::EventToJson(e));
    // first_seq tells the hub which gaps are final (overwritten on the lock, see events_lost).
    (void)session_->Send(Json{{"t", "events"}, {"events", std::move(events)}, {"first_seq", lock.first_seq()}});
    sent_through_ = batch.back().seq;
  }
}

void LinkServer::OnEvent() { PumpEvents(); }

void LinkServer::OnStatus(const core::LockStatus&) { SendState(); }

void LinkServer::SendState() {
  if (!session_ || !hello_done_) return;
  Json state = ops_.StateJson();
  state["t"] = "state";
  (void)session_->Send(state);
}

void LinkServer::SetNetwork(bool connected) {
  network_up_ = connected;
  if (!connected && session_) {
    // The cut comes after the answer to whoever cut it (possibly this very hub).
    auto session = session_;
    asio::post(io_, [session] { session->CloseWhenFlushed("network cut"); });
  }
}

void LinkServer::Unpair() {
  (void)store_.DeleteMeta(kHubKeyMeta);
  hub_key_.reset();
  if (session_) {
    auto session = session_;
    // Answer first, then hang up: the reply to `unpair` is queued after this returns.
    asio::post(io_, [session] { session->CloseWhenFlushed("unpaired"); });
  }
}

}  // namespace latchkey::device
