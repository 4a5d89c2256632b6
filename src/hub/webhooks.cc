#include "hub/webhooks.h"

#include "hub/hub.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "hub/http_post.h"
#include "platform/time_format.h"
#include "wire/json_codec.h"

namespace latchkey::hub {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::size_t kLoadLimit = 1000;  // HubStore's largest page

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

// A DNS host name (RFC 1123): labels of 1..63 letters, digits and '-' that neither start nor end
// with '-', joined by single dots, 253 characters at most. The last label must start with a
// letter (every top-level domain does): otherwise the system's resolver would read "127.1" or
// "0x7f000001" as an address, and the URL would not mean what it looks like.
bool IsHostName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i < name.size() && name[i] != '.') {
      const unsigned char c = static_cast<unsigned char>(name[i]);
      if (!std::isalnum(c) && c != '-') return false;
      continue;
    }
    const std::string_view label = name.substr(label_start, i - label_start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    if (i == name.size() && !std::isalpha(static_cast<unsigned char>(label.front()))) return false;
    label_start = i + 1;
  }
  return true;
}

}  // namespace

core::Result<WebhookUrl> ParseWebhookUrl(std::string_view url) {
  if (url.size() > 2048) return core::Status::Invalid("url: at most 2048 characters");
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return core::Status::Invalid("url: must not contain spaces or control characters");
    }
  }
  WebhookUrl out;
  std::string_view rest;
  if (StartsWithNoCase(url, "https://")) {
    out.tls = true;
    out.port = 443;
    rest = url.substr(8);
  } else if (StartsWithNoCase(url, "http://")) {
    rest = url.substr(7);
  } else {
    return core::Status::Invalid("url: must be an http:// or https:// URL");
  }
  const std::size_t end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  target = target.substr(0, target.find('#'));
  if (authority.find('@') != std::string_view::npos) return core::Status::Invalid("url: user info (user@host) is not supported");

  std::string_view host = authority;
  std::string_view port_text;
  const bool bracketed = !authority.empty() && authority.front() == '[';
  if (bracketed) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return core::Status::Invalid("url: unclosed '[' in the host");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return core::Status::Invalid("url: bad port");
      port_text = after.substr(1);
      if (port_text.empty()) return core::Status::Invalid("url: bad port");
    }
  } else if (const std::size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
    if (port_text.empty()) return core::Status::Invalid("url: bad port");
  }
  if (!port_text.empty()) {
    if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoul(std::string(port_text)) == 0 || std::stoul(std::string(port_text)) > 65535) {
      return core::Status::Invalid("url: the port must be 1..65535");
    }
    out.port = static_cast<uint16_t>(std::stoul(std::string(port_text)));
  }
  if (host.empty()) return core::Status::Invalid("url: has no host");
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  if (bracketed) {
    if (ec || !address.is_v6()) return core::Status::Invalid("url: [...] must hold an IPv6 address");
    out.host = out.tls_name = address.to_string();
  } else if (host.size() == 9 && StartsWithNoCase(host, "localhost")) {
    // Loopback without a lookup (no surprise from /etc/hosts or ::1); the certificate is checked
    // for the name the user wrote.
    out.host = "127.0.0.1";
    out.tls_name = "localhost";
  } else if (!ec && address.is_v4()) {
    out.host = out.tls_name = address.to_string();
  } else if (IsHostName(host)) {
    out.host.reserve(host.size());
    for (const char c : host) out.host.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    out.host_is_name = true;
    out.tls_name = out.host;
  } else {
    return core::Status::Invalid(
        "url: the host must be an IP address, [IPv6 address], localhost or a host name (letters, digits, '-' "
        "and '.')");
  }
  out.host_header = std::string(authority);
  out.target = target.empty() ? "/" : target.front() == '?' ? "/" + std::string(target) : std::string(target);
  return out;
}

std::string WebhookSignature(std::string_view secret, std::string_view body) {
  crypto_auth_hmacsha256_state state;
  std::array<uint8_t, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof state);
  return "sha256=" + wire::ToHex(mac);
}

// The scheduler: the store holds every delivery; memory holds a queue per (webhook, lock) in
// seq order, whose front is the delivery being attempted or waiting for its next attempt.
class Webhooks::Engine : public std::enable_shared_from_this<Webhooks::Engine> {
 public:
  Engine(asio::io_context& io, HubStore& store, std::shared_ptr<TlsContext> tls)
      : io_(io), store_(store), tls_(std::move(tls)) {}

