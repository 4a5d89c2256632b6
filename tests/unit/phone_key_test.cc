// Phone-key certificates (PHONE-KEYS.md 1): the deterministic encoding, the strict decoder and
// every refusal rule of core::CheckPhoneKey, with certificates signed by a real Ed25519 key.
#include "core/phone_key.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "crypto/sodium_crypto.h"

namespace latchkey::core {
namespace {

constexpr int64_t kNow = 1'795'600'800;  // 2026-11-25T10:00:00Z, as the fake clock starts
constexpr std::string_view kLockId = "lk-0011223344556677";

std::vector<uint8_t> FromHex(std::string_view hex) {
  std::vector<uint8_t> out;
  std::string digits;
  for (char c : hex) if (c != ' ' && c != '\n') digits.push_back(c);
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  return out;
}

template <std::size_t N>
std::array<uint8_t, N> Filled(uint8_t byte) {
  std::array<uint8_t, N> a{};
  a.fill(byte);
  return a;
}

class PhoneKeyTest : public ::testing::Test {
 protected:
  PhoneKeyTest() : crypto_(Filled<32>(0x42)), home_(crypto::Ed25519KeyPairFromSeed(Filled<32>(0x01))) {
    cert_.serial = 7;
    cert_.lock = std::string(kLockId);
    cert_.user = 3;
    cert_.phone = Filled<32>(0x11);
    cert_.not_before = kNow;
    cert_.not_after = kNow + 24 * 3600;
    cert_.ops = {.lock = true, .unlock = true, .unlatch = false};
    cert_.epoch = 2;
    Sign(cert_);
    ctx_.lock_id = kLockId;
    ctx_.home_key = home_.public_key;
    ctx_.now_s = kNow + 3600;
    ctx_.clock_trusted = true;
    ctx_.min_epoch = 2;
    ctx_.revoked = revoked_;
    ctx_.session_key = cert_.phone;
    ctx_.op = Operation::kUnlock;
  }

  void Sign(PhoneKeyCert& cert) const { cert.sig = crypto::SignEd25519(home_, PhoneKeySignedBytes(cert)); }
  PhoneKeyCheck Check(const PhoneKeyCert& cert) const { return CheckPhoneKey(crypto_, cert, ctx_); }
  // A copy of the certificate with one field changed by `edit`, signed again by the home key.
  template <typename F>
  PhoneKeyCert Resigned(F edit) const {
    PhoneKeyCert c = cert_;
    edit(c);
    Sign(c);
    return c;
  }

