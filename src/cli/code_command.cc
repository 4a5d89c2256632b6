// `latchkey code ...`: offline guest codes through the hub (OFFLINE-CODES.md; docs/offline-codes.md):
//   latchkey code add LOCK --from TIME --until TIME [--one-time] [--name N]   issue a code
//   latchkey code clear LOCK [--name N]                                       a clear code: every earlier code stops
//   latchkey code list LOCK                                                   the lock's codes and their status
//   latchkey code rm LOCK ID                                                  revoke a code
// TIME is RFC 3339 ("2026-12-24T10:00:00+01:00"), "YYYY-MM-DD HH:MM" in this computer's time zone
// (TZ), or "now". Windows are shown in this computer's time zone. The new code is printed in large
// digits when stdout is a terminal, and always as "1234 5678 9012" for copying.
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "cli/client_commands.h"
#include "cli/table.h"
#include "platform/time_format.h"

namespace latchkey::cli {

namespace {

// The digits 0-9, five rows of four cells each.
constexpr std::array<std::array<const char*, 5>, 10> kBigDigits = {{
    {"████", "█  █", "█  █", "█  █", "████"},
    {"  █ ", " ██ ", "  █ ", "  █ ", " ███"},
    {"████", "   █", "████", "█   ", "████"},
    {"████", "   █", " ███", "   █", "████"},
    {"█  █", "█  █", "████", "   █", "   █"},
    {"████", "█   ", "████", "   █", "████"},
    {"████", "█   ", "████", "█  █", "████"},
    {"████", "   █", "  █ ", " █  ", " █  "},
    {"████", "█  █", "████", "█  █", "████"},
    {"████", "█  █", "████", "   █", "████"},
}};

// "1234 5678 9012".
std::string Grouped(const std::string& code) {
  std::string out;
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (i > 0 && i % 4 == 0) out += ' ';
    out += code[i];
  }
  return out;
}

void PrintBig(const std::string& code) {
  for (std::size_t row = 0; row < 5; ++row) {
    std::string line = "  ";
    for (std::size_t i = 0; i < code.size(); ++i) {
      if (code[i] < '0' || code[i] > '9') continue;
      if (i > 0) line += i % 4 == 0 ? "   " : " ";
      line += kBigDigits[static_cast<std::size_t>(code[i] - '0')][row];
    }
    std::printf("%s\n", line.c_str());
  }
}

// An instant in this computer's time zone: "Thu 2026-11-26 10:00" and its offset "+01:00".
struct LocalText {
  std::string day;    // "Thu 2026-11-26"
  std::string time;   // "10:00"
  std::string offset; // "+01:00"
};
LocalText Local(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char day[32], time[16], offset[16];
  std::strftime(day, sizeof day, "%a %Y-%m-%d", &tm);
  std::strftime(time, sizeof time, "%H:%M", &tm);
  std::strftime(offset, sizeof offset, "%z", &tm);
  std::string z = offset;
  if (z.size() == 5) z.insert(3, ":");
  return {day, time, z};
}

std::optional<int64_t> ApiTime(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? platform::ParseRfc3339Ms(j[key].get<std::string>()) : std::nullopt;
}

// "Thu 2026-11-26 10:00 – 14:00 (+01:00)", or with both days when they differ.
std::string WindowText(const Json& code) {
  const auto from = ApiTime(code, "starts_at"), until = ApiTime(code, "ends_at");
  if (!from || !until) return JsonText(code, "starts_at") + " – " + JsonText(code, "ends_at");
  const LocalText a = Local(*from), b = Local(*until);
  const std::string end = a.day == b.day ? b.time : b.day + " " + b.time;
  return a.day + " " + a.time + " – " + end + " (" + (a.offset == b.offset ? a.offset : a.offset + "/" + b.offset) + ")";
}

std::string ShortLocal(const Json& j, const char* key) {
  const auto ms = ApiTime(j, key);
  if (!ms) return "-";
  const LocalText t = Local(*ms);
  return t.day.substr(4) + " " + t.time;
}

std::string TypeText(const std::string& type) {
  return type == "one_time" ? "one-time" : type == "clear" ? "clear" : "window";
}

std::string StatusText(const std::string& status) {
  return status == "revocation_pending" ? "revocation pending" : status;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// TIME as the API takes it: RFC 3339 as given, or a local "YYYY-MM-DD HH:MM" (also with "T"), or
// "now"; a UsageError naming `option` otherwise.
std::string WhenOption(const std::string& option, const std::string& text) {
  if (text == "now") return platform::FormatRfc3339Ms(NowMs());
  if (platform::ParseRfc3339Ms(text)) return text;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0;
  char sep = 0;
  int used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d%n", &year, &month, &day, &sep, &hour, &minute, &used) == 6 &&
      used == static_cast<int>(text.size()) && (sep == ' ' || sep == 'T')) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_isdst = -1;  // whether summer time applies on that day
    const std::tm asked = tm;
    const std::time_t t = std::mktime(&tm);
    // mktime moves a day that does not exist (the 31st of November) or a time out of range on.
    if (t != static_cast<std::time_t>(-1) && tm.tm_mday == asked.tm_mday && tm.tm_mon == asked.tm_mon &&
        minute >= 0 && minute < 60 && hour >= 0 && hour < 24) {
      return platform::FormatRfc3339Ms(static_cast<int64_t>(t) * 1000);
    }
  }
  throw UsageError(option + ": '" + text + "' is not a time: give \"YYYY-MM-DD HH:MM\" (this computer's time), an "
                   "RFC 3339 time or \"now\"");
}

}  // namespace

