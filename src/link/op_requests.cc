#include "link/op_requests.h"

#include <algorithm>
#include <array>
#include <utility>

#include "crypto/base64.h"
#include "wire/json_codec.h"
#include "wire/json_fields.h"
#include "wire/record_forms.h"

namespace latchkey::link {
namespace {

using wire::FieldTable;

// Every request's table: read as "args", and `actor` may come along (the lock reads it apart).
template <typename R>
FieldTable<R> Args() {
  return FieldTable<R>("args").Allow("actor");
}

// The paging fields of a list op (list_pages.h).
template <typename R>
FieldTable<R> ListArgs(FieldTable<R>&& table) {
  return std::move(table).Field("from", &R::from).Field("limit", &R::limit, {.lo = 1, .hi = 65535});
}

// A credential's `type` and `index` (0..2^32-1), required or not as the struct's members are.
template <typename R>
FieldTable<R> CredentialArgs(FieldTable<R>&& table) {
  return std::move(table).Field("type", &R::type).Field("index", &R::index, {.hi = UINT32_MAX});
}

// Adds every field of `fields` to `object`.
void Merge(Json& object, const Json& fields) {
  for (const auto& [key, value] : fields.items()) object[key] = value;
}

}  // namespace

const FieldTable<NoArgs>& NoArgs::Fields() {
  static const auto table = Args<NoArgs>();
  return table;
}

const FieldTable<RemoteRequest>& RemoteRequest::Fields() {
  static const auto table = Args<RemoteRequest>()
                                .Field("pin", &RemoteRequest::pin, {.max_bytes = 64})
                                .Field("timeout_s", &RemoteRequest::timeout_s, {.lo = 1, .hi = 86400});
  return table;
}

const FieldTable<SetSettingsRequest>& SetSettingsRequest::Fields() {
  static const auto table = Args<SetSettingsRequest>().Custom(
      "settings",
      [](const Json& v, SetSettingsRequest& r) {
        auto patch = wire::DecodeSettingsPatch(wire::Form::kLink, v);
        LATCHKEY_TRY(patch);
        r.settings = std::move(patch).value();
        return core::Status::Ok();
      },
      [](const SetSettingsRequest& r, Json& j) { j["settings"] = wire::EncodeSettingsPatch(wire::Form::kLink, r.settings); },
      /*required=*/true);
  return table;
}

const FieldTable<ListUsersRequest>& ListUsersRequest::Fields() {
  static const auto table = ListArgs(Args<ListUsersRequest>());
  return table;
}

const FieldTable<GetUserRequest>& GetUserRequest::Fields() {
  static const auto table = Args<GetUserRequest>().Field("index", &GetUserRequest::index, {.hi = 65535});
  return table;
}

const FieldTable<SetUserRequest>& SetUserRequest::Fields() {
  using R = SetUserRequest;
  static const auto table = Args<R>()
                                .Field("action", &R::action, {.max_bytes = 16})
                                .Field("index", &R::index, {.hi = 65535})
                                .Field("name", &R::name, {.max_bytes = 1024})
                                .Field("unique_id", &R::unique_id)
                                .Field("status", &R::status)
                                .Field("type", &R::type)
                                .Field("credential_rule", &R::credential_rule);
  return table;
}

const FieldTable<ClearUserRequest>& ClearUserRequest::Fields() {
  static const auto table = Args<ClearUserRequest>()
                                .Field("all", &ClearUserRequest::all)
                                .Field("index", &ClearUserRequest::index, {.hi = 65535});
  return table;
}

const FieldTable<ListCredentialsRequest>& ListCredentialsRequest::Fields() {
  static const auto table = ListArgs(Args<ListCredentialsRequest>().Field("type", &ListCredentialsRequest::type));
  return table;
}

const FieldTable<GetCredentialRequest>& GetCredentialRequest::Fields() {
  static const auto table = CredentialArgs(Args<GetCredentialRequest>());
  return table;
}

const FieldTable<SetCredentialRequest>& SetCredentialRequest::Fields() {
  using R = SetCredentialRequest;
  static const auto table = Args<R>()
                                .Field("action", &R::action, {.max_bytes = 16})
                                .Field("type", &R::type)
                                .Field("index", &R::index, {.hi = UINT32_MAX})
                                .Field("data", &R::data, {.max_bytes = 256})
                                .Field("user", &R::user, {.hi = 65535})
                                .Field("user_type", &R::user_type)
                                .Field("user_status", &R::user_status);
  return table;
}

const FieldTable<ClearCredentialRequest>& ClearCredentialRequest::Fields() {
  static const auto table = CredentialArgs(Args<ClearCredentialRequest>());
  return table;
}

const FieldTable<ListSchedulesRequest>& ListSchedulesRequest::Fields() {
  static const auto table =
      ListArgs(Args<ListSchedulesRequest>().Field("user", &ListSchedulesRequest::user, {.hi = 65535}));
  return table;
}

// The schedule's fields are those of its link form (wire::WeekDayFields, YearDayFields), read
// from the whole args once `user` and `kind` are good.
const FieldTable<SetScheduleRequest>& SetScheduleRequest::Fields() {
  using R = SetScheduleRequest;
  static const auto table =
      Args<R>()
          .Field("user", &R::user, {.hi = 65535})
          .Allow("kind")
          .Allow("index")
          .Allow("days")
          .Allow("start")
          .Allow("end")
          .Whole(
              [](const Json& args, R& r) -> core::Status {
                wire::JsonFields f(args, "args");
                const auto kind = f.Str("kind", true, 16);
                LATCHKEY_TRY(f);
                if (*kind == "week_day") {
                  auto s = wire::DecodeWeekDay(wire::Form::kLink, args);
                  LATCHKEY_TRY(s);
                  r.schedule = *s;
                } else if (*kind == "year_day") {
                  auto s = wire::DecodeYearDay(wire::Form::kLink, args);
                  LATCHKEY_TRY(s);
                  r.schedule = *s;
                } else {
                  return core::Status::Invalid("kind: must be week_day or year_day");
                }
                return core::Status::Ok();
              },
              [](const R& r, Json& j) {
                if (const auto* week = std::get_if<core::WeekDaySchedule>(&r.schedule)) {
                  Merge(j, wire::EncodeWeekDay(wire::Form::kLink, *week));
                } else {
                  Merge(j, wire::EncodeYearDay(wire::Form::kLink, std::get<core::YearDaySchedule>(r.schedule)));
                }
              });
  return table;
}

const FieldTable<ClearScheduleRequest>& ClearScheduleRequest::Fields() {
  using R = ClearScheduleRequest;
  static const auto table = Args<R>()
                                .Field("user", &R::user, {.hi = 65535})
                                .Field("kind", &R::kind, {.max_bytes = 16})
                                .Field("index", &R::index, {.hi = 255});
  return table;
}

const FieldTable<ListHolidaysRequest>& ListHolidaysRequest::Fields() {
  static const auto table = ListArgs(Args<ListHolidaysRequest>());
  return table;
}

const FieldTable<SetHolidayRequest>& SetHolidayRequest::Fields() {
  static const auto table = Args<SetHolidayRequest>()
                                .Allow("index")
                                .Allow("start")
                                .Allow("end")
                                .Allow("operating_mode")
                                .Whole(
                                    [](const Json& args, SetHolidayRequest& r) -> core::Status {
                                      auto h = wire::DecodeHoliday(wire::Form::kLink, args);
                                      LATCHKEY_TRY(h);
                                      r.holiday = *h;
                                      return core::Status::Ok();
                                    },
                                    [](const SetHolidayRequest& r, Json& j) { Merge(j, wire::EncodeHoliday(wire::Form::kLink, r.holiday)); });
  return table;
}

const FieldTable<ClearHolidayRequest>& ClearHolidayRequest::Fields() {
  static const auto table = Args<ClearHolidayRequest>().Field("index", &ClearHolidayRequest::index, {.hi = 255});
  return table;
}

const FieldTable<SetTimeRequest>& SetTimeRequest::Fields() {
  static const auto table =
      Args<SetTimeRequest>().Field("time", &SetTimeRequest::time).Field("force", &SetTimeRequest::force);
  return table;
}

const FieldTable<SetHomeKeyRequest>& SetHomeKeyRequest::Fields() {
  static const auto table = Args<SetHomeKeyRequest>().Field("key", &SetHomeKeyRequest::key, {.max_bytes = 44});
  return table;
}

const FieldTable<RevokePhoneKeysRequest>& RevokePhoneKeysRequest::Fields() {
  static const auto table =
      Args<RevokePhoneKeysRequest>().Field("list", &RevokePhoneKeysRequest::list, {.max_bytes = 11000});
  return table;
}

const FieldTable<SetOfflineKeyRequest>& SetOfflineKeyRequest::Fields() {
  using R = SetOfflineKeyRequest;
  static const auto table =
      Args<R>()
          .Custom(
              "key",
              [](const Json& v, R& r) -> core::Status {
                const auto bytes = v.is_string() ? crypto::Base64Decode(v.get_ref<const std::string&>(), r.key.size())
                                                 : std::nullopt;
                if (!bytes || bytes->size() != r.key.size()) {
                  return core::Status::Invalid("key: must be 32 bytes in base64");
                }
                std::copy(bytes->begin(), bytes->end(), r.key.begin());
                return core::Status::Ok();
              },
              [](const R& r, Json& j) { j["key"] = crypto::Base64Encode(r.key); }, /*required=*/true)
          .Field("epoch", &R::epoch)
          .Field("generation", &R::generation)
          .Whole(
              [](const Json&, R& r) -> core::Status {
                if (r.epoch <= 0 || r.epoch > core::kMaxOfflineEpochS || r.epoch % 3600 != 0) {
                  return core::Status::Invalid("epoch: must be a positive multiple of 3600, at most " +
                                               std::to_string(core::kMaxOfflineEpochS));
                }
                return core::Status::Ok();
              },
              [](const R&, Json&) {});
  return table;
}

const FieldTable<RevokeOfflineCodesRequest>& RevokeOfflineCodesRequest::Fields() {
  using R = RevokeOfflineCodesRequest;
  static const auto table =
      Args<R>()
          .Field("version", &R::version)
          .Custom(
              "codes",
              [](const Json& v, R& r) -> core::Status {
                if (!v.is_array() || v.size() > core::kMaxRevokedOfflineCodes) {
                  return core::Status::Invalid("codes: must be a list of at most " +
                                               std::to_string(core::kMaxRevokedOfflineCodes));
                }
                for (const Json& code : v) {
                  const std::string* text = code.is_string() ? &code.get_ref<const std::string&>() : nullptr;
                  if (text == nullptr || text->size() != core::kOfflineCodeDigits ||
                      !std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; })) {
                    return core::Status::Invalid("codes: each must be a string of 12 digits");
                  }
                  r.codes.push_back(*text);
                }
                return core::Status::Ok();
              },
              [](const R& r, Json& j) { j["codes"] = r.codes; }, /*required=*/true)
          .Field("generation", &R::generation);
  return table;
}

// The row's own fields are checked by its table in sim_inputs.h once `what` names the row.
const FieldTable<SimRequest>& SimRequest::Fields() {
  // (`what` after the input: on encode it wins over an input's own "what".)
  static const auto table = FieldTable<SimRequest>("sim")
                                .Lenient()
                                .Whole(
                                    [](const Json& args, SimRequest& r) {
                                      r.input = args;
                                      r.input.erase("what");
                                      r.input.erase("actor");
                                      return core::Status::Ok();
                                    },
                                    [](const SimRequest& r, Json& j) { Merge(j, r.input); })
                                .Field("what", &SimRequest::what, {.max_bytes = 32});
  return table;
}

core::Result<Json> RecodeRequest(Op op, const Json& args) {
  using Recode = core::Result<Json> (*)(const Json&);
  static constexpr auto kRecoders = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<Recode, kOpCount>{+[](const Json& a) -> core::Result<Json> {
      auto r = DecodeRequest<RequestFor<static_cast<Op>(I)>>(a);
      LATCHKEY_TRY(r);
      return EncodeRequest(*r);
    }...};
  }(std::make_index_sequence<kOpCount>{});
  return kRecoders[static_cast<std::size_t>(op)](args);
}

}  // namespace latchkey::link
