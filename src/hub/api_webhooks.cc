// Webhooks (owner, admin): register, list, delete, and see their deliveries. The delivery
// itself is src/hub/webhooks.h (the sender, which keeps the webhooks in memory: every change made
// here tells it, Changed or Forget) with delivery_scheduler.h, webhook_url.h and
// webhook_signature.h.
#include <algorithm>

#include "core/types.h"
#include "hub/api.h"
#include "hub/webhooks.h"
#include "platform/time_format.h"
#include "wire/json_fields.h"

namespace latchkey::hub {
namespace {

constexpr std::size_t kMaxWebhooks = 32;

Json WebhookJson(const Webhook& w) {
  Json j{{"id", w.id}, {"url", w.url}, {"created_at", platform::FormatRfc3339Ms(w.created_at_ms)}};
  if (w.kinds) j["kinds"] = *w.kinds;
  return j;
}

Json DeliveryJson(const Delivery& d) {
  Json j{{"id", d.id},
         {"lock", d.lock},
         {"seq", d.seq},
         {"status", d.status},
         {"attempts", d.attempts},
         {"created_at", platform::FormatRfc3339Ms(d.created_at_ms)}};
  if (d.status == "pending") j["next_attempt_at"] = platform::FormatRfc3339Ms(d.next_attempt_ms);
  if (!d.last_error.empty()) j["last_error"] = d.last_error;
  return j;
}

// Authenticates and requires an owner or admin who sees every lock (a webhook receives the
// events of all locks), then runs `then`.
void Manage(const WebhookRoutes& ctx, HttpRequest& request, Respond& respond, const std::function<void()>& then) {
  api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
    if (!p.MayManageLock()) return respond(api::Forbidden());
    if (p.locks) return respond(api::Forbidden("a webhook receives the events of every lock; your access is limited to some"));
    then();
  });
}

// The webhook named by the path's {id}, or a 404 (or 500) answer.
std::optional<Webhook> FindWebhook(const WebhookRoutes& ctx, const HttpRequest& request, Respond& respond) {
  auto webhooks = ctx.store.ListWebhooks();
  if (!webhooks.ok()) {
    respond(HttpResponse::Error(500, "internal", webhooks.status().message()));
    return std::nullopt;
  }
  const std::string& id = request.params.at("id");
  const auto it = std::find_if(webhooks->begin(), webhooks->end(), [&](const Webhook& w) { return w.id == id; });
  if (it == webhooks->end()) {
    respond(HttpResponse::Error(404, "not_found", "no such webhook"));
    return std::nullopt;
  }
  return *it;
}

}  // namespace