void ClientCommands::RegisterCode(CLI::App& app) {
  CLI::App* code = app.add_subcommand("code", "Offline guest codes: 12 digits that open a lock in a window, hub or not");
  code->require_subcommand(1);
  CLI::App* add = Add(code->add_subcommand("add", "Issue a code for a window"), [this] { return CodeAdd(); });
  add->add_option("LOCK", lock_, "The lock's id or name")->required();
  add->add_option("--from", code_from_, "Start: \"YYYY-MM-DD HH:MM\" (local), RFC 3339 or now (rounded down to the hour)")
      ->required();
  add->add_option("--until", code_until_, "End: \"YYYY-MM-DD HH:MM\" (local) or RFC 3339 (rounded up to the hour)")
      ->required();
  add->add_flag("--one-time", code_one_time_, "The code opens once");
  add->add_option("--name", name_, "Whom it is for (shown in the list)");
  CLI::App* clear = Add(code->add_subcommand("clear", "Issue a clear code: every code issued before it stops opening"),
                        [this] { return CodeClear(); });
  clear->add_option("LOCK", lock_, "The lock's id or name")->required();
  clear->add_option("--name", name_, "A note for the list");
  CLI::App* list = Add(code->add_subcommand("list", "The lock's codes and their status"), [this] { return CodeList(); });
  list->add_option("LOCK", lock_, "The lock's id or name")->required();
  CLI::App* rm = Add(code->add_subcommand("rm", "Revoke a code"), [this] { return CodeRemove(); });
  rm->add_option("LOCK", lock_, "The lock's id or name")->required();
  rm->add_option("ID", code_id_, "The code's id (from `latchkey code list`)")->required();
}

// The new code: large, grouped, its window, and what the lock knows.
void ClientCommands::ShowNewCode(const Json& lock, const Json& code) const {
  const std::string digits = JsonText(code, "code", "");
  const std::string type = JsonText(code, "type", "window");
  const std::string name = JsonText(code, "name", "");
  std::printf("Offline code for %s (%s%s):\n\n", LockName(lock).c_str(), TypeText(type).c_str(),
              name.empty() ? "" : (", " + name).c_str());
  if (::isatty(STDOUT_FILENO) == 1) {
    PrintBig(digits);
    std::printf("\n");
  }
  std::printf("    %s  then #\n\n", Grouped(digits).c_str());
  std::printf("Valid %s in this computer's time%s.\n", WindowText(code).c_str(), type == "window" ? "" : "; it opens once");
  std::printf("Type it on the lock's keypad, then #. It works without the hub. Id %s.\n",
              JsonText(code, "id").c_str());
  if (!code.value("lock_has_key", true)) {
    std::printf("Note: %s has not received its offline-code key yet; the code works once the lock has connected to "
                "the hub.\n",
                LockName(lock).c_str());
  }
}

