// The web app's sessions (docs/hub.md "The web app"): the login token in an HttpOnly cookie
// that scripts cannot read, and a CSRF token beside it that they can.
//
// `POST /auth/login {"cookie": true}` sets `lk_session=<token>` (HttpOnly) and `lk_csrf=<csrf>`,
// both SameSite=Strict, Path=/, with the session's lifetime, and Secure over HTTPS. A request
// with the cookie and no Authorization header is that session; any method but GET and HEAD must
// also carry `X-CSRF-Token: <csrf>` (else 403), which a page of another origin cannot read or
// forge. The CSRF token is a keyed BLAKE2b hash of the session token under a key derived from
// the hub's own secret: nothing more is stored, and it outlives a restart of the hub just as the
// session does. A cookie-authenticated WebSocket upgrade must come from the hub's own origin,
// since browsers do not apply SameSite or CORS to WebSocket handshakes the same way.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hub/http_server.h"
#include "store/secret_file.h"

namespace latchkey::hub {

inline constexpr std::string_view kSessionCookie = "lk_session";
inline constexpr std::string_view kCsrfCookie = "lk_csrf";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

using CsrfKey = std::array<uint8_t, 32>;

// The key of the CSRF tokens, derived from the hub's secret (DATA/hub.key) for this one purpose.
CsrfKey DeriveCsrfKey(const store::Secret& hub_secret);
// The CSRF token of a session token: 64 hex digits.
std::string CsrfToken(const CsrfKey& key, std::string_view session_token);
// Whether `request` carries the CSRF token of `session_token` in X-CSRF-Token (constant time).
bool CsrfMatches(const CsrfKey& key, std::string_view session_token, const HttpRequest& request);
// GET and HEAD change nothing and need no CSRF token.
bool IsSafeMethod(http::verb method);
// Whether a cookie-authenticated `request` may go on: GET and HEAD always, any other method
// only with its session's X-CSRF-Token.
bool CsrfOk(const CsrfKey& key, const HttpRequest& request);

// The value of the cookie `name` in the request's Cookie header, or nullopt.
std::optional<std::string> CookieValue(const HttpRequest& request, std::string_view name);

// Whether the request reached the hub over TLS (HttpRequest::secure): the Secure flag of the
// cookies and the scheme of the hub's own origin.
bool RequestIsSecure(const HttpRequest& request);

// Set-Cookie values that start a session of `max_age_s` seconds, and ones that end it.
using HeaderList = std::vector<std::pair<std::string, std::string>>;
HeaderList SessionCookies(std::string_view token, std::string_view csrf, int64_t max_age_s, bool secure);
HeaderList ClearedSessionCookies(bool secure);

// Whether the request's Origin header is absent or is the hub's own origin: the scheme of this
// connection and the Host the client asked for.
bool FromOwnOrigin(const HttpRequest& request);

}  // namespace latchkey::hub
