// Locks: listing, pairing, settings, remote commands, the clock and the simulated world.
#include "hub/api.h"
#include "hub/sim_forward.h"
#include "wire/json_fields.h"

namespace latchkey::hub {
namespace {

void Command(Hub& hub, const std::string& op, HttpRequest& request, Respond respond) {
  api::Authenticated(hub, request, respond, [&](const Principal& p) {
    auto lock = api::VisibleLock(hub, request, p, respond);
    if (!lock) return;
    if (!p.MayOperate(lock->id, hub.NowMs())) return respond(api::Forbidden("your access to this lock is not valid now"));
    auto body = api::JsonBody(request, respond);
    if (!body) return;
    wire::JsonFields f(*body, "command");
    if (op == "unlock") f.OnlyKeys({"pin", "timeout_s"});
    else f.OnlyKeys({"pin"});
    const auto pin = f.Str("pin", false, 64);
    const auto timeout = f.Uint("timeout_s", 1, 86400, false);
    if (!f.ok()) return respond(HttpResponse::Error(400, "invalid", f.status().message()));
    Json args = Json::object();
    if (pin) args["pin"] = *pin;
    if (timeout) args["timeout_s"] = *timeout;
    api::ToLock(hub, *lock, p, op, std::move(args), std::move(respond));
  });
}

}  // namespace

void RegisterLockRoutes(Hub& hub, Router& router) {
  router.Add(http::verb::get, "/healthz", [](HttpRequest&, Respond respond) {
    respond(HttpResponse::Json(200, Json{{"status", "ok"}}));
  });

  router.Add(http::verb::get, "/api/v1/locks", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      auto locks = hub.store().ListLocks();
      if (!locks.ok()) return respond(HttpResponse::Error(500, "internal", locks.status().message()));
      Json list = Json::array();
      const int64_t now = hub.NowMs();
      for (const auto& record : *locks) {
        if (p.SeesLock(record.id, now)) list.push_back(hub.LockJson(record));
      }
      respond(HttpResponse::Json(200, list));
    });
  });

  router.Add(http::verb::get, "/api/v1/locks/{lock}", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      if (auto lock = api::VisibleLock(hub, request, p, respond)) respond(HttpResponse::Json(200, hub.LockJson(*lock)));
    });
  });

  router.Add(http::verb::post, "/api/v1/locks", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      if (!p.MayManageLock()) return respond(api::Forbidden());
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      wire::JsonFields f(*body, "pairing");
      f.OnlyKeys({"address", "setup_code", "name"});
      const auto address = f.Str("address", true, 128);
      const auto code = f.Str("setup_code", true, 64);
      const auto name = f.Str("name", false, 64);
      if (!f.ok()) return respond(HttpResponse::Error(400, "invalid", f.status().message()));
      hub.sessions().Pair(*address, *code, name.value_or(""), [&hub, respond](Json reply) {
        if (!reply.value("ok", false)) return respond(FromLockReply(reply));
        const std::string id = reply["result"]["id"];
        auto locks = hub.store().ListLocks();
        if (locks.ok()) {
          for (const auto& record : *locks) {
            if (record.id == id) return respond(HttpResponse::Json(201, hub.LockJson(record)));
          }
        }
        respond(HttpResponse::Json(201, Json{{"id", id}}));
      });
    });
  });

  router.Add(http::verb::delete_, "/api/v1/locks/{lock}", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      auto lock = api::VisibleLock(hub, request, p, respond);
      if (!lock) return;
      if (!p.MayManageLock()) return respond(api::Forbidden());
      hub.sessions().Unpair(lock->id, [respond](Json reply) { respond(FromLockReply(reply)); });
    });
  });

  router.Add(http::verb::patch, "/api/v1/locks/{lock}/settings", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      auto lock = api::VisibleLock(hub, request, p, respond);
      if (!lock) return;
      if (!p.MayManageLock()) return respond(api::Forbidden());
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      api::ToLock(hub, *lock, p, "set_settings", Json{{"settings", *body}}, std::move(respond));
    });
  });

  for (const char* op : {"lock", "unlock", "unlatch"}) {
    router.Add(http::verb::post, std::string("/api/v1/locks/{lock}/") + op,
               [&hub, op = std::string(op)](HttpRequest& request, Respond respond) { Command(hub, op, request, std::move(respond)); });
  }

  router.Add(http::verb::post, "/api/v1/locks/{lock}/clock", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      auto lock = api::VisibleLock(hub, request, p, respond);
      if (!lock) return;
      if (!p.MayManageLock()) return respond(api::Forbidden());
      api::ToLock(hub, *lock, p, "set_time", Json{{"time", hub.NowMs()}}, std::move(respond));
    });
  });

  router.Add(http::verb::post, "/api/v1/locks/{lock}/sim/{what}", [&hub](HttpRequest& request, Respond respond) {
    api::Authenticated(hub, request, respond, [&](const Principal& p) {
      auto lock = api::VisibleLock(hub, request, p, respond);
      if (!lock) return;
      // The simulated world stands for being at the door: whoever may operate the lock may use it.
      if (!p.MayOperate(lock->id, hub.NowMs())) return respond(api::Forbidden());
      if (!hub.LockJson(*lock).value("simulated", false)) {
        return respond(HttpResponse::Error(404, "not_found", "this lock is not simulated"));
      }
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      const std::string& what = request.params.at("what");
      // With the link cut (sim/network), the lock's own loopback sim-control server still reaches
      // its world, so that the virtual door can restore the network.
      const std::string sim_url = hub.LockJson(*lock).value("sim_control_url", "");
      if (!hub.sessions().online(lock->id) && IsLoopbackSimControlUrl(sim_url)) {
        if (what.empty() || what.size() > 32 ||
            what.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) {
          return respond(HttpResponse::Error(400, "invalid", "what: no simulated part is called '" + what + "'"));
        }
        return ForwardToSimControl(hub.io(), sim_url, what, *body, std::move(respond));
      }
      Json args = *body;
      args["what"] = what;
      api::ToLock(hub, *lock, p, "sim", std::move(args), std::move(respond));
    });
  });
}

}  // namespace latchkey::hub
