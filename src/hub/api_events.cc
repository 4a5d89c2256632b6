// History from the hub's mirror (readable while a lock is offline) and the hash-chain check.
#include <algorithm>
#include <charconv>

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

// `next_before` is "<time ms>.<seq>.<lock id>": opaque to clients, and what the walk needs to
// go on past events that share a millisecond.
std::string FormatCursor(const EventCursor& c) {
  return std::to_string(c.time_ms) + "." + std::to_string(c.seq) + "." + c.lock;
}

std::optional<EventCursor> ParseCursor(std::string_view text) {
  EventCursor c;
  const auto first = text.find('.');
  const auto second = first == std::string_view::npos ? first : text.find('.', first + 1);
  if (second == std::string_view::npos || second + 1 >= text.size() || text.size() > 256) return std::nullopt;
  const auto number = [](std::string_view digits, auto* out) {
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *out);
    return !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos &&
           ec == std::errc() && end == digits.data() + digits.size();
  };
  if (!number(text.substr(0, first), &c.time_ms) || !number(text.substr(first + 1, second - first - 1), &c.seq)) {
    return std::nullopt;
  }
  c.lock = std::string(text.substr(second + 1));
  return c;
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

  // Across locks, newest first. Beyond API.md: `before_time`, the filters `lock`, `kind`, `user`
  // (with `lock`) and `actor`, and the cursor `before` / `next_before` (docs/hub.md "History").
  router.Add(http::verb::get, "/api/v1/events", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      RecentEventQuery query;
      std::optional<uint64_t> limit, user;
      if (!QueryNumber(request, "limit", 1000, respond, &limit) || !QueryNumber(request, "user", 65534, respond, &user)) {
        return;
      }
      query.limit = limit.value_or(100);
      std::optional<int64_t> after_ms, before_ms;
      for (auto [name, target] : {std::pair{"after_time", &after_ms}, std::pair{"before_time", &before_ms}}) {
        if (!request.query.contains(name)) continue;
        *target = platform::ParseRfc3339Ms(request.query.at(name));
        if (!*target) return respond(HttpResponse::Error(400, "invalid", std::string(name) + ": must be an RFC 3339 time"));
      }
      query.before_ms = before_ms.value_or(0);
      if (const auto it = request.query.find("before"); it != request.query.end()) {
        query.before = ParseCursor(it->second);
        if (!query.before) return respond(HttpResponse::Error(400, "invalid", "before: not a next_before of this hub"));
      }
      if (const auto it = request.query.find("kind"); it != request.query.end()) {
        if (!core::Parse<core::EventKind>(it->second)) return respond(HttpResponse::Error(400, "invalid", "kind: not an event kind"));
        query.kind = it->second;
      }
      if (const auto it = request.query.find("actor"); it != request.query.end()) {
        if (it->second.empty()) return respond(HttpResponse::Error(400, "invalid", "actor: must not be empty"));
        query.actor = it->second;
      }
      const auto only = request.query.find("lock");
      // A user slot means nothing without its lock: slot 3 of the front door is not slot 3 of the garage.
      if (user && only == request.query.end()) return respond(HttpResponse::Error(400, "invalid", "user: needs lock"));
      if (user) query.user = static_cast<uint32_t>(*user);

      auto locks = hub.store().ListLocks();
      if (!locks.ok()) return respond(HttpResponse::Error(500, "internal", locks.status().message()));
      const int64_t now = hub.NowMs();
      for (const auto& r : *locks) {
        if (only != request.query.end() && r.id != only->second) continue;
        if (p.SeesLock(r.id, now) && p.MayReadHistory(r.id)) query.locks.push_back(r.id);
      }
      if (only != request.query.end() && query.locks.empty()) {
        const bool sees = std::any_of(locks->begin(), locks->end(), [&](const LockRecord& r) {
          return r.id == only->second && p.SeesLock(r.id, now);
        });
        if (!sees) return respond(HttpResponse::Error(404, "not_found", "lock: no such lock"));
        return respond(api::Forbidden("your role does not read history"));
      }
      Json list = Json::array();
      std::optional<EventCursor> last;
      if (!query.locks.empty()) {
        auto events = hub.store().RecentEvents(query);
        if (!events.ok()) return respond(HttpResponse::Error(500, "internal", events.status().message()));
        const bool full = events->size() == std::min<std::size_t>(query.limit, 1000);
        for (auto& e : *events) {
          const int64_t time = e.value("time", int64_t{0});
          const std::string lock = e.value("lock", "");
          if (full) last = EventCursor{time, e.value("seq", uint64_t{0}), lock};
          if (after_ms && time <= *after_ms) continue;
          list.push_back(ApiEventJson(std::move(e), lock));
        }
      }
      Json body{{"events", std::move(list)}};
      // A full page may have more behind it; the cursor goes on exactly after its last event.
      if (last) body["next_before"] = FormatCursor(*last);
      respond(HttpResponse::Json(200, body));
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
