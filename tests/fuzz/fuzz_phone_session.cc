// libFuzzer target: the phone session (PHONE-KEYS.md 2) as a phone, or anyone in BLE range, can
// drive it: the TCP stream decoder, the fragment reassembler, every message decoder and the
// lock's state machine.
//
// Input: [control][bytes...]. Every input goes through:
//   - DecodePhoneMessage(bytes): a refusal is kInvalid naming a field ("x: ..."); an accepted
//     message re-encodes to exactly `bytes` and decodes again to the same message;
//   - PhoneStreamDecoder over `bytes`, fed whole and in chunks of 1 + (control >> 2 & 7) * 37
//     bytes: the same fragments (each 3..512 bytes) or the same failure, never more than one
//     fragment buffered; the fragments go through a PhoneReassembler, whose messages (at most
//     16 KiB) go through the message checks above and through a fragmenter and reassembler again;
//   - bytes as one fragment to a reassembler.
// Then, by bit 0 of control:
//   0  the fragments go to a fresh PhoneSessionLock: without the lock's key or the phone's
//      nothing can complete a handshake, so there must never be a Hello or an Operate;
//   1  a real PhoneSessionPhone (bit 1: IK, else XX; bit 5: fragments of 20, else 512) connects
//      to the lock, then `bytes` is a script of [op][len][len bytes] steps, op % 4:
//        0  the phone's own Request (bytes[0] % 4 picks the op), if it may send one;
//        1  the bytes as a transport plaintext from the phone (SendPlaintextForTesting);
//        2  the bytes as a raw fragment to the lock;
//        3  Complete the pending operation (ok, or refused when bytes[0] is odd);
//      and the lock's answers go back to the phone. The lock may Operate only for a req that
//      echoed its challenge, and only the phone's Request does that (the challenges are hashes:
//      a script cannot guess 16 bytes): Operates never outnumber the phone's Requests, and a
//      closed session does nothing.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "crypto/noise.h"
#include "fuzz_check.h"
#include "link/phone_frame.h"
#include "link/phone_message.h"
#include "link/phone_session.h"

namespace {

namespace link = latchkey::link;
namespace crypto = latchkey::crypto;
using Bytes = std::vector<uint8_t>;
using LockActions = std::vector<link::PhoneSessionLock::Action>;

crypto::NoiseKeypair FixedKeypair(uint8_t mul, uint8_t add) {
  std::array<uint8_t, crypto::kNoiseDhLen> priv{};
  for (std::size_t i = 0; i < priv.size(); ++i) priv[i] = static_cast<uint8_t>(i * mul + add);
  auto kp = crypto::KeypairFromPrivate(priv);
  FUZZ_CHECK(kp.ok(), "fixed key pair");
  return *kp;
}

const crypto::NoiseKeypair& LockKey() {
  static const crypto::NoiseKeypair key = FixedKeypair(7, 1);
  return key;
}

const crypto::NoiseKeypair& PhoneKey() {
  static const crypto::NoiseKeypair key = FixedKeypair(13, 5);
  return key;
}

void CheckMessage(std::span<const uint8_t> bytes) {
  const auto message = link::DecodePhoneMessage(bytes);
  if (!message.ok()) {
    FUZZ_CHECK(message.status().code() == latchkey::core::Code::kInvalid, "a refusal is kInvalid");
    const std::string& text = message.status().message();
    FUZZ_CHECK(text.find(": ") != std::string::npos && text.find(": ") > 0, "the refusal names a field");
    return;
  }
  FUZZ_CHECK(bytes.size() <= link::kMaxPhoneMessage, "accepted messages are at most 16 KiB");
  const auto again = link::EncodePhoneMessage(*message);
  FUZZ_CHECK(again.ok(), "an accepted message encodes");
  FUZZ_CHECK(std::equal(again->begin(), again->end(), bytes.begin(), bytes.end()), "decode -> encode is the identity");
  const auto twice = link::DecodePhoneMessage(*again);
  FUZZ_CHECK(twice.ok() && *twice == *message, "the re-encoding decodes to the same message");
}

// The stream's fragments fed in one piece, or nullopt if it fails.
std::optional<std::vector<link::PhoneFragment>> DecodeStream(std::span<const uint8_t> stream, std::size_t chunk) {
  link::PhoneStreamDecoder decoder;
  std::vector<link::PhoneFragment> out;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    auto got = decoder.Feed(stream.subspan(at, std::min(chunk, stream.size() - at)));
    if (!got.ok()) {
      FUZZ_CHECK(decoder.failed() && !decoder.Feed(stream).ok(), "the stream decoder fails for good");
      return std::nullopt;
    }
    FUZZ_CHECK(decoder.buffered() < 2 + link::kMaxPhoneFragment, "at most one fragment buffered");
    for (auto& fragment : *got) {
      FUZZ_CHECK(fragment.size() >= link::kMinPhoneFragment && fragment.size() <= link::kMaxPhoneFragment,
                 "fragments within 3..512 bytes");
      out.push_back(fragment);
    }
  }
  return out;
}

