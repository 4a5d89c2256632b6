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

}  // namespace

// ---- CipherState ----

CipherState::CipherState(std::span<const uint8_t, kNoiseKeyLen> key, NoiseSuite suite)
    : suite_(suite), has_key_(true) {
  std::copy(key.begin(), key.end(), key_.begin());
}

CipherState::~CipherState() { Wipe(); }

CipherState::CipherState(CipherState&& other) noexcept
    : key_(other.key_), suite_(other.suite_), nonce_(other.nonce_), has_key_(other.has_key_) {
  other.Wipe();
}

CipherState& CipherState::operator=(CipherState&& other) noexcept {
  if (this != &other) {
    key_ = other.key_;
    suite_ = other.suite_;
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
  std::vector<uint8_t> out;
  if (!SuiteEncrypt(suite_, key_, nonce_, ad, plaintext, out)) {
    return Status::ResourceExhausted("noise: the cipher library failed");
  }
  ++nonce_;
  return out;
}

Result<std::vector<uint8_t>> CipherState::Decrypt(std::span<const uint8_t> ad,
                                                  std::span<const uint8_t> ciphertext) {
  if (!has_key_) return Status::Invalid("noise: decrypt without a key");
  if (nonce_ == kMaxNonce) return Status::Invalid("noise: nonce exhausted");
  if (ciphertext.size() < kNoiseTagLen) return Status::Invalid("noise: ciphertext too short");
  if (ciphertext.size() > kNoiseMaxMessageLen) return Status::Invalid("noise: ciphertext too long");
  std::vector<uint8_t> out;
  if (!SuiteDecrypt(suite_, key_, nonce_, ad, ciphertext, out)) {
    return Status::Invalid("noise: decryption failed");
  }
  ++nonce_;
  return out;
}

// ---- SymmetricState ----

SymmetricState::SymmetricState(std::string_view protocol_name, NoiseSuite suite)
    : suite_(suite), ck_(NoiseHashLen(suite)), h_(NoiseHashLen(suite)) {
  InitSodium();
  const std::span<const uint8_t> name(reinterpret_cast<const uint8_t*>(protocol_name.data()),
                                      protocol_name.size());
  if (name.size() <= h_.size()) {
    std::copy(name.begin(), name.end(), h_.begin());  // zero-padded to HASHLEN
  } else {
    h_ = SuiteHash(suite_, name);
  }
  ck_ = h_;
}

SymmetricState::~SymmetricState() {
  sodium_memzero(ck_.data(), ck_.size());
  sodium_memzero(h_.data(), h_.size());
}

void SymmetricState::InitializeKey(const NoiseHash& temp_k) {
  // Section 5.2: with HASHLEN 64 (BLAKE2b), temp_k is truncated to its first 32 bytes.
  cipher_ = CipherState(std::span<const uint8_t, kNoiseKeyLen>(temp_k.data(), kNoiseKeyLen), suite_);
}

void SymmetricState::MixKey(std::span<const uint8_t> ikm) {
  std::array<NoiseHash, 2> out{};
  NoiseHkdf(suite_, ck_.bytes(), ikm, out);
  ck_ = out[0];
  InitializeKey(out[1]);
  sodium_memzero(out.data(), sizeof(out));
}

void SymmetricState::MixHash(std::span<const uint8_t> data) {
  h_ = SuiteHash(suite_, h_.bytes(), data);
}

void SymmetricState::MixKeyAndHash(std::span<const uint8_t> ikm) {
  std::array<NoiseHash, 3> out{};
  NoiseHkdf(suite_, ck_.bytes(), ikm, out);
  ck_ = out[0];
  MixHash(out[1].bytes());
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
  auto ciphertext = cipher_.Encrypt(h_.bytes(), plaintext);
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
  auto plaintext = cipher_.Decrypt(h_.bytes(), ciphertext);
  LATCHKEY_TRY(plaintext);
  MixHash(ciphertext);
  return plaintext;
}

std::pair<CipherState, CipherState> SymmetricState::Split() const {
  std::array<NoiseHash, 2> out{};
  NoiseHkdf(suite_, ck_.bytes(), {}, out);
  std::pair<CipherState, CipherState> result(
      CipherState(std::span<const uint8_t, kNoiseKeyLen>(out[0].data(), kNoiseKeyLen), suite_),
      CipherState(std::span<const uint8_t, kNoiseKeyLen>(out[1].data(), kNoiseKeyLen), suite_));
  sodium_memzero(out.data(), sizeof(out));
  return result;
}

}  // namespace latchkey::crypto
