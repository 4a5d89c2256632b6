#include "link/link_client.h"

#include <algorithm>

#include "core/env.h"

namespace latchkey::link {

namespace asio = boost::asio;

namespace {
constexpr auto kPingEvery = std::chrono::seconds(20);
}

Json ErrorReply(std::string_view code, std::string_view message) {
  return Json{{"ok", false}, {"error", {{"code", std::string(code)}, {"message", std::string(message)}}}};
}

LinkClient::LinkClient(asio::io_context& io, Options options, Callbacks callbacks)
    : io_(io),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      ping_timer_(io),
      acked_seq_(options_.acked_seq) {}

LinkClient::~LinkClient() {
  callbacks_ = {};
  if (channel_) {
    channel_->Detach();
    channel_->Close("client gone");
  }
  for (auto& [id, pending] : pending_) pending.timer->cancel();
}

void LinkClient::Connect() {
  auto socket = std::make_shared<asio::ip::tcp::socket>(io_);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options_.host, ec);
  if (ec) return asio::post(io_, [this] { Fail("bad lock address"); });
  socket->async_connect(asio::ip::tcp::endpoint(address, options_.port), [this, socket](const boost::system::error_code& cec) {
    if (closed_) return;
    if (cec) return Fail("cannot connect: " + cec.message());
    connected_ = true;
    crypto::HandshakeConfig config;
    config.initiator = true;
    config.s = options_.hub_key;
    if (options_.setup_code) {
      config.pattern = crypto::NoisePattern::kXXpsk3;
      config.psk = PairingPsk(*options_.setup_code);
    } else if (options_.lock_key) {
      // IK: our static key travels in the first message, so that a lock under a flood of
      // handshakes knows its paired hub before it spends anything else (docs/link.md).
      config.pattern = crypto::NoisePattern::kIK;
      config.rs = options_.lock_key;
    } else {
      config.pattern = crypto::NoisePattern::kXX;
    }
    Channel::Callbacks callbacks;
    callbacks.on_established = [this](const crypto::NoisePublicKey& peer) {
      handshake_done_ = true;
      if (options_.lock_key && !core::ConstantTimeEqual(*options_.lock_key, peer)) return false;
      lock_key_seen_ = peer;
      (void)channel_->Send(Json{{"t", "hello"}, {"v", kProtocolVersion}, {"id", options_.hub_id}, {"acked_seq", acked_seq_}});
      return true;
    };
    callbacks.on_message = [this](Message message) { OnMessage(std::move(message)); };
    callbacks.on_closed = [this](const std::string& why) { Fail(why); };
    channel_ = Channel::Create(std::move(*socket), std::move(config), std::move(callbacks));
    channel_->frame_tap = frame_tap;
    channel_->Start();
  });
}

void LinkClient::Close(const std::string& why) {
  if (channel_) channel_->Close(why);
  else Fail(why);
}

void LinkClient::Fail(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  ready_ = false;
  ping_timer_.cancel();
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, p] : pending) {
    p.timer->cancel();
    p.done(ErrorReply("lock_offline", "the link closed: " + why));
  }
  if (callbacks_.on_closed) callbacks_.on_closed(why);
}

void LinkClient::Ping() {
  ping_timer_.expires_after(kPingEvery);
  ping_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || closed_ || !channel_) return;
    (void)channel_->Send(Json{{"t", "ping"}});
    Ping();
  });
}

void LinkClient::Request(const std::string& op, Json args, Done done, std::chrono::milliseconds timeout) {
  if (!ready_ || closed_) return done(ErrorReply("lock_offline", "the lock is not connected"));
  const uint64_t id = next_id_++;
  Json request{{"t", "req"}, {"id", id}, {"op", op}, {"args", std::move(args)}};
  // What the lock would refuse (over a frame, nested too deep) is refused here, without
  // dropping the link for everyone.
  if (!DecodeMessage(EncodeMessage(request)).ok() || EncodeMessage(request).size() + 16 > kMaxFrame) {
    return done(ErrorReply("invalid", "the request is too large or nested too deep for the lock"));
  }
  auto timer = std::make_unique<asio::steady_timer>(io_);
  timer->expires_after(timeout);
  timer->async_wait([this, id](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Done d = std::move(it->second.done);
    pending_.erase(it);
    d(ErrorReply("lock_timeout", "the lock did not answer in time"));
  });
  pending_.emplace(id, Pending{std::move(done), std::move(timer)});
  (void)channel_->Send(request);  // checked above to fit
}

