// The command line's client of a hub's REST API (API.md "Command line"):
//   latchkey login [--url URL] [--username NAME] [--password PW]   (else prompted, or read from stdin)
//   latchkey logout
//   latchkey locks
//   latchkey lock|unlock|unlatch LOCK [--pin DIGITS|-] [--timeout S (unlock)]
//   latchkey users LOCK
//   latchkey user add LOCK [--index N] [--name NAME] [--type T] [--status S] [--unique-id N] [--credential-rule R]
//   latchkey user set LOCK INDEX [--name NAME] [--type T] [--status S] [--unique-id N] [--credential-rule R]
//   latchkey user show|rm LOCK INDEX
//   latchkey pin add LOCK --pin DIGITS|- [--user N] [--user-type T] [--index N];  pin rm LOCK INDEX
//   latchkey card add LOCK --uid HEX [--user N] [--user-type T] [--index N];       card rm LOCK INDEX
//   latchkey history LOCK [--kind K] [--user N] [--limit N] [--after SEQ] [--follow]
//   latchkey code add LOCK --from TIME --until TIME [--one-time] [--name N]; code clear LOCK; code list LOCK;
//                code rm LOCK ID   (offline guest codes, code_command.cc)
// LOCK is a lock's id or its name. The hub's URL and token come from --url / --token, else
// LATCHKEY_URL / LATCHKEY_TOKEN, else the login stored by `latchkey login` (the token is only
// sent to the URL it was issued by). An https:// hub's certificate is verified against --cacert
// FILE / LATCHKEY_CACERT, else the file the login was made with, else the system's trust store. Tables by default, the API's JSON with --json. Exit status:
// 0 done, 1 the API or the hub refused or failed, 2 a usage error.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cli/api_client.h"

namespace latchkey::cli {

class Table;

class ClientCommands {
 public:
  // Adds the commands to `app`. `lock LOCK` shares its name with the lock daemon
  // (`latchkey lock --data DIR ...`): when `app` already has that subcommand, it is extended,
  // and --data (the daemon) or LOCK (the client) tells which one was meant.
  void Register(CLI::App& app);
  // True when one of these commands was given (and, for `lock`, not the daemon's --data).
  bool parsed() const;
  int Run();

 private:
  struct Command {
    CLI::App* app;
    std::function<int()> run;
  };
  // Adds --url, --token and --json to `cmd` and records what runs it.
  CLI::App* Add(CLI::App* cmd, std::function<int()> run);
  void RegisterOperations(CLI::App& app);  // lock, unlock, unlatch
  void RegisterLockData(CLI::App& app);    // users, user, pin, card (client_data_commands.cc)
  void RegisterHistory(CLI::App& app);     // history (history_command.cc)
  void RegisterPhone(CLI::App& app);       // phone ... (phone_command.cc)
  void RegisterCode(CLI::App& app);        // code ... (code_command.cc)
  std::string CommandPath() const;
  bool Given(const std::string& option) const;

  // The hub and token to use; throws ApiError(unauthorized) without a token when `need_token`.
  ApiClient Connect(bool need_token = true) const;
  // The lock that lock_ names (id first, then name); throws ApiError(not_found).
  Json FindLock(const ApiClient& client) const;
  static std::string LockPath(const Json& lock, const std::string& rest = "");
  static std::string LockName(const Json& lock);
  // --pin's value, or the PIN read from stdin (without echo on a terminal) for "-".
  std::string Pin() const;
  void PrintJson(const Json& j) const;

  int Login();
  int Logout();
  int Locks();
  int Operate(const std::string& op);
  int Users();
  int UserAdd();
  int UserSet();
  int UserShow();
  int UserRemove();
  int CredentialAdd(const std::string& type);
  int CredentialRemove(const std::string& type);
  int History();
  [[noreturn]] void Follow(const ApiClient& client, const std::string& lock_id, uint64_t cursor, const Table& table,
                           const std::vector<std::size_t>& widths);
  bool Matches(const Json& event) const;
  // phone_command.cc
  int PhoneInit();
  int PhoneEnroll();
  int PhoneKeys();
  int PhoneAtDoor(const std::string& op);
  std::string PhoneDir() const;
  // code_command.cc
  int CodeAdd();
  int CodeClear();
  int CodeList();
  int CodeRemove();
  void ShowNewCode(const Json& lock, const Json& code) const;

  std::vector<Command> commands_;
  CLI::App* lock_command_ = nullptr;
  CLI::Option* daemon_data_ = nullptr;  // the lock daemon's --data, when `lock` is shared
  std::vector<const CLI::Option*> own_lock_options_;
  CLI::App* current_ = nullptr;

  // Option values; each command binds the ones it takes.
  std::string url_;
  std::string token_;
  std::string cacert_;  // --cacert / LATCHKEY_CACERT: whom to trust for an https:// hub
  bool json_ = false;
  std::string lock_;
  std::string pin_;
  uint32_t timeout_s_ = 0;
  std::string username_ = "owner";
  std::string password_;
  uint32_t index_ = 0;
  std::string name_;
  std::string type_;
  std::string status_;
  std::string rule_;
  uint32_t unique_id_ = 0;
  uint32_t user_ = 0;
  std::string user_type_;
  std::string uid_;
  std::string kind_;
  uint32_t limit_ = 20;
  uint64_t after_ = 0;
  bool follow_ = false;
  // phone
  std::string phone_dir_;
  std::string phone_at_;
  bool phone_ble_ = false;
  std::string phone_ble_adapter_ = "hci0";
  std::string phone_ble_address_;
  std::string phone_lock_;
  std::string phone_account_;
  std::vector<std::string> phone_ops_;
  uint32_t phone_user_ = 0;
  uint32_t phone_valid_for_ = 86400;
  bool phone_auto_ = false;
  // code
  std::string code_from_;
  std::string code_until_;
  std::string code_id_;
  bool code_one_time_ = false;
};

}  // namespace latchkey::cli
