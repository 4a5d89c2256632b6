// Users, credentials, schedules and holidays of a lock (owner, admin). The lock decides; the
// hub checks the caller, the shape of the request, and passes the lock's answer on.
#include "hub/api.h"
#include "link/list_pages.h"
#include "link/op_requests.h"
#include "wire/json_fields.h"

namespace latchkey::hub {
namespace {

std::optional<uint64_t> PathNumber(const HttpRequest& request, const char* name, Respond& respond) {
  const std::string& text = request.params.at(name);
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string::npos) {
    respond(HttpResponse::Error(400, "invalid", std::string(name) + ": must be a number"));
    return std::nullopt;
  }
  return std::stoull(text);
}

// The credential type a path or query names, read as the lock reads it, or a 400 answer.
std::optional<core::CredentialType> CredentialTypeOf(const std::string& text, Respond& respond) {
  auto type = wire::EnumFromText<core::CredentialType>("type", text);
  if (type.ok()) return *type;
  respond(HttpResponse::Error(400, "invalid", type.status().message()));
  return std::nullopt;
}

// Authenticates, finds the lock, requires owner or admin, then runs `then`.
void Manage(const LockDataRoutes& ctx, HttpRequest& request, Respond& respond,
            const std::function<void(const Principal&, const LockRecord&)>& then) {
  api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
    auto lock = api::VisibleLock(ctx.gate, request, p, respond);
    if (!lock) return;
    if (!p.MayManageLock()) return respond(api::Forbidden());
    then(p, *lock);
  });
}

// The body as an object whose keys are all in `allowed`, or a 400 answer.
std::optional<Json> Body(const HttpRequest& request, Respond& respond, std::initializer_list<std::string_view> allowed) {
  auto body = api::JsonBody(request, respond);
  if (!body) return std::nullopt;
  wire::JsonFields f(*body, "body");
  f.OnlyKeys(allowed);
  if (!f.ok()) {
    respond(HttpResponse::Error(400, "invalid", f.status().message()));
    return std::nullopt;
  }
  return body;
}

// `args` read as op kOp's request with the table the lock reads it with, then sent: a bad body
// is answered 400 by the hub (with the lock's message), also while the lock is offline.
template <link::Op kOp>
void Forward(LockSessions& sessions, const LockRecord& lock, const Principal& principal, const Json& args,
             Respond respond, unsigned ok_status = 200) {
  auto request = link::DecodeRequest<link::RequestFor<kOp>>(args);
  if (!request.ok()) return respond(HttpResponse::Error(400, "invalid", request.status().message()));
  api::ToLock<kOp>(sessions, lock, principal, *request, std::move(respond), ok_status);
}

// A lock reply whose result is a list, filtered to the element with `key` == `value`.
Respond FindIn(Respond respond, std::string key, Json value, std::string what) {
  return [respond = std::move(respond), key, value, what](HttpResponse response) {
    if (response.status != 200) return respond(std::move(response));
    const Json list = Json::parse(response.body, nullptr, false);
    if (list.is_array()) {
      for (const Json& item : list) {
        if (item.is_object() && item.contains(key) && item[key] == value) return respond(HttpResponse::Json(200, item));
      }
    }
    respond(HttpResponse::Error(404, "not_found", "no such " + what));
  };
}

// Requests to `lock`, for the paged walks of link/list_pages.h.
link::RequestFn LockRequests(LockSessions& sessions, const LockRecord& lock) {
  return [&sessions, id = lock.id](const std::string& op, Json args, link::ReplyFn done) {
    sessions.Request(id, op, std::move(args), std::move(done));
  };
}

Json WithActor(Json args, const Principal& principal) {
  args["actor"] = {{"name", principal.username}, {"role", std::string(RoleName(principal.role))}};
  return args;
}

