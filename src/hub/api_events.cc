// History from the hub's mirror (readable while a lock is offline) and the hash-chain check.
#include "core/event.h"
#include "crypto/sodium_crypto.h"
#include "hub/api.h"
#include "platform/time_format.h"
#include "wire/json_codec.h"

namespace latchkey::hub {
namespace {

// Reads an optional numeric query parameter into `out`; false (after a 400 answer) if malformed.
bool QueryNumber(const HttpRequest& request, const char* name, uint64_t max, Respond& respond,
                 std::optional<uint64_t>* out) {
  const auto it = request.query.find(name);
  if (it == request.query.end()) return true;
  const std::string& text = it->second;
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoull(text) > max) {
    respond(HttpResponse::Error(400, "invalid", std::string(name) + ": must be a number up to " + std::to_string(max)));
    return false;
  }
  *out = std::stoull(text);
  return true;
}

}  // namespace

void RegisterEventRoutes(Hub& hub, Router& router) {
  router.Add(http::verb::get, "/api/v1/locks/{lock}/events", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      auto lock = api::VisibleLock(hub, request, p, respond);
      if (!lock) return;
      if (!p.MayReadHistory(lock->id)) return respond(api::Forbidden("your role does not read history"));
      EventQuery query;
      query.lock = lock->id;
      std::optional<uint64_t> after, limit, user;
      if (!QueryNumber(request, "after", UINT64_MAX - 1, respond, &after) ||
          !QueryNumber(request, "limit", 1000, respond, &limit) || !QueryNumber(request, "user", 65534, respond, &user)) {
        return;
      }
      query.after = after.value_or(0);
      query.limit = limit.value_or(100);
      if (user) query.user = static_cast<uint32_t>(*user);
      if (request.query.contains("kind")) {
        const std::string& kind = request.query.at("kind");
        if (!core::Parse<core::EventKind>(kind)) return respond(HttpResponse::Error(400, "invalid", "kind: not an event kind"));
        query.kind = kind;
      }
      auto events = hub.store().Events(query);
      if (!events.ok()) return respond(HttpResponse::Error(500, "internal", events.status().message()));
      Json list = Json::array();
      uint64_t next_after = query.after;
      for (auto& e : *events) {
        next_after = std::max<uint64_t>(next_after, e.value("seq", 0ull));
        list.push_back(ApiEventJson(std::move(e), lock->id));
      }
      respond(HttpResponse::Json(200, Json{{"events", list}, {"next_after", next_after}}));
    });
  });

  router.Add(http::verb::get, "/api/v1/events", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      std::optional<uint64_t> limit;
      if (!QueryNumber(request, "limit", 1000, respond, &limit)) return;
      std::optional<int64_t> after_ms, before_ms;
      for (auto [name, target] : {std::pair{"after_time", &after_ms}, std::pair{"before_time", &before_ms}}) {
        if (!request.query.contains(name)) continue;
        *target = platform::ParseRfc3339Ms(request.query.at(name));
        if (!*target) return respond(HttpResponse::Error(400, "invalid", std::string(name) + ": must be an RFC 3339 time"));
      }
      auto locks = hub.store().ListLocks();
      if (!locks.ok()) return respond(HttpResponse::Error(500, "internal", locks.status().message()));
      std::vector<std::string> readable;
      for (const auto& r : *locks) {
        if (p.MayReadHistory(r.id)) readable.push_back(r.id);
      }
      Json list = Json::array();
      if (!readable.empty()) {
        auto events = hub.store().RecentEvents(readable, before_ms.value_or(0), limit.value_or(100));
        if (!events.ok()) return respond(HttpResponse::Error(500, "internal", events.status().message()));
        for (auto& e : *events) {
          if (after_ms && e.value("time", int64_t{0}) <= *after_ms) continue;
          const std::string lock = e.value("lock", "");
          list.push_back(ApiEventJson(std::move(e), lock));
        }
      }
      respond(HttpResponse::Json(200, Json{{"events", list}}));
    });
  });

  router.Add(http::verb::get, "/api/v1/locks/{lock}/events/verify", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      auto lock = api::VisibleLock(hub, request, p, respond);
      if (!lock) return;
      if (!p.MayReadHistory(lock->id)) return respond(api::Forbidden("your role does not read history"));
      auto stored = hub.store().AllEvents(lock->id);
      if (!stored.ok()) return respond(HttpResponse::Error(500, "internal", stored.status().message()));
      std::vector<core::Event> events;
      for (const Json& j : *stored) {
        Json body = j;
        body.erase("lock");
        auto e = wire::EventFromJson(body);
        if (!e.ok()) return respond(HttpResponse::Json(200, Json{{"ok", false}, {"count", events.size()}, {"error", e.status().message()}}));
        events.push_back(*e);
      }
      // The chain starts from 32 zero bytes at seq 1; the hash is unkeyed, so any key will do.
      const crypto::SodiumCrypto chain(crypto::SecretKey{});
      std::optional<uint64_t> broken;
      if (!events.empty() && events.front().seq != 1) broken = events.front().seq;
      if (!broken) broken = core::VerifyChain(chain, core::Digest{}, events);
      Json result{{"ok", !broken.has_value()}, {"count", events.size()},
                  {"last_seq", events.empty() ? 0 : events.back().seq}};
      if (broken) result["broken_at"] = *broken;
      respond(HttpResponse::Json(200, result));
    });
  });
}

}  // namespace latchkey::hub
