// The one HTTP client and the one WebSocket client of the integration harnesses, over plain TCP
// or over TLS (verifying the server's certificate against a CA file and a host name). HttpCall
// returns the status, headers and JSON of one call on a fresh connection; WsClient collects
// every message of a stream on its own thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace latchkey::testing {

using Json = nlohmann::json;
using namespace std::chrono_literals;

struct HttpResult {
  int status = 0;                             // 0: no answer (connection failed or timed out)
  std::string body;                           // raw
  Json json;                                  // parsed body (discarded when not JSON)
  std::map<std::string, std::string> headers;  // names in lower case
  std::vector<std::string> set_cookies;       // every Set-Cookie header, in order
  std::string transport_error;                // why there was no answer

  std::string header(const std::string& lower_name) const;
  // {"error": {"code": ...}} -> code; "" when the body is not an API error.
  std::string error_code() const;
  std::string error_message() const;
  // One line for assertion messages: "STATUS body".
  std::string Describe() const;
};

struct HttpOptions {
  std::string token;                  // Authorization: Bearer <token> when not empty
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
  std::string source_address;         // bind the client to this loopback address first
  bool chunked = false;               // send the body with chunked transfer encoding
  std::chrono::milliseconds timeout = 15s;
  // TLS: the connection still goes to 127.0.0.1; `host` is the Host header's name and, over
  // TLS, the name or address the certificate must be valid for.
  bool tls = false;
  std::string ca_file;                // over TLS, the only certificate(s) trusted
  std::string host = "127.0.0.1";
};

// One request on a fresh connection to 127.0.0.1:`port`. `body` is sent as is (empty: none).
HttpResult HttpCall(uint16_t port, const std::string& method, const std::string& target, const std::string& body = "",
                    const HttpOptions& options = {});

// A WebSocket client (ws:// or, with HttpOptions::tls, wss://) reading on its own thread.
class WsClient {
 public:
  WsClient();
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Opens ws://127.0.0.1:port`target`. Returns the HTTP status of the upgrade answer: 101 when
  // the stream is open, else the refusal (its body in refusal_body()), 0 when nothing answered.
  int Connect(uint16_t port, const std::string& target);
  // The same with extra request headers (e.g. Cookie, Origin).
  int Connect(uint16_t port, const std::string& target, const std::map<std::string, std::string>& headers);
  // The same with every option of HttpCall (headers, timeout, TLS; token is not used).
  int Open(uint16_t port, const std::string& target, const HttpOptions& options);
  const std::string& refusal_body() const { return refusal_body_; }
  // Why the connection failed or ended ("" while open).
  std::string error() const;

  // The next message not yet taken, waiting up to `timeout`.
  std::optional<Json> Next(std::chrono::milliseconds timeout);
  // The first message not yet taken that matches (the ones before it are taken too).
  std::optional<Json> WaitFor(const std::function<bool(const Json&)>& match, std::chrono::milliseconds timeout);
  // Every message received so far (taken or not).
  std::vector<Json> All() const;
  // Waits until nothing arrives for `quiet`, then returns every message received.
  std::vector<Json> Settle(std::chrono::milliseconds quiet = 300ms);
  bool closed() const;
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string refusal_body_;
};

}  // namespace latchkey::testing
