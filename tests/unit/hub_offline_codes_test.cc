// The hub's half of offline guest codes (OFFLINE-CODES.md; docs/offline-codes.md): what a window
// becomes and what a code's status is (offline_code_rules.h, pure, on a fixed clock), and the
// routes on an in-process hub with a fake clock and no lock behind its records (so every
// revocation is queued). tests/integration/hub_offline_codes_test.cc runs the same with a real
// hub and a real lock at the door.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/offline_code.h"
#include "crypto/ff1.h"
#include "crypto/sodium_crypto.h"
#include "hub/hub.h"
#include "hub/offline_code_rules.h"
#include "hub/offline_codes.h"
#include "hub_fixture.h"
#include "platform/time_format.h"

namespace latchkey::hub {
namespace {

constexpr int64_t kNowMs = 1'795'600'800'000;  // FakeClock's start: 2026-11-25T10:00:00Z
constexpr int64_t kEpochS = kNowMs / 1000;
constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kMinuteMs = 60'000;

int64_t At(const char* text) { return platform::ParseRfc3339Ms(text).value(); }

OfflineCodeAsk Window(int64_t from_ms, int64_t until_ms, bool one_time = false) {
  OfflineCodeAsk ask;
  ask.starts_at_ms = from_ms;
  ask.ends_at_ms = until_ms;
  ask.one_time = one_time;
  return ask;
}

::testing::AssertionResult RefusedNaming(const std::variant<OfflineCodeWindow, Refusal>& planned, const std::string& field) {
  const auto* refusal = std::get_if<Refusal>(&planned);
  if (refusal == nullptr) return ::testing::AssertionFailure() << "not refused";
  if (refusal->status != 400 || refusal->message.rfind(field + ":", 0) != 0) {
    return ::testing::AssertionFailure() << refusal->status << " " << refusal->message;
  }
  return ::testing::AssertionSuccess() << refusal->message;
}

// ==============================================================================================
// The rules

TEST(OfflineCodeRules, TheBodyIsReadStrictly) {
  auto ok = DecodeOfflineCodeAsk(Json{{"starts_at", "2026-11-26T10:20:00Z"}, {"ends_at", "2026-11-26T13:10:00+01:00"},
                                      {"one_time", true}, {"name", "Cleaner \xe2\x9c\x93"}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->starts_at_ms, At("2026-11-26T10:20:00Z"));
  EXPECT_EQ(ok->ends_at_ms, At("2026-11-26T12:10:00Z"));
  EXPECT_TRUE(ok->one_time);
  EXPECT_FALSE(ok->clear);
  EXPECT_EQ(ok->name, "Cleaner \xe2\x9c\x93");
  // A clear code needs no window.
  EXPECT_TRUE(DecodeOfflineCodeAsk(Json{{"clear", true}}).ok());

  const Json window{{"starts_at", "2026-11-26T10:00:00Z"}, {"ends_at", "2026-11-26T12:00:00Z"}};
  const auto refused = [&](Json change, const std::string& field) {
    Json body = window;
    body.update(change);
    auto decoded = DecodeOfflineCodeAsk(body);
    if (decoded.ok()) return ::testing::AssertionFailure() << body.dump() << " was taken";
    if (decoded.status().message().find(field) == std::string::npos) {
      return ::testing::AssertionFailure() << body.dump() << ": " << decoded.status().message();
    }
    return ::testing::AssertionSuccess();
  };
  EXPECT_TRUE(refused({{"until", "x"}}, "until"));
  EXPECT_TRUE(refused({{"starts_at", "tomorrow"}}, "starts_at"));
  EXPECT_TRUE(refused({{"ends_at", 1795600800}}, "ends_at"));
  EXPECT_TRUE(refused({{"one_time", "yes"}}, "one_time"));
  EXPECT_TRUE(refused({{"name", nullptr}}, "name"));
  EXPECT_TRUE(refused({{"name", std::string(65, 'x')}}, "name"));
  EXPECT_TRUE(refused({{"name", "tab\there"}}, "name"));
  EXPECT_TRUE(refused({{"clear", true}, {"one_time", true}}, "one_time"));
  EXPECT_FALSE(DecodeOfflineCodeAsk(Json{{"ends_at", "2026-11-26T12:00:00Z"}}).ok());
  EXPECT_FALSE(DecodeOfflineCodeAsk(Json{{"starts_at", "2026-11-26T12:00:00Z"}}).ok());
  EXPECT_TRUE(DecodeOfflineCodeAsk(Json{{"name", std::string(64, 'x')}, {"clear", true}}).ok());
}

TEST(OfflineCodeRules, AWindowIsRoundedOutwardToWholeHoursSinceTheEpoch) {
  // 10:20 to 13:10 the next day opens from 10:00 to 14:00: hours 24..28 since the epoch.
  auto planned = PlanOfflineCode(Window(At("2026-11-26T10:20:00Z"), At("2026-11-26T13:10:00Z"), true), kEpochS, kNowMs);
  ASSERT_TRUE(std::holds_alternative<OfflineCodeWindow>(planned)) << std::get<Refusal>(planned).message;
  const OfflineCodeWindow w = std::get<OfflineCodeWindow>(planned);
  EXPECT_EQ(w.starts_at_ms, At("2026-11-26T10:00:00Z"));
  EXPECT_EQ(w.ends_at_ms, At("2026-11-26T14:00:00Z"));
  EXPECT_EQ(w.fields, (core::OfflineCodeFields{core::OfflineCodeType::kOneTime, 24, 4}));
  // Exact hours stay; 999 hours is the longest window.
  planned = PlanOfflineCode(Window(kNowMs, kNowMs + 999 * kHourMs), kEpochS, kNowMs);
  ASSERT_TRUE(std::holds_alternative<OfflineCodeWindow>(planned));
  EXPECT_EQ(std::get<OfflineCodeWindow>(planned).fields, (core::OfflineCodeFields{core::OfflineCodeType::kWindow, 0, 999}));
  // A window that began already but has not ended is fine: it opens from its (past) hour on.
  planned = PlanOfflineCode(Window(kNowMs + 10 * kMinuteMs, kNowMs + 50 * kMinuteMs), kEpochS, kNowMs + 30 * kMinuteMs);
  ASSERT_TRUE(std::holds_alternative<OfflineCodeWindow>(planned));
  EXPECT_EQ(std::get<OfflineCodeWindow>(planned).fields.duration_hours, 1);
  // The last start hour the 5 digits hold.
  const int64_t last = kNowMs + int64_t{99999} * kHourMs;
  planned = PlanOfflineCode(Window(last, last + kHourMs), kEpochS, kNowMs);
  ASSERT_TRUE(std::holds_alternative<OfflineCodeWindow>(planned));
  EXPECT_EQ(std::get<OfflineCodeWindow>(planned).fields.start_hour, 99999u);
}

TEST(OfflineCodeRules, WindowsThatCannotBeACodeAreRefusedNamingTheField) {
  EXPECT_TRUE(RefusedNaming(PlanOfflineCode(Window(kNowMs + kHourMs, kNowMs + kHourMs), kEpochS, kNowMs), "ends_at"));
  EXPECT_TRUE(RefusedNaming(PlanOfflineCode(Window(kNowMs + kHourMs, kNowMs), kEpochS, kNowMs), "ends_at"));
  // 999 h and a minute rounds to 1000 h.
  EXPECT_TRUE(RefusedNaming(PlanOfflineCode(Window(kNowMs, kNowMs + 999 * kHourMs + kMinuteMs), kEpochS, kNowMs),
                            "ends_at"));
  EXPECT_TRUE(RefusedNaming(PlanOfflineCode(Window(kNowMs - kMinuteMs, kNowMs + kHourMs), kEpochS, kNowMs), "starts_at"))
      << "before the epoch";
  const int64_t beyond = kNowMs + int64_t{100000} * kHourMs;
  EXPECT_TRUE(RefusedNaming(PlanOfflineCode(Window(beyond, beyond + kHourMs), kEpochS, kNowMs), "starts_at"));
  EXPECT_TRUE(RefusedNaming(PlanOfflineCode(Window(kNowMs, kNowMs + kHourMs), kEpochS, kNowMs + kHourMs), "ends_at"))
      << "already ended";
}

TEST(OfflineCodeRules, AClearCodeRunsADayFromNowUnlessTold) {
  OfflineCodeAsk ask;
  ask.clear = true;
  auto planned = PlanOfflineCode(ask, kEpochS, kNowMs + 20 * kMinuteMs);
  ASSERT_TRUE(std::holds_alternative<OfflineCodeWindow>(planned));
  const OfflineCodeWindow w = std::get<OfflineCodeWindow>(planned);
  EXPECT_EQ(w.fields.type, core::OfflineCodeType::kClear);
  EXPECT_EQ(w.starts_at_ms, kNowMs);
  EXPECT_EQ(w.ends_at_ms, kNowMs + 25 * kHourMs) << "10:20 + 24 h, rounded up";
}

OfflineCodeRecord Record(const std::string& id, uint32_t generation, int64_t ends_at_ms) {
  OfflineCodeRecord c;
  c.id = id;
  c.plaintext = "1000010040" + id;
  c.generation = generation;
  c.starts_at_ms = kNowMs;
  c.ends_at_ms = ends_at_ms;
  return c;
}

OfflineCodeKey KeyApplied(std::optional<OfflineCodesApplied> applied, uint32_t generation = 0) {
  OfflineCodeKey key;
  key.epoch_s = kEpochS;
  key.generation = generation;
  key.applied = applied;
  return key;
}

TEST(OfflineCodeRules, AStatusSaysWhetherTheCodeStillOpensAndWhetherTheLockKnows) {
  const OfflineCodeKey unknown = KeyApplied(std::nullopt);
  OfflineCodeRecord c = Record("01", 0, kNowMs + 4 * kHourMs);
  EXPECT_EQ(StatusOf(c, unknown, kNowMs), OfflineCodeStatus::kIssued);
  EXPECT_EQ(StatusOf(c, unknown, kNowMs + 4 * kHourMs), OfflineCodeStatus::kExpired);
  c.used_at_ms = kNowMs;
  EXPECT_EQ(StatusOf(c, unknown, kNowMs), OfflineCodeStatus::kIssued) << "a window code opens again";
  c.type = core::OfflineCodeType::kOneTime;
  EXPECT_EQ(StatusOf(c, unknown, kNowMs), OfflineCodeStatus::kUsed);
  EXPECT_FALSE(LiveOfflineCode(c, unknown, kNowMs));

  c = Record("02", 0, kNowMs + 4 * kHourMs);
  c.revoked_at_ms = kNowMs;
  c.revoked_version = 3;
  EXPECT_EQ(StatusOf(c, unknown, kNowMs), OfflineCodeStatus::kRevocationPending);
  EXPECT_EQ(StatusOf(c, unknown, kNowMs + 4 * kHourMs), OfflineCodeStatus::kRevoked) << "it cannot open any more";
  OfflineCodesApplied applied{.key = true, .epoch_s = kEpochS, .generation = 0, .revocations_version = 2};
  EXPECT_EQ(StatusOf(c, KeyApplied(applied), kNowMs), OfflineCodeStatus::kRevocationPending);
  applied.revocations_version = 3;
  EXPECT_EQ(StatusOf(c, KeyApplied(applied), kNowMs), OfflineCodeStatus::kRevoked);
  EXPECT_TRUE(RevocationDelivered(c, KeyApplied(applied)));
  applied.epoch_s = kEpochS + 3600;  // an answer about another key says nothing
  EXPECT_FALSE(RevocationDelivered(c, KeyApplied(applied)));
  applied = {.key = true, .epoch_s = kEpochS, .generation = 1, .revocations_version = 0};
  EXPECT_TRUE(RevocationDelivered(c, KeyApplied(applied))) << "a newer generation covers it";
  c.revoked_version = 0;  // revoked after it ended
  EXPECT_TRUE(RevocationDelivered(c, unknown));

  c = Record("03", 0, kNowMs + 4 * kHourMs);
  c.cleared_at_ms = kNowMs;
  EXPECT_EQ(StatusOf(c, unknown, kNowMs), OfflineCodeStatus::kCleared);
  applied.generation = 1;  // the lock reached the generation the clear began
  EXPECT_TRUE(RevocationDelivered(c, KeyApplied(applied, 1)));
  applied.generation = 0;
  EXPECT_FALSE(RevocationDelivered(c, KeyApplied(applied, 1)));
}

TEST(OfflineCodeRules, TheListNamesRevokedUnendedCodesOfTheGenerationAscending) {
  std::vector<OfflineCodeRecord> codes = {Record("09", 1, kNowMs + kHourMs), Record("03", 1, kNowMs + kHourMs),
                                          Record("05", 1, kNowMs), Record("07", 0, kNowMs + kHourMs),
                                          Record("01", 1, kNowMs + kHourMs)};
  for (auto& c : codes) {
    if (c.id != "01") c.revoked_at_ms = kNowMs;
  }
  EXPECT_EQ(RevokedPlaintexts(codes, 1, kNowMs),
            (std::vector<std::string>{"100001004003", "100001004009"}));
}

// ==============================================================================================
// The routes, in-process

class HubOfflineCodesTest : public testing::HubFixture {
 protected:
  void SetUp() override { StartAsOwner({"lk-0011223344556677", "lk-b"}); }

  std::string Path(const std::string& rest = "") const { return "/api/v1/locks/" + lock_ + "/offline-codes" + rest; }
  Answer Issue(Json body, const std::string& token = "") { return Call("POST", Path(), body, token.empty() ? owner_ : token); }
  Answer List(const std::string& token = "") { return Call("GET", Path(), nullptr, token.empty() ? owner_ : token); }
  Json Listed(const std::string& id) {
    for (const Json& c : List().json) {
      if (c.value("id", "") == id) return c;
    }
    return Json();
  }
  // The lock answers that it applied this much (as its answer to revoke_offline_codes would).
  void LockApplied(uint32_t generation, uint64_t version) {
    auto key = hub_->store().GetOfflineCodeKey(lock_);
    ASSERT_TRUE(key.ok() && key->has_value());
    ASSERT_TRUE(hub_->store()
                    .PutOfflineCodesApplied(lock_, {.key = true, .epoch_s = (*key)->epoch_s, .generation = generation,
                                                    .revocations_version = version, .at_ms = env_.NowMs()})
                    .ok());
  }

  static Json Hours(const char* from, const char* until, bool one_time = false) {
    Json body{{"starts_at", from}, {"ends_at", until}};
    if (one_time) body["one_time"] = true;
    return body;
  }

  std::string lock_ = "lk-0011223344556677";
};

TEST_F(HubOfflineCodesTest, TheOwnerIssuesACodeTheLockCanRead) {
  env_.clock().Advance(20 * kMinuteMs);  // 10:20: the key's epoch is 10:00
  const Answer a = Issue(Json{{"starts_at", "2026-11-26T10:20:00Z"}, {"ends_at", "2026-11-26T13:10:00Z"},
                              {"one_time", true}, {"name", "Cleaner"}});
  ASSERT_EQ(a.status, 201u) << a.Describe();
  EXPECT_EQ(a.json["type"], "one_time");
  EXPECT_EQ(a.json["starts_at"], "2026-11-26T10:00:00.000Z");
  EXPECT_EQ(a.json["ends_at"], "2026-11-26T14:00:00.000Z");
  EXPECT_EQ(a.json["duration_hours"], 4);
  EXPECT_EQ(a.json["name"], "Cleaner");
  EXPECT_EQ(a.json["status"], "issued");
  EXPECT_EQ(a.json["created_by"], "owner");
  EXPECT_EQ(a.json["lock_has_key"], false) << "the lock never connected";
  EXPECT_FALSE(a.json.contains("key")) << "the key is never shown";
  const std::string code = a.json["code"].get<std::string>();
  ASSERT_EQ(code.size(), 12u);

  // What the lock does with it: FF1-decrypt with its key and id, unpack, check the digits.
  auto key = hub_->store().GetOfflineCodeKey(lock_);
  ASSERT_TRUE(key.ok() && key->has_value());
  EXPECT_EQ((*key)->epoch_s, kEpochS);
  const std::span<const uint8_t> tweak(reinterpret_cast<const uint8_t*>(lock_.data()), lock_.size());
  auto plain = crypto::Ff1Decrypt((*key)->key, tweak, 10, code);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  auto unpacked = core::UnpackOfflineCode(*plain);
  ASSERT_TRUE(unpacked.has_value()) << *plain;
  EXPECT_EQ(unpacked->fields, (core::OfflineCodeFields{core::OfflineCodeType::kOneTime, 24, 4}));
  const crypto::SodiumCrypto crypto{crypto::SecretKey{}};
  EXPECT_EQ(unpacked->check, core::OfflineCodeCheck(crypto, (*key)->key, 0, unpacked->fields));
  // Another lock's id (tweak) reads another plaintext.
  const std::string other = "lk-b";
  auto wrong = crypto::Ff1Decrypt((*key)->key, std::span(reinterpret_cast<const uint8_t*>(other.data()), other.size()),
                                  10, code);
  EXPECT_NE(*wrong, *plain);

  const Answer listed = List();
  ASSERT_EQ(listed.status, 200u) << listed.Describe();
  ASSERT_EQ(listed.json.size(), 1u);
  EXPECT_EQ(listed.json[0]["id"], a.json["id"]);
  EXPECT_EQ(listed.json[0]["code"], code) << "a code that can still open is shown again";
  EXPECT_EQ(listed.json[0]["status"], "issued");
  // The other lock has none, and no key is made by reading.
  lock_ = "lk-b";
  EXPECT_EQ(List().json, Json::array());
  EXPECT_EQ(*hub_->store().GetOfflineCodeKey("lk-b"), std::nullopt);
}

TEST_F(HubOfflineCodesTest, OnlyOwnerAndAdminIssueAndAnUnseenLockIsNotFound) {
  const std::string admin = MakeAccount("ada", "admin");
  const std::string member = MakeAccount("mem", "member");
  const std::string guest = MakeAccount("gus", "guest", Json{{"locks", {lock_}}});
  const std::string narrow = MakeAccount("nar", "member", Json{{"locks", {"lk-b"}}});
  const Json body = Hours("2026-11-25T12:00:00Z", "2026-11-25T14:00:00Z");
  EXPECT_EQ(Issue(body, admin).status, 201u);
  for (const std::string& token : {member, guest}) {
    const Answer refused = Issue(body, token);
    EXPECT_EQ(refused.status, 403u) << refused.Describe();
    EXPECT_EQ(refused.json["error"]["code"], "forbidden");
    EXPECT_EQ(List(token).status, 403u);
    EXPECT_EQ(Call("DELETE", Path("/0123456789abcdef"), nullptr, token).status, 403u);
  }
  EXPECT_EQ(Issue(body, narrow).status, 404u) << "a lock the member cannot see";
  EXPECT_EQ(List(narrow).status, 404u);
  // An admin's API token made as a member is no wider than a member.
  const Answer minted = Call("POST", "/api/v1/tokens", Json{{"name", "ha"}, {"role", "member"}}, admin);
  ASSERT_EQ(minted.status, 201u) << minted.Describe();
  EXPECT_EQ(Issue(body, minted.json["token"].get<std::string>()).status, 403u);
  // An unknown lock.
  EXPECT_EQ(Call("POST", "/api/v1/locks/lk-none/offline-codes", body, owner_).status, 404u);
  EXPECT_EQ(Call("GET", "/api/v1/locks/lk-none/offline-codes", nullptr, owner_).status, 404u);
  EXPECT_EQ(List().json.size(), 1u) << "only the admin's code";
}

TEST_F(HubOfflineCodesTest, BadInputIsRefusedNamingTheFieldAndNothingIsStored) {
  const std::vector<std::pair<Json, std::string>> bad = {
      {Hours("2026-11-25T14:00:00Z", "2026-11-25T12:00:00Z"), "ends_at"},
      {Hours("2026-11-25T12:00:00Z", "2027-01-06T04:00:00Z"), "ends_at"},  // 1000 h
      {Hours("2026-11-25T09:00:00Z", "2026-11-25T15:00:00Z"), "starts_at"},  // before the epoch (13:00)
      {Hours("2040-01-01T00:00:00Z", "2040-01-01T02:00:00Z"), "starts_at"},  // beyond 99999 h
      {Hours("2026-11-25T12:00:00Z", "2026-11-25T13:00:00Z"), "ends_at"},    // ended by then (see below)
      {Json{{"starts_at", "2026-11-25T12:00:00Z"}}, "ends_at"},
      {Json{{"starts_at", "noon"}, {"ends_at", "2026-11-25T13:00:00Z"}}, "starts_at"},
      {Json{{"clear", true}, {"one_time", true}}, "one_time"},
      {Json{{"clear", "yes"}}, "clear"},
      {Json{{"color", "red"}, {"clear", true}}, "color"},
  };
  env_.clock().Advance(3 * kHourMs + 10 * kMinuteMs);  // 13:10; the key (made now) would be of 13:00
  for (const auto& [body, field] : bad) {
    const Answer a = Issue(body);
    EXPECT_EQ(a.status, 400u) << body.dump() << " -> " << a.Describe();
    EXPECT_EQ(a.json["error"]["code"], "invalid");
    EXPECT_EQ(a.json["error"]["message"].get<std::string>().rfind(field + ":", 0), 0u) << a.Describe();
  }
  EXPECT_EQ(Issue(Json::parse("[1]")).status, 400u);
  EXPECT_EQ(List().json, Json::array());
  EXPECT_EQ(*hub_->store().GetOfflineCodeKey(lock_), std::nullopt) << "a refused code does not even make the key";
  EXPECT_EQ(Call("DELETE", Path("/not-hex!"), nullptr, owner_).status, 400u);
  EXPECT_EQ(Call("DELETE", Path("/0123456789abcdef"), nullptr, owner_).status, 404u);
}

// A code is its window, kind and generation: the same ones twice would be one code for two people.
TEST_F(HubOfflineCodesTest, TheSameWindowAndKindAreNotIssuedTwice) {
  const Answer first = Issue(Hours("2026-11-25T12:00:00Z", "2026-11-25T16:00:00Z", true));
  ASSERT_EQ(first.status, 201u);
  const Answer again = Issue(Hours("2026-11-25T12:10:00Z", "2026-11-25T15:50:00Z", true));  // rounds the same
  EXPECT_EQ(again.status, 409u) << again.Describe();
  EXPECT_EQ(again.json["error"]["code"], "duplicate");
  EXPECT_NE(again.json["error"]["message"].get<std::string>().find(first.json["id"].get<std::string>()),
            std::string::npos);
  // Another kind, or an hour more, is another code.
  const Answer window = Issue(Hours("2026-11-25T12:00:00Z", "2026-11-25T16:00:00Z"));
  const Answer longer = Issue(Hours("2026-11-25T12:00:00Z", "2026-11-25T17:00:00Z", true));
  ASSERT_EQ(window.status, 201u);
  ASSERT_EQ(longer.status, 201u);
  EXPECT_NE(window.json["code"], first.json["code"]);
  EXPECT_NE(longer.json["code"], first.json["code"]);
  // Revoked, its digits stay refused at the lock until its window ends: still not issued again.
  ASSERT_EQ(Call("DELETE", Path("/" + first.json["id"].get<std::string>()), nullptr, owner_).status, 200u);
  EXPECT_EQ(Issue(Hours("2026-11-25T12:00:00Z", "2026-11-25T16:00:00Z", true)).status, 409u);
  EXPECT_EQ(List().json.size(), 3u);
}

TEST_F(HubOfflineCodesTest, ARevocationIsPendingUntilTheLockAppliedIt) {
  const Answer a = Issue(Hours("2026-11-25T12:00:00Z", "2026-11-25T16:00:00Z"));
  const Answer b = Issue(Hours("2026-11-25T12:00:00Z", "2026-11-25T18:00:00Z"));
  ASSERT_EQ(a.status, 201u);
  ASSERT_EQ(b.status, 201u);
  const std::string id = a.json["id"].get<std::string>();
  const Answer revoked = Call("DELETE", Path("/" + id), nullptr, owner_);
  ASSERT_EQ(revoked.status, 200u) << revoked.Describe();
  EXPECT_EQ(revoked.json["status"], "revocation_pending");
  EXPECT_EQ(revoked.json["delivered"], false);
  EXPECT_FALSE(revoked.json.contains("code")) << "a revoked code is not shown again";
  EXPECT_EQ(Listed(id)["status"], "revocation_pending");
  EXPECT_EQ(Listed(b.json["id"])["status"], "issued");
  EXPECT_EQ((*hub_->store().GetOfflineCodeKey(lock_))->revocations_version, 1u);
  // Again: nothing changes.
  EXPECT_EQ(Call("DELETE", Path("/" + id), nullptr, owner_).json["status"], "revocation_pending");
  EXPECT_EQ((*hub_->store().GetOfflineCodeKey(lock_))->revocations_version, 1u);

  // The lock connects and answers with list 1: revoked.
  LockApplied(0, 1);
  EXPECT_EQ(Listed(id)["status"], "revoked");
  EXPECT_EQ(Listed(id)["delivered"], true);
  EXPECT_EQ(Call("DELETE", Path("/" + id), nullptr, owner_).json["delivered"], true);

  // A code revoked after its window ended needs no list: revoked at once.
  env_.clock().Advance(8 * kHourMs);  // 18:00: b has ended
  const Answer late = Call("DELETE", Path("/" + b.json["id"].get<std::string>()), nullptr, owner_);
  EXPECT_EQ(late.json["status"], "revoked");
  EXPECT_EQ(late.json["delivered"], true);
  EXPECT_EQ((*hub_->store().GetOfflineCodeKey(lock_))->revocations_version, 1u);
}

TEST_F(HubOfflineCodesTest, AClearCodeClearsEveryEarlierCode) {
  const Answer before = Issue(Hours("2026-11-25T12:00:00Z", "2026-11-25T16:00:00Z"));
  ASSERT_EQ(before.status, 201u);
  const Answer clear = Issue(Json{{"clear", true}, {"name", "reset"}});
  ASSERT_EQ(clear.status, 201u) << clear.Describe();
  EXPECT_EQ(clear.json["type"], "clear");
  EXPECT_EQ(clear.json["starts_at"], "2026-11-25T10:00:00.000Z");
  EXPECT_EQ(clear.json["ends_at"], "2026-11-26T10:00:00.000Z");
  EXPECT_EQ(clear.json["delivered"], false) << "the lock is offline";
  EXPECT_EQ(Listed(before.json["id"])["status"], "cleared");
  EXPECT_EQ(Listed(before.json["id"])["delivered"], false);
  // The clear code is of generation 1: its check digits are of generation 1's key.
  auto key = hub_->store().GetOfflineCodeKey(lock_);
  EXPECT_EQ((*key)->generation, 1u);
  const std::span<const uint8_t> tweak(reinterpret_cast<const uint8_t*>(lock_.data()), lock_.size());
  auto plain = crypto::Ff1Decrypt((*key)->key, tweak, 10, clear.json["code"].get<std::string>());
  auto unpacked = core::UnpackOfflineCode(*plain);
  ASSERT_TRUE(unpacked.has_value());
  const crypto::SodiumCrypto crypto{crypto::SecretKey{}};
  EXPECT_EQ(unpacked->check, core::OfflineCodeCheck(crypto, (*key)->key, 1, unpacked->fields));
  EXPECT_EQ(unpacked->fields.type, core::OfflineCodeType::kClear);
  // A code after it is of generation 1 too, and stays issued.
  const Answer after = Issue(Hours("2026-11-25T12:00:00Z", "2026-11-25T16:00:00Z"));
  ASSERT_EQ(after.status, 201u);

  // A second clear before the lock learnt the first would never open: refused, naming it.
  const Answer second = Issue(Json{{"clear", true}});
  EXPECT_EQ(second.status, 409u) << second.Describe();
  EXPECT_EQ(second.json["error"]["code"], "clear_pending");
  EXPECT_NE(second.json["error"]["message"].get<std::string>().find(clear.json["id"].get<std::string>()),
            std::string::npos);
  // The lock reaches generation 1: the clear is delivered and another may follow.
  LockApplied(1, 1);
  EXPECT_EQ(Listed(before.json["id"])["delivered"], true);
  const Answer third = Issue(Json{{"clear", true}});
  ASSERT_EQ(third.status, 201u) << third.Describe();
  EXPECT_EQ(Listed(after.json["id"])["status"], "cleared");
  EXPECT_EQ(Listed(clear.json["id"])["status"], "cleared");
}

TEST_F(HubOfflineCodesTest, TheLocksEventsTellWhichCodeWasUsed) {
  const Answer once = Issue(Hours("2026-11-25T12:00:00Z", "2026-11-25T16:00:00Z", true));
  const Answer window = Issue(Hours("2026-11-25T12:00:00Z", "2026-11-25T20:00:00Z"));
  ASSERT_EQ(once.status, 201u);
  ASSERT_EQ(window.status, 201u);
  const auto event = [](const char* start, int duration, int64_t time_ms) {
    return Json{{"seq", 7}, {"time", time_ms}, {"kind", "lock_operation"}, {"operation", "unlock"},
                {"source", "keypad"}, {"credential", {{"type", "offline_code"}, {"start", start}, {"duration", duration}}}};
  };
  OfflineCodes& codes = hub_->offline_codes();
  codes.OnEvent(lock_, event("2026-11-25T12:00:00.000Z", 4, kNowMs + 2 * kHourMs + 5 * kMinuteMs));
  const Json used = Listed(once.json["id"]);
  EXPECT_EQ(used["status"], "used");
  EXPECT_EQ(used["used_at"], "2026-11-25T12:05:00.000Z");
  EXPECT_FALSE(used.contains("code"));
  codes.OnEvent(lock_, event("2026-11-25T12:00:00.000Z", 8, kNowMs + 3 * kHourMs));
  codes.OnEvent(lock_, event("2026-11-25T12:00:00.000Z", 8, kNowMs + 4 * kHourMs));
  const Json w = Listed(window.json["id"]);
  EXPECT_EQ(w["status"], "issued") << "a window code opens again within its window";
  EXPECT_EQ(w["used_at"], "2026-11-25T13:00:00.000Z") << "its first use";
  // Events of another kind, or of a window no code has, change nothing.
  codes.OnEvent(lock_, event("2026-11-25T13:00:00.000Z", 4, kNowMs));
  Json refused = event("2026-11-25T12:00:00.000Z", 4, kNowMs);
  refused["kind"] = "lock_operation_error";
  codes.OnEvent(lock_, refused);
  EXPECT_EQ(List().json.size(), 2u);
}

TEST_F(HubOfflineCodesTest, TheLiveCodesAndTheRevocationListAreBounded) {
  ASSERT_EQ(Issue(Hours("2026-11-25T12:00:00Z", "2026-11-25T16:00:00Z")).status, 201u);
  // 999 more live codes, written straight into the store.
  ASSERT_TRUE(hub_->store()
                  .database()
                  .Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 999) "
                        "INSERT INTO offline_codes(id, lock, plaintext, code, type, start_hour, duration_hours, "
                        "starts_at, ends_at, name, created_by, created_at, generation) "
                        "SELECT printf('%016x', i), '" + lock_ + "', printf('1%05d004000', i), '000000000000', "
                        "'window', i, 4, 1795600800000 + i * 3600000, 1795600800000 + (i + 4) * 3600000, '', "
                        "'owner', 1795600800000, 0 FROM n;")
                  .ok());
  const Answer full = Issue(Hours("2026-11-25T12:00:00Z", "2026-11-25T16:00:00Z"));
  EXPECT_EQ(full.status, 409u) << full.Describe();
  EXPECT_EQ(full.json["error"]["code"], "resource_exhausted");
  // 512 of them revoked: the list is full, and a 513th revocation is refused.
  ASSERT_TRUE(hub_->store()
                  .database()
                  .Exec("UPDATE offline_codes SET revoked_at = 1, revoked_version = 1 WHERE id IN "
                        "(SELECT id FROM offline_codes WHERE code = '000000000000' ORDER BY id LIMIT 512);")
                  .ok());
  const Answer over = Call("DELETE", Path("/" + std::string("00000000000003e7")), nullptr, owner_);  // code 999
  EXPECT_EQ(over.status, 409u) << over.Describe();
  EXPECT_EQ(over.json["error"]["code"], "resource_exhausted");
  EXPECT_EQ(Listed("00000000000003e7")["status"], "issued") << "nothing changed";
  // With room again (codes revoked only count while they can open), issuing works.
  EXPECT_EQ(Issue(Hours("2026-11-25T12:00:00Z", "2026-11-25T17:00:00Z")).status, 201u);
}

}  // namespace
}  // namespace latchkey::hub
