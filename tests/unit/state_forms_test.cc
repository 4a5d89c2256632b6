// The forms of what a lock reports about itself (wire/state_forms.h) and the typed answers of
// link/op_answers.h that carry them: each table round-trips, the documents keep the names the
// hub, the API and older tools read, and a bad field is refused by name.
#include <gtest/gtest.h>

#include "link/op_answers.h"
#include "wire/state_forms.h"

namespace latchkey::wire {
namespace {

using Json = nlohmann::json;

core::LockStatus SomeStatus() {
  core::LockStatus s;
  s.lock_state = core::LockState::kLocked;
  s.door_state = core::DoorState::kClosed;
  s.battery = {.millivolts = 5600, .percent = 80, .low = false, .critical = false, .external_power = true};
  s.operating_mode = core::OperatingMode::kPrivacy;
  s.clock_trusted = false;
  s.lockout_remaining_ms = 1;
  s.remote_lockout_remaining_ms = 2;
  s.door_budget_wait_ms = 3;
  s.remote_budget_wait_ms = 4;
  s.last_seq = 42;
  return s;
}

TEST(StateFormsTest, StatusKeepsItsDocument) {
  const Json j = EncodeStatus(Form::kLink, SomeStatus());
  EXPECT_EQ(j, Json::parse(R"({"lock_state": "locked", "door_state": "closed",
      "battery": {"percent": 80, "millivolts": 5600, "low": false, "critical": false, "external_power": true},
      "operating_mode": "privacy", "clock_trusted": false, "lockout_remaining_ms": 1,
      "remote_lockout_remaining_ms": 2, "door_budget_wait_ms": 3, "remote_budget_wait_ms": 4,
      "last_event_seq": 42})"));
  for (Form form : {Form::kStore, Form::kLink, Form::kApi}) {
    auto back = DecodeStatus(form, EncodeStatus(form, SomeStatus()));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, SomeStatus());
  }
}

TEST(StateFormsTest, StatusRefusesABadFieldByName) {
  Json j = EncodeStatus(Form::kLink, SomeStatus());
  j["battery"]["percent"] = "full";
  EXPECT_NE(DecodeStatus(Form::kLink, j).status().message().find("percent"), std::string::npos);
  j = EncodeStatus(Form::kLink, SomeStatus());
  j.erase("lock_state");
  EXPECT_NE(DecodeStatus(Form::kLink, j).status().message().find("lock_state"), std::string::npos);
  j = EncodeStatus(Form::kLink, SomeStatus());
  j["battery"] = 80;
  EXPECT_NE(DecodeStatus(Form::kLink, j).status().message().find("battery"), std::string::npos);
  j = EncodeStatus(Form::kLink, SomeStatus());
  j["a_later_field"] = true;
  EXPECT_TRUE(DecodeStatus(Form::kLink, j).ok()) << "a newer lock may report more";
}

TEST(StateFormsTest, CapabilitiesRoundTripAndAreValidated) {
  core::Capabilities caps;
  caps.max_users = 1000;
  caps.min_pin_length = 4;
  const Json j = EncodeCapabilities(Form::kLink, caps);
  EXPECT_EQ(j["credential_types"], Json({"programming_pin", "pin", "rfid", "fingerprint", "face"}));
  EXPECT_EQ(j["credential_rules"], Json({"single", "dual", "tri"}));
  EXPECT_EQ(j["features"].size(), 10u);
  auto back = DecodeCapabilities(Form::kLink, j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->max_users, 1000u);
  EXPECT_EQ(back->min_pin_length, 4u);
  EXPECT_EQ(EncodeCapabilities(Form::kLink, *back), j);

  Json bad = j;
  bad["max_users"] = 0;
  EXPECT_NE(DecodeCapabilities(Form::kLink, bad).status().message().find("max_users"), std::string::npos);
  bad = j;
  bad["features"] = Json{"door_sensor", 7};
  EXPECT_NE(DecodeCapabilities(Form::kLink, bad).status().message().find("features"), std::string::npos);
  bad = j;
  bad.erase("holiday_schedules");
  EXPECT_FALSE(DecodeCapabilities(Form::kLink, bad).ok());
}

TEST(StateFormsTest, DecisionsRoundTrip) {
  core::Decision granted{.result = core::DecisionResult::kGranted,
                         .reason = std::nullopt,
                         .user = 3,
                         .credential = core::CredentialRef{core::CredentialType::kPin, 5},
                         .operation = core::Operation::kUnlock,
                         .lock_state = core::LockState::kUnlocking};
  const Json j = EncodeDecision(Form::kLink, granted);
  EXPECT_EQ(j, Json::parse(R"({"result": "granted", "operation": "unlock", "lock_state": "unlocking", "user": 3,
      "credential": {"type": "pin", "index": 5}})"));
  EXPECT_EQ(*DecodeDecision(Form::kLink, j), granted);
  core::Decision denied;
  denied.reason = core::AccessError::kLockout;
  EXPECT_EQ(EncodeDecision(Form::kLink, denied)["reason"], "lockout");
  EXPECT_EQ(*DecodeDecision(Form::kLink, EncodeDecision(Form::kLink, denied)), denied);
  Json bad = j;
  bad["result"] = "maybe";
  EXPECT_NE(DecodeDecision(Form::kLink, bad).status().message().find("result"), std::string::npos);
}

TEST(StateFormsTest, TheStateAnswerCarriesStatusSettingsAndCapabilities) {
  link::StateAnswer state{.status = SomeStatus(), .name = "Front door", .simulated = true, .acked_seq = 40};
  state.settings.name = "Front door";
  state.sim_control_url = "http://127.0.0.1:9000";
  const Json j = link::StateAnswer::Fields().Encode(state);
  EXPECT_EQ(j["lock_state"], "locked") << "the status sits at the top level, as the hub's lock object reads it";
  EXPECT_EQ(j["battery"]["percent"], 80);
  EXPECT_EQ(j["settings"]["name"], "Front door");
  EXPECT_EQ(j["capabilities"]["max_users"], 250);
  EXPECT_FALSE(j.contains("sim_control_secret"));
  auto back = link::StateAnswer::Fields().Decode(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->status, state.status);
  EXPECT_EQ(back->settings, state.settings);
  EXPECT_EQ(back->sim_control_url, state.sim_control_url);
  EXPECT_EQ(back->acked_seq, 40u);
  EXPECT_EQ(link::StateAnswer::Fields().Encode(*back), j);

  Json bad = j;
  bad["settings"]["auto_relock_s"] = "soon";
  EXPECT_NE(link::StateAnswer::Fields().Decode(bad).status().message().find("auto_relock_s"), std::string::npos);
  bad = j;
  bad.erase("capabilities");
  EXPECT_NE(link::StateAnswer::Fields().Decode(bad).status().message().find("capabilities"), std::string::npos);
}

TEST(StateFormsTest, StoredCredentialsAndPagesKeepTheirShape) {
  const link::StoredCredentialAnswer credential{
      .type = core::CredentialType::kRfid, .index = 7, .user = 2, .created_by = "ana", .created_at = 1'700'000'000'000};
  const Json j = link::StoredCredentialAnswer::Fields().Encode(credential);
  EXPECT_EQ(j, Json::parse(R"({"type": "rfid", "index": 7, "user": 2, "created_by": "ana",
      "created_at": 1700000000000})"));
  EXPECT_EQ(link::StoredCredentialAnswer::Fields().Decode(j)->created_by, "ana");

  const Json page = link::ListPageAnswer::Fields().Encode({.items = Json::array({j}), .next = 9});
  EXPECT_EQ(page, (Json{{"items", Json::array({j})}, {"next", 9}}));
  EXPECT_FALSE(link::ListPageAnswer::Fields().Encode({}).contains("next")) << "next only when entries follow";
  EXPECT_EQ(link::ListPageAnswer::Fields().Decode(page)->next, 9u);
  EXPECT_NE(link::ListPageAnswer::Fields().Decode(Json{{"next", 9}}).status().message().find("items"), std::string::npos);
  EXPECT_NE(link::ListPageAnswer::Fields().Decode(Json{{"items", Json::array()}, {"next", -1}}).status().message().find("next"),
            std::string::npos);
}

}  // namespace
}  // namespace latchkey::wire
