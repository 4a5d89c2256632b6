// The typed link contract: every op of docs/link.md has a name, a request struct with a field
// table and a handler on the lock; every request round-trips through its table; decoding names
// the field it refuses; the forms of settings and users (wire/record_forms.h; schedules, holidays
// and credential refs: record_forms_test.cc).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "device/lock_ops.h"
#include "device/sim_world.h"
#include "link/op_requests.h"
#include "link/ops.h"
#include "link/sim_inputs.h"
#include "wire/record_forms.h"

namespace latchkey::link {
namespace {

// The ops of docs/link.md "Requests" (LINK.md's list and its "...").
const std::set<std::string> kDocumentedOps = {
    "get_state",       "lock",          "unlock",         "unlatch",          "get_settings",   "set_settings",
    "list_users",      "get_user",      "set_user",       "clear_user",       "list_credentials",
    "get_credential",  "set_credential", "clear_credential", "list_schedules", "set_schedule",
    "clear_schedule",  "list_holidays", "set_holiday",    "clear_holiday",    "set_time",       "unpair",
    "sim",             "set_home_key",  "revoke_phone_keys", "set_offline_key", "revoke_offline_codes"};

TEST(LinkOpsTest, EveryDocumentedOpHasAName) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < kOpCount; ++i) {
    const auto op = static_cast<Op>(i);
    names.emplace(ToString(op));
    EXPECT_EQ(ParseOp(ToString(op)), op);
  }
  EXPECT_EQ(names, kDocumentedOps);
  EXPECT_FALSE(ParseOp("format_disk"));
  EXPECT_FALSE(ParseOp(""));
}

// Fails when an op is added to link::Op without a handler in device/lock_ops.cc.
TEST(LinkOpsTest, TheLockHandlesEveryOp) {
  for (std::size_t i = 0; i < kOpCount; ++i) {
    EXPECT_TRUE(device::LockOps::Handles(static_cast<Op>(i))) << ToString(static_cast<Op>(i));
  }
}

TEST(LinkOpsTest, TheSimWorldHandlesEveryInput) {
  const std::set<std::string> documented = {"keypad",  "rfid",           "finger", "face", "button",
                                            "thumbturn", "key",          "door",   "battery",
                                            "external_power", "tamper",  "jam",    "clock", "power_cycle",
                                            "network"};
  std::set<std::string> names;
  for (std::size_t i = 0; i < kSimInputCount; ++i) {
    const auto what = static_cast<SimInput>(i);
    names.emplace(ToString(what));
    EXPECT_EQ(ParseSimInput(ToString(what)), what);
    EXPECT_TRUE(device::SimWorld::Handles(what)) << ToString(what);
  }
  EXPECT_EQ(names, documented);
}

