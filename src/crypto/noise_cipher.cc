#include "crypto/noise_cipher.h"

#include <sodium.h>

#include <algorithm>
#include <limits>
#include <string>

#include "crypto/sodium_crypto.h"

namespace latchkey::crypto {
namespace {

using core::Result;
using core::Status;

constexpr uint64_t kMaxNonce = std::numeric_limits<uint64_t>::max();  // reserved, never used

static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == kNoiseKeyLen);
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == kNoiseTagLen);
static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12);

// Section 12.3: 32 bits of zeros, then the counter little-endian.
std::array<uint8_t, 12> NonceBytes(uint64_t n) {
  std::array<uint8_t, 12> out{};
  for (size_t i = 0; i < 8; ++i) out[4 + i] = static_cast<uint8_t>(n >> (8 * i));
  return out;
}

class Blake2b {
 public:
  Blake2b() { crypto_generichash_init(&state_, nullptr, 0, kNoiseHashLen); }
  ~Blake2b() { sodium_memzero(&state_, sizeof(state_)); }
  Blake2b(const Blake2b&) = delete;
  Blake2b& operator=(const Blake2b&) = delete;
  void Update(std::span<const uint8_t> data) {
    crypto_generichash_update(&state_, data.data(), data.size());
  }
  NoiseHash Final() {
    NoiseHash out{};
    crypto_generichash_final(&state_, out.data(), out.size());
    return out;
  }

 private:
  crypto_generichash_state state_;
};

}  // namespace

NoiseHash HmacBlake2b(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  std::array<uint8_t, kNoiseBlockLen> block{};
  if (key.size() > kNoiseBlockLen) {
    Blake2b h;
    h.Update(key);
    NoiseHash digest = h.Final();
    std::copy(digest.begin(), digest.end(), block.begin());
    sodium_memzero(digest.data(), digest.size());
  } else {
    std::copy(key.begin(), key.end(), block.begin());
  }

  for (uint8_t& b : block) b ^= 0x36;
  Blake2b inner;
  inner.Update(block);
  inner.Update(data);
  NoiseHash inner_digest = inner.Final();

  for (uint8_t& b : block) b ^= 0x36 ^ 0x5c;
  Blake2b outer;
  outer.Update(block);
  outer.Update(inner_digest);
  NoiseHash out = outer.Final();

  sodium_memzero(block.data(), block.size());
  sodium_memzero(inner_digest.data(), inner_digest.size());
  return out;
}

void NoiseHkdf(std::span<const uint8_t> chaining_key, std::span<const uint8_t> ikm,
               std::span<NoiseHash> outputs) {
  if (outputs.size() != 2 && outputs.size() != 3) return;
  NoiseHash temp_key = HmacBlake2b(chaining_key, ikm);
  std::array<uint8_t, kNoiseHashLen + 1> buf{};
  // output1 = HMAC(temp_key, 0x01), output i = HMAC(temp_key, output i-1 || i)
  size_t prev_len = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    buf[prev_len] = static_cast<uint8_t>(i + 1);
    outputs[i] = HmacBlake2b(temp_key, std::span<const uint8_t>(buf.data(), prev_len + 1));
    std::copy(outputs[i].begin(), outputs[i].end(), buf.begin());
    prev_len = kNoiseHashLen;
  }
  sodium_memzero(temp_key.data(), temp_key.size());
  sodium_memzero(buf.data(), buf.size());
}

// ---- CipherState ----

CipherState::CipherState(std::span<const uint8_t, kNoiseKeyLen> key) : has_key_(true) {
  std::copy(key.begin(), key.end(), key_.begin());
}

CipherState::~CipherState() { Wipe(); }

CipherState::CipherState(CipherState&& other) noexcept
    : key_(other.key_), nonce_(other.nonce_), has_key_(other.has_key_) {
  other.Wipe();
}

CipherState& CipherState::operator=(CipherState&& other) noexcept {
  if (this != &other) {
    key_ = other.key_;
    nonce_ = other.nonce_;
    has_key_ = other.has_key_;
    other.Wipe();
  }
  return *this;
}

void CipherState::Wipe() {
  sodium_memzero(key_.data(), key_.size());
  nonce_ = 0;
  has_key_ = false;
}

Result<std::vector<uint8_t>> CipherState::Encrypt(std::span<const uint8_t> ad,
                                                  std::span<const uint8_t> plaintext) {
  if (!has_key_) return Status::Invalid("noise: encrypt without a key");
  if (nonce_ == kMaxNonce) return Status::Invalid("noise: nonce exhausted");
  if (plaintext.size() > kNoiseMaxMessageLen - kNoiseTagLen) {
    return Status::Invalid("noise: plaintext of " + std::to_string(plaintext.size()) +
                           " bytes does not fit a message");
  }
  std::vector<uint8_t> out(plaintext.size() + kNoiseTagLen);
  const auto nonce = NonceBytes(nonce_);
  unsigned long long out_len = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &out_len, plaintext.data(),
                                            plaintext.size(), ad.data(), ad.size(), nullptr,
                                            nonce.data(), key_.data());
  ++nonce_;
  return out;
}

