#include "hub/http_server.h"

#include <boost/beast/websocket.hpp>

#include "core/settings.h"

namespace latchkey::hub {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

HttpResponse HttpResponse::Json(unsigned status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse HttpResponse::Error(unsigned status, std::string_view code, std::string_view message,
                                 const nlohmann::json& extra) {
  nlohmann::json error{{"code", std::string(code)}, {"message", std::string(message)}};
  for (const auto& [key, value] : extra.items()) error[key] = value;
  return Json(status, nlohmann::json{{"error", error}});
}

namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> UrlDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = Hex(text[i + 1]), lo = Hex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    } else if (text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  if (!core::Utf8Length(out)) return std::nullopt;
  return out;
}

void Router::Add(http::verb method, std::string pattern, Handler handler) {
  Route route{method, pattern, SplitPath(pattern), std::move(handler)};
  routes_.push_back(std::move(route));
}

bool Router::Match(const Route& route, const std::vector<std::string>& parts,
                   std::map<std::string, std::string>* params) {
  if (route.parts.size() != parts.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& p = route.parts[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      auto decoded = UrlDecode(parts[i]);
      if (!decoded || decoded->empty()) return false;
      found[p.substr(1, p.size() - 2)] = *decoded;
    } else if (p != parts[i]) {
      return false;
    }
  }
  *params = std::move(found);
  return true;
}

void Router::Dispatch(HttpRequest& request, Respond respond) const {
  const auto parts = SplitPath(request.path);
  bool path_known = false;
  for (const Route& route : routes_) {
    std::map<std::string, std::string> params;
    if (!Match(route, parts, &params)) continue;
    path_known = true;
    if (route.method != request.method) continue;
    request.params = std::move(params);
    route.handler(request, std::move(respond));
    return;
  }
  if (path_known) return respond(HttpResponse::Error(405, "invalid", "method not allowed on this path"));
  respond(HttpResponse::Error(404, "not_found", "no such path"));
}

std::vector<std::string> Router::Routes() const {
  std::vector<std::string> out;
  for (const Route& r : routes_) out.push_back(std::string(http::to_string(r.method)) + " " + r.pattern);
  return out;
}

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::ip::tcp::socket socket, const Router& router, const HttpServer::Upgrade& upgrade,
          std::shared_ptr<int> in_flight)
      : stream_(std::move(socket)), router_(router), upgrade_(upgrade), in_flight_(std::move(in_flight)) {
    beast::error_code ec;
    const auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) address_ = endpoint.address().to_string();
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxBody);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(std::chrono::seconds(60));
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec == http::error::body_limit) {
        return self->Send(HttpResponse::Error(413, "too_large", "request body over 64 KiB"), false);
      }
      if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout) {
        return self->Shutdown();
      }
      if (ec) return self->Send(HttpResponse::Error(400, "invalid", "malformed HTTP request"), false);
      self->Handle();
    });
  }

 private:
  void Handle() {
    http::request<http::string_body> raw = parser_->release();
    if (websocket::is_upgrade(raw) && upgrade_) {
      stream_.expires_never();
      upgrade_(stream_.release_socket(), std::move(raw), address_);
      return;
    }
    keep_alive_ = raw.keep_alive();
    HttpRequest request;
    request.method = raw.method();
    request.client_address = address_;
    request.headers = raw.base();
    const std::string target(raw.target());
    const auto question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) {
      std::string_view query(target);
      query.remove_prefix(question + 1);
      while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        auto key = UrlDecode(pair.substr(0, eq));
        auto value = UrlDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
        if (!key || !value) return Send(HttpResponse::Error(400, "invalid", "malformed query string"), keep_alive_);
        request.query[*key] = *value;
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
      }
    }
    request.body = std::move(raw.body());
    auto self = shared_from_this();
    ++*in_flight_;
    router_.Dispatch(request, [self](HttpResponse response) {
      --*self->in_flight_;
      self->Send(std::move(response), self->keep_alive_);
    });
  }

  void Send(HttpResponse response, bool keep_alive) {
    router_.CountResponse(response.status);
    auto out = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(response.status), 11);
    out->set(http::field::content_type, response.content_type);
    out->set(http::field::server, "latchkey");
    out->set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : response.headers) out->set(name, value);
    out->keep_alive(keep_alive);
    out->body() = std::move(response.body);
    out->prepare_payload();
    http::async_write(stream_, *out, [self = shared_from_this(), out, keep_alive](beast::error_code ec, std::size_t) {
      if (ec || !keep_alive) return self->Shutdown();
      self->Read();
    });
  }

  void Shutdown() {
    beast::error_code ec;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const Router& router_;
  const HttpServer::Upgrade& upgrade_;
  std::shared_ptr<int> in_flight_;
  std::string address_;
  bool keep_alive_ = true;
};

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const Router& router, Upgrade upgrade)
    : io_(io), acceptor_(io), router_(router), upgrade_(std::move(upgrade)) {}

core::Status HttpServer::Listen(const asio::ip::tcp::endpoint& endpoint) {
  const boost::system::error_code ec = platform::OpenAcceptor(acceptor_, endpoint);
  if (ec) return core::Status::IoError("cannot listen on " + endpoint.address().to_string() + ":" +
                                       std::to_string(endpoint.port()) + ": " + ec.message());
  Accept();
  return core::Status::Ok();
}

uint16_t HttpServer::port() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void HttpServer::Stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void HttpServer::Accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) std::make_shared<Session>(std::move(socket), router_, upgrade_, in_flight_)->Read();
    Accept();
  });
}

}  // namespace latchkey::hub
