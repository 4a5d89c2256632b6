// The phones' Noise suite, 25519_AESGCM_SHA256 (PHONE-KEYS.md section 2; docs/phone-keys.md).
// Its cacophony vectors run in noise_test.cc beside the link's; here are what the vectors alone
// would not pin down: where the nonce counter sits (a known answer computed independently of
// this code), tampering, and whole XX and IK sessions with the phone prologue.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crypto/noise.h"
#include "noise_test_util.h"

namespace latchkey::crypto {
namespace {

using noise_test::Array32;
using noise_test::Bytes;
using noise_test::FromHex;
using noise_test::Str;
using noise_test::ToHex;

constexpr NoiseSuite kPhone = NoiseSuite::kAesGcmSha256;
const Bytes kPhonePrologue = Str("latchkey-phone-v1");

NoiseKey CountingKey() {
  NoiseKey key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  return key;
}

TEST(NoiseAesGcm, SuiteParameters) {
  EXPECT_EQ(NoiseHashLen(kPhone), 32u);
  EXPECT_EQ(NoiseHashLen(NoiseSuite::kChaChaPolyBlake2b), 64u);
  EXPECT_EQ(NoiseProtocolName(NoisePattern::kXX, kPhone), "Noise_XX_25519_AESGCM_SHA256");
  EXPECT_EQ(NoiseProtocolName(NoisePattern::kIK, kPhone), "Noise_IK_25519_AESGCM_SHA256");
  EXPECT_EQ(NoiseProtocolName(NoisePattern::kXX), "Noise_XX_25519_ChaChaPoly_BLAKE2b")
      << "the default stays the link's suite";
  EXPECT_EQ(NoiseProtocolName(NoisePattern::kXX, static_cast<NoiseSuite>(7)), "");
  // SHA-256("abc") and the RFC 4231 test case 2 HMAC, through the suite's own HASH and HMAC.
  EXPECT_EQ(ToHex(SuiteHash(kPhone, Str("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ToHex(SuiteHmac(kPhone, Str("Jefe"), Str("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// Section 12.4: 32 zero bits, then the counter big-endian (ChaChaPoly, section 12.3, puts it
// little-endian). Two peers of ours would agree on either placement, so only this and the
// vectors tell the one a phone uses.
TEST(NoiseAesGcm, NonceCounterIsBigEndian) {
  constexpr uint64_t n = 0x0102030405060708;
  const std::array<uint8_t, 12> be = {0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
  const std::array<uint8_t, 12> le = {0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1};
  EXPECT_EQ(NoiseNonce(kPhone, n), be);
  EXPECT_EQ(NoiseNonce(NoiseSuite::kChaChaPolyBlake2b, n), le);
  const std::array<uint8_t, 12> one = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(NoiseNonce(kPhone, 1), one);
}

// The expected bytes come from Python's `cryptography` (AESGCM, independent of this code):
//   key = bytes(range(32)); ad = b"latchkey-phone-v1"; pt = b"unlock"
//   AESGCM(key).encrypt(bytes(4) + n.to_bytes(8, "big"), pt, ad)
// for n = 0x0102030405060708 and n = 1. The little-endian nonce would give
// 6996932a01447181cb1153d95efce25fb1b05873527b for the first instead.
TEST(NoiseAesGcm, KnownAnswerAtAChosenNonce) {
  struct Case {
    uint64_t nonce;
    const char* ciphertext;
  };
  for (const Case& c : {Case{0x0102030405060708, "713f0961be8a9b02d12713946d090d7092577627be14"},
                        Case{1, "60b8d393279fb240e37e0ee14e128de266a56a660e93"}}) {
    SCOPED_TRACE(std::to_string(c.nonce));
    CipherState send(CountingKey(), kPhone);
    send.set_nonce_for_testing(c.nonce);
    auto ct = send.Encrypt(kPhonePrologue, Str("unlock"));
    ASSERT_TRUE(ct.ok()) << ct.status().ToString();
    EXPECT_EQ(ToHex(*ct), c.ciphertext);
    EXPECT_EQ(send.nonce(), c.nonce + 1);

    CipherState recv(CountingKey(), kPhone);
    recv.set_nonce_for_testing(c.nonce);
    auto pt = recv.Decrypt(kPhonePrologue, FromHex(c.ciphertext));
    ASSERT_TRUE(pt.ok()) << pt.status().ToString();
    EXPECT_EQ(*pt, Str("unlock"));
  }
}

TEST(NoiseAesGcm, TamperedCiphertextIsRefused) {
  CipherState send(CountingKey(), kPhone);
  CipherState recv(CountingKey(), kPhone);
  const Bytes ad = Str("frame");
  auto ct = send.Encrypt(ad, Str("{\"t\":\"req\",\"op\":\"unlock\"}"));
  ASSERT_TRUE(ct.ok());
  for (size_t bit = 0; bit < ct->size() * 8; ++bit) {
    Bytes bad = *ct;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    auto pt = recv.Decrypt(ad, bad);
    EXPECT_FALSE(pt.ok()) << "bit " << bit;
    EXPECT_EQ(pt.status().code(), core::Code::kInvalid);
  }
  Bytes bad_ad = ad;
  bad_ad[0] ^= 1;
  EXPECT_FALSE(recv.Decrypt(bad_ad, *ct).ok());
  for (size_t len = 0; len < ct->size(); ++len) {
    EXPECT_FALSE(recv.Decrypt(ad, Bytes(ct->begin(), ct->begin() + static_cast<long>(len))).ok());
  }
  // The same key under the link's suite is another cipher altogether.
  CipherState chacha(CountingKey());
  EXPECT_FALSE(chacha.Decrypt(ad, *ct).ok());
  EXPECT_EQ(recv.nonce(), 0u) << "a refused message must not use up the nonce";
  EXPECT_TRUE(recv.Decrypt(ad, *ct).ok());
  EXPECT_FALSE(recv.Decrypt(ad, *ct).ok()) << "a replay";
}

// ---- Whole phone sessions: the lock responds, the phone initiates ----

struct Session {
  std::optional<TransportPair> phone, lock;
  NoiseHash hash;
};

// Plays a phone session; `corrupt` (if set) flips a byte of that handshake message.
Session PlayPhone(NoisePattern pattern, const NoiseKeypair& phone_s, const NoiseKeypair& lock_s,
                  std::optional<size_t> corrupt = std::nullopt) {
  HandshakeConfig phone_config;
  phone_config.pattern = pattern;
  phone_config.suite = kPhone;
  phone_config.initiator = true;
  phone_config.prologue = kPhonePrologue;
  phone_config.s = phone_s;
  if (pattern == NoisePattern::kIK) phone_config.rs = lock_s.pub;  // pinned from an earlier XX
  HandshakeConfig lock_config;
  lock_config.pattern = pattern;
  lock_config.suite = kPhone;
  lock_config.prologue = kPhonePrologue;
  lock_config.s = lock_s;

  Session session;
  auto phone = Handshake::Start(phone_config);
  auto lock = Handshake::Start(lock_config);
  EXPECT_TRUE(phone.ok() && lock.ok());
  if (!phone.ok() || !lock.ok()) return session;
  const size_t length = pattern == NoisePattern::kIK ? 2 : 3;
  for (size_t k = 0; k < length; ++k) {
    Handshake& writer = k % 2 == 0 ? phone.value() : lock.value();
    Handshake& reader = k % 2 == 0 ? lock.value() : phone.value();
    // The phone's certificate travels in its last handshake payload (PHONE-KEYS.md section 2).
    const Bytes payload = Str(k + 1 == length ? "phone certificate" : "");
    auto message = writer.WriteMessage(payload);
    EXPECT_TRUE(message.ok());
    if (!message.ok()) return session;
    Bytes wire = *message;
    if (corrupt == k) wire.back() ^= 0x01;
    auto got = reader.ReadMessage(wire);
    if (!got.ok()) return session;
    EXPECT_EQ(*got, payload);
  }
  EXPECT_TRUE(phone->finished() && lock->finished());
  EXPECT_EQ(phone->handshake_hash(), lock->handshake_hash());
  EXPECT_EQ(phone->handshake_hash().size(), 32u);
  EXPECT_EQ(phone->remote_static(), std::optional<NoisePublicKey>(lock_s.pub));
  EXPECT_EQ(lock->remote_static(), std::optional<NoisePublicKey>(phone_s.pub));
  session.hash = phone->handshake_hash();
  auto p = phone.value().Split();
  auto l = lock.value().Split();
  EXPECT_TRUE(p.ok() && l.ok());
  if (!p.ok() || !l.ok()) return session;
  session.phone = std::move(p).value();
  session.lock = std::move(l).value();
  return session;
}

// A challenge from the lock, a request that echoes it, an answer: the operations of section 2.
void ExchangeOperations(Session& s) {
  ASSERT_TRUE(s.phone && s.lock);
  for (int round = 0; round < 3; ++round) {
    const Bytes challenge = Str("challenge " + std::to_string(round));
    auto down = s.lock->send.Encrypt({}, challenge);
    ASSERT_TRUE(down.ok());
    auto got = s.phone->recv.Decrypt({}, *down);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, challenge);
    const Bytes request = Str("req unlock " + std::to_string(round));
    auto up = s.phone->send.Encrypt({}, request);
    ASSERT_TRUE(up.ok());
    auto req = s.lock->recv.Decrypt({}, *up);
    ASSERT_TRUE(req.ok());
    EXPECT_EQ(*req, request);
    EXPECT_FALSE(s.phone->recv.Decrypt({}, *up).ok()) << "a request reflected to the phone";
  }
  EXPECT_EQ(s.phone->send.suite(), kPhone);
  EXPECT_EQ(s.lock->recv.suite(), kPhone);
}

TEST(NoiseAesGcmSession, XxThenIkWithThePinnedKey) {
  const NoiseKeypair phone_s = GenerateKeypair();
  const NoiseKeypair lock_s = GenerateKeypair();
  Session first = PlayPhone(NoisePattern::kXX, phone_s, lock_s);
  ASSERT_TRUE(first.phone.has_value()) << "XX did not finish";
  ExchangeOperations(first);
  Session again = PlayPhone(NoisePattern::kIK, phone_s, lock_s);
  ASSERT_TRUE(again.phone.has_value()) << "IK did not finish";
  ExchangeOperations(again);
  EXPECT_FALSE(first.hash == again.hash);
}

TEST(NoiseAesGcmSession, CorruptedHandshakeMessageFails) {
  const NoiseKeypair phone_s = GenerateKeypair();
  const NoiseKeypair lock_s = GenerateKeypair();
  for (size_t k = 0; k < 3; ++k) {
    SCOPED_TRACE("XX message " + std::to_string(k));
    EXPECT_FALSE(PlayPhone(NoisePattern::kXX, phone_s, lock_s, k).phone.has_value());
  }
  for (size_t k = 0; k < 2; ++k) {
    SCOPED_TRACE("IK message " + std::to_string(k));
    EXPECT_FALSE(PlayPhone(NoisePattern::kIK, phone_s, lock_s, k).phone.has_value());
  }
}

// The suite is in the protocol name, so a phone and a lock on different suites never agree.
TEST(NoiseAesGcmSession, MismatchedSuitesFail) {
  HandshakeConfig phone;
  phone.suite = kPhone;
  phone.initiator = true;
  phone.prologue = kPhonePrologue;
  phone.s = GenerateKeypair();
  HandshakeConfig lock;  // the link's suite
  lock.prologue = kPhonePrologue;
  lock.s = GenerateKeypair();
  auto p = Handshake::Start(phone);
  auto l = Handshake::Start(lock);
  ASSERT_TRUE(p.ok() && l.ok());
  auto m0 = p.value().WriteMessage({});
  ASSERT_TRUE(m0.ok());
  ASSERT_TRUE(l.value().ReadMessage(*m0).ok()) << "XX's first message is in the clear";
  auto m1 = l.value().WriteMessage({});
  ASSERT_TRUE(m1.ok());
  EXPECT_FALSE(p.value().ReadMessage(*m1).ok());

  HandshakeConfig bad = phone;
  bad.suite = static_cast<NoiseSuite>(9);
  EXPECT_FALSE(Handshake::Start(bad).ok());
}

}  // namespace
}  // namespace latchkey::crypto
