#include "hub/push/push_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

#include "hub/delivery_scheduler.h"
#include "hub/http_post.h"
#include "hub/push/vapid_jwt.h"
#include "hub/push/web_push_message.h"
#include "hub/webhook_url.h"

namespace latchkey::hub::push {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kLoadLimit = 1000;  // HubStore's largest page
constexpr int64_t kStoreRetryMs = 1000;   // an attempt whose records could not be read waits this long
constexpr int64_t kPruneEveryMs = 3600LL * 1000;

// The scheduler's record of a push delivery: one queue per subscription ("webhook" is the
// subscription, "lock" empty), ordered by the store's id.
Delivery Scheduled(const PushDelivery& p) {
  Delivery d;
  d.id = std::to_string(p.id);
  d.webhook = p.subscription;
  d.seq = p.id;
  d.status = p.status;
  d.attempts = p.attempts;
  d.next_attempt_ms = p.next_attempt_ms;
  d.created_at_ms = p.created_at_ms;
  return d;
}

std::optional<uint64_t> IdOf(std::string_view text) {
  uint64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

std::string_view LastError(HttpPostResult::Failure failure) {
  switch (failure) {
    case HttpPostResult::Failure::kPolicy: return "refused by policy";
    case HttpPostResult::Failure::kTls: return "tls failed";
    case HttpPostResult::Failure::kConnect:
    case HttpPostResult::Failure::kNone: break;
  }
  return "connect failed";
}

}  // namespace

// As Webhooks::Engine: the store holds every delivery, the scheduler the queues in memory; Pump
// asks the scheduler what is due and does it, and each answer goes back to it.
class PushSender::Engine : public std::enable_shared_from_this<PushSender::Engine> {
 public:
  Engine(asio::io_context& io, Env& env, HubStore& store, VapidKey key, std::string subject,
         std::shared_ptr<TlsContext> tls, std::shared_ptr<const DestinationPolicy> policy)
      : io_(io),
        env_(env),
        store_(store),
        tokens_(std::move(key), std::move(subject)),
        tls_(std::move(tls)),
        policy_(std::move(policy)),
        timer_(io),
        scheduler_(NewScheduler()) {}

  static DeliveryScheduler NewScheduler() {
    return DeliveryScheduler(DeliveryScheduler::kMaxInFlight, kGiveUpMs, "not delivered within an hour");
  }

  void Stop() {
    stopped_ = true;
    timer_.cancel();
    scheduler_ = NewScheduler();
  }

  void Load() {
    reload_posted_ = false;
    if (stopped_) return;
    Prune();
    auto pending = store_.PendingPushDeliveries(kLoadLimit);
    if (!pending.ok()) {
      spdlog::error("hub: cannot read pending push deliveries: {}", pending.status().ToString());
      return;
    }
    // More than a page pending: new messages stay in the store (not queued in memory) until the
    // backlog is loaded, so that they cannot overtake older ones of the same subscription.
    backlog_ = pending->size() >= kLoadLimit;
    for (const PushDelivery& d : pending.value()) scheduler_.Add(Scheduled(d));
    Pump();
  }

  core::Status Queue(std::vector<PushDelivery> deliveries) {
    if (stopped_ || deliveries.empty()) return core::Status::Ok();
    const int64_t now = env_.NowMs();
    for (PushDelivery& d : deliveries) {
      d.status = "pending";
      d.attempts = 0;
      d.next_attempt_ms = now;
      d.created_at_ms = now;
    }
    auto stored = store_.AddPushDeliveries(deliveries);
    LATCHKEY_TRY(stored);
    if (!backlog_) {
      for (const PushDelivery& d : stored.value()) scheduler_.Add(Scheduled(d));
    }
    if (now - pruned_at_ms_ >= kPruneEveryMs) Prune();
    Pump();
    return core::Status::Ok();
  }

  void Forget(const std::string& subscription) { scheduler_.Forget(subscription); }
  std::size_t in_flight() const { return scheduler_.in_flight(); }
  std::size_t queued() const { return scheduler_.queued(); }

 private:
  void Prune() {
    pruned_at_ms_ = env_.NowMs();
    if (core::Status s = store_.DeleteFinishedPushDeliveries(pruned_at_ms_ - kKeepFinishedMs); !s.ok()) {
      spdlog::warn("hub: cannot delete old push deliveries: {}", s.ToString());
    }
  }

  void Pump() {
    bool again = true;
    while (again && !stopped_) {
      again = false;
      for (DeliveryAction& action : scheduler_.Poll(env_.NowMs())) {
        switch (action.kind) {
          case DeliveryAction::Kind::kSend:
            if (!Send(action.delivery)) again = true;
            break;
          case DeliveryAction::Kind::kGiveUp:
            Save(action.delivery);
            break;
          case DeliveryAction::Kind::kWait:
            WaitUntil(action.until_ms);
            break;
          case DeliveryAction::Kind::kDrained:
            if (backlog_ && !reload_posted_) {
              reload_posted_ = true;
              asio::post(io_, [self = shared_from_this()] { self->Load(); });
            }
            break;
        }
      }
    }
  }

