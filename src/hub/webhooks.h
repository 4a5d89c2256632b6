// Webhooks (API.md "History and live events"): every new event of a lock is POSTed as
// {"lock", "event"} to each webhook whose kinds match, signed with
// `X-Latchkey-Signature: sha256=<hex HMAC-SHA256 of the body keyed with the webhook's secret>`.
//
// A delivery is a durable record (HubStore) written before the first attempt. It is retried
// with exponential back-off (1 s, 2 s, 4 s ... at most 1 h apart) until the receiver answers
// 2xx, or is given up ("failed") once a day has passed since it was created. On start the
// pending deliveries in the store resume. The deliveries of one webhook for one lock go out one
// at a time, in event order (a later event waits while an earlier one is being retried); at most
// kMaxInFlight attempts run at once. Every attempt is an async HTTP/1.1 request on the hub's io
// thread with a 10 s deadline for connect, write and the answer's header.
//
// Only http:// URLs whose host is an IP address or localhost: the hub has no TLS client yet, and
// resolving names would block or need a resolver thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "hub/hub_store.h"
#include "platform/asio.h"

namespace latchkey::hub {

class Hub;
class Router;

// Where a webhook's requests go, from its URL.
struct WebhookUrl {
  std::string host;         // an IP address ("localhost" is 127.0.0.1); IPv6 without brackets
  uint16_t port = 80;
  std::string target = "/";  // path and query
  std::string host_header;   // the Host header: the URL's authority
};

// Parses "http://HOST[:PORT][/path][?query]"; kInvalid with a message that names what is wrong.
core::Result<WebhookUrl> ParseWebhookUrl(std::string_view url);

// "sha256=" and the hex HMAC-SHA256 of `body` keyed with the bytes of `secret` (any length).
std::string WebhookSignature(std::string_view secret, std::string_view body);

class Webhooks {
 public:
  static constexpr std::size_t kMaxInFlight = 8;
  static constexpr int64_t kGiveUpMs = 24LL * 3600 * 1000;
  static constexpr int64_t kMaxBackoffMs = 3600LL * 1000;
  static constexpr std::chrono::seconds kTimeout{10};

  Webhooks(boost::asio::io_context& io, HubStore& store);
  // Stops: attempts under way are abandoned (their deliveries stay pending in the store).
  ~Webhooks();
  Webhooks(const Webhooks&) = delete;
  Webhooks& operator=(const Webhooks&) = delete;

  // Resumes the pending deliveries in the store.
  void Start();
  // A new event of `lock`, already stored: a delivery for every webhook whose kinds match.
  void OnEvent(const std::string& lock, const Json& event);
  // The webhook was deleted (with its deliveries): drop what is queued for it.
  void Forget(const std::string& webhook);
  // Attempts under way.
  std::size_t in_flight() const;

  class Engine;

 private:
  std::shared_ptr<Engine> engine_;
};

// GET|POST /api/v1/webhooks, DELETE /api/v1/webhooks/{id}, GET /api/v1/webhooks/{id}/deliveries.
void RegisterWebhookRoutes(Hub& hub, Router& router);

}  // namespace latchkey::hub
