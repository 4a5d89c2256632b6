#include "device/link_server.h"

#include <spdlog/spdlog.h>

#include "link/op_answers.h"
#include "wire/event_forms.h"
#include "wire/json_codec.h"
#include "wire/state_forms.h"
#include "wire/json_fields.h"

namespace latchkey::device {

namespace asio = boost::asio;
using link::Json;

namespace {

constexpr const char* kHubKeyMeta = "hub_static_key";
// More requests than this in flight are answered `busy` at once (the link stays up: the hub
// must never be able to make the lock drop it, SECURITY.md); the hub queues before this.
constexpr int kMaxInFlight = 32;
constexpr std::size_t kEventsPerMessage = 24;  // stays well under the 16 KiB frame
// The first handshake message tells the patterns apart (payloads are empty): XX starts with the
// ephemeral key alone; XXpsk3 adds the empty payload's tag (a PSK handshake mixes `e` into the
// key, so its first payload is encrypted); IK adds the encrypted static key and the payload's tag.
constexpr std::size_t kOpenFirstMessage = crypto::kNoiseDhLen;
constexpr std::size_t kPairingFirstMessage = crypto::kNoiseDhLen + crypto::kNoiseTagLen;
constexpr std::size_t kIkFirstMessage = crypto::kNoiseDhLen + (crypto::kNoiseDhLen + crypto::kNoiseTagLen) +
                                        crypto::kNoiseTagLen;
constexpr auto kSweepEvery = std::chrono::seconds(1);
constexpr auto kFailureReportEvery = std::chrono::seconds(10);

}  // namespace

LinkServer::LinkServer(asio::io_context& io, LockRuntime& runtime, LockOps& ops, store::SqliteLockStore& store,
                       const crypto::NoiseKeypair& static_key, const link::SetupCode& setup_code, std::string lock_id)
    : io_(io),
      acceptor_(io),
      sweep_timer_(io),
      accept_retry_timer_(io),
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
  for (auto& [id, pending] : pending_) {
    if (auto channel = pending.channel.lock()) {
      channel->Detach();
      channel->Close("lock stopping");
    }
  }
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
  SweepPending();
  return core::Status::Ok();
}

uint16_t LinkServer::port() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void LinkServer::Accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors or the like: try again shortly instead of spinning.
      accept_retry_timer_.expires_after(std::chrono::milliseconds(100));
      accept_retry_timer_.async_wait([this](const boost::system::error_code& wait_ec) {
        if (!wait_ec) Accept();
      });
      return;
    }
    OnAccepted(std::move(socket));
    // Never paused: who may handshake is decided per connection and per source
    // (link::Admission), so that one peer's failures cannot hold up anyone else's accept.
    Accept();
  });
}

void LinkServer::OnAccepted(asio::ip::tcp::socket socket) {
  if (!network_up_) return;  // the simulated cable is cut: the connection just drops
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) return;
  const uint64_t id = next_id_++;
  for (uint64_t victim : admission_.Accepted(id, remote.address().to_string(), std::chrono::steady_clock::now())) {
    ClosePending(victim, link::Admission::Outcome::kEvicted, "too many handshakes at once");
  }
  crypto::HandshakeConfig config;  // chosen from the first message (ChooseHandshake)
  config.initiator = false;
  auto channel_holder = std::make_shared<std::weak_ptr<link::Channel>>();
  link::Channel::Callbacks callbacks;
  callbacks.choose_handshake = [this, id](std::span<const uint8_t> first) { return ChooseHandshake(id, first); };
  callbacks.on_peer_key = [this, id](const crypto::NoisePublicKey& peer) {
    if (!hub_key_) return true;  // pairing: the setup code is the proof
    if (!core::ConstantTimeEqual(*hub_key_, peer)) return false;
    admission_.Identified(id);
    return true;
  };
  callbacks.on_established = [this, id, channel_holder](const crypto::NoisePublicKey& peer) {
    auto channel = channel_holder->lock();
    if (!channel) return false;
    if (hub_key_) {
      if (!core::ConstantTimeEqual(*hub_key_, peer)) {
        spdlog::warn("link: {} is not the paired hub", channel->peer_address());
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
    OnChannelEstablished(id, channel);
    return true;
  };
  callbacks.on_message = [this, id, channel_holder](link::Message message) {
    auto channel = channel_holder->lock();
    if (!channel) return;
    // An IK session proves it is live (not a replayed first message) with its first message.
    if (pending_.contains(id)) Promote(id, channel);
    OnMessage(channel, std::move(message));
  };
  callbacks.on_closed = [this, id, channel_holder](const std::string& why) {
    auto channel = channel_holder->lock();
    if (channel && channel == session_) {
      spdlog::info("link: hub disconnected: {}", why);
      session_.reset();
      hello_done_ = false;
      in_flight_ = 0;
      return;
    }
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    const link::Admission::Outcome outcome = it->second.outcome;
    pending_.erase(it);
    admission_.Done(id, outcome, std::chrono::steady_clock::now());
    // Debug only: a flood would fill the log; SweepPending reports a count instead.
    if (outcome == link::Admission::Outcome::kFailed) ++failed_since_report_;
    spdlog::debug("link: handshake from {} failed: {}", channel ? channel->peer_address() : "?", why);
  };
  auto channel = link::Channel::Create(std::move(socket), std::move(config), std::move(callbacks));
  *channel_holder = channel;
  pending_.emplace(id, Pending{channel});
  channel->Start();
}

core::Result<crypto::HandshakeConfig> LinkServer::ChooseHandshake(uint64_t id, std::span<const uint8_t> first) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return core::Status::Invalid("not pending");
  crypto::HandshakeConfig config;
  config.initiator = false;
  config.s = static_key_;
  if (first.size() == kIkFirstMessage) {
    // The paired hub's lane: no rate or back-off applies, since a sender that does not hold the
    // hub's private key fails on this very message (on_peer_key), after one key agreement.
    if (!hub_key_) return core::Status::Invalid("IK before pairing");
    it->second.ik = true;
    config.pattern = crypto::NoisePattern::kIK;
    return config;
  }
  if (first.size() != (hub_key_ ? kOpenFirstMessage : kPairingFirstMessage)) {
    return core::Status::Invalid("not the first message of a link handshake");
  }
  if (!admission_.MayStartOpen(id, std::chrono::steady_clock::now())) {
    it->second.outcome = link::Admission::Outcome::kEvicted;  // refused, not failed: no more back-off
    return core::Status::Invalid("too many handshakes from this address; try again later");
  }
  if (hub_key_) {
    config.pattern = crypto::NoisePattern::kXX;
  } else {
    config.pattern = crypto::NoisePattern::kXXpsk3;
    config.psk = link::PairingPsk(setup_code_);
  }
  return config;
}

