// The hub's accounts, tokens and logins through its router, in-process (a Hub started on a
// temporary folder, requests handed to Router::Dispatch with any client address): issue 9's
// items 1 (tokens and accounts never wider than their maker; a child ends with its parent),
// 6 (a login limiter that cannot keep the owner out), 7 (a password change ends the account's
// other tokens; the owner lists and revokes any token) and parts of 13 (?token= only on the
// stream, the chain check paged and for owner/admin, the generated owner password removed at the
// owner's first login).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/event.h"
#include "crypto/sodium_crypto.h"
#include "hub/hub.h"
#include "hub/matter_control.h"
#include "hub_fixture.h"
#include "platform/time_format.h"
#include "store/sqlite_db.h"
#include "wire/json_codec.h"

namespace latchkey::hub {
namespace {

class HubAuthApiTest : public testing::HubFixture {
 protected:
  // POST /tokens; the new token's {"id", "token"} (status checked by the caller when not 201).
  Answer Mint(const std::string& with, Json body) { return Call("POST", "/api/v1/tokens", body, with); }

  std::string InHours(int hours) const { return platform::FormatRfc3339Ms(env_.NowMs() + hours * 3'600'000LL); }
};

// ---------------------------------------------------------------------------------------------
// Item 1: token minting

// Issue 9's reproduction: a token scoped to guest, one lock and tomorrow made a token with the
// account's full role, every lock and no expiry. Left-out fields are now the calling token's.
TEST_F(HubAuthApiTest, ATokenMadeWithAScopedTokenInheritsItsLimits) {
  const std::string tomorrow = InHours(24);
  const Answer scoped = Mint(Owner(), Json{{"name", "scoped"}, {"role", "guest"}, {"locks", {"lk-a"}}, {"expires_at", tomorrow}});
  ASSERT_EQ(scoped.status, 201u) << scoped.Describe();
  const Answer child = Mint(scoped.json["token"], Json{{"name", "child"}});
  ASSERT_EQ(child.status, 201u) << child.Describe();

  const Answer me = Call("GET", "/api/v1/me", nullptr, child.json["token"]);
  EXPECT_EQ(me.json.value("effective_role", ""), "guest") << me.Describe();
  EXPECT_EQ(Call("GET", "/api/v1/accounts", nullptr, child.json["token"]).status, 403u);
  EXPECT_EQ(Call("POST", "/api/v1/accounts", Json{{"username", "evil"}, {"password", "evil-password"}, {"role", "admin"}},
                 child.json["token"]).status,
            403u);
  const Answer listed = Call("GET", "/api/v1/tokens", nullptr, Owner());
  bool found = false;
  for (const Json& t : listed.json) {
    if (t["id"] != child.json["id"]) continue;
    found = true;
    EXPECT_EQ(t.value("role", ""), "guest") << t.dump();
    EXPECT_EQ(t.value("locks", Json()), Json({"lk-a"})) << t.dump();
    EXPECT_EQ(t.value("expires_at", ""), tomorrow) << t.dump();
    EXPECT_EQ(t.value("parent", ""), scoped.json["id"]) << t.dump();
  }
  EXPECT_TRUE(found) << listed.Describe();
}

TEST_F(HubAuthApiTest, AGivenFieldWiderThanTheCallerIsRefused) {
  const Answer scoped =
      Mint(Owner(), Json{{"name", "scoped"}, {"role", "member"}, {"locks", {"lk-a", "lk-b"}}, {"expires_at", InHours(24)}});
  ASSERT_EQ(scoped.status, 201u) << scoped.Describe();
  const std::string t = scoped.json["token"];
  for (const Json& wider : {Json{{"name", "w"}, {"role", "admin"}}, Json{{"name", "w"}, {"locks", {"lk-c"}}},
                            Json{{"name", "w"}, {"locks", {"lk-a", "lk-c"}}}, Json{{"name", "w"}, {"expires_at", InHours(48)}}}) {
    const Answer a = Mint(t, wider);
    EXPECT_EQ(a.status, 403u) << wider.dump() << ": " << a.Describe();
  }
  const Answer narrower = Mint(t, Json{{"name", "n"}, {"role", "guest"}, {"locks", {"lk-b"}}, {"expires_at", InHours(1)}});
  EXPECT_EQ(narrower.status, 201u) << narrower.Describe();
}

TEST_F(HubAuthApiTest, AChildEndsWhenItsParentIsRevoked) {
  const Answer parent = Mint(Owner(), Json{{"name", "parent"}});
  ASSERT_EQ(parent.status, 201u);
  const Answer child = Mint(parent.json["token"], Json{{"name", "child"}});
  ASSERT_EQ(child.status, 201u);
  const Answer grandchild = Mint(child.json["token"], Json{{"name", "grandchild"}});
  ASSERT_EQ(grandchild.status, 201u);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, grandchild.json["token"]).status, 200u);
  ASSERT_EQ(Call("DELETE", "/api/v1/tokens/" + parent.json["id"].get<std::string>(), nullptr, Owner()).status, 200u);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, child.json["token"]).status, 401u);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, grandchild.json["token"]).status, 401u);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, Owner()).status, 200u) << "the session that made them stays";
}

