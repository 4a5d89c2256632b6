// The wire forms of the lock's records: round trips, and strict refusal of what is malformed.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace latchkey::wire
