#include "cli/client_config.h"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "store/secret_file.h"

namespace latchkey::cli {

namespace {

std::string HomeDir() {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) return pw->pw_dir;
  throw std::runtime_error("cannot find a home folder for the credentials file: set HOME or XDG_CONFIG_HOME");
}

// The terminal's settings while echo is off, to restore them if a signal ends the prompt.
termios g_saved_termios;

void RestoreTerminalAndDie(int signal) {
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
  ::signal(signal, SIG_DFL);
  ::raise(signal);
}

std::string ReadLine(std::FILE* in) {
  std::string line;
  for (int c = std::fgetc(in); c != EOF && c != '\n'; c = std::fgetc(in)) line += static_cast<char>(c);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

std::string CredentialsPath() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  // The XDG spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const std::string base = xdg != nullptr && xdg[0] == '/' ? std::string(xdg) : HomeDir() + "/.config";
  return base + "/latchkey/credentials.json";
}

std::optional<StoredLogin> LoadLogin() {
  const std::string path = CredentialsPath();
  std::ifstream in(path);
  if (!in) return std::nullopt;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    std::fprintf(stderr, "latchkey: warning: %s is readable by others; run `chmod 600 %s`\n", path.c_str(),
                 path.c_str());
  }
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j.contains("url") || !j["url"].is_string() || !j.contains("token") ||
      !j["token"].is_string()) {
    std::fprintf(stderr, "latchkey: warning: ignoring %s: not a latchkey login\n", path.c_str());
    return std::nullopt;
  }
  StoredLogin login;
  login.url = j["url"];
  login.token = j["token"];
  login.username = j.value("username", "");
  login.expires_at = j.value("expires_at", "");
  login.cacert = j.value("cacert", "");
  return login;
}

void SaveLogin(const StoredLogin& login) {
  const std::filesystem::path path = CredentialsPath();
  std::error_code ec;
  const bool made = std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) throw std::runtime_error("cannot create " + path.parent_path().string() + ": " + ec.message());
  if (made) ::chmod(path.parent_path().c_str(), 0700);
  nlohmann::json j{
      {"url", login.url}, {"token", login.token}, {"username", login.username}, {"expires_at", login.expires_at}};
  if (!login.cacert.empty()) j["cacert"] = login.cacert;
  const core::Status s = store::WriteFileAtomically(path.string(), j.dump(2) + "\n", 0600);
  if (!s.ok()) throw std::runtime_error("cannot write " + path.string() + ": " + s.message());
  ::chmod(path.c_str(), 0600);  // in case an older file with a wider mode was replaced
}

bool RemoveLogin() {
  std::error_code ec;
  const bool removed = std::filesystem::remove(CredentialsPath(), ec);
  if (ec) throw std::runtime_error("cannot remove " + CredentialsPath() + ": " + ec.message());
  return removed;
}

std::string ReadSecret(const std::string& prompt) {
  if (!::isatty(STDIN_FILENO) || ::tcgetattr(STDIN_FILENO, &g_saved_termios) != 0) return ReadLine(stdin);
  std::fputs(prompt.c_str(), stderr);
  std::fflush(stderr);
  termios quiet = g_saved_termios;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  struct sigaction restore {
  }, old_int{}, old_term{}, old_hup{};
  restore.sa_handler = RestoreTerminalAndDie;
  ::sigaction(SIGINT, &restore, &old_int);
  ::sigaction(SIGTERM, &restore, &old_term);
  ::sigaction(SIGHUP, &restore, &old_hup);
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::string secret = ReadLine(stdin);
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  ::sigaction(SIGHUP, &old_hup, nullptr);
  return secret;
}

}  // namespace latchkey::cli