// A child ends when its parent expires. Minting makes a child expire no later than its parent,
// and authentication checks every parent up the chain: here the parent's row is given a past
// expiry directly, with the child's row still claiming a later one.
TEST_F(HubAuthApiTest, AChildEndsWhenItsParentExpires) {
  const Answer parent = Mint(Owner(), Json{{"name", "parent"}, {"expires_at", InHours(2)}});
  ASSERT_EQ(parent.status, 201u);
  const Answer child = Mint(parent.json["token"], Json{{"name", "child"}});
  ASSERT_EQ(child.status, 201u);
  auto record = hub_->store().GetToken(child.json["id"]);
  ASSERT_TRUE(record.ok() && record->has_value());
  auto parent_record = hub_->store().GetToken(parent.json["id"]);
  ASSERT_TRUE(parent_record.ok() && parent_record->has_value());
  EXPECT_EQ((*record)->expires_at_ms, (*parent_record)->expires_at_ms) << "inherited";
  TokenRecord later = **record;
  later.expires_at_ms = *later.expires_at_ms + 3'600'000;
  ASSERT_TRUE(hub_->store().PutToken(later, HashToken(child.json["token"].get<std::string>())).ok());
  TokenRecord expired = **parent_record;
  expired.expires_at_ms = hub_->NowMs() - 1000;
  ASSERT_TRUE(hub_->store().PutToken(expired, HashToken(parent.json["token"].get<std::string>())).ok());
  const Answer me = Call("GET", "/api/v1/me", nullptr, child.json["token"]);
  EXPECT_EQ(me.status, 401u) << me.Describe();
}

// A token made with a login session is the account's own: bounded by the account, not by the
// 24 h session, and it outlives a logout.
TEST_F(HubAuthApiTest, ATokenMadeWithASessionIsTheAccountsOwn) {
  const std::string session = Login("owner", kOwnerPassword);
  const Answer token = Mint(session, Json{{"name", "home assistant"}});
  ASSERT_EQ(token.status, 201u);
  ASSERT_EQ(Call("POST", "/api/v1/auth/logout", nullptr, session).status, 200u);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, token.json["token"]).status, 200u);
}

// Accounts too: an owner's token narrowed to some locks or a time makes accounts within them
// and cannot touch a wider account (a new password for `owner` would hand it the whole hub).
TEST_F(HubAuthApiTest, AnAccountIsNeverWiderThanItsCreator) {
  const Answer narrowed = Mint(Owner(), Json{{"name", "narrow"}, {"locks", {"lk-a"}}, {"expires_at", InHours(24)}});
  ASSERT_EQ(narrowed.status, 201u);
  const std::string t = narrowed.json["token"];
  const Answer made = Call("POST", "/api/v1/accounts", Json{{"username", "ann"}, {"password", "ann-password-1"}, {"role", "admin"}}, t);
  ASSERT_EQ(made.status, 201u) << made.Describe();
  EXPECT_EQ(made.json.value("locks", Json()), Json({"lk-a"})) << made.Describe();
  EXPECT_TRUE(made.json.contains("valid_until")) << "ends when the token does: " << made.Describe();
  EXPECT_EQ(Call("POST", "/api/v1/accounts",
                 Json{{"username", "bo"}, {"password", "bo-password-1"}, {"role", "member"}, {"locks", {"lk-b"}}}, t)
                .status,
            403u);
  EXPECT_EQ(Call("PATCH", "/api/v1/accounts/ann", Json{{"locks", nullptr}}, t).status, 403u) << "every lock is wider";
  EXPECT_EQ(Call("PATCH", "/api/v1/accounts/owner", Json{{"password", "taken-over-1"}}, t).status, 403u);
  MakeAccount("wide", "member");  // every lock
  EXPECT_EQ(Call("PATCH", "/api/v1/accounts/wide", Json{{"password", "taken-over-1"}}, t).status, 403u);
  EXPECT_EQ(Call("DELETE", "/api/v1/accounts/wide", nullptr, t).status, 403u);
  EXPECT_EQ(Call("PATCH", "/api/v1/accounts/ann", Json{{"role", "guest"}}, t).status, 200u);
}

