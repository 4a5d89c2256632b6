// The arguments of each link op (docs/link.md "Requests") as a struct, shared by the hub, which
// encodes them, and the lock, which decodes them. Each struct has one field table
// (wire/field_table.h) that drives both directions, so the two ends cannot disagree:
//
//   link::EncodeRequest(link::ClearUserRequest{.index = 3})    // {"index": 3}
//   link::DecodeRequest<link::ClearUserRequest>(args)          // kInvalid naming a bad field
//   link::RequestFor<link::Op::kClearUser>                     // link::ClearUserRequest
//
// Decoding is strict: an unknown field is `invalid` ("idx: is not a known field"). Every
// request may also carry `actor` (who asked), read by the lock apart (it never fails a
// request). Numbers the hub takes from a URL path are uint64_t here, as wide as the wire may
// carry: the table holds the op's range, which decoding enforces, so the lock's refusal of an
// index out of range reads as before.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/offline_code_state.h"
#include "core/schedule.h"
#include "core/settings.h"
#include "core/status.h"
#include "core/types.h"
#include "link/ops.h"
#include "wire/field_table.h"

namespace latchkey::link {

using Json = nlohmann::json;

#define LATCHKEY_ARGS(T) static const wire::FieldTable<T>& Fields()

struct NoArgs {  // get_state, get_settings, unpair
  LATCHKEY_ARGS(NoArgs);
};
struct RemoteRequest {  // lock, unlock, unlatch
  std::optional<std::string> pin{};
  std::optional<uint32_t> timeout_s{};  // 1..86400 (unlock)
  LATCHKEY_ARGS(RemoteRequest);
};
struct SetSettingsRequest {
  core::SettingsPatch settings{};  // required; the link form of a settings patch
  LATCHKEY_ARGS(SetSettingsRequest);
};
// Paging of the list ops (list_pages.h): `from` any key, `limit` 1..65535.
struct ListUsersRequest {
  std::optional<uint64_t> from{}, limit{};
  LATCHKEY_ARGS(ListUsersRequest);
};
struct GetUserRequest {
  uint64_t index = 0;  // 0..65535
  LATCHKEY_ARGS(GetUserRequest);
};
struct SetUserRequest {
  std::optional<std::string> action{};  // "add" (default without index) or "modify"
  std::optional<uint64_t> index{};      // 0..65535, required to modify
  std::optional<std::string> name{};
  std::optional<uint32_t> unique_id{};
  std::optional<core::UserStatus> status{};
  std::optional<core::UserType> type{};
  std::optional<core::CredentialRule> credential_rule{};
  LATCHKEY_ARGS(SetUserRequest);
};
struct ClearUserRequest {
  std::optional<bool> all{};
  std::optional<uint64_t> index{};  // 0..65535, required unless all
  LATCHKEY_ARGS(ClearUserRequest);
};
struct ListCredentialsRequest {
  std::optional<core::CredentialType> type{};
  std::optional<uint64_t> from{}, limit{};
  LATCHKEY_ARGS(ListCredentialsRequest);
};
struct GetCredentialRequest {
  core::CredentialType type = core::CredentialType::kPin;
  uint64_t index = 0;  // 0..2^32-1
  LATCHKEY_ARGS(GetCredentialRequest);
};
struct SetCredentialRequest {
  std::optional<std::string> action{};  // "add" (default) or "modify"
  core::CredentialType type = core::CredentialType::kPin;
  std::optional<uint64_t> index{};  // 0..2^32-1, required to modify
  std::string data{};
  std::optional<uint64_t> user{};  // 0..65535
  std::optional<core::UserType> user_type{};
  std::optional<core::UserStatus> user_status{};
  LATCHKEY_ARGS(SetCredentialRequest);
};
struct ClearCredentialRequest {
  std::optional<core::CredentialType> type{};
  std::optional<uint64_t> index{};  // 0..2^32-1, with type
  LATCHKEY_ARGS(ClearCredentialRequest);
};
struct ListSchedulesRequest {
  uint64_t user = 0;  // 0..65535
  std::optional<uint64_t> from{}, limit{};
  LATCHKEY_ARGS(ListSchedulesRequest);
};
// The schedule's own fields sit beside `user`, its form chosen by `kind` (week_day, year_day).
struct SetScheduleRequest {
  uint64_t user = 0;  // 0..65535
  std::variant<core::WeekDaySchedule, core::YearDaySchedule> schedule{};
  LATCHKEY_ARGS(SetScheduleRequest);
};
struct ClearScheduleRequest {
  uint64_t user = 0;           // 0..65535
  std::string kind{};            // "week_day" or "year_day"
  std::optional<uint64_t> index{};  // 0..255; none: all of that kind
  LATCHKEY_ARGS(ClearScheduleRequest);
};
struct ListHolidaysRequest {
  std::optional<uint64_t> from{}, limit{};
  LATCHKEY_ARGS(ListHolidaysRequest);
};
struct SetHolidayRequest {
  core::HolidaySchedule holiday{};  // its fields at top level
  LATCHKEY_ARGS(SetHolidayRequest);
};
struct ClearHolidayRequest {
  std::optional<uint64_t> index{};  // 0..255; none: all
  LATCHKEY_ARGS(ClearHolidayRequest);
};
struct SetTimeRequest {
  int64_t time = 0;  // ms since the epoch
  std::optional<bool> force{};
  LATCHKEY_ARGS(SetTimeRequest);
};
// `what` names a row of API.md's sim table; `input` holds that row's fields (sim_inputs.h).
struct SimRequest {
  std::string what{};
  Json input = Json::object();
  LATCHKEY_ARGS(SimRequest);
};

// Phone keys (PHONE-KEYS.md 1; docs/phone-keys.md): the hub's home key and its signed
// revocation list, each in base64.
struct SetHomeKeyRequest {
  std::string key{};  // the 32-byte Ed25519 public key
  LATCHKEY_ARGS(SetHomeKeyRequest);
};
struct RevokePhoneKeysRequest {
  std::string list{};  // core/phone_revocations.h, signed by the home key
  LATCHKEY_ARGS(RevokePhoneKeysRequest);
};

// Offline guest codes (OFFLINE-CODES.md; docs/offline-codes.md): the hub's offline-code key
// with its reference epoch, and its complete list of revoked codes; both carry the generation
// of the hub's check digits (core/offline_code.h).
//   set_offline_key      {"key": "<base64 of 32 bytes>", "epoch": 1795600800, "generation": 0}
//   revoke_offline_codes {"version": 3, "codes": ["204242004838"], "generation": 1}
struct SetOfflineKeyRequest {
  core::OfflineCodeKey key{};  // exactly 32 bytes in base64 on the wire
  int64_t epoch = 0;           // Unix seconds, a positive multiple of 3600 (core::kMaxOfflineEpochS at most)
  uint32_t generation = 0;
  LATCHKEY_ARGS(SetOfflineKeyRequest);
};
struct RevokeOfflineCodesRequest {
  uint64_t version = 0;
  std::vector<std::string> codes{};  // 12 plaintext digits each, at most core::kMaxRevokedOfflineCodes
  uint32_t generation = 0;
  LATCHKEY_ARGS(RevokeOfflineCodesRequest);
};

#undef LATCHKEY_ARGS

// Op -> its request struct.
template <Op kOp>
struct RequestOf;
#define LATCHKEY_OP(op, T) \
  template <>              \
  struct RequestOf<Op::op> { using Type = T; }
LATCHKEY_OP(kGetState, NoArgs);
LATCHKEY_OP(kLock, RemoteRequest);
LATCHKEY_OP(kUnlock, RemoteRequest);
LATCHKEY_OP(kUnlatch, RemoteRequest);
LATCHKEY_OP(kGetSettings, NoArgs);
LATCHKEY_OP(kSetSettings, SetSettingsRequest);
LATCHKEY_OP(kListUsers, ListUsersRequest);
LATCHKEY_OP(kGetUser, GetUserRequest);
LATCHKEY_OP(kSetUser, SetUserRequest);
LATCHKEY_OP(kClearUser, ClearUserRequest);
LATCHKEY_OP(kListCredentials, ListCredentialsRequest);
LATCHKEY_OP(kGetCredential, GetCredentialRequest);
LATCHKEY_OP(kSetCredential, SetCredentialRequest);
LATCHKEY_OP(kClearCredential, ClearCredentialRequest);
LATCHKEY_OP(kListSchedules, ListSchedulesRequest);
LATCHKEY_OP(kSetSchedule, SetScheduleRequest);
LATCHKEY_OP(kClearSchedule, ClearScheduleRequest);
LATCHKEY_OP(kListHolidays, ListHolidaysRequest);
LATCHKEY_OP(kSetHoliday, SetHolidayRequest);
LATCHKEY_OP(kClearHoliday, ClearHolidayRequest);
LATCHKEY_OP(kSetTime, SetTimeRequest);
LATCHKEY_OP(kUnpair, NoArgs);
LATCHKEY_OP(kSim, SimRequest);
LATCHKEY_OP(kSetHomeKey, SetHomeKeyRequest);
LATCHKEY_OP(kRevokePhoneKeys, RevokePhoneKeysRequest);
LATCHKEY_OP(kSetOfflineKey, SetOfflineKeyRequest);
LATCHKEY_OP(kRevokeOfflineCodes, RevokeOfflineCodesRequest);
#undef LATCHKEY_OP

template <Op kOp>
using RequestFor = typename RequestOf<kOp>::Type;

template <typename R>
Json EncodeRequest(const R& request) {
  return R::Fields().Encode(request);
}
// `args` must be an object (a null `args` is the lock's to read as {}).
template <typename R>
core::Result<R> DecodeRequest(const Json& args) {
  return R::Fields().Decode(args);
}

// `args` decoded as op `op`'s request and encoded again (the fuzz target and the tests: what
// decodes must encode to a document that decodes to the same again). The lock decodes into the
// struct itself.
core::Result<Json> RecodeRequest(Op op, const Json& args);

}  // namespace latchkey::link
