// VAPID (RFC 8292): how the hub proves to a push service that a message comes from the server
// the browser subscribed to. Each request carries
//   Authorization: vapid t=<JWT>, k=<the VAPID public key, base64url>
// where the JWT (RFC 7519, signed ES256 with the VAPID key) is
//   {"typ":"JWT","alg":"ES256"} . {"aud":"https://push.example.net","exp":1767225600,"sub":"mailto:..."}
// `aud` is the origin of the subscription's endpoint (scheme, host and a port other than 443),
// `exp` at most 24 hours ahead (push services refuse more), `sub` a contact for the push
// service's operator: a mailto: or https: URL (the hub's `push_subject`).
//
// A JWT is good for many requests: VapidTokens keeps one per audience for 12 hours and makes a
// new one when less than an hour of it is left, so that a burst of messages costs one signature.
//
//   VapidTokens tokens(key, "mailto:me@example.com");
//   auto header = tokens.Authorization("https://fcm.googleapis.com", env.NowMs());
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"
#include "hub/push/vapid_key.h"
#include "hub/webhook_url.h"

namespace latchkey::hub::push {

// Whether `subject` may be a JWT's `sub`: "mailto:..." or "https://...", at most 256 printable
// ASCII characters; kInvalid saying why.
core::Status CheckVapidSubject(std::string_view subject);

// The origin of a push endpoint (RFC 6454): "https://host" or "https://host:port" (IPv6 in
// brackets, a name in lower case), the JWT's `aud`.
std::string EndpointOrigin(const WebhookUrl& endpoint);

// A signed JWT for `audience` that expires at `exp_s` (Unix seconds).
core::Result<std::string> MakeVapidJwt(const VapidKey& key, std::string_view audience, int64_t exp_s,
                                       std::string_view subject);

class VapidTokens {
 public:
  static constexpr int64_t kLifetimeS = 12 * 3600;
  static constexpr int64_t kRenewBeforeS = 3600;

  VapidTokens(VapidKey key, std::string subject) : key_(std::move(key)), subject_(std::move(subject)) {}
  // "vapid t=<JWT>, k=<public key>" for a request to `audience` at `now_ms`.
  core::Result<std::string> Authorization(const std::string& audience, int64_t now_ms);

 private:
  struct Token {
    std::string jwt;
    int64_t exp_s = 0;
  };
  VapidKey key_;
  std::string subject_;
  std::map<std::string, Token> tokens_;  // by audience; as many as endpoints' origins
};

}  // namespace latchkey::hub::push
