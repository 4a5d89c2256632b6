// Phone keys (PHONE-KEYS.md 5; docs/phone-keys.md "Issuing and revoking (hub)"): issue a
// certificate for a phone, list them, revoke one or all, and hand out the signed revocation
// list. Who may ask for which key is phone_key_rules.h; signing, storing and telling the locks
// is phone_keys.h.
#include <algorithm>
#include <charconv>

#include "crypto/base64.h"
#include "hub/api.h"
#include "hub/phone_key_rules.h"
#include "hub/phone_keys.h"
#include "platform/time_format.h"

namespace latchkey::hub {
namespace {

HttpResponse Internal(const core::Status& s) { return HttpResponse::Error(500, "internal", s.message()); }

HttpResponse FromStatus(const core::Status& s) {
  if (s.code() == core::Code::kResourceExhausted) return HttpResponse::Error(409, "resource_exhausted", s.message());
  return Internal(s);
}

// Who asked, as the lock's history records it.
Json ActorOf(const Principal& p) { return Json{{"name", p.username}, {"role", std::string(RoleName(p.role))}}; }

// A key as the API shows it. `applied`: for a revoked key, whether each lock it could reach has
// applied the revocation (PhoneKeys::AppliedJson).
Json PhoneKeyJson(const PhoneKeyRecord& k, const Json& applied = Json()) {
  Json j{{"serial", k.serial},
         {"certificate", crypto::Base64Encode(k.certificate)},
         {"lock", k.lock},
         {"user", k.user},
         {"account", k.account},
         {"phone_public_key", crypto::Base64Encode(k.phone)},
         {"not_before", platform::FormatRfc3339Ms(k.not_before_s * 1000)},
         {"not_after", platform::FormatRfc3339Ms(k.not_after_s * 1000)},
         {"not_before_s", k.not_before_s},
         {"not_after_s", k.not_after_s},
         {"ops", PhoneOpsJson(k.ops)},
         {"auto", k.auto_unlock},
         {"epoch", k.epoch},
         {"issued_by", k.issued_by},
         {"issued_at", platform::FormatRfc3339Ms(k.issued_at_ms)},
         {"revoked", k.revoked_at_ms.has_value()}};
  if (k.revoked_at_ms) {
    j["revoked_at"] = platform::FormatRfc3339Ms(*k.revoked_at_ms);
    j["applied"] = applied.is_object() ? applied : Json::object();
  }
  return j;
}

// The ids of the paired locks, or a 500 answer.
std::optional<std::vector<std::string>> PairedLocks(const PhoneKeyRoutes& ctx, Respond& respond) {
  auto locks = ctx.store.ListLocks();
  if (!locks.ok()) {
    respond(Internal(locks.status()));
    return std::nullopt;
  }
  std::vector<std::string> ids;
  for (const LockRecord& lock : *locks) ids.push_back(lock.id);
  return ids;
}

// The keys as the API shows them, with `applied` for the revoked ones; a 500 answer on failure.
std::optional<Json> ListJson(const PhoneKeyRoutes& ctx, std::span<const PhoneKeyRecord> keys, Respond& respond) {
  auto paired = PairedLocks(ctx, respond);
  if (!paired) return std::nullopt;
  auto applied = ctx.phone_keys.AppliedVersions();
  if (!applied.ok()) {
    respond(Internal(applied.status()));
    return std::nullopt;
  }
  Json list = Json::array();
  for (const PhoneKeyRecord& k : keys) list.push_back(PhoneKeyJson(k, PhoneKeys::AppliedJson(k, *paired, *applied)));
  return list;
}

// Owner and admin (inside the window) who see every lock: revoke-all reaches every lock.
bool MayManageEveryLock(const Principal& p) { return p.MayManageLock() && !p.locks; }

}  // namespace

void RegisterPhoneKeyRoutes(PhoneKeyRoutes ctx, Router& router) {
  router.Add(http::verb::post, "/api/v1/phone-keys/revoke-all", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      if (!MayManageEveryLock(p)) return respond(api::Forbidden("revoke-all is for an owner or admin who sees every lock"));
      auto state = ctx.phone_keys.RevokeAll(ActorOf(p));
      if (!state.ok()) return respond(FromStatus(state.status()));
      respond(HttpResponse::Json(200, Json{{"epoch", state->epoch}, {"version", state->version}}));
    });
  });

  router.Add(http::verb::get, "/api/v1/phone-keys/revocations", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      if (!p.MayManageLock()) return respond(api::Forbidden());
      auto state = ctx.phone_keys.state();
      if (!state.ok()) return respond(Internal(state.status()));
      auto list = ctx.phone_keys.SignedList();
      if (!list.ok()) return respond(Internal(list.status()));
      respond(HttpResponse::Json(200, Json{{"list", crypto::Base64Encode(*list)},
                                           {"version", state->version},
                                           {"epoch", state->epoch},
                                           {"revoked", state->revoked},
                                           {"home_key", crypto::Base64Encode(ctx.phone_keys.home_key().public_key())}}));
    });
  });

  router.Add(http::verb::post, "/api/v1/phone-keys", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      auto ask = DecodePhoneKeyAsk(*body);
      if (!ask.ok()) return respond(HttpResponse::Error(400, "invalid", ask.status().message()));
      auto target = ctx.store.GetAccount(ask->account.value_or(p.username));
      if (!target.ok()) return respond(Internal(target.status()));
      auto paired = PairedLocks(ctx, respond);
      if (!paired) return;
      auto decided = DecideIssue(*ask, p, *target, *paired, ctx.gate.env.NowMs());
      if (const auto* refusal = std::get_if<Refusal>(&decided)) {
        return respond(HttpResponse::Error(refusal->status, refusal->code, refusal->message));
      }
      auto issued = ctx.phone_keys.Issue(std::get<PhoneKeyGrant>(decided), ask->phone, p.username);
      if (!issued.ok()) return respond(FromStatus(issued.status()));
      respond(HttpResponse::Json(201, PhoneKeyJson(*issued)));
    });
  });

  router.Add(http::verb::get, "/api/v1/phone-keys", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      const int64_t now = ctx.gate.env.NowMs();
      // Members and guests read only their own rows; owner and admin everything they may see.
      auto listed = ctx.store.ListPhoneKeys(p.MayManageLock() ? std::nullopt : std::optional(p.username));
      if (!listed.ok()) return respond(Internal(listed.status()));
      std::vector<PhoneKeyRecord> keys = std::move(listed).value();
      std::erase_if(keys, [&](const PhoneKeyRecord& k) { return !MaySeePhoneKey(p, k, now); });
      if (auto list = ListJson(ctx, keys, respond)) respond(HttpResponse::Json(200, *list));
    });
  });

  router.Add(http::verb::delete_, "/api/v1/phone-keys/{serial}", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      const std::string& text = request.params.at("serial");
      uint64_t serial = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), serial);
      if (error != std::errc() || end != text.data() + text.size() || serial == 0) {
        return respond(HttpResponse::Error(400, "invalid", "serial: must be a key's serial (a number from 1)"));
      }
      auto key = ctx.store.GetPhoneKey(serial);
      if (!key.ok()) return respond(Internal(key.status()));
      // Another's key that the caller may not see is answered like one that does not exist.
      if (!key->has_value() || !MaySeePhoneKey(p, **key, ctx.gate.env.NowMs())) {
        return respond(HttpResponse::Error(404, "not_found", "no such phone key"));
      }
      const uint64_t serials[] = {serial};
      if (core::Status s = ctx.phone_keys.Revoke(serials, ActorOf(p)); !s.ok()) return respond(FromStatus(s));
      auto revoked = ctx.store.GetPhoneKey(serial);
      if (!revoked.ok() || !revoked->has_value()) {
        return respond(Internal(revoked.ok() ? core::Status::NotFound("the key went") : revoked.status()));
      }
      auto list = ListJson(ctx, std::span(&**revoked, 1), respond);
      if (list) respond(HttpResponse::Json(200, (*list)[0]));
    });
  });
}

}  // namespace latchkey::hub
