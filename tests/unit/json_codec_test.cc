// The wire forms of the lock's records: round trips, and strict refusal of what is malformed.
#include <gtest/gtest.h>

#include "wire/event_forms.h"
#include "wire/json_codec.h"

namespace latchkey::wire {
namespace {

TEST(JsonCodecTest, SettingsRoundTrip) {
  core::Settings s;
  s.auto_relock_s = 30;
  s.timezone = "Europe/Berlin";
  auto back = SettingsFromJson(SettingsToJson(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, s);
}

// Found by fuzz_message: a null field passed the presence check and was dereferenced.
TEST(JsonCodecTest, SettingsWithANullFieldAreRefused) {
  Json j = SettingsToJson(core::Settings{});
  j["timezone"] = nullptr;
  EXPECT_FALSE(SettingsFromJson(j).ok());
  j.erase("timezone");
  EXPECT_FALSE(SettingsFromJson(j).ok());
}

// Settings stored before max_wrong_per_hour existed still load, with its default; once there,
// it round-trips like every other field.
TEST(JsonCodecTest, SettingsFromBeforeTheHourlyBudgetLoadWithItsDefault) {
  core::Settings s;
  s.max_wrong_per_hour = 42;
  Json j = SettingsToJson(s);
  EXPECT_EQ(j["max_wrong_per_hour"], 42);
  auto back = SettingsFromJson(j);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, s);
  j.erase("max_wrong_per_hour");
  back = SettingsFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->max_wrong_per_hour, 10u);
}

// The runtime record keeps both classes of wrong attempts and the budgets; one stored before
// they existed loads with nothing counted.
TEST(JsonCodecTest, RuntimeKeepsBothClassesAndLoadsFromBefore) {
  core::RuntimeState r;
  r.wrong_attempts = 3;
  r.remote_wrong_attempts = 2;
  r.remote_lockout_level = 1;
  r.remote_lockout_remaining_ms = 5000;
  r.door_wrong_ages_ms = {3'000'000, 20, 0};
  r.remote_wrong_ages_ms = {7};
  r.door_budget_alarm_quiet_ms = 99;
  r.remote_budget_alarm_quiet_ms = 100;
  Json j = EncodeRuntime(r);
  auto back = DecodeRuntime(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, r);
  for (const char* key : {"remote_wrong_attempts", "remote_lockout_level", "remote_lockout_remaining_ms",
                          "door_wrong_ages_ms", "remote_wrong_ages_ms", "door_budget_alarm_quiet_ms",
                          "remote_budget_alarm_quiet_ms"}) {
    j.erase(key);
  }
  back = DecodeRuntime(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->wrong_attempts, 3u);
  EXPECT_EQ(back->remote_wrong_attempts, 0u);
  EXPECT_TRUE(back->door_wrong_ages_ms.empty());
  j["door_wrong_ages_ms"] = Json::array({"1"});
  EXPECT_FALSE(DecodeRuntime(j).ok());
  j["door_wrong_ages_ms"] = std::vector<int64_t>(61, 1);
  EXPECT_FALSE(DecodeRuntime(j).ok());
}

TEST(JsonCodecTest, SettingsPatchRefusesUnknownFieldsAndWrongTypes) {
  EXPECT_FALSE(SettingsPatchFromJson(Json{{"auto_relock", 3}}).ok());
  EXPECT_FALSE(SettingsPatchFromJson(Json{{"auto_relock_s", "3"}}).ok());
  EXPECT_FALSE(SettingsPatchFromJson(Json{{"auto_relock_s", -1}}).ok());
  EXPECT_FALSE(SettingsPatchFromJson(Json{{"sound_volume", "loud"}}).ok());
  EXPECT_FALSE(SettingsPatchFromJson(Json::array()).ok());
  auto ok = SettingsPatchFromJson(Json{{"auto_relock_s", 3}, {"sound_volume", "low"}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->auto_relock_s, 3u);
}

TEST(JsonCodecTest, EventRoundTripKeepsEveryField) {
  core::Event e = core::OperationEvent(core::Operation::kUnlock, core::Source::kKeypad);
  e.seq = 7;
  e.time_ms = 1795593600000;
  e.user = core::IndexOrAll{3, false};
  e.credential = core::CredentialRef{core::CredentialType::kPin, 2};
  e.hash[0] = 0xab;
  auto back = EventFromJson(EventToJson(e));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, e);
}

TEST(JsonCodecTest, EventWithABadHashIsRefused) {
  Json j = EventToJson(core::AlarmEvent(core::AlarmKind::kTamper));
  j["seq"] = 1;
  j["hash"] = "zz";
  EXPECT_FALSE(EventFromJson(j).ok());
}

// The envelope the hub's mirror reads: any kind, no hash needed, a user or "all"; the rest is
// refused with the field's name.
TEST(JsonCodecTest, EventEnvelopeReadsWhatEveryEventHas) {
  Json j{{"seq", 5}, {"time", -20}, {"kind", "a_kind_of_a_newer_lock"}, {"user", 7}};
  auto e = EventEnvelopeFromJson(j);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->seq, 5u);
  EXPECT_EQ(e->time_ms, -20);
  EXPECT_EQ(e->kind, "a_kind_of_a_newer_lock");
  EXPECT_EQ(e->user, (core::IndexOrAll{7, false}));
  j["user"] = "all";
  EXPECT_EQ(EventEnvelopeFromJson(j)->user, core::IndexOrAll::All());
  j.erase("user");
  EXPECT_EQ(EventEnvelopeFromJson(j)->user, std::nullopt);
  j["seq"] = uint64_t{INT64_MAX};
  EXPECT_TRUE(EventEnvelopeFromJson(j).ok());

  const auto with = [&](const char* key, const Json& value) {
    Json bad = j;
    bad[key] = value;
    return bad;
  };
  for (const Json& bad : {with("seq", 0), with("seq", uint64_t{INT64_MAX} + 1), with("seq", "1"), with("kind", ""),
                          with("kind", 3), with("time", 1.5), with("user", nullptr), with("user", "bob"),
                          with("user", uint64_t{1} << 32), Json::array()}) {
    const auto refused = EventEnvelopeFromJson(bad);
    EXPECT_EQ(refused.status().code(), core::Code::kInvalid) << bad.dump();
  }
  EXPECT_NE(EventEnvelopeFromJson(with("user", nullptr)).status().message().find("user"), std::string::npos);
}

}  // namespace
}  // namespace latchkey::wire
