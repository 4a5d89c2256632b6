#include "hub/hub.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "hub/api.h"
#include "hub/cookie_session.h"
#include "hub/push/push_notifier.h"
#include "hub/push/push_sender.h"
#include "hub/push/vapid_jwt.h"
#include "hub/push/vapid_key.h"
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

Hub::Hub(asio::io_context& io, HubOptions options, Env& env) : io_(io), options_(std::move(options)), env_(env) {}
Hub::~Hub() = default;

core::Status Hub::Start() {
  ::umask(077);
  std::error_code fs_error;
  std::filesystem::create_directories(options_.data_dir, fs_error);
  if (fs_error) return core::Status::IoError("cannot create " + options_.data_dir + ": " + fs_error.message());
  ::chmod(options_.data_dir.c_str(), 0700);
  // Before anything runs: a CA file that does not load is a configuration error, not a warning
  // that https:// deliveries would only show a day later.
  auto webhook_tls = MakeWebhookTlsContext(options_.webhook_cacert);
  LATCHKEY_TRY(webhook_tls);
  auto webhook_policy = DestinationPolicy::Parse(options_.webhook_allow);
  LATCHKEY_TRY(webhook_policy);
  auto push_policy = DestinationPolicy::Parse(options_.push_allow, "push_allow");
  LATCHKEY_TRY(push_policy);
  LATCHKEY_TRY(push::CheckVapidSubject(options_.push_subject));
  auto opened = HubStore::Open(options_.data_dir + "/hub.db");
  LATCHKEY_TRY(opened);
  store_ = std::move(opened).value();
  directory_ = std::make_unique<Directory>(*store_, env_);
  LATCHKEY_TRY(EnsureOwner());

  auto secret = store::LoadOrCreateSecret(options_.data_dir + "/hub.key");
  LATCHKEY_TRY(secret);
  csrf_key_ = DeriveCsrfKey(*secret);
  auto keypair = crypto::KeypairFromPrivate(*secret);
  LATCHKEY_TRY(keypair);
  stream_ = std::make_unique<Stream>(io_, env_, *store_, *directory_,
                                     [this](const std::string& lock) { return sessions_ && sessions_->online(lock); });
  LockSessions::Listener listener;
  // Web Push shares the webhooks' TLS client (their trust store and webhook_cacert).
  std::shared_ptr<TlsContext> client_tls = std::move(webhook_tls).value();
  webhooks_ = std::make_unique<Webhooks>(io_, env_, *store_, client_tls,
                                         std::make_shared<const DestinationPolicy>(std::move(webhook_policy).value()));
  auto vapid_key = push::VapidKey::LoadOrCreate(options_.data_dir + "/" + std::string(push::kVapidKeyFile));
  LATCHKEY_TRY(vapid_key);
  vapid_key_ = std::make_unique<push::VapidKey>(std::move(vapid_key).value());
  push_sender_ = std::make_unique<push::PushSender>(
      io_, env_, *store_, *vapid_key_, options_.push_subject, client_tls,
      std::make_shared<const DestinationPolicy>(std::move(push_policy).value()));
  push_notifier_ = std::make_unique<push::PushNotifier>(
      io_, env_, *store_, *push_sender_, [this](const std::string& lock) { return sessions_ && sessions_->online(lock); },
      options_.push_offline_recheck);
  // Each new event is stored (the mirror) before these run, and what webhooks and push queue
  // for it is stored before they return: before the lock is told the event arrived.
  listener.on_event = [this](const std::string& lock, const Json& event) {
    stream_->PublishEvent(lock, event);
    webhooks_->OnEvent(lock, event);
    if (offline_codes_) offline_codes_->OnEvent(lock, event);
    if (push_notifier_) push_notifier_->OnEvent(lock, event);
  };
  listener.on_state = [this](const std::string& lock) {
    stream_->PublishState(lock);
    if (push_notifier_) push_notifier_->OnLockState(lock);
  };
  listener.on_removed = [this](const std::string& lock) {
    stream_->PublishRemoved(lock);
    if (push_notifier_) push_notifier_->OnLockRemoved(lock);
  };
  listener.on_online = [this](const std::string& lock) {
    if (phone_keys_) phone_keys_->OnLockOnline(lock);
    if (offline_codes_) offline_codes_->OnLockOnline(lock);
  };
  hub_id_ = "hub-" + wire::ToHex(std::span(keypair->pub).first(8));
  auto home_key = HomeKey::LoadOrCreate(options_.data_dir + "/" + std::string(kHomeKeyFile));
  LATCHKEY_TRY(home_key);
  sessions_ = std::make_unique<LockSessions>(io_, env_, *store_, *keypair, hub_id_, std::move(listener));
  phone_keys_ = std::make_unique<PhoneKeys>(env_, *store_, *sessions_, std::move(home_key).value());
  offline_codes_ = std::make_unique<OfflineCodes>(env_, *store_, *sessions_);
  LATCHKEY_TRY(sessions_->Start());
  webhooks_->Start();  // the pending deliveries resume
  push_sender_->Start();
  push_notifier_->Start();  // locks not connected yet are offline from now
  RegisterRoutes();

  std::string host;
  uint16_t port = 0;
  if (!platform::SplitHostPort(options_.http, &host, &port)) return core::Status::Invalid("--http must be HOST:PORT");
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return core::Status::Invalid("--http: '" + host + "' is not an IP address");
  auto tls = SetUpTls(address);
  LATCHKEY_TRY(tls);
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
    LATCHKEY_TRY(files);
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
  tls_cert_path_ = cert;
  auto context = MakeServerTlsContext(cert, key);
  LATCHKEY_TRY(context);
  auto fingerprint = CertificateFingerprint(cert);
  LATCHKEY_TRY(fingerprint);
  tls_fingerprint_ = *fingerprint;
  spdlog::info("hub: HTTPS with {} (SHA-256 fingerprint {})", cert, tls_fingerprint_);
  return context;
}

