#include "hub/push/push_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

#include "hub/delivery_engine.h"
#include "hub/http_post.h"
#include "hub/push/vapid_jwt.h"
#include "hub/push/web_push_message.h"
#include "hub/webhook_url.h"

namespace latchkey::hub::push {

namespace asio = boost::asio;

namespace {

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

}  // namespace

// What Web Push sends: each delivery's stored payload, encrypted for its subscription and
// POSTed to its push service with a VAPID JWT. The engine (delivery_engine.h) does the rest.
class PushSender::Channel final : public DeliveryChannel {
 public:
  Channel(asio::io_context& io, Env& env, HubStore& store, VapidKey key, std::string subject,
          std::shared_ptr<TlsContext> tls, std::shared_ptr<const DestinationPolicy> policy)
      : io_(io),
        env_(env),
        store_(store),
        tokens_(std::move(key), std::move(subject)),
        tls_(std::move(tls)),
        policy_(std::move(policy)) {}

  // Stores `deliveries` (pending, due now) in one transaction; those stored, as the scheduler's.
  core::Result<std::vector<Delivery>> Store(std::vector<PushDelivery> deliveries) {
    const int64_t now = env_.NowMs();
    for (PushDelivery& d : deliveries) {
      d.status = "pending";
      d.attempts = 0;
      d.next_attempt_ms = now;
      d.created_at_ms = now;
    }
    auto stored = store_.AddPushDeliveries(deliveries);
    LATCHKEY_TRY(stored);
    std::vector<Delivery> queued;
    for (const PushDelivery& d : stored.value()) queued.push_back(Scheduled(d));
    if (now - pruned_at_ms_ >= kPruneEveryMs) Prune();
    return queued;
  }

  core::Result<std::vector<Delivery>> Pending(std::size_t limit) override {
    Prune();
    auto pending = store_.PendingPushDeliveries(limit);
    LATCHKEY_TRY(pending);
    std::vector<Delivery> queued;
    for (const PushDelivery& d : pending.value()) queued.push_back(Scheduled(d));
    return queued;
  }

  DeliveryStart Attempt(const Delivery& d, DeliveryDone done) override {
    const auto id = IdOf(d.id);
    auto row = id ? store_.GetPushDelivery(*id) : core::Result<std::optional<PushDelivery>>(std::optional<PushDelivery>());
    auto subscription = store_.GetPushSubscription(d.webhook);
    if (!row.ok() || !subscription.ok()) return DeliveryStart::Later();
    if (!subscription->has_value()) return DeliveryStart::NoTarget();  // deleted, with its deliveries
    if (!row->has_value()) return DeliveryStart::Drop();
    const PushSubscription& sub = **subscription;
    const PushDelivery& message = **row;
    auto url = ParseWebhookUrl(sub.endpoint);
    if (url.ok() && !url->tls) url = core::Status::Invalid("endpoint: must be https://");
    if (!url.ok()) return DeliveryStart::Fail(std::string(url.status().message()));
    auto authorization = tokens_.Authorization(EndpointOrigin(*url), env_.NowMs());
    auto body = authorization.ok() ? EncryptWebPush(message.payload, PushKeys{sub.p256dh, sub.auth}, env_)
                                   : core::Result<std::string>(authorization.status());
    if (!body.ok()) {
      spdlog::error("hub: push delivery {} cannot be made: {}", d.id, body.status().ToString());
      return DeliveryStart::Fail("cannot encrypt");
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
    HttpPost(io_, std::move(post), [done = std::move(done), subscription = sub.id, id = d.id](HttpPostResult r) {
      if (r.failure != HttpPostResult::Failure::kNone) {
        spdlog::info("hub: push delivery {} to subscription {}: {}", id, subscription, r.error);
      }
      DeliveryOutcome outcome = HttpDeliveryOutcome(r);
      // The browser unsubscribed, or its subscription expired: it is gone for good (RFC 8030 7.3).
      if (r.failure == HttpPostResult::Failure::kNone && (r.status == 404 || r.status == 410)) {
        outcome.kind = DeliveryOutcome::Kind::kGone;
      }
      done(std::move(outcome));
    });
    return DeliveryStart::Started();
  }

  void Gone(const Delivery& d, std::string_view why) override {
    spdlog::info("hub: push subscription {} is gone ({}): deleted", d.webhook, why);
    if (core::Status s = store_.DeletePushSubscription(d.webhook); !s.ok() && s.code() != core::Code::kNotFound) {
      spdlog::error("hub: cannot delete push subscription {}: {}", d.webhook, s.ToString());
    }
  }

  void Record(const Delivery& d) override {
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
    if (d.status == "failed") spdlog::warn("hub: push delivery {} to subscription {} given up: {}", d.id, d.webhook, d.last_error);
    // The subscription shows how its last attempt went (the app's settings list it).
    const std::string error = d.status == "delivered" ? std::string() : d.last_error;
    if (core::Status e = store_.SetPushSubscriptionError(d.webhook, error); !e.ok() && e.code() != core::Code::kNotFound) {
      spdlog::error("hub: cannot record push subscription {}: {}", d.webhook, e.ToString());
    }
  }

 private:
  void Prune() {
    pruned_at_ms_ = env_.NowMs();
    if (core::Status s = store_.DeleteFinishedPushDeliveries(pruned_at_ms_ - kKeepFinishedMs); !s.ok()) {
      spdlog::warn("hub: cannot delete old push deliveries: {}", s.ToString());
    }
  }

  asio::io_context& io_;
  Env& env_;
  HubStore& store_;
  VapidTokens tokens_;
  std::shared_ptr<TlsContext> tls_;
  std::shared_ptr<const DestinationPolicy> policy_;
  int64_t pruned_at_ms_ = 0;
};

PushSender::PushSender(asio::io_context& io, Env& env, HubStore& store, VapidKey key, std::string subject,
                       std::shared_ptr<TlsContext> tls, std::shared_ptr<const DestinationPolicy> policy)
    : policy_(std::move(policy)),
      channel_(std::make_shared<Channel>(io, env, store, std::move(key), std::move(subject), std::move(tls), policy_)),
      engine_(std::make_shared<DeliveryEngine>(io, env, channel_,
                                               DeliveryEngine::Options{.name = "push",
                                                                       .give_up_ms = kGiveUpMs,
                                                                       .give_up_error = "not delivered within an hour"})) {}

PushSender::~PushSender() { engine_->Stop(); }

void PushSender::Start() { engine_->Start(); }

core::Status PushSender::Queue(std::vector<PushDelivery> deliveries) {
  if (deliveries.empty()) return core::Status::Ok();
  auto stored = channel_->Store(std::move(deliveries));
  LATCHKEY_TRY(stored);
  engine_->Queue(std::move(stored).value());
  return core::Status::Ok();
}

void PushSender::Forget(const std::string& subscription) { engine_->Forget(subscription); }

std::size_t PushSender::in_flight() const { return engine_->in_flight(); }

std::size_t PushSender::queued() const { return engine_->queued(); }

}  // namespace latchkey::hub::push
