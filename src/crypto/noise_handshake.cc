#include "crypto/noise_handshake.h"

#include <sodium.h>

#include <algorithm>
#include <string>
#include <utility>

#include "crypto/sodium_crypto.h"

namespace latchkey::crypto {
namespace {

using core::Result;
using core::Status;

enum class Token : uint8_t { kE, kS, kEE, kES, kSE, kSS, kPsk };

// Section 7.5 (XX, IK) and section 9.4 (XXpsk3). Messages alternate, initiator first.
constexpr Token kXx1[] = {Token::kE};
constexpr Token kXx2[] = {Token::kE, Token::kEE, Token::kS, Token::kES};
constexpr Token kXx3[] = {Token::kS, Token::kSE};
constexpr Token kXxPsk3_3[] = {Token::kS, Token::kSE, Token::kPsk};
constexpr Token kIk1[] = {Token::kE, Token::kES, Token::kS, Token::kSS};
constexpr Token kIk2[] = {Token::kE, Token::kEE, Token::kSE};

constexpr std::span<const Token> kXxMessages[] = {kXx1, kXx2, kXx3};
constexpr std::span<const Token> kXxPsk3Messages[] = {kXx1, kXx2, kXxPsk3_3};
constexpr std::span<const Token> kIkMessages[] = {kIk1, kIk2};

struct PatternSpec {
  // Indexed by NoiseSuite: the names are spelled out so that NoiseProtocolName can hand out a
  // string_view with nothing to own it.
  std::array<std::string_view, 2> protocol_names;
  bool responder_static_premessage;  // "<- s" before the first message
  bool psk;                          // section 9.2: then every "e" also calls MixKey
  std::span<const std::span<const Token>> messages;
};

constexpr PatternSpec kXxSpec{
    {"Noise_XX_25519_ChaChaPoly_BLAKE2b", "Noise_XX_25519_AESGCM_SHA256"}, false, false, kXxMessages};
constexpr PatternSpec kXxPsk3Spec{
    {"Noise_XXpsk3_25519_ChaChaPoly_BLAKE2b", "Noise_XXpsk3_25519_AESGCM_SHA256"}, false, true,
    kXxPsk3Messages};
constexpr PatternSpec kIkSpec{
    {"Noise_IK_25519_ChaChaPoly_BLAKE2b", "Noise_IK_25519_AESGCM_SHA256"}, true, false, kIkMessages};

static_assert(static_cast<size_t>(NoiseSuite::kChaChaPolyBlake2b) == 0 &&
              static_cast<size_t>(NoiseSuite::kAesGcmSha256) == 1);

const PatternSpec& Spec(NoisePattern pattern) {
  switch (pattern) {
    case NoisePattern::kXX:
      return kXxSpec;
    case NoisePattern::kXXpsk3:
      return kXxPsk3Spec;
    case NoisePattern::kIK:
      return kIkSpec;
  }
  return kXxSpec;
}

bool ValidPattern(NoisePattern pattern) {
  return pattern == NoisePattern::kXX || pattern == NoisePattern::kXXpsk3 ||
         pattern == NoisePattern::kIK;
}

// The bytes a message adds around its payload, given whether a key is already set; lets
// WriteMessage refuse an oversized payload before it changes any state.
size_t MessageOverhead(const PatternSpec& spec, std::span<const Token> tokens, bool has_key) {
  size_t overhead = 0;
  for (Token token : tokens) {
    switch (token) {
      case Token::kE:
        overhead += kNoiseDhLen;
        if (spec.psk) has_key = true;
        break;
      case Token::kS:
        overhead += kNoiseDhLen + (has_key ? kNoiseTagLen : 0);
        break;
      default:
        has_key = true;
        break;
    }
  }
  return overhead + (has_key ? kNoiseTagLen : 0);
}

bool SameKeypair(const NoiseKeypair& kp) {
  auto rebuilt = KeypairFromPrivate(kp.priv);
  return rebuilt.ok() && rebuilt->pub == kp.pub;
}

}  // namespace

NoiseKeypair::~NoiseKeypair() { sodium_memzero(priv.data(), priv.size()); }

HandshakeConfig::~HandshakeConfig() {
  if (psk) sodium_memzero(psk->data(), psk->size());
}

NoiseKeypair GenerateKeypair() {
  InitSodium();
  NoiseKeypair kp;
  randombytes_buf(kp.priv.data(), kp.priv.size());
  crypto_scalarmult_base(kp.pub.data(), kp.priv.data());
  return kp;
}

Result<NoiseKeypair> KeypairFromPrivate(std::span<const uint8_t> priv) {
  if (priv.size() != kNoiseDhLen) {
    return Status::Invalid("noise: a private key has 32 bytes, not " + std::to_string(priv.size()));
  }
  InitSodium();
  NoiseKeypair kp;
  std::copy(priv.begin(), priv.end(), kp.priv.begin());
  crypto_scalarmult_base(kp.pub.data(), kp.priv.data());
  return kp;
}

std::string_view NoiseProtocolName(NoisePattern pattern, NoiseSuite suite) {
  if (!ValidSuite(suite)) return {};
  return Spec(pattern).protocol_names[static_cast<size_t>(suite)];
}

Handshake::Handshake(NoisePattern pattern, bool initiator, SymmetricState symmetric)
    : pattern_(pattern), initiator_(initiator), symmetric_(std::move(symmetric)) {}

Handshake::~Handshake() {
  if (psk_) sodium_memzero(psk_->data(), psk_->size());
}

Result<Handshake> Handshake::Start(const HandshakeConfig& config) {
  if (!ValidPattern(config.pattern)) return Status::Invalid("noise: unknown pattern");
  if (!ValidSuite(config.suite)) return Status::Invalid("noise: unknown suite");
  const PatternSpec& spec = Spec(config.pattern);
  const bool wants_rs = spec.responder_static_premessage && config.initiator;
  if (wants_rs && !config.rs) {
    return Status::Invalid("noise: the IK initiator needs the responder's static key");
  }
  if (!wants_rs && config.rs) {
    return Status::Invalid("noise: a known remote static key is only for the IK initiator");
  }
  if (spec.psk != config.psk.has_value()) {
    return Status::Invalid(spec.psk ? "noise: this pattern needs a psk"
                                    : "noise: this pattern takes no psk");
  }
  if (!SameKeypair(config.s)) return Status::Invalid("noise: static public key does not match");
  if (config.e_for_testing && !SameKeypair(*config.e_for_testing)) {
    return Status::Invalid("noise: ephemeral public key does not match");
  }

  SymmetricState symmetric(NoiseProtocolName(config.pattern, config.suite), config.suite);
  symmetric.MixHash(config.prologue);
  if (spec.responder_static_premessage) {
    symmetric.MixHash(config.initiator ? *config.rs : config.s.pub);
  }
  Handshake hs(config.pattern, config.initiator, std::move(symmetric));
  hs.s_ = config.s;
  hs.fixed_e_ = config.e_for_testing;
  if (wants_rs) hs.rs_ = config.rs;
  hs.psk_ = config.psk;
  return hs;
}

bool Handshake::finished() const {
  return !failed_ && message_index_ == Spec(pattern_).messages.size();
}

bool Handshake::writes_next() const {
  return !failed_ && !finished() && ((message_index_ % 2 == 0) == initiator_);
}

Status Handshake::Fail(Status status) {
  failed_ = true;
  return status;
}

Status Handshake::MixDh(bool local_ephemeral, bool remote_ephemeral) {
  const NoiseKeypair* local = local_ephemeral ? (e_ ? &*e_ : nullptr) : &s_;
  const std::optional<NoisePublicKey>& theirs = remote_ephemeral ? re_ : rs_;
  const NoisePublicKey* remote = theirs ? &*theirs : nullptr;
  if (local == nullptr || remote == nullptr) return Status::Invalid("noise: DH key missing");
  std::array<uint8_t, kNoiseDhLen> shared{};
  // Section 12.1 lets an implementation refuse a public key whose DH output is all zeros
  // (a low-order point). libsodium detects exactly that, and only a broken or hostile peer
  // sends one, so we refuse rather than mix in a known value.
  if (crypto_scalarmult(shared.data(), local->priv.data(), remote->data()) != 0) {
    sodium_memzero(shared.data(), shared.size());
    return Status::Invalid("noise: peer sent a low-order public key");
  }
  symmetric_.MixKey(shared);
  sodium_memzero(shared.data(), shared.size());
  return Status::Ok();
}

// The tokens that read and write alike: the four DHs and the psk.
Status Handshake::MixKeys(uint8_t token_value) {
  switch (static_cast<Token>(token_value)) {
    case Token::kEE: return MixDh(true, true);
    case Token::kES: return initiator_ ? MixDh(true, false) : MixDh(false, true);
    case Token::kSE: return initiator_ ? MixDh(false, true) : MixDh(true, false);
    case Token::kSS: return MixDh(false, false);
    case Token::kPsk:
      symmetric_.MixKeyAndHash(*psk_);
      return Status::Ok();
    default: return Status::Invalid("noise: not a key-mixing token");
  }
}

Result<std::vector<uint8_t>> Handshake::WriteMessage(std::span<const uint8_t> payload) {
  if (failed_) return Status::Invalid("noise: handshake already failed");
  if (finished()) return Status::Invalid("noise: handshake already finished");
  if (!writes_next()) return Status::Invalid("noise: not our turn to write");
  const PatternSpec& spec = Spec(pattern_);
  const std::span<const Token> tokens = spec.messages[message_index_];
  const size_t overhead = MessageOverhead(spec, tokens, symmetric_.has_key());
  if (payload.size() > kNoiseMaxMessageLen - overhead) {
    return Status::Invalid("noise: handshake payload of " + std::to_string(payload.size()) +
                           " bytes does not fit a message");
  }

  std::vector<uint8_t> out;
  out.reserve(overhead + payload.size());
  for (Token token : tokens) {
    Status status;
    switch (token) {
      case Token::kE:
        e_ = fixed_e_ ? *fixed_e_ : GenerateKeypair();
        out.insert(out.end(), e_->pub.begin(), e_->pub.end());
        symmetric_.MixHash(e_->pub);
        if (spec.psk) symmetric_.MixKey(e_->pub);
        break;
      case Token::kS:
        status = symmetric_.EncryptAndHash(s_.pub, out);
        break;
      default:
        status = MixKeys(static_cast<uint8_t>(token));
        break;
    }
    if (!status.ok()) return Fail(std::move(status));
  }
  if (Status status = symmetric_.EncryptAndHash(payload, out); !status.ok()) {
    return Fail(std::move(status));
  }
  ++message_index_;
  return out;
}

Result<std::vector<uint8_t>> Handshake::ReadMessage(std::span<const uint8_t> message) {
  if (failed_) return Status::Invalid("noise: handshake already failed");
  if (finished()) return Status::Invalid("noise: handshake already finished");
  if (writes_next()) return Status::Invalid("noise: not our turn to read");
  if (message.size() > kNoiseMaxMessageLen) {
    return Fail(Status::Invalid("noise: handshake message over 65535 bytes"));
  }
  const PatternSpec& spec = Spec(pattern_);
  std::span<const uint8_t> rest = message;
  for (Token token : spec.messages[message_index_]) {
    Status status;
    switch (token) {
      case Token::kE: {
        if (rest.size() < kNoiseDhLen) return Fail(Status::Invalid("noise: message too short"));
        NoisePublicKey re{};
        std::copy(rest.begin(), rest.begin() + kNoiseDhLen, re.begin());
        rest = rest.subspan(kNoiseDhLen);
        re_ = re;
        symmetric_.MixHash(re);
        if (spec.psk) symmetric_.MixKey(re);
        break;
      }
      case Token::kS: {
        const size_t len = kNoiseDhLen + (symmetric_.has_key() ? kNoiseTagLen : 0);
        if (rest.size() < len) return Fail(Status::Invalid("noise: message too short"));
        auto rs = symmetric_.DecryptAndHash(rest.first(len));
        if (!rs.ok()) return Fail(rs.status());
        rest = rest.subspan(len);
        NoisePublicKey key{};
        std::copy(rs->begin(), rs->end(), key.begin());
        rs_ = key;
        break;
      }
      default:
        status = MixKeys(static_cast<uint8_t>(token));
        break;
    }
    if (!status.ok()) return Fail(std::move(status));
  }
  auto payload = symmetric_.DecryptAndHash(rest);
  if (!payload.ok()) return Fail(payload.status());
  ++message_index_;
  return payload;
}

Result<TransportPair> Handshake::Split() {
  if (!finished()) return Status::Invalid("noise: handshake not finished");
  if (split_) return Status::Invalid("noise: transport keys already taken");
  split_ = true;
  auto [c1, c2] = symmetric_.Split();
  TransportPair pair;
  pair.send = initiator_ ? std::move(c1) : std::move(c2);
  pair.recv = initiator_ ? std::move(c2) : std::move(c1);
  return pair;
}

}  // namespace latchkey::crypto
