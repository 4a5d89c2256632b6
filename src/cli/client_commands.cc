#include "cli/client_commands.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/client_config.h"
#include "cli/table.h"

namespace latchkey::cli {

namespace {

constexpr const char* kDefaultUrl = "http://127.0.0.1:8080";
constexpr const char* kLoginHint = "; log in with `latchkey login`";

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

void ClientCommands::Register(CLI::App& app) {
  CLI::App* login =
      Add(app.add_subcommand("login", "Log in to a hub and keep the session token in the user's config folder"),
          [this] { return Login(); });
  login->add_option("--username", username_, "Account name (default: owner)");
  login->add_option("--password", password_,
                    "The password (else asked for without echo, or read from stdin when it is not a terminal)");
  Add(app.add_subcommand("logout", "Revoke the stored session token and forget it"), [this] { return Logout(); });
  Add(app.add_subcommand("locks", "List the hub's locks"), [this] { return Locks(); });
  RegisterOperations(app);
  RegisterLockData(app);
  RegisterHistory(app);
  RegisterPhone(app);
  RegisterCode(app);
}

CLI::App* ClientCommands::Add(CLI::App* cmd, std::function<int()> run) {
  cmd->add_option("--url", url_,
                  std::string("The hub, http[s]://HOST:PORT (default: the login's, else ") + kDefaultUrl + ")")
      ->envname("LATCHKEY_URL");
  cmd->add_option("--token", token_, "An API or session token (default: the login's)")->envname("LATCHKEY_TOKEN");
  cmd->add_option("--cacert", cacert_,
                  "For an https:// hub: trust the certificates in this PEM file (e.g. the hub's DATA/tls/cert.pem) "
                  "instead of the system's (default: the login's)")
      ->envname("LATCHKEY_CACERT");
  cmd->add_flag("--json", json_, "Print the API's JSON instead of a table");
  commands_.push_back({cmd, std::move(run)});
  return cmd;
}

void ClientCommands::RegisterOperations(CLI::App& app) {
  for (const std::string op : {"lock", "unlock", "unlatch"}) {
    CLI::App* cmd = nullptr;
    if (op == "lock") {
      // `latchkey lock --data DIR` runs a lock; `latchkey lock LOCK` locks one through the hub.
      const auto existing = app.get_subcommands([](CLI::App* sub) { return sub->get_name() == "lock"; });
      if (!existing.empty()) {
        cmd = existing.front();
        cmd->description(
            "Lock LOCK through the hub; or, with --data, run one lock (the firmware's logic over a hardware backend)");
        daemon_data_ = cmd->get_option_no_throw("--data");
        if (daemon_data_ != nullptr) {
          daemon_data_->required(false)->description("Run the lock daemon with this data folder");
        }
      }
    }
    if (cmd == nullptr) {
      cmd = app.add_subcommand(op, op == "unlatch"  ? "Unlatch LOCK (pull the latch) through the hub"
                                   : op == "unlock" ? "Unlock LOCK through the hub"
                                                    : "Lock LOCK through the hub");
    }
    if (op == "lock") lock_command_ = cmd;
    Add(cmd, [this, op] { return Operate(op); });
    auto* lock_name = cmd->add_option("LOCK", lock_, "The lock's id or name");
    auto* pin = cmd->add_option("--pin", pin_, "A PIN for the lock to check ('-': read it from stdin)");
    if (op == "unlock") cmd->add_option("--timeout", timeout_s_, "Relock after S seconds")->check(CLI::Range(1, 86400));
    if (op != "lock" || daemon_data_ == nullptr) lock_name->required();
    if (op == "lock") {
      own_lock_options_ = {lock_name, pin};
      for (const auto& name : {"--url", "--token", "--json"}) own_lock_options_.push_back(cmd->get_option(name));
    }
  }
}

bool ClientCommands::parsed() const {
  for (const auto& c : commands_) {
    if (!c.app->parsed()) continue;
    if (c.app == lock_command_ && daemon_data_ != nullptr && daemon_data_->count() > 0 && lock_.empty()) return false;
    return true;
  }
  return false;
}

std::string ClientCommands::CommandPath() const {
  std::string path;
  for (const CLI::App* app = current_; app != nullptr && app->get_parent() != nullptr; app = app->get_parent()) {
    path = app->get_name() + (path.empty() ? "" : " " + path);
  }
  return "latchkey " + path;
}

bool ClientCommands::Given(const std::string& option) const {
  const CLI::Option* given = current_ == nullptr ? nullptr : current_->get_option_no_throw(option);
  return given != nullptr && given->count() > 0;
}

int ClientCommands::Run() {
  for (const auto& c : commands_) {
    if (!c.app->parsed()) continue;
    current_ = c.app;
    try {
      if (c.app == lock_command_ && daemon_data_ != nullptr) {
        if (lock_.empty()) {
          throw UsageError("give LOCK (a lock's id or name) to lock it through the hub, or --data DIR to run a lock");
        }
        for (const CLI::Option* option : c.app->get_options()) {
          const bool own =
              std::find(own_lock_options_.begin(), own_lock_options_.end(), option) != own_lock_options_.end();
          if (option == daemon_data_ && option->count() > 0) {
            throw UsageError("give either LOCK (to lock it through the hub) or --data DIR (to run a lock), not both");
          }
          if (!own && option->count() > 0 && option->get_name() != "--help") {
            throw UsageError(option->get_name() + " is an option of the lock daemon (with --data), not of `lock LOCK`");
          }
        }
      }
      return c.run();
    } catch (const UsageError& e) {
      std::fprintf(stderr, "%s: %s\nRun with --help for more information.\n", CommandPath().c_str(), e.what());
      return 2;
    } catch (const ApiError& e) {
      std::string text = e.Describe();
      if (e.code() == "unauthorized" && c.app->get_name() != "login") text += kLoginHint;
      std::fprintf(stderr, "%s\n", text.c_str());
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s\n", CommandPath().c_str(), e.what());
      return 1;
    }
  }
  return 2;
}

namespace {

// The URL of a stored login, with the CA file it was made with.
HubUrl StoredUrl(const StoredLogin& login) {
  HubUrl url = ParseHubUrl(login.url);
  url.ca_file = login.cacert;
  return url;
}

}  // namespace

ApiClient ClientCommands::Connect(bool need_token) const {
  const auto stored = LoadLogin();
  std::string url_text = url_;
  if (url_text.empty() && stored) url_text = stored->url;
  if (url_text.empty()) url_text = kDefaultUrl;
  HubUrl url = ParseHubUrl(url_text);
  url.ca_file = cacert_;
  std::string token = token_;
  bool same_hub = false;
  if (stored) {
    try {
      same_hub = ParseHubUrl(stored->url).text == url.text;
    } catch (const UsageError&) {
    }
  }
  // The stored token belongs to the hub that issued it: never send it anywhere else.
  if (token.empty() && same_hub) token = stored->token;
  if (url.ca_file.empty() && same_hub) url.ca_file = stored->cacert;
  if (token.empty() && need_token) throw ApiError(401, "unauthorized", "not logged in to " + url.text);
  return ApiClient(url, token);
}

Json ClientCommands::FindLock(const ApiClient& client) const {
  const Json locks = client.Get("/api/v1/locks");
  if (!locks.is_array()) throw ApiError(200, "bad_answer", "the hub's lock list is not a list");
  for (const Json& lock : locks) {
    if (JsonText(lock, "id", "") == lock_) return lock;
  }
  // Then by name: exactly, else ignoring case; two locks of that name need the id.
  for (const bool exact : {true, false}) {
    std::vector<const Json*> named;
    for (const Json& lock : locks) {
      const std::string name = JsonText(lock, "name", "");
      if (exact ? name == lock_ : Lower(name) == Lower(lock_)) named.push_back(&lock);
    }
    if (named.size() == 1) return *named.front();
    if (named.size() > 1) {
      std::string ids;
      for (const Json* lock : named) ids += (ids.empty() ? "" : ", ") + JsonText(*lock, "id");
      throw ApiError(0, "ambiguous",
                     std::to_string(named.size()) + " locks are named '" + lock_ + "'; use an id: " + ids);
    }
  }
  throw ApiError(404, "not_found", "no lock with the id or name '" + lock_ + "'");
}

std::string ClientCommands::LockPath(const Json& lock, const std::string& rest) {
  return "/api/v1/locks/" + UrlEncode(JsonText(lock, "id", "")) + rest;
}

std::string ClientCommands::LockName(const Json& lock) {
  const std::string name = JsonText(lock, "name", "");
  return name.empty() ? JsonText(lock, "id") : name;
}

std::string ClientCommands::Pin() const {
  std::string pin = pin_;
  if (pin == "-") pin = ReadSecret("PIN: ");
  while (!pin.empty() && std::isspace(static_cast<unsigned char>(pin.back()))) pin.pop_back();
  while (!pin.empty() && std::isspace(static_cast<unsigned char>(pin.front()))) pin.erase(pin.begin());
  if (pin.empty()) throw UsageError("--pin: the PIN is empty");
  return pin;
}

void ClientCommands::PrintJson(const Json& j) const {
  std::printf("%s\n", j.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
}

int ClientCommands::Login() {
  const ApiClient anonymous = Connect(/*need_token=*/false);
  const HubUrl& url = anonymous.url();
  if (username_.empty()) throw UsageError("--username: must not be empty");
  std::string password = Given("--password") && password_ != "-" ? password_ : "";
  if (password.empty()) password = ReadSecret("Password for " + username_ + " at " + url.text + ": ");
  if (password.empty()) throw UsageError("no password: give it at the prompt, on stdin, or with --password");
  const ApiClient client(url, "");
  const Json reply = client.Post("/api/v1/auth/login", Json{{"username", username_}, {"password", password}});
  if (!reply.contains("token") || !reply["token"].is_string()) {
    throw ApiError(200, "bad_answer", "the hub sent no token");
  }
  const auto previous = LoadLogin();
  StoredLogin login{url.text, reply["token"], username_, JsonText(reply, "expires_at", ""), ""};
  if (!url.ca_file.empty()) login.cacert = std::filesystem::absolute(url.ca_file).string();
  SaveLogin(login);
  // A session replaced by this one is revoked at its hub (best effort: it may have expired).
  if (previous && previous->token != login.token) {
    try {
      ApiClient(StoredUrl(*previous), previous->token).Post("/api/v1/auth/logout", Json::object());
    } catch (const std::exception&) {
    }
  }
  const Json account = reply.value("account", Json::object());
  if (json_) {
    PrintJson(Json{
        {"url", url.text}, {"account", account}, {"expires_at", login.expires_at}, {"credentials", CredentialsPath()}});
  } else {
    std::printf("Logged in to %s as %s (%s) until %s.\nThe session token is in %s.\n", url.text.c_str(),
                username_.c_str(), JsonText(account, "role").c_str(), login.expires_at.c_str(),
                CredentialsPath().c_str());
  }
  return 0;
}

int ClientCommands::Logout() {
  const auto stored = LoadLogin();
  std::optional<ApiClient> client;
  if (stored) {
    client.emplace(StoredUrl(*stored), stored->token);
  } else if (!token_.empty()) {
    client.emplace(Connect());
  } else {
    if (!json_) std::printf("Not logged in.\n");
    if (json_) PrintJson(Json{{"revoked", false}});
    return 0;
  }
  std::string problem;
  try {
    client->Post("/api/v1/auth/logout", Json::object());
  } catch (const ApiError& e) {
    // An expired or already revoked token is as good as logged out.
    if (e.code() != "unauthorized") problem = e.Describe();
  }
  if (stored) RemoveLogin();
  if (!problem.empty()) {
    std::fprintf(stderr, "%s\nlatchkey: the token may still be valid at %s; forgot it here anyway\n", problem.c_str(),
                 client->url().text.c_str());
    return 1;
  }
  if (json_) {
    PrintJson(Json{{"revoked", true}, {"url", client->url().text}});
  } else {
    std::printf("Logged out of %s.\n", client->url().text.c_str());
  }
  return 0;
}

int ClientCommands::Locks() {
  const Json locks = Connect().Get("/api/v1/locks");
  if (json_) {
    PrintJson(locks);
    return 0;
  }
  if (!locks.is_array() || locks.empty()) {
    std::printf("No locks are paired with %s.\n", Connect().url().text.c_str());
    return 0;
  }
  Table table({"ID", "NAME", "ONLINE", "STATE", "DOOR", "BATTERY", "MODE"});
  table.AlignRight(5);
  for (const Json& lock : locks) {
    const Json battery = lock.value("battery", Json::object());
    std::string charge = battery.contains("percent") ? JsonText(battery, "percent") + "%" : "-";
    if (battery.value("critical", false)) {
      charge += " critical";
    } else if (battery.value("low", false)) {
      charge += " low";
    }
    if (battery.value("external_power", false)) charge += " +ext";
    table.Add({JsonText(lock, "id"), JsonText(lock, "name"), lock.value("online", false) ? "yes" : "no",
               JsonText(lock, "lock_state"), JsonText(lock, "door_state"), charge, JsonText(lock, "operating_mode")});
  }
  table.Print();
  return 0;
}

int ClientCommands::Operate(const std::string& op) {
  const ApiClient client = Connect();
  Json body = Json::object();
  if (Given("--pin")) body["pin"] = Pin();
  if (Given("--timeout")) body["timeout_s"] = timeout_s_;
  const Json lock = FindLock(client);
  const Json reply = client.Post(LockPath(lock, "/" + op), body);
  if (json_) {
    PrintJson(reply);
    return 0;
  }
  if (JsonText(reply, "result", "ok") == "pending") {
    std::printf("%s: pending: the lock waits for more credentials of the same user (%s)\n", LockName(lock).c_str(),
                JsonText(reply, "lock_state").c_str());
  } else {
    std::printf("%s: %s%s\n", LockName(lock).c_str(), JsonText(reply, "lock_state").c_str(),
                Given("--timeout") ? (" (relocks in " + std::to_string(timeout_s_) + " s)").c_str() : "");
  }
  return 0;
}

}  // namespace latchkey::cli
