#include "crypto/noise_suite.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <memory>

#include "crypto/sodium_crypto.h"

namespace latchkey::crypto {
namespace {

constexpr size_t kBlake2bLen = 64;
constexpr size_t kBlake2bBlockLen = 128;
constexpr size_t kSha256Len = 32;
constexpr size_t kSha256BlockLen = 64;

static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == kNoiseKeyLen);
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == kNoiseTagLen);
static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == kNoiseNonceLen);

size_t BlockLen(NoiseSuite suite) {
  return suite == NoiseSuite::kAesGcmSha256 ? kSha256BlockLen : kBlake2bBlockLen;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

// An incremental HASH, so HMAC can feed its padded key and the message without concatenating.
class Hasher {
 public:
  explicit Hasher(NoiseSuite suite) : suite_(suite) {
    if (suite_ == NoiseSuite::kAesGcmSha256) {
      sha_.reset(EVP_MD_CTX_new());
      // EVP_MD_CTX_new only fails for want of memory; ok_ records it rather than crash later.
      ok_ = sha_ && EVP_DigestInit_ex(sha_.get(), EVP_sha256(), nullptr) == 1;
    } else {
      InitSodium();
      crypto_generichash_init(&blake_, nullptr, 0, kBlake2bLen);
    }
  }
  ~Hasher() { sodium_memzero(&blake_, sizeof(blake_)); }  // EVP_MD_CTX_free cleanses its own
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void Update(std::span<const uint8_t> data) {
    if (data.empty()) return;
    if (suite_ == NoiseSuite::kAesGcmSha256) {
      ok_ = ok_ && EVP_DigestUpdate(sha_.get(), data.data(), data.size()) == 1;
    } else {
      crypto_generichash_update(&blake_, data.data(), data.size());
    }
  }

  NoiseHash Final() {
    NoiseHash out(NoiseHashLen(suite_));
    if (suite_ == NoiseSuite::kAesGcmSha256) {
      unsigned int len = 0;
      // A failed SHA-256 leaves all zeros: every later step then fails to authenticate
      // against an honest peer, which is the safe way for an allocation failure to end.
      if (ok_) EVP_DigestFinal_ex(sha_.get(), out.data(), &len);
    } else {
      crypto_generichash_final(&blake_, out.data(), out.size());
    }
    return out;
  }

 private:
  NoiseSuite suite_;
  crypto_generichash_state blake_{};
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> sha_;
  bool ok_ = true;
};

// Section 12.4 with OpenSSL's EVP interface; the tag is appended to / split off the ciphertext.
bool AesGcm(bool encrypt, std::span<const uint8_t, kNoiseKeyLen> key,
            const std::array<uint8_t, kNoiseNonceLen>& nonce, std::span<const uint8_t> ad,
            std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return false;
  // EVP's GCM takes a 12-byte IV by default, Noise's nonce length.
  const auto init = encrypt ? EVP_EncryptInit_ex : EVP_DecryptInit_ex;
  const auto update = encrypt ? EVP_EncryptUpdate : EVP_DecryptUpdate;
  if (init(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce.data()) != 1) return false;
  int len = 0;
  if (!ad.empty() && update(ctx.get(), nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1) {
    return false;
  }
  const size_t body = encrypt ? in.size() : in.size() - kNoiseTagLen;
  out.assign(body + (encrypt ? kNoiseTagLen : 0), 0);
  if (body > 0 && update(ctx.get(), out.data(), &len, in.data(), static_cast<int>(body)) != 1) {
    return false;
  }
  constexpr int kTagLen = static_cast<int>(kNoiseTagLen);
  std::array<uint8_t, 16> final_block{};  // GCM writes nothing at Final; a real buffer anyway
  if (encrypt) {
    return EVP_EncryptFinal_ex(ctx.get(), final_block.data(), &len) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagLen, out.data() + body) == 1;
  }
  // SET_TAG copies the tag, so the const_cast never lets OpenSSL write the caller's bytes.
  uint8_t* tag = const_cast<uint8_t*>(in.data() + body);
  return EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagLen, tag) == 1 &&
         EVP_DecryptFinal_ex(ctx.get(), final_block.data(), &len) == 1;
}

}  // namespace

bool operator==(const NoiseHash& a, const NoiseHash& b) {
  return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
}

bool ValidSuite(NoiseSuite suite) {
  return suite == NoiseSuite::kChaChaPolyBlake2b || suite == NoiseSuite::kAesGcmSha256;
}

std::string_view NoiseSuiteName(NoiseSuite suite) {
  return suite == NoiseSuite::kAesGcmSha256 ? "AESGCM_SHA256" : "ChaChaPoly_BLAKE2b";
}

