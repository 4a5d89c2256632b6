// The phone session at the door (PHONE-KEYS.md 2; docs/phone-keys.md, "The session on the
// wire"): a Noise handshake over AESGCM/SHA256 with the prologue "latchkey-phone-v1", then
// challenges, requests and results, all cut into fragments by phone_frame.h. Two pure state
// machines, one per side, with no I/O, clock or threads: the caller moves fragments between them
// and a transport (BLE or TCP), and enforces the idle timeout.
//
// The lock (PhoneSessionLock) is the Noise responder and takes either pattern:
//   XX  a phone that has not pinned the lock's static key. Message 1 is the phone's ephemeral
//       key alone: exactly 32 bytes, with an empty payload (it would travel in the clear).
//   IK  a phone that pinned it. Message 1 carries an ephemeral key (32), the phone's static key
//       encrypted (32 + 16) and the phone's hello encrypted (at least 16 more): 96 bytes or more.
// So the first message's length tells them apart, and no other byte is needed on the wire.
//
// Who sends what (-> phone to lock, <- lock to phone), and the round trips after connecting:
//   XX  -> e                       <- e, ee, s, es + {lock}        round trip 1
//       -> s, se + {hello}         <- {challenge}                  round trip 2
//       -> {req}                   <- {res} {challenge}            round trip 3
//   IK  -> e, es, s, ss + {hello}  <- e, ee, se + {lock} {challenge}   round trip 1
//       -> {req}                   <- {res} {challenge}                round trip 2
// The lock sends a challenge as soon as it has transport keys and again after every res; only a
// req that echoes the outstanding challenge becomes an Operate. IK's first message can be
// replayed by anyone who recorded it, but the replayer cannot read the lock's answer (it lacks
// the phone's ephemeral key), so it never learns the challenge: nothing in the first message
// alone can open the door.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"
#include "crypto/noise.h"
#include "link/phone_frame.h"
#include "link/phone_message.h"

namespace latchkey::link {

inline constexpr std::string_view kPhonePrologue = "latchkey-phone-v1";
// The caller closes a session that has neither sent nor received a fragment for this long.
inline constexpr int64_t kPhoneSessionIdleMs = 30'000;
// The lock closes a session after this many failed operations: refusals the daemon reports with
// Complete, and reqs that did not echo the outstanding challenge.
inline constexpr int kMaxPhoneFailedOperations = 8;
// XX's first message: the phone's ephemeral public key and an empty payload.
inline constexpr std::size_t kPhoneXxFirstMessage = crypto::kNoiseDhLen;

// Fills its argument with random bytes (the challenges).
using PhoneRandom = std::function<void(std::span<uint8_t>)>;

struct PhoneLockConfig {
  crypto::NoiseKeypair s;  // the lock's static key, kept across sessions (phones pin it)
  std::string lock_id;     // sent to the phone in the handshake; a valid PhoneLockHello id
  PhoneRandom random;
  // The largest fragment the lock sends: MaxFragmentForMtu for BLE, kMaxPhoneFragment over TCP.
  // It takes fragments up to kMaxPhoneFragment from the phone whatever this is.
  std::size_t max_fragment = kMaxPhoneFragment;
};

// The lock's side: the Noise responder.
class PhoneSessionLock {
 public:
  struct Send {
    PhoneFragment fragment;
  };
  // The handshake is done: the phone holds the private half of `phone` and presents `cert`
  // (and maybe a revocation list). The daemon decodes and checks them (core::CheckPhoneKey,
  // whose session_key is `phone`) and keeps them for the session's operations. With IK this
  // comes from the replayable first message: it proves who once sent it, not that they are here.
  struct Hello {
    crypto::NoisePublicKey phone{};
    std::vector<uint8_t> cert;
    std::optional<std::vector<uint8_t>> revocations;
  };
  // A req that echoed the outstanding challenge. The daemon runs it (CheckPhoneKey with this op,
  // then the access decision) and answers with Complete once the bolt stopped.
  struct Operate {
    PhoneOp op = PhoneOp::kUnlock;
    std::optional<std::vector<uint8_t>> arrival;
  };
  // The session is over: drop the connection. Nothing follows.
  struct Close {
    std::string reason;
  };
  using Action = std::variant<Send, Hello, Operate, Close>;

  // kInvalid for a lock id that PhoneLockHello refuses or no random source.
  static core::Result<PhoneSessionLock> Create(PhoneLockConfig config);

  // One fragment from the phone. Any framing error, failed decryption, malformed or unexpected
  // message ends in Close; after Close every call returns nothing.
  std::vector<Action> Feed(std::span<const uint8_t> fragment);

  // The answer to the pending Operate: sends `res`, then a fresh challenge, or Close instead of
  // the challenge when `res` is the kMaxPhoneFailedOperations-th failure. kInvalid, changing
  // nothing, when no Operate is pending or `res` would not encode.
  core::Result<std::vector<Action>> Complete(const PhoneResponse& res);

  bool closed() const { return state_ == State::kClosed; }
  bool operation_pending() const { return pending_; }
  int failed_operations() const { return failures_; }
  // Which pattern the phone chose; nullopt before its first message.
  std::optional<crypto::NoisePattern> pattern() const { return pattern_; }