  // Starts the attempt of `d`; false when it was not started (and the scheduler was told why).
  bool Send(const Delivery& d) {
    const auto id = IdOf(d.id);
    auto row = id ? store_.GetPushDelivery(*id) : core::Result<std::optional<PushDelivery>>(std::optional<PushDelivery>());
    auto subscription = store_.GetPushSubscription(d.webhook);
    if (!row.ok() || !subscription.ok()) {
      scheduler_.Postpone(d.id, env_.NowMs() + kStoreRetryMs);
      return false;
    }
    if (!subscription->has_value()) {  // deleted, with its deliveries
      scheduler_.Drop(d.id);
      scheduler_.Forget(d.webhook);
      return false;
    }
    if (!row->has_value()) {
      scheduler_.Drop(d.id);
      return false;
    }
    const PushSubscription& sub = **subscription;
    const PushDelivery& message = **row;
    auto url = ParseWebhookUrl(sub.endpoint);
    if (url.ok() && !url->tls) url = core::Status::Invalid("endpoint: must be https://");
    if (!url.ok()) {
      if (auto record = scheduler_.Fail(d.id, url.status().message())) Save(*record);
      return false;
    }
    auto authorization = tokens_.Authorization(EndpointOrigin(*url), env_.NowMs());
    auto body = authorization.ok() ? EncryptWebPush(message.payload, PushKeys{sub.p256dh, sub.auth}, env_)
                                   : core::Result<std::string>(authorization.status());
    if (!body.ok()) {
      spdlog::error("hub: push delivery {} cannot be made: {}", d.id, body.status().ToString());
      if (auto record = scheduler_.Fail(d.id, "cannot encrypt")) Save(*record);
      return false;
    }
    HttpPostRequest post;
    post.url = std::move(url).value();
    post.tls = tls_;
    post.policy = policy_;
    post.content_type = "application/octet-stream";
    post.headers = {{"TTL", std::to_string(message.ttl_s)},
                    {"Urgency", message.urgency},
                    {"Content-Encoding", "aes128gcm"},
                    {"Authorization", std::move(authorization).value()}};
    post.body = std::move(body).value();
    post.timeout = kTimeout;
    post.body_limit = 0;  // the status says it all
    HttpPost(io_, std::move(post), [self = shared_from_this(), subscription = sub.id, id = d.id](HttpPostResult r) {
      self->Answered(subscription, id, std::move(r));
    });
    return true;
  }

  void Answered(const std::string& subscription, const std::string& id, HttpPostResult r) {
    if (stopped_) return;
    if (r.failure != HttpPostResult::Failure::kNone) {
      spdlog::info("hub: push delivery {} to subscription {}: {}", id, subscription, r.error);
      return Done(subscription, id, false, std::string(LastError(r.failure)));
    }
    if (r.status == 404 || r.status == 410) {
      // The browser unsubscribed, or its subscription expired: it is gone for good.
      spdlog::info("hub: push subscription {} is gone (HTTP {}): deleted", subscription, r.status);
      if (core::Status s = store_.DeletePushSubscription(subscription); !s.ok() && s.code() != core::Code::kNotFound) {
        spdlog::error("hub: cannot delete push subscription {}: {}", subscription, s.ToString());
      }
      scheduler_.Forget(subscription);
      return Done(subscription, id, false, "HTTP " + std::to_string(r.status));  // finds nothing to record
    }
    const bool ok = r.status >= 200 && r.status < 300;
    Done(subscription, id, ok, ok ? "" : "HTTP " + std::to_string(r.status));
  }

  void Done(const std::string& subscription, const std::string& id, bool ok, std::string error) {
    if (auto record = scheduler_.Done(env_.NowMs(), id, ok, error)) {
      Save(*record);
      // The subscription shows how its last attempt went (the app's settings list it).
      if (core::Status s = store_.SetPushSubscriptionError(subscription, ok ? "" : error); !s.ok()) {
        spdlog::error("hub: cannot record push subscription {}: {}", subscription, s.ToString());
      }
    }
    Pump();
  }

  void WaitUntil(int64_t until_ms) {
    timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(0, until_ms - env_.NowMs())));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->stopped_) return;
      self->Pump();
    });
  }

  void Save(const Delivery& d) {
    const auto id = IdOf(d.id);
    if (!id) return;
    PushDelivery p;
    p.id = *id;
    p.status = d.status;
    p.attempts = d.attempts;
    p.next_attempt_ms = d.next_attempt_ms;
    const core::Status s = store_.UpdatePushDelivery(p);
    // kNotFound: the subscription was deleted meanwhile, and its deliveries with it.
    if (!s.ok() && s.code() != core::Code::kNotFound) spdlog::error("hub: cannot record push delivery {}: {}", d.id, s.ToString());
    if (d.status == "failed") {
      spdlog::warn("hub: push delivery {} to subscription {} given up: {}", d.id, d.webhook, d.last_error);
      (void)store_.SetPushSubscriptionError(d.webhook, d.last_error);
    }
  }

  asio::io_context& io_;
  Env& env_;
  HubStore& store_;
  VapidTokens tokens_;
  std::shared_ptr<TlsContext> tls_;
  std::shared_ptr<const DestinationPolicy> policy_;
  asio::steady_timer timer_;
  DeliveryScheduler scheduler_;
  bool backlog_ = false;
  bool reload_posted_ = false;
  bool stopped_ = false;
  int64_t pruned_at_ms_ = 0;
};

PushSender::PushSender(asio::io_context& io, Env& env, HubStore& store, VapidKey key, std::string subject,
                       std::shared_ptr<TlsContext> tls, std::shared_ptr<const DestinationPolicy> policy)
    : policy_(std::move(policy)),
      engine_(std::make_shared<Engine>(io, env, store, std::move(key), std::move(subject), std::move(tls), policy_)) {}

PushSender::~PushSender() { engine_->Stop(); }

void PushSender::Start() { engine_->Load(); }

core::Status PushSender::Queue(std::vector<PushDelivery> deliveries) { return engine_->Queue(std::move(deliveries)); }

void PushSender::Forget(const std::string& subscription) { engine_->Forget(subscription); }

std::size_t PushSender::in_flight() const { return engine_->in_flight(); }

std::size_t PushSender::queued() const { return engine_->queued(); }

}  // namespace latchkey::hub::push
