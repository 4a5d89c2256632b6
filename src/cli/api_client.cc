#include "cli/api_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cctype>

#include "hub/tls_context.h"

namespace latchkey::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

constexpr const char* kUserAgent = "latchkey-cli/0.1";
constexpr std::size_t kMaxBody = 16 * 1024 * 1024;

// Starts one asynchronous operation with a handler that records its result, and runs the
// io_context until that handler has run. run_one, not run: a WebSocket keeps its keep-alive
// timer armed between reads, which would keep run() from ever returning.
template <typename Start>
beast::error_code Await(asio::io_context& io, Start&& start) {
  bool done = false;
  beast::error_code result;
  start([&done, &result](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  if (io.stopped()) io.restart();
  while (!done) {
    if (io.run_one() == 0 && !done) return asio::error::operation_aborted;
  }
  return result;
}

std::string HostHeader(const HubUrl& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  return (v6 ? "[" + url.host + "]" : url.host) + ":" + url.port;
}

ApiError Unreachable(const HubUrl& url, const beast::error_code& ec, std::chrono::seconds timeout) {
  if (ec == beast::error::timeout) {
    return ApiError(0, "timeout",
                    "the hub at " + url.text + " did not answer within " + std::to_string(timeout.count()) + " s");
  }
  return ApiError(0, "unreachable", "cannot reach the hub at " + url.text + ": " + ec.message());
}

void Connect(asio::io_context& io, beast::tcp_stream& stream, const HubUrl& url, std::chrono::seconds timeout) {
  tcp::resolver resolver(io);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) throw Unreachable(url, ec, timeout);
  stream.expires_after(timeout);
  ec = Await(io, [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
  if (ec) throw Unreachable(url, ec, timeout);
}

// The client context for `url` (its CA file or the system's store); throws UsageError when the
// CA file does not load.
std::shared_ptr<hub::TlsContext> TlsContextFor(const HubUrl& url) {
  auto context = hub::MakeClientTlsContext(url.ca_file);
  if (!context.ok()) throw UsageError(context.status().message());
  return *context;
}

// Connects and does the TLS handshake, checking the certificate against the trusted ones and
// against the URL's host.
void ConnectTls(asio::io_context& io, TlsStream& stream, const HubUrl& url, std::chrono::seconds timeout) {
  if (!hub::SetTlsHost(stream.native_handle(), url.host)) {
    throw ApiError(0, "tls", "cannot check the hub's certificate for '" + url.host + "'");
  }
  Connect(io, beast::get_lowest_layer(stream), url, timeout);
  beast::get_lowest_layer(stream).expires_after(timeout);
  const beast::error_code ec =
      Await(io, [&](auto handler) { stream.async_handshake(asio::ssl::stream_base::client, std::move(handler)); });
  if (ec == beast::error::timeout) throw Unreachable(url, ec, timeout);
  if (ec) {
    const long verify = SSL_get_verify_result(stream.native_handle());
    std::string why = ec.message();
    if (verify != X509_V_OK) {
      why = std::string("its certificate is not trusted (") + X509_verify_cert_error_string(verify) + "); " +
            (url.ca_file.empty() ? "give the hub's certificate or its CA with --cacert FILE (or LATCHKEY_CACERT)"
                                 : "it was checked against " + url.ca_file);
    }
    throw ApiError(0, "tls", "no TLS connection to the hub at " + url.text + ": " + why);
  }
}

// Sends `request` and reads the answer on a connected stream (plain or TLS).
template <typename Stream>
beast::error_code Exchange(asio::io_context& io, Stream& stream, http::request<http::string_body>& request,
                           http::response_parser<http::string_body>& parser, std::chrono::seconds timeout) {
  beast::get_lowest_layer(stream).expires_after(timeout);
  beast::error_code ec = Await(io, [&](auto handler) { http::async_write(stream, request, std::move(handler)); });
  if (ec) return ec;
  beast::flat_buffer buffer;
  return Await(io, [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
}

// The ApiError for a non-2xx answer: the API's error object, or a summary of whatever came back.
ApiError ErrorFromAnswer(unsigned status, const std::string& body) {
  const Json parsed = Json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
    const Json& error = parsed["error"];
    const std::string code =
        error.contains("code") && error["code"].is_string() ? error["code"].get<std::string>() : "error";
    const std::string message =
        error.contains("message") && error["message"].is_string() ? error["message"].get<std::string>() : "";
    return ApiError(status, code, message, error);
  }
  std::string summary = body.substr(0, body.find('\n')).substr(0, 200);
  if (summary.empty()) summary = "no error details";
  return ApiError(status, "http_" + std::to_string(status), summary);
}

}  // namespace

ApiError::ApiError(unsigned status, std::string code, std::string message, Json body)
    : std::runtime_error(code + ": " + message),
      status_(status),
      code_(std::move(code)),
      message_(std::move(message)),
      error_(std::move(body)) {}

std::string ApiError::Describe() const {
  if (code_ == "denied") {
    // The lock's reason is the useful part: "denied: invalid_credential".
    const std::string reason =
        error_.contains("reason") && error_["reason"].is_string() ? error_["reason"].get<std::string>() : "";
    return "denied: " + (reason.empty() ? message_ : reason);
  }
  std::string text = message_.empty() ? code_ : code_ + ": " + message_;
  if (code_ == "rate_limited" && error_.contains("retry_after_s") && error_["retry_after_s"].is_number()) {
    text += "; try again in " + error_["retry_after_s"].dump() + " s";
  }
  return text;
}

HubUrl ParseHubUrl(std::string_view text) {
  const std::string original(text);
  bool tls = false;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (const auto scheme_end = text.find("://"); scheme_end != std::string_view::npos) {
    std::string scheme(text.substr(0, scheme_end));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "http" && scheme != "https") throw UsageError("'" + original + "' is not an http:// or https:// URL");
    tls = scheme == "https";
    text.remove_prefix(scheme_end + 3);
  }
  const auto slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : text.substr(slash);
  if (path.find_first_of("?#") != std::string_view::npos || authority.find('@') != std::string_view::npos) {
    throw UsageError("the hub URL '" + original +
                     "' must be http[s]://HOST[:PORT][/PATH], without user, query or fragment");
  }
  HubUrl url;
  url.tls = tls;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) throw UsageError("'" + original + "': unclosed '[' in the host");
    url.host = std::string(authority.substr(1, close - 1));
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') throw UsageError("'" + original + "': junk after the host");
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) throw UsageError("the hub URL '" + original + "' has no host");
  if (port.empty()) port = tls ? "443" : "80";
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
      std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) {
    throw UsageError("the hub URL '" + original + "' has a bad port");
  }
  url.port = std::string(port);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url.prefix = std::string(path);
  url.text = (tls ? "https://" : "http://") + HostHeader(url) + url.prefix;
  return url;
}

