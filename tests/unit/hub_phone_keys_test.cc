// The hub's half of phone keys (PHONE-KEYS.md 1 and 5; docs/phone-keys.md "Issuing and revoking
// (hub)"): who may have which key signed (phone_key_rules.h, pure, on a fixed clock), what the
// revocation list holds, and the routes on an in-process hub with a fake clock and no lock
// behind its records. tests/integration/hub_phone_keys_test.cc (HubPhoneKeysLinkTest) runs the
// same with a real hub, real locks and the CLI phone.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/phone_key.h"
#include "core/phone_revocations.h"
#include "crypto/base64.h"
#include "crypto/sodium_crypto.h"
#include "hub/api_json.h"
#include "hub/hub.h"
#include "hub/phone_key_rules.h"
#include "hub/phone_keys.h"
#include "hub_fixture.h"
#include "platform/time_format.h"
#include "wire/event_forms.h"

namespace latchkey::hub {
namespace {

constexpr int64_t kNowMs = 1'795'600'800'000;  // FakeClock's start: 2026-11-25T10:00:00Z
constexpr int64_t kNowS = kNowMs / 1000;
const std::vector<std::string> kTwoLocks = {"lk-a", "lk-b"};

core::X25519PublicKey Phone(uint8_t fill) {
  core::X25519PublicKey phone;
  phone.fill(fill);
  return phone;
}

Principal Caller(const std::string& name, Role role, std::optional<std::vector<std::string>> locks = std::nullopt) {
  Principal p;
  p.username = name;
  p.role = role;
  p.locks = std::move(locks);
  p.checked_at_ms = kNowMs;
  return p;
}

Account AccountOf(const std::string& name, const std::string& role,
                  std::optional<std::vector<std::string>> locks = std::nullopt) {
  Account a;
  a.username = name;
  a.role = role;
  a.locks = std::move(locks);
  return a;
}

// The caller's own account, as the store holds it.
Account Own(const Principal& p) {
  return AccountOf(p.username, std::string(RoleName(p.role)), p.locks);
}

PhoneKeyAsk Ask(std::optional<std::string> lock = std::nullopt) {
  PhoneKeyAsk ask;
  ask.phone = Phone(0x11);
  ask.lock = std::move(lock);
  return ask;
}

std::variant<PhoneKeyGrant, Refusal> Decide(const PhoneKeyAsk& ask, const Principal& caller,
                                            const std::optional<Account>& target,
                                            const std::vector<std::string>& paired = kTwoLocks) {
  return DecideIssue(ask, caller, target, paired, kNowMs);
}

::testing::AssertionResult Refused(const std::variant<PhoneKeyGrant, Refusal>& decided, unsigned status) {
  if (const auto* refusal = std::get_if<Refusal>(&decided)) {
    if (refusal->status == status) return ::testing::AssertionSuccess() << refusal->message;
    return ::testing::AssertionFailure() << "refused " << refusal->status << " " << refusal->message;
  }
  const auto& grant = std::get<PhoneKeyGrant>(decided);
  return ::testing::AssertionFailure() << "granted: lock " << grant.lock << " user " << grant.user;
}

const PhoneKeyGrant& Granted(const std::variant<PhoneKeyGrant, Refusal>& decided) {
  static const PhoneKeyGrant kNone;
  if (const auto* refusal = std::get_if<Refusal>(&decided)) {
    ADD_FAILURE() << "refused " << refusal->status << " " << refusal->message;
    return kNone;
  }
  return std::get<PhoneKeyGrant>(decided);
}

// ==============================================================================================
// The rules

TEST(PhoneKeyRules, TheOwnersDefaultsAreTheOnlyLockElseEveryLock) {
  const Principal owner = Caller("owner", Role::kOwner);
  const PhoneKeyGrant one = Granted(Decide(Ask(), owner, Own(owner), {"lk-a"}));
  EXPECT_EQ(one.lock, "lk-a");
  EXPECT_EQ(one.account, "owner");
  EXPECT_EQ(one.user, 0u);
  EXPECT_EQ(one.not_before_s, kNowS - 60) << "a minute back for a lock whose clock is behind";
  EXPECT_EQ(one.not_after_s, kNowS + 86400);
  EXPECT_EQ(one.ops, (core::PhoneOps{.lock = true, .unlock = true}));
  EXPECT_FALSE(one.auto_unlock);
  EXPECT_EQ(Granted(Decide(Ask(), owner, Own(owner))).lock, "*");
}

TEST(PhoneKeyRules, AMemberEnrollsOnlyItsOwnPhoneForItsLocksAsUserZero) {
  const Principal alice = Caller("alice", Role::kMember, std::vector<std::string>{"lk-a"});
  EXPECT_EQ(Granted(Decide(Ask(), alice, Own(alice))).lock, "lk-a") << "its only lock";
  EXPECT_EQ(Granted(Decide(Ask("lk-a"), alice, Own(alice))).lock, "lk-a");

  PhoneKeyAsk other = Ask("lk-a");
  other.account = "bob";
  EXPECT_TRUE(Refused(Decide(other, alice, AccountOf("bob", "member")), 403));
  // Refused before the account is looked at: a member cannot learn which accounts exist.
  EXPECT_TRUE(Refused(Decide(other, alice, std::nullopt), 403));

  EXPECT_TRUE(Refused(Decide(Ask("lk-b"), alice, Own(alice)), 404)) << "a lock it does not see does not exist";
  EXPECT_TRUE(Refused(Decide(Ask("lk-zz"), alice, Own(alice)), 404));
  EXPECT_TRUE(Refused(Decide(Ask("*"), alice, Own(alice)), 403)) << "it does not see every lock";
  PhoneKeyAsk as_user = Ask("lk-a");
  as_user.user = 3;
  EXPECT_TRUE(Refused(Decide(as_user, alice, Own(alice)), 403));
  // A member whose list names every lock there is still does not get "*": a lock paired later is not its.
  const Principal carol = Caller("carol", Role::kMember, kTwoLocks);
  EXPECT_TRUE(Refused(Decide(Ask(), carol, Own(carol)), 400)) << "two locks: which one?";
  // A member with no list sees every lock.
  const Principal dave = Caller("dave", Role::kMember);
  EXPECT_EQ(Granted(Decide(Ask(), dave, Own(dave))).lock, "*");
  // A member may ask for auto-unlock on its own key.
  PhoneKeyAsk with_auto = Ask("lk-a");
  with_auto.auto_unlock = true;
  EXPECT_TRUE(Granted(Decide(with_auto, alice, Own(alice))).auto_unlock);
}

TEST(PhoneKeyRules, LongerKeysAreTheOwnersOnly) {
  const Principal owner = Caller("owner", Role::kOwner);
  const Principal admin = Caller("admin", Role::kAdmin);
  const Principal alice = Caller("alice", Role::kMember);
  PhoneKeyAsk ask = Ask("lk-a");
  ask.valid_for_s = 2 * 86400;
  EXPECT_TRUE(Refused(Decide(ask, alice, Own(alice)), 403));
  EXPECT_TRUE(Refused(Decide(ask, admin, Own(admin)), 403));
  EXPECT_EQ(Granted(Decide(ask, owner, Own(owner))).not_after_s, kNowS + 2 * 86400);
  ask.valid_for_s = 90 * 86400;
  EXPECT_EQ(Granted(Decide(ask, owner, Own(owner))).not_after_s, kNowS + 90 * 86400);
  ask.valid_for_s = 90 * 86400 + 1;
  EXPECT_TRUE(Refused(Decide(ask, owner, Own(owner)), 400));
  ask.valid_for_s = 59;
  EXPECT_TRUE(Refused(Decide(ask, alice, Own(alice)), 400));
  ask.valid_for_s = 60;
  EXPECT_EQ(Granted(Decide(ask, alice, Own(alice))).not_after_s, kNowS + 60);
}

TEST(PhoneKeyRules, TheTargetAccountBoundsWhatAnAdminIssues) {
  const Principal admin = Caller("admin", Role::kAdmin);
  const Account bob = AccountOf("bob", "member", std::vector<std::string>{"lk-a"});
  PhoneKeyAsk ask;
  ask.phone = Phone(2);
  ask.account = "bob";
  ask.user = 7;  // the owner and admins know the locks' users
  const PhoneKeyGrant grant = Granted(Decide(ask, admin, bob));
  EXPECT_EQ(grant.account, "bob");
  EXPECT_EQ(grant.lock, "lk-a") << "bob's only lock";
  EXPECT_EQ(grant.user, 7u);
  ask.lock = "lk-b";
  EXPECT_TRUE(Refused(Decide(ask, admin, bob), 403)) << "not one of bob's locks";
  ask.lock = "*";
  EXPECT_TRUE(Refused(Decide(ask, admin, bob), 403)) << "bob does not see every lock";
  ask.account = "nobody";
  ask.lock = std::nullopt;
  EXPECT_TRUE(Refused(Decide(ask, admin, std::nullopt), 404));
  // An admin limited to one lock hands out keys to that lock only.
  const Principal narrow = Caller("admin2", Role::kAdmin, std::vector<std::string>{"lk-b"});
  ask.account = "dave";
  const Account dave = AccountOf("dave", "member");
  EXPECT_EQ(Granted(Decide(ask, narrow, dave)).lock, "lk-b");
  ask.lock = "*";
  EXPECT_TRUE(Refused(Decide(ask, narrow, dave), 403));
  ask.lock = "lk-a";
  EXPECT_TRUE(Refused(Decide(ask, narrow, dave), 404));
}

TEST(PhoneKeyRules, AGuestsKeyLiesInItsWindowAndGetsAutoOnlyFromTheOwner) {
  const Principal owner = Caller("owner", Role::kOwner);
  const Principal admin = Caller("admin", Role::kAdmin);
  Account guest = AccountOf("gina", "guest", std::vector<std::string>{"lk-a"});
  guest.valid_from_ms = kNowMs - 3'600'000;
  guest.valid_until_ms = kNowMs + 2 * 3'600'000 + 500;
  PhoneKeyAsk ask = Ask();
  ask.account = "gina";
  const PhoneKeyGrant grant = Granted(Decide(ask, owner, guest));
  EXPECT_EQ(grant.not_before_s, kNowS - 60);
  EXPECT_EQ(grant.not_after_s, kNowS + 2 * 3600) << "clipped to valid_until";
  // A stay that starts later: the key starts with it.
  guest.valid_from_ms = kNowMs + 3'600'000;
  EXPECT_EQ(Granted(Decide(ask, owner, guest)).not_before_s, kNowS + 3600);
  // A stay that is over leaves no time.
  guest.valid_from_ms = kNowMs - 7'200'000;
  guest.valid_until_ms = kNowMs - 3'600'000;
  EXPECT_TRUE(Refused(Decide(ask, owner, guest), 403));
  guest.valid_until_ms = kNowMs + 3'600'000;

  ask.auto_unlock = true;
  EXPECT_TRUE(Refused(Decide(ask, admin, guest), 403)) << "only the owner gives a guest auto-unlock";
  EXPECT_TRUE(Granted(Decide(ask, owner, guest)).auto_unlock);
  // The guest itself: its own phone, its lock, no auto.
  Principal gina = Caller("gina", Role::kGuest, std::vector<std::string>{"lk-a"});
  gina.valid_from_ms = guest.valid_from_ms;
  gina.valid_until_ms = guest.valid_until_ms;
  EXPECT_TRUE(Refused(Decide(ask, gina, guest), 403));
  ask.auto_unlock = false;
  EXPECT_EQ(Granted(Decide(ask, gina, guest)).not_after_s, kNowS + 3600);
  // Outside its window it sees no lock.
  gina.valid_until_ms = kNowMs - 1;
  ask.lock = "lk-a";
  EXPECT_TRUE(Refused(Decide(ask, gina, guest), 404));
}

TEST(PhoneKeyRules, TheBodyIsReadStrictly) {
  const std::string phone = crypto::Base64Encode(Phone(0x11));
  const Json good{{"phone_public_key", phone}, {"lock", "lk-a"}, {"user", 3}, {"account", "bob"}, {"valid_for_s", 3600},
                  {"ops", {"unlatch", "lock"}}, {"auto", true}};
  auto ask = DecodePhoneKeyAsk(good);
  ASSERT_TRUE(ask.ok()) << ask.status().ToString();
  EXPECT_EQ(ask->phone, Phone(0x11));
  EXPECT_EQ(ask->lock, "lk-a");
  EXPECT_EQ(ask->user, 3u);
  EXPECT_EQ(ask->account, "bob");
  EXPECT_EQ(ask->valid_for_s, 3600);
  EXPECT_EQ(ask->ops, (core::PhoneOps{.lock = true, .unlatch = true}));
  EXPECT_EQ(ask->auto_unlock, true);
  EXPECT_TRUE(DecodePhoneKeyAsk(Json{{"phone_public_key", phone}}).ok());

  const auto refused = [&](Json body, const std::string& field) {
    auto r = DecodePhoneKeyAsk(body);
    EXPECT_FALSE(r.ok()) << body.dump();
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().message();
  };
  refused(Json::object(), "phone_public_key");
  refused(Json{{"phone_public_key", crypto::Base64Encode(std::vector<uint8_t>(31, 1))}}, "phone_public_key");
  refused(Json{{"phone_public_key", "not base64!"}}, "phone_public_key");
  refused(Json{{"phone_public_key", phone}, {"pin", "1234"}}, "pin");
  refused(Json{{"phone_public_key", phone}, {"ops", Json::array()}}, "ops");
  refused(Json{{"phone_public_key", phone}, {"ops", {"unlock", "unlock"}}}, "ops");
  refused(Json{{"phone_public_key", phone}, {"ops", {"open"}}}, "ops");
  refused(Json{{"phone_public_key", phone}, {"valid_for_s", 59}}, "valid_for_s");
  refused(Json{{"phone_public_key", phone}, {"user", 65535}}, "user");
  refused(Json{{"phone_public_key", phone}, {"auto", "yes"}}, "auto");
  refused(Json{{"phone_public_key", phone}, {"lock", ""}}, "lock");
}

PhoneKeyRecord Key(uint64_t serial, const std::string& lock = "lk-a") {
  PhoneKeyRecord k;
  k.serial = serial;
  k.account = "alice";
  k.lock = lock;
  k.not_before_s = kNowS - 60;
  k.not_after_s = kNowS + 3600;
  k.ops = {.unlock = true};
  return k;
}

TEST(PhoneKeyRules, TheListNamesRevokedUnexpiredKeysOfTheCurrentEpochAscending) {
  std::vector<PhoneKeyRecord> keys;
  for (uint64_t serial : {9, 3, 5, 7, 4}) keys.push_back(Key(serial));
  for (auto& k : keys) {
    if (k.serial != 4) k.revoked_at_ms = kNowMs;  // 4 is not revoked
  }
  keys[2].not_after_s = kNowS;  // 5 has expired: no lock accepts it anyway
  keys[3].epoch = 0;            // 7 is of the epoch before: revoke-all covers it
  for (auto& k : keys) {
    if (k.serial != 7) k.epoch = 2;
  }
  EXPECT_EQ(RevokedSerials(keys, 2, kNowS), (std::vector<uint64_t>{3, 9}));
  EXPECT_EQ(RevokedSerials(keys, 0, kNowS), (std::vector<uint64_t>{3, 7, 9}));
  EXPECT_EQ(RevokedSerials(keys, 3, kNowS), std::vector<uint64_t>{});
}

TEST(PhoneKeyRules, AppliedSaysForEachLockTheKeyCouldReach) {
  PhoneKeyRecord one = Key(1, "lk-a");
  EXPECT_EQ(PhoneKeys::AppliedJson(one, kTwoLocks, {}), Json::object()) << "not revoked: nothing to apply";
  one.revoked_at_ms = kNowMs;
  one.revoked_version = 4;
  EXPECT_EQ(PhoneKeys::AppliedJson(one, kTwoLocks, {{"lk-a", 3}, {"lk-b", 9}}), (Json{{"lk-a", false}}));
  EXPECT_EQ(PhoneKeys::AppliedJson(one, kTwoLocks, {{"lk-a", 4}}), (Json{{"lk-a", true}}));
  PhoneKeyRecord every = one;
  every.lock = "*";
  EXPECT_EQ(PhoneKeys::AppliedJson(every, kTwoLocks, {{"lk-a", 5}}), (Json{{"lk-a", true}, {"lk-b", false}}));
  every.revoked_version = 0;  // revoked after it expired
  EXPECT_EQ(PhoneKeys::AppliedJson(every, kTwoLocks, {}), (Json{{"lk-a", true}, {"lk-b", true}}));
}

TEST(PhoneKeyRules, AKeyFitsItsAccountUntilTheOwnerNarrowsIt) {
  Account bob = AccountOf("bob", "member");
  PhoneKeyRecord key = Key(1, "*");
  EXPECT_TRUE(KeyFitsAccount(key, bob));
  bob.locks = std::vector<std::string>{"lk-a"};
  EXPECT_FALSE(KeyFitsAccount(key, bob)) << "\"*\" needs every lock";
  key.lock = "lk-a";
  EXPECT_TRUE(KeyFitsAccount(key, bob));
  bob.locks = std::vector<std::string>{"lk-b"};
  EXPECT_FALSE(KeyFitsAccount(key, bob));
  bob.locks.reset();
  bob.valid_until_ms = kNowMs + 3'600'000;
  EXPECT_TRUE(KeyFitsAccount(key, bob));
  bob.valid_until_ms = kNowMs + 1'800'000;
  EXPECT_FALSE(KeyFitsAccount(key, bob)) << "the key outlives the window now";
  bob.valid_until_ms.reset();
  bob.valid_from_ms = kNowMs;
  EXPECT_TRUE(KeyFitsAccount(key, bob)) << "the minute of skew every key has";
  bob.valid_from_ms = kNowMs + 60'000;
  EXPECT_FALSE(KeyFitsAccount(key, bob));
  EXPECT_TRUE(KeyFitsAccount(key, AccountOf("owner", "owner", std::vector<std::string>{"lk-b"})))
      << "nothing narrows the owner";
}

// ==============================================================================================
// The routes, in-process

class HubPhoneKeysTest : public testing::HubFixture {
 protected:
  void SetUp() override { StartAsOwner({"lk-a", "lk-b"}); }

