// SECURITY.md "Authorisation matrix": every route of the hub × every role × own lock (A) and
// foreign lock (B). An allowed call succeeds (or gets the lock's own answer); a refused one is
// 403 forbidden when the caller may see the lock, 404 not_found when it may not (a lock the
// account cannot see answers like one that does not exist); nothing is ever a 5xx.
//
// API.md: owner everything; admin all but accounts; member operates and reads the history of
// the locks in its list; guest operates the locks in its list inside its time window;
// users/credentials/schedules/holidays/settings/clock/pairing are owner and admin. Issue 9: a
// lock list and a window bind every role below owner (admins and members with either are in
// the matrix), the chain check is owner and admin only, and an account outside its window has
// no lock-wide power either (pairing, webhooks, metrics).
#include <iostream>
#include <set>

#include "hub_harness.h"

namespace latchkey::testing {
namespace {

// What a caller may do (per API.md), to compute the expected answer of every cell.
struct Who {
  std::string name;
  std::string token;
  bool all_locks = false;  // sees every lock (else only lock A)
  bool accounts = false;   // manages accounts
  bool manage = false;     // users, credentials, schedules, holidays, settings, clock, pairing
  bool history = false;    // reads history
  bool operate = false;    // lock, unlock, unlatch, sim (inside its window)
  bool in_window = true;   // false: a guest outside its window sees no lock at all
  // An API token's caller: a login session of the account behind it (empty: the caller is a
  // login session itself). Push subscriptions and notification settings change only with one.
  std::string account_session = {};
};

// kSim: the simulated world, for those who operate the lock except guests (SECURITY.md: guests
// cannot use sim inputs); the roles above guest are exactly those that read history.
// kManageGlobal: owner/admin inside its window; kManageEveryLock: the same and a caller that sees
// every lock (a webhook receives the events of all locks). kSession: any login session, no API
// token (push subscriptions and notification settings: docs/notifications.md).
enum class Need { kPublic, kAny, kSession, kOwner, kManageGlobal, kManageEveryLock, kSee, kOperate, kSim, kHistory, kManage };

using Prepare = std::function<std::map<std::string, std::string>(const Who&)>;

struct Route {
  Route(std::string m, std::string p, std::string b, Need n, std::function<bool(int)> allowed = {}, Prepare prep = {},
        bool unpair = false, bool json = true)
      : method(std::move(m)),
        path(std::move(p)),
        body(std::move(b)),
        need(n),
        prepare(std::move(prep)),
        unpairs(unpair),
        json_success(json) {
    if (allowed) allowed_status = std::move(allowed);
  }
  std::string method;
  std::string path;  // may hold {lock}, {n}, {h}, {pin}, {pin2}, {role}, {tok}, {wh}, {sub}
  std::string body;  // JSON text with the same placeholders; empty: no body
  Need need;
  // The statuses an allowed call may get (default: 2xx).
  std::function<bool(int)> allowed_status = [](int s) { return s >= 200 && s < 300; };
  // Runs before the call: more placeholders (a "token" entry replaces the caller's token).
  Prepare prepare;
  bool unpairs = false;
  bool json_success = true;  // a success answers JSON (not so /metrics, the OpenAPI document)
};

// A push subscription's body (RFC 8291's example keys) to a public address where nothing answers:
// a notification for it during the matrix would only be retried.
constexpr const char* kPushSubscription =
    R"({"endpoint": "https://203.0.113.9/{role}", "keys": {"p256dh": )"
    R"("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4", )"
    R"("auth": "BTBZMqHH6r4Tts7J_aSIgg"}})";

std::string Replace(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    const std::string placeholder = "{" + key + "}";
    for (std::size_t at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + value.size())) {
      text.replace(at, placeholder.size(), value);
    }
  }
  return text;
}

class HubAuthzTest : public SharedDemoTest<HubAuthzTest, 2> {
 public:
  // The matrix's webhooks point at 127.0.0.1:9 (nothing listens there): allowed by the
  // destination policy only when the configuration says so.
  static std::vector<std::string> DemoArgs() { return {"--webhook-allow", "127.0.0.1:9"}; }

