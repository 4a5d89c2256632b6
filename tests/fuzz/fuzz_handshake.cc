// libFuzzer target: the Noise handshakes of the link (XX between paired peers, XXpsk3 for
// pairing) and the transport CipherState, fed what an attacker on the network can send; over the
// link's suite (ChaChaPoly/BLAKE2b) or the phones' (AESGCM/SHA256, PHONE-KEYS.md section 2).
//
// Input: [control][bytes...]. Bit 0 of `control` picks XX or XXpsk3, bit 4 the suite (set:
// AESGCM/SHA256); bits 1..3 pick what `bytes` are:
//   0  the first message to a fresh responder (the lock): any bytes;
//   1  the third message to a responder that read a real initiator's message 1 and answered;
//   2  a mutation (length change + XOR mask) of the real third message; for XXpsk3 with bit 7
//      set, the responder holds a psk one bit off the initiator's;
//   3  the second message to an initiator (the hub) that sent message 1: any bytes;
//   4  a mutation of the real second message;
//   5  a script of transport operations on a fresh pair of CipherStates;
//   6  any bytes decrypted by a transport CipherState with a nonce taken from the input;
//   7  a whole handshake between a real initiator and responder carrying the bytes, cut in
//      three, as payloads: each side reads what the other wrote, and the sessions agree.
// Every key and ephemeral is fixed, so the real messages are the same in every run (computed
// once). A handshake message that is not the real one must fail and poison the handshake; the
// real one must pass and give the expected peer key; a transport decrypt succeeds only for a
// genuine ciphertext at the right nonce, and a failure returns no plaintext and keeps the nonce.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "crypto/noise.h"
#include "fuzz_check.h"
#include "link/frame.h"
#include "link/setup_code.h"