std::string JsonText(const Json& j, const char* key, const std::string& missing) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return missing;
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

ApiClient::ApiClient(HubUrl url, std::string token) : url_(std::move(url)), token_(std::move(token)) {}

Json ApiClient::Call(std::string_view method, const std::string& path, const Json* body) const {
  http::request<http::string_body> request(http::string_to_verb(beast::string_view(method.data(), method.size())),
                                           url_.prefix + path, 11);
  request.set(http::field::host, HostHeader(url_));
  request.set(http::field::user_agent, kUserAgent);
  request.set(http::field::accept, "application/json");
  if (!token_.empty()) request.set(http::field::authorization, "Bearer " + token_);
  if (body != nullptr) {
    request.set(http::field::content_type, "application/json");
    request.body() = body->dump();
  }
  request.prepare_payload();

  asio::io_context io;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  beast::error_code ec;
  if (url_.tls) {
    const auto context = TlsContextFor(url_);
    TlsStream stream(io, *context);
    ConnectTls(io, stream, url_, timeout);
    ec = Exchange(io, stream, request, parser, timeout);
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().close(ignored);  // one call per connection; no close_notify wait
  } else {
    beast::tcp_stream stream(io);
    Connect(io, stream, url_, timeout);
    ec = Exchange(io, stream, request, parser, timeout);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
  if (ec) throw Unreachable(url_, ec, timeout);

  const auto& response = parser.get();
  const unsigned status = response.result_int();
  if (status / 100 != 2) throw ErrorFromAnswer(status, response.body());
  if (response.body().empty()) return Json::object();
  Json parsed = Json::parse(response.body(), nullptr, false);
  if (parsed.is_discarded()) throw ApiError(status, "bad_answer", "the hub's answer to " + path + " is not JSON");
  return parsed;
}

struct StreamConnection::Impl {
  asio::io_context io;
  std::shared_ptr<hub::TlsContext> tls;
  // One of them: ws:// or wss://.
  std::unique_ptr<websocket::stream<beast::tcp_stream>> ws;
  std::unique_ptr<websocket::stream<TlsStream>> wss;
  beast::flat_buffer buffer;

  template <typename F>
  auto With(F&& f) {
    return ws ? f(*ws) : f(*wss);
  }
};

StreamConnection::StreamConnection(const HubUrl& url, const std::string& query) : impl_(std::make_unique<Impl>()) {
  if (url.tls) {
    impl_->tls = TlsContextFor(url);
    impl_->wss = std::make_unique<websocket::stream<TlsStream>>(impl_->io, *impl_->tls);
  } else {
    impl_->ws = std::make_unique<websocket::stream<beast::tcp_stream>>(impl_->io);
  }
  impl_->With([&](auto& ws) { Open(ws, url, query); });
}

template <typename WebSocket>
void StreamConnection::Open(WebSocket& ws, const HubUrl& url, const std::string& query) {
  constexpr std::chrono::seconds kConnectTimeout(10);
  auto& tcp_layer = beast::get_lowest_layer(ws);
  if constexpr (std::is_same_v<WebSocket, websocket::stream<TlsStream>>) {
    ConnectTls(impl_->io, ws.next_layer(), url, kConnectTimeout);
  } else {
    Connect(impl_->io, tcp_layer, url, kConnectTimeout);
  }
  tcp_layer.expires_never();  // from here on the WebSocket's own timeouts apply
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = kConnectTimeout;
  timeouts.idle_timeout = std::chrono::seconds(20);  // ping after 10 s of silence, give up after 20
  timeouts.keep_alive_pings = true;
  ws.set_option(timeouts);
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::request_type& request) { request.set(http::field::user_agent, kUserAgent); }));
  ws.read_message_max(kMaxBody);
  websocket::response_type response;
  const std::string target = url.prefix + "/api/v1/stream" + (query.empty() ? "" : "?" + query);
  const beast::error_code ec = Await(impl_->io, [&](auto handler) {
    ws.async_handshake(response, HostHeader(url), target, std::move(handler));
  });
  if (ec == websocket::error::upgrade_declined && response.result_int() != 0) {
    throw ErrorFromAnswer(response.result_int(), response.body());
  }
  if (ec) throw Unreachable(url, ec, kConnectTimeout);
}

StreamConnection::~StreamConnection() = default;

std::optional<std::string> StreamConnection::Read(std::string* error) {
  impl_->buffer.clear();
  const beast::error_code ec =
      Await(impl_->io, [&](auto handler) {
        impl_->With([&](auto& ws) { ws.async_read(impl_->buffer, std::move(handler)); });
      });
  if (ec) {
    if (error != nullptr) *error = ec == websocket::error::closed ? "the hub closed the stream" : ec.message();
    return std::nullopt;
  }
  return beast::buffers_to_string(impl_->buffer.data());
}

}  // namespace latchkey::cli
