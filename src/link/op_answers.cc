#include "link/op_answers.h"

namespace latchkey::link {

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

const wire::FieldTable<CredentialResultAnswer>& CredentialResultAnswer::Fields() {
  using A = CredentialResultAnswer;
  static const auto table = wire::FieldTable<A>("result")
                                .Field("type", &A::type)
                                .Field("index", &A::index)
                                .Field("user", &A::user)
                                .Field("next_free_index", &A::next_free_index, {.null_when_absent = true});
  return table;
}

}  // namespace latchkey::link