namespace {

using namespace latchkey::crypto;
namespace link = latchkey::link;
using Bytes = std::vector<uint8_t>;

// link/channel.h's kPrologue (not included: it pulls in Boost.Asio).
constexpr std::string_view kPrologue = "latchkey-link-v1";

NoiseKeypair FixedKeypair(uint8_t mul, uint8_t add) {
  std::array<uint8_t, kNoiseDhLen> priv{};
  for (std::size_t i = 0; i < priv.size(); ++i) priv[i] = static_cast<uint8_t>(i * mul + add);
  auto kp = KeypairFromPrivate(priv);
  FUZZ_CHECK(kp.ok(), "fixed key pair");
  return *kp;
}

NoiseKey PairingKey() {
  link::SetupCode code{};
  for (std::size_t i = 0; i < code.size(); ++i) code[i] = static_cast<uint8_t>(0xA5 ^ (i * 29));
  return link::PairingPsk(code);
}

HandshakeConfig Config(NoisePattern pattern, NoiseSuite suite, bool initiator, bool wrong_psk = false) {
  HandshakeConfig c;
  c.pattern = pattern;
  c.suite = suite;
  c.initiator = initiator;
  c.prologue = std::span(reinterpret_cast<const uint8_t*>(kPrologue.data()), kPrologue.size());
  c.s = initiator ? FixedKeypair(3, 1) : FixedKeypair(5, 2);
  c.e_for_testing = initiator ? FixedKeypair(7, 3) : FixedKeypair(11, 4);
  if (pattern == NoisePattern::kXXpsk3) {
    c.psk = PairingKey();
    if (wrong_psk) (*c.psk)[31] ^= 1;
  }
  return c;
}

Handshake Start(const HandshakeConfig& config) {
  auto hs = Handshake::Start(config);
  FUZZ_CHECK(hs.ok(), "Handshake::Start with fixed keys");
  return std::move(hs).value();
}

// The real messages of one run (the channel sends empty payloads).
struct Transcript {
  Bytes msg1, msg2, msg3;
  NoisePublicKey initiator_pub{}, responder_pub{};
};

Transcript Record(NoisePattern pattern, NoiseSuite suite) {
  const HandshakeConfig ic = Config(pattern, suite, true), rc = Config(pattern, suite, false);
  Handshake init = Start(ic), resp = Start(rc);
  Transcript t;
  t.initiator_pub = ic.s.pub;
  t.responder_pub = rc.s.pub;
  auto m1 = init.WriteMessage({});
  FUZZ_CHECK(m1.ok() && resp.ReadMessage(*m1).ok(), "real message 1");
  auto m2 = resp.WriteMessage({});
  FUZZ_CHECK(m2.ok() && init.ReadMessage(*m2).ok(), "real message 2");
  auto m3 = init.WriteMessage({});
  FUZZ_CHECK(m3.ok() && resp.ReadMessage(*m3).ok(), "real message 3");
  FUZZ_CHECK(init.finished() && resp.finished(), "handshake finished");
  t.msg1 = *m1;
  t.msg2 = *m2;
  t.msg3 = *m3;
  return t;
}

const Transcript& Real(NoisePattern pattern, NoiseSuite suite) {
  static const Transcript xx = Record(NoisePattern::kXX, NoiseSuite::kChaChaPolyBlake2b);
  static const Transcript psk = Record(NoisePattern::kXXpsk3, NoiseSuite::kChaChaPolyBlake2b);
  static const Transcript xx_gcm = Record(NoisePattern::kXX, NoiseSuite::kAesGcmSha256);
  static const Transcript psk_gcm = Record(NoisePattern::kXXpsk3, NoiseSuite::kAesGcmSha256);
  if (suite == NoiseSuite::kAesGcmSha256) return pattern == NoisePattern::kXX ? xx_gcm : psk_gcm;
  return pattern == NoisePattern::kXX ? xx : psk;
}

// A failed read poisons the handshake: nothing more goes in or out.
void CheckPoisoned(Handshake& hs) {
  FUZZ_CHECK(hs.failed() && !hs.finished() && !hs.writes_next(), "a failed handshake still looks alive");
  FUZZ_CHECK(!hs.ReadMessage(Bytes(96, 0)).ok(), "a failed handshake read again");
  FUZZ_CHECK(!hs.WriteMessage({}).ok(), "a failed handshake wrote again");
  FUZZ_CHECK(!hs.Split().ok(), "a failed handshake gave transport keys");
}

// `base` with its length moved by the first byte (as a signed delta) and the rest XORed in.
Bytes Mutate(const Bytes& base, std::span<const uint8_t> mutation) {
  Bytes out = base;
  if (mutation.empty()) return out;
  const int delta = static_cast<int8_t>(mutation[0]);
  const std::size_t length = static_cast<std::size_t>(std::max<long>(0, static_cast<long>(base.size()) + delta));
  out.resize(length, 0);
  if (out.empty()) return out;
  for (std::size_t i = 1; i < mutation.size(); ++i) out[(i - 1) % out.size()] ^= mutation[i];
  return out;
}

// Mode 0: any first message to the lock.
void FirstMessage(NoisePattern pattern, NoiseSuite suite, std::span<const uint8_t> msg) {
  Handshake resp = Start(Config(pattern, suite, false));
  FUZZ_CHECK(!resp.writes_next(), "the responder reads first");
  FUZZ_CHECK(!resp.WriteMessage({}).ok() && !resp.failed(), "the responder wrote out of turn");
  auto payload = resp.ReadMessage(msg);
  if (!payload.ok()) {
    CheckPoisoned(resp);
    return;
  }
  // e, then the payload: in the clear for XX, under a key mixed from e for XXpsk3.
  const std::size_t overhead = kNoiseDhLen + (pattern == NoisePattern::kXXpsk3 ? kNoiseTagLen : 0);
  FUZZ_CHECK(msg.size() >= overhead && payload->size() == msg.size() - overhead, "payload size");
  if (pattern == NoisePattern::kXX) {
    FUZZ_CHECK(std::equal(payload->begin(), payload->end(), msg.begin() + kNoiseDhLen), "XX payload in the clear");
  }
  FUZZ_CHECK(resp.writes_next() && !resp.finished(), "after message 1 the responder writes");
  auto reply = resp.WriteMessage({});
  if (!reply.ok()) {  // only a low-order ephemeral may get here
    CheckPoisoned(resp);
    return;
  }
  FUZZ_CHECK(reply->size() == 2 * kNoiseDhLen + 2 * kNoiseTagLen, "message 2 size");
  FUZZ_CHECK(!resp.writes_next() && !resp.finished(), "after message 2 the responder reads");
  // Whoever sent that message 1 cannot finish without the keys; a real message 3 of another
  // session must fail too.
  if (msg.size() != Real(pattern, suite).msg1.size() || !std::equal(msg.begin(), msg.end(), Real(pattern, suite).msg1.begin())) {
    FUZZ_CHECK(!resp.ReadMessage(Real(pattern, suite).msg3).ok(), "message 3 of another session accepted");
    CheckPoisoned(resp);
  }
}

// Modes 1 and 2: the third message.
void ThirdMessage(NoisePattern pattern, NoiseSuite suite, std::span<const uint8_t> msg, bool wrong_psk) {
  const Transcript& real = Real(pattern, suite);
  Handshake resp = Start(Config(pattern, suite, false, wrong_psk));
  FUZZ_CHECK(resp.ReadMessage(real.msg1).ok(), "real message 1 read");
  auto m2 = resp.WriteMessage({});
  FUZZ_CHECK(m2.ok() && *m2 == real.msg2, "message 2 is not deterministic");
  auto payload = resp.ReadMessage(msg);
  const bool is_real = msg.size() == real.msg3.size() && std::equal(msg.begin(), msg.end(), real.msg3.begin());
  if (!is_real || wrong_psk) {
    FUZZ_CHECK(!payload.ok(), "a forged or mutated message 3 was accepted");
    CheckPoisoned(resp);
    return;
  }
  FUZZ_CHECK(payload.ok() && payload->empty() && resp.finished(), "the real message 3 was refused");
  FUZZ_CHECK(resp.remote_static() && *resp.remote_static() == real.initiator_pub, "wrong peer key");
  auto pair = resp.Split();
  FUZZ_CHECK(pair.ok() && !resp.Split().ok(), "Split once");
}

// Modes 3 and 4: the second message, read by the hub.
void SecondMessage(NoisePattern pattern, NoiseSuite suite, std::span<const uint8_t> msg) {
  const Transcript& real = Real(pattern, suite);
  Handshake init = Start(Config(pattern, suite, true));
  auto m1 = init.WriteMessage({});
  FUZZ_CHECK(m1.ok() && *m1 == real.msg1, "message 1 is not deterministic");
  auto payload = init.ReadMessage(msg);
  const bool is_real = msg.size() == real.msg2.size() && std::equal(msg.begin(), msg.end(), real.msg2.begin());
  if (!is_real) {
    // Message 2 carries the responder's static key and a payload under keys from ee and es: no
    // one without the responder's keys can produce one that passes.
    FUZZ_CHECK(!payload.ok(), "a forged or mutated message 2 was accepted");
    CheckPoisoned(init);
    return;
  }
  FUZZ_CHECK(payload.ok() && init.writes_next(), "the real message 2 was refused");
  FUZZ_CHECK(init.remote_static() && *init.remote_static() == real.responder_pub, "wrong peer key");
}

NoiseKey TransportKey(uint8_t salt) {
  NoiseKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(i * 13 + salt);
  return k;
}

// With fixed keys the fuzzer can learn a genuine ciphertext (libFuzzer records the operands of
// every memcmp the target makes) and hand it in where "any bytes" go. So a decrypt that passes is
// checked to be exactly the encryption of what it returned, under that key, nonce and ad: only a
// forgery breaks the invariant. Returns whether it passed.
bool CheckDecrypt(const latchkey::core::Result<Bytes>& r, const CipherState& cs, const NoiseKey& key,
                  uint64_t nonce_before, std::span<const uint8_t> ad, std::span<const uint8_t> ciphertext) {
  if (r.ok()) {
    FUZZ_CHECK(cs.nonce() == nonce_before + 1, "a decrypt that passed did not move the nonce");
    CipherState sender(key, cs.suite());
    sender.set_nonce_for_testing(nonce_before);
    auto genuine = sender.Encrypt(ad, *r);
    FUZZ_CHECK(genuine.ok() && std::equal(genuine->begin(), genuine->end(), ciphertext.begin(), ciphertext.end()),
               "a forged ciphertext was accepted");
    return true;
  }
  FUZZ_CHECK(r.status().code() == latchkey::core::Code::kInvalid, "a decrypt failed with another code");
  FUZZ_CHECK(cs.nonce() == nonce_before, "a failed decrypt moved the nonce");
  return false;
}

// Mode 5: records of [op][len][len bytes], the sender and receiver sharing a key.
void Transport(NoiseSuite suite, std::span<const uint8_t> script) {
  const NoiseKey key = TransportKey(9);
  CipherState send(key, suite), recv(key, suite);
  std::optional<Bytes> last;  // the last ciphertext delivered
  std::size_t pos = 0;
  int ops = 0;
  while (pos + 2 <= script.size() && ++ops <= 64) {
    const uint8_t op = script[pos] % 5;
    const std::size_t len = std::min<std::size_t>(script[pos + 1], script.size() - pos - 2);
    const std::span<const uint8_t> arg = script.subspan(pos + 2, len);
    pos += 2 + len;
    const uint64_t nonce = recv.nonce();
    switch (op) {
      case 0: {  // a real message arrives
        auto ct = send.Encrypt(arg.first(std::min<std::size_t>(arg.size(), 8)), arg);
        FUZZ_CHECK(ct.ok() && ct->size() == arg.size() + kNoiseTagLen, "Encrypt");
        auto pt = recv.Decrypt(arg.first(std::min<std::size_t>(arg.size(), 8)), *ct);
        FUZZ_CHECK(pt.ok() && std::equal(pt->begin(), pt->end(), arg.begin(), arg.end()), "a real message failed");
        FUZZ_CHECK(recv.nonce() == nonce + 1, "the nonce did not move");
        last = *ct;
        break;
      }
      case 1: {  // any bytes
        // Passes only for a genuine ciphertext the fuzzer learned; the sender then moves past it.
        if (CheckDecrypt(recv.Decrypt({}, arg), recv, key, nonce, {}, arg)) send.set_nonce_for_testing(recv.nonce());
        break;
      }
      case 2: {  // a real message, tampered with
        Bytes plain(arg.begin(), arg.end());
        auto ct = send.Encrypt({}, plain);
        FUZZ_CHECK(ct.ok(), "Encrypt");
        const Bytes tampered = Mutate(*ct, arg);
        auto pt = recv.Decrypt({}, tampered);
        if (tampered == *ct) {
          FUZZ_CHECK(pt.ok() && *pt == plain, "an untouched message failed");
          last = *ct;
        } else {
          FUZZ_CHECK(!CheckDecrypt(pt, recv, key, nonce, {}, tampered), "a tampered message was accepted");
          // The sender moved on: resynchronise as a reconnect would, with a fresh pair.
          send = CipherState(key, suite);
          recv = CipherState(key, suite);
          last.reset();
        }
        break;
      }
      case 3:  // a replay of the last delivered message
        if (last) FUZZ_CHECK(!CheckDecrypt(recv.Decrypt({}, *last), recv, key, nonce, {}, *last), "a replay was accepted");
        break;
      default: {  // a message under the other direction's key (reflection)
        CipherState other(TransportKey(10), suite);
        auto ct = other.Encrypt({}, arg);
        FUZZ_CHECK(ct.ok(), "Encrypt");
        FUZZ_CHECK(!CheckDecrypt(recv.Decrypt({}, *ct), recv, key, nonce, {}, *ct), "a reflected message was accepted");
        break;
      }
    }
  }
  // A moved-from CipherState has no key and refuses everything.
  CipherState moved = std::move(recv);
  FUZZ_CHECK(!recv.has_key() && !recv.Decrypt({}, Bytes(32, 0)).ok() && !recv.Encrypt({}, {}).ok(),  // NOLINT(bugprone-use-after-move)
             "a moved-from CipherState still works");
}

// Mode 6: [8 bytes of nonce][ad length][ad][ciphertext].
void DecryptAnything(NoiseSuite suite, std::span<const uint8_t> bytes) {
  if (bytes.size() < 9) return;
  uint64_t nonce = 0;
  for (int i = 0; i < 8; ++i) nonce = nonce << 8 | bytes[static_cast<std::size_t>(i)];
  const std::size_t ad_len = std::min<std::size_t>(bytes[8], bytes.size() - 9);
  const auto ad = bytes.subspan(9, ad_len);
  const auto ciphertext = bytes.subspan(9 + ad_len);
  const NoiseKey key = TransportKey(9);
  CipherState cs(key, suite);
  cs.set_nonce_for_testing(nonce);
  (void)CheckDecrypt(cs.Decrypt(ad, ciphertext), cs, key, nonce, ad, ciphertext);
  CipherState none;
  FUZZ_CHECK(!none.Decrypt(ad, ciphertext).ok(), "a key-less CipherState decrypted");
}

// Mode 7: [cut1][cut2][payload bytes], the payloads of messages 1, 2 and 3.
void WholeHandshake(NoisePattern pattern, NoiseSuite suite, std::span<const uint8_t> bytes) {
  if (bytes.size() < 2) return;
  const std::span<const uint8_t> rest = bytes.subspan(2);
  const std::size_t a = std::min<std::size_t>(bytes[0] * 8, rest.size());
  const std::size_t b = std::min<std::size_t>(a + bytes[1] * 8, rest.size());
  const std::span<const uint8_t> payloads[] = {rest.first(a), rest.subspan(a, b - a), rest.subspan(b)};
  const Transcript& real = Real(pattern, suite);
  Handshake init = Start(Config(pattern, suite, true)), resp = Start(Config(pattern, suite, false));
  for (std::size_t i = 0; i < 3; ++i) {
    Handshake& writer = i % 2 == 0 ? init : resp;
    Handshake& reader = i % 2 == 0 ? resp : init;
    FUZZ_CHECK(writer.writes_next() && !reader.writes_next(), "whose turn it is");
    auto message = writer.WriteMessage(payloads[i]);
    FUZZ_CHECK(message.ok(), "WriteMessage with a payload that fits");
    auto payload = reader.ReadMessage(*message);
    FUZZ_CHECK(payload.ok() && std::equal(payload->begin(), payload->end(), payloads[i].begin(), payloads[i].end()),
               "a handshake payload did not come through");
  }
  FUZZ_CHECK(init.finished() && resp.finished() && init.handshake_hash() == resp.handshake_hash() &&
                 init.handshake_hash().size() == NoiseHashLen(suite),
             "the two sides disagree on the session");
  FUZZ_CHECK(init.remote_static() && *init.remote_static() == real.responder_pub && resp.remote_static() &&
                 *resp.remote_static() == real.initiator_pub,
             "a side learned the wrong peer key");
  auto i = init.Split();
  auto r = resp.Split();
  FUZZ_CHECK(i.ok() && r.ok(), "Split");
  TransportPair hub = std::move(i).value(), lock = std::move(r).value();
  for (const auto& p : payloads) {
    auto up = hub.send.Encrypt({}, p);
    FUZZ_CHECK(up.ok(), "Encrypt");
    auto got = lock.recv.Decrypt({}, *up);
    FUZZ_CHECK(got.ok() && std::equal(got->begin(), got->end(), p.begin(), p.end()), "hub -> lock");
    auto down = lock.send.Encrypt({}, p);
    FUZZ_CHECK(down.ok(), "Encrypt");
    FUZZ_CHECK(!lock.recv.Decrypt({}, *down).ok(), "a lock accepted its own message back");
    auto back = hub.recv.Decrypt({}, *down);
    FUZZ_CHECK(back.ok() && std::equal(back->begin(), back->end(), p.begin(), p.end()), "lock -> hub");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  // Handshake messages arrive one per frame.
  if (size < 1 || size > 1 + link::kMaxFrame) return 0;
  const uint8_t control = data[0];
  const NoisePattern pattern = control & 1 ? NoisePattern::kXXpsk3 : NoisePattern::kXX;
  const NoiseSuite suite = control & 0x10 ? NoiseSuite::kAesGcmSha256 : NoiseSuite::kChaChaPolyBlake2b;
  const std::span<const uint8_t> bytes(data + 1, size - 1);
  const Transcript& real = Real(pattern, suite);
  switch (((control >> 1) & 0x3F) % 8) {
    case 0: FirstMessage(pattern, suite, bytes); break;
    case 1: ThirdMessage(pattern, suite, bytes, false); break;
    case 2: ThirdMessage(pattern, suite, Mutate(real.msg3, bytes), pattern == NoisePattern::kXXpsk3 && (control & 0x80)); break;
    case 3: SecondMessage(pattern, suite, bytes); break;
    case 4: SecondMessage(pattern, suite, Mutate(real.msg2, bytes)); break;
    case 5: Transport(suite, bytes); break;
    case 6: DecryptAnything(suite, bytes); break;
    default: WholeHandshake(pattern, suite, bytes); break;
  }
  return 0;
}
