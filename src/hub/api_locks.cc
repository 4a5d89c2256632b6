// Locks: listing, pairing, settings, remote commands, the clock and the simulated world.
#include <spdlog/spdlog.h>

#include "hub/api.h"
#include "hub/sim_forward.h"
#include "hub/stream.h"
#include "platform/time_format.h"
#include "wire/json_fields.h"
#include "wire/record_forms.h"

namespace latchkey::hub {
namespace {

// A remote PIN budget was spent (docs/hub.md "Remote PIN attempts"): the owner and admins hear of
// it on the stream at once, and the hub's log keeps it.
void RaisePinLimitAlarm(const LockRoutes& ctx, const std::string& lock, const std::string& account,
                        const RemotePinLimiter::Block& block) {
  const bool by_account = block.scope == RemotePinLimiter::Scope::kAccount;
  spdlog::warn("hub: remote PIN limit reached by {} {} ({} wrong PINs, last by {} on lock {}); PIN commands refused "
               "for {} s",
               by_account ? "account" : "lock", block.key, block.wrong, account, lock, block.duration_ms / 1000);
  ctx.stream.PublishHubAlarm(lock, Json{{"alarm", "remote_pin_limit"},
                                          {"scope", by_account ? "account" : "lock"},
                                          {"account", account},
                                          {"wrong_attempts", block.wrong},
                                          {"blocked_for_s", block.duration_ms / 1000},
                                          {"blocked_until", platform::FormatRfc3339Ms(block.until_ms)},
                                          {"time", platform::FormatRfc3339Ms(ctx.gate.env.NowMs())}});
}

void Command(const LockRoutes& ctx, const std::string& op, HttpRequest& request, Respond respond) {
  api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
    auto lock = api::VisibleLock(ctx.gate, request, p, respond);
    if (!lock) return;
    if (!p.MayOperate(lock->id, ctx.gate.env.NowMs())) return respond(api::Forbidden("your access to this lock is not valid now"));
    auto body = api::JsonBody(request, respond);
    if (!body) return;
    wire::JsonFields f(*body, "command");
    if (op == "unlock") f.OnlyKeys({"pin", "timeout_s"});
    else f.OnlyKeys({"pin"});
    const auto pin = f.Str("pin", false, 64);
    const auto timeout = f.Uint("timeout_s", 1, 86400, false);
    if (!f.ok()) return respond(HttpResponse::Error(400, "invalid", f.status().message()));
    Json args = link::EncodeRequest(link::RemoteRequest{
        .pin = pin, .timeout_s = timeout ? std::optional<uint32_t>(static_cast<uint32_t>(*timeout)) : std::nullopt});
    if (!pin) return api::ToLock(ctx.sessions, *lock, p, op, std::move(args), std::move(respond));
    // A PIN sent from afar passes the hub's guessing budget first (remote_pin_limiter.h): while
    // the caller's account or this lock is blocked it never reaches the lock; otherwise the lock's
    // answer is counted (only invalid_credential counts; a grant resets nothing).
    if (const auto refusal = ctx.pin_limiter.Admit(p.username, lock->id, ctx.gate.env.NowMs())) {
      return respond(api::RateLimited(refusal->retry_after_s,
                                      refusal->scope == RemotePinLimiter::Scope::kAccount
                                          ? "too many wrong PINs from this account; try again later"
                                          : "too many wrong PINs for this lock; try again later"));
    }
    api::ToLockReply(ctx.sessions, *lock, p, op, std::move(args),
                     [ctx, lock_id = lock->id, account = p.username, respond = std::move(respond)](Json reply) {
                       const bool wrong = !reply.value("ok", false) && reply.contains("error") &&
                                          reply["error"].is_object() &&
                                          reply["error"].value("reason", "") == "invalid_credential";
                       for (const auto& block : ctx.pin_limiter.Settle(account, lock_id, wrong, ctx.gate.env.NowMs())) {
                         RaisePinLimitAlarm(ctx, lock_id, account, block);
                       }
                       respond(FromLockReply(reply));
                     });
  });
}

}  // namespace