  void Stop() {
    stopped_ = true;
    for (auto& [key, queue] : queues_) {
      if (queue.timer) queue.timer->cancel();
    }
    queues_.clear();
    known_.clear();
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
    for (Delivery& d : pending.value()) Enqueue(std::move(d));
    Pump();
  }

  void OnEvent(const std::string& lock, const Json& event) {
    if (stopped_ || !event.is_object() || !event.contains("seq") || !event["seq"].is_number_unsigned()) return;
    const std::string kind = event.value("kind", "");
    const uint64_t seq = event["seq"].get<uint64_t>();
    auto webhooks = store_.ListWebhooks();
    if (!webhooks.ok()) {
      spdlog::error("hub: cannot read webhooks: {}", webhooks.status().ToString());
      return;
    }
    const int64_t now = NowMs();
    for (const Webhook& w : *webhooks) {
      if (w.kinds && std::find(w.kinds->begin(), w.kinds->end(), kind) == w.kinds->end()) continue;
      Delivery d;
      d.id = DeliveryId(w.id, lock, seq);
      d.webhook = w.id;
      d.lock = lock;
      d.seq = seq;
      d.next_attempt_ms = now;
      d.created_at_ms = now;
      if (core::Status s = store_.PutDelivery(d); !s.ok()) {
        spdlog::error("hub: cannot store a delivery to webhook {}: {}", w.id, s.ToString());
        continue;
      }
      if (!backlog_) Enqueue(std::move(d));
    }
    Pump();
  }

  void Forget(const std::string& webhook) {
    for (auto it = queues_.begin(); it != queues_.end();) {
      if (it->first.first != webhook) {
        ++it;
        continue;
      }
      if (it->second.timer) it->second.timer->cancel();
      for (const Delivery& d : it->second.items) known_.erase(d.id);
      it = queues_.erase(it);
    }
  }

  std::size_t in_flight() const { return in_flight_; }

 private:
  using Key = std::pair<std::string, std::string>;  // webhook, lock
  struct Queue {
    std::deque<Delivery> items;  // by seq; the front is the one under way
    bool busy = false;           // an attempt of the front is in flight
    std::shared_ptr<asio::steady_timer> timer;  // set while the front waits for its next attempt
  };

  void Enqueue(Delivery d) {
    if (!known_.insert(d.id).second) return;
    Queue& q = queues_[{d.webhook, d.lock}];
    // Never ahead of the front while it is under way.
    const auto first = q.items.begin() + ((q.busy || q.timer) && !q.items.empty() ? 1 : 0);
    const auto at = std::upper_bound(first, q.items.end(), d.seq, [](uint64_t seq, const Delivery& x) { return seq < x.seq; });
    q.items.insert(at, std::move(d));
  }

  void Pump() {
    if (stopped_) return;
    std::vector<Key> keys;
    keys.reserve(queues_.size());
    for (const auto& [key, queue] : queues_) keys.push_back(key);
    for (const Key& key : keys) {
      if (in_flight_ >= kMaxInFlight) break;
      Next(key);
    }
  }

  // Starts the front of `key`'s queue if it is due (or waits for it); drops a drained queue.
  void Next(const Key& key) {
    auto it = queues_.find(key);
    if (it == queues_.end() || stopped_) return;
    Queue& q = it->second;
    while (!q.items.empty() && !q.busy && !q.timer && in_flight_ < kMaxInFlight) {
      Delivery& d = q.items.front();
      const int64_t now = NowMs();
      if (now >= d.created_at_ms + kGiveUpMs) {
        d.status = "failed";
        if (d.last_error.empty()) d.last_error = "not delivered within a day";
        Save(d);
        Pop(q);
        continue;
      }
      if (d.next_attempt_ms > now) return Wait(key, q, d.next_attempt_ms - now);
      auto webhooks = store_.ListWebhooks();
      if (!webhooks.ok()) return Wait(key, q, 1000);
      const auto hook = std::find_if(webhooks->begin(), webhooks->end(), [&](const Webhook& w) { return w.id == d.webhook; });
      if (hook == webhooks->end()) {  // deleted, with its deliveries
        for (const Delivery& gone : q.items) known_.erase(gone.id);
        queues_.erase(it);
        return;
      }
      EventQuery query;
      query.lock = d.lock;
      query.after = d.seq - 1;
      query.limit = 1;
      auto events = store_.Events(query);
      if (!events.ok()) return Wait(key, q, 1000);
      std::vector<Json>& found = events.value();
      if (found.empty() || found[0].value("seq", uint64_t{0}) != d.seq) {  // the lock was unpaired
        Pop(q);
        continue;
      }
      auto url = ParseWebhookUrl(hook->url);
      if (!url.ok()) {
        d.status = "failed";
        d.last_error = url.status().message();
        Save(d);
        Pop(q);
        continue;
      }
      Json event = std::move(found[0]);
      event.erase("lock");
      const std::string body =
          Json{{"lock", d.lock}, {"event", ApiEventJson(std::move(event), d.lock)}}.dump(-1, ' ', false, Json::error_handler_t::replace);
      q.busy = true;
      ++in_flight_;
      HttpPostRequest post;
      post.url = std::move(url).value();
      post.tls = tls_;
      post.headers = {{"X-Latchkey-Signature", WebhookSignature(hook->secret, body)}, {"X-Latchkey-Delivery", d.id}};
      post.body = body;
      post.timeout = Webhooks::kTimeout;
      post.body_limit = 0;  // the status says it all
      HttpPost(io_, std::move(post), [self = shared_from_this(), key, id = d.id](HttpPostResult r) {
        if (!r.error.empty()) return self->Done(key, id, false, std::move(r.error));
        const bool ok = r.status >= 200 && r.status < 300;
        self->Done(key, id, ok, ok ? "" : "HTTP " + std::to_string(r.status));
      });
      return;
    }
    if (q.items.empty() && !q.busy) {
      queues_.erase(it);
      // A backlog in the store: load more once a queue has drained (never from inside a pump).
      if (backlog_ && !reload_posted_) {
        reload_posted_ = true;
        asio::post(io_, [self = shared_from_this()] { self->Load(); });
      }
    }
  }

