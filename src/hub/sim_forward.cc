#include "hub/sim_forward.h"

#include <utility>

#include "hub/http_post.h"
#include "hub/webhook_url.h"  // ParseWebhookUrl: the same http://HOST:PORT grammar

namespace latchkey::hub {

namespace asio = boost::asio;

namespace {

HttpResponse Unreachable(const std::string& why) {
  return HttpResponse::Error(503, "lock_offline",
                             "the lock is not connected to the hub and its sim-control server " + why);
}

}  // namespace

bool IsLoopbackSimControlUrl(const std::string& url) {
  auto parsed = ParseWebhookUrl(url);
  // (A lock's sim control speaks plain HTTP on a loopback address, never a name.)
  if (!parsed.ok() || parsed->tls) return false;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(parsed->host, ec);
  return !ec && address.is_loopback();
}

void ForwardToSimControl(asio::io_context& io, const std::string& sim_control_url, const std::string& secret,
                         const std::string& what, const nlohmann::json& body, Respond respond) {
  auto parsed = ParseWebhookUrl(sim_control_url);
  if (!parsed.ok() || !IsLoopbackSimControlUrl(sim_control_url)) return respond(Unreachable("is not on loopback"));
  if (secret.empty()) return respond(Unreachable("secret is not known to the hub yet"));
  HttpPostRequest post;
  post.url = std::move(parsed).value();
  post.url.target = "/sim/" + what;
  post.headers.emplace_back("X-Sim-Secret", secret);
  post.body = body.dump();
  post.body_limit = kMaxBody;
  // No destination policy (post.policy stays null): this goes to the lock's own sim-control
  // server, which is on loopback by design (checked just above), at an address the lock reported,
  // not one a user typed; the loopback check is this forward's policy.
  HttpPost(io, std::move(post), [respond = std::move(respond)](HttpPostResult r) {
    if (!r.error.empty()) return respond(Unreachable("does not answer (" + r.error + ")"));
    nlohmann::json json = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) return respond(Unreachable("answered something that is not JSON"));
    respond(HttpResponse::Json(r.status, json));
  });
}

}  // namespace latchkey::hub
