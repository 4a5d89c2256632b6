#include "harness.h"

#include <sstream>
#include <signal.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>

#include "http_client.h"
#include "wait.h"

namespace latchkey::testing {

namespace asio = boost::asio;

LockProcess::LockProcess(std::string data_dir, std::vector<std::string> extra)
    : data_dir_(std::move(data_dir)), extra_(std::move(extra)) {}

LockProcess::~LockProcess() { Kill(SIGKILL); }

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

// The sim-control secret of each running lock by its sim-control port, so that SimHttp(port, ...)
// authenticates as the lock's operator without every caller passing it.
std::mutex secrets_mu;
std::map<uint16_t, std::string>& SecretsByPort() {
  static std::map<uint16_t, std::string> secrets;
  return secrets;
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
  const std::string log = data_dir_ + "/process.log";
  ProcessOptions options;
  options.stdout_path = log;
  ASSERT_TRUE(process_.Start(args, options)) << "cannot start " << LATCHKEY_BINARY;
  std::optional<std::string> link, sim;
  const bool served = WaitUntil([&] {
    link = ReadLine(data_dir_ + "/link.addr");
    sim = ReadLine(data_dir_ + "/sim-control.addr");
    return (link && sim) || !process_.Running();
  }, 10s, 10ms);
  ASSERT_TRUE(link && sim) << (served ? "the lock exited at start" : "the lock did not start in 10 s") << "; see "
                           << log;
  link_port_ = PortOf(*link);
  sim_port_ = PortOf(*sim);
  // Written before sim-control.addr.
  sim_secret_ = ReadLine(data_dir_ + "/sim-control.secret").value_or("");
  std::lock_guard lock(secrets_mu);
  SecretsByPort()[sim_port_] = sim_secret_;
}

void LockProcess::Kill(int signal) { process_.Kill(signal); }

std::string LockProcess::Log() const {
  std::ifstream log(data_dir_ + "/process.log");
  std::stringstream text;
  text << log.rdbuf();
  return text.str();
}

std::string LockProcess::setup_code() const { return ReadLine(data_dir_ + "/setup-code").value_or(""); }

Json SimHttp(uint16_t port, const std::string& what, const Json& body, const std::optional<std::string>& secret) {
  HttpOptions options;
  options.timeout = 10s;
  if (secret) {
    options.headers["X-Sim-Secret"] = *secret;
  } else {
    std::lock_guard lock(secrets_mu);
    options.headers["X-Sim-Secret"] = SecretsByPort()[port];
  }
  if (options.headers["X-Sim-Secret"].empty()) options.headers.clear();
  const HttpResult r = what.empty() ? HttpCall(port, "GET", "/state", "", options)
                                    : HttpCall(port, "POST", "/sim/" + what, body.dump(), options);
  if (r.status == 0) throw std::runtime_error("sim-control on port " + std::to_string(port) + ": " + r.transport_error);
  return Json{{"status", r.status}, {"body", r.json}};
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
