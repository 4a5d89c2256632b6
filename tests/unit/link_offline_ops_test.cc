// Offline guest codes on the link and in the event forms: the typed requests of set_offline_key
// and revoke_offline_codes (strict, with their size limits), the OfflineCodesAnswer, and an offline
// code's credential {type, start, duration} in the event's canonical CBOR, its store and link
// forms (Unix seconds) and the hub's API form (RFC 3339).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/event.h"
#include "crypto/base64.h"
#include "hub/api_json.h"
#include "link/op_answers.h"
#include "link/op_requests.h"
#include "wire/event_forms.h"

namespace latchkey::link {
namespace {

std::string Refusal(Op op, const Json& args) {
  auto r = RecodeRequest(op, args);
  EXPECT_FALSE(r.ok()) << args;
  return r.ok() ? std::string() : r.status().message();
}

core::OfflineCodeKey Key() {
  core::OfflineCodeKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(0xA0 + i);
  return key;
}

Json KeyArgs() {
  return Json{{"key", crypto::Base64Encode(Key())}, {"epoch", 1'795'600'800}, {"generation", 2}};
}

TEST(LinkOfflineOpsTest, SetOfflineKeyRoundTripsWithTheKeyInBase64) {
  const Json encoded = EncodeRequest(SetOfflineKeyRequest{.key = Key(), .epoch = 1'795'600'800, .generation = 2});
  EXPECT_EQ(encoded, KeyArgs());
  auto decoded = DecodeRequest<SetOfflineKeyRequest>(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->key, Key());
  EXPECT_EQ(decoded->epoch, 1'795'600'800);
  EXPECT_EQ(decoded->generation, 2u);
  Json with_actor = KeyArgs();
  with_actor["actor"] = Json{{"name", "hub"}};
  EXPECT_TRUE(RecodeRequest(Op::kSetOfflineKey, with_actor).ok());
}

TEST(LinkOfflineOpsTest, SetOfflineKeyRefusesAnythingButExactlyItsFields) {
  const auto with = [](const char* field, Json value) {
    Json args = KeyArgs();
    if (value.is_null()) args.erase(field);
    else args[field] = std::move(value);
    return args;
  };
  const std::vector<uint8_t> short_key(31, 1), long_key(33, 1);
  EXPECT_EQ(Refusal(Op::kSetOfflineKey, with("key", crypto::Base64Encode(short_key))), "key: must be 32 bytes in base64");
  EXPECT_EQ(Refusal(Op::kSetOfflineKey, with("key", crypto::Base64Encode(long_key))), "key: must be 32 bytes in base64");
  EXPECT_EQ(Refusal(Op::kSetOfflineKey, with("key", "not base64!")), "key: must be 32 bytes in base64");
  EXPECT_EQ(Refusal(Op::kSetOfflineKey, with("key", 42)), "key: must be 32 bytes in base64");
  EXPECT_EQ(Refusal(Op::kSetOfflineKey, with("key", nullptr)), "key: is required");
  const std::string epoch = "epoch: must be a positive multiple of 3600, at most " + std::to_string(core::kMaxOfflineEpochS);
  EXPECT_EQ(Refusal(Op::kSetOfflineKey, with("epoch", 0)), epoch);
  EXPECT_EQ(Refusal(Op::kSetOfflineKey, with("epoch", -3600)), epoch);
  EXPECT_EQ(Refusal(Op::kSetOfflineKey, with("epoch", 1'795'600'801)), epoch);
  EXPECT_EQ(Refusal(Op::kSetOfflineKey, with("epoch", core::kMaxOfflineEpochS + 3600)), epoch);
  EXPECT_EQ(Refusal(Op::kSetOfflineKey, with("epoch", "1795600800")), "epoch: must be a whole number");
  EXPECT_EQ(Refusal(Op::kSetOfflineKey, with("generation", 4'294'967'296)), "generation: must be in 0..4294967295");
  EXPECT_EQ(Refusal(Op::kSetOfflineKey, with("generation", nullptr)), "generation: is required");
  EXPECT_EQ(Refusal(Op::kSetOfflineKey, with("generations", 1)), "generations: is not a known field");
}

TEST(LinkOfflineOpsTest, RevokeOfflineCodesRoundTripsAndLimitsItsList) {
  const RevokeOfflineCodesRequest request{.version = 7, .codes = {"104242004838", "204242004001"}, .generation = 1};
  const Json encoded = EncodeRequest(request);
  EXPECT_EQ(encoded, (Json{{"version", 7}, {"codes", {"104242004838", "204242004001"}}, {"generation", 1}}));
  auto decoded = DecodeRequest<RevokeOfflineCodesRequest>(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->codes, request.codes);
  EXPECT_TRUE(RecodeRequest(Op::kRevokeOfflineCodes, Json{{"version", 1}, {"codes", Json::array()}, {"generation", 0}}).ok());

  const std::string each = "codes: each must be a string of 12 digits";
  const auto codes = [](Json list) { return Json{{"version", 1}, {"codes", std::move(list)}, {"generation", 0}}; };
  EXPECT_EQ(Refusal(Op::kRevokeOfflineCodes, codes({"10424200483"})), each);
  EXPECT_EQ(Refusal(Op::kRevokeOfflineCodes, codes({"1042420048380"})), each);
  EXPECT_EQ(Refusal(Op::kRevokeOfflineCodes, codes({"10424200483x"})), each);
  EXPECT_EQ(Refusal(Op::kRevokeOfflineCodes, codes({104242004838})), each);
  EXPECT_EQ(Refusal(Op::kRevokeOfflineCodes, codes("104242004838")), "codes: must be a list of at most 512");
  EXPECT_TRUE(RecodeRequest(Op::kRevokeOfflineCodes, codes(Json(std::vector<std::string>(512, "104242004838")))).ok());
  EXPECT_EQ(Refusal(Op::kRevokeOfflineCodes, codes(Json(std::vector<std::string>(513, "104242004838")))),
            "codes: must be a list of at most 512");
  EXPECT_EQ(Refusal(Op::kRevokeOfflineCodes, Json{{"codes", Json::array()}, {"generation", 0}}), "version: is required");
  EXPECT_EQ(Refusal(Op::kRevokeOfflineCodes, Json{{"version", 1}, {"generation", 0}}), "codes: is required");
}

TEST(LinkOfflineOpsTest, TheAnswerSaysWhatTheLockHolds) {
  const OfflineCodesAnswer answer{.key = true, .epoch = 1'795'600'800, .generation = 3, .revocations_version = 9,
                                  .revoked = 2, .remembered = 5};
  const Json encoded = OfflineCodesAnswer::Fields().Encode(answer);
  EXPECT_EQ(encoded, (Json{{"key", true}, {"epoch", 1'795'600'800}, {"generation", 3}, {"revocations_version", 9},
                           {"revoked", 2}, {"remembered", 5}}));
  auto decoded = OfflineCodesAnswer::Fields().Decode(encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->generation, 3u);
  auto lean = OfflineCodesAnswer::Fields().Decode(
      Json{{"key", false}, {"epoch", 0}, {"generation", 0}, {"revocations_version", 0}});
  EXPECT_TRUE(lean.ok()) << "the counts may be absent";
}

// --- the credential of an offline code in events -----------------------------------------------

core::Event OfflineEvent() {
  core::Event e = core::OperationEvent(core::Operation::kUnlock, core::Source::kKeypad);
  e.seq = 12;
  e.time_ms = 1'795'601'000'000;
  e.credential = core::CredentialRef{.type = core::CredentialType::kOfflineCode,
                                     .index = 0,
                                     .window_start_s = 1'795'600'800,
                                     .window_hours = 4};
  return e;
}

TEST(LinkOfflineOpsTest, TheCanonicalEncodingCoversTheWindow) {
  const core::Event e = OfflineEvent();
  const std::vector<uint8_t> bytes = core::CanonicalEncoding(e);
  const std::string text(bytes.begin(), bytes.end());
  EXPECT_NE(text.find("offline_code"), std::string::npos);
  EXPECT_NE(text.find("start"), std::string::npos);
  EXPECT_NE(text.find("duration"), std::string::npos);
  core::Event moved = e;
  moved.credential->window_start_s += 3600;
  EXPECT_NE(core::CanonicalEncoding(moved), bytes) << "the hash chain covers the window";
  core::Event longer = e;
  longer.credential->window_hours = 5;
  EXPECT_NE(core::CanonicalEncoding(longer), bytes);
}

TEST(LinkOfflineOpsTest, TheWindowIsUnixSecondsOnTheLinkAndRfc3339InTheApi) {
  const core::Event e = OfflineEvent();
  const Json link = wire::EncodeEvent(wire::Form::kLink, e);
  EXPECT_EQ(link["credential"],
            (Json{{"type", "offline_code"}, {"index", 0}, {"start", 1'795'600'800}, {"duration", 4}}));
  EXPECT_FALSE(link.contains("user"));
  for (const wire::Form form : {wire::Form::kStore, wire::Form::kLink, wire::Form::kApi}) {
    auto back = wire::DecodeEvent(form, wire::EncodeEvent(form, e));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, e);
  }
  const Json api = hub::ApiEventJson(link, "lk-a");
  EXPECT_EQ(api["credential"], (Json{{"type", "offline_code"},
                                     {"index", 0},
                                     {"start", "2026-11-25T10:00:00.000Z"},
                                     {"duration", 4}}));
  // Other credentials are as they were: no start, no duration.
  core::Event pin = e;
  pin.credential = core::CredentialRef{.type = core::CredentialType::kPin, .index = 3};
  EXPECT_EQ(wire::EncodeEvent(wire::Form::kApi, pin)["credential"], (Json{{"type", "pin"}, {"index", 3}}));
  // The API form reads back only whole seconds, and a duration of at most 999 hours.
  Json bad = wire::EncodeEvent(wire::Form::kApi, e);
  bad["credential"]["start"] = "2026-11-25T10:00:00.500Z";
  EXPECT_FALSE(wire::DecodeEvent(wire::Form::kApi, bad).ok());
  Json long_link = link;
  long_link["credential"]["duration"] = 1000;
  EXPECT_FALSE(wire::DecodeEvent(wire::Form::kLink, long_link).ok());
}

}  // namespace
}  // namespace latchkey::link
