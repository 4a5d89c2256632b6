// The hub's HTTP/1.1 server (Boost.Beast): requests go through a Router of
// "METHOD /path/{param}" patterns to handlers that answer once, possibly later (a handler that
// waits for a lock answers from the lock's reply). WebSocket upgrades go to their own handler.
// Bodies over 64 KiB are refused with 413 before any handler runs. With a TLS context it serves
// HTTPS (and wss://) instead: the handshake must finish within 10 s, and a plain HTTP request on
// the TLS port gets a plain 400 that says to use https://, then the connection is closed.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "hub/tls_context.h"
#include "platform/asio.h"

namespace latchkey::hub {

using Json = nlohmann::json;
namespace http = boost::beast::http;

inline constexpr std::size_t kMaxBody = 64 * 1024;

struct HttpRequest {
  http::verb method = http::verb::get;
  std::string path;
  std::map<std::string, std::string> query;   // decoded
  std::map<std::string, std::string> params;  // from the route pattern
  std::string body;
  std::string client_address;
  http::fields headers;
  // Came over TLS (HTTPS or wss://): e.g. a cookie set in the answer gets `Secure`.
  bool secure = false;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse Json(unsigned status, const nlohmann::json& body);
  // API.md error body {"error": {"code", "message", ...extra}}.
  static HttpResponse Error(unsigned status, std::string_view code, std::string_view message,
                            const nlohmann::json& extra = nlohmann::json::object());
};

using Respond = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest& request, Respond respond)>;

class Router {
 public:
  // `pattern` like "/api/v1/locks/{lock}/users/{index}".
  void Add(http::verb method, std::string pattern, Handler handler);
  // GET and HEAD of a path that no route knows go to `handler` (the web app's static files)
  // instead of the plain 404. It is not listed in Routes().
  void SetFallback(Handler handler) { fallback_ = std::move(handler); }
  // Runs the matching handler; 404 for an unknown path, 405 for a known path with another method.
  void Dispatch(HttpRequest& request, Respond respond) const;
  // Every "METHOD pattern", for the check that docs/openapi.yaml lists them all.
  std::vector<std::string> Routes() const;
  // Every response the server sends, counted by status (for /metrics).
  void CountResponse(unsigned status) const { ++responses_[status]; }
  const std::map<unsigned, uint64_t>& ResponseCounts() const { return responses_; }

 private:
  struct Route {
    http::verb method;
    std::string pattern;
    std::vector<std::string> parts;
    Handler handler;
  };
  static bool Match(const Route& route, const std::vector<std::string>& parts, std::map<std::string, std::string>* params);
  std::vector<Route> routes_;
  Handler fallback_;
  mutable std::map<unsigned, uint64_t> responses_;
};

// Percent-decoding of a query or path component; nullopt for a malformed escape or bad UTF-8.
std::optional<std::string> UrlDecode(std::string_view text);

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
// The connection a WebSocket upgrade takes over: plain TCP, or TLS after its handshake.
using UpgradedStream = std::variant<boost::beast::tcp_stream, TlsStream>;

class HttpServer {
 public:
  // Called with the connection and the upgrade request for paths that ask for a WebSocket.
  using Upgrade =
      std::function<void(UpgradedStream stream, http::request<http::string_body> request, std::string client_address)>;

  // `tls`: serve HTTPS with this context; nullptr: plain HTTP.
  HttpServer(boost::asio::io_context& io, const Router& router, Upgrade upgrade,
             std::shared_ptr<TlsContext> tls = nullptr);
  core::Status Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  uint16_t port() const;
  // Stops accepting; requests under way still get their answers.
  void Stop();
  // Requests received and not yet answered (for draining on SIGTERM).
  int in_flight() const { return *in_flight_; }
  bool tls() const { return tls_ != nullptr; }

 private:
  void Accept();
  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const Router& router_;
  Upgrade upgrade_;
  std::shared_ptr<TlsContext> tls_;
  std::shared_ptr<int> in_flight_ = std::make_shared<int>(0);
};

}  // namespace latchkey::hub
