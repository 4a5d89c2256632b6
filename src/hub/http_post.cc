#include "hub/http_post.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <memory>
#include <optional>
#include <string_view>

namespace latchkey::hub {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

class Post : public std::enable_shared_from_this<Post> {
 public:
  Post(asio::io_context& io, HttpPostRequest request, std::function<void(HttpPostResult)> done)
      : io_(io), request_(std::move(request)), done_(std::move(done)) {
    if (request_.url.tls && request_.tls) {
      tls_.emplace(io, *request_.tls);
    } else {
      plain_.emplace(io);
    }
    out_.method(request_.method);
    out_.target(request_.url.target);
    out_.version(11);
    out_.set(http::field::host, request_.url.host_header);
    out_.set(http::field::user_agent, "latchkey-hub");
    out_.set(http::field::content_type, request_.content_type);
    for (const auto& [name, value] : request_.headers) out_.set(name, value);
    out_.keep_alive(false);
    out_.body() = std::move(request_.body);
    out_.prepare_payload();
    // A header-only read never reaches the body; the parser would still refuse its announced length.
    if (request_.body_limit > 0) parser_.body_limit(request_.body_limit);
  }

  void Run() {
    // Never fall back to plain text for an https:// URL (the sim-control forward has no context).
    if (request_.url.tls && !tls_) return Finish(Failed(Failure::kTls, "tls: this request may not use https://"));
    deadline_ = std::chrono::steady_clock::now() + request_.timeout;
    if (!request_.url.host_is_name) {
      boost::system::error_code ec;
      const auto address = asio::ip::make_address(request_.url.host, ec);
      if (ec) return Finish(Failed(Failure::kConnect, "bad address '" + request_.url.host + "'"));
      return Connect({tcp::endpoint(address, request_.url.port)});
    }
    // getaddrinfo runs on asio's resolver thread; it cannot be interrupted, so the deadline
    // answers for it and its late result is ignored.
    resolver_.emplace(io_);
    lookup_timer_.emplace(io_);
    lookup_timer_->expires_at(deadline_);
    lookup_timer_->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->Fail("lookup", beast::error::timeout);
    });
    resolver_->async_resolve(request_.url.host, std::to_string(request_.url.port),
                             [self = shared_from_this()](const boost::system::error_code& ec, tcp::resolver::results_type found) {
                               if (!self->done_) return;
                               self->lookup_timer_->cancel();
                               if (ec) return self->Fail("lookup", ec);
                               std::vector<tcp::endpoint> endpoints;
                               for (const auto& entry : found) endpoints.push_back(entry.endpoint());
                               if (endpoints.empty()) return self->Finish(Failed(Failure::kConnect, "lookup: no address"));
                               self->Connect(std::move(endpoints));
                             });
  }

 private:
  using Failure = HttpPostResult::Failure;

  static HttpPostResult Failed(Failure failure, std::string error) {
    HttpPostResult result;
    result.failure = failure;
    result.error = std::move(error);
    return result;
  }

  beast::tcp_stream& Tcp() { return tls_ ? tls_->next_layer() : *plain_; }

  // Tries each address in turn (a name may have several, IPv6 and IPv4), of those the policy
  // allows: the very endpoints checked here are the ones connected to.
  void Connect(std::vector<tcp::endpoint> endpoints) {
    if (request_.policy) {
      const std::vector<asio::ip::address> own = OwnAddresses();
      const std::string name = request_.url.host_is_name ? request_.url.host : "";
      std::string refused;
      std::erase_if(endpoints, [&](const tcp::endpoint& endpoint) {
        const DestinationVerdict verdict = request_.policy->Check(endpoint.address(), endpoint.port(), name, own);
        if (!verdict.allowed && refused.empty()) refused = verdict.why;
        return !verdict.allowed;
      });
      if (endpoints.empty()) return Finish(Failed(Failure::kPolicy, "refused by policy: " + refused));
    }
    endpoints_ = std::move(endpoints);
    Tcp().expires_at(deadline_);  // not moved by the steps below
    Tcp().async_connect(endpoints_, [self = shared_from_this()](beast::error_code e, const tcp::endpoint&) {
      if (e) return self->Fail("connect", e);
      if (!self->tls_) return self->Send(*self->plain_);
      self->Handshake();
    });
  }

  void Handshake() {
    SSL* ssl = tls_->native_handle();
    // SNI and the name check of the chain's verification (SetTlsHost), and the same check once
    // more from asio's verifier, in case a later change of the context's verify parameters drops it.
    if (!SetTlsHost(ssl, request_.url.tls_name)) {
      return Finish(Failed(Failure::kTls, "tls: cannot check the certificate for '" + request_.url.tls_name + "'"));
    }
    tls_->set_verify_callback(ssl::host_name_verification(request_.url.tls_name));
    tls_->async_handshake(ssl::stream_base::client, [self = shared_from_this()](beast::error_code e) {
      if (e) return self->TlsFailed(e);
      self->Send(*self->tls_);
    });
  }

  // A failed handshake says why: the certificate check's reason when that is what failed.
  void TlsFailed(const beast::error_code& ec) {
    if (ec == beast::error::timeout) return Fail("handshake", ec);
    const long verify = SSL_get_verify_result(tls_->native_handle());
    std::string why = "tls: " + ec.message();
    if (verify != X509_V_OK) why = std::string("tls: certificate verify failed (") + X509_verify_cert_error_string(verify) + ")";
    ERR_clear_error();
    Finish(Failed(Failure::kTls, std::move(why)));
  }

  template <class Stream>
  void Send(Stream& stream) {
    http::async_write(stream, out_, [self = shared_from_this(), &stream](beast::error_code we, std::size_t) {
      if (we) return self->Fail("send", we);
      const auto answered = [self](beast::error_code re, std::size_t) {
        if (re) return self->Fail("answer", re);
        HttpPostResult result;
        result.status = self->parser_.get().result_int();
        result.body = std::move(self->parser_.get().body());
        self->Finish(std::move(result));
      };
      if (self->request_.body_limit == 0) {
        http::async_read_header(stream, self->buffer_, self->parser_, answered);
      } else {
        http::async_read(stream, self->buffer_, self->parser_, answered);
      }
    });
  }

  void Fail(const char* step, const beast::error_code& ec) {
    const Failure failure = std::string_view(step) == "handshake" ? Failure::kTls : Failure::kConnect;
    if (ec == beast::error::timeout) {
      return Finish(Failed(failure, "no answer within " + std::to_string(request_.timeout.count()) + " s (" + step + ")"));
    }
    Finish(Failed(failure, std::string(step) + ": " + ec.message()));
  }

  void Finish(HttpPostResult result) {
    if (!done_) return;
    if (lookup_timer_) lookup_timer_->cancel();
    if (resolver_) resolver_->cancel();
    // No TLS close_notify: the answer is complete (Content-Length or the header alone), and
    // waiting for the peer's reply would only hold the slot.
    beast::error_code ignored;
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Tcp().close();
    if (auto done = std::exchange(done_, nullptr)) done(std::move(result));
  }

  asio::io_context& io_;
  HttpPostRequest request_;
  std::function<void(HttpPostResult)> done_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  std::optional<tcp::resolver> resolver_;
  std::optional<asio::steady_timer> lookup_timer_;
  std::vector<tcp::endpoint> endpoints_;
  std::chrono::steady_clock::time_point deadline_;
  http::request<http::string_body> out_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

}  // namespace

void HttpPost(asio::io_context& io, HttpPostRequest request, std::function<void(HttpPostResult)> done) {
  std::make_shared<Post>(io, std::move(request), std::move(done))->Run();
}

}  // namespace latchkey::hub