void RegisterLockRoutes(LockRoutes ctx, Router& router) {
  router.Add(http::verb::get, "/healthz", [](HttpRequest&, Respond respond) {
    respond(HttpResponse::Json(200, Json{{"status", "ok"}}));
  });

  router.Add(http::verb::get, "/api/v1/locks", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      auto locks = ctx.store.ListLocks();
      if (!locks.ok()) return respond(HttpResponse::Error(500, "internal", locks.status().message()));
      Json list = Json::array();
      const int64_t now = ctx.gate.env.NowMs();
      for (const auto& record : *locks) {
        if (p.SeesLock(record.id, now)) list.push_back(LockJson(record, ctx.sessions.online(record.id), p));
      }
      respond(HttpResponse::Json(200, list));
    });
  });

  router.Add(http::verb::get, "/api/v1/locks/{lock}", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      auto lock = api::VisibleLock(ctx.gate, request, p, respond);
      if (!lock) return;
      // What an app polls: the text is made once per stored state (rendered_locks.h).
      HttpResponse answer;
      answer.body = ctx.rendered.Text(lock, ctx.sessions.online(lock->id), p);
      respond(std::move(answer));
    });
  });

  router.Add(http::verb::post, "/api/v1/locks", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      if (!p.MayManageLock()) return respond(api::Forbidden());
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      wire::JsonFields f(*body, "pairing");
      f.OnlyKeys({"address", "setup_code", "name"});
      const auto address = f.Str("address", true, 128);
      const auto code = f.Str("setup_code", true, 64);
      const auto name = f.Str("name", false, 64);
      if (!f.ok()) return respond(HttpResponse::Error(400, "invalid", f.status().message()));
      ctx.sessions.Pair(*address, *code, name.value_or(""), [ctx, p, respond](Json reply) {
        if (!reply.value("ok", false)) return respond(FromLockReply(reply));
        const std::string id = reply["result"]["id"];
        if (auto lock = ctx.store.GetLock(id); lock.ok() && *lock) {
          return respond(HttpResponse::Json(201, LockJson(**lock, ctx.sessions.online((*lock)->id), p)));
        }
        respond(HttpResponse::Json(201, Json{{"id", id}}));
      });
    });
  });

  router.Add(http::verb::delete_, "/api/v1/locks/{lock}", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      auto lock = api::VisibleLock(ctx.gate, request, p, respond);
      if (!lock) return;
      if (!p.MayManageLock()) return respond(api::Forbidden());
      ctx.sessions.Unpair(lock->id, [respond](Json reply) { respond(FromLockReply(reply)); });
    });
  });

  router.Add(http::verb::patch, "/api/v1/locks/{lock}/settings", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      auto lock = api::VisibleLock(ctx.gate, request, p, respond);
      if (!lock) return;
      if (!p.MayManageLock()) return respond(api::Forbidden());
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      // The API's form of a settings patch is read here and sent in the link's form.
      auto patch = wire::DecodeSettingsPatch(wire::Form::kApi, *body);
      if (!patch.ok()) return respond(HttpResponse::Error(400, "invalid", patch.status().message()));
      api::ToLock<link::Op::kSetSettings>(ctx.sessions, *lock, p, {.settings = *patch}, std::move(respond));
    });
  });

  for (const char* op : {"lock", "unlock", "unlatch"}) {
    router.Add(http::verb::post, std::string("/api/v1/locks/{lock}/") + op,
               [ctx, op = std::string(op)](HttpRequest& request, Respond respond) { Command(ctx, op, request, std::move(respond)); });
  }

  // The hub's time to the lock. The lock refuses a rollback or a far forward jump (lock.h,
  // AcceptClock); `{"force": true}` sets it anyway, and only the owner may confirm that: it is
  // the way back from a clock set into the future, recorded by the lock (SECURITY.md).
  router.Add(http::verb::post, "/api/v1/locks/{lock}/clock", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      auto lock = api::VisibleLock(ctx.gate, request, p, respond);
      if (!lock) return;
      if (!p.MayManageLock()) return respond(api::Forbidden());
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      wire::JsonFields f(*body, "clock");
      f.OnlyKeys({"force"});
      const bool force = f.Bool("force", false).value_or(false);
      if (!f.ok()) return respond(HttpResponse::Error(400, "invalid", f.status().message()));
      if (force && p.role != Role::kOwner) return respond(api::Forbidden("only the owner can force the lock's clock"));
      api::ToLock<link::Op::kSetTime>(ctx.sessions, *lock, p,
                                      {.time = ctx.gate.env.NowMs(), .force = force ? std::optional<bool>(true) : std::nullopt},
                                      std::move(respond));
    });
  });

  router.Add(http::verb::post, "/api/v1/locks/{lock}/sim/{what}", [ctx](HttpRequest& request, Respond respond) {
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      auto lock = api::VisibleLock(ctx.gate, request, p, respond);
      if (!lock) return;
      // The simulated world stands for being at the door, and drives the lock's hardware and
      // clock: whoever may operate the lock may use it, except guests (SECURITY.md: guests
      // cannot use sim inputs).
      if (!p.MayOperate(lock->id, ctx.gate.env.NowMs())) return respond(api::Forbidden());
      if (p.role == Role::kGuest) return respond(api::Forbidden("guests cannot use the simulated lock's inputs"));
      if (!LockJson(*lock, ctx.sessions.online(lock->id)).value("simulated", false)) {
        return respond(HttpResponse::Error(404, "not_found", "this lock is not simulated"));
      }
      auto body = api::JsonBody(request, respond);
      if (!body) return;
      const std::string& what = request.params.at("what");
      // With the link cut (sim/network), the lock's own loopback sim-control server still reaches
      // its world, so that the virtual door can restore the network.
      const std::string sim_url = LockJson(*lock, ctx.sessions.online(lock->id)).value("sim_control_url", "");
      if (!ctx.sessions.online(lock->id) && IsLoopbackSimControlUrl(sim_url)) {
        if (what.empty() || what.size() > 32 ||
            what.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) {
          return respond(HttpResponse::Error(400, "invalid", "what: no simulated part is called '" + what + "'"));
        }
        // The secret came from the lock over the link (its `state`), never from a client.
        const std::string secret = lock->state.is_object() ? lock->state.value("sim_control_secret", "") : "";
        return ForwardToSimControl(ctx.io, sim_url, secret, what, *body, std::move(respond));
      }
      api::ToLock<link::Op::kSim>(ctx.sessions, *lock, p, {.what = what, .input = *body}, std::move(respond));
    });
  });
}

}  // namespace latchkey::hub