std::string Hub::url() const {
  return std::string(tls() ? "https://" : "http://") + url_host_ + ":" + std::to_string(http_port());
}

void Hub::RegisterRoutes() {
  // Each group gets the services its handlers use (api.h), never the Hub.
  RegisterAuthRoutes(AuthRoutes{gate(), *store_, limiter_, *stream_, *phone_keys_, options_.data_dir}, router_);
  RegisterLockRoutes(LockRoutes{gate(), *store_, *sessions_, pin_limiter_, *stream_, io_, rendered_locks_}, router_);
  RegisterLockDataRoutes(LockDataRoutes{gate(), *sessions_}, router_);
  RegisterEventRoutes(EventRoutes{gate(), *store_, io_, rendered_events_}, router_);
  RegisterWebhookRoutes(WebhookRoutes{gate(), *store_, *webhooks_}, router_);
  RegisterPhoneKeyRoutes(PhoneKeyRoutes{gate(), *store_, *phone_keys_}, router_);
  RegisterOfflineCodeRoutes(OfflineCodeRoutes{gate(), *store_, *offline_codes_}, router_);
  RegisterIntegrationRoutes(IntegrationRoutes{gate(), &matter_}, router_);
  RegisterPushRoutes(PushRoutes{gate(), *store_, *push_sender_, *vapid_key_}, router_);
  RegisterMetaRoutes(MetaRoutes{gate(), *store_, *sessions_, *stream_, limiter_, router_, options_.metrics_open_on_loopback},
                     router_);
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
    push_notifier_.reset();
    sessions_.reset();
    done();
    *poll = nullptr;  // break the self-reference
  };
  (*poll)();
}

uint16_t Hub::http_port() const { return server_ ? server_->port() : 0; }

core::Status Hub::EnsureOwner() {
  auto existing = store_->GetAccount("owner");
  LATCHKEY_TRY(existing);
  if (existing->has_value()) return core::Status::Ok();
  std::string password = options_.owner_password;
  if (!password.empty() && password.size() < 10) {
    return core::Status::Invalid("LATCHKEY_OWNER_PASSWORD must have at least 10 characters");
  }
  if (password.empty()) {
    password = RandomId(env_, 12);  // 96 bits, 24 hex digits
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

}  // namespace latchkey::hub
