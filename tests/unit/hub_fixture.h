// An in-process hub for the unit tests of its routes: a Hub started on a fresh folder with a
// clock and randomness that move only when the test says (FakeEnv), and requests handed to its
// Router as the HTTP server hands them, answered before Call returns. No socket is opened for
// the calls (tests/integration/hub_harness.h has a real `latchkey demo` process instead).
//
//   class HubPushApiTest : public testing::HubFixture {
//    protected:
//     // The hub with a lock in its store (offline: no lock behind it) and owner_ logged in.
//     void SetUp() override { StartAsOwner({"lk-a"}); }
//     // What this suite's hub gets on top of the defaults, at every start (none by default).
//     void Configure(HubOptions& options) override { options.push_allow = push_allow_; }
//     std::vector<std::string> push_allow_;
//   };
//
//   TEST_F(HubPushApiTest, ...) {
//     const std::string ann = MakeAccount("ann", "member");  // made by the owner; ann's session
//     const Answer a = Call("POST", "/api/v1/push/subscriptions", body, ann);
//     ASSERT_EQ(a.status, 201u) << a.Describe();
//     push_allow_ = {"127.0.0.1:9443"};
//     ASSERT_NO_FATAL_FAILURE(StartHub());  // again, on the same folder: what a restart keeps
//     env_.clock().Advance(3'600'000);      // an hour later, as far as the hub knows
//   }
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>

#include "common/temp_dir.h"
#include "hub/hub.h"
#include "hub/testing/fake_env.h"

namespace latchkey::hub::testing {

class HubFixture : public ::testing::Test {
 protected:
  // The owner's password on the first start (a later start keeps the stored owner).
  static constexpr const char* kOwnerPassword = "owner-password-1";

  // One answer as a test reads it.
  struct Answer {
    unsigned status = 0;  // 0: no answer came within Call's deadline
    Json json;            // the body; null when empty, discarded when it is not JSON
    std::string Describe() const { return std::to_string(status) + " " + json.dump(); }
  };

  void SetUp() override { StartHub(); }

  // Changes the options of every start of this suite's hub. The defaults: dir_, an HTTP port the
  // system picks on 127.0.0.1 (never used by Call) and kOwnerPassword.
  virtual void Configure(HubOptions& /*options*/) {}

  // Starts the hub, after stopping the one running (if any) first: a start on the same folder.
  // A failed start is a fatal failure of the test (wrap the call in ASSERT_NO_FATAL_FAILURE).
  void StartHub();
  // StartHub, then `locks` put in the store (each named by its id, as PutLock) and the owner
  // logged in again (owner_): a suite's SetUp, or its restart.
  void StartAsOwner(std::initializer_list<const char*> locks = {});

  // One request as the router gets it, answered before returning. `target` may carry a query
  // ("/api/v1/tokens?account=mia"); `token` goes in as a bearer token; `address` is the client's.
  Answer Call(const std::string& method, const std::string& target, const Json& body = nullptr,
              const std::string& token = "", const std::string& address = "127.0.0.1");

  // A login session's token (a failed login is a test failure and gives "").
  std::string Login(const std::string& username, const std::string& password,
                    const std::string& address = "127.0.0.1");
  // The owner's session, logged in at the first call (owner_).
  std::string Owner();
  // An account made by the owner with the password "<name>-password" and `extra` fields of the
  // POST /accounts body (e.g. {"locks": [...]}); its login session's token.
  std::string MakeAccount(const std::string& name, const std::string& role, const Json& extra = Json::object());
  // A paired lock in the hub's store, as the routes read it; no lock process behind it (it is
  // offline, and whatever the hub sends it is queued or refused).
  LockRecord PutLock(const std::string& id, const std::string& name = "front");

  // Declared first, so destroyed last: the folder goes after the hub that keeps files open in it.
  ::latchkey::testing::TempDir tmp_{"latchkey-hub-fixture"};
  const std::string dir_ = tmp_.path();
  FakeEnv env_;
  boost::asio::io_context io_;
  std::unique_ptr<Hub> hub_;
  std::string owner_;
};

}  // namespace latchkey::hub::testing
