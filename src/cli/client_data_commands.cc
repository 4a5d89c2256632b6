// `users`, `user add|set|show|rm`, `pin add|rm`, `card add|rm`: a lock's users and credentials
// (API.md "Users, credentials, schedules"; the lock decides, the CLI shows its answer).
#include <cctype>
#include <cstdio>

#include "cli/client_commands.h"
#include "cli/table.h"

namespace latchkey::cli {

namespace {

const std::vector<std::string> kUserTypes = {
    "unrestricted", "week_day_schedule", "year_day_schedule", "schedule_restricted", "programming", "non_access",
    "forced",       "disposable",        "expiring",          "remote_only"};
const std::vector<std::string> kStatuses = {"enabled", "disabled"};
const std::vector<std::string> kRules = {"single", "dual", "tri"};

// "pin 1, rfid 3"
std::string CredentialList(const Json& user) {
  std::string text;
  if (user.contains("credentials") && user["credentials"].is_array()) {
    for (const Json& c : user["credentials"])
      text += (text.empty() ? "" : ", ") + JsonText(c, "type") + " " + JsonText(c, "index");
  }
  return text.empty() ? "-" : text;
}

std::string Describe(const Json& user) {
  const std::string name = JsonText(user, "name", "");
  return "user " + JsonText(user, "index") + (name.empty() ? "" : " '" + name + "'") + " (" + JsonText(user, "type") +
         ", " + JsonText(user, "status") + ")";
}

}  // namespace

void ClientCommands::RegisterLockData(CLI::App& app) {
  Add(app.add_subcommand("users", "List a lock's users and their credentials"), [this] { return Users(); })
      ->add_option("LOCK", lock_, "The lock's id or name")
      ->required();

  // The user fields that `user add` and `user set` share.
  const auto user_fields = [this](CLI::App* cmd) {
    cmd->add_option("--name", name_, "The user's name (may be empty)");
    cmd->add_option("--type", type_, "unrestricted (default), week_day_schedule, year_day_schedule, ...")
        ->check(CLI::IsMember(kUserTypes));
    cmd->add_option("--status", status_, "enabled or disabled")->check(CLI::IsMember(kStatuses));
    cmd->add_option("--unique-id", unique_id_, "An id of your own for the user (a number)");
    cmd->add_option("--credential-rule", rule_, "single, dual or tri: how many credentials open")
        ->check(CLI::IsMember(kRules));
  };
  CLI::App* user = app.add_subcommand("user", "Add, change, show or remove one user of a lock");
  user->require_subcommand(1);
  CLI::App* add = Add(user->add_subcommand("add", "Add a user (in the lowest free slot unless --index)"),
                      [this] { return UserAdd(); });
  add->add_option("LOCK", lock_, "The lock's id or name")->required();
  add->add_option("--index", index_, "The user slot (1..max_users)");
  user_fields(add);
  CLI::App* set = Add(user->add_subcommand("set", "Change a user"), [this] { return UserSet(); });
  set->add_option("LOCK", lock_, "The lock's id or name")->required();
  set->add_option("INDEX", index_, "The user's slot")->required();
  user_fields(set);
  for (const bool remove : {false, true}) {
    CLI::App* cmd =
        Add(user->add_subcommand(remove ? "rm" : "show",
                                 remove ? "Remove a user with its credentials and schedules" : "Show one user"),
            [this, remove] { return remove ? UserRemove() : UserShow(); });
    cmd->add_option("LOCK", lock_, "The lock's id or name")->required();
    cmd->add_option("INDEX", index_, "The user's slot")->required();
  }

  for (const std::string type : {"pin", "rfid"}) {
    const bool is_pin = type == "pin";
    CLI::App* group =
        app.add_subcommand(is_pin ? "pin" : "card", is_pin ? "Add or remove a PIN" : "Add or remove an RFID card");
    group->require_subcommand(1);
    CLI::App* cmd = Add(group->add_subcommand("add", is_pin ? "Add a PIN (for a new user unless --user)"
                                                            : "Add a card (for a new user unless --user)"),
                        [this, type] { return CredentialAdd(type); });
    cmd->add_option("LOCK", lock_, "The lock's id or name")->required();
    if (is_pin) {
      cmd->add_option("--pin", pin_, "The digits ('-': read them from stdin, so they stay out of the shell's history)")
          ->required();
    } else {
      cmd->add_option("--uid", uid_, "The card's identifier in hex (04A1B2C3D4E5F6; ':' separators are fine)")
          ->required();
    }
    cmd->add_option("--user", user_, "Give it to this existing user");
    cmd->add_option("--user-type", user_type_, "The new user's type (without --user)")
        ->check(CLI::IsMember(kUserTypes));
    cmd->add_option("--index", index_, "The credential slot (default: the lowest free one)");
    CLI::App* rm = Add(group->add_subcommand("rm", is_pin ? "Remove a PIN" : "Remove a card"),
                       [this, type] { return CredentialRemove(type); });
    rm->add_option("LOCK", lock_, "The lock's id or name")->required();
    rm->add_option("INDEX", index_, is_pin ? "The PIN's slot" : "The card's slot")->required();
  }
}

int ClientCommands::Users() {
  const ApiClient client = Connect();
  const Json users = client.Get(LockPath(FindLock(client), "/users"));
  if (json_) {
    PrintJson(users);
    return 0;
  }
  if (!users.is_array() || users.empty()) {
    std::printf("No users.\n");
    return 0;
  }
  Table table({"INDEX", "NAME", "TYPE", "STATUS", "CREDENTIALS"});
  table.AlignRight(0);
  for (const Json& u : users) {
    table.Add(
        {JsonText(u, "index"), JsonText(u, "name", ""), JsonText(u, "type"), JsonText(u, "status"), CredentialList(u)});
  }
  table.Print();
  return 0;
}

int ClientCommands::UserAdd() {
  Json body = Json::object();
  if (Given("--index")) body["index"] = index_;
  if (Given("--name")) body["name"] = name_;
  if (Given("--type")) body["type"] = type_;
  if (Given("--status")) body["status"] = status_;
  if (Given("--unique-id")) body["unique_id"] = unique_id_;
  if (Given("--credential-rule")) body["credential_rule"] = rule_;
  const ApiClient client = Connect();
  const Json user = client.Post(LockPath(FindLock(client), "/users"), body);
  if (json_) {
    PrintJson(user);
  } else {
    std::printf("Added %s.\n", Describe(user).c_str());
  }
  return 0;
}

int ClientCommands::UserSet() {
  Json body = Json::object();
  if (Given("--name")) body["name"] = name_;
  if (Given("--type")) body["type"] = type_;
  if (Given("--status")) body["status"] = status_;
  if (Given("--unique-id")) body["unique_id"] = unique_id_;
  if (Given("--credential-rule")) body["credential_rule"] = rule_;
  if (body.empty()) {
    throw UsageError("nothing to change: give --name, --type, --status, --unique-id or --credential-rule");
  }
  const ApiClient client = Connect();
  const Json user = client.Patch(LockPath(FindLock(client), "/users/" + std::to_string(index_)), body);
  if (json_) {
    PrintJson(user);
  } else {
    std::printf("Changed %s.\n", Describe(user).c_str());
  }
  return 0;
}

int ClientCommands::UserShow() {
  const ApiClient client = Connect();
  const Json user = client.Get(LockPath(FindLock(client), "/users/" + std::to_string(index_)));
  if (json_) {
    PrintJson(user);
    return 0;
  }
  Table table({"FIELD", "VALUE"});
  for (const char* key :
       {"index", "name", "type", "status", "credential_rule", "unique_id", "created_by", "modified_by"}) {
    table.Add({key, JsonText(user, key)});
  }
  table.Add({"credentials", CredentialList(user)});
  for (const char* key : {"week_day_schedules", "year_day_schedules"}) {
    const std::size_t count = user.contains(key) && user[key].is_array() ? user[key].size() : 0;
    table.Add({key, std::to_string(count)});
  }
  table.Print();
  return 0;
}

int ClientCommands::UserRemove() {
  const ApiClient client = Connect();
  const Json reply = client.Delete(LockPath(FindLock(client), "/users/" + std::to_string(index_)));
  if (json_) {
    PrintJson(reply);
  } else {
    std::printf("Removed user %u with its credentials and schedules.\n", index_);
  }
  return 0;
}

int ClientCommands::CredentialAdd(const std::string& type) {
  Json body{{"type", type}};
  if (type == "pin") {
    body["data"] = Pin();
  } else {
    std::string hex;
    for (const char c : uid_) {
      if (c != ':' && c != '-' && c != ' ') hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (hex.empty()) throw UsageError("--uid: the card's identifier is empty");
    body["data"] = hex;
  }
  if (Given("--user")) body["user"] = user_;
  if (Given("--user-type")) body["user_type"] = user_type_;
  if (Given("--index")) body["index"] = index_;
  if (Given("--user") && Given("--user-type")) {
    throw UsageError("--user-type is for a new user; it cannot go with --user");
  }
  const ApiClient client = Connect();
  const Json reply = client.Post(LockPath(FindLock(client), "/credentials"), body);
  if (json_) {
    PrintJson(reply);
    return 0;
  }
  std::printf("Added %s %s for user %s.\n", type == "pin" ? "PIN" : "card", JsonText(reply, "index").c_str(),
              JsonText(reply, "user").c_str());
  return 0;
}

int ClientCommands::CredentialRemove(const std::string& type) {
  const ApiClient client = Connect();
  const Json reply = client.Delete(LockPath(FindLock(client), "/credentials/" + type + "/" + std::to_string(index_)));
  if (json_) {
    PrintJson(reply);
  } else {
    std::printf("Removed %s %u.\n", type == "pin" ? "PIN" : "card", index_);
  }
  return 0;
}

}  // namespace latchkey::cli
