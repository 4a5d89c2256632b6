// What the hub's API tests need: a real `latchkey demo` process (a hub and simulated locks
// paired over the real link) in its own temporary folder on a free loopback port, and login
// helpers. The HTTP and WebSocket clients (HttpCall, WsClient) are in http_client.h.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "http_client.h"
#include "process.h"

namespace latchkey::testing {

using Json = nlohmann::json;
using namespace std::chrono_literals;

// --- loopback addresses ------------------------------------------------------------------------

// A free TCP port on 127.0.0.1 (bound to :0 and released).
uint16_t FreeLoopbackPort();

// Percent-encodes a query or path component.
std::string UrlEncode(const std::string& text);

// --- the demo process ------------------------------------------------------------------------

class HubDemo {
 public:
  static constexpr const char* kOwnerPassword = "correct-horse-battery";

  // `extra_args` go to `latchkey demo` after the harness's own (e.g. "--metrics-loopback").
  explicit HubDemo(int locks = 2, std::vector<std::string> extra_args = {});
  ~HubDemo();
  HubDemo(const HubDemo&) = delete;
  HubDemo& operator=(const HubDemo&) = delete;

  // Starts `latchkey demo` and waits until /healthz answers and every lock is online (owner
  // logged in on the way). Use with ASSERT_NO_FATAL_FAILURE.
  void Start();
  void Stop();
  // SIGKILL to the demo process alone (its locks die with it by PR_SET_PDEATHSIG), reaped.
  void Kill();
  bool running() const { return process_.pid() > 0; }
  // The `extra_args` of the next Start (a restart with another configuration).
  void set_extra_args(std::vector<std::string> extra_args) { extra_args_ = std::move(extra_args); }
  pid_t pid() const { return process_.pid(); }

  uint16_t port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  // The demo's lock ids in the order of their folders (lock-1, lock-2, ...).
  const std::vector<std::string>& lock_ids() const { return lock_ids_; }
  // A session token of the owner, made at Start.
  const std::string& owner_token() const { return owner_token_; }
  // The demo's log (hub) and a lock's log, for failure messages.
  std::string Log() const;
  std::string LockLog(int number) const;
  // The lock folder's setup code and the lock's own link address (for pairing again).
  std::string SetupCode(int number) const;
  std::string LinkAddress(int number) const;

  // A call with a JSON body (null: no body).
  HttpResult Call(const std::string& method, const std::string& target, const Json& body = nullptr,
                  const std::string& token = "") const;
  // A call with a raw body.
  HttpResult Raw(const std::string& method, const std::string& target, const std::string& body,
                 const HttpOptions& options) const;

  // POST /auth/login; the token, or "" (with a test failure naming the answer) when refused.
  std::string Login(const std::string& username, const std::string& password) const;
  // POST /accounts as the owner and a login; the account's token.
  std::string CreateAccount(const Json& account);

  // GET /locks/{id} as the owner.
  Json LockObject(const std::string& id) const;
  // Waits until the lock's `online` is `online`.
  bool WaitOnline(const std::string& id, bool online, std::chrono::milliseconds timeout) const;
  // Waits until the hub's mirror holds every event up to the lock's own last seq (read
  // through the lock's sim_control_url).
  bool WaitMirrored(const std::string& id, std::chrono::milliseconds timeout) const;
  // GET <sim_control_url>/state or POST <sim_control_url>/sim/<what> straight at the lock
  // (works while its link to the hub is cut).
  HttpResult SimControl(const std::string& id, const std::string& what, const Json& body = Json::object()) const;
  // The sim-control secret of this run of lock `id` (its DATA/sim-control.secret); "" if unknown.
  std::string SimSecret(const std::string& id) const;

 private:
  int locks_;
  std::vector<std::string> extra_args_;
  std::string data_dir_;
  uint16_t port_ = 0;
  Process process_;
  std::vector<std::string> lock_ids_;
  std::string owner_token_;
  mutable std::map<std::string, uint16_t> sim_ports_;
};

// One demo shared by every test of a suite: the first test starts it and runs the suite's
// Prepare() once, the end of the suite stops it, a failed test prints Logs(). A demo that did not
// start fails the suite's other tests at once instead of being started again for each.
//   class HubFooTest : public SharedDemoTest<HubFooTest, 2> { void Prepare() override {...} };
template <typename Suite, int kLocks>
class SharedDemoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (ready_) return;
    ASSERT_FALSE(tried_) << "the shared demo did not start";
    tried_ = true;
    holder_ = std::make_unique<HubDemo>(kLocks, Suite::DemoArgs());
    ASSERT_NO_FATAL_FAILURE(holder_->Start());
    ASSERT_NO_FATAL_FAILURE(Prepare());
    ready_ = true;
  }
  void TearDown() override {
    if (HasFailure() && holder_) std::cerr << Logs() << "\n";
  }
  static void TearDownTestSuite() {
    holder_.reset();
    ready_ = tried_ = false;  // --gtest_repeat: the next round starts its own demo
  }
  virtual void Prepare() {}
  // The demo's extra arguments; a suite that needs some hides this with its own.
  static std::vector<std::string> DemoArgs() { return {}; }
  virtual std::string Logs() const { return D().Log(); }
  static HubDemo& D() { return *holder_; }

 private:
  static inline std::unique_ptr<HubDemo> holder_;
  static inline bool ready_ = false, tried_ = false;
};

// --- the WebSocket stream --------------------------------------------------------------------

// The seqs of every {"type":"event"} message for `lock`, in the order received.
std::vector<uint64_t> EventSeqs(const std::vector<Json>& messages, const std::string& lock);

}  // namespace latchkey::testing
