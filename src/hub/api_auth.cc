// Accounts and sessions (API.md "Accounts, roles, sessions").
#include <filesystem>

#include "hub/api.h"
#include "hub/hub_client.h"
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

// An account's own limits; the owner account has none (Directory::PrincipalOf ignores its list and
// window).
Limits AccountLimits(const Account& a) {
  const Role role = ParseRole(a.role).value_or(Role::kGuest);
  if (role == Role::kOwner) return Limits{role, std::nullopt, std::nullopt, std::nullopt};
  return Limits{role, a.locks, a.valid_from_ms, a.valid_until_ms};
}

HttpResponse Wider(std::string_view what, std::string_view field) {
  return api::Forbidden(std::string(what) + " cannot be wider than its creator (" + std::string(field) + ")");
}

void ForgetInitialOwnerPassword(const AuthRoutes& ctx) {
  std::error_code ignored;  // usually already gone
  std::filesystem::remove(std::filesystem::path(ctx.data_dir) / kInitialOwnerPasswordFile, ignored);
}

// After a password change: every other session and token of the account ends (SECURITY.md
// "Changing a secret ends what it protected"), except the session of a caller who changed its
// own password. Open streams on them close.
core::Status EndOtherTokens(const AuthRoutes& ctx, const Principal& caller, const std::string& username) {
  const bool own_session = caller.username == username && caller.token_kind == "session";
  const core::Status s = ctx.store.DeleteTokensOf(username, own_session ? caller.token_id : "");
  ctx.stream.Recheck();
  return s;
}

}  // namespace

