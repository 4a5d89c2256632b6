// The hub's VAPID key (RFC 8292): a P-256 key pair that identifies this hub to the browsers'
// push services. A browser subscribes with its public key (PushManager.subscribe's
// applicationServerKey, served at GET /api/v1/push/vapid-public-key), and its push service then
// accepts only messages whose JWT this key signed (vapid_jwt.h).
//
// Made on the hub's first start and kept as its 32-byte private scalar in DATA/vapid-key (0600,
// store::LoadOrCreateSecret: never rewritten; a key that others may read is an error). Losing it
// means every browser must subscribe again: push services refuse messages signed by another key
// than the subscription's (the app subscribes again when the key it is served has changed).
//
//   auto key = VapidKey::LoadOrCreate(data_dir + "/vapid-key");
//   key->public_key_base64url();       // "BP4z9KsN6nGR..." (65 bytes, base64url)
//   key->Sign("header.payload");       // ES256, r || s
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "hub/push/p256.h"

namespace latchkey::hub::push {

// In DATA: the VAPID key's private scalar.
inline constexpr std::string_view kVapidKeyFile = "vapid-key";

class VapidKey {
 public:
  // The key kept in `path`, made there first when there is none. A file of random bytes that
  // is not a P-256 scalar (a chance of 1 in 2^32) is an error naming it, to be removed.
  static core::Result<VapidKey> LoadOrCreate(const std::string& path);
  // The key of a known scalar (tests).
  static core::Result<VapidKey> FromPrivate(std::span<const uint8_t> scalar);

  const P256Point& public_key() const { return public_key_; }
  // The public key as browsers take it: base64url of the uncompressed point, no padding.
  const std::string& public_key_base64url() const { return public_base64url_; }
  // ES256 of `data`: r || s.
  core::Result<std::array<uint8_t, 64>> Sign(std::string_view data) const;

 private:
  explicit VapidKey(P256Key key);
  std::shared_ptr<EVP_PKEY> key_;
  P256Point public_key_{};
  std::string public_base64url_;
};

}  // namespace latchkey::hub::push