  Answer Issue(const std::string& token, Json body, uint8_t phone = 0x11) {
    body["phone_public_key"] = crypto::Base64Encode(Phone(phone));
    return Call("POST", "/api/v1/phone-keys", body, token);
  }

  core::Ed25519PublicKey HomeKey() const { return hub_->phone_keys().home_key().public_key(); }
};

TEST_F(HubPhoneKeysTest, TheOwnerIssuesASignedCertificate) {
  const Answer a = Issue(owner_, Json{{"lock", "lk-a"}, {"user", 3}, {"ops", {"unlock"}}, {"valid_for_s", 3600}});
  ASSERT_EQ(a.status, 201u) << a.Describe();
  EXPECT_EQ(a.json["serial"], 1);
  EXPECT_EQ(a.json["lock"], "lk-a");
  EXPECT_EQ(a.json["user"], 3);
  EXPECT_EQ(a.json["account"], "owner");
  EXPECT_EQ(a.json["phone_public_key"], crypto::Base64Encode(Phone(0x11)));
  EXPECT_EQ(a.json["not_before"], "2026-11-25T09:59:00.000Z");
  EXPECT_EQ(a.json["not_after"], "2026-11-25T11:00:00.000Z");
  EXPECT_EQ(a.json["not_before_s"], kNowS - 60);
  EXPECT_EQ(a.json["not_after_s"], kNowS + 3600);
  EXPECT_EQ(a.json["ops"], Json({"unlock"}));
  EXPECT_EQ(a.json["auto"], false);
  EXPECT_EQ(a.json["epoch"], 0);
  EXPECT_EQ(a.json["revoked"], false);
  EXPECT_FALSE(a.json.contains("applied"));

  // The certificate is the one a lock checks: these fields, signed by the hub's home key.
  const auto bytes = crypto::Base64Decode(a.json["certificate"].get<std::string>(), core::kMaxPhoneKeyBytes);
  ASSERT_TRUE(bytes.has_value());
  auto cert = core::DecodePhoneKey(*bytes);
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  EXPECT_EQ(cert->serial, 1u);
  EXPECT_EQ(cert->lock, "lk-a");
  EXPECT_EQ(cert->user, 3);
  EXPECT_EQ(cert->phone, Phone(0x11));
  EXPECT_EQ(cert->not_after, kNowS + 3600);
  const crypto::SodiumCrypto crypto(crypto::SecretKey{});
  EXPECT_TRUE(crypto.VerifyEd25519(HomeKey(), core::PhoneKeySignedBytes(*cert), cert->sig));
  // The home key is kept: a hub started again on the same folder signs with the same key.
  const core::Ed25519PublicKey before = HomeKey();
  ASSERT_NO_FATAL_FAILURE(StartHub());
  EXPECT_EQ(HomeKey(), before);
  // Serials keep rising.
  EXPECT_EQ(Issue(owner_, Json{{"lock", "lk-a"}}).json["serial"], 2);
}

TEST_F(HubPhoneKeysTest, MembersEnrollTheirOwnPhoneAndSeeTheirOwnKeys) {
  const std::string alice = MakeAccount("alice", "member", Json{{"locks", {"lk-a"}}});
  const std::string bob = MakeAccount("bob", "member");
  const Answer own = Issue(alice, Json::object(), 0xa1);
  ASSERT_EQ(own.status, 201u) << own.Describe();
  EXPECT_EQ(own.json["lock"], "lk-a");
  EXPECT_EQ(own.json["user"], 0);
  EXPECT_EQ(Issue(alice, Json{{"account", "bob"}}).status, 403u);
  EXPECT_EQ(Issue(alice, Json{{"user", 2}}).status, 403u);
  EXPECT_EQ(Issue(alice, Json{{"lock", "lk-b"}}).status, 404u);
  EXPECT_EQ(Issue(alice, Json{{"valid_for_s", 86401}}).status, 403u);
  ASSERT_EQ(Issue(bob, Json::object(), 0xb0).status, 201u);
  ASSERT_EQ(Issue(owner_, Json{{"account", "bob"}, {"lock", "lk-b"}, {"user", 5}}).status, 201u);

  const Answer mine = Call("GET", "/api/v1/phone-keys", nullptr, alice);
  ASSERT_EQ(mine.status, 200u) << mine.Describe();
  ASSERT_EQ(mine.json.size(), 1u) << mine.Describe();
  EXPECT_EQ(mine.json[0]["account"], "alice");
  EXPECT_EQ(Call("GET", "/api/v1/phone-keys", nullptr, bob).json.size(), 2u);
  EXPECT_EQ(Call("GET", "/api/v1/phone-keys", nullptr, owner_).json.size(), 3u);
  // Another's key is not there for a member: not found, and nothing happens to it.
  const std::string bobs = std::to_string(Call("GET", "/api/v1/phone-keys", nullptr, bob).json[0]["serial"].get<int>());
  EXPECT_EQ(Call("DELETE", "/api/v1/phone-keys/" + bobs, nullptr, alice).status, 404u);
  EXPECT_EQ(Call("DELETE", "/api/v1/phone-keys/99", nullptr, owner_).status, 404u);
  EXPECT_EQ(Call("DELETE", "/api/v1/phone-keys/x1", nullptr, owner_).status, 400u);
  // Revoke-all and the list are the owner's and admins'.
  EXPECT_EQ(Call("POST", "/api/v1/phone-keys/revoke-all", nullptr, alice).status, 403u);
  EXPECT_EQ(Call("GET", "/api/v1/phone-keys/revocations", nullptr, alice).status, 403u);
  // Its own key a member revokes.
  const Answer revoked = Call("DELETE", "/api/v1/phone-keys/" + std::to_string(own.json["serial"].get<int>()), nullptr, alice);
  ASSERT_EQ(revoked.status, 200u) << revoked.Describe();
  EXPECT_EQ(revoked.json["revoked"], true);
  EXPECT_EQ(revoked.json["revoked_at"], "2026-11-25T10:00:00.000Z");
  EXPECT_EQ(revoked.json["applied"], (Json{{"lk-a", false}})) << "no lock has answered yet";
}

// The signed list: what a lock (or an admin's phone) carries. Versions rise with each change;
// revoke-all raises the epoch and empties the list; an expired key needs no list.
TEST_F(HubPhoneKeysTest, RevocationsMakeASignedVersionedList) {
  const crypto::SodiumCrypto crypto(crypto::SecretKey{});
  const auto list = [&] {
    const Answer a = Call("GET", "/api/v1/phone-keys/revocations", nullptr, owner_);
    EXPECT_EQ(a.status, 200u) << a.Describe();
    const auto bytes = crypto::Base64Decode(a.json.value("list", ""), core::kMaxPhoneRevocationBytes);
    EXPECT_TRUE(bytes.has_value());
    auto decoded = core::DecodePhoneRevocations(bytes.value_or(std::vector<uint8_t>{}));
    EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_TRUE(decoded.ok() && core::VerifyPhoneRevocations(crypto, HomeKey(), *decoded));
    EXPECT_EQ(a.json["home_key"], crypto::Base64Encode(HomeKey()));
    EXPECT_EQ(a.json["version"], decoded.ok() ? decoded->version : 999);
    return decoded.ok() ? *decoded : core::PhoneRevocations{};
  };
  EXPECT_EQ(list().version, 0u);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Issue(owner_, Json{{"lock", "lk-a"}, {"valid_for_s", 600}}).status, 201u);
  ASSERT_EQ(Call("DELETE", "/api/v1/phone-keys/3", nullptr, owner_).status, 200u);
  ASSERT_EQ(Call("DELETE", "/api/v1/phone-keys/1", nullptr, owner_).status, 200u);
  EXPECT_EQ(Call("DELETE", "/api/v1/phone-keys/1", nullptr, owner_).status, 200u) << "again: nothing changes";
  core::PhoneRevocations now = list();
  EXPECT_EQ(now.version, 2u);
  EXPECT_EQ(now.epoch, 0u);
  EXPECT_EQ(now.revoked, (std::vector<uint64_t>{1, 3}));
  const Answer keys = Call("GET", "/api/v1/phone-keys", nullptr, owner_);
  EXPECT_EQ(keys.json[0]["applied"], (Json{{"lk-a", false}}));
  EXPECT_FALSE(keys.json[1].contains("applied"));

