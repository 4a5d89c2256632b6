// Accounts and sessions (API.md "Accounts, roles, sessions").
#include "hub/api.h"
#include "hub/stream.h"
#include "hub/cookie_session.h"
#include "platform/time_format.h"
#include "wire/json_fields.h"

namespace latchkey::hub {
namespace {

constexpr int64_t kSessionMs = 24LL * 3600 * 1000;

Json AccountJson(const Account& a) {
  Json j{{"username", a.username}, {"role", a.role}};
  if (a.locks) j["locks"] = *a.locks;
  if (a.valid_from_ms) j["valid_from"] = platform::FormatRfc3339Ms(*a.valid_from_ms);
  if (a.valid_until_ms) j["valid_until"] = platform::FormatRfc3339Ms(*a.valid_until_ms);
  return j;
}

bool ValidUsername(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

// Reads the writable fields of an account into `a`; a 400 answer on a bad one.
bool ReadAccountFields(const Json& body, Account& a, bool creating, Respond& respond) {
  wire::JsonFields f(body, "account");
  f.OnlyKeys({"username", "password", "role", "locks", "valid_from", "valid_until"});
  const auto password = f.Str("password", creating, 256);
  const auto role = f.Str("role", creating, 16);
  const auto from = f.Str("valid_from", false, 40);
  const auto until = f.Str("valid_until", false, 40);
  const Json* locks = f.Child("locks", false);
  if (!f.ok()) {
    respond(HttpResponse::Error(400, "invalid", f.status().message()));
    return false;
  }
  if (password) {
    if (password->size() < 10) {
      respond(HttpResponse::Error(400, "invalid", "password: at least 10 characters"));
      return false;
    }
    auto hash = HashPassword(*password);
    if (!hash) {
      respond(HttpResponse::Error(500, "internal", "cannot hash the password"));
      return false;
    }
    a.password_hash = *hash;
  }
  if (role) {
    if (!ParseRole(*role) || *role == "owner") {
      respond(HttpResponse::Error(400, "invalid", "role: must be admin, member or guest"));
      return false;
    }
    a.role = *role;
  }
  if (locks) {
    if (!locks->is_array()) {
      respond(HttpResponse::Error(400, "invalid", "locks: must be a list of lock ids"));
      return false;
    }
    std::vector<std::string> ids;
    for (const Json& id : *locks) {
      if (!id.is_string() || id.get<std::string>().size() > 64) {
        respond(HttpResponse::Error(400, "invalid", "locks: must be a list of lock ids"));
        return false;
      }
      ids.push_back(id.get<std::string>());
    }
    a.locks = ids;
  }
  for (auto [text, field, name] : {std::tuple{from, &a.valid_from_ms, "valid_from"}, std::tuple{until, &a.valid_until_ms, "valid_until"}}) {
    if (!text) continue;
    const auto ms = platform::ParseRfc3339Ms(*text);
    if (!ms) {
      respond(HttpResponse::Error(400, "invalid", std::string(name) + ": must be an RFC 3339 time"));
      return false;
    }
    *field = *ms;
  }
  // A change that sets `locks`, `valid_from` or `valid_until` to null removes the restriction
  // (every lock; no bound), as in a JSON merge patch.
  if (!creating) {
    if (body.contains("locks") && body["locks"].is_null()) a.locks.reset();
    if (body.contains("valid_from") && body["valid_from"].is_null()) a.valid_from_ms.reset();
    if (body.contains("valid_until") && body["valid_until"].is_null()) a.valid_until_ms.reset();
  }
  if (a.valid_from_ms && a.valid_until_ms && *a.valid_from_ms >= *a.valid_until_ms) {
    respond(HttpResponse::Error(400, "invalid", "valid_from must be before valid_until"));
    return false;
  }
  return true;
}

}  // namespace

void RegisterAuthRoutes(Hub& hub, Router& router) {
  router.Add(http::verb::post, "/api/v1/auth/login", [&hub](HttpRequest& request, Respond respond) {
    auto body = api::JsonBody(request, respond);
    if (!body) return;
    wire::JsonFields f(*body, "login");
    const auto username = f.Str("username", true, 64);
    const auto password = f.Str("password", true, 256);
    const bool cookie = f.Bool("cookie", false).value_or(false);  // the web app's session (cookie_session.h)
    if (!f.ok()) return respond(HttpResponse::Error(400, "invalid", f.status().message()));
    const int64_t now = hub.NowMs();
    if (const int64_t wait = hub.limiter().RetryAfterSeconds(*username, request.client_address, now); wait > 0) {
      HttpResponse r = HttpResponse::Error(429, "rate_limited", "too many failed logins", Json{{"retry_after_s", wait}});
      r.headers.emplace_back("Retry-After", std::to_string(wait));
      return respond(std::move(r));
    }
    auto account = hub.store().GetAccount(*username);
    if (!account.ok()) return respond(HttpResponse::Error(500, "internal", account.status().message()));
    if (!account->has_value() || !VerifyPassword((*account)->password_hash, *password)) {
      hub.limiter().Failed(*username, request.client_address, now);
      return respond(HttpResponse::Error(401, "unauthorized", "wrong username or password"));
    }
    hub.limiter().Succeeded(*username);
    const NewToken token = MakeToken();
    TokenRecord record;
    record.id = RandomId();
    record.username = *username;
    record.kind = "session";
    record.name = "login";
    record.expires_at_ms = now + kSessionMs;
    record.created_at_ms = now;
    if (core::Status s = hub.store().PutToken(record, token.hash); !s.ok()) {
      return respond(HttpResponse::Error(500, "internal", s.message()));
    }
    Json answer{{"expires_at", platform::FormatRfc3339Ms(*record.expires_at_ms)}, {"account", AccountJson(**account)}};
    if (!cookie) {
      answer["token"] = token.token;
      return respond(HttpResponse::Json(200, answer));
    }
    // The token goes only into the HttpOnly cookie, out of the reach of scripts.
    const std::string csrf = hub.CsrfTokenFor(token.token);
    answer["csrf_token"] = csrf;
    HttpResponse r = HttpResponse::Json(200, answer);
    r.headers = SessionCookies(token.token, csrf, kSessionMs / 1000, RequestIsSecure(request));
    respond(std::move(r));
  });

  // Clears the web app's cookies also when the session had expired (401): a stale cookie is no
  // use. Not on a CSRF refusal (403), which another site could provoke to log the user out.
  router.Add(http::verb::post, "/api/v1/auth/logout", [&hub](HttpRequest& request, Respond respond) {
    Respond clearing = [respond = std::move(respond), secure = RequestIsSecure(request)](HttpResponse r) {
      if (r.status != 403) {
        for (auto& header : ClearedSessionCookies(secure)) r.headers.push_back(std::move(header));
      }
      respond(std::move(r));
    };
    api::Authenticated(hub, request, clearing, [&](const Principal& p) {
      const core::Status s = hub.store().DeleteToken(p.token_id);
      hub.stream().Recheck();
      clearing(s.ok() ? HttpResponse::Json(200, Json::object()) : HttpResponse::Error(500, "internal", s.message()));
    });
  });

  router.Add(http::verb::get, "/api/v1/me", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      auto account = hub.store().GetAccount(p.username);
      if (!account.ok() || !account->has_value()) return respond(HttpResponse::Error(401, "unauthorized", "no account"));
      Json j = AccountJson(**account);
      j["effective_role"] = std::string(RoleName(p.role));
      respond(HttpResponse::Json(200, j));
    });
  });

  router.Add(http::verb::get, "/api/v1/accounts", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      if (!p.MayManageAccounts()) return respond(api::Forbidden());
      auto accounts = hub.store().ListAccounts();
      if (!accounts.ok()) return respond(HttpResponse::Error(500, "internal", accounts.status().message()));
      Json list = Json::array();
      for (const auto& a : *accounts) list.push_back(AccountJson(a));
      respond(HttpResponse::Json(200, list));
    });
  });

  router.Add(http::verb::post, "/api/v1/accounts", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      if (!p.MayManageAccounts()) return respond(api::Forbidden());
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      wire::JsonFields f(*body, "account");
      const auto username = f.Str("username", true, 64);
      if (!f.ok()) return respond(HttpResponse::Error(400, "invalid", f.status().message()));
      if (!ValidUsername(*username)) {
        return respond(HttpResponse::Error(400, "invalid", "username: 1..32 of letters, digits, '-', '_', '.'"));
      }
      auto existing = hub.store().GetAccount(*username);
      if (!existing.ok()) return respond(HttpResponse::Error(500, "internal", existing.status().message()));
      if (existing->has_value()) return respond(HttpResponse::Error(409, "occupied", "the username is taken"));
      Account a;
      a.username = *username;
      a.created_at_ms = hub.NowMs();
      if (!ReadAccountFields(*body, a, true, respond)) return;
      if (core::Status s = hub.store().PutAccount(a); !s.ok()) return respond(HttpResponse::Error(500, "internal", s.message()));
      respond(HttpResponse::Json(201, AccountJson(a)));
    });
  });

  const auto with_account = [&hub](HttpRequest& request, Respond& respond,
                                   const std::function<void(const Principal&, Account&)>& then) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      if (!p.MayManageAccounts()) return respond(api::Forbidden());
      auto account = hub.store().GetAccount(request.params.at("username"));
      if (!account.ok()) return respond(HttpResponse::Error(500, "internal", account.status().message()));
      if (!account->has_value()) return respond(HttpResponse::Error(404, "not_found", "no such account"));
      Account a = **account;
      then(p, a);
    });
  };

  router.Add(http::verb::get, "/api/v1/accounts/{username}", [with_account](HttpRequest& request, Respond respond) {
    with_account(request, respond, [&](const Principal&, Account& a) { respond(HttpResponse::Json(200, AccountJson(a))); });
  });

  router.Add(http::verb::patch, "/api/v1/accounts/{username}", [&hub, with_account](HttpRequest& request, Respond respond) {
    with_account(request, respond, [&](const Principal&, Account& a) {
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      if (body->contains("username") && (*body)["username"] != a.username) {
        return respond(HttpResponse::Error(400, "invalid", "username: cannot be changed"));
      }
      if (a.role == "owner" && body->contains("role")) {
        return respond(HttpResponse::Error(400, "invalid", "role: the owner stays the owner"));
      }
      if (!ReadAccountFields(*body, a, false, respond)) return;
      if (core::Status s = hub.store().PutAccount(a); !s.ok()) return respond(HttpResponse::Error(500, "internal", s.message()));
      hub.stream().Recheck();
      respond(HttpResponse::Json(200, AccountJson(a)));
    });
  });

  router.Add(http::verb::delete_, "/api/v1/accounts/{username}", [&hub, with_account](HttpRequest& request, Respond respond) {
    with_account(request, respond, [&](const Principal&, Account& a) {
      if (a.role == "owner") return respond(HttpResponse::Error(400, "invalid", "the owner account cannot be deleted"));
      const core::Status s = hub.store().DeleteAccount(a.username);
      hub.stream().Recheck();
      respond(s.ok() ? HttpResponse::Json(200, Json::object()) : HttpResponse::Error(500, "internal", s.message()));
    });
  });

  router.Add(http::verb::post, "/api/v1/tokens", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      wire::JsonFields f(*body, "token");
      f.OnlyKeys({"name", "role", "locks", "expires_at"});
      const auto name = f.Str("name", true, 64);
      const auto role = f.Str("role", false, 16);
      const auto expires = f.Str("expires_at", false, 40);
      const Json* locks = f.Child("locks", false);
      if (!f.ok()) return respond(HttpResponse::Error(400, "invalid", f.status().message()));
      if (name->empty()) return respond(HttpResponse::Error(400, "invalid", "name: must not be empty"));
      TokenRecord record;
      record.id = RandomId();
      record.username = p.username;
      record.kind = "api";
      record.name = *name;
      record.created_at_ms = hub.NowMs();
      if (role) {
        const auto r = ParseRole(*role);
        if (!r) return respond(HttpResponse::Error(400, "invalid", "role: owner, admin, member or guest"));
        if (static_cast<int>(*r) < static_cast<int>(p.role)) {
          return respond(api::Forbidden("a token cannot be wider than its creator"));
        }
        record.role = *role;
      }
      if (locks) {
        if (!locks->is_array()) return respond(HttpResponse::Error(400, "invalid", "locks: must be a list"));
        std::vector<std::string> ids;
        for (const Json& id : *locks) {
          if (!id.is_string()) return respond(HttpResponse::Error(400, "invalid", "locks: must be a list of lock ids"));
          if (!p.ListsLock(id.get<std::string>())) return respond(api::Forbidden("a token cannot be wider than its creator"));
          ids.push_back(id.get<std::string>());
        }
        record.locks = ids;
      }
      if (expires) {
        const auto ms = platform::ParseRfc3339Ms(*expires);
        if (!ms || *ms <= hub.NowMs()) return respond(HttpResponse::Error(400, "invalid", "expires_at: a future RFC 3339 time"));
        record.expires_at_ms = *ms;
      }
      const NewToken token = MakeToken();
      if (core::Status s = hub.store().PutToken(record, token.hash); !s.ok()) {
        return respond(HttpResponse::Error(500, "internal", s.message()));
      }
      respond(HttpResponse::Json(201, Json{{"id", record.id}, {"token", token.token}}));
    });
  });

  router.Add(http::verb::get, "/api/v1/tokens", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      auto tokens = hub.store().ListTokens(p.username);
      if (!tokens.ok()) return respond(HttpResponse::Error(500, "internal", tokens.status().message()));
      Json list = Json::array();
      for (const auto& t : *tokens) {
        if (t.kind != "api") continue;
        Json j{{"id", t.id}, {"name", t.name}, {"created_at", platform::FormatRfc3339Ms(t.created_at_ms)}};
        if (t.role) j["role"] = *t.role;
        if (t.locks) j["locks"] = *t.locks;
        if (t.expires_at_ms) j["expires_at"] = platform::FormatRfc3339Ms(*t.expires_at_ms);
        list.push_back(j);
      }
      respond(HttpResponse::Json(200, list));
    });
  });

  router.Add(http::verb::delete_, "/api/v1/tokens/{id}", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      auto tokens = hub.store().ListTokens(p.username);
      if (!tokens.ok()) return respond(HttpResponse::Error(500, "internal", tokens.status().message()));
      const std::string& id = request.params.at("id");
      const bool mine = std::any_of(tokens->begin(), tokens->end(), [&](const TokenRecord& t) { return t.id == id; });
      if (!mine) return respond(HttpResponse::Error(404, "not_found", "no such token"));
      const core::Status s = hub.store().DeleteToken(id);
      hub.stream().Recheck();
      respond(s.ok() ? HttpResponse::Json(200, Json::object()) : HttpResponse::Error(500, "internal", s.message()));
    });
  });
}

}  // namespace latchkey::hub
