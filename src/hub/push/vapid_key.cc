#include "hub/push/vapid_key.h"

#include <sodium.h>

#include "crypto/base64.h"
#include "store/secret_file.h"

namespace latchkey::hub::push {

using crypto::Base64UrlEncode;

core::Result<VapidKey> VapidKey::LoadOrCreate(const std::string& path) {
  auto loaded = store::LoadOrCreateSecret(path);
  LATCHKEY_TRY(loaded);
  store::Secret scalar = std::move(loaded).value();
  auto key = FromPrivate(scalar);
  sodium_memzero(scalar.data(), scalar.size());
  if (!key.ok()) return core::Status::Invalid(path + " does not hold a P-256 private key (" + key.status().message() +
                                              "); remove it and restart the hub to make a new one");
  return key;
}

core::Result<VapidKey> VapidKey::FromPrivate(std::span<const uint8_t> scalar) {
  auto key = P256FromPrivate(scalar);
  LATCHKEY_TRY(key);
  return VapidKey(std::move(key).value());
}

VapidKey::VapidKey(P256Key key) : key_(key.release(), EVP_PKEY_free) {
  public_key_ = P256PublicPoint(*key_);
  public_base64url_ = Base64UrlEncode(public_key_);
}

core::Result<std::array<uint8_t, 64>> VapidKey::Sign(std::string_view data) const { return P256SignEs256(*key_, data); }

}  // namespace latchkey::hub::push
