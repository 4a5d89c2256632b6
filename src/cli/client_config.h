// Where the command line keeps its login, and how it reads secrets (passwords, PINs) without
// putting them on the command line: from the terminal without echo, or from a pipe.
#pragma once

#include <optional>
#include <string>

namespace latchkey::cli {

// What `latchkey login` stores: the hub's URL (canonical form) and a session token.
struct StoredLogin {
  std::string url;
  std::string token;
  std::string username;
  std::string expires_at;
  // The CA file that `latchkey login --cacert` verified an https:// hub with ("" = the system's).
  std::string cacert;
};

// $XDG_CONFIG_HOME/latchkey/credentials.json, else ~/.config/latchkey/credentials.json.
std::string CredentialsPath();
// The stored login, if there is a readable one.
std::optional<StoredLogin> LoadLogin();
// Writes the file with mode 0600 (its folder 0700), replacing the old one atomically. Throws
// std::runtime_error when it cannot.
void SaveLogin(const StoredLogin& login);
// Removes the file; false if there was none.
bool RemoveLogin();

// A secret from stdin: when stdin is a terminal, `prompt` on stderr and a line read without
// echo; otherwise the first line of stdin. The line end is not part of the secret.
std::string ReadSecret(const std::string& prompt);

}  // namespace latchkey::cli