  void Done(const Key& key, const std::string& id, bool ok, std::string error) {
    --in_flight_;
    if (stopped_) return;
    const auto it = queues_.find(key);
    if (it != queues_.end() && it->second.busy && !it->second.items.empty() && it->second.items.front().id == id) {
      Queue& q = it->second;
      q.busy = false;
      Delivery& d = q.items.front();
      const int64_t now = NowMs();
      ++d.attempts;
      if (ok) {
        d.status = "delivered";
        d.last_error.clear();
        d.next_attempt_ms = now;
        Save(d);
        Pop(q);
      } else {
        d.last_error = std::move(error);
        if (now >= d.created_at_ms + kGiveUpMs) {
          d.status = "failed";
          Save(d);
          Pop(q);
        } else {
          const int doublings = static_cast<int>(std::min<uint32_t>(d.attempts - 1, 22));
          const int64_t backoff = std::min<int64_t>(kMaxBackoffMs, int64_t{1000} << doublings);
          d.next_attempt_ms = std::min(now + backoff, d.created_at_ms + kGiveUpMs);
          Save(d);
        }
      }
    }
    Pump();
  }

  void Wait(const Key& key, Queue& q, int64_t ms) {
    auto timer = std::make_shared<asio::steady_timer>(io_);
    q.timer = timer;
    timer->expires_after(std::chrono::milliseconds(ms));
    timer->async_wait([self = shared_from_this(), key, timer](const boost::system::error_code& ec) {
      if (ec || self->stopped_) return;
      const auto it = self->queues_.find(key);
      if (it == self->queues_.end() || it->second.timer != timer) return;
      it->second.timer.reset();
      self->Next(key);
    });
  }

  void Save(const Delivery& d) {
    const core::Status s = store_.UpdateDelivery(d);
    // kNotFound: the webhook was deleted meanwhile, and its deliveries with it.
    if (!s.ok() && s.code() != core::Code::kNotFound) {
      spdlog::error("hub: cannot record webhook delivery {}: {}", d.id, s.ToString());
    }
  }

  void Pop(Queue& q) {
    known_.erase(q.items.front().id);
    q.items.pop_front();
  }

  asio::io_context& io_;
  HubStore& store_;
  std::shared_ptr<TlsContext> tls_;
  std::map<Key, Queue> queues_;
  std::set<std::string> known_;  // ids of the deliveries in the queues
  std::size_t in_flight_ = 0;
  bool backlog_ = false;
  bool reload_posted_ = false;
  bool stopped_ = false;
};

Webhooks::Webhooks(asio::io_context& io, HubStore& store, std::shared_ptr<TlsContext> tls)
    : engine_(std::make_shared<Engine>(io, store, std::move(tls))) {}

Webhooks::~Webhooks() { engine_->Stop(); }

void Webhooks::Start() { engine_->Load(); }

void Webhooks::OnEvent(const std::string& lock, const Json& event) { engine_->OnEvent(lock, event); }

void Webhooks::Forget(const std::string& webhook) { engine_->Forget(webhook); }

std::size_t Webhooks::in_flight() const { return engine_->in_flight(); }

}  // namespace latchkey::hub
