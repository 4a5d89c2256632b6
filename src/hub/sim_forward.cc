#include "hub/sim_forward.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <memory>
#include <utility>

#include "hub/webhooks.h"  // ParseWebhookUrl: the same http://HOST:PORT grammar

namespace latchkey::hub {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

constexpr auto kTimeout = std::chrono::seconds(10);

HttpResponse Unreachable(const std::string& why) {
  return HttpResponse::Error(503, "lock_offline",
                             "the lock is not connected to the hub and its sim-control server " + why);
}

// One request: connect, send, read the whole answer (at most 64 KiB), close; `respond` once.
class SimCall : public std::enable_shared_from_this<SimCall> {
 public:
  SimCall(asio::io_context& io, WebhookUrl url, const std::string& what, const nlohmann::json& body, Respond respond)
      : stream_(io), url_(std::move(url)), respond_(std::move(respond)) {
    request_.method(http::verb::post);
    request_.target("/sim/" + what);
    request_.version(11);
    request_.set(http::field::host, url_.host_header);
    request_.set(http::field::content_type, "application/json");
    request_.keep_alive(false);
    request_.body() = body.dump();
    request_.prepare_payload();
    parser_.body_limit(kMaxBody);
  }

  void Run() {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(url_.host, ec);
    if (ec) return Finish(Unreachable("has a bad address"));
    stream_.expires_after(kTimeout);
    stream_.async_connect(asio::ip::tcp::endpoint(address, url_.port), [self = shared_from_this()](beast::error_code e) {
      if (e) return self->Finish(Unreachable("does not answer (" + e.message() + ")"));
      http::async_write(self->stream_, self->request_, [self](beast::error_code we, std::size_t) {
        if (we) return self->Finish(Unreachable("did not take the request (" + we.message() + ")"));
        http::async_read(self->stream_, self->buffer_, self->parser_, [self](beast::error_code re, std::size_t) {
          if (re) return self->Finish(Unreachable("did not answer (" + re.message() + ")"));
          const auto& answer = self->parser_.get();
          nlohmann::json json = nlohmann::json::parse(answer.body(), nullptr, /*allow_exceptions=*/false);
          if (json.is_discarded()) return self->Finish(Unreachable("answered something that is not JSON"));
          self->Finish(HttpResponse::Json(answer.result_int(), json));
        });
      });
    });
  }

 private:
  void Finish(HttpResponse response) {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    if (Respond respond = std::exchange(respond_, nullptr)) respond(std::move(response));
  }

  beast::tcp_stream stream_;
  WebhookUrl url_;
  Respond respond_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

}  // namespace

bool IsLoopbackSimControlUrl(const std::string& url) {
  auto parsed = ParseWebhookUrl(url);
  if (!parsed.ok()) return false;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(parsed->host, ec);
  return !ec && address.is_loopback();
}

void ForwardToSimControl(asio::io_context& io, const std::string& sim_control_url, const std::string& what,
                         const nlohmann::json& body, Respond respond) {
  auto parsed = ParseWebhookUrl(sim_control_url);
  if (!parsed.ok() || !IsLoopbackSimControlUrl(sim_control_url)) {
    return respond(Unreachable("is not on loopback"));
  }
  std::make_shared<SimCall>(io, std::move(parsed).value(), what, body, std::move(respond))->Run();
}

}  // namespace latchkey::hub
