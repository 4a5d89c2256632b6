#include "http_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <type_traits>

#include "wait.h"

namespace latchkey::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// --- HttpResult --------------------------------------------------------------------------------

std::string HttpResult::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

std::string HttpResult::error_code() const {
  if (!json.is_object() || !json.contains("error") || !json["error"].is_object()) return "";
  const Json& e = json["error"];
  return e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
}

std::string HttpResult::error_message() const {
  if (!json.is_object() || !json.contains("error") || !json["error"].is_object()) return "";
  const Json& e = json["error"];
  return e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
}

std::string HttpResult::Describe() const {
  if (status == 0) return "no answer (" + transport_error + ")";
  std::string text = body.size() > 600 ? body.substr(0, 600) + "..." : body;
  return std::to_string(status) + " " + text;
}

// --- the transport: TCP, and TLS on top when asked -------------------------------------------

namespace {

std::string Describe(const beast::error_code& ec) {
  std::string text = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) text += " [tls]";
  return text;
}

// A client context trusting `ca_file` only.
std::unique_ptr<ssl::context> ClientContext(const HttpOptions& options) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  context->set_verify_mode(ssl::verify_peer);
  if (!options.ca_file.empty()) context->load_verify_file(options.ca_file);
  return context;
}

// The stream checks that the certificate is valid for `host` (and names it by SNI).
void ExpectHost(TlsStream& stream, const std::string& host) {
  stream.set_verify_callback(ssl::host_name_verification(host));
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (ec) SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
}

// Connects `transport` to 127.0.0.1:`port` (from options.source_address when given) and shakes
// hands over TLS, then calls `then`; a failure is described in `error` instead.
template <typename Transport, typename Then>
void AsyncOpen(Transport& transport, uint16_t port, const HttpOptions& options, std::string& error, Then then) {
  auto& tcp_layer = beast::get_lowest_layer(transport);
  if (!options.source_address.empty()) {
    beast::error_code ec;
    tcp_layer.socket().open(tcp::v4(), ec);
    if (!ec) tcp_layer.socket().bind(tcp::endpoint(asio::ip::make_address(options.source_address), 0), ec);
    if (ec) {
      error = "bind: " + ec.message();
      return;
    }
  }
  tcp_layer.expires_after(options.timeout);
  tcp_layer.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                          [&transport, &error, then = std::move(then)](beast::error_code ec) mutable {
    if (ec) {
      error = "connect: " + Describe(ec);
      return;
    }
    if constexpr (std::is_same_v<Transport, TlsStream>) {
      transport.async_handshake(ssl::stream_base::client, [&error, then = std::move(then)](beast::error_code hec) mutable {
        if (hec) {
          error = "tls handshake: " + Describe(hec);
          return;
        }
        then();
      });
    } else {
      then();
    }
  });
}

template <typename Transport>
HttpResult Exchange(asio::io_context& io, Transport& stream, uint16_t port, const std::string& method,
                    const std::string& target, const std::string& body, const HttpOptions& options) {
  HttpResult result;
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, options.host + ":" + std::to_string(port));
  if (!options.token.empty()) request.set(http::field::authorization, "Bearer " + options.token);
  for (const auto& [name, value] : options.headers) request.set(name, value);
  if (!body.empty()) {
    request.set(http::field::content_type, options.content_type);
    request.body() = body;
  }
  request.keep_alive(false);
  if (options.chunked) {
    request.chunked(true);
  } else {
    request.prepare_payload();
  }

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  parser.skip(request.method() == http::verb::head);  // the answer to HEAD has headers only
  bool answered = false;
  AsyncOpen(stream, port, options, result.transport_error, [&] {
    // Read while writing: a server may answer (413) and hang up before the body is all sent.
    http::async_write(stream, request, [](beast::error_code, std::size_t) {});
    http::async_read(stream, buffer, parser, [&](beast::error_code rec, std::size_t) {
      if (rec) {
        result.transport_error = "read: " + Describe(rec);
      } else {
        answered = true;
      }
      beast::error_code ignored;
      beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(stream).socket().close(ignored);
    });
  });
  io.run();
  if (!answered) return result;
  const auto& response = parser.get();
  result.status = static_cast<int>(response.result_int());
  result.body = response.body();
  for (const auto& field : response) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    result.headers[name] = std::string(field.value());
    if (name == "set-cookie") result.set_cookies.emplace_back(field.value());
  }
  result.json = Json::parse(result.body, nullptr, /*allow_exceptions=*/false);
  return result;
}

}  // namespace

HttpResult HttpCall(uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                    const HttpOptions& options) {
  asio::io_context io;
  if (!options.tls) {
    PlainStream stream(io);
    return Exchange(io, stream, port, method, target, body, options);
  }
  const auto context = ClientContext(options);
  TlsStream stream(io, *context);
  ExpectHost(stream, options.host);
  return Exchange(io, stream, port, method, target, body, options);
}

// --- WebSocket ---------------------------------------------------------------------------------

namespace {

// What the reading thread shares with the test's thread.
struct WsState {
  asio::io_context io;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::vector<Json> all;
  std::size_t taken = 0;
  bool closed = false;
  std::string error;
  std::chrono::steady_clock::time_point last_arrival = std::chrono::steady_clock::now();

  // A message or the end of the stream; false at the end.
  bool Received(const beast::error_code& ec, const std::string& text) {
    std::lock_guard lock(mu);
    if (ec) {
      closed = true;
      error = Describe(ec);
      cv.notify_all();
      return false;
    }
    Json message = Json::parse(text, nullptr, false);
    if (message.is_discarded()) message = Json{{"unparsable", text}};
    all.push_back(std::move(message));
    last_arrival = std::chrono::steady_clock::now();
    cv.notify_all();
    return true;
  }
};

class WsConnection {
 public:
  virtual ~WsConnection() = default;
  // 101 when upgraded, -1 when the upgrade was declined, 0 when there was no connection.
  virtual int Handshake(uint16_t port, const std::string& target, const HttpOptions& options) = 0;
  virtual void ReadLoop() = 0;
  virtual void CloseSocket() = 0;
};

template <typename Transport>
class WsOver final : public WsConnection {
 public:
  explicit WsOver(WsState& state) : state_(state) {}