// ---------------------------------------------------------------------------------------------
// Item 4 (through the API): an admin's lock list and window

TEST_F(HubAuthApiTest, AnAdminsLockListAndWindowBindItsTokens) {
  const std::string admin = MakeAccount("adm", "admin", Json{{"locks", {"lk-a"}}});
  EXPECT_EQ(Mint(admin, Json{{"name", "x"}, {"locks", {"lk-b"}}}).status, 403u);
  const Answer inherited = Mint(admin, Json{{"name", "x"}});
  ASSERT_EQ(inherited.status, 201u);
  const Answer expired = Call("POST", "/api/v1/accounts",
                              Json{{"username", "adm-past"},
                                   {"password", "adm-past-password"},
                                   {"role", "admin"},
                                   {"valid_from", InHours(-3)},
                                   {"valid_until", InHours(-1)}},
                              Owner());
  ASSERT_EQ(expired.status, 201u);
  const std::string past = Login("adm-past", "adm-past-password");
  EXPECT_EQ(Call("GET", "/api/v1/locks", nullptr, past).json, Json::array());
  EXPECT_EQ(Call("GET", "/api/v1/webhooks", nullptr, past).status, 403u) << "no lock-wide power outside its window";
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, past).status, 200u);
}

// The same rules as time passes, on the hub's fake clock (hub/env.h): nothing is waited for.
TEST_F(HubAuthApiTest, AnAccountsWindowOpensAndClosesWithTheHubsClock) {
  const Answer made = Call("POST", "/api/v1/accounts",
                           Json{{"username", "adm-later"},
                                {"password", "adm-later-password"},
                                {"role", "admin"},
                                {"valid_from", InHours(1)},
                                {"valid_until", InHours(2)}},
                           Owner());
  ASSERT_EQ(made.status, 201u) << made.Describe();
  const std::string later = Login("adm-later", "adm-later-password");
  EXPECT_EQ(Call("GET", "/api/v1/webhooks", nullptr, later).status, 403u) << "before its window";
  env_.clock().Advance(3'600'000);
  EXPECT_EQ(Call("GET", "/api/v1/webhooks", nullptr, later).status, 200u) << "inside";
  env_.clock().Advance(3'600'001);
  EXPECT_EQ(Call("GET", "/api/v1/webhooks", nullptr, later).status, 403u) << "after";
}

TEST_F(HubAuthApiTest, AMintedTokenEndsAtItsExpiryAndItsChildWithIt) {
  const Answer parent = Mint(Owner(), Json{{"name", "day"}, {"expires_at", InHours(24)}});
  ASSERT_EQ(parent.status, 201u) << parent.Describe();
  const Answer child = Mint(parent.json["token"], Json{{"name", "child"}});
  ASSERT_EQ(child.status, 201u) << child.Describe();
  env_.clock().Advance(24 * 3'600'000LL);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, parent.json["token"]).status, 200u) << "through its last millisecond";
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, child.json["token"]).status, 200u);
  env_.clock().Advance(1);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, parent.json["token"]).status, 401u);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, child.json["token"]).status, 401u) << "never outlives its parent";
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, Owner()).status, 401u) << "a login session lasts 24 h";
}

TEST_F(HubAuthApiTest, AGuessingAddressMayLogInAgainOnceItsWaitHasPassed) {
  Answer refused;
  for (int i = 0; i < 30 && refused.status != 429u; ++i) {
    refused = Call("POST", "/api/v1/auth/login", Json{{"username", "owner"}, {"password", "guess-" + std::to_string(i)}},
                   "", "10.0.0.77");
  }
  ASSERT_EQ(refused.status, 429u) << refused.Describe();
  const int64_t wait_s = refused.json["error"].value("retry_after_s", int64_t{0});
  ASSERT_GT(wait_s, 0) << refused.Describe();
  const Json right{{"username", "owner"}, {"password", kOwnerPassword}};
  EXPECT_EQ(Call("POST", "/api/v1/auth/login", right, "", "10.0.0.77").status, 429u);
  env_.clock().Advance(wait_s * 1000);
  EXPECT_EQ(Call("POST", "/api/v1/auth/login", right, "", "10.0.0.77").status, 200u) << "after retry_after_s";
}