  // A lock that answered version 2 has applied both; one that answered 1 only the first one.
  ASSERT_TRUE(hub_->store().PutLockPhoneKeys({.lock = "lk-a", .home_key = true, .revocations_version = 1}).ok());
  EXPECT_EQ(Call("GET", "/api/v1/phone-keys", nullptr, owner_).json[2]["applied"], (Json{{"lk-a", true}}));
  EXPECT_EQ(Call("GET", "/api/v1/phone-keys", nullptr, owner_).json[0]["applied"], (Json{{"lk-a", false}}));

  // Ten minutes on, the keys have expired and a new revocation leaves them out.
  env_.clock().Advance(601'000);
  ASSERT_EQ(Issue(owner_, Json{{"lock", "lk-b"}}).status, 201u);
  ASSERT_EQ(Call("DELETE", "/api/v1/phone-keys/4", nullptr, owner_).status, 200u);
  now = list();
  EXPECT_EQ(now.version, 3u);
  EXPECT_EQ(now.revoked, (std::vector<uint64_t>{4}));
  // Revoking an expired key changes no list.
  const Answer expired = Call("DELETE", "/api/v1/phone-keys/2", nullptr, owner_);
  EXPECT_EQ(expired.json["applied"], (Json{{"lk-a", true}}));
  EXPECT_EQ(list().version, 3u);

  const Answer all = Call("POST", "/api/v1/phone-keys/revoke-all", nullptr, owner_);
  ASSERT_EQ(all.status, 200u) << all.Describe();
  EXPECT_EQ(all.json, (Json{{"epoch", 1}, {"version", 4}}));
  now = list();
  EXPECT_EQ(now.epoch, 1u);
  EXPECT_TRUE(now.revoked.empty());
  const Answer fresh = Issue(owner_, Json{{"lock", "lk-b"}});
  EXPECT_EQ(fresh.json["epoch"], 1);
  for (const Json& key : Call("GET", "/api/v1/phone-keys", nullptr, owner_).json) {
    EXPECT_EQ(key["revoked"], key["serial"] != fresh.json["serial"]) << key.dump();
  }
}

TEST_F(HubPhoneKeysTest, AFullListIsRefusedWithAdviceToRevokeAll) {
  PhoneKeys& keys = hub_->phone_keys();
  std::vector<uint64_t> serials;
  for (std::size_t i = 0; i <= core::kMaxRevokedPhoneKeys; ++i) {
    PhoneKeyRecord k = Key(0, "lk-a");
    auto serial = hub_->store().NextPhoneKeySerial();
    ASSERT_TRUE(serial.ok());
    k.serial = *serial;
    k.account = "owner";
    k.certificate = {0xab};
    ASSERT_TRUE(hub_->store().PutPhoneKey(k).ok());
    serials.push_back(k.serial);
  }
  ASSERT_TRUE(keys.Revoke(std::span(serials).first(core::kMaxRevokedPhoneKeys), Json()).ok());
  const Answer full = Call("DELETE", "/api/v1/phone-keys/" + std::to_string(serials.back()), nullptr, owner_);
  EXPECT_EQ(full.status, 409u) << full.Describe();
  EXPECT_EQ(full.json["error"]["code"], "resource_exhausted");
  EXPECT_NE(full.json["error"]["message"].get<std::string>().find("revoke-all"), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/phone-keys", nullptr, owner_).json.back()["revoked"], false);
  EXPECT_EQ(keys.state()->revoked.size(), core::kMaxRevokedPhoneKeys);
}

// An account that goes, or loses a lock, takes its phone keys with it.
TEST_F(HubPhoneKeysTest, DeletingOrNarrowingAnAccountRevokesItsKeys) {
  MakeAccount("gina", "guest", Json{{"locks", {"lk-a", "lk-b"}}});
  ASSERT_EQ(Issue(owner_, Json{{"account", "gina"}, {"lock", "lk-a"}}).status, 201u);
  ASSERT_EQ(Issue(owner_, Json{{"account", "gina"}, {"lock", "lk-b"}}).status, 201u);
  ASSERT_EQ(Call("PATCH", "/api/v1/accounts/gina", Json{{"locks", {"lk-b"}}}, owner_).status, 200u);
  Json keys = Call("GET", "/api/v1/phone-keys", nullptr, owner_).json;
  EXPECT_EQ(keys[0]["revoked"], true) << "lk-a is not gina's any more";
  EXPECT_EQ(keys[1]["revoked"], false);
  ASSERT_EQ(Call("DELETE", "/api/v1/accounts/gina", nullptr, owner_).status, 200u);
  keys = Call("GET", "/api/v1/phone-keys", nullptr, owner_).json;
  EXPECT_EQ(keys[1]["revoked"], true);
  EXPECT_EQ(hub_->phone_keys().state()->revoked, (std::vector<uint64_t>{1, 2}));
}

// A phone's unlock reaches the history with its key's serial and `auto`.
TEST(HubPhoneKeyEvents, HistoryKeepsTheSerialAndAuto) {
  const Json link{{"seq", 12},
                  {"time", kNowMs},
                  {"kind", "lock_operation"},
                  {"operation", "unlock"},
                  {"source", "phone"},
                  {"user", 0},
                  {"credential", {{"type", "phone_key"}, {"index", 0}, {"serial", 7}}},
                  {"auto", true},
                  {"hash", std::string(64, 'a')}};
  ASSERT_TRUE(wire::DecodeEvent(wire::Form::kLink, link).ok()) << "an event this hub knows";
  const Json api = ApiEventJson(link, "lk-a");
  EXPECT_EQ(api["credential"], (Json{{"type", "phone_key"}, {"index", 0}, {"serial", 7}})) << api.dump();
  EXPECT_EQ(api["auto"], true);
  EXPECT_EQ(api["source"], "phone");
  EXPECT_EQ(api["time"], "2026-11-25T10:00:00.000Z");
}

}  // namespace
}  // namespace latchkey::hub
