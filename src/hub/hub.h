// The hub ("wifibox"): its store, its links to the paired locks, the REST API and the live
// stream, on one io_context thread. `latchkey hub` and `latchkey demo` run one.
#pragma once

#include <array>
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
  // HTTPS. A hub listening beyond loopback always serves HTTPS; `tls` asks for it on loopback
  // too. The certificate chain and key are PEM files (both or neither); without them the hub
  // makes a self-signed certificate in DATA/tls and reuses it (tls_certificate.h).
  std::string tls_cert;
  std::string tls_key;
  bool tls = false;
  // GET /metrics answers a loopback client without a token (a local Prometheus); others
  // still need an owner or admin token. Off by default.
  bool metrics_open_on_loopback = false;
  // https:// webhooks trust the system's certificate store plus the PEM bundle in this file when
  // set (a home CA, a receiver's self-signed certificate). One that does not load stops Start.
  std::string webhook_cacert;
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
  // Serving HTTPS (and wss://); the SHA-256 fingerprint of its certificate, for users to pin.
  bool tls() const { return server_ && server_->tls(); }
  const std::string& tls_fingerprint() const { return tls_fingerprint_; }
  // Where a browser on this machine (or, for a specific address, on the network) finds the hub:
  // "https://127.0.0.1:8443".
  std::string url() const;
  // SIGTERM: stop accepting, let requests under way finish (at most 5 s), close the lock links
  // and the stream, then call `done`.
  void Drain(std::function<void()> done);
  const Router& router() const { return router_; }
  const HubOptions& options() const { return options_; }
  // The password created on first start (empty when it came from the environment or existed).
  const std::string& generated_owner_password() const { return generated_password_; }

  boost::asio::io_context& io() { return io_; }
  HubStore& store() { return *store_; }
  LockSessions& sessions() { return *sessions_; }
  LoginLimiter& limiter() { return limiter_; }
  Stream& stream() { return *stream_; }
  Webhooks& webhooks() { return *webhooks_; }
  int64_t NowMs() const;

  // The caller of `request`, or the error response to send (401): the Authorization header,
  // else ?token=, else the web app's session cookie (Principal::via_cookie).
  core::Result<Principal> Authenticate(const HttpRequest& request);
  // The caller of a token known by its hash, as it stands now (account, role, lock list, window).
  core::Result<Principal> PrincipalOf(const TokenHash& token_hash, bool via_cookie);
  // Whether a cookie-authenticated `request` may go on: GET and HEAD always, any other method
  // only with the session's X-CSRF-Token (cookie_session.h).
  bool CsrfOk(const HttpRequest& request) const;
  // The CSRF token that goes with a session token.
  std::string CsrfTokenFor(std::string_view session_token) const;
  // The lock object of API.md for `lock`.
  Json LockJson(const LockRecord& record) const;

 private:
  void RegisterRoutes();
  core::Status EnsureOwner();
  // The TLS context for a hub listening on `address`, or nullptr for plain HTTP on loopback.
  core::Result<std::shared_ptr<TlsContext>> SetUpTls(const boost::asio::ip::address& address);

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
  std::array<uint8_t, 32> csrf_key_{};  // from DATA/hub.key at Start
  std::string tls_fingerprint_;
  std::string url_host_;
  std::unique_ptr<boost::asio::steady_timer> drain_timer_;
};

// A mirrored event as the API shows it (history, stream, webhooks): RFC 3339 time, plus "lock".
Json ApiEventJson(Json event, const std::string& lock);
// A lock's reply {"ok":..., "result"|"error"} as an HTTP response; `ok_status` for success.
HttpResponse FromLockReply(const Json& reply, unsigned ok_status = 200);

}  // namespace latchkey::hub