size_t NoiseHashLen(NoiseSuite suite) {
  return suite == NoiseSuite::kAesGcmSha256 ? kSha256Len : kBlake2bLen;
}

NoiseHash SuiteHash(NoiseSuite suite, std::span<const uint8_t> a, std::span<const uint8_t> b) {
  Hasher h(suite);
  h.Update(a);
  h.Update(b);
  return h.Final();
}

NoiseHash SuiteHmac(NoiseSuite suite, std::span<const uint8_t> key, std::span<const uint8_t> data) {
  const size_t block_len = BlockLen(suite);
  std::array<uint8_t, kBlake2bBlockLen> buffer{};
  const std::span<uint8_t> block(buffer.data(), block_len);
  if (key.size() > block_len) {
    NoiseHash digest = SuiteHash(suite, key);
    std::copy(digest.begin(), digest.end(), block.begin());
    sodium_memzero(digest.data(), digest.size());
  } else {
    std::copy(key.begin(), key.end(), block.begin());
  }

  for (uint8_t& byte : block) byte ^= 0x36;
  NoiseHash inner_digest = SuiteHash(suite, block, data);
  for (uint8_t& byte : block) byte ^= 0x36 ^ 0x5c;
  NoiseHash out = SuiteHash(suite, block, inner_digest.bytes());

  sodium_memzero(buffer.data(), buffer.size());
  sodium_memzero(inner_digest.data(), inner_digest.size());
  return out;
}

void NoiseHkdf(NoiseSuite suite, std::span<const uint8_t> chaining_key, std::span<const uint8_t> ikm,
               std::span<NoiseHash> outputs) {
  if (outputs.size() != 2 && outputs.size() != 3) return;
  NoiseHash temp_key = SuiteHmac(suite, chaining_key, ikm);
  std::array<uint8_t, kNoiseMaxHashLen + 1> buf{};
  // output1 = HMAC(temp_key, 0x01), output i = HMAC(temp_key, output i-1 || i)
  size_t prev_len = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    buf[prev_len] = static_cast<uint8_t>(i + 1);
    outputs[i] = SuiteHmac(suite, temp_key.bytes(), std::span<const uint8_t>(buf.data(), prev_len + 1));
    std::copy(outputs[i].begin(), outputs[i].end(), buf.begin());
    prev_len = outputs[i].size();
  }
  sodium_memzero(temp_key.data(), temp_key.size());
  sodium_memzero(buf.data(), buf.size());
}

std::array<uint8_t, kNoiseNonceLen> NoiseNonce(NoiseSuite suite, uint64_t n) {
  std::array<uint8_t, kNoiseNonceLen> out{};
  for (size_t i = 0; i < 8; ++i) {
    const size_t at = suite == NoiseSuite::kAesGcmSha256 ? kNoiseNonceLen - 1 - i : 4 + i;
    out[at] = static_cast<uint8_t>(n >> (8 * i));
  }
  return out;
}

bool SuiteEncrypt(NoiseSuite suite, std::span<const uint8_t, kNoiseKeyLen> key, uint64_t n,
                  std::span<const uint8_t> ad, std::span<const uint8_t> plaintext,
                  std::vector<uint8_t>& out) {
  const auto nonce = NoiseNonce(suite, n);
  if (suite == NoiseSuite::kAesGcmSha256) {
    if (AesGcm(true, key, nonce, ad, plaintext, out)) return true;
    out.clear();
    return false;
  }
  out.assign(plaintext.size() + kNoiseTagLen, 0);
  unsigned long long out_len = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &out_len, plaintext.data(), plaintext.size(),
                                            ad.data(), ad.size(), nullptr, nonce.data(), key.data());
  return true;
}

bool SuiteDecrypt(NoiseSuite suite, std::span<const uint8_t, kNoiseKeyLen> key, uint64_t n,
                  std::span<const uint8_t> ad, std::span<const uint8_t> ciphertext,
                  std::vector<uint8_t>& out) {
  out.clear();
  if (ciphertext.size() < kNoiseTagLen) return false;
  const auto nonce = NoiseNonce(suite, n);
  bool ok = false;
  if (suite == NoiseSuite::kAesGcmSha256) {
    ok = AesGcm(false, key, nonce, ad, ciphertext, out);
  } else {
    out.assign(ciphertext.size() - kNoiseTagLen, 0);
    unsigned long long out_len = 0;
    ok = crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), &out_len, nullptr, ciphertext.data(),
                                                   ciphertext.size(), ad.data(), ad.size(),
                                                   nonce.data(), key.data()) == 0;
  }
  if (!ok) {
    // GCM writes the plaintext before it checks the tag: none of it may leave.
    sodium_memzero(out.data(), out.size());
    out.clear();
  }
  return ok;
}

}  // namespace latchkey::crypto