 protected:
  void Prepare() override {
    a_ = D().lock_ids()[0];
    b_ = D().lock_ids()[1];
    const auto now = std::chrono::system_clock::now();
    const auto rfc = [](std::chrono::system_clock::time_point t) {
      const std::time_t secs = std::chrono::system_clock::to_time_t(t);
      std::tm tm{};
      gmtime_r(&secs, &tm);
      char text[32];
      std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
      return std::string(text);
    };
    const std::string admin = D().CreateAccount(Json{{"username", "z-admin"}, {"password", "admin-password-1"}, {"role", "admin"}});
    const std::string member = D().CreateAccount(
        Json{{"username", "z-member"}, {"password", "member-password-1"}, {"role", "member"}, {"locks", {a_}}});
    const std::string guest = D().CreateAccount(Json{{"username", "z-guest"},
                                                       {"password", "guest-password-1"},
                                                       {"role", "guest"},
                                                       {"locks", {a_}},
                                                       {"valid_from", rfc(now - std::chrono::minutes(1))},
                                                       {"valid_until", rfc(now + std::chrono::hours(1))}});
    const std::string expired = D().CreateAccount(Json{{"username", "z-guest-expired"},
                                                         {"password", "guest-password-2"},
                                                         {"role", "guest"},
                                                         {"locks", {a_}},
                                                         {"valid_from", rfc(now - std::chrono::hours(3))},
                                                         {"valid_until", rfc(now - std::chrono::hours(1))}});
    // Admins and members are bound by their lists and windows as guests are.
    const std::string admin_a = D().CreateAccount(Json{{"username", "z-admin-a"},
                                                         {"password", "admin-password-2"},
                                                         {"role", "admin"},
                                                         {"locks", {a_}},
                                                         {"valid_from", rfc(now - std::chrono::minutes(1))},
                                                         {"valid_until", rfc(now + std::chrono::hours(1))}});
    const std::string admin_expired = D().CreateAccount(Json{{"username", "z-admin-expired"},
                                                               {"password", "admin-password-3"},
                                                               {"role", "admin"},
                                                               {"valid_from", rfc(now - std::chrono::hours(3))},
                                                               {"valid_until", rfc(now - std::chrono::hours(1))}});
    const std::string member_expired = D().CreateAccount(Json{{"username", "z-member-expired"},
                                                                {"password", "member-password-2"},
                                                                {"role", "member"},
                                                                {"valid_until", rfc(now - std::chrono::hours(1))}});
    ASSERT_FALSE(admin.empty() || member.empty() || guest.empty() || expired.empty() || admin_a.empty() ||
                 admin_expired.empty() || member_expired.empty());
    // API tokens narrowed below their creator behave as the narrower role.
    const HttpResult as_member = D().Call("POST", "/api/v1/tokens",
                                            Json{{"name", "as-member"}, {"role", "member"}, {"locks", {a_}}}, D().owner_token());
    const HttpResult as_guest =
        D().Call("POST", "/api/v1/tokens", Json{{"name", "as-guest"}, {"role", "guest"}, {"locks", {a_}}}, admin);
    ASSERT_EQ(as_member.status, 201) << as_member.Describe();
    ASSERT_EQ(as_guest.status, 201) << as_guest.Describe();

    who_ = {
        {"owner", D().owner_token(), true, true, true, true, true},
        {"admin", admin, true, false, true, true, true},
        {"member", member, false, false, false, true, true},
        {"guest", guest, false, false, false, false, true},
        {"guest_expired", expired, false, false, false, false, false, /*in_window=*/false},
        {"owner_token_as_member", as_member.json["token"], false, false, false, true, true, true, D().owner_token()},
        {"admin_token_as_guest", as_guest.json["token"], false, false, false, false, true, true, admin},
        {"admin_lock_a_in_window", admin_a, false, false, true, true, true},
        {"admin_expired", admin_expired, true, false, true, true, true, /*in_window=*/false},
        {"member_expired", member_expired, true, false, false, true, true, /*in_window=*/false},
    };
    // Every lock has a user 5 with a PIN, a schedule and a holiday for the read routes.
    for (const std::string& lock : {a_, b_}) {
      const std::string base = "/api/v1/locks/" + lock;
      ASSERT_EQ(Owner("POST", base + "/users", Json{{"index", 5}, {"name", "fixture"}}).status, 201);
      ASSERT_EQ(Owner("POST", base + "/credentials", Json{{"type", "pin"}, {"index", 5}, {"data", "246813"}, {"user", 5}}).status, 201);
    }
  }
  static void TearDownTestSuite() {
    SharedDemoTest::TearDownTestSuite();
    who_.clear();
  }

