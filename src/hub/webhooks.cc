#include "hub/webhooks.h"

#include "hub/hub.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "hub/delivery_engine.h"
#include "hub/http_post.h"
#include "platform/time_format.h"
#include "wire/json_codec.h"

namespace latchkey::hub {

namespace asio = boost::asio;

namespace {

// The same for the same webhook and event, so that queueing an event twice (a lock resending
// one the hub stored just before a crash) finds the delivery already there.
std::string DeliveryId(const std::string& webhook, const std::string& lock, uint64_t seq) {
  std::string key = webhook;
  key.push_back('\0');
  key += lock;
  key.push_back('\0');
  key += std::to_string(seq);
  std::array<uint8_t, crypto_generichash_BYTES_MIN> hash{};
  crypto_generichash(hash.data(), hash.size(), reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr, 0);
  return wire::ToHex(std::span(hash).first(10));
}

}  // namespace

// What webhooks send: each delivery's event, signed, POSTed to its webhook's URL. The engine
// (delivery_engine.h) does the rest.
class Webhooks::Channel final : public DeliveryChannel {
 public:
  Channel(asio::io_context& io, Env& env, HubStore& store, std::shared_ptr<TlsContext> tls,
          std::shared_ptr<const DestinationPolicy> policy)
      : io_(io), env_(env), store_(store), tls_(std::move(tls)), policy_(std::move(policy)) {}

  // Stores a delivery of the event for every webhook whose kinds match; those stored.
  std::vector<Delivery> Store(const std::string& lock, const Json& event) {
    std::vector<Delivery> stored;
    if (!event.is_object() || !event.contains("seq") || !event["seq"].is_number_unsigned()) return stored;
    const std::vector<Webhook>* webhooks = Hooks();
    if (webhooks == nullptr) return stored;
    const std::string kind = event.value("kind", "");
    const uint64_t seq = event["seq"].get<uint64_t>();
    const int64_t now = env_.NowMs();
    for (const Webhook& w : *webhooks) {
      if (w.kinds && std::find(w.kinds->begin(), w.kinds->end(), kind) == w.kinds->end()) continue;
      Delivery d;
      d.id = DeliveryId(w.id, lock, seq);
      d.webhook = w.id;
      d.lock = lock;
      d.seq = seq;
      d.next_attempt_ms = now;  // due at once
      d.created_at_ms = now;
      if (core::Status s = store_.PutDelivery(d); !s.ok()) {
        spdlog::error("hub: cannot store a delivery to webhook {}: {}", w.id, s.ToString());
        continue;
      }
      stored.push_back(std::move(d));
    }
    return stored;
  }

  void Changed() { webhooks_.reset(); }

  void Forget(const std::string& webhook) {
    if (webhooks_) {
      std::erase_if(*webhooks_, [&](const Webhook& w) { return w.id == webhook; });
    }
  }

  core::Result<std::vector<Delivery>> Pending(std::size_t limit) override {
    return store_.PendingDeliveries(limit);  // each queue from its front
  }

  DeliveryStart Attempt(const Delivery& d, DeliveryDone done) override {
    const std::vector<Webhook>* webhooks = Hooks();
    if (webhooks == nullptr) return DeliveryStart::Later();
    const auto hook = std::find_if(webhooks->begin(), webhooks->end(), [&](const Webhook& w) { return w.id == d.webhook; });
    if (hook == webhooks->end()) return DeliveryStart::NoTarget();  // deleted, with its deliveries
    EventQuery query;
    query.lock = d.lock;
    query.after = d.seq - 1;
    query.limit = 1;
    auto events = store_.Events(query);
    if (!events.ok()) return DeliveryStart::Later();
    std::vector<Json>& found = events.value();
    if (found.empty() || found[0].value("seq", uint64_t{0}) != d.seq) return DeliveryStart::Drop();  // the lock was unpaired
    auto url = ParseWebhookUrl(hook->url);
    if (!url.ok()) return DeliveryStart::Fail(std::string(url.status().message()));
    Json event = std::move(found[0]);
    event.erase("lock");
    const std::string body =
        Json{{"lock", d.lock}, {"event", ApiEventJson(std::move(event), d.lock)}}.dump(-1, ' ', false, Json::error_handler_t::replace);
    HttpPostRequest post;
    post.url = std::move(url).value();
    post.tls = tls_;
    post.policy = policy_;
    post.headers = {{std::string(kWebhookSignatureHeader), WebhookSignature(hook->secret, body)},
                    {std::string(kWebhookDeliveryHeader), d.id}};
    post.body = body;
    post.timeout = Webhooks::kTimeout;
    post.body_limit = 0;  // the status says it all
    HttpPost(io_, std::move(post), [done = std::move(done), webhook = d.webhook, id = d.id](HttpPostResult r) {
      if (r.failure != HttpPostResult::Failure::kNone) spdlog::info("hub: webhook {} delivery {}: {}", webhook, id, r.error);
      done(HttpDeliveryOutcome(r));
    });
    return DeliveryStart::Started();
  }

  void Record(const Delivery& d) override {
    const core::Status s = store_.UpdateDelivery(d);
    // kNotFound: the webhook was deleted meanwhile, and its deliveries with it.
    if (!s.ok() && s.code() != core::Code::kNotFound) {
      spdlog::error("hub: cannot record webhook delivery {}: {}", d.id, s.ToString());
    }
  }

 private:
  // The webhooks, read from the store when first needed after a start or a change; nullptr (and
  // logged) when the store cannot be read, to be tried again at the next need.
  const std::vector<Webhook>* Hooks() {
    if (!webhooks_) {
      auto listed = store_.ListWebhooks();
      if (!listed.ok()) {
        spdlog::error("hub: cannot read webhooks: {}", listed.status().ToString());
        return nullptr;
      }
      webhooks_ = std::move(listed).value();
    }
    return &*webhooks_;
  }

  asio::io_context& io_;
  Env& env_;
  HubStore& store_;
  std::shared_ptr<TlsContext> tls_;
  std::shared_ptr<const DestinationPolicy> policy_;
  std::optional<std::vector<Webhook>> webhooks_;  // the store's, while no change is pending
};

Webhooks::Webhooks(asio::io_context& io, Env& env, HubStore& store, std::shared_ptr<TlsContext> tls,
                   std::shared_ptr<const DestinationPolicy> policy)
    : policy_(std::move(policy)),
      channel_(std::make_shared<Channel>(io, env, store, std::move(tls), policy_)),
      engine_(std::make_shared<DeliveryEngine>(io, env, channel_, DeliveryEngine::Options{})) {}

Webhooks::~Webhooks() { engine_->Stop(); }

void Webhooks::Start() { engine_->Start(); }

void Webhooks::OnEvent(const std::string& lock, const Json& event) { engine_->Queue(channel_->Store(lock, event)); }

void Webhooks::Changed() { channel_->Changed(); }

void Webhooks::Forget(const std::string& webhook) {
  channel_->Forget(webhook);
  engine_->Forget(webhook);
}

std::size_t Webhooks::in_flight() const { return engine_->in_flight(); }

}  // namespace latchkey::hub
