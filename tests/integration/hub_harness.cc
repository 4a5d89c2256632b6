#include "hub_harness.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

extern char** environ;

namespace latchkey::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// --- HTTP ------------------------------------------------------------------------------------

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

HttpResult HttpCall(uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                    const HttpOptions& options) {
  HttpResult result;
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  if (!options.source_address.empty()) {
    stream.socket().open(tcp::v4(), ec);
    if (!ec) stream.socket().bind(tcp::endpoint(asio::ip::make_address(options.source_address), 0), ec);
    if (ec) {
      result.transport_error = "bind: " + ec.message();
      return result;
    }
  }
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
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
  stream.expires_after(options.timeout);
  stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code cec) {
    if (cec) {
      result.transport_error = "connect: " + cec.message();
      return;
    }
    // Read while writing: a server may answer (413) and hang up before the body is all sent.
    http::async_write(stream, request, [](beast::error_code, std::size_t) {});
    http::async_read(stream, buffer, parser, [&](beast::error_code rec, std::size_t) {
      if (rec) {
        result.transport_error = "read: " + rec.message();
      } else {
        answered = true;
      }
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream.socket().close(ignored);
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

uint16_t FreeLoopbackPort() {
  // Below the kernel's ephemeral range: a port the kernel handed out for a moment (port 0) goes
  // back to that range, where the next outgoing connection or port-0 listener of a test running
  // alongside may take it before the demo binds it ("Address already in use").
  int ephemeral_low = 32768;
  if (std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range"); range) range >> ephemeral_low;
  const int low = 10000, high = std::max(low + 1000, ephemeral_low);
  static std::mt19937 random(std::random_device{}());
  asio::io_context io;
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<uint16_t>(std::uniform_int_distribution<int>(low, high - 1)(random));
    boost::system::error_code ec;
    tcp::acceptor acceptor(io);
    acceptor.open(tcp::v4(), ec);
    if (!ec) acceptor.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (!ec) return port;
  }
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

std::string UrlEncode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// --- the demo process ------------------------------------------------------------------------

namespace {

std::optional<std::string> ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) return std::nullopt;
  return line;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

HubDemo::HubDemo(int locks, std::vector<std::string> extra_args) : locks_(locks), extra_args_(std::move(extra_args)) {
  char pattern[] = "/tmp/latchkey-hubtest-XXXXXX";
  const char* made = ::mkdtemp(pattern);
  if (made == nullptr) std::abort();
  data_dir_ = made;
}

HubDemo::~HubDemo() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(data_dir_, ec);
}

void HubDemo::Start() {
  // A restart keeps the data folder; the locks' ports change.
  sim_ports_.clear();
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "LATCHKEY_", 9) != 0) env_strings.emplace_back(*e);
  }
  env_strings.push_back(std::string("LATCHKEY_OWNER_PASSWORD=") + kOwnerPassword);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string log = data_dir_ + "/demo.log";

  std::size_t log_before = 0;  // where this attempt's lines start in the log
  const auto spawn = [&] {
    port_ = FreeLoopbackPort();
    log_before = ReadAll(log).size();
    std::vector<std::string> args = {LATCHKEY_BINARY, "demo", "--data", data_dir_, "--http",
                                     "127.0.0.1:" + std::to_string(port_), "--locks", std::to_string(locks_),
                                     "--motor-ms", "0"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    return rc;
  };
  ASSERT_EQ(spawn(), 0) << "cannot start " << LATCHKEY_BINARY;

  const auto alive = [&] {
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  };
  auto deadline = std::chrono::steady_clock::now() + 20s;
  for (int respawns = 0;;) {
    if (!alive()) {
      // Another test's process took the free port between the pick and the bind: another port.
      const bool port_taken = ReadAll(log).find("Address already in use", log_before) != std::string::npos;
      ASSERT_TRUE(port_taken && respawns < 5) << "the demo exited at start:\n" << Log();
      ++respawns;
      ASSERT_EQ(spawn(), 0) << "cannot start " << LATCHKEY_BINARY;
      continue;
    }
    HttpOptions quick;
    quick.timeout = 2s;
    const HttpResult health = HttpCall(port_, "GET", "/healthz", "", quick);
    if (health.status == 200) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "/healthz did not answer in 20 s:\n" << Log();
    std::this_thread::sleep_for(20ms);
  }
  owner_token_ = Login("owner", kOwnerPassword);
  ASSERT_FALSE(owner_token_.empty()) << Log();
  deadline = std::chrono::steady_clock::now() + 20s;
  while (true) {
    const HttpResult locks = Call("GET", "/api/v1/locks", nullptr, owner_token_);
    std::size_t online = 0;
    if (locks.status == 200 && locks.json.is_array()) {
      for (const Json& l : locks.json) online += l.value("online", false) ? 1 : 0;
    }
    if (locks.json.is_array() && locks.json.size() == static_cast<std::size_t>(locks_) &&
        online == static_cast<std::size_t>(locks_)) {
      break;
    }
    ASSERT_TRUE(alive()) << "the demo exited:\n" << Log();
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "the locks did not come online in 20 s: " << locks.Describe() << "\n" << Log();
    std::this_thread::sleep_for(50ms);
  }
  lock_ids_.clear();
  for (int i = 1; i <= locks_; ++i) {
    const auto id = ReadLine(data_dir_ + "/lock-" + std::to_string(i) + "/lock-id");
    ASSERT_TRUE(id.has_value()) << "no lock-id for lock " << i;
    lock_ids_.push_back(*id);
  }
}

void HubDemo::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void HubDemo::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string HubDemo::Log() const { return "--- demo log ---\n" + ReadAll(data_dir_ + "/demo.log") + "--- end ---"; }

std::string HubDemo::LockLog(int number) const {
  return "--- lock " + std::to_string(number) + " log ---\n" +
         ReadAll(data_dir_ + "/lock-" + std::to_string(number) + "/lock.log") + "--- end ---";
}

std::string HubDemo::SetupCode(int number) const {
  return ReadLine(data_dir_ + "/lock-" + std::to_string(number) + "/setup-code").value_or("");
}

std::string HubDemo::LinkAddress(int number) const {
  return ReadLine(data_dir_ + "/lock-" + std::to_string(number) + "/link.addr").value_or("");
}

HttpResult HubDemo::Call(const std::string& method, const std::string& target, const Json& body,
                         const std::string& token) const {
  HttpOptions options;
  options.token = token;
  return HttpCall(port_, method, target, body.is_null() ? "" : body.dump(), options);
}

HttpResult HubDemo::Raw(const std::string& method, const std::string& target, const std::string& body,
                        const HttpOptions& options) const {
  return HttpCall(port_, method, target, body, options);
}

std::string HubDemo::Login(const std::string& username, const std::string& password) const {
  const HttpResult r = Call("POST", "/api/v1/auth/login", Json{{"username", username}, {"password", password}});
  if (r.status != 200 || !r.json.is_object() || !r.json.contains("token") || !r.json["token"].is_string()) {
    ADD_FAILURE() << "login as " << username << " refused: " << r.Describe();
    return "";
  }
  return r.json["token"].get<std::string>();
}

std::string HubDemo::CreateAccount(const Json& account) {
  const HttpResult r = Call("POST", "/api/v1/accounts", account, owner_token_);
  if (r.status != 201) {
    ADD_FAILURE() << "POST /accounts " << account.dump() << " -> " << r.Describe();
    return "";
  }
  return Login(account["username"].get<std::string>(), account["password"].get<std::string>());
}

Json HubDemo::LockObject(const std::string& id) const {
  const HttpResult r = Call("GET", "/api/v1/locks/" + id, nullptr, owner_token_);
  return r.status == 200 ? r.json : Json();
}

bool HubDemo::WaitOnline(const std::string& id, bool online, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const Json lock = LockObject(id);
    if (lock.is_object() && lock.value("online", !online) == online) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

HttpResult HubDemo::SimControl(const std::string& id, const std::string& what, const Json& body) const {
  auto it = sim_ports_.find(id);
  if (it == sim_ports_.end()) {
    const Json lock = LockObject(id);
    const std::string url = lock.is_object() ? lock.value("sim_control_url", "") : "";
    const auto colon = url.rfind(':');
    if (url.empty() || colon == std::string::npos) {
      HttpResult none;
      none.transport_error = "no sim_control_url in the lock object " + lock.dump();
      return none;
    }
    it = sim_ports_.emplace(id, static_cast<uint16_t>(std::stoi(url.substr(colon + 1)))).first;
  }
  if (what.empty()) return HttpCall(it->second, "GET", "/state");
  return HttpCall(it->second, "POST", "/sim/" + what, body.dump());
}

bool HubDemo::WaitMirrored(const std::string& id, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const HttpResult state = SimControl(id, "");
    const Json lock = LockObject(id);
    if (state.status == 200 && lock.is_object() &&
        lock.value("last_event_seq", uint64_t{0}) >= state.json.value("last_event_seq", uint64_t{1})) {
      return true;
    }
    std::this_thread::sleep_for(30ms);
  }
  return false;
}

// --- the WebSocket stream --------------------------------------------------------------------

struct WsClient::Impl {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws{io};
  beast::flat_buffer buffer;
  std::thread thread;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::vector<Json> all;
  std::size_t taken = 0;
  bool closed = false;
  std::chrono::steady_clock::time_point last_arrival = std::chrono::steady_clock::now();

  void ReadLoop() {
    // Acknowledge at once: a server that writes many small frames without TCP_NODELAY would
    // otherwise wait for the delayed ACK before each one.
    const int one = 1;
    ::setsockopt(beast::get_lowest_layer(ws).socket().native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      std::lock_guard lock(mu);
      if (ec) {
        closed = true;
        cv.notify_all();
        return;
      }
      const std::string text = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      Json message = Json::parse(text, nullptr, false);
      if (message.is_discarded()) message = Json{{"unparsable", text}};
      all.push_back(std::move(message));
      last_arrival = std::chrono::steady_clock::now();
      cv.notify_all();
      ReadLoop();
    });
  }
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {}

WsClient::~WsClient() { Close(); }

int WsClient::Connect(uint16_t port, const std::string& target) { return Connect(port, target, {}); }

int WsClient::Connect(uint16_t port, const std::string& target, const std::map<std::string, std::string>& headers) {
  Impl& m = *impl_;
  m.ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& request) {
    for (const auto& [name, value] : headers) request.set(name, value);
  }));
  beast::error_code ec;
  auto& tcp_layer = beast::get_lowest_layer(m.ws);
  tcp_layer.expires_after(10s);
  tcp_layer.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return 0;
  websocket::response_type response;
  m.ws.handshake(response, "127.0.0.1:" + std::to_string(port), target, ec);
  if (ec) {
    {
      std::lock_guard lock(m.mu);
      m.closed = true;
    }
    // Boost 1.74 keeps a declined upgrade's answer to itself: ask again as plain HTTP.
    HttpOptions upgrade;
    upgrade.headers = {{"Connection", "Upgrade"},
                       {"Upgrade", "websocket"},
                       {"Sec-WebSocket-Version", "13"},
                       {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
    upgrade.headers.insert(headers.begin(), headers.end());
    const HttpResult refusal = HttpCall(port, "GET", target, "", upgrade);
    refusal_body_ = refusal.body;
    return refusal.status == 101 ? 0 : refusal.status;
  }
  tcp_layer.expires_never();
  m.ReadLoop();
  m.thread = std::thread([&m] { m.io.run(); });
  return 101;
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
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < give_up) {
    {
      std::lock_guard lock(m.mu);
      if (m.closed || std::chrono::steady_clock::now() - m.last_arrival >= quiet) break;
    }
    std::this_thread::sleep_for(20ms);
  }
  return All();
}

bool WsClient::closed() const {
  std::lock_guard lock(impl_->mu);
  return impl_->closed;
}

void WsClient::Close() {
  Impl& m = *impl_;
  if (m.thread.joinable()) {
    asio::post(m.io, [&m] {
      beast::error_code ec;
      beast::get_lowest_layer(m.ws).socket().shutdown(tcp::socket::shutdown_both, ec);
      beast::get_lowest_layer(m.ws).socket().close(ec);
    });
    m.thread.join();
  }
}

std::vector<uint64_t> EventSeqs(const std::vector<Json>& messages, const std::string& lock) {
  std::vector<uint64_t> seqs;
  for (const Json& m : messages) {
    if (m.value("type", "") == "event" && m.value("lock", "") == lock && m.contains("event") &&
        m["event"].contains("seq")) {
      seqs.push_back(m["event"]["seq"].get<uint64_t>());
    }
  }
  return seqs;
}

}  // namespace latchkey::testing
