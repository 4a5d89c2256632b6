#include "device/lock_ops.h"

#include <array>
#include <type_traits>
#include <variant>

#include "crypto/base64.h"
#include "device/sim_world.h"
#include "link/enum_table.h"
#include "link/list_pages.h"
#include "link/op_answers.h"
#include "link/op_requests.h"
#include "wire/json_codec.h"
#include "wire/record_forms.h"

namespace latchkey::device {

using core::Status;
using link::Json;
using link::Op;

// What an op's handler works with: the lock, its parts, and who asked.
struct LockOps::Context {
  LockOps& ops;
  LockRuntime& runtime;
  SimWorld* sim;
  const Hooks& hooks;
  std::string actor_name;  // what actor.name points into
  core::Actor actor;

  core::Lock& lock() { return runtime.lock(); }
};

namespace {

using Context = LockOps::Context;
using Reply = LockOps::Reply;

// The actor of a remote request: {"actor": {"name": "...", "role": "owner|admin|member|guest"}}.
// Read apart from the op's fields and never refused: a malformed actor is an anonymous one.
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
  return link::StoredCredentialAnswer::Fields().Encode(
      {.type = c.ref.type, .index = c.ref.index, .user = c.user, .created_by = c.created_by, .created_at = c.created_at_ms});
}

Json CredentialResultJson(const core::CredentialResult& r) {
  return link::CredentialResultAnswer::Fields().Encode({
      .type = r.credential.type, .index = r.credential.index, .user = r.user, .next_free_index = r.next_free_index});
}

// The answer of an op whose core call returns a value (encoded by `to_json`) or a refusal.
template <typename T, typename ToJson>
Json Answer(const core::Result<T>& result, ToJson to_json) {
  return result.ok() ? LockOps::Ok(to_json(*result)) : LockOps::FromStatus(result.status());
}
Json Answer(const Status& status) { return status.ok() ? LockOps::Ok(Json::object()) : LockOps::FromStatus(status); }

template <typename T>
std::optional<T> Narrow(const std::optional<uint64_t>& v) {
  return v ? std::optional<T>(static_cast<T>(*v)) : std::nullopt;
}

// A list op's answer: the whole list, or with `from` or `limit` one page that fits a frame.
template <typename R>
Json ListAnswer(const R& request, const link::ListSource& source) {
  const link::PageArgs page{request.from || request.limit, request.from.value_or(0),
                            request.limit.value_or(link::kMaxPageLimit)};
  auto result = link::ListResult(source, page);
  if (!result) return LockOps::Error("too_large", "one entry does not fit a link frame");
  return LockOps::Ok(std::move(*result));
}

// Page keys (docs/link.md "Paged lists"): each list's own order as one ascending number.
uint64_t CredentialKey(const core::CredentialRef& ref) {
  return static_cast<uint64_t>(ref.type) << 32 | ref.index;
}
constexpr uint64_t kYearDayKeys = 1u << 8;  // week-day schedules first, then year-day ones

Json UserJson(const core::User& user) { return wire::EncodeUser(wire::Form::kLink, user); }

// A record's link form, by its encoder of record_forms.h (an answer's entry or result).
template <auto kEncode>
constexpr auto kLinkForm = [](const auto& record) { return kEncode(wire::Form::kLink, record); };

// --- the handlers, one per op (a remote command and sim answer later, through `reply`) ------

template <core::Operation kOperation>
void Remote(Context& c, const link::RemoteRequest& r, Reply reply) {
  core::RemoteCommand command;
  command.operation = kOperation;
  command.pin = r.pin;
  command.timeout_s = r.timeout_s;
  command.actor = c.actor;
  auto decision = c.lock().Remote(command);
  c.runtime.Reschedule();
  if (!decision.ok()) return reply(LockOps::FromStatus(decision.status()));
  if (decision->result == core::DecisionResult::kDenied) {
    return reply(LockOps::Error("denied", "the lock refused the operation", core::ToString(*decision->reason)));
  }
  if (decision->result == core::DecisionResult::kPending) {
    return reply(
        LockOps::Ok(link::RemoteAnswer::Fields().Encode({.result = "pending", .lock_state = decision->lock_state})));
  }
  c.runtime.WhenBoltStops([reply = std::move(reply)](const core::LockStatus& status) {
    if (status.lock_state == core::LockState::kJammed) {
      return reply(LockOps::Error("jammed", "the bolt jammed during this operation"));
    }
    reply(LockOps::Ok(link::RemoteAnswer::Fields().Encode({.result = "ok", .lock_state = status.lock_state})));
  });
}

void Sim(Context& c, const link::SimRequest& r, Reply reply) {
  if (c.sim == nullptr) return reply(LockOps::Error("invalid", "this lock is not simulated"));
  c.sim->Handle(r, std::move(reply));
}

Json GetState(Context& c, const link::NoArgs&) { return LockOps::Ok(c.ops.StateJson()); }

Json GetSettings(Context& c, const link::NoArgs&) {
  return LockOps::Ok(wire::EncodeSettings(wire::Form::kLink, c.lock().settings()));
}

Json SetSettings(Context& c, const link::SetSettingsRequest& r) {
  return Answer(c.lock().UpdateSettings(r.settings, c.actor),
                [](const core::Settings& s) { return wire::EncodeSettings(wire::Form::kLink, s); });
}

Json ListUsers(Context& c, const link::ListUsersRequest& r) {
  const auto users = c.lock().ListUsers();
  link::ListSource source;
  source.size = users.size();
  source.key = [&](std::size_t i) -> uint64_t { return users[i].index; };
  source.entry = [&](std::size_t i) { return UserJson(users[i]); };
  source.shrunk = [&](std::size_t i) {
    Json user = UserJson(users[i]);
    user.erase("week_day_schedules");
    user.erase("year_day_schedules");
    user[link::kSchedulesApart] = true;
    return user;
  };
  return ListAnswer(r, source);
}

Json GetUser(Context& c, const link::GetUserRequest& r) {
  return Answer(c.lock().GetUser(static_cast<core::UserIndex>(r.index)), UserJson);
}

Json SetUser(Context& c, const link::SetUserRequest& r) {
  const std::string action = r.action.value_or(r.index ? "modify" : "add");
  if (action != "add" && action != "modify") return LockOps::Error("invalid", "action: must be add or modify");
  if (action == "modify" && !r.index) return LockOps::FromStatus(Status::Invalid("index: is required"));
  const core::UserRequest request{Narrow<core::UserIndex>(r.index), r.name, r.unique_id, r.status, r.type,
                                  r.credential_rule};
  return Answer(action == "add" ? c.lock().AddUser(request, c.actor) : c.lock().ModifyUser(request, c.actor),
                UserJson);
}

Json ClearUser(Context& c, const link::ClearUserRequest& r) {
  if (r.all.value_or(false)) return Answer(c.lock().ClearAllUsers(c.actor));
  if (!r.index) return LockOps::FromStatus(Status::Invalid("index: is required"));
  return Answer(c.lock().ClearUser(static_cast<core::UserIndex>(*r.index), c.actor));
}

Json ListCredentials(Context& c, const link::ListCredentialsRequest& r) {
  const auto credentials = c.lock().ListCredentials(r.type);  // by type, then index
  link::ListSource source;
  source.size = credentials.size();
  source.key = [&](std::size_t i) { return CredentialKey(credentials[i].ref); };
  source.entry = [&](std::size_t i) { return CredentialJson(credentials[i]); };
  return ListAnswer(r, source);
}

Json GetCredential(Context& c, const link::GetCredentialRequest& r) {
  return Answer(c.lock().GetCredential({r.type, static_cast<core::CredentialIndex>(r.index)}), CredentialJson);
}

Json SetCredential(Context& c, const link::SetCredentialRequest& r) {
  const std::string action = r.action.value_or("add");
  const auto user = Narrow<core::UserIndex>(r.user);
  if (action == "modify") {
    if (!r.index) return LockOps::FromStatus(Status::Invalid("index: is required"));
    return Answer(c.lock().ModifyCredential({r.type, static_cast<core::CredentialIndex>(*r.index)}, r.data, user,
                                            c.actor),
                  CredentialResultJson);
  }
  if (action != "add") return LockOps::Error("invalid", "action: must be add or modify");
  core::CredentialRequest request;
  request.type = r.type;
  request.index = Narrow<core::CredentialIndex>(r.index);
  request.data = r.data;
  request.user = user;
  request.user_type = r.user_type;
  request.user_status = r.user_status;
  return Answer(c.lock().AddCredential(request, c.actor), CredentialResultJson);
}

Json ClearCredential(Context& c, const link::ClearCredentialRequest& r) {
  if (!r.index) return Answer(c.lock().ClearCredentials(r.type, c.actor));
  if (!r.type) return LockOps::Error("invalid", "type: is required with index");
  return Answer(c.lock().ClearCredential({*r.type, static_cast<core::CredentialIndex>(*r.index)}, c.actor));
}

Json ListSchedules(Context& c, const link::ListSchedulesRequest& r) {
  auto u = c.lock().GetUser(static_cast<core::UserIndex>(r.user));
  if (!u.ok()) return LockOps::FromStatus(u.status());
  const auto& week = u->week_day_schedules;
  const auto& year = u->year_day_schedules;
  link::ListSource source;
  source.size = week.size() + year.size();
  source.key = [&](std::size_t i) -> uint64_t {
    return i < week.size() ? week[i].index : kYearDayKeys + year[i - week.size()].index;
  };
  source.entry = [&](std::size_t i) {
    return i < week.size() ? kLinkForm<&wire::EncodeWeekDay>(week[i])
                           : kLinkForm<&wire::EncodeYearDay>(year[i - week.size()]);
  };
  return ListAnswer(r, source);
}

Json SetSchedule(Context& c, const link::SetScheduleRequest& r) {
  const auto user = static_cast<core::UserIndex>(r.user);
  if (const auto* week = std::get_if<core::WeekDaySchedule>(&r.schedule)) {
    return Answer(c.lock().SetWeekDaySchedule(user, *week, c.actor), kLinkForm<&wire::EncodeWeekDay>);
  }
  return Answer(c.lock().SetYearDaySchedule(user, std::get<core::YearDaySchedule>(r.schedule), c.actor),
                kLinkForm<&wire::EncodeYearDay>);
}

Json ClearSchedule(Context& c, const link::ClearScheduleRequest& r) {
  if (r.kind != "week_day" && r.kind != "year_day") return LockOps::Error("invalid", "kind: must be week_day or year_day");
  return Answer(c.lock().ClearSchedule(static_cast<core::UserIndex>(r.user),
                                       r.kind == "week_day" ? core::ScheduleKind::kWeekDay : core::ScheduleKind::kYearDay,
                                       Narrow<uint32_t>(r.index), c.actor));
}

Json ListHolidays(Context& c, const link::ListHolidaysRequest& r) {
  const auto holidays = c.lock().ListHolidays();  // by index
  link::ListSource source;
  source.size = holidays.size();
  source.key = [&](std::size_t i) -> uint64_t { return holidays[i].index; };
  source.entry = [&](std::size_t i) { return kLinkForm<&wire::EncodeHoliday>(holidays[i]); };
  return ListAnswer(r, source);
}

Json SetHoliday(Context& c, const link::SetHolidayRequest& r) {
  return Answer(c.lock().SetHoliday(r.holiday, c.actor), kLinkForm<&wire::EncodeHoliday>);
}

Json ClearHoliday(Context& c, const link::ClearHolidayRequest& r) {
  return Answer(c.lock().ClearHoliday(Narrow<uint32_t>(r.index), c.actor));
}

// `force`: the owner confirmed a time the lock would refuse (the hub lets only the owner).
Json SetTime(Context& c, const link::SetTimeRequest& r) {
  const Status s = c.lock().AcceptClock(r.time, c.actor, r.force.value_or(false));
  if (!s.ok()) return LockOps::FromStatus(s);
  if (c.sim != nullptr) c.sim->SetWallClock(r.time);
  return LockOps::Ok(link::SetTimeAnswer::Fields().Encode({.time = r.time}));
}

Json PhoneKeys(const core::PhoneKeyInfo& info) {
  return LockOps::Ok(link::PhoneKeysAnswer::Fields().Encode(
      {.home_key = info.has_home_key, .revocations_version = info.revocations_version,
       .min_epoch = info.min_epoch, .revoked = info.revoked}));
}

Json SetHomeKey(Context& c, const link::SetHomeKeyRequest& r) {
  const auto bytes = crypto::Base64Decode(r.key, 32);
  if (!bytes || bytes->size() != 32) return LockOps::Error("invalid", "key: must be 32 bytes in base64");
  core::Ed25519PublicKey key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  const Status s = c.lock().SetHomeKey(key, c.actor);
  if (!s.ok()) return LockOps::FromStatus(s);
  return PhoneKeys(c.lock().phone_keys());
}

Json RevokePhoneKeys(Context& c, const link::RevokePhoneKeysRequest& r) {
  const auto bytes = crypto::Base64Decode(r.list, core::kMaxPhoneRevocationBytes);
  if (!bytes) return LockOps::Error("invalid", "list: must be a revocation list in base64");
  auto list = core::DecodePhoneRevocations(*bytes);
  if (!list.ok()) return LockOps::FromStatus(list.status());
  auto applied = c.lock().ApplyPhoneRevocations(*list, c.actor);
  if (!applied.ok()) return LockOps::FromStatus(applied.status());
  return PhoneKeys(*applied);
}

// What the lock holds of offline codes, after set_offline_key or revoke_offline_codes.
Json OfflineCodesJson(const core::OfflineCodeInfo& info) {
  return link::OfflineCodesAnswer::Fields().Encode(
      {.key = info.has_key, .epoch = info.epoch_s, .generation = info.generation,
       .revocations_version = info.revocations_version, .revoked = info.revoked, .remembered = info.remembered});
}

Json SetOfflineKey(Context& c, const link::SetOfflineKeyRequest& r) {
  return Answer(c.lock().SetOfflineKey(r.key, r.epoch, r.generation, c.actor), OfflineCodesJson);
}

Json RevokeOfflineCodes(Context& c, const link::RevokeOfflineCodesRequest& r) {
  return Answer(c.lock().ApplyOfflineRevocations(r.version, r.codes, r.generation, c.actor), OfflineCodesJson);
}

Json Unpair(Context& c, const link::NoArgs&) {
  if (c.hooks.unpair) c.hooks.unpair();
  return LockOps::Ok(Json::object());
}

// --- the table: op -> its request decoded, then its handler ---------------------------------

using Route = void (*)(Context&, const Json& args, Reply);

// Decodes op kOp's request and runs kHandler with it. A handler that returns its answer runs
// at once, and the lock's timers are rescheduled before the answer goes out (as after any
// change); one that takes `reply` answers when it is done.
template <Op kOp, auto kHandler>
void Run(Context& c, const Json& args, Reply reply) {
  using Request = link::RequestFor<kOp>;
  auto request = link::DecodeRequest<Request>(args);
  if constexpr (std::is_invocable_r_v<Json, decltype(kHandler), Context&, const Request&>) {
    Json response = request.ok() ? kHandler(c, *request) : LockOps::FromStatus(request.status());
    c.runtime.Reschedule();
    reply(std::move(response));
  } else {
    if (!request.ok()) return reply(LockOps::FromStatus(request.status()));
    kHandler(c, *request, std::move(reply));
  }
}

// Op kOp's slot of the table: its request decoded, then kHandler.
template <Op kOp, auto kHandler>
constexpr std::pair<Op, Route> Bind() {
  return {kOp, Run<kOp, kHandler>};
}

constexpr auto kRoutes = link::EnumTable<Op, Route>({
    Bind<Op::kGetState, GetState>(),
    Bind<Op::kLock, Remote<core::Operation::kLock>>(),
    Bind<Op::kUnlock, Remote<core::Operation::kUnlock>>(),
    Bind<Op::kUnlatch, Remote<core::Operation::kUnlatch>>(),
    Bind<Op::kGetSettings, GetSettings>(),
    Bind<Op::kSetSettings, SetSettings>(),
    Bind<Op::kListUsers, ListUsers>(),
    Bind<Op::kGetUser, GetUser>(),
    Bind<Op::kSetUser, SetUser>(),
    Bind<Op::kClearUser, ClearUser>(),
    Bind<Op::kListCredentials, ListCredentials>(),
    Bind<Op::kGetCredential, GetCredential>(),
    Bind<Op::kSetCredential, SetCredential>(),
    Bind<Op::kClearCredential, ClearCredential>(),
    Bind<Op::kListSchedules, ListSchedules>(),
    Bind<Op::kSetSchedule, SetSchedule>(),
    Bind<Op::kClearSchedule, ClearSchedule>(),
    Bind<Op::kListHolidays, ListHolidays>(),
    Bind<Op::kSetHoliday, SetHoliday>(),
    Bind<Op::kClearHoliday, ClearHoliday>(),
    Bind<Op::kSetTime, SetTime>(),
    Bind<Op::kUnpair, Unpair>(),
    Bind<Op::kSim, Sim>(),
    Bind<Op::kSetHomeKey, SetHomeKey>(),
    Bind<Op::kRevokePhoneKeys, RevokePhoneKeys>(),
    Bind<Op::kSetOfflineKey, SetOfflineKey>(),
    Bind<Op::kRevokeOfflineCodes, RevokeOfflineCodes>(),
});

}  // namespace

