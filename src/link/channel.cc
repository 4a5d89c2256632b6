#include "link/channel.h"

namespace latchkey::link {

namespace asio = boost::asio;

std::shared_ptr<Channel> Channel::Create(asio::ip::tcp::socket socket, crypto::HandshakeConfig config,
                                         Callbacks callbacks) {
  return std::shared_ptr<Channel>(new Channel(std::move(socket), std::move(config), std::move(callbacks)));
}

Channel::Channel(asio::ip::tcp::socket socket, crypto::HandshakeConfig config, Callbacks callbacks)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      config_(std::move(config)),
      callbacks_(std::move(callbacks)) {
  boost::system::error_code ec;
  const auto endpoint = socket_.remote_endpoint(ec);
  if (!ec) peer_address_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

Channel::~Channel() = default;

void Channel::Start() {
  timer_.expires_after(kHandshakeTimeout);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && !self->established()) self->Close("handshake not finished in 5 s");
  });
  // A responder that chooses its pattern from the first message starts the handshake then.
  if (!config_.initiator && callbacks_.choose_handshake) return ReadMore();
  if (!StartHandshake()) return;
  if (config_.initiator) {
    auto first = handshake_->WriteMessage({});
    if (!first.ok()) return Close(first.status().message());
    SendFrame(std::move(first).value());
  }
  ReadMore();
}

bool Channel::StartHandshake() {
  config_.prologue = std::span(reinterpret_cast<const uint8_t*>(kPrologue.data()), kPrologue.size());
  auto started = crypto::Handshake::Start(config_);
  if (!started.ok()) {
    Close("handshake could not start: " + started.status().message());
    return false;
  }
  handshake_.emplace(std::move(started).value());
  return true;
}

void Channel::ReadMore() {
  if (closed_) return;
  socket_.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](
                                                          const boost::system::error_code& ec, std::size_t n) {
    if (self->closed_) return;
    if (ec) return self->Close(ec == asio::error::eof ? "peer closed the connection" : ec.message());
    self->decoder_.Feed(std::span(self->read_buffer_.data(), n));
    while (!self->closed_) {
      auto next = self->decoder_.Next();
      if (!next.ok()) return self->Close(next.status().message());
      if (!next->has_value()) break;
      self->OnFrame(std::move(**next));
    }
    if (self->established()) self->ArmIdle();
    self->ReadMore();
  });
}

void Channel::OnFrame(std::vector<uint8_t> frame) {
  if (frame_tap) frame_tap(frame, false);
  if (!transport_) {
    if (!handshake_) {
      if (!callbacks_.choose_handshake) return Close("detached");
      auto chosen = callbacks_.choose_handshake(frame);
      if (!chosen.ok()) return Close(chosen.status().message());
      const bool initiator = config_.initiator;
      config_ = std::move(chosen).value();
      config_.initiator = initiator;
      if (!StartHandshake()) return;
    }
    auto payload = handshake_->ReadMessage(frame);
    if (!payload.ok()) return Close("handshake failed: " + payload.status().message());
    if (!peer_key_checked_ && handshake_->remote_static() && callbacks_.on_peer_key) {
      peer_key_checked_ = true;
      if (!callbacks_.on_peer_key(*handshake_->remote_static())) return Close("peer's static key is not the paired one");
      if (closed_) return;
    }
    if (!handshake_->finished() && handshake_->writes_next()) {
      auto reply = handshake_->WriteMessage({});
      if (!reply.ok()) return Close(reply.status().message());
      SendFrame(std::move(reply).value());
    }
    if (handshake_->finished()) Established();
    return;
  }
  auto plaintext = transport_->recv.Decrypt({}, frame);
  if (!plaintext.ok()) return Close("a frame failed to decrypt");
  auto message = DecodeMessage(*plaintext);
  if (!message.ok()) return Close("bad message: " + message.status().message());
  if (callbacks_.on_message) callbacks_.on_message(std::move(message).value());
}

void Channel::Established() {
  const auto peer = handshake_->remote_static();
  auto split = handshake_->Split();
  if (!split.ok() || !peer) return Close("handshake did not yield keys");
  transport_.emplace(std::move(split).value());
  handshake_.reset();
  timer_.cancel();
  if (callbacks_.on_established && !callbacks_.on_established(*peer)) {
    return Close("peer's static key is not the paired one");
  }
  ArmIdle();
}

void Channel::ArmIdle() {
  timer_.expires_after(kIdleTimeout);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->Close("no traffic for 60 s");
  });
}

core::Status Channel::Send(const Json& body) {
  if (closed_ || !transport_) return core::Status::Ok();
  const std::vector<uint8_t> plaintext = EncodeMessage(body);
  if (plaintext.size() + crypto::kNoiseTagLen > kMaxFrame) {
    return core::Status::Invalid("the message does not fit one 16 KiB frame");
  }
  auto ciphertext = transport_->send.Encrypt({}, plaintext);
  if (!ciphertext.ok()) {
    Close(ciphertext.status().message());
    return ciphertext.status();
  }
  SendFrame(std::move(ciphertext).value());
  return core::Status::Ok();
}

void Channel::SendFrame(std::vector<uint8_t> payload) {
  if (frame_tap) frame_tap(payload, true);
  write_queue_.push_back(EncodeFrame(payload));
  WriteMore();
}

void Channel::CloseWhenFlushed(const std::string& why) {
  close_when_flushed_ = why;
  WriteMore();
}

void Channel::WriteMore() {
  if (closed_) return;
  if (write_queue_.empty() && close_when_flushed_ && !writing_) return Close(*close_when_flushed_);
  if (writing_ || write_queue_.empty()) return;
  writing_ = true;
  asio::async_write(socket_, asio::buffer(write_queue_.front()),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->writing_ = false;
                      if (self->closed_) return;
                      if (ec) return self->Close(ec.message());
                      self->write_queue_.pop_front();
                      self->WriteMore();
                    });
}

void Channel::Close(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  auto on_closed = std::move(callbacks_.on_closed);
  callbacks_ = {};
  if (on_closed) on_closed(why);
}

}  // namespace latchkey::link