// ---------------------------------------------------------------------------------------------
// Item 6: login

TEST_F(HubAuthApiTest, ABurstForTheOwnerFromOneAddressDoesNotKeepTheOwnerOut) {
  for (int i = 0; i < 30; ++i) {
    const Answer a = Call("POST", "/api/v1/auth/login", Json{{"username", "owner"}, {"password", "guess-" + std::to_string(i)}},
                          "", "10.0.0.66");
    ASSERT_TRUE(a.status == 401u || a.status == 429u) << a.Describe();
  }
  const Answer attacker =
      Call("POST", "/api/v1/auth/login", Json{{"username", "owner"}, {"password", kOwnerPassword}}, "", "10.0.0.66");
  EXPECT_EQ(attacker.status, 429u) << "the guessing address waits, even with the right password";
  const Answer owner =
      Call("POST", "/api/v1/auth/login", Json{{"username", "owner"}, {"password", kOwnerPassword}}, "", "192.168.1.20");
  EXPECT_EQ(owner.status, 200u) << owner.Describe();
}

TEST_F(HubAuthApiTest, AnUnknownNameCostsOneArgon2VerificationLikeAKnownOne) {
  const auto login = [&](const std::string& name) {
    const uint64_t before = PasswordVerifications();
    const Answer a = Call("POST", "/api/v1/auth/login", Json{{"username", name}, {"password", "wrong-password"}}, "", "10.9.9.9");
    EXPECT_EQ(a.status, 401u) << a.Describe();
    EXPECT_EQ(a.json["error"].value("message", ""), "wrong username or password");
    return PasswordVerifications() - before;
  };
  EXPECT_EQ(login("owner"), 1u);
  EXPECT_EQ(login("nobody-by-this-name"), 1u);
}

// ---------------------------------------------------------------------------------------------
// Item 7: a password change ends the account's other sessions and tokens

TEST_F(HubAuthApiTest, APasswordChangeByTheOwnerEndsEveryTokenOfTheAccount) {
  const std::string first = MakeAccount("mia", "member");
  const std::string second = Login("mia", "mia-password");
  const Answer api = Mint(first, Json{{"name", "script"}});
  ASSERT_EQ(api.status, 201u);
  const Answer child = Mint(api.json["token"], Json{{"name", "child"}});
  ASSERT_EQ(child.status, 201u);
  ASSERT_EQ(Call("PATCH", "/api/v1/accounts/mia", Json{{"password", "new-mia-password"}}, Owner()).status, 200u);
  for (const std::string& t : {first, second, api.json["token"].get<std::string>(), child.json["token"].get<std::string>()}) {
    EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, t).status, 401u);
  }
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, Login("mia", "new-mia-password")).status, 200u);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, Owner()).status, 200u) << "the owner's own session is not the account's";
  // A change that leaves the password alone ends nothing.
  const std::string third = Login("mia", "new-mia-password");
  ASSERT_EQ(Call("PATCH", "/api/v1/accounts/mia", Json{{"role", "guest"}}, Owner()).status, 200u);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, third).status, 200u);
}

TEST_F(HubAuthApiTest, ChangingOnesOwnPasswordKeepsOnlyTheCallingSession) {
  const std::string caller = Owner();
  const std::string other = Login("owner", kOwnerPassword);
  const Answer api = Mint(caller, Json{{"name", "script"}});
  ASSERT_EQ(api.status, 201u);
  ASSERT_EQ(Call("PATCH", "/api/v1/accounts/owner", Json{{"password", "new-owner-password"}}, caller).status, 200u);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, caller).status, 200u);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, other).status, 401u);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, api.json["token"]).status, 401u);
}

