// Web Push (NOTIFICATIONS.md; docs/notifications.md): the VAPID public key, an account's
// subscriptions (made by the app's service worker through PushManager.subscribe), and its
// notification settings. Sending is push/push_sender.h; who is told what, push/notification_rules.h.
//
// Every account manages its own subscriptions and settings, whatever its role: a guest may be
// told about its own doings. Making a subscription or changing the settings takes a login
// session (the app, the command line), not an API token: a subscription receives what the
// *account* may see, and a token may be narrower than its account (SECURITY.md "No privilege
// grows by delegation").
#include <algorithm>

#include "hub/api.h"
#include "crypto/base64.h"
#include "hub/push/notification_settings.h"
#include "hub/push/p256.h"
#include "hub/push/push_sender.h"
#include "hub/push/vapid_key.h"
#include "hub/webhook_url.h"
#include "platform/time_format.h"
#include "wire/json_fields.h"

namespace latchkey::hub {
namespace {

constexpr std::size_t kMaxSubscriptions = 10;
constexpr std::size_t kMaxNameBytes = 64;

HttpResponse Internal(const core::Status& s) { return HttpResponse::Error(500, "internal", s.message()); }
HttpResponse Invalid(std::string_view message) { return HttpResponse::Error(400, "invalid", message); }

Json SubscriptionJson(const PushSubscription& s) {
  Json j{{"id", s.id}, {"endpoint", s.endpoint}, {"name", s.name}, {"created_at", platform::FormatRfc3339Ms(s.created_at_ms)}};
  if (!s.last_error.empty()) j["last_error"] = s.last_error;
  return j;
}

// Writes need the account itself (a login session), not a token that may be narrower.
bool MayChange(const Principal& p, Respond& respond) {
  if (p.token_kind == "session") return true;
  respond(api::Forbidden(
      "push subscriptions and notification settings are changed from a signed-in app (a login session), not with "
      "an API token: a subscription is told what the account may see, which may be more than the token"));
  return false;
}

// The endpoint of a new subscription: https://, and (when its host is an address) one the
// destination policy allows; a 400 or 403 answer otherwise. A name is checked at each connect.
std::optional<WebhookUrl> CheckEndpoint(const PushRoutes& ctx, const std::string& endpoint, Respond& respond) {
  auto url = ParseWebhookUrl(endpoint);
  if (!url.ok()) {
    respond(Invalid("endpoint" + url.status().message().substr(3)));  // "url: ..." as "endpoint: ..."
    return std::nullopt;
  }
  if (!url->tls) {
    respond(Invalid("endpoint: must be an https:// URL (a browser's push service)"));
    return std::nullopt;
  }
  if (!url->host_is_name) {
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(url->host, ec);
    const DestinationVerdict verdict =
        ec ? DestinationVerdict{false, "'" + url->host + "' is not an address"}
           : ctx.sender.policy().Check(address, url->port, "", OwnAddresses());
    if (!verdict.allowed) {
      respond(api::Forbidden("endpoint: " + verdict.why +
                             "; the hub's destination policy sends push messages only to public addresses, unless its "
                             "configuration allows the destination (push_allow)"));
      return std::nullopt;
    }
  }
  return std::move(url).value();
}

// keys.p256dh and keys.auth, checked: a point on P-256, and 16 bytes; a 400 answer otherwise.
std::optional<std::pair<push::P256Point, std::array<uint8_t, 16>>> CheckKeys(const Json* keys, Respond& respond) {
  if (keys == nullptr || !keys->is_object()) {
    respond(Invalid("keys: must be {\"p256dh\", \"auth\"} as PushSubscription.toJSON() gives them"));
    return std::nullopt;
  }
  wire::JsonFields f(*keys, "keys");
  f.OnlyKeys({"p256dh", "auth"});
  const auto p256dh = f.Str("p256dh", true, 128);
  const auto auth = f.Str("auth", true, 64);
  if (!f.ok()) {
    respond(Invalid("keys." + f.status().message()));
    return std::nullopt;
  }
  const auto point = crypto::Base64UrlDecode(*p256dh, 65);
  if (!point || point->size() != 65 || !push::P256FromPublic(*point).ok()) {
    respond(Invalid("keys.p256dh: must be the base64url of a P-256 public key (65 bytes, uncompressed)"));
    return std::nullopt;
  }
  const auto secret = crypto::Base64UrlDecode(*auth, 16);
  if (!secret || secret->size() != 16) {
    respond(Invalid("keys.auth: must be the base64url of 16 bytes"));
    return std::nullopt;
  }
  std::pair<push::P256Point, std::array<uint8_t, 16>> out;
  std::copy(point->begin(), point->end(), out.first.begin());
  std::copy(secret->begin(), secret->end(), out.second.begin());
  return out;
}

// The caller's settings as stored (the defaults when never set), or a 500 answer.
std::optional<push::NotificationSettings> SettingsOf(const PushRoutes& ctx, const Principal& p, Respond& respond) {
  auto stored = ctx.store.GetNotificationSettings(p.username);
  if (!stored.ok()) {
    respond(Internal(stored.status()));
    return std::nullopt;
  }
  auto settings = push::StoredNotificationSettings(*stored);
  return settings.ok() ? *settings : push::NotificationSettings{};
}

}  // namespace

void RegisterPushRoutes(PushRoutes ctx, Router& router) {
  router.Add(http::verb::get, "/api/v1/push/vapid-public-key", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal&) {
      respond(HttpResponse::Json(200, Json{{"public_key", ctx.vapid_key.public_key_base64url()}}));
    });
  });

  router.Add(http::verb::get, "/api/v1/push/subscriptions", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      auto listed = ctx.store.ListPushSubscriptions(p.username);
      if (!listed.ok()) return respond(Internal(listed.status()));
      Json list = Json::array();
      for (const PushSubscription& s : *listed) list.push_back(SubscriptionJson(s));
      respond(HttpResponse::Json(200, list));
    });
  });

  router.Add(http::verb::post, "/api/v1/push/subscriptions", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      if (!MayChange(p, respond)) return;
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      wire::JsonFields f(*body, "subscription");
      // expirationTime: what PushSubscription.toJSON() adds (null, or when the browser will
      // renew it); the hub learns of a lapsed subscription from the push service's 404/410.
      f.OnlyKeys({"endpoint", "keys", "name", "expirationTime"});
      const auto endpoint = f.Str("endpoint", true, 2048);
      const auto name = f.Str("name", false, kMaxNameBytes * 4);
      const Json* keys = f.Child("keys", true);
      if (f.ok() && body->contains("expirationTime") && !(*body)["expirationTime"].is_null() &&
          !(*body)["expirationTime"].is_number()) {
        f.Fail("expirationTime", "must be null or a number");
      }
      if (!f.ok()) return respond(Invalid(f.status().message()));
      if (name && core::Utf8Length(*name).value_or(kMaxNameBytes + 1) > kMaxNameBytes) {
        return respond(Invalid("name: at most 64 characters"));
      }
      const auto url = CheckEndpoint(ctx, *endpoint, respond);
      if (!url) return;
      const auto checked_keys = CheckKeys(keys, respond);
      if (!checked_keys) return;
      auto existing = ctx.store.ListPushSubscriptions(p.username);
      if (!existing.ok()) return respond(Internal(existing.status()));
      const auto same = std::find_if(existing->begin(), existing->end(),
                                     [&](const PushSubscription& s) { return s.endpoint == *endpoint; });
      if (same == existing->end() && existing->size() >= kMaxSubscriptions) {
        return respond(HttpResponse::Error(409, "resource_exhausted",
                                           "at most 10 push subscriptions per account: delete one first"));
      }
      PushSubscription s;
      s.id = same == existing->end() ? RandomId(ctx.gate.env) : same->id;
      s.account = p.username;
      s.endpoint = *endpoint;
      s.p256dh = checked_keys->first;
      s.auth = checked_keys->second;
      s.name = name.value_or("");
      s.created_at_ms = ctx.gate.env.NowMs();
      auto stored = ctx.store.PutPushSubscription(s);
      if (!stored.ok()) return respond(Internal(stored.status()));
      respond(HttpResponse::Json(same == existing->end() ? 201 : 200, SubscriptionJson(*stored)));
    });
  });

  router.Add(http::verb::delete_, "/api/v1/push/subscriptions/{id}", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      auto found = ctx.store.GetPushSubscription(request.params.at("id"));
      if (!found.ok()) return respond(Internal(found.status()));
      // Another account's subscription is answered like one that does not exist.
      if (!found->has_value() || (*found)->account != p.username) {
        return respond(HttpResponse::Error(404, "not_found", "no such push subscription"));
      }
      if (core::Status s = ctx.store.DeletePushSubscription((*found)->id); !s.ok()) return respond(Internal(s));
      ctx.sender.Forget((*found)->id);
      respond(HttpResponse{204, "application/json", "", {}});
    });
  });

  router.Add(http::verb::get, "/api/v1/me/notifications", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      if (auto settings = SettingsOf(ctx, p, respond)) respond(HttpResponse::Json(200, push::NotificationSettingsJson(*settings)));
    });
  });

  router.Add(http::verb::patch, "/api/v1/me/notifications", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      if (!MayChange(p, respond)) return;
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      auto current = SettingsOf(ctx, p, respond);
      if (!current) return;
      auto patched = push::PatchNotificationSettings(*current, *body);
      if (!patched.ok()) return respond(Invalid(patched.status().message()));
      // People are named on the locks the account sees now; another lock is answered as absent.
      const int64_t now = ctx.gate.env.NowMs();
      for (std::size_t i = 0; i < patched->people.size(); ++i) {
        const std::string& lock = patched->people[i].lock;
        auto found = ctx.gate.directory.FindLock(lock, &request);
        if (!found.ok()) return respond(Internal(found.status()));
        if (*found == nullptr || !p.SeesLock(lock, now)) {
          return respond(Invalid("people[" + std::to_string(i) + "].lock: no such lock"));
        }
      }
      if (core::Status s = ctx.store.PutNotificationSettings(p.username, push::NotificationSettingsJson(*patched)); !s.ok()) {
        return respond(Internal(s));
      }
      respond(HttpResponse::Json(200, push::NotificationSettingsJson(*patched)));
    });
  });
}

}  // namespace latchkey::hub