  HttpResult Owner(const std::string& method, const std::string& target, const Json& body = nullptr) {
    return D().Call(method, target, body, D().owner_token());
  }

  // The expected answer of one cell: 0 = allowed, else the refusal's status.
  int Expected(const Route& route, const Who& who, const std::string& lock) const {
    const bool sees = who.in_window && (who.all_locks || lock == a_);
    switch (route.need) {
      case Need::kPublic:
      case Need::kAny: return 0;
      case Need::kSession: return who.account_session.empty() ? 0 : 403;
      case Need::kOwner: return who.accounts ? 0 : 403;
      case Need::kManageGlobal: return who.manage && who.in_window ? 0 : 403;
      case Need::kManageEveryLock: return who.manage && who.in_window && who.all_locks ? 0 : 403;
      case Need::kSee: return sees ? 0 : 404;
      case Need::kOperate: return !sees ? 404 : who.operate ? 0 : 403;
      case Need::kSim: return !sees ? 404 : who.operate && who.history ? 0 : 403;
      case Need::kHistory: return !sees ? 404 : who.history ? 0 : 403;
      case Need::kManage: return !sees ? 404 : who.manage ? 0 : 403;
    }
    return -1;
  }

  // Pairs any lock that is no longer paired again.
  void PairAgain() {
    for (int number = 1; number <= 2; ++number) {
      const std::string id = D().lock_ids()[number - 1];
      if (Owner("GET", "/api/v1/locks/" + id).status == 200) continue;
      const HttpResult r = Owner("POST", "/api/v1/locks", Json{{"address", D().LinkAddress(number)}, {"setup_code", D().SetupCode(number)}});
      EXPECT_EQ(r.status, 201) << "pairing lock " << number << " again: " << r.Describe();
      EXPECT_TRUE(D().WaitOnline(id, true, 20s));
    }
  }