TEST_F(HubAuthApiTest, TheOwnerListsAndRevokesAnyAccountsTokens) {
  const std::string mia = MakeAccount("mia", "member");
  const std::string bob = MakeAccount("bob", "member");
  const Answer token = Mint(mia, Json{{"name", "mia's script"}});
  ASSERT_EQ(token.status, 201u);
  const Answer listed = Call("GET", "/api/v1/tokens?account=mia", nullptr, Owner());
  ASSERT_EQ(listed.status, 200u) << listed.Describe();
  ASSERT_EQ(listed.json.size(), 1u) << listed.Describe();
  EXPECT_EQ(listed.json[0]["id"], token.json["id"]);
  EXPECT_EQ(Call("GET", "/api/v1/tokens?account=mia", nullptr, bob).status, 403u);
  EXPECT_EQ(Call("GET", "/api/v1/tokens?account=mia", nullptr, mia).status, 200u) << "one's own";
  EXPECT_EQ(Call("GET", "/api/v1/tokens?account=nobody", nullptr, Owner()).status, 404u);
  const std::string path = "/api/v1/tokens/" + token.json["id"].get<std::string>();
  EXPECT_EQ(Call("DELETE", path, nullptr, bob).status, 404u) << "not another member's";
  EXPECT_EQ(Call("DELETE", path, nullptr, Owner()).status, 200u);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, token.json["token"]).status, 401u);
}

// ---------------------------------------------------------------------------------------------
// Issue 10: the hub answers a token and a lock from memory while its store is unchanged
// (Directory::PrincipalOf, Directory::FindLock). Each step below is first answered from that cache (the
// same request twice), then a write or the clock must change the very next answer.

TEST_F(HubAuthApiTest, TheReadCacheNeverOutlivesAWriteOrAnExpiry) {
  const std::string mia = MakeAccount("mia", "member");
  const auto me = [&](const std::string& token) { return Call("GET", "/api/v1/me", nullptr, token); };
  const auto mint = [&](const std::string& with, const std::string& name) {
    const Answer a = Mint(with, Json{{"name", name}});
    EXPECT_EQ(a.status, 201u) << a.Describe();
    return std::pair{a.json.value("id", ""), a.json.value("token", "")};
  };

  // Revocation, and the cascade to a child (one DELETE of the parent's row).
  const auto [script_id, script] = mint(mia, "script");
  const auto [child_id, child] = mint(script, "child");
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(me(script).status, 200u);
    EXPECT_EQ(me(child).status, 200u);
  }
  ASSERT_EQ(Call("DELETE", "/api/v1/tokens/" + script_id, nullptr, Owner()).status, 200u);
  EXPECT_EQ(me(script).status, 401u) << "revoked";
  EXPECT_EQ(me(child).status, 401u) << "a child ends with its parent";

  // A changed role, then a changed password.
  EXPECT_EQ(me(mia).json.value("effective_role", ""), "member");
  EXPECT_EQ(me(mia).json.value("effective_role", ""), "member");
  ASSERT_EQ(Call("PATCH", "/api/v1/accounts/mia", Json{{"role", "guest"}}, Owner()).status, 200u);
  EXPECT_EQ(me(mia).json.value("effective_role", ""), "guest");
  ASSERT_EQ(Call("PATCH", "/api/v1/accounts/mia", Json{{"password", "new-mia-password"}}, Owner()).status, 200u);
  EXPECT_EQ(me(mia).status, 401u) << "a password change ends the account's sessions";

  // Expiry by the clock alone: no write between the cached answer and the refusal.
  const std::string again = Login("mia", "new-mia-password");
  const auto [short_id, short_lived] = mint(again, "short");
  auto record = hub_->store().GetToken(short_id);
  ASSERT_TRUE(record.ok() && record->has_value());
  TokenRecord soon = **record;
  soon.expires_at_ms = hub_->NowMs() + 300;
  ASSERT_TRUE(hub_->store().PutToken(soon, HashToken(short_lived)).ok());
  EXPECT_EQ(me(short_lived).status, 200u);
  EXPECT_EQ(me(short_lived).status, 200u);
  env_.clock().Advance(300);
  EXPECT_EQ(me(short_lived).status, 200u) << "a token holds through its expires_at millisecond";
  env_.clock().Advance(1);
  EXPECT_EQ(me(short_lived).status, 401u) << "expired while cached";

  // A write by another connection to the same database (sqlite3 by hand, say).
  const auto [other_id, other] = mint(again, "other");
  EXPECT_EQ(me(other).status, 200u);
  EXPECT_EQ(me(other).status, 200u);
  {
    auto db = store::Database::Open(dir_ + "/hub.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Exec("DELETE FROM tokens WHERE id = '" + other_id + "'").ok());
  }
  EXPECT_EQ(me(other).status, 401u) << "deleted by another connection";

  // The account's deletion.
  EXPECT_EQ(me(again).status, 200u);
  ASSERT_EQ(Call("DELETE", "/api/v1/accounts/mia", nullptr, Owner()).status, 200u);
  EXPECT_EQ(me(again).status, 401u) << "the account is gone";

  // A lock: its new state, then its removal.
  LockRecord lock = PutLock("lk-cached");
  const std::string path = "/api/v1/locks/" + lock.id;
  EXPECT_EQ(Call("GET", path, nullptr, Owner()).json.value("name", ""), "front");
  EXPECT_EQ(Call("GET", path, nullptr, Owner()).json.value("name", ""), "front");
  ASSERT_TRUE(hub_->store().SetLockState(lock.id, Json{{"name", "back"}}).ok());
  EXPECT_EQ(Call("GET", path, nullptr, Owner()).json.value("name", ""), "back");
  ASSERT_TRUE(hub_->store().DeleteLock(lock.id).ok());
  EXPECT_EQ(Call("GET", path, nullptr, Owner()).status, 404u);
}

