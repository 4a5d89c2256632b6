#include "demo.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <thread>

extern char** environ;

namespace latchkey::bench {
namespace {

namespace asio = boost::asio;

uint16_t FreePort() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

std::string ReadLine(const std::string& path) {
  std::string line;
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    char buffer[256] = {};
    if (std::fgets(buffer, sizeof buffer, f) != nullptr) line = buffer;
    std::fclose(f);
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

}  // namespace

Client::Client(uint16_t port, std::string sim_secret) : sim_secret_(std::move(sim_secret)), stream_(io_) {
  stream_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

std::pair<unsigned, Json> Client::Call(http::verb method, const std::string& target, const Json& body,
                                       const std::string& token) {
  http::request<http::string_body> request(method, target, 11);
  request.set(http::field::host, "127.0.0.1");
  if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
  if (!sim_secret_.empty()) request.set("X-Sim-Secret", sim_secret_);
  if (!body.is_null()) {
    request.set(http::field::content_type, "application/json");
    request.body() = body.dump();
  }
  request.prepare_payload();
  http::write(stream_, request);
  http::response<http::string_body> response;
  http::read(stream_, buffer_, response);
  return {response.result_int(), Json::parse(response.body(), nullptr, false)};
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

Demo::Demo(std::string name, const std::string& binary, const std::vector<std::string>& extra, std::string_view prefix)
    : name_(std::move(name)) {
  std::string dir_template = "/tmp/" + std::string(prefix) + "-XXXXXX";
  if (::mkdtemp(dir_template.data()) == nullptr) return;
  dir_ = dir_template;
  port_ = FreePort();
  http_address_ = "127.0.0.1:" + std::to_string(port_);
  std::vector<std::string> args = {binary, "demo", "--data", dir_, "--http", http_address_, "--locks", "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::setenv("LATCHKEY_OWNER_PASSWORD", kOwnerPassword, 1);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = dir_ + "/demo.log";
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int spawned = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    pid_ = -1;
    return;
  }

  // Up: the owner logs in and the lock is online (paired and linked).
  for (int i = 0; i < 300 && lock_.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    try {
      Client c(port_);
      if (token_.empty()) {
        auto [status, body] =
            c.Call(http::verb::post, "/api/v1/auth/login", {{"username", "owner"}, {"password", kOwnerPassword}});
        if (status == 200) token_ = body["token"];
      }
      auto [status, locks] = c.Call(http::verb::get, "/api/v1/locks", nullptr, token_);
      if (status == 200 && locks.is_array() && !locks.empty() && locks[0].value("online", false)) {
        lock_ = locks[0]["id"];
        sim_url_ = locks[0].value("sim_control_url", "");
      }
    } catch (const std::exception&) {
      // not listening yet
    }
  }
}

Demo::~Demo() { Kill(); }

int Demo::Fail(const std::string& why) {
  std::fprintf(stderr, "%s: %s; see %s/demo.log\n", name_.c_str(), why.c_str(), dir_.c_str());
  Kill();
  return 1;
}

void Demo::Stop() {
  Kill();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

uint16_t Demo::sim_port() const {
  return static_cast<uint16_t>(std::stoi(sim_url_.substr(sim_url_.rfind(':') + 1)));
}

std::string Demo::sim_secret() const { return ReadLine(dir_ + "/lock-1/sim-control.secret"); }

void Demo::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace latchkey::bench