void LinkServer::OnChannelEstablished(uint64_t id, const std::shared_ptr<link::Channel>& channel) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  if (!it->second.ik) return Promote(id, channel);  // XX: the hub's last message proved it live
  // IK: our hello now (only the real hub can read it), the session once the hub's first
  // message decrypts.
  core::Lock& lock = runtime_.lock();
  (void)channel->Send(link::Hello(lock_id_, wire::EncodeCapabilities(wire::Form::kLink, lock.capabilities()), lock.last_seq(), true));
}

void LinkServer::Promote(uint64_t id, const std::shared_ptr<link::Channel>& channel) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  const bool hello_sent = it->second.ik;
  pending_.erase(it);
  admission_.Done(id, link::Admission::Outcome::kSession, std::chrono::steady_clock::now());
  if (session_) {
    session_->Detach();
    session_->Close("replaced by a new connection");
  }
  session_ = channel;
  hello_done_ = false;
  in_flight_ = 0;
  if (!hello_sent) {
    core::Lock& lock = runtime_.lock();
    (void)session_->Send(link::Hello(lock_id_, wire::EncodeCapabilities(wire::Form::kLink, lock.capabilities()), lock.last_seq(), true));
  }
}

void LinkServer::ClosePending(uint64_t id, link::Admission::Outcome outcome, const std::string& why) {
  admission_.Done(id, outcome, std::chrono::steady_clock::now());
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  auto channel = it->second.channel.lock();
  pending_.erase(it);  // first: the channel's on_closed then finds nothing to count
  if (channel) channel->Close(why);
}

void LinkServer::SweepPending() {
  // The handshake deadline covers an IK session that never speaks, too (the channel's own 5 s
  // timer ends when its handshake does).
  const auto now = std::chrono::steady_clock::now();
  for (uint64_t id : admission_.AcceptedBefore(now - link::kHandshakeTimeout)) {
    ClosePending(id, link::Admission::Outcome::kFailed, "handshake not finished in 5 s");
  }
  if (now - last_failure_report_ >= kFailureReportEvery) {
    if (failed_since_report_ > 0) {
      spdlog::warn("link: {} handshakes failed in the last {} s ({} pending, {} sources tracked)", failed_since_report_,
                   std::chrono::duration_cast<std::chrono::seconds>(now - last_failure_report_).count(),
                   admission_.pending(), admission_.sources());
    }
    failed_since_report_ = 0;
    last_failure_report_ = now;
  }
  sweep_timer_.expires_after(kSweepEvery);
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) SweepPending();
  });
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
      if (in_flight_ >= kMaxInFlight) {
        (void)channel->Send(link::ErrorResponse(*id, "busy", "more than 32 requests in flight; send it again once one is answered"));
        return;
      }
      ++in_flight_;
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
  std::vector<core::Event> batch;
  while (sent_through_ < runtime_.lock().last_seq()) {
    if (!store_.ReadEvents(sent_through_, kEventsPerMessage, &batch).ok() || batch.empty()) break;
    SendEvents(batch);
  }
}

void LinkServer::OnEvent(const core::Event& event) {
  if (!session_ || !hello_done_) return;
  if (event.seq != sent_through_ + 1 || event.seq != runtime_.lock().last_seq()) return PumpEvents();
  SendEvents(std::span(&event, 1));
}

void LinkServer::SendEvents(std::span<const core::Event> batch) {
  Json events = Json::array();
  for (const auto& e : batch) events.push_back(wire::EncodeEvent(wire::Form::kLink, e));
  // first_seq tells the hub which gaps are final (overwritten on the lock, see events_lost).
  (void)session_->Send(Json{{"t", "events"}, {"events", std::move(events)}, {"first_seq", runtime_.lock().first_seq()}});
  sent_through_ = batch.back().seq;
}

void LinkServer::OnStatus(const core::LockStatus&) { SendState(); }

void LinkServer::SendState() {
  if (!session_ || !hello_done_) return;
  link::StateAnswer state = ops_.State();
  // Only here, never in get_state or the sim-control server's own GET /state: the paired hub
  // alone learns it, over the encrypted link.
  if (!sim_control_secret_.empty()) state.sim_control_secret = sim_control_secret_;
  Json message = link::StateAnswer::Fields().Encode(state);
  message["t"] = "state";
  (void)session_->Send(message);
}

void LinkServer::SetNetwork(bool connected) {
  network_up_ = connected;
  if (!connected) {
    std::vector<uint64_t> ids;
    for (const auto& [id, pending] : pending_) ids.push_back(id);
    for (uint64_t id : ids) ClosePending(id, link::Admission::Outcome::kEvicted, "network cut");
  }
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