// ---------------------------------------------------------------------------------------------
// Item 13

TEST_F(HubAuthApiTest, ATokenInTheQueryIsOnlyForTheStream) {
  const Answer me = Call("GET", "/api/v1/me?token=" + Owner());
  EXPECT_EQ(me.status, 401u) << me.Describe();
  EXPECT_EQ(Call("GET", "/api/v1/locks?token=" + Owner()).status, 401u);
  HttpRequest stream;
  stream.path = "/api/v1/stream";
  stream.query["token"] = Owner();
  EXPECT_TRUE(hub_->directory().Authenticate(stream).ok()) << "a browser's WebSocket cannot send a header";
}

// SECURITY.md "Least knowledge": duress reaches owner and admin only, in history as on the
// stream, whoever used the code; the page goes on past what it withholds.
TEST_F(HubAuthApiTest, HistoryShowsDuressToOwnerAndAdminOnly) {
  PutLock("lk-a");
  std::vector<Json> events;
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    core::Event e = seq == 2 ? core::AlarmEvent(core::AlarmKind::kForcedUser) : core::AlarmEvent(core::AlarmKind::kTamper);
    e.seq = seq;
    e.time_ms = 1'795'600'000'000 + static_cast<int64_t>(seq);
    events.push_back(wire::EventToJson(e));
  }
  ASSERT_TRUE(hub_->store().AppendEvents("lk-a", events).ok());
  const auto seqs = [](const Answer& a) {
    std::vector<uint64_t> out;
    for (const Json& e : a.json["events"]) out.push_back(e.value("seq", uint64_t{0}));
    return out;
  };
  const std::string member = MakeAccount("mem", "member");
  const std::string admin = MakeAccount("adm", "admin");
  for (int twice = 0; twice < 2; ++twice) {  // the second time from the page cache
    const Answer m = Call("GET", "/api/v1/locks/lk-a/events", nullptr, member);
    ASSERT_EQ(m.status, 200u) << m.Describe();
    EXPECT_EQ(seqs(m), (std::vector<uint64_t>{1, 3}));
    EXPECT_EQ(m.json.value("next_after", uint64_t{0}), 3u) << "paging goes on past the withheld event";
    EXPECT_EQ(seqs(Call("GET", "/api/v1/locks/lk-a/events", nullptr, admin)), (std::vector<uint64_t>{1, 2, 3}));
    EXPECT_EQ(seqs(Call("GET", "/api/v1/locks/lk-a/events", nullptr, Owner())), (std::vector<uint64_t>{1, 2, 3}));
    EXPECT_EQ(seqs(Call("GET", "/api/v1/events", nullptr, member)), (std::vector<uint64_t>{3, 1}));
    EXPECT_EQ(seqs(Call("GET", "/api/v1/events", nullptr, Owner())), (std::vector<uint64_t>{3, 2, 1}));
  }
}

