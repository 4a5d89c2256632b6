#include "hub/push/vapid_jwt.h"

#include <nlohmann/json.hpp>

#include "crypto/base64.h"

namespace latchkey::hub::push {

using crypto::Base64UrlEncode;

core::Status CheckVapidSubject(std::string_view subject) {
  if (!subject.starts_with("mailto:") && !subject.starts_with("https://")) {
    return core::Status::Invalid("push_subject: must be a mailto: or https:// URL (a contact for push services)");
  }
  if (subject.size() > 256) return core::Status::Invalid("push_subject: at most 256 characters");
  for (const char c : subject) {
    if (c <= ' ' || c > '~' || c == '"' || c == '\\') {
      return core::Status::Invalid("push_subject: printable ASCII without spaces, quotes or backslashes");
    }
  }
  if (subject == "mailto:" || subject == "https://") return core::Status::Invalid("push_subject: names no one");
  return core::Status::Ok();
}

std::string EndpointOrigin(const WebhookUrl& endpoint) {
  // The name as the URL gave it (lower case for a DNS name, "localhost", or the address).
  std::string host = endpoint.host_is_name ? endpoint.host : endpoint.tls_name;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  const uint16_t default_port = endpoint.tls ? 443 : 80;
  std::string origin = std::string(endpoint.tls ? "https://" : "http://") + host;
  if (endpoint.port != default_port) origin += ":" + std::to_string(endpoint.port);
  return origin;
}

core::Result<std::string> MakeVapidJwt(const VapidKey& key, std::string_view audience, int64_t exp_s,
                                       std::string_view subject) {
  const std::string header = Base64UrlEncode(std::string_view(R"({"typ":"JWT","alg":"ES256"})"));
  const nlohmann::json claims{{"aud", audience}, {"exp", exp_s}, {"sub", subject}};
  std::string signed_part = header + "." + Base64UrlEncode(claims.dump());
  auto signature = key.Sign(signed_part);
  LATCHKEY_TRY(signature);
  return signed_part + "." + Base64UrlEncode(*signature);
}

core::Result<std::string> VapidTokens::Authorization(const std::string& audience, int64_t now_ms) {
  const int64_t now_s = now_ms / 1000;
  Token& token = tokens_[audience];
  if (token.jwt.empty() || token.exp_s - now_s < kRenewBeforeS || token.exp_s - now_s > kLifetimeS) {
    auto jwt = MakeVapidJwt(key_, audience, now_s + kLifetimeS, subject_);
    if (!jwt.ok()) {
      tokens_.erase(audience);
      return jwt.status();
    }
    token = Token{std::move(jwt).value(), now_s + kLifetimeS};
  }
  return "vapid t=" + token.jwt + ", k=" + key_.public_key_base64url();
}

}  // namespace latchkey::hub::push