  int Handshake(uint16_t port, const std::string& target, const HttpOptions& options) override {
    if constexpr (std::is_same_v<Transport, TlsStream>) {
      context_ = ClientContext(options);
      ws_ = std::make_unique<websocket::stream<Transport>>(state_.io, *context_);
      ExpectHost(ws_->next_layer(), options.host);
    } else {
      ws_ = std::make_unique<websocket::stream<Transport>>(state_.io);
    }
    ws_->set_option(websocket::stream_base::decorator([headers = options.headers](websocket::request_type& request) {
      for (const auto& [name, value] : headers) request.set(name, value);
    }));
    websocket::response_type response;
    int status = 0;
    AsyncOpen(ws_->next_layer(), port, options, state_.error, [&] {
      ws_->async_handshake(response, options.host + ":" + std::to_string(port), target, [&](beast::error_code ec) {
        status = ec ? -1 : 101;
        if (ec) state_.error = "websocket handshake: " + Describe(ec);
      });
    });
    state_.io.run();
    state_.io.restart();
    if (status == 101) beast::get_lowest_layer(*ws_).expires_never();
    return status;
  }

  void ReadLoop() override {
    // Acknowledge at once: a server that writes many small frames without TCP_NODELAY would
    // otherwise wait for the delayed ACK before each one.
    const int one = 1;
    ::setsockopt(beast::get_lowest_layer(*ws_).socket().native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
    ws_->async_read(buffer_, [this](beast::error_code ec, std::size_t) {
      if (!state_.Received(ec, ec ? std::string() : beast::buffers_to_string(buffer_.data()))) return;
      buffer_.consume(buffer_.size());
      ReadLoop();
    });
  }

  void CloseSocket() override {
    beast::error_code ec;
    beast::get_lowest_layer(*ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(*ws_).socket().close(ec);
  }

 private:
  WsState& state_;
  std::unique_ptr<ssl::context> context_;
  std::unique_ptr<websocket::stream<Transport>> ws_;
  beast::flat_buffer buffer_;
};

}  // namespace

struct WsClient::Impl : WsState {
  std::unique_ptr<WsConnection> connection;  // destroyed before the io_context
  std::thread thread;
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {}

WsClient::~WsClient() { Close(); }

int WsClient::Connect(uint16_t port, const std::string& target) { return Connect(port, target, {}); }

int WsClient::Connect(uint16_t port, const std::string& target, const std::map<std::string, std::string>& headers) {
  HttpOptions options;
  options.headers = headers;
  options.timeout = 10s;
  return Open(port, target, options);
}

int WsClient::Open(uint16_t port, const std::string& target, const HttpOptions& options) {
  Impl& m = *impl_;
  if (options.tls) {
    m.connection = std::make_unique<WsOver<TlsStream>>(m);
  } else {
    m.connection = std::make_unique<WsOver<PlainStream>>(m);
  }
  const int status = m.connection->Handshake(port, target, options);
  if (status == 101) {
    m.connection->ReadLoop();
    m.thread = std::thread([&m] { m.io.run(); });
    return 101;
  }
  {
    std::lock_guard lock(m.mu);
    m.closed = true;
  }
  if (status == 0) return 0;
  // Boost 1.74 keeps a declined upgrade's answer to itself: ask again as plain HTTP.
  HttpOptions upgrade = options;
  upgrade.token.clear();
  upgrade.headers = {{"Connection", "Upgrade"},
                     {"Upgrade", "websocket"},
                     {"Sec-WebSocket-Version", "13"},
                     {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  upgrade.headers.insert(options.headers.begin(), options.headers.end());
  upgrade.timeout = 15s;
  const HttpResult refusal = HttpCall(port, "GET", target, "", upgrade);
  refusal_body_ = refusal.body;
  return refusal.status == 101 ? 0 : refusal.status;
}

std::string WsClient::error() const {
  std::lock_guard lock(impl_->mu);
  return impl_->error;
}

std::optional<Json> WsClient::Next(std::chrono::milliseconds timeout) {
  Impl& m = *impl_;
  std::unique_lock lock(m.mu);
  if (!m.cv.wait_for(lock, timeout, [&] { return m.taken < m.all.size() || m.closed; })) return std::nullopt;
  if (m.taken < m.all.size()) return m.all[m.taken++];
  return std::nullopt;
}

std::optional<Json> WsClient::WaitFor(const std::function<bool(const Json&)>& match, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto message = Next(left);
    if (!message) return std::nullopt;
    if (match(*message)) return message;
  }
}

std::vector<Json> WsClient::All() const {
  std::lock_guard lock(impl_->mu);
  return impl_->all;
}

std::vector<Json> WsClient::Settle(std::chrono::milliseconds quiet) {
  Impl& m = *impl_;
  WaitUntil([&] {
    std::lock_guard lock(m.mu);
    return m.closed || std::chrono::steady_clock::now() - m.last_arrival >= quiet;
  }, 10s);
  return All();
}

bool WsClient::closed() const {
  std::lock_guard lock(impl_->mu);
  return impl_->closed;
}

void WsClient::Close() {
  Impl& m = *impl_;
  if (m.thread.joinable()) {
    asio::post(m.io, [&m] { m.connection->CloseSocket(); });
    m.thread.join();
  }
}

}  // namespace latchkey::testing