TEST_F(HubAuthApiTest, TheChainCheckGoesPageByPageAndIsForOwnerAndAdmin) {
  PutLock("lk-a");
  const crypto::SodiumCrypto chain(crypto::SecretKey{});
  core::Digest prev{};
  std::vector<Json> events;
  constexpr uint64_t kEvents = 2500;  // more than two pages
  for (uint64_t seq = 1; seq <= kEvents; ++seq) {
    core::Event e = core::AlarmEvent(core::AlarmKind::kTamper);
    e.seq = seq;
    e.time_ms = 1'795'600'000'000 + static_cast<int64_t>(seq);
    e.hash = core::ChainHashOf(chain, prev, e);
    prev = e.hash;
    events.push_back(wire::EventToJson(e));
  }
  ASSERT_TRUE(hub_->store().AppendEvents("lk-a", events).ok());
  Answer r = Call("GET", "/api/v1/locks/lk-a/events/verify", nullptr, Owner());
  ASSERT_EQ(r.status, 200u) << r.Describe();
  EXPECT_EQ(r.json, (Json{{"ok", true}, {"count", kEvents}, {"last_seq", kEvents}}));

  const std::string member = MakeAccount("mem", "member");
  EXPECT_EQ(Call("GET", "/api/v1/locks/lk-a/events/verify", nullptr, member).status, 403u);
  const std::string admin = MakeAccount("adm", "admin");
  EXPECT_EQ(Call("GET", "/api/v1/locks/lk-a/events/verify", nullptr, admin).status, 200u);

  // A changed event on the second page breaks the chain there.
  ASSERT_TRUE(hub_->store().database().Exec("UPDATE events SET body = json_set(body, '$.time', 5) WHERE seq = 1500").ok());
  r = Call("GET", "/api/v1/locks/lk-a/events/verify", nullptr, Owner());
  EXPECT_EQ(r.json, (Json{{"ok", false}, {"count", kEvents}, {"last_seq", kEvents}, {"broken_at", 1500}})) << r.Describe();
}

// A hub started without LATCHKEY_OWNER_PASSWORD.
class HubFirstStartTest : public HubAuthApiTest {
 protected:
  void Configure(HubOptions& options) override { options.owner_password.clear(); }
};

TEST_F(HubFirstStartTest, TheGeneratedOwnerPasswordIsRemovedAtTheOwnersFirstLogin) {
  const std::string password = hub_->generated_owner_password();
  const std::filesystem::path file = std::filesystem::path(dir_) / kInitialOwnerPasswordFile;
  ASSERT_FALSE(password.empty());
  ASSERT_TRUE(std::filesystem::exists(file));
  EXPECT_EQ(Call("POST", "/api/v1/auth/login", Json{{"username", "owner"}, {"password", "not-the-password"}}).status, 401u);
  EXPECT_TRUE(std::filesystem::exists(file)) << "a failed login removes nothing";
  Login("owner", password);
  EXPECT_FALSE(std::filesystem::exists(file));
}

// The bodies the hub forwards to set_user, set_credential, set_schedule and set_holiday are read
// with the lock's own request tables: a bad one is answered 400 by the hub, naming the field as
// the lock would, even while the lock is offline; a good one goes on to the lock.
TEST_F(HubAuthApiTest, ForwardedBodiesAreCheckedByTheHubWithTheLocksTables) {
  PutLock("lk-a");  // never connected: offline
  const std::string base = "/api/v1/locks/lk-a";
  const auto refused = [&](const std::string& method, const std::string& path, const Json& body, const char* field) {
    const Answer a = Call(method, base + path, body, Owner());
    EXPECT_EQ(a.status, 400u) << method << " " << path << " " << a.json.dump();
    EXPECT_NE(a.json["error"].value("message", "").find(field), std::string::npos) << a.json.dump();
  };
  refused("POST", "/users", Json{{"name", 5}}, "name");
  refused("PATCH", "/users/3", Json{{"status", "asleep"}}, "status");
  refused("POST", "/credentials", Json{{"type", "pin"}, {"data", "123456"}, {"user", 70000}}, "user");
  refused("PUT", "/credentials/pin/1", Json{{"data", 123456}}, "data");
  refused("POST", "/users/3/schedules", Json{{"kind", "week_day"}, {"days", Json{"mon"}}, {"start", "8am"}, {"end", "17:00"}},
          "start");
  refused("POST", "/holidays", Json{{"start", "2026-12-24T00:00"}, {"end", "2026-12-27T00:00"}, {"operating_mode", "party"}},
          "operating_mode");

  const Answer good = Call("POST", base + "/users", Json{{"name", "Mia"}}, Owner());
  EXPECT_EQ(good.status, 503u) << good.json.dump();
  EXPECT_EQ(good.json["error"].value("code", ""), "lock_offline");
}

