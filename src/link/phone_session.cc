#include "link/phone_session.h"

#include <string>
#include <utility>
#include <variant>

#include "core/env.h"

namespace latchkey::link {
namespace {

std::span<const uint8_t> PrologueBytes() {
  return {reinterpret_cast<const uint8_t*>(kPhonePrologue.data()), kPhonePrologue.size()};
}

crypto::HandshakeConfig HandshakeFor(crypto::NoisePattern pattern, bool initiator, const crypto::NoiseKeypair& s) {
  crypto::HandshakeConfig config;
  config.pattern = pattern;
  config.suite = crypto::NoiseSuite::kAesGcmSha256;
  config.initiator = initiator;
  config.prologue = PrologueBytes();
  config.s = s;
  return config;
}

// The message inside a payload or plaintext if it is of type M; a Status naming what came.
template <typename M>
core::Result<M> Expect(std::span<const uint8_t> bytes) {
  auto message = DecodePhoneMessage(bytes);
  if (!message.ok()) return core::Status::Invalid("malformed message: " + message.status().message());
  if (!std::holds_alternative<M>(*message)) {
    return core::Status::Invalid("unexpected \"" + std::string(PhoneMessageType(*message)) + "\" message");
  }
  return std::get<M>(std::move(message).value());
}

// Builds the action in place: moving a temporary variant of these into the vector makes GCC 12
// report a false "may be used uninitialized".
template <typename A, typename Action>
void Emit(std::vector<Action>& out, A action) {
  out.emplace_back(std::in_place_type<A>, std::move(action));
}

}  // namespace

// ---- The lock ----

PhoneSessionLock::PhoneSessionLock(PhoneLockConfig config)
    : config_(std::move(config)), fragmenter_(config_.max_fragment) {}

core::Result<PhoneSessionLock> PhoneSessionLock::Create(PhoneLockConfig config) {
  LATCHKEY_TRY(EncodePhoneMessage(PhoneLockHello{config.lock_id}));
  if (!config.random) return core::Status::Invalid("random: no random source for the challenges");
  return PhoneSessionLock(std::move(config));
}

std::vector<PhoneSessionLock::Action> PhoneSessionLock::Feed(std::span<const uint8_t> fragment) {
  std::vector<Action> out;
  if (state_ == State::kClosed) return out;
  auto message = reassembler_.Feed(fragment);
  if (!message.ok()) {
    CloseWith("framing: " + message.status().message(), out);
  } else if (message->has_value()) {
    HandleMessage(**message, out);
  }
  return out;
}

void PhoneSessionLock::HandleMessage(std::span<const uint8_t> message, std::vector<Action>& out) {
  switch (state_) {
    case State::kFirstMessage: return HandleFirst(message, out);
    case State::kThirdMessage: return HandleThird(message, out);
    case State::kOpen: return HandleTransport(message, out);
    case State::kClosed: return;
  }
}

void PhoneSessionLock::HandleFirst(std::span<const uint8_t> message, std::vector<Action>& out) {
  pattern_ = message.size() == kPhoneXxFirstMessage ? crypto::NoisePattern::kXX : crypto::NoisePattern::kIK;
  auto handshake = crypto::Handshake::Start(HandshakeFor(*pattern_, false, config_.s));
  if (!handshake.ok()) return CloseWith("handshake: " + handshake.status().message(), out);
  handshake_.emplace(std::move(handshake).value());
  auto payload = handshake_->ReadMessage(message);
  if (!payload.ok()) return CloseWith("handshake message 1: " + payload.status().message(), out);
  // The phone's hello comes now with IK; with XX it comes in message 3, and message 1's
  // payload is empty by the length rule above.
  std::optional<PhoneHello> hello;
  if (*pattern_ == crypto::NoisePattern::kIK) {
    auto h = Expect<PhoneHello>(*payload);
    if (!h.ok()) return CloseWith("handshake message 1: " + h.status().message(), out);
    hello = std::move(h).value();
  }
  auto lock_hello = EncodePhoneMessage(PhoneLockHello{config_.lock_id});
  if (!lock_hello.ok()) return CloseWith(lock_hello.status().message(), out);
  auto reply = handshake_->WriteMessage(*lock_hello);
  if (!reply.ok()) return CloseWith("handshake message 2: " + reply.status().message(), out);
  SendRaw(*reply, out);
  if (state_ == State::kClosed) return;
  if (hello) return Established(std::move(*hello), out);
  state_ = State::kThirdMessage;
}

void PhoneSessionLock::HandleThird(std::span<const uint8_t> message, std::vector<Action>& out) {
  auto payload = handshake_->ReadMessage(message);
  if (!payload.ok()) return CloseWith("handshake message 3: " + payload.status().message(), out);
  auto hello = Expect<PhoneHello>(*payload);
  if (!hello.ok()) return CloseWith("handshake message 3: " + hello.status().message(), out);
  Established(std::move(hello).value(), out);
}

void PhoneSessionLock::Established(PhoneHello hello, std::vector<Action>& out) {
  const auto phone = handshake_->remote_static();
  auto keys = handshake_->Split();
  if (!phone || !keys.ok()) return CloseWith("handshake: not finished", out);
  transport_.emplace(std::move(keys).value());
  handshake_.reset();
  state_ = State::kOpen;
  Emit(out, Hello{*phone, std::move(hello.cert), std::move(hello.revocations)});
  SendChallenge(out);
}

void PhoneSessionLock::HandleTransport(std::span<const uint8_t> message, std::vector<Action>& out) {
  auto plaintext = transport_->recv.Decrypt({}, message);
  if (!plaintext.ok()) return CloseWith("transport: decryption failed", out);
  auto req = Expect<PhoneRequest>(*plaintext);
  if (!req.ok()) return CloseWith("transport: " + req.status().message(), out);
  // The outstanding challenge is used up by any req, echoed or not: each one gets one try.
  const std::optional<PhoneNonce> challenge = std::exchange(challenge_, std::nullopt);
  if (pending_ || !challenge || !core::ConstantTimeEqual(*challenge, req->nonce)) {
    return Failed(PhoneRefused("invalid", kStaleChallengeReason), out);
  }
  pending_ = true;
  PhoneRequest r = std::move(req).value();
  Emit(out, Operate{r.op, std::move(r.arrival)});
}

core::Result<std::vector<PhoneSessionLock::Action>> PhoneSessionLock::Complete(const PhoneResponse& res) {
  if (state_ != State::kOpen || !pending_) return core::Status::Invalid("complete: no operation is pending");
  LATCHKEY_TRY(EncodePhoneMessage(res));
  pending_ = false;
  std::vector<Action> out;
  if (!res.ok) {
    Failed(res, out);
    return out;
  }
  SendMessage(res, out);
  if (state_ != State::kClosed) SendChallenge(out);
  return out;
}

void PhoneSessionLock::Failed(const PhoneResponse& res, std::vector<Action>& out) {
  SendMessage(res, out);
  if (state_ == State::kClosed) return;
  if (++failures_ >= kMaxPhoneFailedOperations) {
    return CloseWith(std::to_string(kMaxPhoneFailedOperations) + " failed operations", out);
  }
  // While an Operate is pending its Complete sends the next challenge.
  if (!pending_) SendChallenge(out);
}

void PhoneSessionLock::SendChallenge(std::vector<Action>& out) {
  PhoneChallenge challenge;
  config_.random(challenge.nonce);
  challenge_ = challenge.nonce;
  SendMessage(challenge, out);
}

void PhoneSessionLock::SendMessage(const PhoneMessage& message, std::vector<Action>& out) {
  auto plaintext = EncodePhoneMessage(message);
  if (!plaintext.ok()) return CloseWith("encode: " + plaintext.status().message(), out);
  auto ciphertext = transport_->send.Encrypt({}, *plaintext);
  if (!ciphertext.ok()) return CloseWith("transport: " + ciphertext.status().message(), out);
  SendRaw(*ciphertext, out);
}

void PhoneSessionLock::SendRaw(std::span<const uint8_t> message, std::vector<Action>& out) {
  auto fragments = fragmenter_.Cut(message);
  if (!fragments.ok()) return CloseWith(fragments.status().message(), out);
  for (PhoneFragment& f : std::move(fragments).value()) Emit(out, Send{std::move(f)});
}

void PhoneSessionLock::CloseWith(std::string reason, std::vector<Action>& out) {
  state_ = State::kClosed;
  handshake_.reset();
  transport_.reset();
  challenge_.reset();
  pending_ = false;
  Emit(out, Close{std::move(reason)});
}

// ---- The phone ----

PhoneSessionPhone::PhoneSessionPhone(PhoneConfig config, std::vector<uint8_t> hello)
    : config_(std::move(config)), hello_(std::move(hello)), fragmenter_(config_.max_fragment) {}

core::Result<PhoneSessionPhone> PhoneSessionPhone::Create(PhoneConfig config) {
  auto hello = EncodePhoneMessage(PhoneHello{config.cert, config.revocations});
  LATCHKEY_TRY(hello);
  return PhoneSessionPhone(std::move(config), std::move(hello).value());
}

core::Result<std::vector<PhoneFragment>> PhoneSessionPhone::Start() {
  if (state_ != State::kStart) return core::Status::Invalid("start: the session already started");
  pattern_ = config_.lock_key ? crypto::NoisePattern::kIK : crypto::NoisePattern::kXX;
  crypto::HandshakeConfig hc = HandshakeFor(*pattern_, true, config_.s);
  hc.rs = config_.lock_key;
  auto handshake = crypto::Handshake::Start(hc);
  LATCHKEY_TRY(handshake);
  handshake_.emplace(std::move(handshake).value());
  // XX's first message goes in the clear: it carries nothing but the ephemeral key.
  const std::span<const uint8_t> payload = *pattern_ == crypto::NoisePattern::kIK ? std::span<const uint8_t>(hello_)
                                                                                  : std::span<const uint8_t>();
  auto message = handshake_->WriteMessage(payload);
  LATCHKEY_TRY(message);
  auto fragments = fragmenter_.Cut(*message);
  LATCHKEY_TRY(fragments);
  state_ = State::kSecondMessage;
  return fragments;
}

std::vector<PhoneSessionPhone::Action> PhoneSessionPhone::Feed(std::span<const uint8_t> fragment) {
  std::vector<Action> out;
  if (state_ == State::kClosed) return out;
  if (state_ == State::kStart) {
    CloseWith("framing: a fragment before the session started", out);
    return out;
  }
  auto message = reassembler_.Feed(fragment);
  if (!message.ok()) {
    CloseWith("framing: " + message.status().message(), out);
  } else if (message->has_value()) {
    if (state_ == State::kSecondMessage) HandleSecond(**message, out);
    else HandleTransport(**message, out);
  }
  return out;
}

void PhoneSessionPhone::HandleSecond(std::span<const uint8_t> message, std::vector<Action>& out) {
  auto payload = handshake_->ReadMessage(message);
  if (!payload.ok()) return CloseWith("handshake message 2: " + payload.status().message(), out);
  auto lock = Expect<PhoneLockHello>(*payload);
  if (!lock.ok()) return CloseWith("handshake message 2: " + lock.status().message(), out);
  const auto lock_key = handshake_->remote_static();
  if (!lock_key) return CloseWith("handshake message 2: no lock key", out);
  lock_id_ = std::move(lock).value().lock;
  lock_key_ = *lock_key;
  if (*pattern_ == crypto::NoisePattern::kXX) {
    auto third = handshake_->WriteMessage(hello_);
    if (!third.ok()) return CloseWith("handshake message 3: " + third.status().message(), out);
    auto fragments = fragmenter_.Cut(*third);
    if (!fragments.ok()) return CloseWith(fragments.status().message(), out);
    for (PhoneFragment& f : std::move(fragments).value()) Emit(out, Send{std::move(f)});
  }
  auto keys = handshake_->Split();
  if (!keys.ok()) return CloseWith("handshake: " + keys.status().message(), out);
  transport_.emplace(std::move(keys).value());
  handshake_.reset();
  state_ = State::kAwaitChallenge;
}

void PhoneSessionPhone::HandleTransport(std::span<const uint8_t> message, std::vector<Action>& out) {
  auto plaintext = transport_->recv.Decrypt({}, message);
  if (!plaintext.ok()) return CloseWith("transport: decryption failed", out);
  auto decoded = DecodePhoneMessage(*plaintext);
  if (!decoded.ok()) return CloseWith("transport: malformed message: " + decoded.status().message(), out);
  if (const auto* challenge = std::get_if<PhoneChallenge>(&*decoded)) {
    challenge_ = challenge->nonce;
    if (state_ == State::kAwaitChallenge) {
      state_ = State::kOpen;
      Emit(out, Ready{lock_id_, lock_key_});
    }
    return;
  }
  if (const auto* res = std::get_if<PhoneResponse>(&*decoded)) {
    if (state_ != State::kOpen || requests_in_flight_ == 0) return CloseWith("transport: a res without a req", out);
    --requests_in_flight_;
    Emit(out, Result{*res});
    return;
  }
  CloseWith("transport: unexpected \"" + std::string(PhoneMessageType(*decoded)) + "\" message", out);
}

core::Result<std::vector<PhoneFragment>> PhoneSessionPhone::Request(PhoneOp op,
                                                                    std::optional<std::vector<uint8_t>> arrival) {
  if (state_ != State::kOpen) return core::Status::Invalid("request: the session is not ready");
  if (!challenge_) return core::Status::Invalid("request: no challenge outstanding (wait for the res)");
  auto plaintext = EncodePhoneMessage(PhoneRequest{op, *challenge_, std::move(arrival)});
  LATCHKEY_TRY(plaintext);
  auto fragments = SendTransport(*plaintext);
  LATCHKEY_TRY(fragments);
  challenge_.reset();
  ++requests_in_flight_;
  return fragments;
}

core::Result<std::vector<PhoneFragment>> PhoneSessionPhone::SendPlaintextForTesting(std::span<const uint8_t> plaintext) {
  auto fragments = SendTransport(plaintext);
  LATCHKEY_TRY(fragments);
  const auto decoded = DecodePhoneMessage(plaintext);
  if (decoded.ok() && std::holds_alternative<PhoneRequest>(*decoded)) ++requests_in_flight_;
  return fragments;
}

core::Result<std::vector<PhoneFragment>> PhoneSessionPhone::SendTransport(std::span<const uint8_t> plaintext) {
  if (!transport_ || state_ == State::kClosed) return core::Status::Invalid("send: no transport keys yet");
  // Checked before encrypting: a message the fragmenter would refuse must not use up a nonce.
  if (plaintext.size() + crypto::kNoiseTagLen > kMaxPhoneMessage) {
    return core::Status::Invalid("send: a message over 16 KiB");
  }
  auto ciphertext = transport_->send.Encrypt({}, plaintext);
  LATCHKEY_TRY(ciphertext);
  return fragmenter_.Cut(*ciphertext);
}

void PhoneSessionPhone::CloseWith(std::string reason, std::vector<Action>& out) {
  state_ = State::kClosed;
  handshake_.reset();
  transport_.reset();
  challenge_.reset();
  Emit(out, Close{std::move(reason)});
}

}  // namespace latchkey::link
