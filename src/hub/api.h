// The REST API of API.md, one file per group of endpoints; each Register* adds its routes.
//
// A route handler never sees the Hub: each group gets a context naming the services its
// handlers use (a history route cannot reach the lock sessions, a token route cannot reach a
// lock), built by Hub::Start once those services exist, and the caller comes with each request
// through api::Authenticated:
//
//   void RegisterEventRoutes(EventRoutes ctx, Router& router) {
//     router.Add(http::verb::get, "/api/v1/events", [ctx](HttpRequest& request, Respond respond) {
//       api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) { ... ctx.store ... });
//     });
//   }
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "hub/hub.h"
#include "hub/rendered_events.h"
#include "hub/rendered_locks.h"
#include "link/op_requests.h"

namespace latchkey::hub {

namespace push {
class PushSender;
class VapidKey;
}  // namespace push

// auth, me, accounts, tokens
struct AuthRoutes {
  Gate gate;
  HubStore& store;
  LoginLimiter& limiter;
  Stream& stream;           // Recheck after a logout, a revoked token or a changed account
  PhoneKeys& phone_keys;    // a deleted or narrowed account's phone keys are revoked
  std::string data_dir;     // where the generated owner password waits for the first login
};
// history, verify
struct EventRoutes {
  Gate gate;
  HubStore& store;
  boost::asio::io_context& io;  // a long chain check goes on a page per turn
  RenderedEvents& rendered;     // the API text of events already served
};
// locks, settings, commands, clock, sim
struct LockRoutes {
  Gate gate;
  HubStore& store;
  LockSessions& sessions;
  RemotePinLimiter& pin_limiter;  // remote PIN guessing (remote_pin_limiter.h)
  Stream& stream;                 // the hub's own alarms (remote_pin_limit)
  boost::asio::io_context& io;    // the forward to a simulated lock's own sim control
  RenderedLocks& rendered;        // the API text of lock objects already served
};
// users, credentials, schedules, holidays: the caller, then the lock
struct LockDataRoutes {
  Gate gate;
  LockSessions& sessions;
};
// webhooks and their deliveries (webhooks.h)
struct WebhookRoutes {
  Gate gate;
  HubStore& store;
  Webhooks& webhooks;
};
// phone keys: issue, list, revoke, revoke-all, the signed revocation list (phone_keys.h)
struct PhoneKeyRoutes {
  Gate gate;
  HubStore& store;  // the accounts and paired locks a key is decided against
  PhoneKeys& phone_keys;
};
// offline guest codes: issue, list, revoke (offline_codes.h)
struct OfflineCodeRoutes {
  Gate gate;
  HubStore& store;  // the codes as stored, for the list
  OfflineCodes& offline_codes;
};
// Web Push: the VAPID key, the caller's subscriptions and notification settings (push/)
struct PushRoutes {
  Gate gate;
  HubStore& store;
  push::PushSender& sender;  // its destination policy; a deleted subscription's queue
  const push::VapidKey& vapid_key;
};
// /metrics, /api/v1/openapi.yaml, plain GET of the stream
struct MetaRoutes {
  Gate gate;
  HubStore& store;
  const LockSessions& sessions;
  const Stream& stream;
  const LoginLimiter& limiter;
  const Router& router;
  bool metrics_open_on_loopback = false;
};

// the integrations' own endpoints (the Matter bridge: matter_control.h)
struct IntegrationRoutes {
  Gate gate;
  MatterControl* const* matter;  // the hub's, set after the routes exist (null: Matter is off)
};

void RegisterAuthRoutes(AuthRoutes ctx, Router& router);
void RegisterLockRoutes(LockRoutes ctx, Router& router);
void RegisterLockDataRoutes(LockDataRoutes ctx, Router& router);
void RegisterEventRoutes(EventRoutes ctx, Router& router);
void RegisterWebhookRoutes(WebhookRoutes ctx, Router& router);
void RegisterPhoneKeyRoutes(PhoneKeyRoutes ctx, Router& router);
void RegisterOfflineCodeRoutes(OfflineCodeRoutes ctx, Router& router);
void RegisterMetaRoutes(MetaRoutes ctx, Router& router);
void RegisterIntegrationRoutes(IntegrationRoutes ctx, Router& router);
void RegisterPushRoutes(PushRoutes ctx, Router& router);

namespace api {

// Runs `then` with the caller, or answers 401 (403 for a cookie session without its CSRF token).
void Authenticated(const Gate& gate, HttpRequest& request, Respond& respond,
                   const std::function<void(const Principal&)>& then);
// The JSON object in the body ({} when empty), or a 400 answer.
std::optional<Json> JsonBody(const HttpRequest& request, Respond& respond);
// The paired lock named by the path's {lock} that `principal` may see, or null after a 404
// answer (Directory::FindLock: shared with the read cache, never changed).
std::shared_ptr<const LockRecord> VisibleLock(const Gate& gate, const HttpRequest& request, const Principal& principal,
                                              Respond& respond);
HttpResponse Forbidden(std::string_view why = "your role does not allow this");
// Sends `op` to the lock with the caller as actor and answers from the lock's reply.
void ToLock(LockSessions& sessions, const LockRecord& lock, const Principal& principal, const std::string& op,
            Json args, Respond respond, unsigned ok_status = 200);
// The same for op kOp with its typed request (link/op_requests.h), encoded by the op's table:
//   api::ToLock<link::Op::kClearUser>(ctx.sessions, lock, p, {.index = 3}, respond);
template <link::Op kOp>
void ToLock(LockSessions& sessions, const LockRecord& lock, const Principal& principal,
            const link::RequestFor<kOp>& request, Respond respond, unsigned ok_status = 200) {
  ToLock(sessions, lock, principal, std::string(link::ToString(kOp)), link::EncodeRequest(request), std::move(respond),
         ok_status);
}
// The same, handing over the lock's reply itself ({"ok":..., "result"|"error"}).
void ToLockReply(LockSessions& sessions, const LockRecord& lock, const Principal& principal, const std::string& op,
                 Json args, LockSessions::Done done);
// 429 `rate_limited` with `retry_after_s` in the body and the Retry-After header.
HttpResponse RateLimited(int64_t retry_after_s, std::string_view message);

}  // namespace api
}  // namespace latchkey::hub
