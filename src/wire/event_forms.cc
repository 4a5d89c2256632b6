#include "wire/event_forms.h"

#include <array>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "platform/time_format.h"
#include "wire/json_codec.h"
#include "wire/json_fields.h"

namespace latchkey::wire {
namespace {

// A custom field's value read with JsonFields' checks and messages, as if it were the object's
// only field: `read(f)` reads `name` from it (required: the table calls only for a value).
template <typename Read, typename V = typename std::invoke_result_t<Read, JsonFields&>::value_type>
core::Result<V> ReadAlone(const char* name, const Json& value, Read read) {
  Json one = Json::object();
  one[name] = value;
  JsonFields f(one);
  std::optional<V> v = read(f);
  LATCHKEY_TRY(f);
  return std::move(*v);
}

// The two directions of a custom field (FieldTable::Custom's read and write).
template <typename S>
struct Codec {
  typename FieldTable<S>::Read read;
  typename FieldTable<S>::Write write;
};

// A member (optional: absent when nullopt) written as `write(value)` and read as `read(json)`.
template <typename S, typename M, typename Read, typename Write>
Codec<S> Member(const char* name, M S::*member, Read read, Write write) {
  return {[=](const Json& v, S& out) -> core::Status {
            auto parsed = read(v);
            LATCHKEY_TRY(parsed);
            out.*member = std::move(*parsed);
            return core::Status::Ok();
          },
          [=](const S& in, Json& j) {
            if constexpr (internal::Optional<M>::value) {
              if (in.*member) j[name] = write(*(in.*member));
            } else {
              j[name] = write(in.*member);
            }
          }};
}

// A user or an index: a number or "all" (a change to every one).
Codec<core::Event> IndexOrAll(const char* name, std::optional<core::IndexOrAll> core::Event::*member) {
  return Member(
      name, member,
      [=](const Json& v) -> core::Result<core::IndexOrAll> {
        if (v.is_string() && v.get_ref<const std::string&>() == "all") return core::IndexOrAll::All();
        auto n = ReadAlone(name, v, [=](JsonFields& f) { return f.Uint(name, 0, UINT32_MAX, true); });
        LATCHKEY_TRY(n);
        return core::IndexOrAll{static_cast<uint32_t>(*n), false};
      },
      [](const core::IndexOrAll& i) { return i.all ? Json("all") : Json(i.index); });
}

// A time of the event ("time", or a clock change's "from" and "to"): Unix ms in the store and
// link forms, RFC 3339 text with milliseconds in the API form.
template <typename M>
Codec<core::Event> Time(Form form, const char* name, M core::Event::*member) {
  if (form != Form::kApi) {
    return Member(
        name, member, [=](const Json& v) { return ReadAlone(name, v, [=](JsonFields& f) { return f.Int(name, true); }); },
        [](int64_t ms) { return Json(ms); });
  }
  return Member(
      name, member,
      [=](const Json& v) -> core::Result<int64_t> {
        auto text = ReadAlone(name, v, [=](JsonFields& f) { return f.Str(name, true, 64); });
        LATCHKEY_TRY(text);
        const auto ms = platform::ParseRfc3339Ms(*text);
        if (!ms) return core::Status::Invalid(std::string(name) + ": must be an RFC 3339 time");
        return *ms;
      },
      [](int64_t ms) { return Json(platform::FormatRfc3339Ms(ms)); });
}

template <typename E>
core::Result<E> EnumAlone(const char* name, const Json& v) {
  return ReadAlone(name, v, [=](JsonFields& f) { return f.template Enum<E>(name, true); });
}

// 32 bytes as 64 hex digits (an event's hash, the runtime record's last hash).
template <typename S>
Codec<S> Hash(const char* name, core::Digest S::*member) {
  return Member(
      name, member,
      [=](const Json& v) -> core::Result<core::Digest> {
        auto text = ReadAlone(name, v, [=](JsonFields& f) { return f.Str(name, true, 64); });
        LATCHKEY_TRY(text);
        core::Digest digest{};
        if (!FromHex(*text, digest)) return core::Status::Invalid(std::string(name) + ": must be 64 hex digits");
        return digest;
      },
      [](const core::Digest& digest) { return Json(ToHex(digest)); });
}

// One key for two members: the kind, read before it, says which. (A function, not a constant:
// the tables are built on first use, which may come before this file's constants exist.)
Codec<core::Event> Operation() {
  return {[](const Json& v, core::Event& e) -> core::Status {
            if (e.kind == core::EventKind::kChange) {
              auto change = EnumAlone<core::ChangeOperation>("operation", v);
              LATCHKEY_TRY(change);
              e.change = *change;
            } else {
              auto operation = EnumAlone<core::Operation>("operation", v);
              LATCHKEY_TRY(operation);
              e.operation = *operation;
            }
            return core::Status::Ok();
          },
          [](const core::Event& e, Json& j) {
            if (e.operation) j["operation"] = std::string(core::ToString(*e.operation));
            else if (e.change) j["operation"] = std::string(core::ToString(*e.change));
          }};
}

// The event's sub-record and times are in the event's form. Fields are read in this order, so
// a document with several bad ones is refused naming the first of them, as before.
FieldTable<core::Event> EventTable(Form form) {
  using core::Event;
  const auto time = Time(form, "time", &Event::time_ms);
  const auto operation = Operation();
  const auto user = IndexOrAll("user", &Event::user);
  const auto credential = Member(
      "credential", &Event::credential, [form](const Json& v) { return DecodeCredentialRef(form, v); },
      [form](const core::CredentialRef& ref) { return EncodeCredentialRef(form, ref); });
  const auto index = IndexOrAll("index", &Event::index);
  const auto from = Time(form, "from", &Event::from_ms);
  const auto to = Time(form, "to", &Event::to_ms);
  const auto hash = Hash("hash", &Event::hash);
  return FieldTable<Event>("event")
      .Lenient()
      .Field("seq", &Event::seq, {.lo = 1})
      .Custom("time", time.read, time.write, /*required=*/true)
      .Field("kind", &Event::kind)
      .Custom("operation", operation.read, operation.write)
      .Field("source", &Event::source)
      .Custom("user", user.read, user.write)
      .Custom("credential", credential.read, credential.write)
      .Field("actor", &Event::actor, {.max_bytes = 256})
      .Field("error", &Event::error)
      .Field("alarm", &Event::alarm)
      .Field("door_state", &Event::door_state)
      .Field("data_type", &Event::data_type)
      .Custom("index", index.read, index.write)
      .Field("external_power", &Event::external_power)
      .Field("count", &Event::count)
      .Custom("from", from.read, from.write)
      .Custom("to", to.read, to.write)
      .Field("forced", &Event::forced)
      .Field("auto", &Event::auto_unlock)
      .Custom("hash", hash.read, hash.write, /*required=*/true);
}

// A rolling budget's ages (absent: none); at most 60, the largest max_wrong_per_hour.
Codec<core::RuntimeState> Ages(const char* name, std::vector<int64_t> core::RuntimeState::*member) {
  return Member(
      name, member,
      [=](const Json& ages) -> core::Result<std::vector<int64_t>> {
        if (!ages.is_array() || ages.size() > 60) {
          return core::Status::Invalid(std::string(name) + ": must be a list of at most 60");
        }
        std::vector<int64_t> out;
        for (const Json& age : ages) {
          if (!age.is_number_integer() || (age.is_number_unsigned() && age.get<uint64_t>() > INT64_MAX)) {
            return core::Status::Invalid(std::string(name) + ": each is a whole number");
          }
          out.push_back(age.get<int64_t>());
        }
        return out;
      },
      [](const std::vector<int64_t>& ages) { return Json(ages); });
}

// The credentials a dual/tri user has presented so far, in the store form.
Codec<core::RuntimeState> PendingCredentials() {
  constexpr const char* kName = "pending_credentials";
  return Member(
      kName, &core::RuntimeState::pending_credentials,
      [](const Json& list) -> core::Result<std::vector<core::CredentialRef>> {
        if (!list.is_array()) return core::Status::Invalid(std::string(kName) + ": must be a list");
        std::vector<core::CredentialRef> out;
        for (const Json& item : list) {
          if (!item.is_object()) return core::Status::Invalid(std::string(kName) + " must be a JSON object");
          auto ref = DecodeCredentialRef(Form::kStore, item);
          LATCHKEY_TRY(ref);
          out.push_back(*ref);
        }
        return out;
      },
      [](const std::vector<core::CredentialRef>& refs) {
        Json list = Json::array();
        for (const auto& ref : refs) list.push_back(EncodeCredentialRef(Form::kStore, ref));
        return list;
      });
}

FieldTable<core::RuntimeState> RuntimeTable() {
  using core::RuntimeState;
  // The remote class and the budgets came with wave 2: a store from before has none of them
  // (nothing counted yet, which is what their defaults mean). Nothing pending is the default too.
  const FieldOptions kMayBeAbsent{.may_be_absent = true};
  const auto door_ages = Ages("door_wrong_ages_ms", &RuntimeState::door_wrong_ages_ms);
  const auto remote_ages = Ages("remote_wrong_ages_ms", &RuntimeState::remote_wrong_ages_ms);
  const auto pending = PendingCredentials();
  const auto last_hash = Hash("last_hash", &RuntimeState::last_hash);
  return FieldTable<RuntimeState>("runtime")
      .Lenient()
      .Field("lock_state", &RuntimeState::lock_state)
      .Field("door_state", &RuntimeState::door_state)
      .Field("wrong_attempts", &RuntimeState::wrong_attempts)
      .Field("lockout_level", &RuntimeState::lockout_level)
      .Field("lockout_remaining_ms", &RuntimeState::lockout_remaining_ms)
      .Field("remote_wrong_attempts", &RuntimeState::remote_wrong_attempts, kMayBeAbsent)
      .Field("remote_lockout_level", &RuntimeState::remote_lockout_level, kMayBeAbsent)
      .Field("remote_lockout_remaining_ms", &RuntimeState::remote_lockout_remaining_ms, kMayBeAbsent)
      .Field("door_budget_alarm_quiet_ms", &RuntimeState::door_budget_alarm_quiet_ms, kMayBeAbsent)
      .Field("remote_budget_alarm_quiet_ms", &RuntimeState::remote_budget_alarm_quiet_ms, kMayBeAbsent)
      .Custom("door_wrong_ages_ms", door_ages.read, door_ages.write)
      .Custom("remote_wrong_ages_ms", remote_ages.read, remote_ages.write)
      .Field("relock_remaining_ms", &RuntimeState::relock_remaining_ms)
      .Field("relock_waiting_for_door", &RuntimeState::relock_waiting_for_door)
      .Field("auto_unlock_quiet_ms", &RuntimeState::auto_unlock_quiet_ms, {.may_be_absent = true, .omit_default = true})
      .Field("battery_mv", &RuntimeState::battery_mv)
      .Field("external_power", &RuntimeState::external_power)
      .Field("low_battery_raised", &RuntimeState::low_battery_raised)
      .Field("critical_battery_raised", &RuntimeState::critical_battery_raised)
      .Field("door_ajar_raised", &RuntimeState::door_ajar_raised)
      .Field("door_open_ms", &RuntimeState::door_open_ms)
      .Field("pending_user", &RuntimeState::pending_user, {.hi = 65534, .may_be_absent = true})
      .Field("pending_remaining_ms", &RuntimeState::pending_remaining_ms, kMayBeAbsent)
      .Field("pending_source", &RuntimeState::pending_source, kMayBeAbsent)
      .Field("pending_operation", &RuntimeState::pending_operation, kMayBeAbsent)
      .Custom("pending_credentials", pending.read, pending.write)
      .Field("clock_trusted", &RuntimeState::clock_trusted)
      .Field("latest_wall_ms", &RuntimeState::latest_wall_ms)
      // A lock stored before the estimate existed has none until its next accepted time.
      .Field("wall_estimate_ms", &RuntimeState::wall_estimate_ms, kMayBeAbsent)
      .Field("last_seq", &RuntimeState::last_seq)
      .Field("acked_seq", &RuntimeState::acked_seq)
      .Field("first_seq", &RuntimeState::first_seq, {.lo = 1})
      .Custom("last_hash", last_hash.read, last_hash.write, /*required=*/true);
}

}  // namespace

const FieldTable<core::Event>& EventFields(Form form) {
  static const std::array<FieldTable<core::Event>, 3> tables{EventTable(Form::kStore), EventTable(Form::kLink),
                                                             EventTable(Form::kApi)};
  return tables[static_cast<std::size_t>(form)];
}

Json EncodeEvent(Form form, const core::Event& event) { return EventFields(form).Encode(event); }
core::Result<core::Event> DecodeEvent(Form form, const Json& json) { return EventFields(form).Decode(json); }
Json EventToJson(const core::Event& event) { return EncodeEvent(Form::kLink, event); }
core::Result<core::Event> EventFromJson(const Json& json) { return DecodeEvent(Form::kLink, json); }

const FieldTable<core::RuntimeState>& RuntimeFields() {
  static const auto table = RuntimeTable();
  return table;
}

Json EncodeRuntime(const core::RuntimeState& runtime) { return RuntimeFields().Encode(runtime); }
core::Result<core::RuntimeState> DecodeRuntime(const Json& json) { return RuntimeFields().Decode(json); }

}  // namespace latchkey::wire