  crypto::SodiumCrypto crypto_;
  crypto::Ed25519KeyPair home_;
  std::vector<uint64_t> revoked_ = {3, 99};
  PhoneKeyCert cert_;
  PhoneKeyContext ctx_;
};

void ExpectRefused(const PhoneKeyCheck& check, PhoneKeyVerdict verdict, bool counts) {
  EXPECT_EQ(ToString(check.verdict), ToString(verdict));
  EXPECT_EQ(check.counts_as_wrong_attempt, counts) << ToString(verdict);
  EXPECT_FALSE(check.ok());
}

TEST_F(PhoneKeyTest, AcceptsAValidCertificate) {
  const PhoneKeyCheck check = Check(cert_);
  EXPECT_TRUE(check.ok()) << ToString(check.verdict);
  EXPECT_FALSE(check.counts_as_wrong_attempt);
}

TEST_F(PhoneKeyTest, EncodingIsPinned) {
  PhoneKeyCert c = cert_;
  c.sig = Filled<64>(0xAA);
  // Written by hand from RFC 8949 4.2.1: keys sorted by encoded bytes (shorter first).
  const std::vector<uint8_t> expected = FromHex(
      "ab"                                          // map of 11
      "6176 01"                                     // "v": 1
      "636f7073 82 646c6f636b 66756e6c6f636b"       // "ops": ["lock", "unlock"]
      "63736967 5840" + std::string(128, 'a') +     // "sig": 64 bytes
      "646175746f f4"                               // "auto": false
      "646c6f636b 736c6b2d30303131323233333434353536363737"  // "lock": "lk-0011223344556677"
      "6475736572 03"                               // "user": 3
      "6565706f6368 02"                             // "epoch": 2
      "6570686f6e65 5820" + std::string(64, '1') +  // "phone": 32 bytes of 0x11
      "6673657269616c 07"                           // "serial": 7
      "696e6f745f6166746572 1a6b080320"             // "not_after": 1795687200
      "6a6e6f745f6265666f7265 1a6b06b1a0");         // "not_before": 1795600800
  EXPECT_EQ(EncodePhoneKey(c), expected);
  // The signed bytes: the same map of 10 without "sig".
  std::vector<uint8_t> signed_bytes = expected;
  const std::size_t sig_at = 1 + 3 + 17;  // after the map head, "v" and "ops"
  signed_bytes.erase(signed_bytes.begin() + sig_at, signed_bytes.begin() + sig_at + 4 + 2 + 64);
  signed_bytes[0] = 0xaa;
  EXPECT_EQ(PhoneKeySignedBytes(c), signed_bytes);
  const auto decoded = DecodePhoneKey(expected);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, c);
}

// The example of docs/phone-keys.md: this test's certificate signed by the home key whose seed
// is 32 bytes of 0x01 (Ed25519 signatures are deterministic, so a phone can reproduce it).
TEST_F(PhoneKeyTest, DocumentedExampleIsReproduced) {
  EXPECT_EQ(std::vector<uint8_t>(home_.public_key.begin(), home_.public_key.end()),
            FromHex("8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"));
  const std::vector<uint8_t> expected = FromHex(
      "ab617601636f707382646c6f636b66756e6c6f636b637369675840e70b3cf9a3ffb988aec1d32f6e18cec4f560d10c47cf7b"
      "6ab072b31edc6b3f09b099affbb038b4eb0bbb782735d1cb68c85cc4b5f5b065477ed405b57a4e8803646175746ff4646c6f"
      "636b736c6b2d303031313232333334343535363637376475736572036565706f6368026570686f6e65582011111111111111"
      "111111111111111111111111111111111111111111111111116673657269616c07696e6f745f61667465721a6b0803206a6e"
      "6f745f6265666f72651a6b06b1a0");
  EXPECT_EQ(EncodePhoneKey(cert_), expected);
  EXPECT_TRUE(Check(*DecodePhoneKey(expected)).ok());
}

TEST_F(PhoneKeyTest, RoundTripsThroughTheDecoder) {
  for (const PhoneKeyCert& c :
       {cert_, Resigned([](PhoneKeyCert& x) { x.lock = "*"; x.user = 0; x.auto_unlock = true; }),
        Resigned([](PhoneKeyCert& x) { x.ops = {.lock = false, .unlock = false, .unlatch = true}; x.serial = ~0ull; }),
        Resigned([](PhoneKeyCert& x) { x.ops = {true, true, true}; x.epoch = 0xFFFFFFFF; x.user = 0xFFFF; })}) {
    const auto bytes = EncodePhoneKey(c);
    const auto decoded = DecodePhoneKey(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, c);
  }
}

TEST_F(PhoneKeyTest, NoHomeKeyRefusesEverything) {
  ctx_.home_key.reset();
  ExpectRefused(Check(cert_), PhoneKeyVerdict::kNoHomeKey, false);
}

TEST_F(PhoneKeyTest, ASignatureByAnotherKeyIsBad) {
  PhoneKeyCert c = cert_;
  c.sig = crypto::SignEd25519(crypto::Ed25519KeyPairFromSeed(Filled<32>(0x02)), PhoneKeySignedBytes(c));
  ExpectRefused(Check(c), PhoneKeyVerdict::kBadSignature, true);
}

TEST_F(PhoneKeyTest, EveryFieldChangedAfterSigningIsABadSignature) {
  const std::vector<void (*)(PhoneKeyCert&)> edits = {
      [](PhoneKeyCert& c) { c.serial += 1; },        [](PhoneKeyCert& c) { c.lock = "*"; },
      [](PhoneKeyCert& c) { c.user = 1; },           [](PhoneKeyCert& c) { c.phone[31] ^= 1; },
      [](PhoneKeyCert& c) { c.not_before -= 1; },    [](PhoneKeyCert& c) { c.not_after += 90 * 86400; },
      [](PhoneKeyCert& c) { c.ops.unlatch = true; }, [](PhoneKeyCert& c) { c.auto_unlock = true; },
      [](PhoneKeyCert& c) { c.epoch += 1; },         [](PhoneKeyCert& c) { c.sig[0] ^= 0x80; },
  };
  for (std::size_t i = 0; i < edits.size(); ++i) {
    PhoneKeyCert c = cert_;
    edits[i](c);
    ctx_.session_key = c.phone;  // the phone edit is caught by the signature, not by the session
    ExpectRefused(Check(c), PhoneKeyVerdict::kBadSignature, true);
  }
}

TEST_F(PhoneKeyTest, TamperingAnyByteOfTheEncodingRefusesIt) {
  const std::vector<uint8_t> good = EncodePhoneKey(cert_);
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}}) {
      std::vector<uint8_t> bad = good;
      bad[i] ^= flip;
      const auto decoded = DecodePhoneKey(bad);
      if (!decoded.ok()) continue;  // refused by shape: fine
      ctx_.session_key = decoded->phone;
      EXPECT_FALSE(Check(*decoded).ok()) << "byte " << i << " ^ " << int{flip};
    }
  }
}