 private:
  enum class State { kFirstMessage, kThirdMessage, kOpen, kClosed };

  explicit PhoneSessionLock(PhoneLockConfig config);
  void HandleMessage(std::span<const uint8_t> message, std::vector<Action>& out);
  void HandleFirst(std::span<const uint8_t> message, std::vector<Action>& out);
  void HandleThird(std::span<const uint8_t> message, std::vector<Action>& out);
  void HandleTransport(std::span<const uint8_t> message, std::vector<Action>& out);
  // The handshake is over: reports the phone's hello and opens the transport with a challenge.
  void Established(PhoneHello hello, std::vector<Action>& out);
  void Failed(const PhoneResponse& res, std::vector<Action>& out);
  void SendMessage(const PhoneMessage& message, std::vector<Action>& out);
  void SendRaw(std::span<const uint8_t> message, std::vector<Action>& out);
  void SendChallenge(std::vector<Action>& out);
  void CloseWith(std::string reason, std::vector<Action>& out);

  PhoneLockConfig config_;
  PhoneFragmenter fragmenter_;
  PhoneReassembler reassembler_;
  State state_ = State::kFirstMessage;
  std::optional<crypto::NoisePattern> pattern_;
  std::optional<crypto::Handshake> handshake_;
  std::optional<crypto::TransportPair> transport_;
  std::optional<PhoneNonce> challenge_;  // outstanding, not yet echoed
  bool pending_ = false;                 // an Operate awaits Complete
  int failures_ = 0;
};

struct PhoneConfig {
  crypto::NoiseKeypair s;  // the phone's identity: the certificate's `phone`
  // The lock's static key from an earlier session (Ready::lock_key): then IK, else XX.
  std::optional<crypto::NoisePublicKey> lock_key;
  std::vector<uint8_t> cert;  // core::EncodePhoneKey form
  std::optional<std::vector<uint8_t>> revocations;
  std::size_t max_fragment = kMaxPhoneFragment;  // as PhoneLockConfig::max_fragment
};

// The phone's side: the Noise initiator.
class PhoneSessionPhone {
 public:
  struct Send {
    PhoneFragment fragment;
  };
  // The handshake is done and the lock's first challenge is here: Request may be called. The
  // app checks that lock_id is the lock it meant and pins lock_key for IK next time (with IK
  // it is the pinned key).
  struct Ready {
    std::string lock_id;
    crypto::NoisePublicKey lock_key{};
  };
  // The lock's answer to a req.
  struct Result {
    PhoneResponse res;
  };
  struct Close {
    std::string reason;
  };
  using Action = std::variant<Send, Ready, Result, Close>;

  // kInvalid for a hello that would not encode (an empty or oversized certificate, ...).
  static core::Result<PhoneSessionPhone> Create(PhoneConfig config);

  // The fragments of the first handshake message; only once.
  core::Result<std::vector<PhoneFragment>> Start();
  // One fragment from the lock. Anything the lock would not send at this point ends in Close;
  // after Close every call returns nothing.
  std::vector<Action> Feed(std::span<const uint8_t> fragment);
  // A req echoing the outstanding challenge, which it uses up (the next comes with the res).
  // kInvalid when the session is not ready or no challenge is outstanding.
  core::Result<std::vector<PhoneFragment>> Request(PhoneOp op, std::optional<std::vector<uint8_t>> arrival = {});

  bool ready() const { return state_ == State::kOpen; }
  bool closed() const { return state_ == State::kClosed; }
  bool has_challenge() const { return challenge_.has_value(); }
  std::optional<crypto::NoisePattern> pattern() const { return pattern_; }

  // Encrypts any plaintext as the next transport message, so that tests and the fuzzer can send
  // what an honest phone would not (a stale nonce, a second req, a message of the wrong type).
  core::Result<std::vector<PhoneFragment>> SendPlaintextForTesting(std::span<const uint8_t> plaintext);

 private:
  enum class State { kStart, kSecondMessage, kAwaitChallenge, kOpen, kClosed };

  explicit PhoneSessionPhone(PhoneConfig config, std::vector<uint8_t> hello);
  void HandleSecond(std::span<const uint8_t> message, std::vector<Action>& out);
  void HandleTransport(std::span<const uint8_t> message, std::vector<Action>& out);
  core::Result<std::vector<PhoneFragment>> SendTransport(std::span<const uint8_t> plaintext);
  void CloseWith(std::string reason, std::vector<Action>& out);

  PhoneConfig config_;
  std::vector<uint8_t> hello_;  // the encoded PhoneHello
  PhoneFragmenter fragmenter_;
  PhoneReassembler reassembler_;
  State state_ = State::kStart;
  std::optional<crypto::NoisePattern> pattern_;
  std::optional<crypto::Handshake> handshake_;
  std::optional<crypto::TransportPair> transport_;
  std::string lock_id_;
  crypto::NoisePublicKey lock_key_{};
  std::optional<PhoneNonce> challenge_;
  int requests_in_flight_ = 0;
};

}  // namespace latchkey::link
