// The hub ("wifibox"): its store, its links to the paired locks, the REST API and the live
// stream, on one io_context thread. `latchkey hub` and `latchkey demo` run one.
#pragma once

#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hub/auth.h"
#include "hub/http_server.h"
#include "hub/hub_store.h"
#include "hub/lock_sessions.h"
#include "hub/remote_pin_limiter.h"

namespace latchkey::hub {

class Stream;
class Webhooks;

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
  // The HTTP server's connection caps and deadlines (http_server.h).
  HttpServerLimits http_limits;
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
  // else (only on the WebSocket path /api/v1/stream) ?token=, else the web app's session
  // cookie (Principal::via_cookie).
  core::Result<Principal> Authenticate(const HttpRequest& request);
  // The caller of a token known by its hash, as it stands now (account, role, lock list, window),
  // narrowed by the token and each parent up its chain; a revoked or expired parent ends it.
  // Answered from memory while the store is unchanged (see "Read cache" below): the token's
  // expiry and its parents' are checked against the clock at every call all the same.
  core::Result<Principal> PrincipalOf(const TokenHash& token_hash, bool via_cookie);
  // The paired lock `id` as stored now (nullopt: no such lock), from the read cache.
  core::Result<std::optional<LockRecord>> FindLock(const std::string& id);
  // Whether a cookie-authenticated `request` may go on: GET and HEAD always, any other method
  // only with the session's X-CSRF-Token (cookie_session.h).
  bool CsrfOk(const HttpRequest& request) const;
  // The CSRF token that goes with a session token.
  std::string CsrfTokenFor(std::string_view session_token) const;
  // The lock object of API.md for `lock`, whole: with the lock's network `address` and a
  // simulated lock's `sim_control_url` (for the hub's own use, e.g. forwarding sim inputs).
  Json LockJson(const LockRecord& record) const;
  // The lock object as `viewer` may see it (every answer and stream message): `address` and
  // `sim_control_url` only for owner and admin (SECURITY.md "Least knowledge": where a lock is on
  // the network, and a simulated lock's control port, are no business of members and guests).
  Json LockJson(const LockRecord& record, const Principal& viewer) const;
  // Bounds remote PIN guessing per account and per lock (api_locks.cc, remote_pin_limiter.h).
  RemotePinLimiter& pin_limiter() { return pin_limiter_; }

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
  RemotePinLimiter pin_limiter_;
  std::string generated_password_;
  std::array<uint8_t, 32> csrf_key_{};  // from DATA/hub.key at Start
  std::string tls_fingerprint_;
  std::string url_host_;
  std::unique_ptr<boost::asio::steady_timer> drain_timer_;

  // Read cache (issue 10): what PrincipalOf and FindLock read from the store, kept while the
  // store is unchanged. The store's stamp is sqlite3_total_changes64 of the hub's connection
  // (every row any statement of this process wrote, through HubStore or not, committed or rolled
  // back) and PRAGMA data_version (a commit by any other connection, e.g. sqlite3 by hand); when
  // either moves, everything cached is dropped before the next answer. So revoking a token, its
  // parent's cascade, a password change, an account change or deletion and a lock's new state
  // all take effect on the very next request, as without the cache; only the clock is left to
  // check on a hit (token expiry). Writes stay as durable as they were: nothing is written here.
  struct StoreStamp {
    int64_t own_changes = -1;
    int64_t data_version = -1;
    bool operator==(const StoreStamp&) const = default;
  };
  // The store's stamp now, the cache emptied when it moved; nullopt (no caching) when the stamp
  // cannot be read.
  std::optional<StoreStamp> SyncCache();
  core::Result<Principal> LoadPrincipal(const TokenHash& token_hash, int64_t now);
  struct TokenHashHash {
    std::size_t operator()(const TokenHash& hash) const noexcept {
      std::size_t v = 0;  // the hash is BLAKE2b output: any bytes of it are as good as any
      std::memcpy(&v, hash.data(), sizeof v);
      return v;
    }
  };
  static constexpr std::size_t kMaxCachedPrincipals = 4096;
  std::optional<StoreStamp> cache_stamp_;
  std::unordered_map<TokenHash, Principal, TokenHashHash> principals_;
  std::optional<std::vector<LockRecord>> locks_;
  std::optional<store::Statement> data_version_;  // destroyed before store_ (declared after it)
};

// A mirrored event as the API shows it (history, stream, webhooks): RFC 3339 time, plus "lock".
Json ApiEventJson(Json event, const std::string& lock);
// A lock's reply {"ok":..., "result"|"error"} as an HTTP response; `ok_status` for success.
HttpResponse FromLockReply(const Json& reply, unsigned ok_status = 200);

}  // namespace latchkey::hub
