// One HTTP/1.1 POST from the hub (a webhook delivery, the forward to a simulated lock's
// sim-control server): look the host up when it is a name, connect, for https:// run a verified
// TLS handshake, send, read the answer, close, call back once. One deadline covers the whole
// exchange.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hub/tls_context.h"
#include "hub/webhooks.h"  // WebhookUrl: the parsed http[s]://HOST[:PORT]/target
#include "platform/asio.h"

namespace latchkey::hub {

struct HttpPostResult {
  // Empty when an answer came (whatever its status); else what failed, e.g. "connect: Connection
  // refused", "lookup: Host not found (authoritative)", "tls: certificate verify failed (unable to
  // get local issuer certificate)" or "no answer within 10 s (answer)".
  std::string error;
  unsigned status = 0;
  std::string body;  // at most the body limit of the call
};

struct HttpPostRequest {
  WebhookUrl url;
  // The client context for an https:// URL (MakeWebhookTlsContext: verify_peer, TLS 1.2+). An
  // https:// URL without one fails before connecting: nothing is ever sent unverified.
  std::shared_ptr<TlsContext> tls;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::seconds timeout{10};
  std::size_t body_limit = 64 * 1024;  // of the answer; 0: read the header only
};

void HttpPost(boost::asio::io_context& io, HttpPostRequest request, std::function<void(HttpPostResult)> done);

}  // namespace latchkey::hub