void RegisterWebhookRoutes(WebhookRoutes ctx, Router& router) {
  router.Add(http::verb::get, "/api/v1/webhooks", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&] {
      auto webhooks = ctx.store.ListWebhooks();
      if (!webhooks.ok()) return respond(HttpResponse::Error(500, "internal", webhooks.status().message()));
      Json list = Json::array();
      for (const Webhook& w : *webhooks) list.push_back(WebhookJson(w));
      respond(HttpResponse::Json(200, list));
    });
  });

  router.Add(http::verb::post, "/api/v1/webhooks", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&] {
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      wire::JsonFields f(*body, "webhook");
      f.OnlyKeys({"url", "kinds", "secret"});
      const auto url = f.Str("url", true, 2048);
      const auto secret = f.Str("secret", false, 256);
      const Json* kinds = f.Child("kinds", false);
      if (!f.ok()) return respond(HttpResponse::Error(400, "invalid", f.status().message()));
      auto parsed = ParseWebhookUrl(*url);
      if (!parsed.ok()) return respond(HttpResponse::Error(400, "invalid", parsed.status().message()));
      // The early, friendly half of the destination policy: a literal address that would be
      // refused is refused now. A name is not looked up here; every delivery checks what it
      // resolves to at the connect (destination_policy.h), which is the check that holds.
      if (!parsed->host_is_name) {
        boost::system::error_code ec;
        const auto address = boost::asio::ip::make_address(parsed->host, ec);  // an address: ParseWebhookUrl
        const std::string name = parsed->tls_name == parsed->host ? "" : parsed->tls_name;  // "localhost"
        const DestinationVerdict verdict = ctx.webhooks.policy().Check(address, parsed->port, "", OwnAddresses());
        if (ec || !verdict.allowed) {
          return respond(HttpResponse::Error(
              400, "invalid",
              "url: " + verdict.why + (name.empty() ? "" : " (" + name + ")") +
                  "; the hub sends webhooks to loopback, private, link-local, multicast or its own addresses only "
                  "when its configuration allows the destination (webhook_allow)"));
        }
      }
      Webhook w;
      w.id = RandomId(ctx.gate.env);
      w.url = *url;
      w.created_at_ms = ctx.gate.env.NowMs();
      if (kinds) {
        if (!kinds->is_array() || kinds->empty()) {
          return respond(HttpResponse::Error(400, "invalid", "kinds: must be a non-empty list of event kinds"));
        }
        std::vector<std::string> list;
        for (const Json& kind : *kinds) {
          if (!kind.is_string() || !core::Parse<core::EventKind>(kind.get<std::string>())) {
            return respond(HttpResponse::Error(
                400, "invalid", "kinds: each must be one of lock_operation, lock_operation_error, alarm, door_state, change, power"));
          }
          if (std::find(list.begin(), list.end(), kind.get<std::string>()) == list.end()) list.push_back(kind.get<std::string>());
        }
        w.kinds = list;
      }
      if (secret && secret->empty()) return respond(HttpResponse::Error(400, "invalid", "secret: must not be empty"));
      w.secret = secret ? *secret : RandomId(ctx.gate.env, 32);  // 256 bits as 64 hex digits
      auto existing = ctx.store.ListWebhooks();
      if (!existing.ok()) return respond(HttpResponse::Error(500, "internal", existing.status().message()));
      if (existing->size() >= kMaxWebhooks) {
        return respond(HttpResponse::Error(409, "resource_exhausted", "at most 32 webhooks"));
      }
      if (core::Status s = ctx.store.PutWebhook(w); !s.ok()) return respond(HttpResponse::Error(500, "internal", s.message()));
      ctx.webhooks.Changed();  // the sender keeps the list in memory
      Json j = WebhookJson(w);
      j["secret"] = w.secret;  // shown this once
      respond(HttpResponse::Json(201, j));
    });
  });

  router.Add(http::verb::delete_, "/api/v1/webhooks/{id}", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&] {
      auto w = FindWebhook(ctx, request, respond);
      if (!w) return;
      if (core::Status s = ctx.store.DeleteWebhook(w->id); !s.ok()) {
        return respond(HttpResponse::Error(500, "internal", s.message()));
      }
      ctx.webhooks.Forget(w->id);
      respond(HttpResponse::Json(200, Json::object()));
    });
  });

  router.Add(http::verb::get, "/api/v1/webhooks/{id}/deliveries", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&] {
      auto w = FindWebhook(ctx, request, respond);
      if (!w) return;
      std::size_t limit = 100;
      if (request.query.contains("limit")) {
        const std::string& text = request.query.at("limit");
        if (text.empty() || text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos ||
            std::stoul(text) < 1 || std::stoul(text) > 1000) {
          return respond(HttpResponse::Error(400, "invalid", "limit: must be a number 1..1000"));
        }
        limit = std::stoul(text);
      }
      auto deliveries = ctx.store.ListDeliveries(w->id, limit);
      if (!deliveries.ok()) return respond(HttpResponse::Error(500, "internal", deliveries.status().message()));
      Json list = Json::array();
      for (const Delivery& d : *deliveries) list.push_back(DeliveryJson(d));
      respond(HttpResponse::Json(200, list));
    });
  });
}

}  // namespace latchkey::hub