void CheckReassembly(const std::vector<link::PhoneFragment>& fragments) {
  link::PhoneReassembler reassembler;
  for (const auto& fragment : fragments) {
    auto message = reassembler.Feed(fragment);
    if (!message.ok()) {
      FUZZ_CHECK(reassembler.failed() && !reassembler.Feed(fragment).ok(), "the reassembler fails for good");
      return;
    }
    if (!message->has_value()) continue;
    const Bytes& whole = **message;
    FUZZ_CHECK(!whole.empty() && whole.size() <= link::kMaxPhoneMessage, "messages within 1..16 KiB");
    CheckMessage(whole);
    // And back: cut small, put together again.
    link::PhoneFragmenter fragmenter(20);
    link::PhoneReassembler again;
    auto cut = fragmenter.Cut(whole);
    FUZZ_CHECK(cut.ok(), "a reassembled message can be cut");
    std::optional<Bytes> rebuilt;
    for (const auto& piece : *cut) {
      FUZZ_CHECK(piece.size() <= 20, "fragments within the limit");
      auto got = again.Feed(piece);
      FUZZ_CHECK(got.ok(), "the fragmenter's output reassembles");
      if (got->has_value()) rebuilt = **got;
    }
    FUZZ_CHECK(rebuilt == whole, "cut -> reassemble is the identity");
  }
}

template <typename A, typename V>
std::size_t Count(const std::vector<V>& actions) {
  return static_cast<std::size_t>(
      std::count_if(actions.begin(), actions.end(), [](const V& a) { return std::holds_alternative<A>(a); }));
}

// Challenges from a hash of a counter: the same in every run, yet not a value the fuzzer can
// reach byte by byte (the lock compares nonces in constant time, all 16 bytes at once).
void Challenges(uint32_t* counter, std::span<uint8_t> out) {
  const std::array<uint8_t, 4> n = {static_cast<uint8_t>(*counter >> 24), static_cast<uint8_t>(*counter >> 16),
                                    static_cast<uint8_t>(*counter >> 8), static_cast<uint8_t>(*counter)};
  ++*counter;
  const crypto::NoiseHash digest = crypto::SuiteHash(crypto::NoiseSuite::kAesGcmSha256, n);
  std::copy_n(digest.begin(), std::min(out.size(), digest.size()), out.begin());
}

link::PhoneSessionLock NewLock(std::size_t max_fragment) {
  auto counter = std::make_shared<uint32_t>(0);
  auto lock = link::PhoneSessionLock::Create(
      {LockKey(), "lk-0011223344556677", [counter](std::span<uint8_t> out) { Challenges(counter.get(), out); },
       max_fragment});
  FUZZ_CHECK(lock.ok(), "the lock session starts");
  return std::move(lock).value();
}

void RawLock(const std::vector<link::PhoneFragment>& fragments) {
  link::PhoneSessionLock lock = NewLock(link::kMaxPhoneFragment);
  for (const auto& fragment : fragments) {
    const LockActions actions = lock.Feed(fragment);
    FUZZ_CHECK(Count<link::PhoneSessionLock::Hello>(actions) == 0, "no handshake completes without the keys");
    FUZZ_CHECK(Count<link::PhoneSessionLock::Operate>(actions) == 0, "nothing operates without a handshake");
    if (lock.closed()) break;
  }
}

// Moves the lock's fragments to the phone; whatever the phone sends back goes to the lock.
struct Session {
  link::PhoneSessionLock lock;
  link::PhoneSessionPhone phone;
  std::size_t requests = 0;
  std::size_t operates = 0;

  void ToLock(const std::vector<link::PhoneFragment>& fragments) {
    for (const auto& fragment : fragments) {
      const bool was_closed = lock.closed();
      LockActions actions = lock.Feed(fragment);
      FUZZ_CHECK(!was_closed || actions.empty(), "a closed lock session does nothing");
      Handle(std::move(actions));
    }
  }