Result<std::vector<uint8_t>> CipherState::Decrypt(std::span<const uint8_t> ad,
                                                  std::span<const uint8_t> ciphertext) {
  if (!has_key_) return Status::Invalid("noise: decrypt without a key");
  if (nonce_ == kMaxNonce) return Status::Invalid("noise: nonce exhausted");
  if (ciphertext.size() < kNoiseTagLen) return Status::Invalid("noise: ciphertext too short");
  if (ciphertext.size() > kNoiseMaxMessageLen) return Status::Invalid("noise: ciphertext too long");
  std::vector<uint8_t> out(ciphertext.size() - kNoiseTagLen);
  const auto nonce = NonceBytes(nonce_);
  unsigned long long out_len = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), &out_len, nullptr, ciphertext.data(),
                                                ciphertext.size(), ad.data(), ad.size(),
                                                nonce.data(), key_.data()) != 0) {
    sodium_memzero(out.data(), out.size());
    return Status::Invalid("noise: decryption failed");
  }
  ++nonce_;
  return out;
}

// ---- SymmetricState ----

SymmetricState::SymmetricState(std::string_view protocol_name) {
  InitSodium();
  if (protocol_name.size() <= kNoiseHashLen) {
    std::copy(protocol_name.begin(), protocol_name.end(), h_.begin());
  } else {
    Blake2b hash;
    hash.Update({reinterpret_cast<const uint8_t*>(protocol_name.data()), protocol_name.size()});
    h_ = hash.Final();
  }
  ck_ = h_;
}

SymmetricState::~SymmetricState() {
  sodium_memzero(ck_.data(), ck_.size());
  sodium_memzero(h_.data(), h_.size());
}

void SymmetricState::InitializeKey(const NoiseHash& temp_k) {
  // Section 5.2: with HASHLEN 64, temp_k is truncated to its first 32 bytes.
  cipher_ = CipherState(std::span<const uint8_t, kNoiseKeyLen>(temp_k.data(), kNoiseKeyLen));
}

void SymmetricState::MixKey(std::span<const uint8_t> ikm) {
  std::array<NoiseHash, 2> out{};
  NoiseHkdf(ck_, ikm, out);
  ck_ = out[0];
  InitializeKey(out[1]);
  sodium_memzero(out.data(), sizeof(out));
}

void SymmetricState::MixHash(std::span<const uint8_t> data) {
  Blake2b hash;
  hash.Update(h_);
  hash.Update(data);
  h_ = hash.Final();
}

void SymmetricState::MixKeyAndHash(std::span<const uint8_t> ikm) {
  std::array<NoiseHash, 3> out{};
  NoiseHkdf(ck_, ikm, out);
  ck_ = out[0];
  MixHash(out[1]);
  InitializeKey(out[2]);
  sodium_memzero(out.data(), sizeof(out));
}

Status SymmetricState::EncryptAndHash(std::span<const uint8_t> plaintext,
                                      std::vector<uint8_t>& out) {
  if (!cipher_.has_key()) {
    MixHash(plaintext);
    out.insert(out.end(), plaintext.begin(), plaintext.end());
    return Status::Ok();
  }
  auto ciphertext = cipher_.Encrypt(h_, plaintext);
  LATCHKEY_TRY(ciphertext);
  MixHash(*ciphertext);
  out.insert(out.end(), ciphertext->begin(), ciphertext->end());
  return Status::Ok();
}

Result<std::vector<uint8_t>> SymmetricState::DecryptAndHash(std::span<const uint8_t> ciphertext) {
  if (!cipher_.has_key()) {
    MixHash(ciphertext);
    return std::vector<uint8_t>(ciphertext.begin(), ciphertext.end());
  }
  auto plaintext = cipher_.Decrypt(h_, ciphertext);
  LATCHKEY_TRY(plaintext);
  MixHash(ciphertext);
  return plaintext;
}

std::pair<CipherState, CipherState> SymmetricState::Split() const {
  std::array<NoiseHash, 2> out{};
  NoiseHkdf(ck_, {}, out);
  std::pair<CipherState, CipherState> result(
      CipherState(std::span<const uint8_t, kNoiseKeyLen>(out[0].data(), kNoiseKeyLen)),
      CipherState(std::span<const uint8_t, kNoiseKeyLen>(out[1].data(), kNoiseKeyLen)));
  sodium_memzero(out.data(), sizeof(out));
  return result;
}

}  // namespace latchkey::crypto
