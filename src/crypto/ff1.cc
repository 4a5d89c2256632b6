#include "crypto/ff1.h"

#include <openssl/bn.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <memory>
#include <new>
#include <vector>

#include "crypto/openssl_ptr.h"

namespace latchkey::crypto {
namespace {

using core::Result;
using core::Status;

constexpr std::string_view kNumerals = "0123456789abcdefghijklmnopqrstuvwxyz";

using Bn = OpenSslPtr<BIGNUM, BN_clear_free>;

Bn NewBn() {
  Bn b(BN_new());
  if (!b) throw std::bad_alloc();
  return b;
}

// AES in ECB mode on whole blocks: CIPH_K of SP 800-38G, and CBC-MAC (its PRF) built on it.
class Aes {
 public:
  explicit Aes(std::span<const uint8_t> key) : ctx_(EVP_CIPHER_CTX_new()) {
    const EVP_CIPHER* cipher = key.size() == 16 ? EVP_aes_128_ecb() : key.size() == 24 ? EVP_aes_192_ecb() : EVP_aes_256_ecb();
    ok_ = ctx_ && EVP_EncryptInit_ex(ctx_.get(), cipher, nullptr, key.data(), nullptr) == 1 &&
          EVP_CIPHER_CTX_set_padding(ctx_.get(), 0) == 1;
  }
  bool ok() const { return ok_; }

  bool Block(const uint8_t in[16], uint8_t out[16]) {
    int len = 0;
    return EVP_EncryptUpdate(ctx_.get(), out, &len, in, 16) == 1 && len == 16;
  }

  // PRF(X) (Algorithm 6): the last block of CBC encryption of X with a zero IV.
  bool Prf(std::span<const uint8_t> x, uint8_t out[16]) {
    std::array<uint8_t, 16> y{};
    for (std::size_t off = 0; off < x.size(); off += 16) {
      for (std::size_t j = 0; j < 16; ++j) y[j] ^= x[off + j];
      if (!Block(y.data(), y.data())) return false;
    }
    std::copy(y.begin(), y.end(), out);
    return true;
  }

