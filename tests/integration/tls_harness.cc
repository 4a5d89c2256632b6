#include "tls_harness.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace latchkey::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

// A client context trusting `ca_file` only; the stream checks `host`.
std::unique_ptr<ssl::context> ClientContext(const HttpsOptions& options) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  context->set_verify_mode(ssl::verify_peer);
  if (!options.ca_file.empty()) context->load_verify_file(options.ca_file);
  return context;
}

void ExpectHost(TlsStream& stream, const std::string& host) {
  stream.set_verify_callback(ssl::host_name_verification(host));
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (ec) SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
}

std::string Describe(const beast::error_code& ec) {
  std::string text = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) text += " [tls]";
  return text;
}

}  // namespace

HttpResult HttpsCall(uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                     const HttpsOptions& options) {
  HttpResult result;
  asio::io_context io;
  auto context = ClientContext(options);
  TlsStream stream(io, *context);
  ExpectHost(stream, options.host);
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, options.host + ":" + std::to_string(port));
  if (!options.token.empty()) request.set(http::field::authorization, "Bearer " + options.token);
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  request.keep_alive(false);
  request.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  bool answered = false;
  beast::get_lowest_layer(stream).expires_after(options.timeout);
  beast::get_lowest_layer(stream).async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
        if (ec) {
          result.transport_error = "connect: " + Describe(ec);
          return;
        }
        stream.async_handshake(ssl::stream_base::client, [&](beast::error_code hec) {
          if (hec) {
            result.transport_error = "handshake: " + Describe(hec);
            return;
          }
          http::async_write(stream, request, [](beast::error_code, std::size_t) {});
          http::async_read(stream, buffer, parser, [&](beast::error_code rec, std::size_t) {
            if (rec) {
              result.transport_error = "read: " + Describe(rec);
            } else {
              answered = true;
            }
          });
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
  }
  result.json = Json::parse(result.body, nullptr, /*allow_exceptions=*/false);
  return result;
}

// --- the process ------------------------------------------------------------------------------

LatchkeyProcess::LatchkeyProcess() {
  char pattern[] = "/tmp/latchkey-tlstest-XXXXXX";
  const char* made = ::mkdtemp(pattern);
  if (made == nullptr) std::abort();
  dir_ = made;
}

LatchkeyProcess::~LatchkeyProcess() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void LatchkeyProcess::Spawn(const std::vector<std::string>& args_in) {
  std::vector<std::string> args = {LATCHKEY_BINARY};
  args.insert(args.end(), args_in.begin(), args_in.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "LATCHKEY_", 9) != 0 && std::strncmp(*e, "HOME=", 5) != 0 &&
        std::strncmp(*e, "XDG_CONFIG_HOME=", 16) != 0) {
      env_strings.emplace_back(*e);
    }
  }
  env_strings.push_back(std::string("LATCHKEY_OWNER_PASSWORD=") + HubDemo::kOwnerPassword);
  env_strings.push_back("HOME=" + dir_);
  env_strings.push_back("XDG_CONFIG_HOME=" + dir_ + "/config");
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = dir_ + "/process.log";
  std::error_code ignored;
  std::filesystem::remove(log, ignored);  // one log per run
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) pid_ = -1;
  posix_spawn_file_actions_destroy(&actions);
}

void LatchkeyProcess::WaitHealthy(uint16_t port, const HttpsOptions& options_in) {
  ASSERT_GT(pid_, 0) << "cannot start " << LATCHKEY_BINARY;
  HttpsOptions options = options_in;
  options.timeout = 2s;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (true) {
    ASSERT_FALSE(WaitExit(0ms).has_value()) << "latchkey exited at start:\n" << Log();
    const HttpResult health = HttpsCall(port, "GET", "/healthz", "", options);
    if (health.status == 200) return;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "/healthz did not answer over HTTPS in 20 s: " << health.Describe() << "\n" << Log();
    std::this_thread::sleep_for(50ms);
  }
}

std::optional<int> LatchkeyProcess::WaitExit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(20ms);
  }
}

void LatchkeyProcess::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!WaitExit(10s).has_value() && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
}

std::string LatchkeyProcess::Log() const { return ReadFile(dir_ + "/process.log"); }

// --- wss:// ------------------------------------------------------------------------------------

struct WssClient::Impl {
  asio::io_context io;
  std::unique_ptr<ssl::context> context;
  std::unique_ptr<websocket::stream<TlsStream>> ws;
  beast::flat_buffer buffer;
};

WssClient::WssClient() : impl_(std::make_unique<Impl>()) {}
WssClient::~WssClient() = default;

int WssClient::Connect(uint16_t port, const std::string& target, const HttpsOptions& options) {
  impl_->context = ClientContext(options);
  impl_->ws = std::make_unique<websocket::stream<TlsStream>>(impl_->io, *impl_->context);
  auto& ws = *impl_->ws;
  ExpectHost(ws.next_layer(), options.host);
  websocket::response_type response;
  int status = 0;
  beast::get_lowest_layer(ws).expires_after(options.timeout);
  beast::get_lowest_layer(ws).async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                            [&](beast::error_code ec) {
    if (ec) {
      error_ = "connect: " + Describe(ec);
      return;
    }
    ws.next_layer().async_handshake(ssl::stream_base::client, [&](beast::error_code hec) {
      if (hec) {
        error_ = "tls handshake: " + Describe(hec);
        return;
      }
      ws.async_handshake(response, options.host, target, [&](beast::error_code wec) {
        status = static_cast<int>(response.result_int());
        if (wec) error_ = "websocket handshake: " + Describe(wec) + " " + response.body();
      });
    });
  });
  impl_->io.run();
  impl_->io.restart();
  if (status == 101) beast::get_lowest_layer(ws).expires_never();
  return status;
}

std::optional<Json> WssClient::Next(std::chrono::milliseconds timeout) {
  if (!impl_->ws) return std::nullopt;
  impl_->buffer.clear();
  bool done = false;
  beast::error_code result;
  impl_->ws->async_read(impl_->buffer, [&](beast::error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  impl_->io.run_for(timeout);
  if (!done) {
    // Nothing in time: give up on this connection (a cancelled read leaves a WebSocket unusable).
    beast::error_code ignored;
    beast::get_lowest_layer(*impl_->ws).socket().close(ignored);
    impl_->io.run();
    impl_->ws.reset();
    error_ = "no message in time";
    return std::nullopt;
  }
  impl_->io.restart();
  if (result) {
    error_ = Describe(result);
    return std::nullopt;
  }
  return Json::parse(beast::buffers_to_string(impl_->buffer.data()), nullptr, false);
}

std::string PemFingerprint(const std::string& cert_path) {
  std::FILE* f = std::fopen(cert_path.c_str(), "r");
  if (f == nullptr) return "";
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(cert, EVP_sha256(), digest, &length);
  X509_free(cert);
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, i + 1 < length ? "%02X:" : "%02X", digest[i]);
    out += hex;
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace latchkey::testing
