// The hub ("wifibox"): its store, its links to the paired locks, the REST API and the live
// stream, on one io_context thread. `latchkey hub` and `latchkey demo` run one.
#pragma once

#include <memory>
#include <string>

#include "hub/auth.h"
#include "hub/http_server.h"
#include "hub/hub_store.h"
#include "hub/lock_sessions.h"

namespace latchkey::hub {

class Stream;
class Webhooks;

struct HubOptions {
  std::string data_dir;
  std::string http = "127.0.0.1:8080";
  // The owner's password on first start; empty: a random one, printed once and written to
  // DATA/initial-owner-password (0600).
  std::string owner_password;
  // Every lock the hub talks to is on loopback (the demo): the lock object then shows the
  // simulated lock's sim_control_url.
};

class Hub {
 public:
  // Registers the routes (router() lists them from here on, e.g. for tests); Start serves them.
  Hub(boost::asio::io_context& io, HubOptions options);
  ~Hub();

  // Opens the store, creates the owner on first start, starts the lock sessions and the server.
  core::Status Start();
  uint16_t http_port() const;
  // SIGTERM: stop accepting, let requests under way finish (at most 5 s), close the lock links
  // and the stream, then call `done`.
  void Drain(std::function<void()> done);
  const Router& router() const { return router_; }
  // The password created on first start (empty when it came from the environment or existed).
  const std::string& generated_owner_password() const { return generated_password_; }

  HubStore& store() { return *store_; }
  LockSessions& sessions() { return *sessions_; }
  LoginLimiter& limiter() { return limiter_; }
  Stream& stream() { return *stream_; }
  Webhooks& webhooks() { return *webhooks_; }
  int64_t NowMs() const;

  // The caller of `request`, or the error response to send (401).
  core::Result<Principal> Authenticate(const HttpRequest& request);
  // The lock object of API.md for `lock`.
  Json LockJson(const LockRecord& record) const;

 private:
  void RegisterRoutes();
  core::Status EnsureOwner();

  boost::asio::io_context& io_;
  HubOptions options_;
  std::unique_ptr<HubStore> store_;
  std::unique_ptr<LockSessions> sessions_;
  std::unique_ptr<Stream> stream_;
  std::unique_ptr<Webhooks> webhooks_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  LoginLimiter limiter_;
  std::string generated_password_;
  std::unique_ptr<boost::asio::steady_timer> drain_timer_;
};

// A mirrored event as the API shows it (history, stream, webhooks): RFC 3339 time, plus "lock".
Json ApiEventJson(Json event, const std::string& lock);
// A lock's reply {"ok":..., "result"|"error"} as an HTTP response; `ok_status` for success.
HttpResponse FromLockReply(const Json& reply, unsigned ok_status = 200);

}  // namespace latchkey::hub
