// The web app as the hub serves it (docs/hub.md "The web app"): the embedded files with their types, cache
// policy, ETags and security headers, and the app's cookie sessions: login with "cookie": true,
// the CSRF header required on every write, logout clearing the cookies, and the live stream
// that takes the cookie only from the hub's own origin.
#include <filesystem>
#include <regex>
#include <set>

#include "hub_harness.h"
#include "tls_harness.h"
#include "wait.h"

namespace latchkey::testing {
namespace {

constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// A cookie session: what the browser would hold after logging in.
struct CookieSession {
  std::string token;  // the lk_session cookie's value
  std::string csrf;   // the lk_csrf cookie's value
  HttpResult login;
};

// "name=value; Path=/; ..." -> value; "" when the header sets another cookie.
std::string CookieValueIn(const std::string& set_cookie, const std::string& name) {
  if (set_cookie.rfind(name + "=", 0) != 0) return "";
  const auto end = set_cookie.find(';');
  return set_cookie.substr(name.size() + 1, end == std::string::npos ? std::string::npos : end - name.size() - 1);
}

// The Set-Cookie header for `name`, or "".
std::string SetCookieFor(const HttpResult& r, const std::string& name) {
  for (const std::string& c : r.set_cookies) {
    if (c.rfind(name + "=", 0) == 0) return c;
  }
  return "";
}

bool HasAttribute(const std::string& set_cookie, const std::string& attribute) {
  return (set_cookie + ";").find("; " + attribute + ";") != std::string::npos;
}

class HubWebTest : public SharedDemoTest<HubWebTest, 2> {
 protected:

  static std::string L(const std::string& lock) { return "/api/v1/locks/" + lock; }
  static std::string A() { return D().lock_ids()[0]; }

  static HttpResult Get(const std::string& target, std::map<std::string, std::string> headers = {}) {
    HttpOptions options;
    options.headers = std::move(headers);
    return D().Raw("GET", target, "", options);
  }

  static CookieSession CookieLogin(const std::string& username, const std::string& password) {
    CookieSession s;
    s.login = D().Call("POST", "/api/v1/auth/login",
                       Json{{"username", username}, {"password", password}, {"cookie", true}});
    s.token = CookieValueIn(SetCookieFor(s.login, "lk_session"), "lk_session");
    s.csrf = CookieValueIn(SetCookieFor(s.login, "lk_csrf"), "lk_csrf");
    return s;
  }

  // A call as the browser makes it: the cookies, and the CSRF header when `csrf` is not empty.
  static HttpResult WithCookie(const CookieSession& s, const std::string& method, const std::string& target,
                               const std::string& csrf, const Json& body = nullptr) {
    HttpOptions options;
    options.headers["Cookie"] = "lk_session=" + s.token + "; lk_csrf=" + s.csrf;
    if (!csrf.empty()) options.headers["X-CSRF-Token"] = csrf;
    return D().Raw(method, target, body.is_null() ? "" : body.dump(), options);
  }

