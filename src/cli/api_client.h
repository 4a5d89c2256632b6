// A blocking client of the hub's REST API (API.md) and of its live stream, for the command line.
// HTTP/1.1 with Boost.Beast, over TCP (http://) or TLS (https://, the hub's certificate verified
// against a CA file or the system's trust store, and its name or address checked; there is no
// mode that skips the check). Every call has a deadline.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace latchkey::cli {

using Json = nlohmann::json;

// A mistake on the command line (exit status 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An error answer of the API, `{"error": {"code", "message", ...}}`, or a hub that could not be
// reached (status 0, code "unreachable") or did not answer in time (status 0, code "timeout").
class ApiError : public std::runtime_error {
 public:
  ApiError(unsigned status, std::string code, std::string message, Json body = Json::object());
  unsigned status() const { return status_; }
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  // The whole error object (with `reason`, `retry_after_s`, ... when the API sent them).
  const Json& error() const { return error_; }
  // "code: message" as the CLI prints it ("denied: invalid_credential", ...).
  std::string Describe() const;

 private:
  unsigned status_;
  std::string code_;
  std::string message_;
  Json error_;
};

// http[s]://HOST[:PORT][/PREFIX]; `text` is the canonical form (explicit port, no trailing slash).
struct HubUrl {
  std::string host;  // without brackets for IPv6
  std::string port;
  std::string prefix;
  std::string text;
  bool tls = false;  // https://
  // https://: the PEM file of the certificates to trust (e.g. the hub's own self-signed
  // DATA/tls/cert.pem); empty: the system's trust store. Not part of `text`.
  std::string ca_file;
};
// Throws UsageError for anything but an http:// or https:// URL (a bare HOST:PORT is taken as
// http://).
HubUrl ParseHubUrl(std::string_view text);

// j[key] as text (strings bare, numbers and the rest as JSON), or `missing` when absent or null.
std::string JsonText(const Json& j, const char* key, const std::string& missing = "-");

// Percent-encodes one path segment or query value.
std::string UrlEncode(std::string_view text);

class ApiClient {
 public:
  ApiClient(HubUrl url, std::string token);

  const HubUrl& url() const { return url_; }
  const std::string& token() const { return token_; }

  // Each returns the parsed body of a 2xx answer ({} when empty) and throws ApiError otherwise.
  // `path` starts with "/" and is relative to the URL's prefix ("/api/v1/locks").
  Json Get(const std::string& path) const { return Call("GET", path, nullptr); }
  Json Post(const std::string& path, const Json& body) const { return Call("POST", path, &body); }
  Json Patch(const std::string& path, const Json& body) const { return Call("PATCH", path, &body); }
  Json Delete(const std::string& path) const { return Call("DELETE", path, nullptr); }
  Json Call(std::string_view method, const std::string& path, const Json* body) const;

  std::chrono::seconds timeout = std::chrono::seconds(30);

 private:
  HubUrl url_;
  std::string token_;
};

// One WebSocket connection to GET /api/v1/stream (wss:// for an https:// hub).
class StreamConnection {
 public:
  // Connects and upgrades; `query` is what follows "?" (token=...&after=...). Throws ApiError:
  // status 0 when the hub cannot be reached, the hub's error when it refuses the upgrade.
  StreamConnection(const HubUrl& url, const std::string& query);
  ~StreamConnection();
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  // Blocks for the next message; nullopt (with why in *error) once the connection is gone.
  // A silent peer is detected by keep-alive pings.
  std::optional<std::string> Read(std::string* error);

 private:
  struct Impl;
  template <typename WebSocket>
  void Open(WebSocket& ws, const HubUrl& url, const std::string& query);
  std::unique_ptr<Impl> impl_;
};

}  // namespace latchkey::cli
