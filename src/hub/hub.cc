#include "hub/hub.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "hub/api.h"
#include "hub/cookie_session.h"
#include "hub/stream.h"
#include "hub/tls_certificate.h"
#include "hub/web_app.h"
#include "hub/webhooks.h"
#include "platform/host_port.h"
#include "platform/time_format.h"
#include "store/secret_file.h"
#include "wire/json_codec.h"

namespace latchkey::hub {

namespace asio = boost::asio;

namespace {
// The live stream's path (stream.cc): the one place a token may come as ?token=.
constexpr std::string_view kStreamPath = "/api/v1/stream";
}  // namespace

Json ApiEventJson(Json event, const std::string& lock) {
  // Times as the API writes them; "from" and "to" are those of a clock change.
  for (const char* key : {"time", "from", "to"}) {
    if (event.contains(key) && event[key].is_number_integer()) {
      event[key] = platform::FormatRfc3339Ms(event[key].get<int64_t>());
    }
  }
  event["lock"] = lock;
  return event;
}

HttpResponse FromLockReply(const Json& reply, unsigned ok_status) {
  if (reply.value("ok", false)) return HttpResponse::Json(ok_status, reply.contains("result") ? reply["result"] : Json::object());
  const Json error = reply.contains("error") && reply["error"].is_object() ? reply["error"] : Json::object();
  const std::string code = error.value("code", "internal");
  Json extra = Json::object();
  if (error.contains("reason")) extra["reason"] = error["reason"];
  // `busy`: too many requests to one lock at once (LockSessions::Request, or the lock's own
  // link server); like every 429 it says when to come back, in the body and in Retry-After.
  const unsigned status = code == "busy" ? 429 : link::HttpStatusOf(code);
  int64_t retry_after_s = 0;
  if (error.contains("retry_after_s") && error["retry_after_s"].is_number_integer()) {
    retry_after_s = std::max<int64_t>(1, error["retry_after_s"].get<int64_t>());
  } else if (status == 429) {
    retry_after_s = 1;
  }
  if (retry_after_s > 0) extra["retry_after_s"] = retry_after_s;
  HttpResponse response = HttpResponse::Error(status, code, error.value("message", code), extra);
  if (retry_after_s > 0) response.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return response;
}

Hub::Hub(asio::io_context& io, HubOptions options) : io_(io), options_(std::move(options)) { RegisterRoutes(); }
Hub::~Hub() = default;

int64_t Hub::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

core::Status Hub::Start() {
  ::umask(077);
  std::error_code fs_error;
  std::filesystem::create_directories(options_.data_dir, fs_error);
  if (fs_error) return core::Status::IoError("cannot create " + options_.data_dir + ": " + fs_error.message());
  ::chmod(options_.data_dir.c_str(), 0700);
  // Before anything runs: a CA file that does not load is a configuration error, not a warning
  // that https:// deliveries would only show a day later.
  auto webhook_tls = MakeWebhookTlsContext(options_.webhook_cacert);
  if (!webhook_tls.ok()) return webhook_tls.status();
  auto webhook_policy = DestinationPolicy::Parse(options_.webhook_allow);
  if (!webhook_policy.ok()) return webhook_policy.status();
  auto opened = HubStore::Open(options_.data_dir + "/hub.db");
  if (!opened.ok()) return opened.status();
  store_ = std::move(opened).value();
  if (core::Status s = EnsureOwner(); !s.ok()) return s;

  auto secret = store::LoadOrCreateSecret(options_.data_dir + "/hub.key");
  if (!secret.ok()) return secret.status();
  csrf_key_ = DeriveCsrfKey(*secret);
  auto keypair = crypto::KeypairFromPrivate(*secret);
  if (!keypair.ok()) return keypair.status();
  stream_ = std::make_unique<Stream>(*this);
  LockSessions::Listener listener;
  webhooks_ = std::make_unique<Webhooks>(io_, *store_, std::move(webhook_tls).value(),
                                         std::make_shared<const DestinationPolicy>(std::move(webhook_policy).value()));
  listener.on_event = [this](const std::string& lock, const Json& event) {
    stream_->PublishEvent(lock, event);
    webhooks_->OnEvent(lock, event);
  };
  listener.on_state = [this](const std::string& lock) { stream_->PublishState(lock); };
  sessions_ = std::make_unique<LockSessions>(io_, *store_, *keypair, "hub-" + wire::ToHex(std::span(keypair->pub).first(8)),
                                             std::move(listener));
  if (core::Status s = sessions_->Start(); !s.ok()) return s;
  webhooks_->Start();  // the pending deliveries resume

  std::string host;
  uint16_t port = 0;
  if (!platform::SplitHostPort(options_.http, &host, &port)) return core::Status::Invalid("--http must be HOST:PORT");
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return core::Status::Invalid("--http: '" + host + "' is not an IP address");
  auto tls = SetUpTls(address);
  if (!tls.ok()) return tls.status();
  // A hub on every address is reached on this machine at 127.0.0.1.
  url_host_ = address.is_unspecified() ? "127.0.0.1" : address.is_v6() ? "[" + host + "]" : host;
  server_ = std::make_unique<HttpServer>(
      io_, router_,
      [this](UpgradedStream connection, http::request<http::string_body> request, std::string address_text) {
        stream_->Accept(std::move(connection), std::move(request), std::move(address_text));
      },
      *tls, options_.http_limits);
  return server_->Listen(asio::ip::tcp::endpoint(address, port));
}

core::Result<std::shared_ptr<TlsContext>> Hub::SetUpTls(const asio::ip::address& address) {
  const bool configured = !options_.tls_cert.empty() || !options_.tls_key.empty();
  if (configured && (options_.tls_cert.empty() || options_.tls_key.empty())) {
    return core::Status::Invalid("HTTPS needs both tls_cert and tls_key (or neither, for a self-signed certificate)");
  }
  // SECURITY.md 5.5: beyond loopback, never plain HTTP.
  if (!configured && !options_.tls && address.is_loopback()) return std::shared_ptr<TlsContext>();
  std::string cert = options_.tls_cert, key = options_.tls_key;
  if (!configured) {
    SelfSignedOptions self_signed;
    if (address.is_unspecified()) {
      self_signed.extra_ip_addresses = LocalAddresses();
    } else {
      self_signed.ip_addresses.push_back(address.to_string());
    }
    auto files = LoadOrCreateSelfSigned(options_.data_dir + "/tls", self_signed);
    if (!files.ok()) return files.status();
    if (!files->replaced_because.empty()) {
      spdlog::warn("hub: made a new self-signed TLS certificate because the old one {}; clients that pinned it "
                   "must accept the new fingerprint",
                   files->replaced_because);
    } else if (files->generated) {
      spdlog::info("hub: made a self-signed TLS certificate in {}", files->cert_path);
    }
    cert = files->cert_path;
    key = files->key_path;
  }
  auto context = MakeServerTlsContext(cert, key);
  if (!context.ok()) return context.status();
  auto fingerprint = CertificateFingerprint(cert);
  if (!fingerprint.ok()) return fingerprint.status();
  tls_fingerprint_ = *fingerprint;
  spdlog::info("hub: HTTPS with {} (SHA-256 fingerprint {})", cert, tls_fingerprint_);
  return context;
}

std::string Hub::url() const {
  return std::string(tls() ? "https://" : "http://") + url_host_ + ":" + std::to_string(http_port());
}

void Hub::RegisterRoutes() {
  RegisterAuthRoutes(*this, router_);
  RegisterLockRoutes(*this, router_);
  RegisterLockDataRoutes(*this, router_);
  RegisterEventRoutes(*this, router_);
  RegisterWebhookRoutes(*this, router_);
  RegisterMetaRoutes(*this, router_);
  RegisterWebAppRoutes(router_);
}

void Hub::Drain(std::function<void()> done) {
  if (server_) server_->Stop();
  drain_timer_ = std::make_unique<asio::steady_timer>(io_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto poll = std::make_shared<std::function<void()>>();
  *poll = [this, deadline, done = std::move(done), poll] {
    if ((server_ && server_->in_flight() > 0) && std::chrono::steady_clock::now() < deadline) {
      drain_timer_->expires_after(std::chrono::milliseconds(20));
      drain_timer_->async_wait([poll](const boost::system::error_code& ec) {
        if (!ec) (*poll)();
      });
      return;
    }
    stream_.reset();
    sessions_.reset();
    done();
    *poll = nullptr;  // break the self-reference
  };
  (*poll)();
}

uint16_t Hub::http_port() const { return server_ ? server_->port() : 0; }

core::Status Hub::EnsureOwner() {
  auto existing = store_->GetAccount("owner");
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return core::Status::Ok();
  std::string password = options_.owner_password;
  if (!password.empty() && password.size() < 10) {
    return core::Status::Invalid("LATCHKEY_OWNER_PASSWORD must have at least 10 characters");
  }
  if (password.empty()) {
    password = RandomId(12);  // 96 bits, 24 hex digits
    generated_password_ = password;
    if (core::Status s = store::WriteFileAtomically(options_.data_dir + "/" + std::string(kInitialOwnerPasswordFile),
                                                     password + "\n", 0600);
        !s.ok()) {
      return s;
    }
  }
  auto hash = HashPassword(password);
  if (!hash) return core::Status::IoError("cannot hash the owner's password");
  Account owner;
  owner.username = "owner";
  owner.password_hash = *hash;
  owner.role = "owner";
  owner.created_at_ms = NowMs();
  return store_->PutAccount(owner);
}

core::Result<Principal> Hub::Authenticate(const HttpRequest& request) {
  std::string token;
  const auto auth = request.headers.find(http::field::authorization);
  if (auth != request.headers.end()) {
    const std::string_view value(auth->value().data(), auth->value().size());
    if (value.substr(0, 7) == "Bearer ") token = std::string(value.substr(7));
  }
  // ?token= only where a header cannot be set: a browser's WebSocket. Anywhere else a token in
  // the URL would end up in logs, histories and Referer headers, so it is not looked at (401).
  if (token.empty() && request.path == kStreamPath && request.query.contains("token")) {
    token = request.query.at("token");
  }
  bool via_cookie = false;
  if (token.empty() && auth == request.headers.end()) {
    if (auto cookie = CookieValue(request, kSessionCookie)) {
      token = std::move(*cookie);
      via_cookie = true;
    }
  }
  if (token.empty() || token.size() > 128) return core::Status::Invalid("no bearer token");
  return PrincipalOf(HashToken(token), via_cookie);
}

std::optional<Hub::StoreStamp> Hub::SyncCache() {
  if (!store_) return std::nullopt;
  store::Database& db = store_->database();
  if (!data_version_) {
    auto prepared = db.Prepare("PRAGMA data_version");
    if (!prepared.ok()) return std::nullopt;
    data_version_ = std::move(prepared).value();
  }
  StoreStamp now;
  now.own_changes = sqlite3_total_changes64(db.handle());
  // Step and reset at once: the pragma's read transaction must not stay open.
  const bool read = data_version_->Step() == store::Statement::StepResult::kRow;
  if (read) now.data_version = data_version_->ColumnInt64(0);
  data_version_->Reset();
  if (!read || cache_stamp_ != now) {
    principals_.clear();
    locks_.reset();
    cache_stamp_.reset();
  }
  if (!read) return std::nullopt;
  cache_stamp_ = now;
  return now;
}

core::Result<Principal> Hub::PrincipalOf(const TokenHash& token_hash, bool via_cookie) {
  const int64_t now = NowMs();
  const bool cacheable = SyncCache().has_value();
  if (cacheable) {
    if (const auto it = principals_.find(token_hash); it != principals_.end()) {
      // The earliest expiry along the chain: past it, the full check below names the culprit.
      const auto& expires = it->second.token_expires_at_ms;
      if (!expires || *expires >= now) {
        Principal p = it->second;
        p.checked_at_ms = now;
        p.via_cookie = via_cookie;
        return p;
      }
      principals_.erase(it);
    }
  }
  auto loaded = LoadPrincipal(token_hash, now);
  if (!loaded.ok()) return loaded;
  Principal p = std::move(loaded).value();
  if (cacheable) {
    // Only tokens that hold are kept (a guessed one never is), and not without bound.
    if (principals_.size() >= kMaxCachedPrincipals) principals_.clear();
    principals_.emplace(token_hash, p);
  }
  p.via_cookie = via_cookie;
  return p;
}

core::Result<std::optional<LockRecord>> Hub::FindLock(const std::string& id) {
  if (!SyncCache().has_value()) return store_->GetLock(id);
  if (!locks_) {
    auto listed = store_->ListLocks();
    if (!listed.ok()) return listed.status();
    locks_ = std::move(listed).value();
  }
  for (const auto& r : *locks_) {
    if (r.id == id) return std::optional<LockRecord>(r);
  }
  return std::optional<LockRecord>();
}

core::Result<Principal> Hub::LoadPrincipal(const TokenHash& token_hash, int64_t now) {
  auto found = store_->FindToken(token_hash);
  if (!found.ok() || !found->has_value()) return core::Status::Invalid("the token is not valid");
  const TokenRecord& record = **found;
  auto account = store_->GetAccount(record.username);
  if (!account.ok() || !account->has_value()) return core::Status::Invalid("the token's account is gone");
  const Account& a = **account;
  Principal p;
  p.username = a.username;
  p.role = ParseRole(a.role).value_or(Role::kGuest);
  // The owner account's own list and window are ignored: nothing locks the owner out.
  if (p.role != Role::kOwner) {
    p.locks = a.locks;
    p.valid_from_ms = a.valid_from_ms;
    p.valid_until_ms = a.valid_until_ms;
  }
  p.token_id = record.id;
  p.token_kind = record.kind;
  p.token_hash = token_hash;
  p.checked_at_ms = now;
  // The token and every parent up its chain (SECURITY.md "No privilege grows by delegation"):
  // each must still exist and hold, and each narrows the role, the locks and the lifetime. A
  // child is made no wider than its parent and a revoked parent takes its children with it
  // (HubStore), so this is the second line: it holds even for rows written another way.
  constexpr int kMaxChain = 16;
  std::optional<TokenRecord> link = record;
  for (int depth = 0; link; ++depth) {
    if (depth == kMaxChain) return core::Status::Invalid("the token's chain of parents is too long");
    if (link->username != a.username) return core::Status::Invalid("the token's parent is another account's");
    if (link->expires_at_ms) {
      if (*link->expires_at_ms < now) {
        return core::Status::Invalid(depth == 0 ? "the token has expired" : "the token's parent has expired");
      }
      p.token_expires_at_ms = std::min(p.token_expires_at_ms.value_or(*link->expires_at_ms), *link->expires_at_ms);
    }
    if (link->role) {
      const auto narrowed = ParseRole(*link->role).value_or(Role::kGuest);
      if (static_cast<int>(narrowed) > static_cast<int>(p.role)) p.role = narrowed;
    }
    if (link->locks) {
      std::vector<std::string> both;
      for (const auto& id : *link->locks) {
        if (p.ListsLock(id)) both.push_back(id);
      }
      p.locks = both;
    }
    if (!link->parent) break;
    auto parent = store_->GetToken(*link->parent);
    if (!parent.ok() || !parent->has_value()) return core::Status::Invalid("the token's parent was revoked");
    link = **parent;
  }
  return p;
}

bool Hub::CsrfOk(const HttpRequest& request) const {
  if (IsSafeMethod(request.method)) return true;
  const auto token = CookieValue(request, kSessionCookie);
  return token && CsrfMatches(csrf_key_, *token, request);
}

std::string Hub::CsrfTokenFor(std::string_view session_token) const { return CsrfToken(csrf_key_, session_token); }

Json Hub::LockJson(const LockRecord& record) const {
  const Json& s = record.state;
  Json lock{
      {"id", record.id},
      {"name", s.contains("name") ? s["name"] : Json(record.name)},
      {"simulated", s.value("simulated", record.simulated)},
      {"online", sessions_->online(record.id)},
      {"lock_state", s.value("lock_state", "unknown")},
      {"door_state", s.value("door_state", "unknown")},
      {"battery", s.contains("battery") ? s["battery"] : Json::object()},
      {"operating_mode", s.value("operating_mode", "normal")},
      {"last_event_seq", record.acked_seq},
      {"capabilities", s.contains("capabilities") ? s["capabilities"] : Json::object()},
      {"settings", s.contains("settings") ? s["settings"] : Json::object()},
      {"address", record.address},
  };
  if (s.contains("sim_control_url")) lock["sim_control_url"] = s["sim_control_url"];
  return lock;
}

Json Hub::LockJson(const LockRecord& record, const Principal& viewer) const {
  Json lock = LockJson(record);
  if (!viewer.MayManageLock()) {
    lock.erase("address");
    lock.erase("sim_control_url");
  }
  return lock;
}

}  // namespace latchkey::hub
