// History from the hub's mirror (readable while a lock is offline) and the hash-chain check.
#include <algorithm>
#include <charconv>
#include <memory>

#include <boost/asio/post.hpp>

#include "core/event.h"
#include "crypto/sodium_crypto.h"
#include "hub/api.h"
#include "hub/rendered_events.h"
#include "hub/stream_filter.h"
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

// One run of GET .../events/verify: the lock's mirrored events in pages of kPage, each page
// checked from the hash the previous one ended with, the next page posted to the io_context.
class ChainCheck : public std::enable_shared_from_this<ChainCheck> {
 public:
  static constexpr std::size_t kPage = 1000;

  ChainCheck(const EventRoutes& ctx, std::string lock, Respond respond)
      : ctx_(ctx), lock_(std::move(lock)), respond_(std::move(respond)) {}

  void Next() {
    EventQuery query;
    query.lock = lock_;
    query.after = last_seq_;
    query.limit = kPage;
    auto page = ctx_.store.Events(query);
    if (!page.ok()) return respond_(HttpResponse::Error(500, "internal", page.status().message()));
    std::vector<Json> rows = std::move(page).value();
    std::vector<core::Event> events;
    events.reserve(rows.size());
    for (Json& j : rows) {
      j.erase("lock");
      auto e = wire::EventFromJson(j);
      if (!e.ok()) return Finish(e.status().message());
      events.push_back(*e);
    }
    if (events.empty()) return Finish("");
    // The first event starts from 32 zero bytes at seq 1; a page goes on from the seq and hash
    // the previous one ended with (a gap in between is a break). After a break the rest is
    // only counted.
    if (!broken_ && events.front().seq != last_seq_ + 1) broken_ = events.front().seq;
    if (!broken_) broken_ = core::VerifyChain(chain_, prev_, events);
    count_ += events.size();
    last_seq_ = events.back().seq;
    prev_ = events.back().hash;
    if (events.size() < kPage) return Finish("");
    boost::asio::post(ctx_.io, [self = shared_from_this()] { self->Next(); });
  }

 private:
  void Finish(const std::string& error) {
    Json result{{"ok", !broken_ && error.empty()}, {"count", count_}, {"last_seq", last_seq_}};
    if (broken_) result["broken_at"] = *broken_;
    if (!error.empty()) result["error"] = error;
    respond_(HttpResponse::Json(200, result));
  }

  EventRoutes ctx_;
  const std::string lock_;
  Respond respond_;
  const crypto::SodiumCrypto chain_{crypto::SecretKey{}};  // the hash is unkeyed: any key will do
  core::Digest prev_{};
  uint64_t last_seq_ = 0;
  std::size_t count_ = 0;
  std::optional<uint64_t> broken_;
};

}  // namespace

void RegisterEventRoutes(EventRoutes ctx, Router& router) {
  router.Add(http::verb::get, "/api/v1/locks/{lock}/events", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      auto lock = api::VisibleLock(ctx.gate, request, p, respond);
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
      // The same query at the same state of the store is the same page (rendered_events.h).
      // Duress is for owner and admin only, wherever events are shown (stream_filter.h).
      const bool sees_duress = p.MayManageLock();
      std::string key = query.lock + '\n' + std::to_string(query.after) + '\n' + std::to_string(query.limit) + '\n' +
                        query.kind.value_or("") + '\n' + (query.user ? std::to_string(*query.user) : "") + '\n' +
                        (sees_duress ? "all" : "no duress");
      const uint64_t generation = ctx.gate.directory.generation();
      if (const std::string* page = ctx.rendered.Page(key, generation)) {
        HttpResponse answer;
        answer.body = *page;
        return respond(std::move(answer));
      }
      auto rows = ctx.store.EventRows(query);
      if (!rows.ok()) return respond(HttpResponse::Error(500, "internal", rows.status().message()));
      // Each event's API text is made once (rendered_events.h); the page is their join.
      std::string joined;
      uint64_t next_after = query.after;
      for (const StoredEvent& row : *rows) {
        auto rendered = ctx.rendered.Text(row);
        if (!rendered.ok()) return respond(HttpResponse::Error(500, "internal", rendered.status().message()));
        next_after = std::max(next_after, row.seq);  // past a withheld event too
        if (rendered->duress && !sees_duress) continue;
        if (!joined.empty()) joined.push_back(',');
        joined += rendered->text;
      }
      HttpResponse page;
      page.body = ctx.rendered.KeepPage(std::move(key), generation, EventPageJson(joined, next_after));
      respond(std::move(page));
    });
  });

  // Across locks, newest first. Beyond API.md: `before_time`, the filters `lock`, `kind`, `user`
  // (with `lock`) and `actor`, and the cursor `before` / `next_before` (docs/hub.md "History").
  router.Add(http::verb::get, "/api/v1/events", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
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

      // The one lock asked for (looked up by its id), or every lock.
      std::vector<LockRecord> locks;
      if (only != request.query.end()) {
        auto lock = ctx.store.GetLock(only->second);
        if (!lock.ok()) return respond(HttpResponse::Error(500, "internal", lock.status().message()));
        if (*lock) locks.push_back(std::move(**lock));
      } else {
        auto all = ctx.store.ListLocks();
        if (!all.ok()) return respond(HttpResponse::Error(500, "internal", all.status().message()));
        locks = std::move(all).value();
      }
      const int64_t now = ctx.gate.env.NowMs();
      for (const auto& r : locks) {
        if (p.SeesLock(r.id, now) && p.MayReadHistory(r.id)) query.locks.push_back(r.id);
      }
      if (only != request.query.end() && query.locks.empty()) {
        const bool sees = !locks.empty() && p.SeesLock(only->second, now);
        if (!sees) return respond(HttpResponse::Error(404, "not_found", "lock: no such lock"));
        return respond(api::Forbidden("your role does not read history"));
      }
      Json list = Json::array();
      std::optional<EventCursor> last;
      if (!query.locks.empty()) {
        auto events = ctx.store.RecentEvents(query);
        if (!events.ok()) return respond(HttpResponse::Error(500, "internal", events.status().message()));
        const bool full = events->size() == std::min<std::size_t>(query.limit, 1000);
        for (auto& e : *events) {
          const int64_t time = e.value("time", int64_t{0});
          const std::string lock = e.value("lock", "");
          if (full) last = EventCursor{time, e.value("seq", uint64_t{0}), lock};
          if (after_ms && time <= *after_ms) continue;
          if (!p.MayManageLock() && IsDuressEvent(e)) continue;  // owner and admin only (stream_filter.h)
          list.push_back(ApiEventJson(std::move(e), lock));
        }
      }
      Json body{{"events", std::move(list)}};
      // A full page may have more behind it; the cursor goes on exactly after its last event.
      if (last) body["next_before"] = FormatCursor(*last);
      respond(HttpResponse::Json(200, body));
    });
  });

  // The chain check reads the mirror a page at a time and lets other requests run between
  // pages, so that a long log costs neither memory nor the hub's attention. Owner and admin only:
  // it is a diagnostic that walks the whole history.
  router.Add(http::verb::get, "/api/v1/locks/{lock}/events/verify", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      auto lock = api::VisibleLock(ctx.gate, request, p, respond);
      if (!lock) return;
      if (!p.MayManageLock()) return respond(api::Forbidden("the chain check is for owner and admin"));
      auto check = std::make_shared<ChainCheck>(ctx, lock->id, std::move(respond));
      check->Next();
    });
  });
}

}  // namespace latchkey::hub
