// The pieces of the web app's sessions and static files that need no running hub: cookie
// parsing, the CSRF token (keyed, per session, compared whole), the own-origin check of the
// stream, and conditional GETs of the embedded files.
#include <gtest/gtest.h>

#include "hub/cookie_session.h"
#include "hub/web_app.h"

namespace latchkey::hub {
namespace {

HttpRequest With(std::initializer_list<std::pair<std::string, std::string>> headers) {
  HttpRequest r;
  for (const auto& [name, value] : headers) r.headers.insert(name, value);
  return r;
}

TEST(CookieSession, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(CookieValue(With({{"Cookie", "a=1; lk_session=lk_abc; lk_csrf=ff"}}), "lk_session"), "lk_abc");
  EXPECT_EQ(CookieValue(With({{"Cookie", "lk_session=x"}}), "lk_session"), "x");
  EXPECT_EQ(CookieValue(With({{"Cookie", " lk_session = \"quoted\" ;b=2"}}), "lk_session"), "quoted");
  EXPECT_EQ(CookieValue(With({{"Cookie", "xlk_session=1; lk_sessionx=2"}}), "lk_session"), std::nullopt)
      << "a longer name is another cookie";
  EXPECT_EQ(CookieValue(With({{"Cookie", "a=1"}, {"Cookie", "lk_session=second"}}), "lk_session"), "second");
  EXPECT_EQ(CookieValue(With({}), "lk_session"), std::nullopt);
}

TEST(CookieSession, TheCsrfTokenBelongsToOneSessionAndOneHub) {
  store::Secret hub_a{}, hub_b{};
  hub_b[0] = 1;
  const CsrfKey a = DeriveCsrfKey(hub_a), b = DeriveCsrfKey(hub_b);
  EXPECT_NE(a, b);
  EXPECT_NE(std::vector<uint8_t>(a.begin(), a.end()), std::vector<uint8_t>(hub_a.begin(), hub_a.end()))
      << "the CSRF key is not the hub's secret itself";
  const std::string token = CsrfToken(a, "lk_session_one");
  EXPECT_EQ(token.size(), 64u);
  EXPECT_EQ(token, CsrfToken(a, "lk_session_one")) << "no state: the same session gives the same token";
  EXPECT_NE(token, CsrfToken(a, "lk_session_two"));
  EXPECT_NE(token, CsrfToken(b, "lk_session_one"));

  EXPECT_TRUE(CsrfMatches(a, "lk_session_one", With({{"X-CSRF-Token", token}})));
  EXPECT_FALSE(CsrfMatches(a, "lk_session_two", With({{"X-CSRF-Token", token}})));
  EXPECT_FALSE(CsrfMatches(a, "lk_session_one", With({{"X-CSRF-Token", token.substr(0, 63)}})));
  EXPECT_FALSE(CsrfMatches(a, "lk_session_one", With({{"X-CSRF-Token", token + "0"}})));
  EXPECT_FALSE(CsrfMatches(a, "lk_session_one", With({})));
}

TEST(CookieSession, CookiesAreStrictAndTheSessionOneIsHttpOnly) {
  const HeaderList set = SessionCookies("lk_t", "c5", 86400, false);
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[0].second, "lk_session=lk_t; Path=/; Max-Age=86400; SameSite=Strict; HttpOnly");
  EXPECT_EQ(set[1].second, "lk_csrf=c5; Path=/; Max-Age=86400; SameSite=Strict");
  EXPECT_EQ(SessionCookies("lk_t", "c5", 60, true)[1].second, "lk_csrf=c5; Path=/; Max-Age=60; SameSite=Strict; Secure");
  for (const auto& [name, value] : ClearedSessionCookies(false)) {
    EXPECT_EQ(name, "Set-Cookie");
    EXPECT_NE(value.find("=; Path=/; Max-Age=0;"), std::string::npos) << value;
  }
}

TEST(CookieSession, OwnOriginIsTheSchemeAndTheHostAskedFor) {
  EXPECT_TRUE(FromOwnOrigin(With({{"Host", "127.0.0.1:8080"}}))) << "no Origin: not a browser";
  EXPECT_TRUE(FromOwnOrigin(With({{"Host", "127.0.0.1:8080"}, {"Origin", "http://127.0.0.1:8080"}})));
  EXPECT_TRUE(FromOwnOrigin(With({{"Host", "Hub.Local:8080"}, {"Origin", "http://hub.local:8080"}})));
  EXPECT_FALSE(FromOwnOrigin(With({{"Host", "127.0.0.1:8080"}, {"Origin", "http://127.0.0.1:8081"}})));
  EXPECT_FALSE(FromOwnOrigin(With({{"Host", "127.0.0.1:8080"}, {"Origin", "https://127.0.0.1:8080"}})));
  EXPECT_FALSE(FromOwnOrigin(With({{"Host", "127.0.0.1:8080"}, {"Origin", "null"}})));
  EXPECT_FALSE(FromOwnOrigin(With({{"Origin", "http://"}}))) << "no Host to compare with";
  HttpRequest tls = With({{"Host", "hub:8443"}, {"Origin", "https://hub:8443"}});
  tls.secure = true;
  EXPECT_TRUE(FromOwnOrigin(tls));
}

TEST(WebApp, RootIsTheIndexAndEveryFileHasTypeAndEtag) {
  const WebFile* index = FindWebFile("/");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index, FindWebFile("/index.html"));
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_NE(index->bytes.find("<html"), std::string_view::npos);
  EXPECT_EQ(FindWebFile("/no-such-file.js"), nullptr);
  for (const WebFile& f : WebFiles()) {
    EXPECT_EQ(f.path.front(), '/');
    EXPECT_FALSE(f.content_type.empty()) << f.path;
    EXPECT_EQ(f.etag.size(), 34u) << f.path;  // 32 hex digits in quotes
  }
}

TEST(WebApp, ConditionalGetsAnswer304OnlyForTheCurrentEtag) {
  const WebFile* index = FindWebFile("/");
  ASSERT_NE(index, nullptr);
  const std::string etag(index->etag);
  const auto serve = [](std::initializer_list<std::pair<std::string, std::string>> headers) {
    HttpRequest r = With(headers);
    r.path = "/";
    return ServeWebFile(r);
  };
  EXPECT_EQ(serve({}).status, 200u);
  EXPECT_EQ(serve({}).body, std::string(index->bytes));
  EXPECT_EQ(serve({{"If-None-Match", etag}}).status, 304u);
  EXPECT_TRUE(serve({{"If-None-Match", etag}}).body.empty());
  EXPECT_EQ(serve({{"If-None-Match", "\"a\" , W/" + etag}}).status, 304u);
  EXPECT_EQ(serve({{"If-None-Match", "*"}}).status, 304u);
  EXPECT_EQ(serve({{"If-None-Match", "\"stale\""}}).status, 200u);
  EXPECT_EQ(serve({{"If-None-Match", etag.substr(1)}}).status, 200u) << "an unquoted tag is another tag";

  HttpRequest missing;
  missing.path = "/missing.css";
  EXPECT_EQ(ServeWebFile(missing).status, 404u);
}

}  // namespace
}  // namespace latchkey::hub
