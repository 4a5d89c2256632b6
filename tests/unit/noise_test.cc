// The Noise handshakes and transport of LINK.md (Security): the cacophony vectors of both suites
// byte for byte, then the failures the link relies on (tampering, truncation, replay, wrong psk).
// The phone suite's own checks (nonce placement, phone sessions) are in noise_aesgcm_test.cc.
#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "crypto/noise.h"
#include "noise_test_util.h"

namespace latchkey::crypto {
namespace {

using noise_test::Array32;
using noise_test::Bytes;
using noise_test::FromHex;
using noise_test::KeypairHex;
using noise_test::Str;
using noise_test::ToHex;
using nlohmann::json;

constexpr NoisePattern kAllPatterns[] = {NoisePattern::kXX, NoisePattern::kXXpsk3,
                                         NoisePattern::kIK};

// ---- The cacophony vectors ----

json LoadVectors(NoiseSuite suite) {
  std::ifstream in(suite == NoiseSuite::kAesGcmSha256
                       ? LATCHKEY_TESTDATA_DIR "/noise/cacophony-25519-aesgcm-sha256.json"
                       : LATCHKEY_TESTDATA_DIR "/noise/cacophony-25519-chachapoly-blake2b.json");
  return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

HandshakeConfig VectorConfig(const json& v, NoisePattern pattern, NoiseSuite suite, bool initiator,
                             const Bytes& prologue) {
  const std::string side = initiator ? "init_" : "resp_";
  HandshakeConfig config;
  config.pattern = pattern;
  config.suite = suite;
  config.initiator = initiator;
  config.prologue = prologue;
  if (v.contains(side + "static")) config.s = KeypairHex(v[side + "static"].get<std::string>());
  config.e_for_testing = KeypairHex(v[side + "ephemeral"].get<std::string>());
  if (v.contains(side + "remote_static")) {
    config.rs = Array32(FromHex(v[side + "remote_static"].get<std::string>()));
  }
  if (v.contains(side + "psks")) {
    const json& psks = v[side + "psks"];
    EXPECT_EQ(psks.size(), 1u);
    if (!psks.empty()) config.psk = Array32(FromHex(psks[0].get<std::string>()));
  }
  return config;
}

// Both sides with the vector's fixed keys; every message, handshake and transport, must come
// out byte for byte. Messages alternate initiator->responder, responder->initiator throughout.
void RunVector(const json& v, NoisePattern pattern, NoiseSuite suite) {
  const Bytes init_prologue = FromHex(v["init_prologue"].get<std::string>());
  const Bytes resp_prologue = FromHex(v["resp_prologue"].get<std::string>());
  const HandshakeConfig init_config = VectorConfig(v, pattern, suite, true, init_prologue);
  const HandshakeConfig resp_config = VectorConfig(v, pattern, suite, false, resp_prologue);
  auto init = Handshake::Start(init_config);
  auto resp = Handshake::Start(resp_config);
  ASSERT_TRUE(init.ok()) << init.status().ToString();
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();

  std::optional<TransportPair> init_transport;
  std::optional<TransportPair> resp_transport;
  size_t transport_messages = 0;
  const json& messages = v["messages"];
  for (size_t idx = 0; idx < messages.size(); ++idx) {
    SCOPED_TRACE("message " + std::to_string(idx));
    const bool from_init = idx % 2 == 0;
    const Bytes payload = FromHex(messages[idx]["payload"].get<std::string>());
    const std::string expected = messages[idx]["ciphertext"].get<std::string>();

    if (!init_transport) {
      Handshake& writer = from_init ? init.value() : resp.value();
      Handshake& reader = from_init ? resp.value() : init.value();
      ASSERT_TRUE(writer.writes_next());
      auto ct = writer.WriteMessage(payload);
      ASSERT_TRUE(ct.ok()) << ct.status().ToString();
      EXPECT_EQ(ToHex(*ct), expected);
      auto pt = reader.ReadMessage(*ct);
      ASSERT_TRUE(pt.ok()) << pt.status().ToString();
      EXPECT_EQ(*pt, payload);
      ASSERT_EQ(init->finished(), resp->finished());
      if (init->finished()) {
        EXPECT_EQ(init->handshake_hash().size(), NoiseHashLen(suite));
        EXPECT_EQ(ToHex(init->handshake_hash()), v["handshake_hash"].get<std::string>());
        EXPECT_EQ(ToHex(resp->handshake_hash()), v["handshake_hash"].get<std::string>());
        auto i = init.value().Split();
        auto r = resp.value().Split();
        ASSERT_TRUE(i.ok() && r.ok());
        init_transport = std::move(i).value();
        resp_transport = std::move(r).value();
      }
    } else {
      TransportPair& writer = from_init ? *init_transport : *resp_transport;
      TransportPair& reader = from_init ? *resp_transport : *init_transport;
      auto ct = writer.send.Encrypt({}, payload);
      ASSERT_TRUE(ct.ok()) << ct.status().ToString();
      EXPECT_EQ(writer.send.suite(), suite);
      EXPECT_EQ(ToHex(*ct), expected);
      auto pt = reader.recv.Decrypt({}, *ct);
      ASSERT_TRUE(pt.ok()) << pt.status().ToString();
      EXPECT_EQ(*pt, payload);
      ++transport_messages;
    }
  }
  ASSERT_TRUE(init_transport.has_value()) << "the vector never finished its handshake";
  EXPECT_GT(transport_messages, 0u);
  ASSERT_TRUE(init->remote_static().has_value());
  ASSERT_TRUE(resp->remote_static().has_value());
  EXPECT_EQ(*init->remote_static(), resp_config.s.pub);
  EXPECT_EQ(*resp->remote_static(), init_config.s.pub);
}

// Runs every vector of the suite's file named exactly after the pattern; returns how many there
// were.
size_t RunVectorsFor(NoisePattern pattern, NoiseSuite suite = NoiseSuite::kChaChaPolyBlake2b) {
  const json doc = LoadVectors(suite);
  EXPECT_FALSE(doc.is_discarded()) << "cannot read the cacophony vectors";
  if (doc.is_discarded() || !doc.contains("vectors")) return 0;
  size_t count = 0;
  for (const json& v : doc["vectors"]) {
    const std::string name = v.value("protocol_name", "");
    if (name != NoiseProtocolName(pattern, suite)) continue;
    SCOPED_TRACE(name);
    RunVector(v, pattern, suite);
    ++count;
  }
  return count;
}

TEST(NoiseVectors, EveryXxVectorReproduces) {
  const size_t n = RunVectorsFor(NoisePattern::kXX);
  RecordProperty("vectors", static_cast<int>(n));
  EXPECT_GE(n, 1u) << "no Noise_XX vector found: the test would pass vacuously";
}

TEST(NoiseVectors, EveryXxpsk3VectorReproduces) {
  const size_t n = RunVectorsFor(NoisePattern::kXXpsk3);
  RecordProperty("vectors", static_cast<int>(n));
  EXPECT_GE(n, 1u) << "no Noise_XXpsk3 vector found: the test would pass vacuously";
}

TEST(NoiseVectors, EveryIkVectorReproduces) {
  const size_t n = RunVectorsFor(NoisePattern::kIK);
  RecordProperty("vectors", static_cast<int>(n));
  EXPECT_GE(n, 1u) << "no Noise_IK vector found: the test would pass vacuously";
}

// The phone suite (PHONE-KEYS.md section 2): the same runner, the AESGCM/SHA256 file.
TEST(NoiseVectors, EveryAesGcmXxVectorReproduces) {
  const size_t n = RunVectorsFor(NoisePattern::kXX, NoiseSuite::kAesGcmSha256);
  RecordProperty("vectors", static_cast<int>(n));
  EXPECT_GE(n, 1u) << "no Noise_XX_25519_AESGCM_SHA256 vector found";
}

TEST(NoiseVectors, EveryAesGcmXxpsk3VectorReproduces) {
  const size_t n = RunVectorsFor(NoisePattern::kXXpsk3, NoiseSuite::kAesGcmSha256);
  RecordProperty("vectors", static_cast<int>(n));
  EXPECT_GE(n, 1u) << "no Noise_XXpsk3_25519_AESGCM_SHA256 vector found";
}

TEST(NoiseVectors, EveryAesGcmIkVectorReproduces) {
  const size_t n = RunVectorsFor(NoisePattern::kIK, NoiseSuite::kAesGcmSha256);
  RecordProperty("vectors", static_cast<int>(n));
  EXPECT_GE(n, 1u) << "no Noise_IK_25519_AESGCM_SHA256 vector found";
}

// Every vector of the AESGCM file is either run above or of a pattern we do not implement, so a
// renamed or added vector cannot slip past unnoticed.
TEST(NoiseVectors, AesGcmFileHasNoOtherSupportedVector) {
  const json doc = LoadVectors(NoiseSuite::kAesGcmSha256);
  ASSERT_FALSE(doc.is_discarded());
  size_t supported = 0;
  for (const json& v : doc["vectors"]) {
    const std::string name = v.value("protocol_name", "");
    EXPECT_TRUE(name.ends_with("_25519_AESGCM_SHA256")) << name;
    for (NoisePattern pattern : kAllPatterns) {
      if (name == NoiseProtocolName(pattern, NoiseSuite::kAesGcmSha256)) ++supported;
    }
  }
  EXPECT_EQ(supported, 3u) << "one vector each for XX, XXpsk3 and IK";
}

// ---- Live handshakes with random keys ----

const Bytes kPrologue = Str("latchkey-link-v1");

struct Peers {
  NoisePattern pattern;
  NoiseKeypair init_s = GenerateKeypair();
  NoiseKeypair resp_s = GenerateKeypair();
  NoiseKey init_psk = Array32(Bytes(32, 0x42));
  NoiseKey resp_psk = Array32(Bytes(32, 0x42));

  HandshakeConfig Initiator() const {
    HandshakeConfig c;
    c.pattern = pattern;
    c.initiator = true;
    c.prologue = kPrologue;
    c.s = init_s;
    if (pattern == NoisePattern::kIK) c.rs = resp_s.pub;
    if (pattern == NoisePattern::kXXpsk3) c.psk = init_psk;
    return c;
  }
  HandshakeConfig Responder() const {
    HandshakeConfig c;
    c.pattern = pattern;
    c.initiator = false;
    c.prologue = kPrologue;
    c.s = resp_s;
    if (pattern == NoisePattern::kXXpsk3) c.psk = resp_psk;
    return c;
  }
};

size_t HandshakeLength(NoisePattern pattern) { return pattern == NoisePattern::kIK ? 2 : 3; }

struct Outcome {
  bool completed = false;
  int failed_at = -1;  // the message whose write or read failed
  std::optional<TransportPair> init, resp;
};

// Plays the handshake out; `wire` may alter message k between the two sides.
Outcome Play(const Peers& peers, const std::function<void(size_t, Bytes&)>& wire = {}) {
  Outcome out;
  auto init = Handshake::Start(peers.Initiator());
  auto resp = Handshake::Start(peers.Responder());
  EXPECT_TRUE(init.ok() && resp.ok());
  if (!init.ok() || !resp.ok()) return out;
  for (size_t k = 0; !(init->finished() && resp->finished()); ++k) {
    if (k >= HandshakeLength(peers.pattern)) {
      ADD_FAILURE() << "handshake ran past its last message";
      return out;
    }
    const bool from_init = init->writes_next();
    Handshake& writer = from_init ? init.value() : resp.value();
    Handshake& reader = from_init ? resp.value() : init.value();
    const Bytes payload = Str("payload " + std::to_string(k));
    auto ct = writer.WriteMessage(payload);
    if (!ct.ok()) {
      out.failed_at = static_cast<int>(k);
      return out;
    }
    Bytes wire_bytes = *ct;
    if (wire) wire(k, wire_bytes);
    auto pt = reader.ReadMessage(wire_bytes);
    if (!pt.ok()) {
      EXPECT_EQ(pt.status().code(), core::Code::kInvalid);
      EXPECT_TRUE(reader.failed());
      EXPECT_FALSE(reader.Split().ok());
      out.failed_at = static_cast<int>(k);
      return out;
    }
    if (!wire) {
      EXPECT_EQ(*pt, payload);
    }
  }
  EXPECT_EQ(init->handshake_hash(), resp->handshake_hash());
  EXPECT_EQ(init->remote_static(), std::optional<NoisePublicKey>(peers.resp_s.pub));
  EXPECT_EQ(resp->remote_static(), std::optional<NoisePublicKey>(peers.init_s.pub));
  auto i = init.value().Split();
  auto r = resp.value().Split();
  EXPECT_TRUE(i.ok() && r.ok());
  if (!i.ok() || !r.ok()) return out;
  out.init = std::move(i).value();
  out.resp = std::move(r).value();
  out.completed = true;
  return out;
}

TEST(NoiseHandshake, RandomKeypairsRoundTrip) {
  for (NoisePattern pattern : kAllPatterns) {
    SCOPED_TRACE(std::string(NoiseProtocolName(pattern)));
    Outcome o = Play(Peers{pattern});
    ASSERT_TRUE(o.completed);
    for (int round = 0; round < 5; ++round) {
      const Bytes a = Str("req " + std::to_string(round));
      auto ct = o.init->send.Encrypt({}, a);
      ASSERT_TRUE(ct.ok());
      auto pt = o.resp->recv.Decrypt({}, *ct);
      ASSERT_TRUE(pt.ok());
      EXPECT_EQ(*pt, a);
      const Bytes b = Str("res " + std::to_string(round));
      ct = o.resp->send.Encrypt({}, b);
      ASSERT_TRUE(ct.ok());
      pt = o.init->recv.Decrypt({}, *ct);
      ASSERT_TRUE(pt.ok());
      EXPECT_EQ(*pt, b);
    }
    // Each direction has its own key: a message cannot be reflected back to its sender.
    auto ct = o.init->send.Encrypt({}, Str("mirror"));
    ASSERT_TRUE(ct.ok());
    EXPECT_FALSE(o.init->recv.Decrypt({}, *ct).ok());
  }
}

TEST(NoiseHandshake, TwoSessionsWithTheSameKeysDiffer) {
  const Peers peers{NoisePattern::kXX};
  Outcome a = Play(peers);
  Outcome b = Play(peers);
  ASSERT_TRUE(a.completed && b.completed);
  auto ct = a.init->send.Encrypt({}, Str("unlock"));
  ASSERT_TRUE(ct.ok());
  EXPECT_FALSE(b.resp->recv.Decrypt({}, *ct).ok()) << "a frame recorded in one session replays";
}

// Where a change to message k is noticed. XX's first message is all cleartext (e and payload),
// so only the hash catches it, when the initiator reads the reply; in XXpsk3 the psk keys the
// first payload already (section 9.2), and in IK the first message carries es.
int DetectedAt(NoisePattern pattern, size_t k) {
  return (k == 0 && pattern == NoisePattern::kXX) ? 1 : static_cast<int>(k);
}

TEST(NoiseHandshake, FlippedBitInAnyHandshakeMessageIsRejected) {
  for (NoisePattern pattern : kAllPatterns) {
    SCOPED_TRACE(std::string(NoiseProtocolName(pattern)));
    const Peers peers{pattern};
    for (size_t k = 0; k < HandshakeLength(pattern); ++k) {
      // Message lengths do not depend on the keys, so one clean run tells them.
      size_t length = 0;
      Play(peers, [&](size_t m, Bytes& bytes) {
        if (m == k) length = bytes.size();
      });
      ASSERT_GT(length, 0u);
      for (size_t bit = 0; bit < length * 8; ++bit) {
        SCOPED_TRACE("message " + std::to_string(k) + " bit " + std::to_string(bit));
        Outcome o = Play(peers, [&](size_t m, Bytes& bytes) {
          if (m == k) bytes[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        });
        EXPECT_FALSE(o.completed);
        EXPECT_EQ(o.failed_at, DetectedAt(pattern, k));
      }
    }
  }
}

TEST(NoiseHandshake, TruncatedMessageIsRejected) {
  for (NoisePattern pattern : kAllPatterns) {
    SCOPED_TRACE(std::string(NoiseProtocolName(pattern)));
    const Peers peers{pattern};
    for (size_t k = 0; k < HandshakeLength(pattern); ++k) {
      for (size_t cut : {size_t{1}, size_t{16}, size_t{40}, size_t{1000}}) {
        SCOPED_TRACE("message " + std::to_string(k) + " cut " + std::to_string(cut));
        bool short_of_e = false;
        Outcome o = Play(peers, [&](size_t m, Bytes& bytes) {
          if (m != k) return;
          bytes.resize(bytes.size() > cut ? bytes.size() - cut : 0);
          short_of_e = bytes.size() < kNoiseDhLen;
        });
        EXPECT_FALSE(o.completed);
        // Shorter than an ephemeral key is refused on the spot, even in XX's first message.
        EXPECT_EQ(o.failed_at, short_of_e ? static_cast<int>(k) : DetectedAt(pattern, k));
      }
    }
  }
}

TEST(NoiseHandshake, WrongPskFailsXxpsk3) {
  Peers peers{NoisePattern::kXXpsk3};
  peers.resp_psk[7] ^= 0x01;
  Outcome o = Play(peers);
  EXPECT_FALSE(o.completed);
  EXPECT_EQ(o.failed_at, 2) << "the responder must refuse the initiator's final message";
}

TEST(NoiseHandshake, IkWithWrongResponderKeyFails) {
  const Peers peers{NoisePattern::kIK};
  HandshakeConfig init_config = peers.Initiator();
  init_config.rs = GenerateKeypair().pub;
  auto init = Handshake::Start(init_config);
  auto resp = Handshake::Start(peers.Responder());
  ASSERT_TRUE(init.ok() && resp.ok());
  auto m0 = init.value().WriteMessage(Str("hi"));
  ASSERT_TRUE(m0.ok());
  EXPECT_FALSE(resp.value().ReadMessage(*m0).ok());
}

TEST(NoiseHandshake, LowOrderPublicKeyIsRefused) {
  // XX: the responder takes e in the clear and refuses at its ee.
  const Peers xx{NoisePattern::kXX};
  Outcome o = Play(xx, [](size_t m, Bytes& bytes) {
    if (m == 0) std::fill_n(bytes.begin(), 32, uint8_t{0});
  });
  EXPECT_FALSE(o.completed);
  EXPECT_EQ(o.failed_at, 1);
  // IK: the responder's es comes in the first message itself.
  const Peers ik{NoisePattern::kIK};
  o = Play(ik, [](size_t m, Bytes& bytes) {
    if (m == 0) std::fill_n(bytes.begin(), 32, uint8_t{0});
  });
  EXPECT_FALSE(o.completed);
  EXPECT_EQ(o.failed_at, 0);
}

TEST(NoiseHandshake, FailedHandshakeStaysFailed) {
  const Peers peers{NoisePattern::kXX};
  auto init = Handshake::Start(peers.Initiator());
  auto resp = Handshake::Start(peers.Responder());
  ASSERT_TRUE(init.ok() && resp.ok());
  auto m0 = init.value().WriteMessage({});
  ASSERT_TRUE(m0.ok());
  ASSERT_TRUE(resp.value().ReadMessage(*m0).ok());
  auto m1 = resp.value().WriteMessage({});
  ASSERT_TRUE(m1.ok());
  Bytes bad = *m1;
  bad.back() ^= 0x80;
  EXPECT_FALSE(init.value().ReadMessage(bad).ok());
  EXPECT_TRUE(init->failed());
  EXPECT_FALSE(init.value().ReadMessage(*m1).ok()) << "the good message after a bad one";
  EXPECT_FALSE(init.value().WriteMessage({}).ok());
  EXPECT_FALSE(init->finished());
  EXPECT_FALSE(init.value().Split().ok());
}

TEST(NoiseHandshake, TurnsAndSplitAreEnforced) {
  const Peers peers{NoisePattern::kIK};
  auto init = Handshake::Start(peers.Initiator());
  auto resp = Handshake::Start(peers.Responder());
  ASSERT_TRUE(init.ok() && resp.ok());
  EXPECT_FALSE(resp.value().WriteMessage({}).ok());
  EXPECT_FALSE(init.value().ReadMessage(Bytes(100, 0)).ok());
  EXPECT_FALSE(init->failed()) << "a call out of turn must not poison the handshake";
  EXPECT_FALSE(init.value().Split().ok());
  auto m0 = init.value().WriteMessage({});
  ASSERT_TRUE(m0.ok());
  ASSERT_TRUE(resp.value().ReadMessage(*m0).ok());
  auto m1 = resp.value().WriteMessage({});
  ASSERT_TRUE(m1.ok());
  ASSERT_TRUE(init.value().ReadMessage(*m1).ok());
  ASSERT_TRUE(init->finished() && resp->finished());
  EXPECT_FALSE(init.value().WriteMessage({}).ok());
  EXPECT_FALSE(resp.value().ReadMessage(*m1).ok());
  EXPECT_TRUE(init.value().Split().ok());
  EXPECT_FALSE(init.value().Split().ok()) << "a second copy of the transport keys";
}

TEST(NoiseHandshake, ConfigIsChecked) {
  const Peers ik{NoisePattern::kIK};
  HandshakeConfig c = ik.Initiator();
  c.rs.reset();
  EXPECT_FALSE(Handshake::Start(c).ok()) << "IK initiator without rs";

  const Peers xx{NoisePattern::kXX};
  c = xx.Initiator();
  c.rs = xx.resp_s.pub;
  EXPECT_FALSE(Handshake::Start(c).ok()) << "XX with rs";
  c = xx.Responder();
  c.psk = xx.init_psk;
  EXPECT_FALSE(Handshake::Start(c).ok()) << "XX with a psk";

  const Peers psk{NoisePattern::kXXpsk3};
  c = psk.Responder();
  c.psk.reset();
  EXPECT_FALSE(Handshake::Start(c).ok()) << "XXpsk3 without a psk";

  c = xx.Initiator();
  c.s.pub[0] ^= 1;
  EXPECT_FALSE(Handshake::Start(c).ok()) << "static public key not from its private key";
  c = xx.Initiator();
  c.e_for_testing = GenerateKeypair();
  c.e_for_testing->pub = GenerateKeypair().pub;
  EXPECT_FALSE(Handshake::Start(c).ok()) << "ephemeral public key not from its private key";

  EXPECT_FALSE(KeypairFromPrivate(Bytes(31, 1)).ok());
  EXPECT_TRUE(KeypairFromPrivate(Bytes(32, 1)).ok());
}

TEST(NoiseHandshake, MessageSizeLimit) {
  const Peers peers{NoisePattern::kXX};
  auto init = Handshake::Start(peers.Initiator());
  auto resp = Handshake::Start(peers.Responder());
  ASSERT_TRUE(init.ok() && resp.ok());
  // XX's first message is e (32 bytes) and the payload in the clear.
  EXPECT_FALSE(init.value().WriteMessage(Bytes(kNoiseMaxMessageLen - 32 + 1, 7)).ok());
  EXPECT_FALSE(init->failed()) << "an oversized payload is refused before any state changes";
  auto m0 = init.value().WriteMessage(Bytes(kNoiseMaxMessageLen - 32, 7));
  ASSERT_TRUE(m0.ok());
  EXPECT_EQ(m0->size(), kNoiseMaxMessageLen);
  ASSERT_TRUE(resp.value().ReadMessage(*m0).ok());
  // e, encrypted s, encrypted payload: 32 + 48 + 16 bytes around the payload.
  EXPECT_FALSE(resp.value().WriteMessage(Bytes(kNoiseMaxMessageLen - 96 + 1, 7)).ok());
  auto m1 = resp.value().WriteMessage(Bytes(kNoiseMaxMessageLen - 96, 7));
  ASSERT_TRUE(m1.ok());
  EXPECT_EQ(m1->size(), kNoiseMaxMessageLen);
  ASSERT_TRUE(init.value().ReadMessage(*m1).ok());

  auto other = Handshake::Start(peers.Responder());
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other.value().ReadMessage(Bytes(kNoiseMaxMessageLen + 1, 7)).ok());
}

// ---- Transport ----

class NoiseTransport : public ::testing::Test {
 protected:
  void SetUp() override {
    session_ = Play(Peers{NoisePattern::kXX});
    ASSERT_TRUE(session_.completed);
  }
  CipherState& send() { return session_.init->send; }
  CipherState& recv() { return session_.resp->recv; }

  Outcome session_;
};

TEST_F(NoiseTransport, FlippedBitIsRejected) {
  const Bytes plaintext = Str("{\"t\":\"req\",\"op\":\"unlock\"}");
  const Bytes ad = Str("frame");
  auto ct = send().Encrypt(ad, plaintext);
  ASSERT_TRUE(ct.ok());
  for (size_t bit = 0; bit < ct->size() * 8; ++bit) {
    Bytes bad = *ct;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    auto pt = recv().Decrypt(ad, bad);
    EXPECT_FALSE(pt.ok()) << "bit " << bit;
    EXPECT_EQ(pt.status().code(), core::Code::kInvalid);
  }
  Bytes bad_ad = ad;
  bad_ad[0] ^= 1;
  EXPECT_FALSE(recv().Decrypt(bad_ad, *ct).ok());
  EXPECT_EQ(recv().nonce(), 0u) << "a failed decryption must not use up the nonce";
  auto pt = recv().Decrypt(ad, *ct);
  ASSERT_TRUE(pt.ok());
  EXPECT_EQ(*pt, plaintext);
}

TEST_F(NoiseTransport, ReplayedOrReorderedMessageIsRejected) {
  auto m0 = send().Encrypt({}, Str("first"));
  auto m1 = send().Encrypt({}, Str("second"));
  auto m2 = send().Encrypt({}, Str("third"));
  ASSERT_TRUE(m0.ok() && m1.ok() && m2.ok());
  EXPECT_FALSE(recv().Decrypt({}, *m1).ok()) << "second before first";
  ASSERT_TRUE(recv().Decrypt({}, *m0).ok());
  EXPECT_FALSE(recv().Decrypt({}, *m0).ok()) << "first replayed";
  ASSERT_TRUE(recv().Decrypt({}, *m1).ok());
  EXPECT_FALSE(recv().Decrypt({}, *m0).ok()) << "first replayed later";
  EXPECT_FALSE(recv().Decrypt({}, *m1).ok()) << "second replayed";
  auto pt = recv().Decrypt({}, *m2);
  ASSERT_TRUE(pt.ok());
  EXPECT_EQ(*pt, Str("third"));
}

TEST_F(NoiseTransport, TruncatedMessageIsRejected) {
  auto ct = send().Encrypt({}, Str("set_time 1767225600"));
  ASSERT_TRUE(ct.ok());
  for (size_t len = 0; len < ct->size(); ++len) {
    EXPECT_FALSE(recv().Decrypt({}, std::span<const uint8_t>(ct->data(), len)).ok()) << len;
  }
  EXPECT_TRUE(recv().Decrypt({}, *ct).ok());
}

TEST_F(NoiseTransport, NonceLimitIsAnError) {
  constexpr uint64_t kLast = std::numeric_limits<uint64_t>::max() - 1;
  send().set_nonce_for_testing(kLast);
  recv().set_nonce_for_testing(kLast);
  auto ct = send().Encrypt({}, Str("last"));
  ASSERT_TRUE(ct.ok());
  EXPECT_TRUE(recv().Decrypt({}, *ct).ok());
  EXPECT_FALSE(send().Encrypt({}, Str("one too many")).ok());
  EXPECT_FALSE(recv().Decrypt({}, *ct).ok());
}

TEST_F(NoiseTransport, MessageSizeLimit) {
  auto ct = send().Encrypt({}, Bytes(kNoiseMaxMessageLen - kNoiseTagLen, 1));
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(ct->size(), kNoiseMaxMessageLen);
  EXPECT_TRUE(recv().Decrypt({}, *ct).ok());
  EXPECT_FALSE(send().Encrypt({}, Bytes(kNoiseMaxMessageLen - kNoiseTagLen + 1, 1)).ok());
  EXPECT_FALSE(recv().Decrypt({}, Bytes(kNoiseMaxMessageLen + 1, 1)).ok());
}

TEST(NoiseCipher, WithoutKeyRefusesInsteadOfSendingPlaintext) {
  CipherState none;
  EXPECT_FALSE(none.Encrypt({}, Str("secret")).ok());
  EXPECT_FALSE(none.Decrypt({}, Bytes(32, 0)).ok());

  CipherState keyed(Array32(Bytes(32, 9)));
  CipherState moved(std::move(keyed));
  EXPECT_TRUE(moved.has_key());
  EXPECT_FALSE(keyed.has_key());  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_FALSE(keyed.Encrypt({}, Str("x")).ok());
}

}  // namespace
}  // namespace latchkey::crypto