  void Handle(LockActions actions) {
    operates += Count<link::PhoneSessionLock::Operate>(actions);
    FUZZ_CHECK(operates <= requests, "only the phone's own requests operate");
    FUZZ_CHECK(Count<link::PhoneSessionLock::Close>(actions) <= 1, "one Close");
    std::vector<link::PhoneFragment> back;
    for (const auto& a : actions) {
      if (const auto* send = std::get_if<link::PhoneSessionLock::Send>(&a)) {
        const auto replies = phone.Feed(send->fragment);
        for (const auto& r : replies) {
          if (const auto* up = std::get_if<link::PhoneSessionPhone::Send>(&r)) back.push_back(up->fragment);
        }
      }
    }
    if (!back.empty()) ToLock(back);
  }
};

void RealSession(uint8_t control, std::span<const uint8_t> script) {
  const std::size_t max_fragment = (control & 0x20) ? 20 : link::kMaxPhoneFragment;
  link::PhoneConfig config{PhoneKey(), std::nullopt, Bytes(214, 0xC3), std::nullopt, max_fragment};
  if (control & 0x02) config.lock_key = LockKey().pub;
  auto phone = link::PhoneSessionPhone::Create(std::move(config));
  FUZZ_CHECK(phone.ok(), "the phone session starts");
  Session s{NewLock(max_fragment), std::move(phone).value()};
  auto first = s.phone.Start();
  FUZZ_CHECK(first.ok(), "the phone sends message 1");
  s.ToLock(*first);
  FUZZ_CHECK(s.phone.ready() && !s.lock.closed(), "an honest handshake succeeds");

  std::size_t at = 0;
  while (at + 2 <= script.size()) {
    const uint8_t op = script[at];
    const std::size_t n = std::min<std::size_t>(script[at + 1], script.size() - at - 2);
    const auto arg = script.subspan(at + 2, n);
    at += 2 + n;
    switch (op % 4) {
      case 0: {
        const auto which = static_cast<link::PhoneOp>(arg.empty() ? 1 : arg[0] % 4);
        auto req = s.phone.Request(which);
        if (!req.ok()) break;
        ++s.requests;
        s.ToLock(*req);
        break;
      }
      case 1: {
        auto sent = s.phone.SendPlaintextForTesting(arg);
        if (sent.ok()) s.ToLock(*sent);
        break;
      }
      case 2:
        s.ToLock({link::PhoneFragment(arg.begin(), arg.end())});
        break;
      case 3: {
        const bool refuse = !arg.empty() && (arg[0] & 1);
        const bool pending = s.lock.operation_pending();
        auto done = s.lock.Complete(refuse ? link::PhoneRefused("denied", "lockout")
                                           : link::PhoneOk({latchkey::core::LockState::kUnlocked, std::nullopt, 50}));
        FUZZ_CHECK(done.ok() == pending, "Complete answers exactly a pending Operate");
        if (done.ok()) s.Handle(std::move(done).value());
        break;
      }
    }
    FUZZ_CHECK(s.lock.failed_operations() <= link::kMaxPhoneFailedOperations, "at most 8 failures");
    FUZZ_CHECK(s.lock.failed_operations() < link::kMaxPhoneFailedOperations || s.lock.closed(),
               "the eighth failure closes");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  const std::span<const uint8_t> bytes(data + 1, size - 1);

  CheckMessage(bytes);

  const std::size_t chunk = 1 + ((control >> 2) & 7) * 37;
  const auto whole = DecodeStream(bytes, bytes.size() + 1);
  const auto chunked = DecodeStream(bytes, chunk);
  FUZZ_CHECK(whole.has_value() == chunked.has_value() && (!whole || *whole == *chunked),
             "chunking does not change the stream's fragments");
  if (whole) CheckReassembly(*whole);

  link::PhoneReassembler single;
  auto one = single.Feed(bytes);
  FUZZ_CHECK(one.ok() == (bytes.size() >= 3 && bytes.size() <= 512 && bytes[0] == 0 && (bytes[1] & 0xFE) == 0),
             "one fragment passes exactly when well formed");
  if (one.ok() && one->has_value()) CheckMessage(**one);

  if (control & 0x01) {
    RealSession(control, bytes);
  } else if (whole) {
    RawLock(*whole);
  }
  return 0;
}