void LinkClient::OnMessage(Message message) {
  const Json& body = message.body;
  switch (message.type) {
    case MessageType::kHello: {
      if (!body.contains("v") || !body["v"].is_number_unsigned() || body["v"].get<uint64_t>() != kProtocolVersion) {
        return Close("the lock speaks another protocol version");
      }
      ready_ = true;
      Ping();
      if (callbacks_.on_ready && lock_key_seen_) callbacks_.on_ready(*lock_key_seen_, body);
      if (options_.clock_ms && ready_) {
        Request<Op::kSetTime>({.time = options_.clock_ms()}, [](Json) {});
      }
      return;
    }
    case MessageType::kRes: {
      if (!body.contains("id") || !body["id"].is_number_unsigned()) return Close("response without id");
      auto it = pending_.find(body["id"].get<uint64_t>());
      if (it == pending_.end()) return;  // answered after its timeout
      Done done = std::move(it->second.done);
      it->second.timer->cancel();
      pending_.erase(it);
      Json response = body;
      response.erase("t");
      response.erase("id");
      done(std::move(response));
      return;
    }
    case MessageType::kState:
      if (callbacks_.on_state) callbacks_.on_state(body);
      return;
    case MessageType::kEvents:
      if (!body.contains("events") || !body["events"].is_array()) return Close("events without a list");
      return OnEvents(body["events"], body.contains("first_seq") && body["first_seq"].is_number_unsigned()
                                          ? body["first_seq"].get<uint64_t>()
                                          : 0);
    case MessageType::kPing:
      (void)channel_->Send(Json{{"t", "pong"}});
      return;
    case MessageType::kPong:
      return;
    default:
      return Close(std::string("a lock does not send ") + std::string(ToString(message.type)));
  }
}

void LinkClient::OnEvents(const Json& events, uint64_t lock_first_seq) {
  // The new events that follow on from what is stored, up to the first that ends the message
  // early: they are stored together (one durable write for the message, not one per event)
  // and acknowledged with one ack. What ends it is then handled as it always was, after the
  // events before it are stored: exactly what storing them one at a time did.
  enum class End { kAll, kNoSeq, kGap } end = End::kAll;
  std::vector<Json> run;
  uint64_t through = acked_seq_;  // the last seq of `run`, or acked_seq_
  for (const Json& event : events) {
    if (!event.is_object() || !event.contains("seq") || !event["seq"].is_number_unsigned()) {
      end = End::kNoSeq;
      break;
    }
    const uint64_t seq = event["seq"].get<uint64_t>();
    if (seq <= through) continue;  // already stored (or earlier in this message): exactly once
    // Events before the lock's first_seq are gone from it for good: take the gap.
    const bool final_gap = lock_first_seq > through + 1 && seq >= lock_first_seq;
    if (seq != through + 1 && !final_gap) {
      // A gap: the events between were lost on the way (or overwritten on the lock, which then
      // sends events_lost). Ask again from what we have.
      end = End::kGap;
      break;
    }
    run.push_back(event);
    through = seq;
  }
  const uint64_t before = acked_seq_;
  if (!run.empty()) {
    const std::size_t stored = std::min(Store(run), run.size());
    if (stored > 0) acked_seq_ = run[stored - 1]["seq"].get<uint64_t>();
    // Not acknowledged here: the next hello carries acked_seq_ (what is stored), and the lock
    // sends the rest again from there.
    if (stored < run.size()) return Close("an event could not be stored");
  }
  if (end == End::kNoSeq) return Close("event without seq");
  if (acked_seq_ > before) (void)channel_->Send(Json{{"t", "ack"}, {"seq", acked_seq_}});
  if (end == End::kGap) (void)channel_->Send(Json{{"t", "resume"}, {"after", acked_seq_}});
}

std::size_t LinkClient::Store(const std::vector<Json>& events) {
  if (callbacks_.on_events) return callbacks_.on_events(events);
  std::size_t stored = 0;
  while (stored < events.size() && callbacks_.on_event && callbacks_.on_event(events[stored])) ++stored;
  return stored;
}

}  // namespace latchkey::link