TEST_F(PhoneKeyTest, WrongPhoneCountsAsAWrongAttempt) {
  ctx_.session_key[0] ^= 1;
  ExpectRefused(Check(cert_), PhoneKeyVerdict::kWrongPhone, true);
  // Before the window: a captured certificate replayed by another phone always counts.
  ctx_.now_s = cert_.not_after + 1;
  ExpectRefused(Check(cert_), PhoneKeyVerdict::kWrongPhone, true);
}

TEST_F(PhoneKeyTest, WrongLockAndEveryLock) {
  ctx_.lock_id = "lk-ffffffffffffffff";
  ExpectRefused(Check(cert_), PhoneKeyVerdict::kWrongLock, false);
  EXPECT_TRUE(Check(Resigned([](PhoneKeyCert& c) { c.lock = "*"; })).ok());
  // "*" is only the certificate's wildcard: a lock whose id were "*" gains nothing from it.
  ExpectRefused(Check(Resigned([](PhoneKeyCert& c) { c.lock = "lk-*"; })), PhoneKeyVerdict::kWrongLock, false);
}

TEST_F(PhoneKeyTest, UntrustedClockRefusesEveryCertificate) {
  ctx_.clock_trusted = false;
  ExpectRefused(Check(cert_), PhoneKeyVerdict::kClockUntrusted, false);
  ExpectRefused(Check(Resigned([](PhoneKeyCert& c) { c.lock = "*"; })), PhoneKeyVerdict::kClockUntrusted, false);
}

TEST_F(PhoneKeyTest, WindowIsHalfOpenAndStaleKeysDoNotCount) {
  ctx_.now_s = cert_.not_before - 1;
  ExpectRefused(Check(cert_), PhoneKeyVerdict::kNotYetValid, false);
  ctx_.now_s = cert_.not_before;
  EXPECT_TRUE(Check(cert_).ok());
  ctx_.now_s = cert_.not_after - 1;
  EXPECT_TRUE(Check(cert_).ok());
  ctx_.now_s = cert_.not_after;
  ExpectRefused(Check(cert_), PhoneKeyVerdict::kExpired, false);
}

TEST_F(PhoneKeyTest, BelowEpochIsRefused) {
  ctx_.min_epoch = 3;
  ExpectRefused(Check(cert_), PhoneKeyVerdict::kBelowEpoch, false);
  EXPECT_TRUE(Check(Resigned([](PhoneKeyCert& c) { c.epoch = 3; })).ok());
}

TEST_F(PhoneKeyTest, RevokedSerialIsRefused) {
  ExpectRefused(Check(Resigned([](PhoneKeyCert& c) { c.serial = 99; })), PhoneKeyVerdict::kRevoked, false);
}

TEST_F(PhoneKeyTest, OpsAreASubset) {
  ctx_.op = Operation::kLock;
  EXPECT_TRUE(Check(cert_).ok());
  ctx_.op = Operation::kUnlatch;
  ExpectRefused(Check(cert_), PhoneKeyVerdict::kOpNotAllowed, false);
  ctx_.op = Operation::kNonAccess;
  ExpectRefused(Check(cert_), PhoneKeyVerdict::kOpNotAllowed, false);
  const PhoneKeyCert unlatch_only = Resigned([](PhoneKeyCert& c) { c.ops = {false, false, true}; });
  ctx_.op = Operation::kUnlatch;
  EXPECT_TRUE(Check(unlatch_only).ok());
  ctx_.op = Operation::kUnlock;
  ExpectRefused(Check(unlatch_only), PhoneKeyVerdict::kOpNotAllowed, false);
}

std::string Decoded(const std::vector<uint8_t>& bytes) {
  const auto r = DecodePhoneKey(bytes);
  return r.ok() ? "ok" : r.status().message();
}

