#include "hub/webhooks.h"

#include "hub/hub.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "hub/http_post.h"
#include "platform/time_format.h"
#include "wire/json_codec.h"

namespace latchkey::hub {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kLoadLimit = 1000;  // HubStore's largest page
constexpr int64_t kStoreRetryMs = 1000;   // a delivery whose event could not be read waits this long

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

// A failed attempt as its delivery's last_error shows it (webhooks.h: no finer).
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

// The sender: the store holds every delivery, the scheduler (delivery_scheduler.h) the queues in
// memory; Pump asks the scheduler what is due and does it, and each answer goes back to it.
class Webhooks::Engine : public std::enable_shared_from_this<Webhooks::Engine> {
 public:
  Engine(asio::io_context& io, Env& env, HubStore& store, std::shared_ptr<TlsContext> tls,
         std::shared_ptr<const DestinationPolicy> policy)
      : io_(io), env_(env), store_(store), tls_(std::move(tls)), policy_(std::move(policy)), timer_(io) {}

  void Stop() {
    stopped_ = true;
    timer_.cancel();
    scheduler_ = DeliveryScheduler();
  }

  // Queues the pending deliveries of the store that are not queued yet.
  void Load() {
    reload_posted_ = false;
    if (stopped_) return;
    auto pending = store_.DueDeliveries(std::numeric_limits<int64_t>::max(), kLoadLimit);
    if (!pending.ok()) {
      spdlog::error("hub: cannot read pending webhook deliveries: {}", pending.status().ToString());
      return;
    }
    // More than one page pending: new events are left in the store (not queued in memory) until
    // the backlog is loaded, so that they cannot overtake older deliveries of the same webhook.
    backlog_ = pending->size() >= kLoadLimit;
    for (Delivery& d : pending.value()) scheduler_.Add(std::move(d));
    Pump();
  }

  void OnEvent(const std::string& lock, const Json& event) {
    if (stopped_ || !event.is_object() || !event.contains("seq") || !event["seq"].is_number_unsigned()) return;
    const std::vector<Webhook>* webhooks = Hooks();
    if (webhooks == nullptr) return;
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
      if (!backlog_) scheduler_.Add(std::move(d));
    }
    Pump();
  }

  void Changed() { webhooks_.reset(); }

  void Forget(const std::string& webhook) {
    if (webhooks_) {
      std::erase_if(*webhooks_, [&](const Webhook& w) { return w.id == webhook; });
    }
    scheduler_.Forget(webhook);
  }

  std::size_t in_flight() const { return scheduler_.in_flight(); }

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

  // Does what the scheduler says is due, until it has nothing more to say now.
  void Pump() {
    bool again = true;
    while (again && !stopped_) {
      again = false;
      for (DeliveryAction& action : scheduler_.Poll(env_.NowMs())) {
        switch (action.kind) {
          case DeliveryAction::Kind::kSend:
            // A delivery that could not be sent changed the queues: ask again.
            if (!Send(action.delivery)) again = true;
            break;
          case DeliveryAction::Kind::kGiveUp:
            Save(action.delivery);
            break;
          case DeliveryAction::Kind::kWait:
            WaitUntil(action.until_ms);
            break;
          case DeliveryAction::Kind::kDrained:
            // A backlog in the store: load more once a queue has drained (never from inside a pump).
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
    const std::vector<Webhook>* webhooks = Hooks();
    if (webhooks == nullptr) {
      scheduler_.Postpone(d.id, env_.NowMs() + kStoreRetryMs);
      return false;
    }
    const auto hook = std::find_if(webhooks->begin(), webhooks->end(), [&](const Webhook& w) { return w.id == d.webhook; });
    if (hook == webhooks->end()) {  // deleted, with its deliveries
      scheduler_.Drop(d.id);  // not in flight: this attempt never starts
      scheduler_.Forget(d.webhook);
      return false;
    }
    EventQuery query;
    query.lock = d.lock;
    query.after = d.seq - 1;
    query.limit = 1;
    auto events = store_.Events(query);
    if (!events.ok()) {
      scheduler_.Postpone(d.id, env_.NowMs() + kStoreRetryMs);
      return false;
    }
    std::vector<Json>& found = events.value();
    if (found.empty() || found[0].value("seq", uint64_t{0}) != d.seq) {  // the lock was unpaired
      scheduler_.Drop(d.id);
      return false;
    }
    auto url = ParseWebhookUrl(hook->url);
    if (!url.ok()) {
      if (auto record = scheduler_.Fail(d.id, url.status().message())) Save(*record);
      return false;
    }
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
    HttpPost(io_, std::move(post), [self = shared_from_this(), webhook = d.webhook, id = d.id](HttpPostResult r) {
      if (r.failure != HttpPostResult::Failure::kNone) {
        spdlog::info("hub: webhook {} delivery {}: {}", webhook, id, r.error);
        return self->Done(id, false, std::string(LastError(r.failure)));
      }
      const bool ok = r.status >= 200 && r.status < 300;
      self->Done(id, ok, ok ? "" : "HTTP " + std::to_string(r.status));
    });
    return true;
  }

  void Done(const std::string& id, bool ok, std::string error) {
    if (stopped_) return;
    if (auto record = scheduler_.Done(env_.NowMs(), id, ok, std::move(error))) Save(*record);
    Pump();
  }

  // One timer for the earliest delivery that waits; a later Pump moves it.
  void WaitUntil(int64_t until_ms) {
    timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(0, until_ms - env_.NowMs())));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->stopped_) return;  // moved or stopped
      self->Pump();
    });
  }

  void Save(const Delivery& d) {
    const core::Status s = store_.UpdateDelivery(d);
    // kNotFound: the webhook was deleted meanwhile, and its deliveries with it.
    if (!s.ok() && s.code() != core::Code::kNotFound) {
      spdlog::error("hub: cannot record webhook delivery {}: {}", d.id, s.ToString());
    }
  }

  asio::io_context& io_;
  Env& env_;
  HubStore& store_;
  std::shared_ptr<TlsContext> tls_;
  std::shared_ptr<const DestinationPolicy> policy_;
  asio::steady_timer timer_;
  DeliveryScheduler scheduler_;
  std::optional<std::vector<Webhook>> webhooks_;  // the store's, while no change is pending
  bool backlog_ = false;
  bool reload_posted_ = false;
  bool stopped_ = false;
};

Webhooks::Webhooks(asio::io_context& io, Env& env, HubStore& store, std::shared_ptr<TlsContext> tls,
                   std::shared_ptr<const DestinationPolicy> policy)
    : policy_(std::move(policy)), engine_(std::make_shared<Engine>(io, env, store, std::move(tls), policy_)) {}

Webhooks::~Webhooks() { engine_->Stop(); }

void Webhooks::Start() { engine_->Load(); }

void Webhooks::OnEvent(const std::string& lock, const Json& event) { engine_->OnEvent(lock, event); }

void Webhooks::Changed() { engine_->Changed(); }

void Webhooks::Forget(const std::string& webhook) { engine_->Forget(webhook); }

std::size_t Webhooks::in_flight() const { return engine_->in_flight(); }

}  // namespace latchkey::hub