 private:
  OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free> ctx_;
  bool ok_ = false;
};

int Numeral(char c, unsigned radix) {
  const std::size_t at = kNumerals.substr(0, radix).find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// NUM_radix(X): the number the numerals of `x` stand for, most significant first.
void NumRadix(std::string_view x, unsigned radix, BIGNUM* out) {
  BN_zero(out);
  for (char c : x) {
    BN_mul_word(out, radix);
    BN_add_word(out, static_cast<BN_ULONG>(Numeral(c, radix)));
  }
}

// STR^m_radix(x): `x` (< radix^m) as exactly m numerals. `x` is consumed.
std::string StrRadix(BIGNUM* x, unsigned radix, std::size_t m) {
  std::string out(m, '0');
  for (std::size_t i = m; i-- > 0;) out[i] = kNumerals[BN_div_word(x, radix)];
  return out;
}

enum class Direction { kEncrypt, kDecrypt };

Result<std::string> Ff1(std::span<const uint8_t> key, std::span<const uint8_t> tweak, unsigned radix,
                        std::string_view text, Direction direction) {
  if (key.size() != 16 && key.size() != 24 && key.size() != 32) {
    return Status::Invalid("FF1 key must be 16, 24 or 32 bytes");
  }
  if (radix < 2 || radix > kNumerals.size()) return Status::Invalid("FF1 radix must be 2..36");
  if (text.size() < 2 || text.size() > kFf1MaxLength) {
    return Status::Invalid("FF1 text must be 2.." + std::to_string(kFf1MaxLength) + " numerals");
  }
  if (tweak.size() > kFf1MaxTweak) return Status::Invalid("FF1 tweak is too long");
  for (char c : text) {
    if (Numeral(c, radix) < 0) return Status::Invalid("FF1 text has a character outside the radix");
  }
  Aes aes(key);
  if (!aes.ok()) return Status::IoError("FF1: AES is not available");
  OpenSslPtr<BN_CTX, BN_CTX_free> bn_ctx(BN_CTX_new());
  if (!bn_ctx) throw std::bad_alloc();

  // Steps 1-5 of Algorithms 7 and 8.
  const std::size_t n = text.size();
  const std::size_t u = n / 2;
  const std::size_t v = n - u;
  std::string a(text.substr(0, u));
  std::string b(text.substr(u));
  Bn radix_bn = NewBn();
  BN_set_word(radix_bn.get(), radix);
  // radix^u and radix^v, the moduli of the two halves.
  Bn mod_u = NewBn();
  Bn mod_v = NewBn();
  Bn exponent = NewBn();
  BN_set_word(exponent.get(), u);
  BN_exp(mod_u.get(), radix_bn.get(), exponent.get(), bn_ctx.get());
  BN_set_word(exponent.get(), v);
  BN_exp(mod_v.get(), radix_bn.get(), exponent.get(), bn_ctx.get());
  // b = ceil(ceil(v * log2(radix)) / 8): the bit length of radix^v - 1 is ceil(v * log2(radix)).
  Bn largest = NewBn();
  BN_copy(largest.get(), mod_v.get());
  BN_sub_word(largest.get(), 1);
  const std::size_t b_bytes = (static_cast<std::size_t>(BN_num_bits(largest.get())) + 7) / 8;
  const std::size_t d = 4 * ((b_bytes + 3) / 4) + 4;
  const std::size_t t = tweak.size();

  // P || Q in one buffer: P, then Q's fixed part (T and the zeros), then [i] and NUM_radix(B).
  const std::size_t zeros = (16 - (t + b_bytes + 1) % 16) % 16;
  const std::size_t round_at = 16 + t + zeros;
  std::vector<uint8_t> pq(round_at + 1 + b_bytes, 0);
  pq[0] = 1;
  pq[1] = 2;
  pq[2] = 1;
  pq[3] = static_cast<uint8_t>(radix >> 16);
  pq[4] = static_cast<uint8_t>(radix >> 8);
  pq[5] = static_cast<uint8_t>(radix);
  pq[6] = 10;
  pq[7] = static_cast<uint8_t>(u % 256);
  for (int i = 0; i < 4; ++i) pq[8 + static_cast<std::size_t>(i)] = static_cast<uint8_t>(n >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) pq[12 + static_cast<std::size_t>(i)] = static_cast<uint8_t>(t >> (24 - 8 * i));
  // Q = T || [0]^((-t-b-1) mod 16) || [i]^1 || [NUM_radix(B)]^b
  for (std::size_t j = 0; j < t; ++j) pq[16 + j] = tweak[j];

  std::vector<uint8_t> s(((d + 15) / 16) * 16);
  Bn num = NewBn();
  Bn y = NewBn();
  Bn c = NewBn();
  for (int step = 0; step < 10; ++step) {
    const int i = direction == Direction::kEncrypt ? step : 9 - step;
    // The half that feeds the round function: B when encrypting, A when decrypting.
    std::string& fed = direction == Direction::kEncrypt ? b : a;
    pq[round_at] = static_cast<uint8_t>(i);
    NumRadix(fed, radix, num.get());
    if (BN_bn2binpad(num.get(), pq.data() + round_at + 1, static_cast<int>(b_bytes)) < 0) {
      return Status::IoError("FF1: a number does not fit its bytes");
    }
    if (!aes.Prf(pq, s.data())) return Status::IoError("FF1: AES failed");
    // S = R || CIPH(R xor [1]^16) || CIPH(R xor [2]^16) ... , first d bytes.
    for (std::size_t j = 1; j * 16 < d; ++j) {
      std::array<uint8_t, 16> block{};
      std::copy(s.begin(), s.begin() + 16, block.begin());
      for (int k = 0; k < 8; ++k) block[15 - static_cast<std::size_t>(k)] ^= static_cast<uint8_t>(j >> (8 * k));
      if (!aes.Block(block.data(), s.data() + 16 * j)) return Status::IoError("FF1: AES failed");
    }
    BN_bin2bn(s.data(), static_cast<int>(d), y.get());
    const std::size_t m = i % 2 == 0 ? u : v;
    const BIGNUM* modulus = i % 2 == 0 ? mod_u.get() : mod_v.get();
    std::string& other = direction == Direction::kEncrypt ? a : b;
    NumRadix(other, radix, num.get());
    const int ok = direction == Direction::kEncrypt ? BN_mod_add(c.get(), num.get(), y.get(), modulus, bn_ctx.get())
                                                    : BN_mod_sub(c.get(), num.get(), y.get(), modulus, bn_ctx.get());
    if (ok != 1) return Status::IoError("FF1: big number arithmetic failed");
    std::string next = StrRadix(c.get(), radix, m);
    if (direction == Direction::kEncrypt) {
      a = std::move(b);
      b = std::move(next);
    } else {
      b = std::move(a);
      a = std::move(next);
    }
  }
  return a + b;
}

}  // namespace

Result<std::string> Ff1Encrypt(std::span<const uint8_t> key, std::span<const uint8_t> tweak, unsigned radix,
                               std::string_view plaintext) {
  return Ff1(key, tweak, radix, plaintext, Direction::kEncrypt);
}

Result<std::string> Ff1Decrypt(std::span<const uint8_t> key, std::span<const uint8_t> tweak, unsigned radix,
                               std::string_view ciphertext) {
  return Ff1(key, tweak, radix, ciphertext, Direction::kDecrypt);
}

}  // namespace latchkey::crypto
