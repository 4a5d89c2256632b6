#include "hub/push/p256.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include <string>

#include "crypto/openssl_ptr.h"

namespace latchkey::hub::push {

namespace {

constexpr const char* kGroup = "prime256v1";

using Bn = crypto::OpenSslPtr<BIGNUM, BN_clear_free>;
using BnCtx = crypto::OpenSslPtr<BN_CTX, BN_CTX_free>;
using Group = crypto::OpenSslPtr<EC_GROUP, EC_GROUP_free>;
using Point = crypto::OpenSslPtr<EC_POINT, EC_POINT_free>;
using ParamBld = crypto::OpenSslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using Params = crypto::OpenSslPtr<OSSL_PARAM, OSSL_PARAM_free>;
using PKeyCtx = crypto::OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtx = crypto::OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EcdsaSig = crypto::OpenSslPtr<ECDSA_SIG, ECDSA_SIG_free>;

// OpenSSL's error queue as text (and emptied), after `what`.
core::Status OpenSslError(const std::string& what) { return core::Status::IoError(crypto::OpenSslErrorText(what)); }

// OpenSSL 3 takes keys by non-const pointer where it only reads them (it counts references).
EVP_PKEY* Mutable(const EVP_PKEY& key) { return const_cast<EVP_PKEY*>(&key); }

// A key from its parameters: the group, the public point and, for a key pair, the scalar.
core::Result<P256Key> FromData(std::span<const uint8_t> point, const BIGNUM* scalar) {
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, kGroup, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1 ||
      (scalar != nullptr && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar) != 1)) {
    return OpenSslError("P-256 key parameters");
  }
  Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  PKeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, scalar != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return core::Status::Invalid("not a P-256 key");
  }
  return P256Key(key);
}

}  // namespace

core::Result<P256Key> P256Generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (key == nullptr) return OpenSslError("cannot make a P-256 key");
  return P256Key(key);
}

core::Result<P256Key> P256FromPrivate(std::span<const uint8_t> scalar) {
  if (scalar.size() != 32) return core::Status::Invalid("a P-256 private key has 32 bytes");
  Group group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  BnCtx bn_ctx(BN_CTX_new());
  Bn d(BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), nullptr));
  if (!group || !bn_ctx || !d) return OpenSslError("P-256");
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group.get())) >= 0) {
    return core::Status::Invalid("not a P-256 private key (0 or not below the group order)");
  }
  // The public point d * G, which OpenSSL's import wants beside the scalar.
  Point q(EC_POINT_new(group.get()));
  P256Point point{};
  if (!q || EC_POINT_mul(group.get(), q.get(), d.get(), nullptr, nullptr, bn_ctx.get()) != 1 ||
      EC_POINT_point2oct(group.get(), q.get(), POINT_CONVERSION_UNCOMPRESSED, point.data(), point.size(), bn_ctx.get()) !=
          point.size()) {
    return OpenSslError("P-256 public point");
  }
  return FromData(point, d.get());
}

core::Result<P256Key> P256FromPublic(std::span<const uint8_t> point) {
  if (point.size() != 65 || point[0] != 0x04) return core::Status::Invalid("not an uncompressed P-256 point (65 bytes, 0x04 first)");
  auto key = FromData(point, nullptr);
  LATCHKEY_TRY(key);
  // The import decodes the point; the full check also refuses the point at infinity and any
  // point outside the group.
  PKeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    ERR_clear_error();
    return core::Status::Invalid("not a point on P-256");
  }
  return key;
}

P256Point P256PublicPoint(const EVP_PKEY& key) {
  P256Point point{};
  std::size_t length = 0;
  if (EVP_PKEY_get_octet_string_param(&key, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(), &length) != 1 ||
      length != point.size()) {
    ERR_clear_error();
    return P256Point{};  // not a P-256 key: every key here was made by the functions above
  }
  return point;
}

core::Result<P256Scalar> P256Ecdh(const EVP_PKEY& mine, const EVP_PKEY& theirs) {
  PKeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, Mutable(mine), nullptr));
  P256Scalar secret{};
  std::size_t length = secret.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), Mutable(theirs)) != 1 ||
      EVP_PKEY_derive(ctx.get(), secret.data(), &length) != 1 || length != secret.size()) {
    return OpenSslError("ECDH");
  }
  return secret;
}

core::Result<std::array<uint8_t, 64>> P256SignEs256(const EVP_PKEY& key, std::string_view data) {
  MdCtx md(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!md || EVP_DigestSignInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, Mutable(key), nullptr) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return OpenSslError("ES256");
  }
  std::string der(length, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(der.data()), &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return OpenSslError("ES256");
  }
  // OpenSSL writes the DER ECDSA-Sig-Value; a JWS carries r and s as two fixed 32-byte numbers.
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(length)));
  if (!sig) return OpenSslError("ES256 signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::array<uint8_t, 64> out{};
  if (BN_bn2binpad(r, out.data(), 32) != 32 || BN_bn2binpad(s, out.data() + 32, 32) != 32) {
    return OpenSslError("ES256 signature");
  }
  return out;
}

}  // namespace latchkey::hub::push
