#include "hub/http_post.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <optional>

namespace latchkey::hub {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

class Post : public std::enable_shared_from_this<Post> {
 public:
  Post(asio::io_context& io, HttpPostRequest request, std::function<void(HttpPostResult)> done)
      : stream_(io), request_(std::move(request)), done_(std::move(done)) {
    out_.method(http::verb::post);
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
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(request_.url.host, ec);
    if (ec) return Finish(Failed("bad address '" + request_.url.host + "'"));
    stream_.expires_after(request_.timeout);  // not moved by the steps below
    stream_.async_connect(asio::ip::tcp::endpoint(address, request_.url.port), [self = shared_from_this()](beast::error_code e) {
      if (e) return self->Fail("connect", e);
      http::async_write(self->stream_, self->out_, [self](beast::error_code we, std::size_t) {
        if (we) return self->Fail("send", we);
        const auto answered = [self](beast::error_code re, std::size_t) {
          if (re) return self->Fail("answer", re);
          HttpPostResult result;
          result.status = self->parser_.get().result_int();
          result.body = std::move(self->parser_.get().body());
          self->Finish(std::move(result));
        };
        if (self->request_.body_limit == 0) {
          http::async_read_header(self->stream_, self->buffer_, self->parser_, answered);
        } else {
          http::async_read(self->stream_, self->buffer_, self->parser_, answered);
        }
      });
    });
  }

 private:
  static HttpPostResult Failed(std::string error) {
    HttpPostResult result;
    result.error = std::move(error);
    return result;
  }

  void Fail(const char* step, const beast::error_code& ec) {
    if (ec == beast::error::timeout) {
      return Finish(Failed("no answer within " + std::to_string(request_.timeout.count()) + " s (" + step + ")"));
    }
    Finish(Failed(std::string(step) + ": " + ec.message()));
  }

  void Finish(HttpPostResult result) {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    if (auto done = std::exchange(done_, nullptr)) done(std::move(result));
  }

  beast::tcp_stream stream_;
  HttpPostRequest request_;
  std::function<void(HttpPostResult)> done_;
  http::request<http::string_body> out_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

}  // namespace

void HttpPost(asio::io_context& io, HttpPostRequest request, std::function<void(HttpPostResult)> done) {
  std::make_shared<Post>(io, std::move(request), std::move(done))->Run();
}

}  // namespace latchkey::hub