int ClientCommands::CodeAdd() {
  const std::string from = WhenOption("--from", code_from_);
  const std::string until = WhenOption("--until", code_until_);
  const ApiClient client = Connect();
  const Json lock = FindLock(client);
  Json body{{"starts_at", from}, {"ends_at", until}};
  if (code_one_time_) body["one_time"] = true;
  if (Given("--name")) body["name"] = name_;
  const Json code = client.Post(LockPath(lock, "/offline-codes"), body);
  if (json_) {
    PrintJson(code);
  } else {
    ShowNewCode(lock, code);
  }
  return 0;
}

int ClientCommands::CodeClear() {
  const ApiClient client = Connect();
  const Json lock = FindLock(client);
  Json body{{"clear", true}};
  if (Given("--name")) body["name"] = name_;
  const Json code = client.Post(LockPath(lock, "/offline-codes"), body);
  if (json_) {
    PrintJson(code);
    return 0;
  }
  ShowNewCode(lock, code);
  if (code.value("delivered", false)) {
    std::printf("Every earlier code of %s is cleared: the lock already refuses them.\n", LockName(lock).c_str());
  } else {
    std::printf("Every earlier code of %s is cleared, but the lock is offline: it refuses them once it connects to "
                "the hub, or once this code (or any code issued from now on) is typed at the door.\n",
                LockName(lock).c_str());
  }
  return 0;
}

int ClientCommands::CodeList() {
  const ApiClient client = Connect();
  const Json lock = FindLock(client);
  const Json codes = client.Get(LockPath(lock, "/offline-codes"));
  if (json_) {
    PrintJson(codes);
    return 0;
  }
  if (!codes.is_array() || codes.empty()) {
    std::printf("No offline codes for %s.\n", LockName(lock).c_str());
    return 0;
  }
  Table table({"ID", "NAME", "TYPE", "FROM", "UNTIL", "STATUS", "USED", "CODE"});
  for (const Json& c : codes) {
    table.Add({JsonText(c, "id"), JsonText(c, "name", "") == "" ? "-" : JsonText(c, "name"),
               TypeText(JsonText(c, "type")), ShortLocal(c, "starts_at"), ShortLocal(c, "ends_at"),
               StatusText(JsonText(c, "status")), ShortLocal(c, "used_at"),
               c.contains("code") ? Grouped(JsonText(c, "code")) : "-"});
  }
  table.Print();
  std::printf("Times are this computer's (%s).\n", Local(NowMs()).offset.c_str());
  return 0;
}

int ClientCommands::CodeRemove() {
  const ApiClient client = Connect();
  const Json lock = FindLock(client);
  const Json code = client.Delete(LockPath(lock, "/offline-codes/" + UrlEncode(code_id_)));
  if (json_) {
    PrintJson(code);
    return 0;
  }
  const std::string status = JsonText(code, "status");
  if (status == "revocation_pending") {
    std::printf("Code %s revoked, but %s is offline: the hub sends the revocation when it connects. Until then the "
                "code still opens; `latchkey code clear` gives a code that ends every code at the door.\n",
                code_id_.c_str(), LockName(lock).c_str());
  } else if (status == "cleared") {
    std::printf("Code %s was already cleared by a later clear code.\n", code_id_.c_str());
  } else {
    std::printf("Code %s revoked: %s refuses it.\n", code_id_.c_str(), LockName(lock).c_str());
  }
  return 0;
}

}  // namespace latchkey::cli
