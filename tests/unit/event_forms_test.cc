// The forms of events and of the runtime record (wire/event_forms.h): every event builder
// round-trips in every form; the store and link documents are pinned (the on-disk format and what
// the hub mirrors); the API form's times are RFC 3339 and hub::ApiEventJson writes what it wrote
// before the table existed; a bad field is refused by name; old runtime records still load.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hub/api_json.h"
#include "platform/time_format.h"
#include "wire/event_forms.h"
#include "wire/json_codec.h"

namespace latchkey::wire {
namespace {

constexpr Form kForms[] = {Form::kStore, Form::kLink, Form::kApi};
constexpr int64_t kTime = 1'795'593'600'123;  // 2026-11-25T08:00:00.123Z

core::Digest SomeHash(uint8_t first) {
  core::Digest hash{};
  for (std::size_t i = 0; i < hash.size(); ++i) hash[i] = static_cast<uint8_t>(first + i);
  return hash;
}

// Every builder of core/event.h, with the fields the lock adds to some of them.
std::vector<core::Event> EveryEvent() {
  const core::Actor owner{core::Source::kRemote, "owner", true};
  std::vector<core::Event> events;
  core::Event unlock = core::OperationEvent(core::Operation::kUnlock, core::Source::kKeypad);
  unlock.user = core::IndexOrAll{3, false};
  unlock.credential = core::CredentialRef{core::CredentialType::kPin, 2};
  events.push_back(unlock);
  events.push_back(core::OperationEvent(core::Operation::kLock, core::Source::kManual));
  events.push_back(core::OperationErrorEvent(core::Operation::kUnlock, core::Source::kRfid,
                                             core::AccessError::kInvalidCredential));
  events.push_back(core::AlarmEvent(core::AlarmKind::kTamper));
  core::Event lost = core::AlarmEvent(core::AlarmKind::kEventsLost);
  lost.count = 12;
  events.push_back(lost);
  events.push_back(core::DoorEvent(core::DoorState::kOpen));
  core::Event cleared = core::ChangeEvent(core::DataType::kUser, core::ChangeOperation::kClear, owner);
  cleared.user = core::IndexOrAll::All();
  cleared.index = core::IndexOrAll::All();
  events.push_back(cleared);
  core::Event added = core::ChangeEvent(core::DataType::kPin, core::ChangeOperation::kAdd, core::Actor{});
  added.user = core::IndexOrAll{7, false};
  added.index = core::IndexOrAll{4, false};
  events.push_back(added);
  events.push_back(core::PowerEvent(true));
  events.push_back(core::ClockEvent(kTime - 60'000, kTime, false, owner));
  events.push_back(core::ClockEvent(0, kTime, true, owner));
  for (std::size_t i = 0; i < events.size(); ++i) {
    events[i].seq = i + 1;
    events[i].time_ms = kTime + static_cast<int64_t>(i);
    events[i].hash = SomeHash(static_cast<uint8_t>(i));
  }
  return events;
}

// What hub::ApiEventJson wrote before events had an API form: the mirrored body with its times
// converted, plus "lock".
Json GenericApiJson(Json event, const std::string& lock) {
  for (const char* key : {"time", "from", "to"}) {
    if (event.contains(key) && event[key].is_number_integer()) {
      event[key] = platform::FormatRfc3339Ms(event[key].get<int64_t>());
    }
  }
  event["lock"] = lock;
  return event;
}

TEST(EventFormsTest, EveryEventRoundTripsInEveryForm) {
  for (Form form : kForms) {
    for (const core::Event& e : EveryEvent()) {
      const Json j = EncodeEvent(form, e);
      auto back = DecodeEvent(form, j);
      ASSERT_TRUE(back.ok()) << j.dump() << ": " << back.status().ToString();
      EXPECT_EQ(*back, e) << j.dump();
    }
  }
}

// The on-disk format and the link's: the document the hand-written codec wrote.
TEST(EventFormsTest, TheStoreAndLinkDocumentsAreAsTheyWere) {
  const std::vector<core::Event> events = EveryEvent();
  const Json unlock{{"seq", 1},
                    {"time", kTime},
                    {"kind", "lock_operation"},
                    {"operation", "unlock"},
                    {"source", "keypad"},
                    {"user", 3},
                    {"credential", {{"type", "pin"}, {"index", 2}}},
                    {"hash", ToHex(SomeHash(0))}};
  const Json cleared{{"seq", 7},      {"time", kTime + 6},     {"kind", "change"},  {"operation", "clear"},
                     {"source", "remote"}, {"user", "all"},    {"actor", "owner"},  {"data_type", "user"},
                     {"index", "all"},  {"hash", ToHex(SomeHash(6))}};
  const Json clock{{"seq", 11},          {"time", kTime + 10}, {"kind", "change"},     {"operation", "modify"},
                   {"source", "remote"}, {"actor", "owner"},   {"data_type", "clock"}, {"from", 0},
                   {"to", kTime},        {"forced", true},     {"hash", ToHex(SomeHash(10))}};
  for (Form form : {Form::kStore, Form::kLink}) {
    EXPECT_EQ(EncodeEvent(form, events[0]), unlock);
    EXPECT_EQ(EncodeEvent(form, events[6]), cleared);
    EXPECT_EQ(EncodeEvent(form, events[10]), clock);
  }
  EXPECT_EQ(EventToJson(events[0]), unlock);
  EXPECT_EQ(unlock["hash"], "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
}

TEST(EventFormsTest, TheApiFormWritesTimesAsRfc3339) {
  const core::Event clock = EveryEvent()[9];
  const Json j = EncodeEvent(Form::kApi, clock);
  EXPECT_EQ(j["time"], "2026-11-25T08:00:00.132Z");
  EXPECT_EQ(j["from"], "2026-11-25T07:59:00.123Z");
  EXPECT_EQ(j["to"], "2026-11-25T08:00:00.123Z");
  Json link = EncodeEvent(Form::kLink, clock);
  for (const char* key : {"time", "from", "to"}) link.erase(key);
  Json rest = j;
  for (const char* key : {"time", "from", "to"}) rest.erase(key);
  EXPECT_EQ(rest, link);  // the rest is the link form's
  // Any RFC 3339 text is read, as the API reads times.
  Json offset = j;
  offset["time"] = "2026-11-25T09:00:00.132+01:00";
  auto back = DecodeEvent(Form::kApi, offset);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->time_ms, clock.time_ms);
}

// The history, the stream and the webhooks show each known event as before the table existed
// (RenderedEvents' cached text, the API tests' documents).
TEST(EventFormsTest, ApiEventJsonWritesWhatItWroteBefore) {
  for (const core::Event& e : EveryEvent()) {
    Json mirrored = EncodeEvent(Form::kLink, e);
    mirrored["lock"] = "lk-a";  // as HubStore::ParseStoredEvent gives it
    const Json api = hub::ApiEventJson(mirrored, "lk-a");
    EXPECT_EQ(api, GenericApiJson(mirrored, "lk-a")) << mirrored.dump();
    EXPECT_EQ(api.dump(), GenericApiJson(mirrored, "lk-a").dump());
    Json without_lock = api;
    without_lock.erase("lock");
    EXPECT_EQ(without_lock, EncodeEvent(Form::kApi, e));
  }
}

// What the table cannot read, or would not write back whole, keeps its fields.
TEST(EventFormsTest, ApiEventJsonKeepsWhatANewerLockSent) {
  Json newer_kind{{"seq", 4}, {"time", kTime}, {"kind", "a_kind_of_a_newer_lock"}, {"from", 5}, {"hash", "00"}};
  EXPECT_EQ(hub::ApiEventJson(newer_kind, "lk-a"), GenericApiJson(newer_kind, "lk-a"));
  Json newer_field = EncodeEvent(Form::kLink, EveryEvent()[3]);
  newer_field["severity"] = "high";
  const Json api = hub::ApiEventJson(newer_field, "lk-a");
  EXPECT_EQ(api, GenericApiJson(newer_field, "lk-a"));
  EXPECT_EQ(api["severity"], "high");
  Json upper = EncodeEvent(Form::kLink, EveryEvent()[3]);
  upper["hash"] = std::string(64, 'A');
  EXPECT_EQ(hub::ApiEventJson(upper, "lk-a")["hash"], std::string(64, 'A'));
}

// `json` decoded in `form`, refused with `message`.
void ExpectRefused(Form form, const Json& json, const std::string& message) {
  auto r = DecodeEvent(form, json);
  ASSERT_FALSE(r.ok()) << json.dump();
  EXPECT_EQ(r.status().message(), message) << json.dump();
}

TEST(EventFormsTest, ABadFieldIsRefusedByName) {
  const Json good = EncodeEvent(Form::kLink, EveryEvent()[0]);
  const auto with = [&](const char* key, const Json& value) {
    Json bad = good;
    bad[key] = value;
    return bad;
  };
  ExpectRefused(Form::kLink, with("seq", 0), "seq: must be in 1..18446744073709551615");
  ExpectRefused(Form::kLink, with("time", "2026-11-26T08:00:00Z"), "time: must be a whole number");
  ExpectRefused(Form::kLink, with("kind", "party"), "kind: 'party' is not a known value");
  ExpectRefused(Form::kLink, with("operation", "clear"), "operation: 'clear' is not a known value");
  ExpectRefused(Form::kLink, with("user", "bob"), "user: must be a whole number");
  ExpectRefused(Form::kLink, with("user", uint64_t{1} << 32), "user: must be in 0..4294967295");
  ExpectRefused(Form::kLink, with("credential", 3), "credential must be a JSON object");
  ExpectRefused(Form::kLink, with("credential", Json{{"type", "pen"}, {"index", 1}}),
                "type: 'pen' is not a known value");
  ExpectRefused(Form::kLink, with("actor", std::string(257, 'a')), "actor: is longer than 256 bytes");
  ExpectRefused(Form::kLink, with("count", -1), "count: must be in 0..18446744073709551615");
  ExpectRefused(Form::kLink, with("forced", 1), "forced: must be true or false");
  ExpectRefused(Form::kLink, with("hash", "zz"), "hash: must be 64 hex digits");
  Json no_hash = good;
  no_hash.erase("hash");
  ExpectRefused(Form::kStore, no_hash, "hash: is required");
  ExpectRefused(Form::kStore, Json::array(), "event must be a JSON object");
  // A change's "operation" is a change operation.
  Json change = EncodeEvent(Form::kLink, EveryEvent()[6]);
  change["operation"] = "unlock";
  ExpectRefused(Form::kLink, change, "operation: 'unlock' is not a known value");
  // The API form's times are text.
  const Json api = EncodeEvent(Form::kApi, EveryEvent()[9]);
  Json bad_time = api;
  bad_time["time"] = kTime;
  ExpectRefused(Form::kApi, bad_time, "time: must be a string");
  bad_time["time"] = "yesterday";
  ExpectRefused(Form::kApi, bad_time, "time: must be an RFC 3339 time");
  bad_time = api;
  bad_time["to"] = "2026-13-01T00:00:00Z";
  ExpectRefused(Form::kApi, bad_time, "to: must be an RFC 3339 time");
  // Unknown fields pass every form (a newer lock's).
  Json extra = good;
  extra["severity"] = "high";
  EXPECT_TRUE(DecodeEvent(Form::kLink, extra).ok());
}

core::RuntimeState SomeRuntime() {
  core::RuntimeState r;
  r.lock_state = core::LockState::kLocked;
  r.door_state = core::DoorState::kClosed;
  r.wrong_attempts = 3;
  r.lockout_level = 1;
  r.lockout_remaining_ms = 4000;
  r.remote_wrong_attempts = 2;
  r.remote_lockout_level = 1;
  r.remote_lockout_remaining_ms = 5000;
  r.door_wrong_ages_ms = {3'000'000, 20, 0};
  r.remote_wrong_ages_ms = {7};
  r.door_budget_alarm_quiet_ms = 99;
  r.remote_budget_alarm_quiet_ms = 100;
  r.relock_remaining_ms = 30'000;
  r.relock_waiting_for_door = true;
  r.battery_mv = 5100;
  r.external_power = true;
  r.low_battery_raised = true;
  r.door_ajar_raised = true;
  r.door_open_ms = 1234;
  r.pending_user = 65534;
  r.pending_credentials = {{core::CredentialType::kPin, 2}, {core::CredentialType::kRfid, 9}};
  r.pending_remaining_ms = 8000;
  r.pending_source = core::Source::kRfid;
  r.pending_operation = core::Operation::kLock;
  r.clock_trusted = false;
  r.latest_wall_ms = kTime;
  r.wall_estimate_ms = kTime + 5;
  r.last_seq = 42;
  r.last_hash = SomeHash(1);
  r.acked_seq = 40;
  r.first_seq = 3;
  return r;
}

TEST(EventFormsTest, TheRuntimeRecordRoundTripsAsItWasStored) {
  const core::RuntimeState r = SomeRuntime();
  const Json j = EncodeRuntime(r);
  auto back = DecodeRuntime(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, r);
  // The on-disk document (a new lock's): every field, "last_hash" as hex.
  const Json fresh{{"lock_state", "unknown"},         {"door_state", "unknown"},
                   {"wrong_attempts", 0},             {"lockout_level", 0},
                   {"lockout_remaining_ms", 0},       {"remote_wrong_attempts", 0},
                   {"remote_lockout_level", 0},       {"remote_lockout_remaining_ms", 0},
                   {"door_wrong_ages_ms", Json::array()}, {"remote_wrong_ages_ms", Json::array()},
                   {"door_budget_alarm_quiet_ms", 0}, {"remote_budget_alarm_quiet_ms", 0},
                   {"relock_remaining_ms", 0},        {"relock_waiting_for_door", false},
                   {"battery_mv", 6000},              {"external_power", false},
                   {"low_battery_raised", false},     {"critical_battery_raised", false},
                   {"door_ajar_raised", false},       {"door_open_ms", 0},
                   {"pending_user", 0},               {"pending_credentials", Json::array()},
                   {"pending_remaining_ms", 0},       {"pending_source", "keypad"},
                   {"pending_operation", "unlock"},   {"clock_trusted", true},
                   {"latest_wall_ms", 0},             {"wall_estimate_ms", 0},
                   {"last_seq", 0},                   {"last_hash", std::string(64, '0')},
                   {"acked_seq", 0},                  {"first_seq", 1}};
  EXPECT_EQ(EncodeRuntime(core::RuntimeState{}), fresh);
  EXPECT_EQ(j["pending_credentials"], Json::parse(R"([{"type": "pin", "index": 2}, {"type": "rfid", "index": 9}])"));
}

// A record stored before wave 2 (no remote class, budgets or pending credentials) and before the
// wall estimate still loads, with nothing counted.
TEST(EventFormsTest, AnOldRuntimeRecordStillLoads) {
  Json j = EncodeRuntime(SomeRuntime());
  for (const char* key : {"remote_wrong_attempts", "remote_lockout_level", "remote_lockout_remaining_ms",
                          "door_wrong_ages_ms", "remote_wrong_ages_ms", "door_budget_alarm_quiet_ms",
                          "remote_budget_alarm_quiet_ms", "pending_user", "pending_credentials",
                          "pending_remaining_ms", "pending_source", "pending_operation", "wall_estimate_ms"}) {
    j.erase(key);
  }
  auto back = DecodeRuntime(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  core::RuntimeState expected = SomeRuntime();
  const core::RuntimeState defaults;
  expected.remote_wrong_attempts = expected.remote_lockout_level = 0;
  expected.remote_lockout_remaining_ms = expected.door_budget_alarm_quiet_ms = expected.remote_budget_alarm_quiet_ms = 0;
  expected.door_wrong_ages_ms.clear();
  expected.remote_wrong_ages_ms.clear();
  expected.pending_user = 0;
  expected.pending_credentials.clear();
  expected.pending_remaining_ms = 0;
  expected.pending_source = defaults.pending_source;
  expected.pending_operation = defaults.pending_operation;
  expected.wall_estimate_ms = 0;
  EXPECT_EQ(*back, expected);
}

TEST(EventFormsTest, ABadRuntimeFieldIsRefusedByName) {
  const Json good = EncodeRuntime(SomeRuntime());
  const auto refused = [&](const char* key, const Json& value, const std::string& message) {
    Json bad = good;
    if (value.is_discarded()) bad.erase(key);
    else bad[key] = value;
    auto r = DecodeRuntime(bad);
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.status().message(), message) << key;
  };
  const Json absent(Json::value_t::discarded);
  refused("lock_state", absent, "lock_state: is required");
  refused("first_seq", 0, "first_seq: must be in 1..18446744073709551615");
  refused("pending_user", 65535, "pending_user: must be in 0..65534");
  refused("door_wrong_ages_ms", Json::array({"1"}), "door_wrong_ages_ms: each is a whole number");
  refused("remote_wrong_ages_ms", std::vector<int64_t>(61, 1), "remote_wrong_ages_ms: must be a list of at most 60");
  refused("pending_credentials", Json::array({3}), "pending_credentials must be a JSON object");
  refused("pending_credentials", 3, "pending_credentials: must be a list");
  refused("last_hash", "00", "last_hash: must be 64 hex digits");
  refused("wall_estimate_ms", "soon", "wall_estimate_ms: must be a whole number");
  refused("clock_trusted", absent, "clock_trusted: is required");
}

}  // namespace
}  // namespace latchkey::wire
