#include "hub_harness.h"

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "wait.h"

namespace latchkey::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// --- loopback addresses ------------------------------------------------------------------------

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
  const std::string log = data_dir_ + "/demo.log";
  ProcessOptions options;
  options.env_drop = {"LATCHKEY_"};
  options.env_add = {std::string("LATCHKEY_OWNER_PASSWORD=") + kOwnerPassword};
  options.stdout_path = log;

  std::size_t log_before = 0;  // where this attempt's lines start in the log
  const auto spawn = [&] {
    port_ = FreeLoopbackPort();
    log_before = ReadAll(log).size();
    std::vector<std::string> args = {LATCHKEY_BINARY, "demo", "--data", data_dir_, "--http",
                                     "127.0.0.1:" + std::to_string(port_), "--locks", std::to_string(locks_)};
    // An instant bolt unless the test asks for a travel time of its own.
    if (std::find(extra_args_.begin(), extra_args_.end(), "--motor-ms") == extra_args_.end()) {
      args.insert(args.end(), {"--motor-ms", "0"});
    }
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    return process_.Start(args, options);
  };
  ASSERT_TRUE(spawn()) << "cannot start " << LATCHKEY_BINARY;

  auto deadline = std::chrono::steady_clock::now() + 20s;
  for (int respawns = 0;; ++respawns) {
    bool healthy = false;
    WaitUntil([&] {
      if (!process_.Running()) return true;
      HttpOptions quick;
      quick.timeout = 2s;
      healthy = HttpCall(port_, "GET", "/healthz", "", quick).status == 200;
      return healthy;
    }, TimeLeft(deadline));
    if (healthy) break;
    ASSERT_FALSE(process_.Running()) << "/healthz did not answer in 20 s:\n" << Log();
    // Another test's process took the free port between the pick and the bind: another port.
    const bool port_taken = ReadAll(log).find("Address already in use", log_before) != std::string::npos;
    ASSERT_TRUE(port_taken && respawns < 5) << "the demo exited at start:\n" << Log();
    ASSERT_TRUE(spawn()) << "cannot start " << LATCHKEY_BINARY;
  }
  owner_token_ = Login("owner", kOwnerPassword);
  ASSERT_FALSE(owner_token_.empty()) << Log();
  HttpResult locks;
  const bool online = WaitUntil([&] {
    if (!process_.Running()) return true;
    locks = Call("GET", "/api/v1/locks", nullptr, owner_token_);
    std::size_t count = 0;
    if (locks.status == 200 && locks.json.is_array()) {
      for (const Json& l : locks.json) count += l.value("online", false) ? 1 : 0;
    }
    return locks.json.is_array() && locks.json.size() == static_cast<std::size_t>(locks_) &&
           count == static_cast<std::size_t>(locks_);
  }, 20s, 50ms);
  ASSERT_TRUE(process_.Running()) << "the demo exited:\n" << Log();
  ASSERT_TRUE(online) << "the locks did not come online in 20 s: " << locks.Describe() << "\n" << Log();
  lock_ids_.clear();
  for (int i = 1; i <= locks_; ++i) {
    const auto id = ReadLine(data_dir_ + "/lock-" + std::to_string(i) + "/lock-id");
    ASSERT_TRUE(id.has_value()) << "no lock-id for lock " << i;
    lock_ids_.push_back(*id);
  }
}

void HubDemo::Stop() { process_.Terminate(5s); }

void HubDemo::Kill() { process_.Kill(SIGKILL); }

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
  return WaitUntil([&] {
    const Json lock = LockObject(id);
    return lock.is_object() && lock.value("online", !online) == online;
  }, timeout, 50ms);
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
  HttpOptions options;
  options.headers["X-Sim-Secret"] = SimSecret(id);
  if (what.empty()) return HttpCall(it->second, "GET", "/state", "", options);
  return HttpCall(it->second, "POST", "/sim/" + what, body.dump(), options);
}

std::string HubDemo::SimSecret(const std::string& id) const {
  // The demo's locks live in DATA/lock-N; each run writes a new secret there.
  for (int n = 1; n <= locks_; ++n) {
    const std::string dir = data_dir_ + "/lock-" + std::to_string(n);
    if (ReadLine(dir + "/lock-id") == id) return ReadLine(dir + "/sim-control.secret").value_or("");
  }
  return "";
}

bool HubDemo::WaitMirrored(const std::string& id, std::chrono::milliseconds timeout) const {
  return WaitUntil([&] {
    const HttpResult state = SimControl(id, "");
    const Json lock = LockObject(id);
    return state.status == 200 && lock.is_object() &&
           lock.value("last_event_seq", uint64_t{0}) >= state.json.value("last_event_seq", uint64_t{1});
  }, timeout, 30ms);
}

// --- the WebSocket stream --------------------------------------------------------------------

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
