// The hub ("wifibox"): its store, its links to the paired locks, the REST API and the live
// stream, on one io_context thread. `latchkey hub` and `latchkey demo` run one.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hub/api_json.h"
#include "hub/auth.h"
#include "hub/directory.h"
#include "hub/env.h"
#include "hub/gate.h"
#include "hub/http_server.h"
#include "hub/hub_client.h"
#include "hub/hub_store.h"
#include "hub/lock_sessions.h"
#include "hub/offline_codes.h"
#include "hub/phone_keys.h"
#include "hub/remote_pin_limiter.h"
#include "hub/rendered_events.h"
#include "hub/rendered_locks.h"

namespace latchkey::hub {

class MatterControl;
class Stream;
class Webhooks;
namespace push {
class PushNotifier;
class PushSender;
class VapidKey;
}  // namespace push

// In DATA: the owner's generated first password (0600), removed at the owner's first login.
inline constexpr std::string_view kInitialOwnerPasswordFile = "initial-owner-password";

struct HubOptions {
  std::string data_dir;
  std::string http = "127.0.0.1:8080";
  // The owner's password on first start; empty: a random one, printed once and written to
  // DATA/initial-owner-password (0600) until the owner first logs in.
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
  // Destinations webhooks may reach although the destination policy refuses their class
  // (loopback, private, ...): entries of destination_policy.h's grammar, e.g. "127.0.0.1:9000",
  // "10.0.0.0/8", "receiver.lan". One that does not parse stops Start.
  std::vector<std::string> webhook_allow;
  // Web Push (docs/notifications.md): destinations push messages may reach although the policy
  // refuses their class, in webhook_allow's grammar. Only for tests and development (a local
  // push receiver): a browser's push service is always on a public address. One that does not
  // parse stops Start. Push requests trust what webhooks trust (webhook_cacert).
  std::vector<std::string> push_allow;
  // The VAPID JWT's `sub` (RFC 8292): a contact push services may use, mailto: or https://.
  std::string push_subject = "mailto:push@latchkey.invalid";
  // How often, at most, the hub looks again at a lock that is offline for "offline for N
  // minutes" notices (push_notifier.h). Not a command-line option: what is due is decided on
  // Env's clock, and a test that moves a FakeEnv's clock shortens this to be looked at promptly.
  std::chrono::milliseconds push_offline_recheck{60'000};
  // The HTTP server's connection caps and deadlines (http_server.h).
  HttpServerLimits http_limits;
  // Every lock the hub talks to is on loopback (the demo): the lock object then shows the
  // simulated lock's sim_control_url.
};

class Hub {
 public:
  // Start makes the services and registers the routes (router() lists them from then on).
  Hub(boost::asio::io_context& io, HubOptions options, Env& env = Env::System());
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

  // For the command line and tests; route handlers get their services through api.h's contexts.
  HubStore& store() { return *store_; }
  LockSessions& sessions() { return *sessions_; }
  // Phone keys: the home key, issuing, revocations (phone_keys.h).
  PhoneKeys& phone_keys() { return *phone_keys_; }
  // Offline guest codes: each lock's key, issuing, revocations (offline_codes.h).
  OfflineCodes& offline_codes() { return *offline_codes_; }
  // Who a request or token is, and which locks exist, as stored now (directory.h).
  Directory& directory() { return *directory_; }

  // A client of this hub's API and stream for the integration `name` (hub_client.h), acting as
  // the account `name` (made on first use: role admin, every lock, no password that anybody
  // knows; the owner may narrow its role and locks like any account's). Each call mints a fresh
  // API token for it and revokes its older ones; the token never leaves this process.
  // `locks`: the token is limited to these locks (the configuration's list; absent: every lock
  // the account sees).
  core::Result<std::unique_ptr<HubClient>> IntegrationClient(
      const std::string& name, const std::optional<std::vector<std::string>>& locks = std::nullopt);
  // The same account's fresh token itself, for an integration in another process (the Matter
  // sidecar), which gets it in its environment.
  core::Result<std::string> IntegrationToken(const std::string& name,
                                             const std::optional<std::vector<std::string>>& locks = std::nullopt);
  // The Matter bridge behind /api/v1/integrations/matter (matter_control.h); null: off. It must
  // outlive the hub's serving, or be set back to null first.
  void set_matter(MatterControl* matter) { matter_ = matter; }
  // Where the hub's certificate is (PEM) when it serves HTTPS, for a local client to trust it.
  const std::string& tls_cert_path() const { return tls_cert_path_; }
  int64_t NowMs() const { return env_.NowMs(); }
  // Stable for this hub's data folder: "hub-" and the first 8 bytes of its link key, in hex.
  const std::string& id() const { return hub_id_; }

 private:
  void RegisterRoutes();
  // The clock, the directory and the CSRF key: what every route group needs (api.h).
  Gate gate() { return Gate{env_, *directory_, csrf_key_}; }
  core::Status EnsureOwner();
  // The TLS context for a hub listening on `address`, or nullptr for plain HTTP on loopback.
  core::Result<std::shared_ptr<TlsContext>> SetUpTls(const boost::asio::ip::address& address);

  boost::asio::io_context& io_;
  HubOptions options_;
  Env& env_;
  std::unique_ptr<HubStore> store_;
  std::unique_ptr<Directory> directory_;
  // Before the sessions: destroyed after them, so no answer of a lock finds it gone.
  std::unique_ptr<PhoneKeys> phone_keys_;
  std::unique_ptr<OfflineCodes> offline_codes_;
  std::unique_ptr<LockSessions> sessions_;
  std::unique_ptr<Stream> stream_;
  std::unique_ptr<Webhooks> webhooks_;
  std::unique_ptr<push::VapidKey> vapid_key_;
  std::unique_ptr<push::PushSender> push_sender_;
  std::unique_ptr<push::PushNotifier> push_notifier_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  LoginLimiter limiter_;
  RemotePinLimiter pin_limiter_;
  RenderedEvents rendered_events_;
  RenderedLocks rendered_locks_;
  std::string generated_password_;
  std::array<uint8_t, 32> csrf_key_{};  // from DATA/hub.key at Start
  std::string tls_fingerprint_;
  std::string hub_id_;
  std::string tls_cert_path_;
  MatterControl* matter_ = nullptr;
  std::string url_host_;
  std::unique_ptr<boost::asio::steady_timer> drain_timer_;

};

// A lock's reply {"ok":..., "result"|"error"} as an HTTP response; `ok_status` for success.
HttpResponse FromLockReply(const Json& reply, unsigned ok_status = 200);

}  // namespace latchkey::hub