// /api/v1/integrations/matter: owner and admin only; the hub answers for a bridge that is off and
// asks the bridge (MatterControl) when one is set, passing its answers through.
TEST_F(HubAuthApiTest, TheMatterEndpointsAreForOwnerAndAdminAndReachTheBridge) {
  const std::string base = "/api/v1/integrations/matter";
  const Answer off = Call("GET", base, nullptr, Owner());
  EXPECT_EQ(off.status, 200u);
  EXPECT_EQ(off.json, (Json{{"enabled", false}, {"running", false}}));
  EXPECT_EQ(Call("POST", base + "/commissioning", nullptr, Owner()).status, 409u);
  const std::string member = MakeAccount("mia", "member");
  EXPECT_EQ(Call("GET", base, nullptr, member).status, 403u);
  EXPECT_EQ(Call("GET", base).status, 401u);

  struct Bridge : MatterControl {
    void Status(Done done) override { done(200, Json{{"enabled", true}, {"running", true}, {"pairing_code", "123"}}); }
    void OpenCommissioning(Done done) override {
      ++opened;
      done(200, Json{{"pairing_code", "456"}});
    }
    void RemoveFabric(uint64_t index, Done done) override {
      removed.push_back(index);
      done(index == 1 ? 200 : 404, Json::object());
    }
    int opened = 0;
    std::vector<uint64_t> removed;
  } bridge;
  hub_->set_matter(&bridge);
  const std::string admin = MakeAccount("ada", "admin");
  EXPECT_EQ(Call("GET", base, nullptr, admin).json["pairing_code"], "123");
  EXPECT_EQ(Call("POST", base + "/commissioning", nullptr, admin).json["pairing_code"], "456");
  EXPECT_EQ(bridge.opened, 1);
  EXPECT_EQ(Call("DELETE", base + "/fabrics/1", nullptr, Owner()).status, 200u);
  EXPECT_EQ(Call("DELETE", base + "/fabrics/2", nullptr, Owner()).status, 404u);
  EXPECT_EQ(Call("DELETE", base + "/fabrics/x1", nullptr, Owner()).status, 400u);
  EXPECT_EQ(Call("DELETE", base + "/fabrics/1", nullptr, member).status, 403u);
  EXPECT_EQ(bridge.removed, (std::vector<uint64_t>{1, 2}));
  hub_->set_matter(nullptr);
}

// An integration acts as its own account with a token the hub makes at each start: the account
// is made once (admin, every lock, no usable password), each new token revokes the previous one,
// the configuration's lock list narrows it, and the owner's account cannot be taken over.
TEST_F(HubAuthApiTest, AnIntegrationHasItsOwnAccountAndANarrowableToken) {
  PutLock("lk-a");
  PutLock("lk-b");
  auto first = hub_->IntegrationToken("mqtt");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const Answer me = Call("GET", "/api/v1/me", nullptr, *first);
  EXPECT_EQ(me.json["username"], "mqtt");
  EXPECT_EQ(me.json["role"], "admin");
  EXPECT_EQ(Call("GET", "/api/v1/locks", nullptr, *first).json.size(), 2u);

  auto narrow = hub_->IntegrationToken("mqtt", std::vector<std::string>{"lk-b"});
  ASSERT_TRUE(narrow.ok());
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, *first).status, 401u) << "the previous token is revoked";
  const Answer locks = Call("GET", "/api/v1/locks", nullptr, *narrow);
  ASSERT_EQ(locks.json.size(), 1u);
  EXPECT_EQ(locks.json[0]["id"], "lk-b");
  EXPECT_EQ(Call("GET", "/api/v1/locks/lk-a", nullptr, *narrow).status, 404u);

  // The owner narrows the account itself: the integration follows.
  ASSERT_EQ(Call("PATCH", "/api/v1/accounts/mqtt", Json{{"role", "member"}}, Owner()).status, 200u);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, *narrow).json["role"], "member");
  EXPECT_FALSE(hub_->IntegrationToken("owner").ok()) << "an integration never acts as the owner";
  EXPECT_FALSE(hub_->IntegrationToken("mia").ok()) << "only the integrations' own names";
  // Nobody can make a person's account under an integration's name (it would be taken over).
  for (const char* name : {"mqtt", "matter"}) {
    const Answer a = Call("POST", "/api/v1/accounts", Json{{"username", name}, {"password", "some-password-1"}, {"role", "member"}},
                          Owner());
    EXPECT_EQ(a.status, 409u) << name << ": " << a.Describe();
  }
  EXPECT_EQ(Call("POST", "/api/v1/auth/login", Json{{"username", "mqtt"}, {"password", "mqtt"}}).status, 401u);
}

}  // namespace
}  // namespace latchkey::hub
