#include "device/lock_ops.h"

#include "device/sim_world.h"
#include "link/list_pages.h"
#include "wire/json_codec.h"
#include "wire/json_fields.h"

namespace latchkey::device {

using core::Status;
using link::Json;
using wire::JsonFields;

namespace {

// The actor of a remote request: {"actor": {"name": "...", "role": "owner|admin|member|guest"}}.
core::Actor ActorFrom(const Json& args, std::string& name_storage) {
  core::Actor actor{core::Source::kRemote, "hub", false};
  const auto it = args.find("actor");
  if (it != args.end() && it->is_object()) {
    if (it->contains("name") && (*it)["name"].is_string()) {
      name_storage = (*it)["name"].get<std::string>().substr(0, 64);
      actor.name = name_storage;
    }
    if (it->contains("role") && (*it)["role"].is_string()) {
      const auto role = (*it)["role"].get<std::string>();
      actor.privileged = role == "owner" || role == "admin";
    }
  }
  return actor;
}

Json CredentialJson(const core::StoredCredential& c) {
  return Json{{"type", std::string(core::ToString(c.ref.type))}, {"index", c.ref.index}, {"user", c.user},
              {"created_by", c.created_by}, {"created_at", c.created_at_ms}};
}

Json CredentialResultJson(const core::CredentialResult& r) {
  return Json{{"type", std::string(core::ToString(r.credential.type))},
              {"index", r.credential.index},
              {"user", r.user},
              {"next_free_index", r.next_free_index ? Json(*r.next_free_index) : Json(nullptr)}};
}

core::Result<core::UserRequest> UserRequestFrom(const Json& args, bool modify) {
  JsonFields f(args, "user");
  core::UserRequest r;
  if (auto index = f.Uint("index", 0, 65535, modify)) r.index = static_cast<core::UserIndex>(*index);
  r.name = f.Str("name", false, 1024);
  if (auto id = f.Uint("unique_id", 0, UINT32_MAX, false)) r.unique_id = static_cast<uint32_t>(*id);
  r.status = f.Enum<core::UserStatus>("status", false);
  r.type = f.Enum<core::UserType>("type", false);
  r.credential_rule = f.Enum<core::CredentialRule>("credential_rule", false);
  LATCHKEY_TRY(f);
  return r;
}

// A list op's answer: the whole list, or with `from` or `limit` one page that fits a frame.
Json ListAnswer(const Json& args, const link::ListSource& source) {
  auto page = link::PageArgsFrom(args);
  if (!page.ok()) return LockOps::FromStatus(page.status());
  auto result = link::ListResult(source, *page);
  if (!result) return LockOps::Error("too_large", "one entry does not fit a link frame");
  return LockOps::Ok(std::move(*result));
}

// Page keys (docs/link.md "Paged lists"): each list's own order as one ascending number.
uint64_t CredentialKey(const core::CredentialRef& ref) {
  return static_cast<uint64_t>(ref.type) << 32 | ref.index;
}
constexpr uint64_t kYearDayKeys = 1u << 8;  // week-day schedules first, then year-day ones

}  // namespace

LockOps::LockOps(LockRuntime& runtime, SimWorld* sim, Hooks hooks)
    : runtime_(runtime), sim_(sim), hooks_(std::move(hooks)) {}

Json LockOps::Ok(Json result) { return Json{{"ok", true}, {"result", std::move(result)}}; }

Json LockOps::Error(std::string_view code, std::string_view message, std::string_view reason) {
  Json error{{"code", std::string(code)}, {"message", std::string(message)}};
  if (!reason.empty()) error["reason"] = std::string(reason);
  return Json{{"ok", false}, {"error", std::move(error)}};
}

Json LockOps::FromStatus(const Status& status) {
  if (status.code() == core::Code::kIoError) return Error("internal", status.message());
  return Error(core::CodeName(status.code()), status.message());
}

Json LockOps::StateJson() const {
  core::Lock& lock = runtime_.lock();
  Json j = wire::StatusToJson(lock.status());
  j["name"] = lock.settings().name;
  j["settings"] = wire::SettingsToJson(lock.settings());
  j["capabilities"] = wire::CapabilitiesToJson(lock.capabilities());
  j["simulated"] = sim_ != nullptr;
  if (!sim_control_url_.empty()) j["sim_control_url"] = sim_control_url_;
  j["acked_seq"] = lock.acked_seq();
  return j;
}

void LockOps::Handle(std::string_view op, const Json& args_in, Reply reply) {
  static const Json kEmpty = Json::object();
  const Json& args = args_in.is_null() ? kEmpty : args_in;
  if (!args.is_object()) return reply(Error("invalid", "args must be a map"));
  if (op == "lock") return Remote(core::Operation::kLock, args, std::move(reply));
  if (op == "unlock") return Remote(core::Operation::kUnlock, args, std::move(reply));
  if (op == "unlatch") return Remote(core::Operation::kUnlatch, args, std::move(reply));
  if (op == "sim") {
    if (sim_ == nullptr) return reply(Error("invalid", "this lock is not simulated"));
    return sim_->Handle(args, std::move(reply));
  }
  Json response = Dispatch(op, args);
  runtime_.Reschedule();
  reply(std::move(response));
}

void LockOps::Remote(core::Operation op, const Json& args, Reply reply) {
  JsonFields f(args, "args");
  core::RemoteCommand command;
  command.operation = op;
  command.pin = f.Str("pin", false, 64);
  if (auto t = f.Uint("timeout_s", 1, 86400, false)) command.timeout_s = static_cast<uint32_t>(*t);
  if (!f.ok()) return reply(FromStatus(f.status()));
  std::string actor_name;
  command.actor = ActorFrom(args, actor_name);
  auto decision = runtime_.lock().Remote(command);
  runtime_.Reschedule();
  if (!decision.ok()) return reply(FromStatus(decision.status()));
  if (decision->result == core::DecisionResult::kDenied) {
    return reply(Error("denied", "the lock refused the operation", core::ToString(*decision->reason)));
  }
  if (decision->result == core::DecisionResult::kPending) {
    return reply(Ok(Json{{"result", "pending"}, {"lock_state", std::string(core::ToString(decision->lock_state))}}));
  }
  runtime_.WhenBoltStops([reply = std::move(reply)](const core::LockStatus& status) {
    if (status.lock_state == core::LockState::kJammed) {
      return reply(Error("jammed", "the bolt jammed during this operation"));
    }
    reply(Ok(Json{{"result", "ok"}, {"lock_state", std::string(core::ToString(status.lock_state))}}));
  });
}

Json LockOps::Dispatch(std::string_view op, const Json& args) {
  core::Lock& lock = runtime_.lock();
  std::string actor_name;
  const core::Actor actor = ActorFrom(args, actor_name);
  JsonFields f(args, "args");

  if (op == "get_state") return Ok(StateJson());
  if (op == "get_settings") return Ok(wire::SettingsToJson(lock.settings()));
  if (op == "set_settings") {
    const Json* settings = f.Child("settings", true);
    if (!f.ok()) return FromStatus(f.status());
    auto patch = wire::SettingsPatchFromJson(*settings);
    if (!patch.ok()) return FromStatus(patch.status());
    auto result = lock.UpdateSettings(*patch, actor);
    return result.ok() ? Ok(wire::SettingsToJson(*result)) : FromStatus(result.status());
  }
  if (op == "list_users") {
    const auto users = lock.ListUsers();
    link::ListSource source;
    source.size = users.size();
    source.key = [&](std::size_t i) -> uint64_t { return users[i].index; };
    source.entry = [&](std::size_t i) { return wire::UserToJson(users[i]); };
    source.shrunk = [&](std::size_t i) {
      Json user = wire::UserToJson(users[i]);
      user.erase("week_day_schedules");
      user.erase("year_day_schedules");
      user[link::kSchedulesApart] = true;
      return user;
    };
    return ListAnswer(args, source);
  }
  if (op == "get_user") {
    const auto index = f.Uint("index", 0, 65535, true);
    if (!f.ok()) return FromStatus(f.status());
    auto user = lock.GetUser(static_cast<core::UserIndex>(*index));
    return user.ok() ? Ok(wire::UserToJson(*user)) : FromStatus(user.status());
  }
  if (op == "set_user") {
    const auto action = f.Str("action", false, 16).value_or(args.contains("index") ? "modify" : "add");
    if (!f.ok()) return FromStatus(f.status());
    if (action != "add" && action != "modify") return Error("invalid", "action: must be add or modify");
    Json fields = args;
    fields.erase("action");
    fields.erase("actor");
    auto request = UserRequestFrom(fields, action == "modify");
    if (!request.ok()) return FromStatus(request.status());
    auto user = action == "add" ? lock.AddUser(*request, actor) : lock.ModifyUser(*request, actor);
    return user.ok() ? Ok(wire::UserToJson(*user)) : FromStatus(user.status());
  }
  if (op == "clear_user") {
    if (f.Bool("all", false).value_or(false)) {
      const Status s = lock.ClearAllUsers(actor);
      return s.ok() ? Ok(Json::object()) : FromStatus(s);
    }
    const auto index = f.Uint("index", 0, 65535, true);
    if (!f.ok()) return FromStatus(f.status());
    const Status s = lock.ClearUser(static_cast<core::UserIndex>(*index), actor);
    return s.ok() ? Ok(Json::object()) : FromStatus(s);
  }
  if (op == "list_credentials") {
    const auto type = f.Enum<core::CredentialType>("type", false);
    if (!f.ok()) return FromStatus(f.status());
    const auto credentials = lock.ListCredentials(type);  // by type, then index
    link::ListSource source;
    source.size = credentials.size();
    source.key = [&](std::size_t i) { return CredentialKey(credentials[i].ref); };
    source.entry = [&](std::size_t i) { return CredentialJson(credentials[i]); };
    return ListAnswer(args, source);
  }
  if (op == "get_credential") {
    const auto type = f.Enum<core::CredentialType>("type", true);
    const auto index = f.Uint("index", 0, UINT32_MAX, true);
    if (!f.ok()) return FromStatus(f.status());
    auto c = lock.GetCredential({*type, static_cast<core::CredentialIndex>(*index)});
    return c.ok() ? Ok(CredentialJson(*c)) : FromStatus(c.status());
  }
  if (op == "set_credential") {
    const auto action = f.Str("action", false, 16).value_or("add");
    const auto type = f.Enum<core::CredentialType>("type", true);
    const auto index = f.Uint("index", 0, UINT32_MAX, action == "modify");
    const auto data = f.Str("data", true, 256);
    const auto user = f.Uint("user", 0, 65535, false);
    if (!f.ok()) return FromStatus(f.status());
    if (action == "modify") {
      auto r = lock.ModifyCredential({*type, static_cast<core::CredentialIndex>(*index)}, *data,
                                     user ? std::optional<core::UserIndex>(static_cast<core::UserIndex>(*user))
                                          : std::nullopt,
                                     actor);
      return r.ok() ? Ok(CredentialResultJson(*r)) : FromStatus(r.status());
    }
    if (action != "add") return Error("invalid", "action: must be add or modify");
    core::CredentialRequest request;
    request.type = *type;
    if (index) request.index = static_cast<core::CredentialIndex>(*index);
    request.data = *data;
    if (user) request.user = static_cast<core::UserIndex>(*user);
    request.user_type = f.Enum<core::UserType>("user_type", false);
    request.user_status = f.Enum<core::UserStatus>("user_status", false);
    if (!f.ok()) return FromStatus(f.status());
    auto r = lock.AddCredential(request, actor);
    return r.ok() ? Ok(CredentialResultJson(*r)) : FromStatus(r.status());
  }
  if (op == "clear_credential") {
    const auto type = f.Enum<core::CredentialType>("type", false);
    const auto index = f.Uint("index", 0, UINT32_MAX, false);
    if (!f.ok()) return FromStatus(f.status());
    Status s = Status::Ok();
    if (index) {
      if (!type) return Error("invalid", "type: is required with index");
      s = lock.ClearCredential({*type, static_cast<core::CredentialIndex>(*index)}, actor);
    } else {
      s = lock.ClearCredentials(type, actor);
    }
    return s.ok() ? Ok(Json::object()) : FromStatus(s);
  }
  if (op == "list_schedules") {
    const auto user = f.Uint("user", 0, 65535, true);
    if (!f.ok()) return FromStatus(f.status());
    auto u = lock.GetUser(static_cast<core::UserIndex>(*user));
    if (!u.ok()) return FromStatus(u.status());
    const auto& week = u->week_day_schedules;
    const auto& year = u->year_day_schedules;
    link::ListSource source;
    source.size = week.size() + year.size();
    source.key = [&](std::size_t i) -> uint64_t {
      return i < week.size() ? week[i].index : kYearDayKeys + year[i - week.size()].index;
    };
    source.entry = [&](std::size_t i) {
      return i < week.size() ? wire::WeekDayToJson(week[i]) : wire::YearDayToJson(year[i - week.size()]);
    };
    return ListAnswer(args, source);
  }
  if (op == "set_schedule") {
    const auto user = f.Uint("user", 0, 65535, true);
    const auto kind = f.Str("kind", true, 16);
    if (!f.ok()) return FromStatus(f.status());
    const auto u = static_cast<core::UserIndex>(*user);
    if (*kind == "week_day") {
      auto s = wire::WeekDayFromJson(args);
      if (!s.ok()) return FromStatus(s.status());
      auto r = lock.SetWeekDaySchedule(u, *s, actor);
      return r.ok() ? Ok(wire::WeekDayToJson(*r)) : FromStatus(r.status());
    }
    if (*kind == "year_day") {
      auto s = wire::YearDayFromJson(args);
      if (!s.ok()) return FromStatus(s.status());
      auto r = lock.SetYearDaySchedule(u, *s, actor);
      return r.ok() ? Ok(wire::YearDayToJson(*r)) : FromStatus(r.status());
    }
    return Error("invalid", "kind: must be week_day or year_day");
  }
  if (op == "clear_schedule") {
    const auto user = f.Uint("user", 0, 65535, true);
    const auto kind = f.Str("kind", true, 16);
    const auto index = f.Uint("index", 0, 255, false);
    if (!f.ok()) return FromStatus(f.status());
    if (*kind != "week_day" && *kind != "year_day") return Error("invalid", "kind: must be week_day or year_day");
    const Status s = lock.ClearSchedule(
        static_cast<core::UserIndex>(*user), *kind == "week_day" ? core::ScheduleKind::kWeekDay : core::ScheduleKind::kYearDay,
        index ? std::optional<uint32_t>(static_cast<uint32_t>(*index)) : std::nullopt, actor);
    return s.ok() ? Ok(Json::object()) : FromStatus(s);
  }
  if (op == "list_holidays") {
    const auto holidays = lock.ListHolidays();  // by index
    link::ListSource source;
    source.size = holidays.size();
    source.key = [&](std::size_t i) -> uint64_t { return holidays[i].index; };
    source.entry = [&](std::size_t i) { return wire::HolidayToJson(holidays[i]); };
    return ListAnswer(args, source);
  }
  if (op == "set_holiday") {
    auto h = wire::HolidayFromJson(args);
    if (!h.ok()) return FromStatus(h.status());
    auto r = lock.SetHoliday(*h, actor);
    return r.ok() ? Ok(wire::HolidayToJson(*r)) : FromStatus(r.status());
  }
  if (op == "clear_holiday") {
    const auto index = f.Uint("index", 0, 255, false);
    if (!f.ok()) return FromStatus(f.status());
    const Status s = lock.ClearHoliday(index ? std::optional<uint32_t>(static_cast<uint32_t>(*index)) : std::nullopt, actor);
    return s.ok() ? Ok(Json::object()) : FromStatus(s);
  }
  if (op == "set_time") {
    // `force`: the owner confirmed a time the lock would refuse (the hub lets only the owner).
    const auto time = f.Int("time", true);
    const auto force = f.Bool("force", false);
    if (!f.ok()) return FromStatus(f.status());
    const Status s = lock.AcceptClock(*time, actor, force.value_or(false));
    if (!s.ok()) return FromStatus(s);
    if (sim_ != nullptr) sim_->SetWallClock(*time);
    return Ok(Json{{"time", *time}});
  }
  if (op == "unpair") {
    if (hooks_.unpair) hooks_.unpair();
    return Ok(Json::object());
  }
  return Error("invalid", "unknown op '" + std::string(op.substr(0, 32)) + "'");
}

}  // namespace latchkey::device