// ToLock for a list op: the lock answers in pages that fit a link frame; the caller gets the
// whole list in one answer, as API.md shows it.
void ToLockList(LockSessions& sessions, const LockRecord& lock, const Principal& principal, const std::string& op, Json args,
                Respond respond) {
  link::RequestWholeList(LockRequests(sessions, lock), op, WithActor(std::move(args), principal),
                         [respond = std::move(respond)](Json reply) { respond(FromLockReply(reply)); });
}
// The same with list op kOp's typed request (link/op_requests.h).
template <link::Op kOp>
void ToLockList(LockSessions& sessions, const LockRecord& lock, const Principal& principal, const link::RequestFor<kOp>& request,
                Respond respond) {
  ToLockList(sessions, lock, principal, std::string(link::ToString(kOp)), link::EncodeRequest(request), std::move(respond));
}

}  // namespace

void RegisterLockDataRoutes(LockDataRoutes ctx, Router& router) {
  using api::ToLock;
  using link::EncodeRequest;
  using link::Op;
  const std::string base = "/api/v1/locks/{lock}";

  // --- users ---
  router.Add(http::verb::get, base + "/users", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      ToLockList<Op::kListUsers>(ctx.sessions, lock, p, {}, respond);
    });
  });
  router.Add(http::verb::post, base + "/users", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      auto body = Body(request, respond, {"index", "name", "unique_id", "status", "type", "credential_rule"});
      if (!body) return;
      (*body)["action"] = "add";
      Forward<Op::kSetUser>(ctx.sessions, lock, p, *body, respond, 201);
    });
  });
  router.Add(http::verb::delete_, base + "/users", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      ToLock<Op::kClearUser>(ctx.sessions, lock, p, {.all = true}, respond);
    });
  });
  router.Add(http::verb::get, base + "/users/{index}", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      auto index = PathNumber(request, "index", respond);
      if (!index) return;
      // A user with hundreds of schedules does not fit one frame: link::RequestUser pages it.
      link::RequestUser(LockRequests(ctx.sessions, lock), WithActor(EncodeRequest(link::GetUserRequest{.index = *index}), p),
                        [respond](Json reply) { respond(FromLockReply(reply)); });
    });
  });
  router.Add(http::verb::patch, base + "/users/{index}", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      auto index = PathNumber(request, "index", respond);
      if (!index) return;
      auto body = Body(request, respond, {"name", "unique_id", "status", "type", "credential_rule"});
      if (!body) return;
      (*body)["action"] = "modify";
      (*body)["index"] = *index;
      Forward<Op::kSetUser>(ctx.sessions, lock, p, *body, respond);
    });
  });
  router.Add(http::verb::delete_, base + "/users/{index}", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      if (auto index = PathNumber(request, "index", respond)) ToLock<Op::kClearUser>(ctx.sessions, lock, p, {.index = *index}, respond);
    });
  });

  // --- credentials ---
  router.Add(http::verb::post, base + "/credentials", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      auto body = Body(request, respond, {"type", "index", "data", "user", "user_type", "user_status"});
      if (!body) return;
      (*body)["action"] = "add";
      Forward<Op::kSetCredential>(ctx.sessions, lock, p, *body, respond, 201);
    });
  });
  router.Add(http::verb::get, base + "/credentials", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      link::ListCredentialsRequest args;
      if (request.query.contains("type")) {
        args.type = CredentialTypeOf(request.query.at("type"), respond);
        if (!args.type) return;
      }
      ToLockList<Op::kListCredentials>(ctx.sessions, lock, p, args, respond);
    });
  });
  router.Add(http::verb::delete_, base + "/credentials", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      link::ClearCredentialRequest args;
      if (request.query.contains("type")) {
        args.type = CredentialTypeOf(request.query.at("type"), respond);
        if (!args.type) return;
      }
      ToLock<Op::kClearCredential>(ctx.sessions, lock, p, args, respond);
    });
  });
  const std::string one_credential = base + "/credentials/{type}/{index}";
  router.Add(http::verb::get, one_credential, [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      auto index = PathNumber(request, "index", respond);
      if (!index) return;
      if (auto type = CredentialTypeOf(request.params.at("type"), respond)) {
        ToLock<Op::kGetCredential>(ctx.sessions, lock, p, {.type = *type, .index = *index}, respond);
      }
    });
  });
  router.Add(http::verb::put, one_credential, [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      auto index = PathNumber(request, "index", respond);
      if (!index) return;
      auto body = Body(request, respond, {"data", "user"});
      if (!body) return;
      (*body)["action"] = "modify";
      (*body)["type"] = request.params.at("type");
      (*body)["index"] = *index;
      Forward<Op::kSetCredential>(ctx.sessions, lock, p, *body, respond);
    });
  });
  router.Add(http::verb::delete_, one_credential, [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      auto index = PathNumber(request, "index", respond);
      if (!index) return;
      if (auto type = CredentialTypeOf(request.params.at("type"), respond)) {
        ToLock<Op::kClearCredential>(ctx.sessions, lock, p, {.type = *type, .index = *index}, respond);
      }
    });
  });

  // --- schedules ---
  const std::string schedules = base + "/users/{index}/schedules";
  router.Add(http::verb::post, schedules, [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      auto index = PathNumber(request, "index", respond);
      if (!index) return;
      auto body = Body(request, respond, {"kind", "index", "days", "start", "end"});
      if (!body) return;
      (*body)["user"] = *index;
      Forward<Op::kSetSchedule>(ctx.sessions, lock, p, *body, respond, 201);
    });
  });
  router.Add(http::verb::get, schedules, [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      if (auto index = PathNumber(request, "index", respond)) ToLockList<Op::kListSchedules>(ctx.sessions, lock, p, {.user = *index}, respond);
    });
  });
  router.Add(http::verb::delete_, schedules, [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      auto index = PathNumber(request, "index", respond);
      if (!index) return;
      if (!request.query.contains("kind")) return respond(HttpResponse::Error(400, "invalid", "kind: is required"));
      ToLock<Op::kClearSchedule>(ctx.sessions, lock, p, {.user = *index, .kind = request.query.at("kind")}, respond);
    });
  });
  const std::string one_schedule = schedules + "/{kind}/{sindex}";
  router.Add(http::verb::get, one_schedule, [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      auto index = PathNumber(request, "index", respond);
      if (!index) return;
      auto sindex = PathNumber(request, "sindex", respond);
      if (!sindex) return;
      const std::string kind = request.params.at("kind");
      // Schedules of both kinds share index numbers: match on kind too.
      Respond filtered = [respond, kind, sindex = *sindex](HttpResponse response) {
        if (response.status != 200) return respond(std::move(response));
        const Json list = Json::parse(response.body, nullptr, false);
        if (list.is_array()) {
          for (const Json& s : list) {
            if (s.value("kind", "") == kind && s.value("index", 0u) == sindex) return respond(HttpResponse::Json(200, s));
          }
        }
        respond(HttpResponse::Error(404, "not_found", "no such schedule"));
      };
      ToLockList<Op::kListSchedules>(ctx.sessions, lock, p, {.user = *index}, filtered);
    });
  });
  router.Add(http::verb::delete_, one_schedule, [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      auto index = PathNumber(request, "index", respond);
      if (!index) return;
      auto sindex = PathNumber(request, "sindex", respond);
      if (!sindex) return;
      ToLock<Op::kClearSchedule>(ctx.sessions, lock, p, {.user = *index, .kind = request.params.at("kind"), .index = *sindex},
                                 respond);
    });
  });

  // --- holidays ---
  router.Add(http::verb::get, base + "/holidays", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      ToLockList<Op::kListHolidays>(ctx.sessions, lock, p, {}, respond);
    });
  });
  router.Add(http::verb::post, base + "/holidays", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      auto body = Body(request, respond, {"index", "start", "end", "operating_mode"});
      if (body) Forward<Op::kSetHoliday>(ctx.sessions, lock, p, *body, respond, 201);
    });
  });
  router.Add(http::verb::get, base + "/holidays/{index}", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      auto index = PathNumber(request, "index", respond);
      if (index) ToLockList<Op::kListHolidays>(ctx.sessions, lock, p, {}, FindIn(respond, "index", Json(*index), "holiday"));
    });
  });
  router.Add(http::verb::delete_, base + "/holidays/{index}", [ctx](HttpRequest& request, Respond respond) {
    Manage(ctx, request, respond, [&](const Principal& p, const LockRecord& lock) {
      if (auto index = PathNumber(request, "index", respond)) ToLock<Op::kClearHoliday>(ctx.sessions, lock, p, {.index = *index}, respond);
    });
  });
}

}  // namespace latchkey::hub
