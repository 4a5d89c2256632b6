#include "link/op_answers.h"

#include "wire/record_forms.h"
#include "wire/state_forms.h"

namespace latchkey::link {

using Json = nlohmann::json;

const wire::FieldTable<RemoteAnswer>& RemoteAnswer::Fields() {
  static const auto table = wire::FieldTable<RemoteAnswer>("result")
                                .Field("result", &RemoteAnswer::result, {.max_bytes = 16})
                                .Field("lock_state", &RemoteAnswer::lock_state);
  return table;
}

const wire::FieldTable<SetTimeAnswer>& SetTimeAnswer::Fields() {
  static const auto table = wire::FieldTable<SetTimeAnswer>("result").Field("time", &SetTimeAnswer::time);
  return table;
}

const wire::FieldTable<PhoneKeysAnswer>& PhoneKeysAnswer::Fields() {
  using A = PhoneKeysAnswer;
  static const auto table = wire::FieldTable<A>("result")
                                .Lenient()
                                .Field("home_key", &A::home_key)
                                .Field("revocations_version", &A::revocations_version)
                                .Field("min_epoch", &A::min_epoch)
                                .Field("revoked", &A::revoked);
  return table;
}

const wire::FieldTable<OfflineCodesAnswer>& OfflineCodesAnswer::Fields() {
  using A = OfflineCodesAnswer;
  static const auto table = wire::FieldTable<A>("result")
                                .Lenient()
                                .Field("key", &A::key)
                                .Field("epoch", &A::epoch)
                                .Field("generation", &A::generation)
                                .Field("revocations_version", &A::revocations_version)
                                .Field("revoked", &A::revoked, {.may_be_absent = true})
                                .Field("remembered", &A::remembered, {.may_be_absent = true});
  return table;
}

const wire::FieldTable<CredentialResultAnswer>& CredentialResultAnswer::Fields() {
  using A = CredentialResultAnswer;
  static const auto table = wire::FieldTable<A>("result")
                                .Field("type", &A::type)
                                .Field("index", &A::index)
                                .Field("user", &A::user)
                                .Field("next_free_index", &A::next_free_index, {.null_when_absent = true});
  return table;
}

const wire::FieldTable<StateAnswer>& StateAnswer::Fields() {
  using A = StateAnswer;
  using wire::Form;
  static const auto table =
      wire::FieldTable<A>("state")
          .Lenient()
          .Whole(
              [](const Json& j, A& a) -> core::Status {
                auto decoded = wire::DecodeStatus(Form::kLink, j);
                LATCHKEY_TRY(decoded);
                a.status = *decoded;
                return core::Status::Ok();
              },
              [](const A& a, Json& j) { j.update(wire::EncodeStatus(Form::kLink, a.status)); })
          .Field("name", &A::name, {.max_bytes = 256})
          .Record("settings", &A::settings, wire::SettingsFields(Form::kLink))
          .Record("capabilities", &A::capabilities, wire::CapabilitiesFields(Form::kLink))
          .Field("simulated", &A::simulated)
          .Field("sim_control_url", &A::sim_control_url, {.max_bytes = 256})
          .Field("sim_control_secret", &A::sim_control_secret, {.max_bytes = 256})
          .Field("acked_seq", &A::acked_seq);
  return table;
}

const wire::FieldTable<StoredCredentialAnswer>& StoredCredentialAnswer::Fields() {
  using A = StoredCredentialAnswer;
  static const auto table = wire::FieldTable<A>("credential")
                                .Lenient()
                                .Field("type", &A::type)
                                .Field("index", &A::index)
                                .Field("user", &A::user)
                                .Field("created_by", &A::created_by, {.max_bytes = 256})
                                .Field("created_at", &A::created_at);
  return table;
}

const wire::FieldTable<ListPageAnswer>& ListPageAnswer::Fields() {
  using A = ListPageAnswer;
  static const auto table = wire::FieldTable<A>("result")
                                .Lenient()
                                .Custom(
                                    "items",
                                    [](const Json& v, A& a) -> core::Status {
                                      if (!v.is_array()) return core::Status::Invalid("items: must be a list");
                                      a.items = v;
                                      return core::Status::Ok();
                                    },
                                    [](const A& a, Json& j) { j["items"] = a.items; }, /*required=*/true)
                                .Field("next", &A::next);
  return table;
}

}  // namespace latchkey::link
