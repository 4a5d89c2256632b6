#include "hub/cookie_session.h"

#include <boost/beast/core/string.hpp>
#include <sodium.h>

#include "wire/json_codec.h"

namespace latchkey::hub {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string_view HeaderValue(const HttpRequest& request, std::string_view name) {
  const auto it = request.headers.find(boost::beast::string_view(name.data(), name.size()));
  return it == request.headers.end() ? std::string_view() : std::string_view(it->value().data(), it->value().size());
}

std::string Cookie(std::string_view name, std::string_view value, int64_t max_age_s, bool http_only, bool secure) {
  std::string out = std::string(name) + "=" + std::string(value) + "; Path=/; Max-Age=" + std::to_string(max_age_s) +
                    "; SameSite=Strict";
  if (http_only) out += "; HttpOnly";
  if (secure) out += "; Secure";
  return out;
}

}  // namespace

CsrfKey DeriveCsrfKey(const store::Secret& hub_secret) {
  static_assert(crypto_kdf_KEYBYTES == sizeof(store::Secret));
  CsrfKey key{};
  // libsodium's KDF: subkey 1 of the context "lk_csrf_" (8 bytes), so the CSRF key says nothing
  // about the hub's link key it comes from.
  crypto_kdf_derive_from_key(key.data(), key.size(), 1, "lk_csrf_", hub_secret.data());
  return key;
}

std::string CsrfToken(const CsrfKey& key, std::string_view session_token) {
  std::array<uint8_t, 32> mac{};
  crypto_generichash(mac.data(), mac.size(), reinterpret_cast<const unsigned char*>(session_token.data()),
                     session_token.size(), key.data(), key.size());
  return wire::ToHex(mac);
}

bool CsrfMatches(const CsrfKey& key, std::string_view session_token, const HttpRequest& request) {
  const std::string_view given = HeaderValue(request, kCsrfHeader);
  const std::string expected = CsrfToken(key, session_token);
  if (given.size() != expected.size()) return false;
  return sodium_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

bool IsSafeMethod(http::verb method) { return method == http::verb::get || method == http::verb::head; }

std::optional<std::string> CookieValue(const HttpRequest& request, std::string_view name) {
  const auto [first, last] = request.headers.equal_range(http::field::cookie);
  for (auto field = first; field != last; ++field) {
    std::string_view list(field->value().data(), field->value().size());
    while (!list.empty()) {
      const auto semicolon = list.find(';');
      const std::string_view pair = Trim(list.substr(0, semicolon));
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos && Trim(pair.substr(0, eq)) == name) {
        std::string_view value = Trim(pair.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        return std::string(value);
      }
      if (semicolon == std::string_view::npos) break;
      list.remove_prefix(semicolon + 1);
    }
  }
  return std::nullopt;
}

bool RequestIsSecure(const HttpRequest& request) { return request.secure; }

HeaderList SessionCookies(std::string_view token, std::string_view csrf, int64_t max_age_s, bool secure) {
  return {{"Set-Cookie", Cookie(kSessionCookie, token, max_age_s, true, secure)},
          {"Set-Cookie", Cookie(kCsrfCookie, csrf, max_age_s, false, secure)}};
}

HeaderList ClearedSessionCookies(bool secure) {
  return {{"Set-Cookie", Cookie(kSessionCookie, "", 0, true, secure)},
          {"Set-Cookie", Cookie(kCsrfCookie, "", 0, false, secure)}};
}

bool FromOwnOrigin(const HttpRequest& request) {
  const auto origin = request.headers.find(http::field::origin);
  if (origin == request.headers.end()) return true;  // not a browser: nothing to forge
  const std::string own = std::string(RequestIsSecure(request) ? "https://" : "http://") +
                          std::string(HeaderValue(request, "Host"));
  return boost::beast::iequals(origin->value(), own) &&
         !HeaderValue(request, "Host").empty();
}

bool CsrfOk(const CsrfKey& key, const HttpRequest& request) {
  if (IsSafeMethod(request.method)) return true;
  const auto token = CookieValue(request, kSessionCookie);
  return token && CsrfMatches(key, *token, request);
}

}  // namespace latchkey::hub