  // The bolt as the lock itself reports it.
  static std::string LockState(const std::string& lock) { return D().SimControl(lock, "").json.value("lock_state", ""); }

};

void ExpectAppHeaders(const HttpResult& r, const std::string& what) {
  EXPECT_EQ(r.header("content-security-policy"), kCsp) << what;
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << what;
  EXPECT_EQ(r.header("referrer-policy"), "no-referrer") << what;
  EXPECT_EQ(r.header("x-frame-options"), "DENY") << what;
  EXPECT_FALSE(r.header("etag").empty()) << what;
}

TEST_F(HubWebTest, RootServesTheAppPageWithItsHeaders) {
  const HttpResult root = Get("/");
  ASSERT_EQ(root.status, 200) << root.Describe();
  EXPECT_EQ(root.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(root.body.find("<html"), std::string::npos) << root.body;
  EXPECT_EQ(root.header("cache-control"), "no-cache") << "the page must be revalidated, so a new hub reaches the browser";
  ExpectAppHeaders(root, "/");

  const HttpResult index = Get("/index.html");
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(index.body, root.body);
  EXPECT_EQ(index.header("etag"), root.header("etag"));
}

TEST_F(HubWebTest, EtagRevalidationAnswers304WithoutTheBody) {
  const HttpResult first = Get("/");
  ASSERT_EQ(first.status, 200);
  const std::string etag = first.header("etag");
  const HttpResult again = Get("/", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304) << again.Describe();
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.header("etag"), etag);
  EXPECT_EQ(Get("/", {{"If-None-Match", "\"other\", W/" + etag}}).status, 304) << "a list, compared weakly";
  EXPECT_EQ(Get("/", {{"If-None-Match", "\"something-else\""}}).status, 200);
}

TEST_F(HubWebTest, HeadGivesTheHeadersAndNoBody) {
  const HttpResult get = Get("/");
  HttpOptions options;
  const HttpResult head = D().Raw("HEAD", "/", "", options);
  ASSERT_EQ(head.status, 200) << head.Describe();
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.header("content-length"), std::to_string(get.body.size()));
  EXPECT_EQ(head.header("etag"), get.header("etag"));
}

TEST_F(HubWebTest, EveryFileThePageNamesIsServedWithItsTypeAndCachePolicy) {
#if !LATCHKEY_WEB_BUILT
  GTEST_SKIP() << "this build embeds the placeholder page (LATCHKEY_WEB=OFF)";
#endif
  const HttpResult root = Get("/");
  ASSERT_EQ(root.status, 200);
  // Every same-origin src= and href= of the page: Vite's scripts and styles, manifest, icons.
  std::set<std::string> paths;
  const std::regex reference(R"re((?:src|href)="(/[^"]*)")re");
  for (auto it = std::sregex_iterator(root.body.begin(), root.body.end(), reference); it != std::sregex_iterator(); ++it) {
    paths.insert((*it)[1]);
  }
  ASSERT_TRUE(paths.contains("/manifest.webmanifest")) << root.body;
  bool script = false;
  for (const std::string& path : paths) {
    const HttpResult file = Get(path);
    ASSERT_EQ(file.status, 200) << path << ": " << file.Describe();
    EXPECT_FALSE(file.body.empty()) << path;
    ExpectAppHeaders(file, path);
    const std::string type = file.header("content-type");
    if (path.ends_with(".js")) {
      script = true;
      EXPECT_EQ(type, "text/javascript; charset=utf-8") << path;
    }
    if (path.ends_with(".css")) {
      EXPECT_EQ(type, "text/css; charset=utf-8") << path;
    }
    if (path.ends_with(".png")) {
      EXPECT_EQ(type, "image/png") << path;
    }
    if (path.ends_with(".svg")) {
      EXPECT_EQ(type, "image/svg+xml") << path;
    }
    if (path.rfind("/assets/", 0) == 0) {
      EXPECT_EQ(file.header("cache-control"), "public, max-age=31536000, immutable") << path;
    } else {
      EXPECT_EQ(file.header("cache-control"), "no-cache") << path;
    }
  }
  EXPECT_TRUE(script) << "the page loads no script: " << root.body;

  const HttpResult manifest = Get("/manifest.webmanifest");
  EXPECT_EQ(manifest.header("content-type"), "application/manifest+json");
  ASSERT_FALSE(manifest.json.is_discarded()) << manifest.body;
  EXPECT_FALSE(manifest.json.value("name", "").empty()) << manifest.body;
  const HttpResult worker = Get("/sw.js");
  ASSERT_EQ(worker.status, 200) << "the service worker of the installable app";
  EXPECT_EQ(worker.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(worker.header("cache-control"), "no-cache");
}

TEST_F(HubWebTest, UnknownPathsAre404AndApiAnswersCarryTheSecurityHeaders) {
  for (const char* path : {"/nope.js", "/assets/missing-0000.js", "/locks/1", "/api/v1/nothing"}) {
    const HttpResult r = Get(path);
    EXPECT_EQ(r.status, 404) << path << ": " << r.Describe();
    EXPECT_EQ(r.error_code(), "not_found") << path;
  }
  const HttpResult health = Get("/healthz");
  ASSERT_EQ(health.status, 200);
  EXPECT_EQ(health.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(health.header("referrer-policy"), "no-referrer");
  EXPECT_EQ(health.header("cache-control"), "no-store");
}

TEST_F(HubWebTest, CookieLoginSetsTheSessionCookiesAndKeepsTheTokenOutOfTheBody) {
  const CookieSession s = CookieLogin("owner", HubDemo::kOwnerPassword);
  ASSERT_EQ(s.login.status, 200) << s.login.Describe();
  EXPECT_FALSE(s.login.json.contains("token")) << "scripts must never see the session token: " << s.login.body;
  EXPECT_EQ(s.login.json["account"]["username"], "owner");
  EXPECT_TRUE(s.login.json["expires_at"].is_string());
  ASSERT_TRUE(s.login.json["csrf_token"].is_string()) << s.login.body;
  EXPECT_EQ(s.login.json["csrf_token"].get<std::string>(), s.csrf);

  const std::string session = SetCookieFor(s.login, "lk_session");
  const std::string csrf = SetCookieFor(s.login, "lk_csrf");
  ASSERT_FALSE(session.empty()) << Json(s.login.set_cookies).dump();
  ASSERT_FALSE(csrf.empty()) << Json(s.login.set_cookies).dump();
  EXPECT_EQ(s.token.rfind("lk_", 0), 0u) << session;
  for (const std::string& c : {session, csrf}) {
    EXPECT_TRUE(HasAttribute(c, "Path=/")) << c;
    EXPECT_TRUE(HasAttribute(c, "SameSite=Strict")) << c;
    EXPECT_TRUE(HasAttribute(c, "Max-Age=86400")) << c;
    EXPECT_FALSE(HasAttribute(c, "Secure")) << "plain HTTP on loopback: " << c;
  }
  EXPECT_TRUE(HasAttribute(session, "HttpOnly")) << session;
  EXPECT_FALSE(HasAttribute(csrf, "HttpOnly")) << "the app reads lk_csrf after a reload: " << csrf;

  // GETs need no CSRF header.
  const HttpResult me = WithCookie(s, "GET", "/api/v1/me", "");
  ASSERT_EQ(me.status, 200) << me.Describe();
  EXPECT_EQ(me.json["username"], "owner");
  const HttpResult locks = WithCookie(s, "GET", "/api/v1/locks", "");
  ASSERT_EQ(locks.status, 200) << locks.Describe();
  EXPECT_EQ(locks.json.size(), 2u);

  // Without "cookie": the token in the body as before, and no cookies.
  const HttpResult plain = D().Call("POST", "/api/v1/auth/login",
                                    Json{{"username", "owner"}, {"password", HubDemo::kOwnerPassword}});
  ASSERT_EQ(plain.status, 200);
  EXPECT_TRUE(plain.json["token"].is_string());
  EXPECT_TRUE(plain.set_cookies.empty()) << Json(plain.set_cookies).dump();
}

TEST_F(HubWebTest, AWrongPasswordSetsNoCookie) {
  const CookieSession s = CookieLogin("owner", "not-the-password");
  EXPECT_EQ(s.login.status, 401) << s.login.Describe();
  EXPECT_TRUE(s.login.set_cookies.empty()) << Json(s.login.set_cookies).dump();
}

TEST_F(HubWebTest, WritesWithTheCookieNeedTheSessionsCsrfToken) {
  const CookieSession s = CookieLogin("owner", HubDemo::kOwnerPassword);
  const CookieSession other = CookieLogin("owner", HubDemo::kOwnerPassword);
  ASSERT_EQ(s.login.status, 200);
  ASSERT_EQ(other.login.status, 200);
  ASSERT_NE(s.csrf, other.csrf) << "each session has its own CSRF token";
  ASSERT_EQ(D().Call("POST", L(A()) + "/lock", nullptr, D().owner_token()).status, 200);
  ASSERT_EQ(LockState(A()), "locked");

  for (const auto& [csrf, why] : {std::pair<std::string, std::string>{"", "no header"},
                                  {other.csrf, "another session's token"},
                                  {std::string(64, '0'), "a made-up token"},
                                  {s.csrf.substr(0, 63), "a shortened token"}}) {
    const HttpResult r = WithCookie(s, "POST", L(A()) + "/unlock", csrf);
    EXPECT_EQ(r.status, 403) << why << ": " << r.Describe();
    EXPECT_EQ(r.error_code(), "forbidden") << why;
    EXPECT_EQ(r.error_message(), "csrf: missing or wrong X-CSRF-Token") << why;
  }
  EXPECT_EQ(LockState(A()), "locked") << "a refused request must not move the bolt";

  const HttpResult unlock = WithCookie(s, "POST", L(A()) + "/unlock", s.csrf);
  ASSERT_EQ(unlock.status, 200) << unlock.Describe();
  EXPECT_EQ(LockState(A()), "unlocked");

  // A bearer token is not ambient: with the Authorization header the cookie is not looked at.
  HttpOptions bearer;
  bearer.token = D().owner_token();
  bearer.headers["Cookie"] = "lk_session=" + s.token;
  const HttpResult relock = D().Raw("POST", L(A()) + "/lock", "", bearer);
  EXPECT_EQ(relock.status, 200) << relock.Describe();
  EXPECT_EQ(LockState(A()), "locked");
}

TEST_F(HubWebTest, LogoutRevokesTheSessionAndClearsBothCookies) {
  const CookieSession s = CookieLogin("owner", HubDemo::kOwnerPassword);
  ASSERT_EQ(s.login.status, 200);
  const HttpResult refused = WithCookie(s, "POST", "/api/v1/auth/logout", "");
  EXPECT_EQ(refused.status, 403) << "logout is a write: " << refused.Describe();
  EXPECT_TRUE(refused.set_cookies.empty()) << "another site must not be able to log the user out";
  ASSERT_EQ(WithCookie(s, "GET", "/api/v1/me", "").status, 200);

  const HttpResult out = WithCookie(s, "POST", "/api/v1/auth/logout", s.csrf);
  ASSERT_EQ(out.status, 200) << out.Describe();
  for (const char* name : {"lk_session", "lk_csrf"}) {
    const std::string c = SetCookieFor(out, name);
    ASSERT_FALSE(c.empty()) << name << " not cleared: " << Json(out.set_cookies).dump();
    EXPECT_EQ(CookieValueIn(c, name), "") << c;
    EXPECT_TRUE(HasAttribute(c, "Max-Age=0")) << c;
    EXPECT_TRUE(HasAttribute(c, "Path=/")) << c;
  }
  const HttpResult me = WithCookie(s, "GET", "/api/v1/me", "");
  EXPECT_EQ(me.status, 401) << "the token is revoked, not only forgotten by the browser: " << me.Describe();
}

TEST_F(HubWebTest, TheStreamTakesTheCookieOnlyFromTheHubsOwnOrigin) {
  const CookieSession s = CookieLogin("owner", HubDemo::kOwnerPassword);
  ASSERT_EQ(s.login.status, 200);
  const std::string own = "http://127.0.0.1:" + std::to_string(D().port());
  const std::string cookie = "lk_session=" + s.token;

  WsClient foreign;
  EXPECT_EQ(foreign.Connect(D().port(), "/api/v1/stream", {{"Cookie", cookie}, {"Origin", "http://evil.example"}}), 403);
  EXPECT_NE(foreign.refusal_body().find("origin"), std::string::npos) << foreign.refusal_body();
  WsClient other_port;
  EXPECT_EQ(other_port.Connect(D().port(), "/api/v1/stream", {{"Cookie", cookie}, {"Origin", "http://127.0.0.1:1"}}), 403);
  WsClient no_cookie;
  EXPECT_EQ(no_cookie.Connect(D().port(), "/api/v1/stream", {{"Origin", own}}), 401);

  // A token in the URL is no ambient credential: any origin may use it.
  WsClient token;
  EXPECT_EQ(token.Connect(D().port(), "/api/v1/stream?token=" + UrlEncode(D().owner_token()),
                          {{"Origin", "http://evil.example"}}), 101) << token.refusal_body();

  WsClient app;
  ASSERT_EQ(app.Connect(D().port(), "/api/v1/stream", {{"Cookie", cookie}, {"Origin", own}}), 101) << app.refusal_body();
  ASSERT_EQ(D().Call("POST", L(A()) + "/unlock", nullptr, D().owner_token()).status, 200);
  const auto state = app.WaitFor([&](const Json& m) {
    return m.value("type", "") == "state" && m.value("lock", "") == A() && m.value("lock_state", "") == "unlocked";
  }, 10s);
  EXPECT_TRUE(state.has_value()) << "the app's stream shows the unlock live; got " << Json(app.All()).dump();
  ASSERT_EQ(D().Call("POST", L(A()) + "/lock", nullptr, D().owner_token()).status, 200);
}

// Over HTTPS (a hub beyond loopback) the session cookies carry Secure: the browser never sends
// them over plain HTTP.
TEST(HubWebTlsTest, OverHttpsTheSessionCookiesAreSecure) {
  LatchkeyProcess hub;
  const std::string data = hub.dir() + "/data";
  const uint16_t port = FreeLoopbackPort();
  hub.Spawn({"hub", "--data", data, "--http", "0.0.0.0:" + std::to_string(port)});
  HttpsOptions tls;
  tls.ca_file = data + "/tls/cert.pem";
  (void)latchkey::testing::WaitUntil([&] { return std::filesystem::exists(tls.ca_file); }, std::chrono::milliseconds(10000), std::chrono::milliseconds(25));
  ASSERT_NO_FATAL_FAILURE(hub.WaitHealthy(port, tls));
  const HttpResult login = HttpsCall(
      port, "POST", "/api/v1/auth/login",
      Json{{"username", "owner"}, {"password", HubDemo::kOwnerPassword}, {"cookie", true}}.dump(), tls);
  ASSERT_EQ(login.status, 200) << login.Describe();
  ASSERT_TRUE(login.json["csrf_token"].is_string()) << login.body;
  // (The HTTPS client keeps the last Set-Cookie: lk_csrf.)
  const std::string cookie = login.header("set-cookie");
  EXPECT_EQ(cookie.rfind("lk_csrf=", 0), 0u) << cookie;
  EXPECT_TRUE(HasAttribute(cookie, "Secure")) << cookie;
  EXPECT_TRUE(HasAttribute(cookie, "SameSite=Strict")) << cookie;
  const HttpResult page = HttpsCall(port, "GET", "/", "", tls);
  EXPECT_EQ(page.status, 200) << "the app over HTTPS too";
  EXPECT_EQ(page.header("content-security-policy"), kCsp);
}

}  // namespace
}  // namespace latchkey::testing