LockOps::LockOps(LockRuntime& runtime, SimWorld* sim, Hooks hooks)
    : runtime_(runtime), sim_(sim), hooks_(std::move(hooks)) {}

bool LockOps::Handles(Op op) { return kRoutes[static_cast<std::size_t>(op)] != nullptr; }

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

link::StateAnswer LockOps::State() const {
  core::Lock& lock = runtime_.lock();
  link::StateAnswer state{.status = lock.status(),
                          .name = lock.settings().name,
                          .settings = lock.settings(),
                          .capabilities = lock.capabilities(),
                          .simulated = sim_ != nullptr,
                          .acked_seq = lock.acked_seq()};
  if (!sim_control_url_.empty()) state.sim_control_url = sim_control_url_;
  return state;
}

Json LockOps::StateJson() const { return link::StateAnswer::Fields().Encode(State());
}

void LockOps::Handle(std::string_view op_name, const Json& args_in, Reply reply) {
  static const Json kEmpty = Json::object();
  const Json& args = args_in.is_null() ? kEmpty : args_in;
  if (!args.is_object()) return reply(Error("invalid", "args must be a map"));
  const auto op = link::ParseOp(op_name);
  if (!op) {
    runtime_.Reschedule();
    return reply(Error("invalid", "unknown op '" + std::string(op_name.substr(0, 32)) + "'"));
  }
  Context context{*this, runtime_, sim_, hooks_, {}, {}};
  context.actor = ActorFrom(args, context.actor_name);
  kRoutes[static_cast<std::size_t>(*op)](context, args, std::move(reply));
}

}  // namespace latchkey::device