// One filled request per struct: encoding it, decoding that and encoding again gives the same
// document, and the document holds every field of the struct's table.
template <typename R>
void ExpectRoundTrip(const R& request) {
  const Json encoded = EncodeRequest(request);
  for (const std::string& name : R::Fields().names()) EXPECT_TRUE(encoded.contains(name)) << name << " in " << encoded;
  auto decoded = DecodeRequest<R>(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString() << " for " << encoded;
  EXPECT_EQ(EncodeRequest(*decoded), encoded);
}

core::SettingsPatch FullPatch() {
  const core::Settings s;
  return core::SettingsPatch{s.auto_relock_s, s.wrong_code_limit, s.lockout_s, s.lockout_escalation,
                             s.lockout_max_s, s.max_wrong_per_hour, s.expiring_user_timeout_min,
                             s.require_pin_for_remote, s.one_touch_locking, s.multi_factor_window_s,
                             s.door_ajar_s, s.sound_volume, s.operating_mode, s.timezone, s.name};
}

TEST(LinkOpsTest, EveryRequestRoundTrips) {
  using core::CredentialType;
  ExpectRoundTrip(NoArgs{});
  ExpectRoundTrip(RemoteRequest{.pin = "123456", .timeout_s = 30});
  ExpectRoundTrip(SetSettingsRequest{.settings = FullPatch()});
  ExpectRoundTrip(ListUsersRequest{.from = 3, .limit = 10});
  ExpectRoundTrip(GetUserRequest{.index = 7});
  ExpectRoundTrip(SetUserRequest{.action = "modify", .index = 2, .name = "Ann", .unique_id = 9,
                                 .status = core::UserStatus::kDisabled, .type = core::UserType::kExpiring,
                                 .credential_rule = core::CredentialRule::kDual});
  ExpectRoundTrip(ClearUserRequest{.all = true, .index = 4});
  ExpectRoundTrip(ListCredentialsRequest{.type = CredentialType::kRfid, .from = 1, .limit = 2});
  ExpectRoundTrip(GetCredentialRequest{.type = CredentialType::kPin, .index = 5});
  ExpectRoundTrip(SetCredentialRequest{.action = "add", .type = CredentialType::kPin, .index = 1, .data = "123456",
                                       .user = 3, .user_type = core::UserType::kUnrestricted,
                                       .user_status = core::UserStatus::kEnabled});
  ExpectRoundTrip(ClearCredentialRequest{.type = CredentialType::kFace, .index = 2});
  ExpectRoundTrip(ListSchedulesRequest{.user = 3, .from = 0, .limit = 5});
  core::WeekDaySchedule week;
  week.index = 2;
  week.days = 0b0011111;
  week.start_min = 8 * 60;
  week.end_min = 17 * 60 + 30;
  ExpectRoundTrip(SetScheduleRequest{.user = 3, .schedule = week});
  core::YearDaySchedule year;
  year.start = *core::LocalDateTime::Parse("2026-07-01T00:00");
  year.end = *core::LocalDateTime::Parse("2026-07-14T23:59");
  ExpectRoundTrip(SetScheduleRequest{.user = 3, .schedule = year});
  ExpectRoundTrip(ClearScheduleRequest{.user = 3, .kind = "year_day", .index = 1});
  ExpectRoundTrip(ListHolidaysRequest{.from = 1, .limit = 1});
  core::HolidaySchedule holiday;
  holiday.index = 1;
  holiday.start = year.start;
  holiday.end = year.end;
  holiday.mode = core::OperatingMode::kVacation;
  ExpectRoundTrip(SetHolidayRequest{.holiday = holiday});
  ExpectRoundTrip(ClearHolidayRequest{.index = 1});
  ExpectRoundTrip(SetTimeRequest{.time = 1'780'000'000'000, .force = true});
  ExpectRoundTrip(SimRequest{.what = "door", .input = Json{{"state", "open"}}});
}

TEST(LinkOpsTest, RequestsKeepTheWireNames) {
  EXPECT_EQ(EncodeRequest(ClearUserRequest{.index = 3}), (Json{{"index", 3}}));
  EXPECT_EQ(EncodeRequest(ClearScheduleRequest{.user = 2, .kind = "week_day"}), (Json{{"user", 2}, {"kind", "week_day"}}));
  EXPECT_EQ(EncodeRequest(SetTimeRequest{.time = 5}), (Json{{"time", 5}}));
  EXPECT_EQ(EncodeRequest(SimRequest{.what = "keypad", .input = Json{{"keys", "1#"}, {"what", "door"}}}),
            (Json{{"what", "keypad"}, {"keys", "1#"}}));
  EXPECT_EQ(EncodeRequest(ListCredentialsRequest{.type = core::CredentialType::kPin}), (Json{{"type", "pin"}}));
}

std::string Refusal(Op op, const Json& args) {
  auto r = RecodeRequest(op, args);
  EXPECT_FALSE(r.ok()) << args;
  EXPECT_EQ(r.status().code(), core::Code::kInvalid);
  return r.status().message();
}

TEST(LinkOpsTest, DecodingNamesTheFieldItRefuses) {
  EXPECT_EQ(Refusal(Op::kClearUser, Json{{"index", "3"}}), "index: must be a whole number");
  EXPECT_EQ(Refusal(Op::kClearUser, Json{{"idx", 3}}), "idx: is not a known field");
  EXPECT_EQ(Refusal(Op::kClearUser, Json{{"index", 70000}}), "index: must be in 0..65535");
  EXPECT_EQ(Refusal(Op::kGetUser, Json::object()), "index: is required");
  EXPECT_EQ(Refusal(Op::kGetCredential, Json{{"type", "pen"}, {"index", 1}}), "type: 'pen' is not a known value");
  EXPECT_EQ(Refusal(Op::kSetTime, Json{{"time", 1}, {"force", "yes"}}), "force: must be true or false");
  EXPECT_EQ(Refusal(Op::kGetState, Json{{"verbose", true}}), "verbose: is not a known field");
  EXPECT_EQ(Refusal(Op::kSetSettings, Json::object()), "settings: is required");
  EXPECT_EQ(Refusal(Op::kSetSettings, Json{{"settings", {{"colour", "red"}}}}), "colour: is not a known field");
  EXPECT_EQ(Refusal(Op::kSetSettings, Json{{"settings", {{"lockout_s", nullptr}}}}), "lockout_s: cannot be null");
  EXPECT_EQ(Refusal(Op::kSetSchedule, Json{{"user", 1}, {"kind", "monthly"}}), "kind: must be week_day or year_day");
  EXPECT_EQ(Refusal(Op::kSetSchedule, Json{{"user", 1}, {"kind", "week_day"}, {"start", "08:00"}, {"end", "09:00"}}),
            "days: is required");
  EXPECT_EQ(Refusal(Op::kListUsers, Json{{"limit", 0}}), "limit: must be in 1..65535");
  EXPECT_EQ(Refusal(Op::kSim, Json{{"keys", "1"}}), "what: is required");
  // Every request may say who asked; the lock reads that apart.
  EXPECT_TRUE(RecodeRequest(Op::kClearUser, Json{{"index", 1}, {"actor", {{"name", "ann"}, {"role", "owner"}}}}).ok());
}

TEST(LinkOpsTest, SimInputsAreStrict) {
  EXPECT_TRUE(DecodeSimInput<SimDoor>(Json{{"state", "open"}, {"actor", {{"name", "ann"}}}}).ok());
  auto unknown = DecodeSimInput<SimDoor>(Json{{"stat", "open"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "stat: is not a known field");
  auto range = DecodeSimInput<SimBattery>(Json{{"percent", 101}});
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.status().message(), "percent: must be in 0..100");
  EXPECT_EQ(EncodeSimInput(SimBiometric{.template_id = "f1"}), (Json{{"template", "f1"}}));
}

// --- the forms of wire/record_forms.h ---------------------------------------------------------

TEST(RecordFormsTest, SettingsRoundTripInEveryForm) {
  core::Settings s;
  s.auto_relock_s = 30;
  s.name = "front door";
  s.sound_volume = core::SoundVolume::kHigh;
  for (auto form : {wire::Form::kStore, wire::Form::kLink, wire::Form::kApi}) {
    auto back = wire::DecodeSettings(form, wire::EncodeSettings(form, s));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, s);
  }
}

TEST(RecordFormsTest, SettingsAddedLaterMayBeAbsentFromAStore) {
  Json stored = wire::EncodeSettings(wire::Form::kStore, core::Settings{});
  stored.erase("max_wrong_per_hour");
  EXPECT_TRUE(wire::DecodeSettings(wire::Form::kStore, stored).ok());
  stored.erase("lockout_s");
  auto missing = wire::DecodeSettings(wire::Form::kStore, stored);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "lockout_s: is required");
}

TEST(RecordFormsTest, UsersRoundTripAndKeepTheirShape) {
  core::User u;
  u.index = 4;
  u.name = "Bo";
  u.credentials.push_back({core::CredentialType::kPin, 2});
  u.expires_at_ms = 99;
  for (auto form : {wire::Form::kStore, wire::Form::kLink, wire::Form::kApi}) {
    const Json j = wire::EncodeUser(form, u);
    EXPECT_TRUE(j.at("unique_id").is_null());  // absent: null, as API.md shows it
    EXPECT_EQ(j.at("expires_at"), 99);
    auto back = wire::DecodeUser(form, j);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, u);
  }
  u.expires_at_ms.reset();
  EXPECT_FALSE(wire::EncodeUser(wire::Form::kLink, u).contains("expires_at"));
  auto bad = wire::DecodeUser(wire::Form::kStore, Json{{"index", 0}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "index: must be in 1..65534");
}

}  // namespace
}  // namespace latchkey::link
