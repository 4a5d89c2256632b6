#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>

extern char** environ;

namespace latchkey::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

TempDir::TempDir() {
  char pattern[] = "/tmp/latchkey-test-XXXXXX";
  const char* made = ::mkdtemp(pattern);
  if (made == nullptr) std::abort();
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

LockProcess::LockProcess(std::string data_dir, std::vector<std::string> extra)
    : data_dir_(std::move(data_dir)), extra_(std::move(extra)) {}

LockProcess::~LockProcess() {
  if (running()) Kill(SIGKILL);
}

namespace {

std::optional<std::string> ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) return std::nullopt;
  return line;
}

uint16_t PortOf(const std::string& address) {
  return static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

}  // namespace

void LockProcess::Start() {
  std::filesystem::create_directories(data_dir_);
  // Stale addresses from the last run must not be mistaken for the new ones.
  std::filesystem::remove(data_dir_ + "/link.addr");
  std::filesystem::remove(data_dir_ + "/sim-control.addr");
  std::vector<std::string> args = {LATCHKEY_BINARY, "lock", "--data", data_dir_, "--listen", "127.0.0.1:0",
                                   "--sim-control", "127.0.0.1:0"};
  args.insert(args.end(), extra_.begin(), extra_.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = data_dir_ + "/process.log";
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ASSERT_EQ(rc, 0) << "cannot start " << LATCHKEY_BINARY;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto link = ReadLine(data_dir_ + "/link.addr");
    const auto sim = ReadLine(data_dir_ + "/sim-control.addr");
    if (link && sim) {
      link_port_ = PortOf(*link);
      sim_port_ = PortOf(*sim);
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL() << "the lock exited at start; see " << log;
    }
    std::this_thread::sleep_for(10ms);
  }
  FAIL() << "the lock did not start in 10 s; see " << log;
}

void LockProcess::Kill(int signal) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string LockProcess::setup_code() const { return ReadLine(data_dir_ + "/setup-code").value_or(""); }

Json SimHttp(uint16_t port, const std::string& what, const Json& body) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(10s);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> request(what.empty() ? http::verb::get : http::verb::post,
                                           what.empty() ? "/state" : "/sim/" + what, 11);
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::content_type, "application/json");
  if (!what.empty()) request.body() = body.dump();
  request.prepare_payload();
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  beast::error_code ec;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  return Json{{"status", response.result_int()}, {"body", Json::parse(response.body(), nullptr, false)}};
}

HubLink::HubLink() : key_(crypto::GenerateKeypair()) {
  work_.emplace(io_.get_executor());
  thread_ = std::thread([this] { io_.run(); });
}

HubLink::~HubLink() {
  OnIo([this] {
    client_.reset();
    return 0;
  });
  work_.reset();
  io_.stop();
  thread_.join();
}

template <typename F>
auto HubLink::OnIo(F&& f) -> decltype(f()) {
  std::packaged_task<decltype(f())()> task(std::forward<F>(f));
  auto result = task.get_future();
  asio::post(io_, [&task] { task(); });
  return result.get();
}

bool HubLink::Open(const std::string& host, uint16_t port, std::optional<link::SetupCode> code,
                   std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(mu_);
    ready_ = false;
    closed_ = false;
  }
  OnIo([&] {
    client_.reset();
    link::LinkClient::Options options;
    options.host = host;
    options.port = port;
    options.hub_key = key_;
    options.lock_key = code ? std::nullopt : lock_key_;
    options.setup_code = code;
    options.hub_id = "test-hub";
    options.acked_seq = acked_seq();
    link::LinkClient::Callbacks callbacks;
    callbacks.on_ready = [this](const crypto::NoisePublicKey& lock_key, const Json&) {
      std::lock_guard lock(mu_);
      lock_key_ = lock_key;
      ready_ = true;
      cv_.notify_all();
    };
    callbacks.on_event = [this](const Json& event) {
      std::lock_guard lock(mu_);
      events_.push_back(event);
      acked_seq_ = event["seq"].get<uint64_t>();
      cv_.notify_all();
      return true;
    };
    callbacks.on_state = [this](const Json& state) {
      std::lock_guard lock(mu_);
      last_state_ = state;
      cv_.notify_all();
    };
    callbacks.on_closed = [this](const std::string&) {
      std::lock_guard lock(mu_);
      ready_ = false;
      closed_ = true;
      cv_.notify_all();
    };
    client_ = std::make_unique<link::LinkClient>(io_, options, callbacks);
    client_->frame_tap = frame_tap;
    client_->Connect();
    return 0;
  });
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [this] { return ready_ || closed_; });
  return ready_;
}

bool HubLink::Pair(const std::string& host, uint16_t port, const std::string& setup_code) {
  auto code = link::ParseSetupCode(setup_code);
  if (!code.ok()) return false;
  return Open(host, port, *code, 5s);
}

bool HubLink::Connect(const std::string& host, uint16_t port, std::chrono::milliseconds timeout) {
  return Open(host, port, std::nullopt, timeout);
}

void HubLink::Disconnect() {
  OnIo([this] {
    if (client_) client_->Close("test disconnects");
    return 0;
  });
  WaitClosed(5s);
}

bool HubLink::connected() const {
  std::lock_guard lock(mu_);
  return ready_;
}

bool HubLink::WaitClosed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return closed_; });
}

Json HubLink::Request(const std::string& op, Json args, std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<Json>>();
  auto future = promise->get_future();
  asio::post(io_, [this, op, args = std::move(args), promise, timeout]() mutable {
    if (!client_) return promise->set_value(link::ErrorReply("lock_offline", "no client"));
    client_->Request(op, std::move(args), [promise](Json response) { promise->set_value(std::move(response)); }, timeout);
  });
  return future.get();
}

Json HubLink::As(Json args, const std::string& role, const std::string& name) {
  args["actor"] = {{"name", name}, {"role", role}};
  return args;
}

std::vector<Json> HubLink::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

uint64_t HubLink::acked_seq() const {
  std::lock_guard lock(mu_);
  return acked_seq_;
}

bool HubLink::WaitForSeq(uint64_t seq, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return acked_seq_ >= seq; });
}

bool HubLink::WaitForEvent(const std::function<bool(const Json&)>& match, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    for (const auto& e : events_) {
      if (match(e)) return true;
    }
    return false;
  });
}

Json HubLink::last_state() const {
  std::lock_guard lock(mu_);
  return last_state_;
}

}  // namespace latchkey::testing