  std::vector<Route> Routes() const {
    const auto four_hundred = [](int s) { return s == 400; };
    const auto new_token = [](const Who& who) {
      const HttpResult r = D().Call("POST", "/api/v1/tokens", Json{{"name", "throwaway"}}, who.token);
      EXPECT_EQ(r.status, 201) << who.name << " cannot make a token: " << r.Describe();
      return std::map<std::string, std::string>{{"tok", r.json.value("id", "none")}, {"token", r.json.value("token", "")}};
    };
    const auto token_id = [new_token](const Who& who) {
      auto values = new_token(who);
      values.erase("token");
      return values;
    };
    // A webhook to list the deliveries of or to delete (made by the owner; only power events,
    // sent to a closed port).
    const auto webhook = [](const Who&) {
      const HttpResult r = D().Call("POST", "/api/v1/webhooks", Json{{"url", "http://127.0.0.1:9/matrix"}, {"kinds", {"power"}}},
                                    D().owner_token());
      EXPECT_EQ(r.status, 201) << r.Describe();
      return std::map<std::string, std::string>{{"wh", r.json.value("id", "none")}};
    };
    // A push subscription of the caller's account to delete (made with a login session of it).
    const auto subscription = [](const Who& who) {
      const HttpResult r = D().Call("POST", "/api/v1/push/subscriptions",
                                    Json::parse(Replace(kPushSubscription, {{"role", who.name + "-delete"}})),
                                    who.account_session.empty() ? who.token : who.account_session);
      EXPECT_EQ(r.status, 201) << r.Describe();
      return std::map<std::string, std::string>{{"sub", r.json.value("id", "none")}};
    };
    const std::string L = "/api/v1/locks/{lock}";
    std::vector<Route> routes = {
        {"GET", "/healthz", "", Need::kPublic},
        {"GET", "/api/v1/openapi.yaml", "", Need::kPublic, {}, {}, false, /*json=*/false},
        {"GET", "/api/v1/stream", "", Need::kPublic, four_hundred},  // a plain GET of the WebSocket
        {"GET", "/api/v1/me", "", Need::kAny},
        {"GET", "/metrics", "", Need::kManageGlobal, {}, {}, false, /*json=*/false},
        {"GET", "/api/v1/webhooks", "", Need::kManageEveryLock},
        {"POST", "/api/v1/webhooks", R"({"url": "http://127.0.0.1:9/{role}", "kinds": ["power"]})", Need::kManageEveryLock},
        {"GET", "/api/v1/webhooks/{wh}/deliveries", "", Need::kManageEveryLock, {}, webhook},
        {"DELETE", "/api/v1/webhooks/{wh}", "", Need::kManageEveryLock, {}, webhook},
        {"GET", "/api/v1/phone-keys", "", Need::kAny},  // everyone: its own keys at least
        {"GET", "/api/v1/phone-keys/revocations", "", Need::kManageGlobal},
        {"POST", "/api/v1/phone-keys/revoke-all", "", Need::kManageEveryLock},
        {"GET", "/api/v1/push/vapid-public-key", "", Need::kAny},
        {"GET", "/api/v1/push/subscriptions", "", Need::kAny},
        {"POST", "/api/v1/push/subscriptions", kPushSubscription, Need::kSession},
        {"DELETE", "/api/v1/push/subscriptions/{sub}", "", Need::kAny, {}, subscription, false, /*json=*/false},
        {"GET", "/api/v1/me/notifications", "", Need::kAny},
        {"PATCH", "/api/v1/me/notifications", R"({"alarms": true, "unlocks": "off"})", Need::kSession},
        {"GET", "/api/v1/locks", "", Need::kAny},
        {"GET", "/api/v1/events", "", Need::kAny},
        {"POST", "/api/v1/tokens", R"({"name": "m-{role}"})", Need::kAny},
        {"GET", "/api/v1/tokens", "", Need::kAny},
        {"DELETE", "/api/v1/tokens/{tok}", "", Need::kAny, {}, token_id},
        {"POST", "/api/v1/auth/logout", "", Need::kAny, {}, new_token},
        {"GET", "/api/v1/accounts", "", Need::kOwner},
        {"POST", "/api/v1/accounts", R"({"username": "m-{role}", "password": "matrix-password", "role": "member"})", Need::kOwner},
        {"GET", "/api/v1/accounts/m-{role}", "", Need::kOwner},
        {"PATCH", "/api/v1/accounts/m-{role}", R"({"role": "guest"})", Need::kOwner},
        {"DELETE", "/api/v1/accounts/m-{role}", "", Need::kOwner},
        // Pairing: an allowed caller gets as far as the setup code's check.
        {"POST", "/api/v1/locks", R"({"address": "127.0.0.1:1", "setup_code": "not-a-code"})", Need::kManageGlobal, four_hundred},
        {"GET", L, "", Need::kSee},
        {"PATCH", L + "/settings", R"({"sound_volume": "medium"})", Need::kManage},
        {"POST", L + "/clock", "", Need::kManage},
        {"POST", L + "/unlock", "", Need::kOperate},
        {"POST", L + "/unlatch", "", Need::kOperate},
        {"POST", L + "/unlock", R"({"timeout_s": 600})", Need::kOperate},
        {"POST", L + "/lock", "", Need::kOperate},
        {"POST", L + "/sim/door", R"({"state": "closed"})", Need::kSim},
        {"GET", L + "/events", "", Need::kHistory},
        {"GET", L + "/events?after=1&limit=5&kind=change", "", Need::kHistory},
        {"GET", L + "/events/verify", "", Need::kManage},  // owner and admin (issue 9)
        {"GET", L + "/users", "", Need::kManage},
        {"POST", L + "/users", R"({"index": {n}, "name": "m{n}"})", Need::kManage},
        {"GET", L + "/users/{n}", "", Need::kManage},
        {"PATCH", L + "/users/{n}", R"({"name": "p{n}"})", Need::kManage},
        {"POST", L + "/credentials", R"({"type": "pin", "index": {n}, "data": "{pin}", "user": {n}})", Need::kManage},
        {"GET", L + "/credentials", "", Need::kManage},
        {"GET", L + "/credentials?type=pin", "", Need::kManage},
        {"GET", L + "/credentials/pin/{n}", "", Need::kManage},
        {"PUT", L + "/credentials/pin/{n}", R"({"data": "{pin2}"})", Need::kManage},
        {"POST", L + "/users/{n}/schedules", R"({"kind": "week_day", "index": 1, "days": ["mon"], "start": "08:00", "end": "09:00"})", Need::kManage},
        {"POST", L + "/users/{n}/schedules", R"({"kind": "year_day", "index": 2, "start": "2030-01-01T00:00", "end": "2030-01-02T00:00"})", Need::kManage},
        {"GET", L + "/users/{n}/schedules", "", Need::kManage},
        {"GET", L + "/users/{n}/schedules/week_day/1", "", Need::kManage},
        {"DELETE", L + "/users/{n}/schedules/week_day/1", "", Need::kManage},
        {"DELETE", L + "/users/{n}/schedules?kind=year_day", "", Need::kManage},
        {"POST", L + "/holidays", R"({"index": {h}, "start": "2030-12-24T00:00", "end": "2030-12-26T00:00", "operating_mode": "vacation"})", Need::kManage},
        {"GET", L + "/holidays", "", Need::kManage},
        {"GET", L + "/holidays/{h}", "", Need::kManage},
        {"DELETE", L + "/holidays/{h}", "", Need::kManage},
        {"DELETE", L + "/users/{n}", "", Need::kManage},
        {"DELETE", L + "/credentials/pin/{n}", "", Need::kManage},
        {"DELETE", L + "/credentials?type=rfid", "", Need::kManage},
        {"DELETE", L + "/credentials", "", Need::kManage},
        {"DELETE", L + "/users", "", Need::kManage},
        {"DELETE", L, "", Need::kManage, {}, {}, /*unpairs=*/true},
    };
    return routes;
  }

  static inline std::string a_, b_;
  static inline std::vector<Who> who_;
};

TEST_F(HubAuthzTest, EveryRouteEveryRoleOwnAndForeignLock) {
  std::vector<std::string> problems;
  std::size_t cells = 0;
  const std::vector<Route> routes = Routes();
  for (const Route& route : routes) {
    const bool per_lock = route.path.find("{lock}") != std::string::npos;
    const std::vector<std::string> locks = per_lock ? std::vector<std::string>{a_, b_} : std::vector<std::string>{""};
    // Unpairing: the refusals first, then the owner unpairs A and the admin B.
    std::vector<std::pair<std::size_t, std::string>> order;
    for (std::size_t w = 0; w < who_.size(); ++w) {
      for (const std::string& lock : locks) {
        if (!route.unpairs || Expected(route, who_[w], lock) != 0) order.emplace_back(w, lock);
      }
    }
    if (route.unpairs) {
      order.emplace_back(0, a_);
      order.emplace_back(1, b_);
    }
    for (const auto& [w, lock] : order) {
      const Who& who = who_[w];
      const int n = 100 + static_cast<int>(w) * 2 + (lock == b_ ? 1 : 0);
      std::map<std::string, std::string> values{{"lock", lock},
                                                {"role", who.name},
                                                {"n", std::to_string(n)},
                                                {"h", std::to_string(n % 10 + 1)},
                                                {"pin", "70" + std::to_string(n) + "1"},
                                                {"pin2", "80" + std::to_string(n) + "2"}};
      std::string token = route.need == Need::kPublic ? "" : who.token;
      if (route.prepare) {
        for (const auto& [key, value] : route.prepare(who)) {
          if (key == "token") token = value;
          else values[key] = value;
        }
      }
      const std::string path = Replace(route.path, values);
      const std::string body = Replace(route.body, values);
      HttpOptions options;
      options.token = token;
      const HttpResult r = D().Raw(route.method, path, body, options);
      ++cells;
      const int expected = Expected(route, who, lock);
      const std::string cell = route.method + " " + path + " as " + who.name + (per_lock ? (lock == a_ ? " (own lock A)" : " (foreign lock B)") : "");
      if (r.status == 0 || r.status >= 500) {
        problems.push_back(cell + ": never a 5xx, got " + r.Describe());
      } else if (expected == 0 && !route.allowed_status(r.status)) {
        problems.push_back(cell + ": allowed, got " + r.Describe());
      } else if (expected == 403 && !(r.status == 403 && r.error_code() == "forbidden")) {
        problems.push_back(cell + ": expected 403 forbidden, got " + r.Describe());
      } else if (expected == 404 && !(r.status == 404 && r.error_code() == "not_found")) {
        problems.push_back(cell + ": expected 404 not_found (a lock it cannot see), got " + r.Describe());
      }
      const bool json_expected = r.status >= 300 || route.json_success;
      if ((json_expected && r.json.is_discarded()) || (r.status >= 400 && r.error_code().empty())) {
        problems.push_back(cell + ": the answer is not JSON (or an error without {\"error\": {\"code\"}}): " + r.Describe());
      }
    }
    if (route.unpairs) PairAgain();
  }
  for (const std::string& p : problems) ADD_FAILURE() << p;
  EXPECT_GT(cells, 500u);
  std::cout << "authorisation matrix: " << routes.size() << " routes, " << who_.size() << " callers, " << cells << " cells, "
            << problems.size() << " problems\n";
}

// Calls without a token (or with a revoked one) are 401 on every route but /healthz and login.
TEST_F(HubAuthzTest, EveryRouteNeedsAToken) {
  const HttpResult gone = D().Call("POST", "/api/v1/tokens", Json{{"name", "revoked"}}, D().owner_token());
  ASSERT_EQ(gone.status, 201);
  ASSERT_EQ(D().Call("DELETE", "/api/v1/tokens/" + gone.json["id"].get<std::string>(), nullptr, D().owner_token()).status, 200);
  for (const Route& route : Routes()) {
    if (route.need == Need::kPublic) continue;
    const std::string path =
        Replace(route.path, {{"lock", a_}, {"role", "x"}, {"n", "5"}, {"h", "1"}, {"tok", "x"}, {"wh", "x"}, {"sub", "x"}});
    for (const std::string& token : {std::string(), gone.json["token"].get<std::string>()}) {
      HttpOptions options;
      options.token = token;
      const HttpResult r = D().Raw(route.method, path, Replace(route.body, {{"n", "5"}, {"h", "1"}, {"pin", "123456"}, {"pin2", "234567"}, {"role", "x"}}), options);
      EXPECT_EQ(r.status, 401) << route.method << " " << path << (token.empty() ? " without a token: " : " with a revoked token: ")
                               << r.Describe();
      EXPECT_EQ(r.error_code(), "unauthorized") << r.body;
    }
  }
}

// The lists show only what the caller may see.
TEST_F(HubAuthzTest, ListsShowOnlyVisibleLocksAndHistory) {
  ASSERT_EQ(D().Call("POST", "/api/v1/locks/" + a_ + "/sim/door", Json{{"state", "open"}}, D().owner_token()).status, 200);
  ASSERT_EQ(D().Call("POST", "/api/v1/locks/" + b_ + "/sim/door", Json{{"state", "open"}}, D().owner_token()).status, 200);
  ASSERT_TRUE(D().WaitMirrored(a_, 10s) && D().WaitMirrored(b_, 10s));
  for (const Who& who : who_) {
    const HttpResult locks = D().Call("GET", "/api/v1/locks", nullptr, who.token);
    ASSERT_EQ(locks.status, 200) << who.name << ": " << locks.Describe();
    std::set<std::string> ids;
    for (const Json& l : locks.json) ids.insert(l["id"].get<std::string>());
    const std::set<std::string> visible =
        !who.in_window ? std::set<std::string>{} : who.all_locks ? std::set<std::string>{a_, b_} : std::set<std::string>{a_};
    EXPECT_EQ(ids, visible) << who.name;

    const HttpResult events = D().Call("GET", "/api/v1/events?limit=1000", nullptr, who.token);
    ASSERT_EQ(events.status, 200) << who.name << ": " << events.Describe();
    std::set<std::string> from;
    for (const Json& e : events.json["events"]) from.insert(e["lock"].get<std::string>());
    const std::set<std::string> readable =
        !who.history || !who.in_window ? std::set<std::string>{} : who.all_locks ? std::set<std::string>{a_, b_} : std::set<std::string>{a_};
    EXPECT_EQ(from, readable) << who.name << " reads the history of exactly the locks it may";
  }
}

}  // namespace
}  // namespace latchkey::testing
