#include <algorithm>

#include "core/settings.h"
#include "hub/api.h"

namespace latchkey::hub::api {

void Authenticated(const Gate& gate, HttpRequest& request, Respond& respond,
                   const std::function<void(const Principal&)>& then) {
  auto principal = gate.directory.Authenticate(request);
  if (!principal.ok()) return respond(HttpResponse::Error(401, "unauthorized", principal.status().message()));
  if (principal->via_cookie && !CsrfOk(gate.csrf_key, request)) {
    return respond(HttpResponse::Error(403, "forbidden", "csrf: missing or wrong X-CSRF-Token"));
  }
  then(*principal);
}

std::optional<Json> JsonBody(const HttpRequest& request, Respond& respond) {
  if (request.body.empty()) return Json::object();
  if (!core::Utf8Length(request.body)) {
    respond(HttpResponse::Error(400, "invalid", "the body is not valid UTF-8"));
    return std::nullopt;
  }
  Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    respond(HttpResponse::Error(400, "invalid", "the body is not valid JSON"));
    return std::nullopt;
  }
  if (!body.is_object()) {
    respond(HttpResponse::Error(400, "invalid", "the body must be a JSON object"));
    return std::nullopt;
  }
  return body;
}

std::shared_ptr<const LockRecord> VisibleLock(const Gate& gate, const HttpRequest& request, const Principal& principal,
                                              Respond& respond) {
  const std::string& id = request.params.at("lock");
  // From the hub's read cache, which a write to the store empties (Directory::FindLock).
  auto found = gate.directory.FindLock(id, &request);
  if (!found.ok()) {
    respond(HttpResponse::Error(500, "internal", found.status().message()));
    return nullptr;
  }
  // A lock the caller may not see is answered like one that does not exist.
  if (*found == nullptr || !principal.SeesLock(id, gate.env.NowMs())) {
    respond(HttpResponse::Error(404, "not_found", "no such lock"));
    return nullptr;
  }
  return std::move(found).value();
}

HttpResponse Forbidden(std::string_view why) { return HttpResponse::Error(403, "forbidden", why); }

void ToLockReply(LockSessions& sessions, const LockRecord& lock, const Principal& principal, const std::string& op, Json args,
                 LockSessions::Done done) {
  args["actor"] = {{"name", principal.username}, {"role", std::string(RoleName(principal.role))}};
  sessions.Request(lock.id, op, std::move(args), std::move(done));
}

void ToLock(LockSessions& sessions, const LockRecord& lock, const Principal& principal, const std::string& op, Json args,
            Respond respond, unsigned ok_status) {
  ToLockReply(sessions, lock, principal, op, std::move(args), [respond = std::move(respond), ok_status](Json reply) {
    respond(FromLockReply(reply, ok_status));
  });
}

HttpResponse RateLimited(int64_t retry_after_s, std::string_view message) {
  HttpResponse r = HttpResponse::Error(429, "rate_limited", message, Json{{"retry_after_s", retry_after_s}});
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

}  // namespace latchkey::hub::api
