// The REST API of API.md, one file per group of endpoints; each Register* adds its routes.
#pragma once

#include <functional>
#include <optional>

#include "hub/hub.h"
#include "link/op_requests.h"

namespace latchkey::hub {

void RegisterAuthRoutes(Hub& hub, Router& router);      // auth, me, accounts, tokens
void RegisterLockRoutes(Hub& hub, Router& router);      // locks, settings, commands, clock, sim
void RegisterLockDataRoutes(Hub& hub, Router& router);  // users, credentials, schedules, holidays
void RegisterEventRoutes(Hub& hub, Router& router);     // history, verify
void RegisterWebhookRoutes(Hub& hub, Router& router);   // webhooks and their deliveries (webhooks.h)
void RegisterMetaRoutes(Hub& hub, Router& router);      // /metrics, /api/v1/openapi.yaml, plain GET of the stream

namespace api {

// Runs `then` with the caller, or answers 401.
void Authenticated(Hub& hub, HttpRequest& request, Respond& respond, const std::function<void(const Principal&)>& then);
// The JSON object in the body ({} when empty), or a 400 answer.
std::optional<Json> JsonBody(const HttpRequest& request, Respond& respond);
// The paired lock named by the path's {lock} that `principal` may see, or a 404 answer.
std::optional<LockRecord> VisibleLock(Hub& hub, const HttpRequest& request, const Principal& principal,
                                      Respond& respond);
HttpResponse Forbidden(std::string_view why = "your role does not allow this");
// Sends `op` to the lock with the caller as actor and answers from the lock's reply.
void ToLock(Hub& hub, const LockRecord& lock, const Principal& principal, const std::string& op, Json args,
            Respond respond, unsigned ok_status = 200);
// The same for op kOp with its typed request (link/op_requests.h), encoded by the op's table:
//   api::ToLock<link::Op::kClearUser>(hub, lock, p, {.index = 3}, respond);
template <link::Op kOp>
void ToLock(Hub& hub, const LockRecord& lock, const Principal& principal, const link::RequestFor<kOp>& request,
            Respond respond, unsigned ok_status = 200) {
  ToLock(hub, lock, principal, std::string(link::ToString(kOp)), link::EncodeRequest(request), std::move(respond),
         ok_status);
}
// The same, handing over the lock's reply itself ({"ok":..., "result"|"error"}).
void ToLockReply(Hub& hub, const LockRecord& lock, const Principal& principal, const std::string& op, Json args,
                 LockSessions::Done done);
// 429 `rate_limited` with `retry_after_s` in the body and the Retry-After header.
HttpResponse RateLimited(int64_t retry_after_s, std::string_view message);

}  // namespace api
}  // namespace latchkey::hub
