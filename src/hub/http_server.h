// The hub's HTTP/1.1 server (Boost.Beast): requests go through a Router of
// "METHOD /path/{param}" patterns to handlers that answer once, possibly later (a handler that
// waits for a lock answers from the lock's reply). WebSocket upgrades go to their own handler.
// Bodies over 64 KiB are refused with 413 before any handler runs. With a TLS context it serves
// HTTPS (and wss://) instead: the handshake must finish within 10 s, and a plain HTTP request on
// the TLS port gets a plain 400 that says to use https://, then the connection is closed.
//
// One client cannot take the server from the others (SECURITY.md "One attacker cannot deny
// service to everyone"; HttpServerLimits):
// - connections are capped per client address (an IPv6 client by its /64, which one host
//   usually has whole) and in total; a connection over its address's cap is closed at once (RST);
//   one over the total cap takes the place of the oldest idle connection of the address that holds
//   the most, when that address holds more than the newcomer's, and is closed at once otherwise.
//   "Idle" is any connection that has no request being handled or answered: waiting for, or in
//   the middle of reading, a request (or a TLS handshake). So a flood of idle connections from
//   some addresses cannot keep a client from another address out, and a request under way is
//   never dropped for a newcomer;
// - deadlines: the TLS handshake, then each request's header, then its body, each within its
//   limit, and a keep-alive connection waits only so long for the next request (slowloris);
//   answers must be taken by the client within a write limit;
// - when accepting fails for want of file descriptors or memory (EMFILE, ENFILE, ENOBUFS,
//   ENOMEM), an idle connection is evicted as above to make room and the accept is tried again;
//   with none to evict, the accept loop pauses briefly instead of spinning on the same error.
// A WebSocket upgrade leaves these counts with its connection (the stream has its own limits).
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <cstdint>
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

// The defaults are for a home hub: room for every app and browser of a household many times
// over, under a process's usual 1024 file descriptors with room for the lock links and the store.
struct HttpServerLimits {
  std::size_t max_connections = 512;
  // Behind a reverse proxy every client comes from the proxy's address: raise this to the total.
  std::size_t max_connections_per_address = 64;
  // A new connection's TLS handshake (HTTPS).
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
  // From the connection's start (after the handshake), or from the first byte of a later request
  // on a keep-alive connection, to the end of the request's header.
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};
  // From the end of the header to the end of the body (at most kMaxBody).
  std::chrono::milliseconds body_timeout{std::chrono::seconds(30)};
  // Keep-alive: how long a connection waits for the first byte of its next request.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
  // Writing one answer.
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  // The pause of the accept loop after EMFILE and the like.
  std::chrono::milliseconds accept_backoff{std::chrono::milliseconds(100)};
};

// The key connections are counted under: the address, an IPv6 one by its /64 ("2001:db8::/64"),
// a v4-mapped one as IPv4.
std::string ConnectionKey(const boost::asio::ip::address& address);

// The connections a server holds, by key, with the admission rule above. Single-threaded (the io
// thread); exposed for its unit test.
class ConnectionTable {
 public:
  using Id = uint64_t;
  ConnectionTable(std::size_t max_total, std::size_t max_per_key) : max_total_(max_total), max_per_key_(max_per_key) {}

  // Admits a connection under `key`, evicting one (its `close` is called, its slot released at
  // once) when the table is full and the rule allows; 0 when the newcomer is refused.
  Id Admit(const std::string& key, std::function<void()> close);
  // Evicts the oldest idle connection of the key that holds the most (the process ran out of file
  // descriptors); false when every connection is busy.
  bool EvictOne();
  // A request is being handled or answered (busy) or not (idle, may be evicted).
  void SetBusy(Id id, bool busy);
  // The connection is gone; a second call, or one for an evicted connection, does nothing.
  void Release(Id id);

  std::size_t total() const { return connections_.size(); }
  std::size_t count(const std::string& key) const;
  uint64_t refused() const { return refused_; }
  uint64_t evicted() const { return evicted_; }

 private:
  struct Connection {
    std::string key;
    bool busy = false;
    std::function<void()> close;
  };
  // The oldest idle connection of the key holding the most, if that is more than `more_than`.
  std::map<Id, Connection>::iterator Victim(std::size_t more_than);
  void Evict(std::map<Id, Connection>::iterator victim);
  std::size_t max_total_;
  std::size_t max_per_key_;
  Id next_id_ = 1;
  std::map<Id, Connection> connections_;  // by age: the oldest first
  std::map<std::string, std::size_t> per_key_;
  uint64_t refused_ = 0;
  uint64_t evicted_ = 0;
};

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
             std::shared_ptr<TlsContext> tls = nullptr, HttpServerLimits limits = {});
  core::Status Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  uint16_t port() const;
  // Stops accepting; requests under way still get their answers.
  void Stop();
  // Requests received and not yet answered (for draining on SIGTERM).
  int in_flight() const { return *in_flight_; }
  bool tls() const { return tls_ != nullptr; }
  // Open HTTP connections (WebSocket streams not included), and those refused or evicted so far.
  std::size_t connections() const { return table_->total(); }
  uint64_t connections_refused() const { return table_->refused(); }
  uint64_t connections_evicted() const { return table_->evicted(); }

 private:
  void Accept();
  void Admit(boost::asio::ip::tcp::socket socket);
  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const Router& router_;
  Upgrade upgrade_;
  std::shared_ptr<TlsContext> tls_;
  HttpServerLimits limits_;
  std::shared_ptr<ConnectionTable> table_;
  boost::asio::steady_timer accept_pause_;
  bool warned_accept_ = false;
  std::shared_ptr<int> in_flight_ = std::make_shared<int>(0);
};

}  // namespace latchkey::hub