TEST_F(PhoneKeyTest, DecoderRefusalsNameTheField) {
  const std::vector<uint8_t> good = EncodePhoneKey(cert_);
  const std::string hex = [&] {
    std::string s;
    for (uint8_t b : good) { char buf[3]; std::snprintf(buf, sizeof buf, "%02x", b); s += buf; }
    return s;
  }();
  // Replaces the first occurrence of `from` (hex) in the good certificate by `to`.
  const auto edited = [&](std::string_view from, std::string_view to) {
    const auto strip = [](std::string_view in) {
      std::string out;
      for (char c : in) if (c != ' ') out.push_back(c);
      return out;
    };
    std::string s = hex;
    const std::string f = strip(from);
    const auto at = s.find(f);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, f.size(), strip(to));
    return FromHex(s);
  };
  EXPECT_EQ(Decoded(good), "ok");
  EXPECT_EQ(Decoded(edited("617601", "617602")), "v: not 1");
  EXPECT_EQ(Decoded(edited("6475736572 03", "6475736572 1a00010000")), "user: not an integer in 0..65535");
  EXPECT_EQ(Decoded(edited("6475736572 03", "6475736572 1803")), "user: not an integer in 0..65535");  // not shortest
  EXPECT_EQ(Decoded(edited("6475736572 03", "6475736572 f5")), "user: not an integer in 0..65535");
  EXPECT_EQ(Decoded(edited("6570686f6e65 5820", "6570686f6e65 581f")).substr(0, 6), "phone:");
  EXPECT_EQ(Decoded(edited("6565706f6368 02", "6565706f6368 1b0000000100000000")), "epoch: not an integer in 0..4294967295");
  EXPECT_EQ(Decoded(edited("646175746f f4", "646175746f 00")), "auto: not a boolean");
  EXPECT_EQ(Decoded(edited("636f7073 82 646c6f636b 66756e6c6f636b", "636f7073 82 66756e6c6f636b 646c6f636b")).substr(0, 4), "ops:");
  EXPECT_EQ(Decoded(edited("636f7073 82 646c6f636b 66756e6c6f636b", "636f7073 82 646c6f636b 646c6f636b")).substr(0, 4), "ops:");
  EXPECT_EQ(Decoded(edited("636f7073 82 646c6f636b 66756e6c6f636b", "636f7073 82 646c6f636b 66756e6c6f636c")).substr(0, 4), "ops:");
  EXPECT_EQ(Decoded(edited("636f7073 82 646c6f636b 66756e6c6f636b", "636f7073 80")).substr(0, 4), "ops:");
  EXPECT_EQ(Decoded(edited("636f7073 82", "636f7073 9f")).substr(0, 4), "ops:");  // indefinite length
  EXPECT_EQ(Decoded(edited("63736967 5840", "63736967 5841")).substr(0, 4), "sig:");
  EXPECT_EQ(Decoded(edited("6a6e6f745f6265666f7265 1a", "6a6e6f745f6265666f7265 3a")).substr(0, 11), "not_before:");
  EXPECT_EQ(Decoded(edited("646c6f636b 73", "646c6f636b 60")).substr(0, 5), "lock:");  // empty lock id
  EXPECT_EQ(Decoded(edited("6a6e6f745f6265666f7265 1a6b06b1a0", "6a6e6f745f6265666f7265 1a6b080320")),
            "not_after: not after not_before");
  // Shape: another type, another count, an unknown or repeated key, keys out of order, trailing bytes, size.
  EXPECT_EQ(Decoded(FromHex("a0")).substr(0, 12), "certificate:");
  EXPECT_EQ(Decoded(FromHex("80")).substr(0, 12), "certificate:");
  EXPECT_EQ(Decoded(edited("ab", "ac")).substr(0, 12), "certificate:");
  EXPECT_EQ(Decoded(edited("ab", "b8 0b")).substr(0, 12), "certificate:");  // non-shortest map head
  EXPECT_EQ(Decoded(edited("6475736572", "6475736573")), "certificate: unknown field \"uses\"");
  EXPECT_EQ(Decoded(edited("6475736572", "646c6f636b")).substr(0, 12), "certificate:");  // "lock" twice
  std::vector<uint8_t> v_last = edited("ab 617601", "ab");  // "v": 1 moved to the end: out of order
  v_last.insert(v_last.end(), {0x61, 0x76, 0x01});
  EXPECT_EQ(Decoded(v_last).substr(0, 12), "certificate:");
  std::vector<uint8_t> trailing = good;
  trailing.push_back(0x00);
  EXPECT_EQ(Decoded(trailing), "certificate: bytes after the map");
  EXPECT_EQ(Decoded(std::vector<uint8_t>(good.size() - 1, 0)).substr(0, 12), "certificate:");
  std::vector<uint8_t> truncated(good.begin(), good.end() - 1);
  EXPECT_EQ(Decoded(truncated).substr(0, 11), "not_before:");  // the last key
  const PhoneKeyCert long_lock = Resigned([](PhoneKeyCert& c) { c.lock = std::string(64, 'x'); });
  EXPECT_EQ(Decoded(EncodePhoneKey(long_lock)), "ok");
  const PhoneKeyCert too_long = Resigned([](PhoneKeyCert& c) { c.lock = std::string(65, 'x'); });
  EXPECT_EQ(Decoded(EncodePhoneKey(too_long)).substr(0, 5), "lock:");
  const PhoneKeyCert oversize = Resigned([](PhoneKeyCert& c) { c.lock = std::string(1000, 'x'); });
  EXPECT_EQ(Decoded(EncodePhoneKey(oversize)), "certificate: larger than 1024 bytes");
}

}  // namespace
}  // namespace latchkey::core
