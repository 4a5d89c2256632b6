#include "integrations/matter/matter_sidecar.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>

#include <filesystem>
#include <thread>
#include <vector>

#include "hub/auth.h"
#include "hub/env.h"
#include "hub/http_post.h"

#ifndef LATCHKEY_MATTER_SIDECAR
#define LATCHKEY_MATTER_SIDECAR "/usr/lib/latchkey/matter/dist/main.js"
#endif

namespace latchkey::integrations::matter {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Json = nlohmann::json;

constexpr std::chrono::seconds kMaxBackoff{60};

// A loopback port free now (the sidecar binds it a moment later).
uint16_t FreeLoopbackPort() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace

MatterSidecar::MatterSidecar(asio::io_context& io, MatterOptions options, std::string data_dir, std::string hub_url,
                             std::string hub_ca_file, std::string token)
    : io_(io), options_(std::move(options)), data_dir_(std::move(data_dir)), hub_url_(std::move(hub_url)),
      hub_ca_file_(std::move(hub_ca_file)), token_(std::move(token)), timer_(io) {
  if (options_.sidecar.empty()) options_.sidecar = LATCHKEY_MATTER_SIDECAR;
}

MatterSidecar::~MatterSidecar() { Stop(); }

core::Status MatterSidecar::Start() {
  if (!std::filesystem::exists(options_.sidecar)) {
    return core::Status::Invalid("matter: the bridge's program " + options_.sidecar +
                                 " is missing (build it: npm ci && npm run build in integrations/matter)");
  }
  std::error_code ec;
  std::filesystem::create_directories(data_dir_ + "/matter", ec);
  if (ec) return core::Status::IoError("matter: cannot create " + data_dir_ + "/matter: " + ec.message());
  ::chmod((data_dir_ + "/matter").c_str(), 0700);
  control_secret_ = hub::RandomId(hub::Env::System(), 32);
  Spawn();
  return core::Status::Ok();
}

void MatterSidecar::Spawn() {
  control_port_ = FreeLoopbackPort();
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).rfind("LATCHKEY_", 0) != 0) env.emplace_back(*e);  // none of the hub's own
  }
  env.push_back("LATCHKEY_HUB_URL=" + hub_url_);
  if (!hub_ca_file_.empty()) env.push_back("LATCHKEY_HUB_CA=" + hub_ca_file_);
  env.push_back("LATCHKEY_TOKEN=" + token_);
  env.push_back("LATCHKEY_MATTER_PORT=" + std::to_string(options_.port));
  env.push_back("LATCHKEY_MATTER_STORAGE=" + data_dir_ + "/matter");
  env.push_back("LATCHKEY_MATTER_CONTROL_PORT=" + std::to_string(control_port_));
  env.push_back("LATCHKEY_MATTER_CONTROL_SECRET=" + control_secret_);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string node = options_.node, script = options_.sidecar;
  char* argv[] = {node.data(), script.data(), nullptr};

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    spdlog::error("matter: cannot start the bridge: fork failed");
    return;
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the hub
    if (::getppid() != parent) ::_exit(1);
    ::execvpe(argv[0], argv, envp.data());
    ::_exit(127);
  }
  pid_ = pid;
  started_at_ = std::chrono::steady_clock::now();
  spdlog::info("matter: bridge started (pid {}, UDP {}, storage {}/matter)", pid_, options_.port, data_dir_);
  Watch();
}

// Checks twice a second whether the sidecar ended (the hub's io thread owns no SIGCHLD handler).
void MatterSidecar::Watch() {
  timer_.expires_after(std::chrono::milliseconds(500));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || pid_ <= 0) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return Watch();
    pid_ = -1;
    if (stopping_) return;
    const auto ran = std::chrono::steady_clock::now() - started_at_;
    if (ran > kMaxBackoff) backoff_ = std::chrono::seconds(1);
    spdlog::warn("matter: the bridge ended ({} {}); restarting in {} s",
                 WIFEXITED(status) ? "exit" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                 backoff_.count());
    timer_.expires_after(backoff_);
    backoff_ = std::min(kMaxBackoff, backoff_ * 2);
    timer_.async_wait([this](const boost::system::error_code& e) {
      if (!e && !stopping_) Spawn();
    });
  });
}

void MatterSidecar::Stop() {
  stopping_ = true;
  timer_.cancel();
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void MatterSidecar::Control(http::verb method, const std::string& target, Done done) {
  const auto down = [this] {
    return Json{{"enabled", true}, {"running", false}, {"udp_port", options_.port}};
  };
  if (pid_ <= 0) return done(method == http::verb::get ? 200 : 503, method == http::verb::get ? down() : Json{{"error", {{"code", "unavailable"}, {"message", "the Matter bridge is restarting"}}}});
  auto url = hub::ParseWebhookUrl("http://127.0.0.1:" + std::to_string(control_port_) + target);
  if (!url.ok()) return done(500, Json{{"error", {{"code", "internal"}, {"message", url.status().message()}}}});
  hub::HttpPostRequest request;
  request.url = *url;
  request.method = method;
  request.headers.emplace_back("Authorization", "Bearer " + control_secret_);
  request.timeout = std::chrono::seconds(10);
  // No destination policy: the hub chose this loopback port itself (as for a lock's sim control).
  hub::HttpPost(io_, std::move(request), [this, method, done = std::move(done), down](hub::HttpPostResult result) {
    if (result.failure != hub::HttpPostResult::Failure::kNone) {
      if (method == http::verb::get) return done(200, down());
      return done(503, Json{{"error", {{"code", "unavailable"}, {"message", "the Matter bridge does not answer"}}}});
    }
    Json body = Json::parse(result.body, nullptr, false);
    if (body.is_discarded()) body = Json::object();
    if (result.status == 200 && body.is_object()) {
      body["enabled"] = true;
      body["udp_port"] = options_.port;
    }
    done(result.status, std::move(body));
  });
}

void MatterSidecar::Status(Done done) { Control(http::verb::get, "/status", std::move(done)); }
void MatterSidecar::OpenCommissioning(Done done) { Control(http::verb::post, "/commissioning", std::move(done)); }
void MatterSidecar::RemoveFabric(uint64_t index, Done done) {
  Control(http::verb::delete_, "/fabrics/" + std::to_string(index), std::move(done));
}

}  // namespace latchkey::integrations::matter
