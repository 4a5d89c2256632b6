// Offline guest codes (OFFLINE-CODES.md; docs/offline-codes.md): issue a code for a window,
// list a lock's codes with their status, revoke one. Owner and admin only (an API token no
// wider than its account); a lock the caller cannot see is answered 404. What a window becomes
// is offline_code_rules.h; making, storing and telling the lock is offline_codes.h.
#include "hub/api.h"
#include "hub/offline_codes.h"
#include "platform/time_format.h"

namespace latchkey::hub {
namespace {

// Who asked, as the lock's history records it.
Json ActorOf(const Principal& p) { return Json{{"name", p.username}, {"role", std::string(RoleName(p.role))}}; }

HttpResponse FromRefusal(const Refusal& r) { return HttpResponse::Error(r.status, r.code, r.message); }

// A code as the API shows it at `now_ms`. The code itself only while it can still open the door
// (and always right after issuing); `delivered` for a revoked or cleared code: whether the lock
// has the revocation.
Json CodeJson(const OfflineCodeRecord& c, const OfflineCodeKey& key, int64_t now_ms, bool with_code = false) {
  const OfflineCodeStatus status = StatusOf(c, key, now_ms);
  Json j{{"id", c.id},
         {"lock", c.lock},
         {"type", std::string(ToString(c.type))},
         {"starts_at", platform::FormatRfc3339Ms(c.starts_at_ms)},
         {"ends_at", platform::FormatRfc3339Ms(c.ends_at_ms)},
         {"duration_hours", c.duration_hours},
         {"name", c.name},
         {"created_by", c.created_by},
         {"created_at", platform::FormatRfc3339Ms(c.created_at_ms)},
         {"status", std::string(ToString(status))}};
  if (with_code || status == OfflineCodeStatus::kIssued) j["code"] = c.code;
  if (c.used_at_ms) j["used_at"] = platform::FormatRfc3339Ms(*c.used_at_ms);
  if (c.revoked_at_ms) j["revoked_at"] = platform::FormatRfc3339Ms(*c.revoked_at_ms);
  if (c.cleared_at_ms) j["cleared_at"] = platform::FormatRfc3339Ms(*c.cleared_at_ms);
  if (c.revoked_at_ms || c.cleared_at_ms) j["delivered"] = RevocationDelivered(c, key);
  return j;
}

// The code's id from the path, or a 400 answer.
std::optional<std::string> PathId(const HttpRequest& request, Respond& respond) {
  const std::string& id = request.params.at("id");
  if (id.empty() || id.size() > 64 || id.find_first_not_of("0123456789abcdef") != std::string::npos) {
    respond(HttpResponse::Error(400, "invalid", "id: must be an offline code's id (hex digits)"));
    return std::nullopt;
  }
  return id;
}

// Authenticates, finds the lock (404 when the caller cannot see it), requires owner or admin.
void Manage(const OfflineCodeRoutes& ctx, HttpRequest& request, Respond& respond,
            const std::function<void(const Principal&, const LockRecord&)>& then) {
  api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
    auto lock = api::VisibleLock(ctx.gate, request, p, respond);
    if (!lock) return;
    if (!p.MayManageLock()) return respond(api::Forbidden("offline codes are for an owner or admin"));
    then(p, *lock);
  });
}

}  // namespace

void RegisterOfflineCodeRoutes(OfflineCodeRoutes ctx, Router& router) {
  router.Add(http::verb::post, "/api/v1/locks/{lock}/offline-codes", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      auto ask = DecodeOfflineCodeAsk(*body);
      if (!ask.ok()) return respond(HttpResponse::Error(400, "invalid", ask.status().message()));
      const bool clear = ask->clear;
      ctx.offline_codes.Issue(lock.id, *ask, p.username, ActorOf(p),
                              [respond, clear, env = &ctx.gate.env](OfflineCodes::IssueAnswer answer) {
        if (const auto* refusal = std::get_if<Refusal>(&answer)) return respond(FromRefusal(*refusal));
        const auto& [code, key] = std::get<OfflineCodes::Outcome>(answer);
        Json j = CodeJson(code, key, env->NowMs(), /*with_code=*/true);
        // Whether the lock holds this key: until it does, no code of it opens.
        j["lock_has_key"] = key.applied && key.applied->key && key.applied->epoch_s == key.epoch_s;
        // A clear code: whether the lock already refuses every earlier code.
        if (clear) j["delivered"] = ConfirmedGeneration(key) >= code.generation;
        respond(HttpResponse::Json(201, j));
      });
    });
  });

  router.Add(http::verb::get, "/api/v1/locks/{lock}/offline-codes", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal&, const LockRecord& lock) {
      auto key = ctx.store.GetOfflineCodeKey(lock.id);
      if (!key.ok()) return respond(HttpResponse::Error(500, "internal", key.status().message()));
      if (!key->has_value()) return respond(HttpResponse::Json(200, Json::array()));  // none issued yet
      auto codes = ctx.store.ListOfflineCodes(lock.id);
      if (!codes.ok()) return respond(HttpResponse::Error(500, "internal", codes.status().message()));
      const int64_t now_ms = ctx.gate.env.NowMs();
      Json list = Json::array();
      for (const OfflineCodeRecord& c : *codes) list.push_back(CodeJson(c, **key, now_ms));
      respond(HttpResponse::Json(200, list));
    });
  });

  router.Add(http::verb::delete_, "/api/v1/locks/{lock}/offline-codes/{id}", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      const auto id = PathId(request, respond);
      if (!id) return;
      ctx.offline_codes.Revoke(lock.id, *id, ActorOf(p), [respond, env = &ctx.gate.env](OfflineCodes::RevokeAnswer answer) {
        if (const auto* refusal = std::get_if<Refusal>(&answer)) return respond(FromRefusal(*refusal));
        const auto& [code, key] = std::get<OfflineCodes::Outcome>(answer);
        Json j = CodeJson(code, key, env->NowMs());
        j["delivered"] = RevocationDelivered(code, key);
        respond(HttpResponse::Json(200, j));
      });
    });
  });
}

}  // namespace latchkey::hub
