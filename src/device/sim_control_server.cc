#include "device/sim_control_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <string_view>

#include "core/env.h"

namespace latchkey::device {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using link::Json;

namespace {

Json Error(std::string_view code, std::string_view message) {
  return Json{{"error", {{"code", std::string(code)}, {"message", std::string(message)}}}};
}

// "application/json", in any case, with or without parameters ("; charset=utf-8").
bool IsJsonType(beast::string_view value) {
  const beast::string_view media = value.substr(0, value.find(';'));
  const std::size_t end = media.find_last_not_of(" \t");
  return end != beast::string_view::npos && beast::iequals(media.substr(0, end + 1), "application/json");
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::ip::tcp::socket socket, SimWorld& world, std::function<Json()>& state, const std::string& secret)
      : stream_(std::move(socket)), world_(world), state_(state), secret_(secret) {}

  void Read() {
    parser_.emplace();
    parser_->body_limit(64 * 1024);
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec == http::error::body_limit) return self->Send(413, Json{{"error", {{"code", "too_large"}, {"message", "body over 64 KiB"}}}}, false);
      if (ec) return;
      self->Handle(self->parser_->release());
    });
  }

 private:
  void Handle(const http::request<http::string_body>& request) {
    const bool keep_alive = request.keep_alive();
    const std::string target(request.target());
    // The rules of the header, in this order.
    if (request.find(http::field::origin) != request.end() || request.find("Sec-Fetch-Site") != request.end()) {
      return Send(403, Error("forbidden", "sim control does not answer web pages"), keep_alive);
    }
    const auto given = request.find("X-Sim-Secret");
    if (given == request.end() ||
        !core::ConstantTimeEqual(std::span(reinterpret_cast<const uint8_t*>(given->value().data()), given->value().size()),
                                 std::span(reinterpret_cast<const uint8_t*>(secret_.data()), secret_.size()))) {
      return Send(401, Error("unauthorized", "X-Sim-Secret is missing or wrong (see DATA/sim-control.secret)"), keep_alive);
    }
    if (request.method() == http::verb::get && target == "/state") return Send(200, state_(), keep_alive);
    if (request.method() != http::verb::post || target.rfind("/sim/", 0) != 0) {
      return Send(404, Json{{"error", {{"code", "not_found"}, {"message", "POST /sim/<what> or GET /state"}}}}, keep_alive);
    }
    const auto type = request.find(http::field::content_type);
    if (type == request.end() || !IsJsonType(type->value())) {
      return Send(415, Error("invalid", "Content-Type must be application/json"), keep_alive);
    }
    Json args = request.body().empty() ? Json::object() : Json::parse(request.body(), nullptr, false);
    if (args.is_discarded() || !args.is_object()) {
      return Send(400, Json{{"error", {{"code", "invalid"}, {"message", "body must be a JSON object"}}}}, keep_alive);
    }
    args["what"] = target.substr(5);
    world_.Handle(args, [self = shared_from_this(), keep_alive](Json response) {
      if (response.value("ok", false)) return self->Send(200, response["result"], keep_alive);
      const std::string code = response["error"].value("code", "internal");
      self->Send(link::HttpStatusOf(code), Json{{"error", response["error"]}}, keep_alive);
    });
  }

  void Send(unsigned status, const Json& body, bool keep_alive) {
    auto response = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
    response->set(http::field::content_type, "application/json");
    response->keep_alive(keep_alive);
    response->body() = body.dump(-1, ' ', false, Json::error_handler_t::replace);
    response->prepare_payload();
    http::async_write(stream_, *response, [self = shared_from_this(), response, keep_alive](beast::error_code ec, std::size_t) {
      if (ec || !keep_alive) {
        beast::error_code ignored;
        self->stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        return;
      }
      self->Read();
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  SimWorld& world_;
  std::function<Json()>& state_;
  const std::string& secret_;
};

}  // namespace

SimControlServer::SimControlServer(asio::io_context& io, SimWorld& world, std::function<Json()> state, std::string secret)
    : io_(io), acceptor_(io), world_(world), state_(std::move(state)), secret_(std::move(secret)) {}

core::Status SimControlServer::Listen(const asio::ip::tcp::endpoint& endpoint) {
  if (!endpoint.address().is_loopback()) return core::Status::Invalid("the sim-control server binds to loopback only");
  const boost::system::error_code ec = platform::OpenAcceptor(acceptor_, endpoint);
  if (ec) return core::Status::IoError("cannot listen for sim control: " + ec.message());
  Accept();
  return core::Status::Ok();
}

uint16_t SimControlServer::port() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void SimControlServer::Accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Session>(std::move(socket), world_, state_, secret_)->Read();
    Accept();
  });
}

}  // namespace latchkey::device