void RegisterAuthRoutes(AuthRoutes ctx, Router& router) {
  router.Add(http::verb::post, "/api/v1/auth/login", [ctx](HttpRequest& request, Respond respond) {
    auto body = api::JsonBody(request, respond);
    if (!body) return;
    wire::JsonFields f(*body, "login");
    const auto username = f.Str("username", true, 64);
    const auto password = f.Str("password", true, 256);
    const bool cookie = f.Bool("cookie", false).value_or(false);  // the web app's session (cookie_session.h)
    if (!f.ok()) return respond(HttpResponse::Error(400, "invalid", f.status().message()));
    const int64_t now = ctx.gate.env.NowMs();
    if (const int64_t wait = ctx.limiter.RetryAfterSeconds(*username, request.client_address, now); wait > 0) {
      HttpResponse r = HttpResponse::Error(429, "rate_limited", "too many failed logins", Json{{"retry_after_s", wait}});
      r.headers.emplace_back("Retry-After", std::to_string(wait));
      return respond(std::move(r));
    }
    auto account = ctx.store.GetAccount(*username);
    if (!account.ok()) return respond(HttpResponse::Error(500, "internal", account.status().message()));
    // The same Argon2id cost for a name that does not exist (VerifyLogin).
    if (!VerifyLogin(*account, *password)) {
      ctx.limiter.Failed(*username, request.client_address, now);
      return respond(HttpResponse::Error(401, "unauthorized", "wrong username or password"));
    }
    ctx.limiter.Succeeded(*username, request.client_address);
    // The generated first password has done its job once the owner has used it: it does not
    // stay readable on disk (a later password change would not remove it from backups).
    if ((*account)->role == "owner") ForgetInitialOwnerPassword(ctx);
    const NewToken token = MakeToken(ctx.gate.env);
    TokenRecord record;
    record.id = RandomId(ctx.gate.env);
    record.username = *username;
    record.kind = "session";
    record.name = "login";
    record.expires_at_ms = now + kSessionMs;
    record.created_at_ms = now;
    if (core::Status s = ctx.store.PutToken(record, token.hash); !s.ok()) {
      return respond(HttpResponse::Error(500, "internal", s.message()));
    }
    Json answer{{"expires_at", platform::FormatRfc3339Ms(*record.expires_at_ms)}, {"account", AccountJson(**account)}};
    if (!cookie) {
      answer["token"] = token.token;
      return respond(HttpResponse::Json(200, answer));
    }
    // The token goes only into the HttpOnly cookie, out of the reach of scripts.
    const std::string csrf = CsrfToken(ctx.gate.csrf_key, token.token);
    answer["csrf_token"] = csrf;
    HttpResponse r = HttpResponse::Json(200, answer);
    r.headers = SessionCookies(token.token, csrf, kSessionMs / 1000, RequestIsSecure(request));
    respond(std::move(r));
  });

  // Clears the web app's cookies also when the session had expired (401): a stale cookie is no
  // use. Not on a CSRF refusal (403), which another site could provoke to log the user out.
  router.Add(http::verb::post, "/api/v1/auth/logout", [ctx](HttpRequest& request, Respond respond) {
    Respond clearing = [respond = std::move(respond), secure = RequestIsSecure(request)](HttpResponse r) {
      if (r.status != 403) {
        for (auto& header : ClearedSessionCookies(secure)) r.headers.push_back(std::move(header));
      }
      respond(std::move(r));
    };
    api::Authenticated(ctx.gate, request, clearing, [&](const Principal& p) {
      const core::Status s = ctx.store.DeleteToken(p.token_id);
      ctx.stream.Recheck();
      clearing(s.ok() ? HttpResponse::Json(200, Json::object()) : HttpResponse::Error(500, "internal", s.message()));
    });
  });

  router.Add(http::verb::get, "/api/v1/me", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      auto account = ctx.gate.directory.FindAccount(p.username, &request);
      if (!account.ok() || !account->has_value()) return respond(HttpResponse::Error(401, "unauthorized", "no account"));
      Json j = AccountJson(**account);
      j["effective_role"] = std::string(RoleName(p.role));
      respond(HttpResponse::Json(200, j));
    });
  });

  router.Add(http::verb::get, "/api/v1/accounts", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      if (!p.MayManageAccounts()) return respond(api::Forbidden());
      auto accounts = ctx.store.ListAccounts();
      if (!accounts.ok()) return respond(HttpResponse::Error(500, "internal", accounts.status().message()));
      Json list = Json::array();
      for (const auto& a : *accounts) list.push_back(AccountJson(a));
      respond(HttpResponse::Json(200, list));
    });
  });

  router.Add(http::verb::post, "/api/v1/accounts", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      if (!p.MayManageAccounts()) return respond(api::Forbidden());
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      wire::JsonFields f(*body, "account");
      const auto username = f.Str("username", true, 64);
      if (!f.ok()) return respond(HttpResponse::Error(400, "invalid", f.status().message()));
      if (!ValidUsername(*username)) {
        return respond(HttpResponse::Error(400, "invalid", "username: 1..32 of letters, digits, '-', '_', '.'"));
      }
      if (IsIntegrationAccount(*username)) {
        return respond(HttpResponse::Error(409, "occupied", "the username is reserved for an integration"));
      }
      auto existing = ctx.store.GetAccount(*username);
      if (!existing.ok()) return respond(HttpResponse::Error(500, "internal", existing.status().message()));
      if (existing->has_value()) return respond(HttpResponse::Error(409, "occupied", "the username is taken"));
      Account a;
      a.username = *username;
      a.created_at_ms = ctx.gate.env.NowMs();
      if (!ReadAccountFields(*body, a, true, respond)) return;
      // Never wider than its creator: what the body leaves out is the caller's.
      const Limits caller = p.limits();
      if (!body->contains("locks")) a.locks = caller.locks;
      if (!body->contains("valid_from")) a.valid_from_ms = caller.valid_from_ms;
      if (!body->contains("valid_until")) a.valid_until_ms = caller.valid_until_ms;
      if (auto wider = WiderField(AccountLimits(a), caller)) return respond(Wider("an account", *wider));
      if (a.valid_from_ms && a.valid_until_ms && *a.valid_from_ms >= *a.valid_until_ms) {
        return respond(HttpResponse::Error(400, "invalid", "valid_from must be before valid_until"));
      }
      if (core::Status s = ctx.store.PutAccount(a); !s.ok()) return respond(HttpResponse::Error(500, "internal", s.message()));
      respond(HttpResponse::Json(201, AccountJson(a)));
    });
  });

  const auto with_account = [ctx](HttpRequest& request, Respond& respond,
                                   const std::function<void(const Principal&, Account&)>& then) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      if (!p.MayManageAccounts()) return respond(api::Forbidden());
      auto account = ctx.store.GetAccount(request.params.at("username"));
      if (!account.ok()) return respond(HttpResponse::Error(500, "internal", account.status().message()));
      if (!account->has_value()) return respond(HttpResponse::Error(404, "not_found", "no such account"));
      Account a = **account;
      then(p, a);
    });
  };

  router.Add(http::verb::get, "/api/v1/accounts/{username}", [with_account](HttpRequest& request, Respond respond) {
    with_account(request, respond, [&](const Principal&, Account& a) { respond(HttpResponse::Json(200, AccountJson(a))); });
  });

  router.Add(http::verb::patch, "/api/v1/accounts/{username}", [ctx, with_account](HttpRequest& request, Respond respond) {
    with_account(request, respond, [&](const Principal& p, Account& a) {
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      if (body->contains("username") && (*body)["username"] != a.username) {
        return respond(HttpResponse::Error(400, "invalid", "username: cannot be changed"));
      }
      if (a.role == "owner" && body->contains("role")) {
        return respond(HttpResponse::Error(400, "invalid", "role: the owner stays the owner"));
      }
      // A caller changes only accounts no wider than itself (else a new password would hand it
      // the wider account), and only within its own limits.
      const Limits caller = p.limits();
      if (WiderField(AccountLimits(a), caller)) return respond(api::Forbidden("this account is wider than your access"));
      if (!ReadAccountFields(*body, a, false, respond)) return;
      if (auto wider = WiderField(AccountLimits(a), caller)) return respond(Wider("an account", *wider));
      if (core::Status s = ctx.store.PutAccount(a); !s.ok()) return respond(HttpResponse::Error(500, "internal", s.message()));
      if (body->contains("password")) {
        if (core::Status s = EndOtherTokens(ctx, p, a.username); !s.ok()) {
          return respond(HttpResponse::Error(500, "internal", s.message()));
        }
      }
      // Its phone keys follow: those beyond its new locks or window are revoked, and all of them
      // after a password change (a phone enrolled with the old password must not keep the door).
      if (core::Status s = ctx.phone_keys.RevokeBeyond(a.username, a, body->contains("password")); !s.ok()) {
        return respond(HttpResponse::Error(500, "internal", "phone keys not revoked: " + s.message()));
      }
      ctx.stream.Recheck();
      respond(HttpResponse::Json(200, AccountJson(a)));
    });
  });

  router.Add(http::verb::delete_, "/api/v1/accounts/{username}", [ctx, with_account](HttpRequest& request, Respond respond) {
    with_account(request, respond, [&](const Principal& p, Account& a) {
      if (a.role == "owner") return respond(HttpResponse::Error(400, "invalid", "the owner account cannot be deleted"));
      if (WiderField(AccountLimits(a), p.limits())) return respond(api::Forbidden("this account is wider than your access"));
      core::Status s = ctx.store.DeleteAccount(a.username);
      ctx.stream.Recheck();
      // A deleted account's phones must stop opening the door before their keys expire.
      if (s.ok()) s = ctx.phone_keys.RevokeBeyond(a.username, std::nullopt);
      respond(s.ok() ? HttpResponse::Json(200, Json::object()) : HttpResponse::Error(500, "internal", s.message()));
    });
  });

  router.Add(http::verb::post, "/api/v1/tokens", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
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
      // SECURITY.md "No privilege grows by delegation": a field left out is the *caller's*
      // (the calling token's role, locks and lifetime, not the account's), a field given must
      // be no wider, and a token made with an API token is that token's child: it ends when
      // its parent is revoked or expires (HubStore cascade, Directory::PrincipalOf).
      const Limits caller = p.token_limits();
      Limits child = caller;
      if (role) {
        const auto r = ParseRole(*role);
        if (!r) return respond(HttpResponse::Error(400, "invalid", "role: owner, admin, member or guest"));
        child.role = *r;
      }
      if (locks) {
        if (!locks->is_array()) return respond(HttpResponse::Error(400, "invalid", "locks: must be a list"));
        std::vector<std::string> ids;
        for (const Json& id : *locks) {
          if (!id.is_string()) return respond(HttpResponse::Error(400, "invalid", "locks: must be a list of lock ids"));
          ids.push_back(id.get<std::string>());
        }
        child.locks = ids;
      }
      if (expires) {
        const auto ms = platform::ParseRfc3339Ms(*expires);
        if (!ms || *ms <= ctx.gate.env.NowMs()) return respond(HttpResponse::Error(400, "invalid", "expires_at: a future RFC 3339 time"));
        child.valid_until_ms = *ms;
      }
      if (auto wider = WiderField(child, caller)) {
        return respond(Wider("a token", *wider == "valid_until" ? "expires_at" : *wider));
      }
      TokenRecord record;
      record.id = RandomId(ctx.gate.env);
      record.username = p.username;
      record.kind = "api";
      record.name = *name;
      record.created_at_ms = ctx.gate.env.NowMs();
      record.role = std::string(RoleName(child.role));
      record.locks = child.locks;
      record.expires_at_ms = child.valid_until_ms;
      if (p.token_kind == "api") record.parent = p.token_id;
      const NewToken token = MakeToken(ctx.gate.env);
      if (core::Status s = ctx.store.PutToken(record, token.hash); !s.ok()) {
        return respond(HttpResponse::Error(500, "internal", s.message()));
      }
      respond(HttpResponse::Json(201, Json{{"id", record.id}, {"token", token.token}}));
    });
  });

  router.Add(http::verb::get, "/api/v1/tokens", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      // `?account=NAME`: the owner lists any account's tokens, others only their own.
      std::string account = p.username;
      if (const auto it = request.query.find("account"); it != request.query.end() && it->second != p.username) {
        if (!p.MayManageAccounts()) return respond(api::Forbidden("only the owner lists another account's tokens"));
        auto found = ctx.store.GetAccount(it->second);
        if (!found.ok()) return respond(HttpResponse::Error(500, "internal", found.status().message()));
        if (!found->has_value()) return respond(HttpResponse::Error(404, "not_found", "no such account"));
        account = it->second;
      }
      auto tokens = ctx.store.ListTokens(account);
      if (!tokens.ok()) return respond(HttpResponse::Error(500, "internal", tokens.status().message()));
      Json list = Json::array();
      for (const auto& t : *tokens) {
        if (t.kind != "api") continue;
        Json j{{"id", t.id}, {"name", t.name}, {"created_at", platform::FormatRfc3339Ms(t.created_at_ms)}};
        if (t.role) j["role"] = *t.role;
        if (t.locks) j["locks"] = *t.locks;
        if (t.expires_at_ms) j["expires_at"] = platform::FormatRfc3339Ms(*t.expires_at_ms);
        if (t.parent) j["parent"] = *t.parent;
        list.push_back(j);
      }
      respond(HttpResponse::Json(200, list));
    });
  });

  router.Add(http::verb::delete_, "/api/v1/tokens/{id}", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      const std::string& id = request.params.at("id");
      auto token = ctx.store.GetToken(id);
      if (!token.ok()) return respond(HttpResponse::Error(500, "internal", token.status().message()));
      // Any account's token for the owner; one's own for everyone else (another account's
      // token answers like one that does not exist). Its children go with it.
      if (!token->has_value() || ((*token)->username != p.username && !p.MayManageAccounts())) {
        return respond(HttpResponse::Error(404, "not_found", "no such token"));
      }
      const core::Status s = ctx.store.DeleteToken(id);
      ctx.stream.Recheck();
      respond(s.ok() ? HttpResponse::Json(200, Json::object()) : HttpResponse::Error(500, "internal", s.message()));
    });
  });
}

}  // namespace latchkey::hub
